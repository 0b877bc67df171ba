from pathlib import Path

import pytest

from agent.config import ConfigError, PrinterSettings, Settings, load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "recoup.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_means_the_simulated_profile(tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    settings = load()
    assert settings.profile == "simulated" and settings.reader.url == "sim://"


def test_a_named_file_that_is_missing_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load(tmp_path / "nope.toml")


@pytest.mark.parametrize("text, message", [
    ('[printer]\nurl = "lpt1"\n', r"recoup.toml:2: printer.url: .*lpt1"),
    ('[printer]\ncolumns = 40\n', r"recoup.toml:2: printer.columns: must be 32 \(58 mm paper\) or 48"),
    ('[printer]\ncopies = ["customer", "customer"]\n', r"recoup.toml:2: printer.copies: must be a list of distinct"),
    ('[printer]\ncopies = "customer"\n', r"recoup.toml:2: printer.copies: must be a list"),
    ('[printer]\nstatus_timeout = 0\n', r"recoup.toml:2: printer.status_timeout: must be more than 0"),
    ('[printer]\npaper = "58mm"\n', r"recoup.toml:2: printer.paper: unknown key"),
    ('[store]\nname = 5\n', r"recoup.toml:2: store.name: must be a quoted string"),
    ('[store]\nlogo = "x.png"\n', r"recoup.toml:2: store.logo: unknown key"),
    ('[cases]\nquiet_start = "25:00"\n', r"recoup.toml:2: cases.quiet_start: '25:00' is not a time of day"),
    ('[cases]\n\nholidays = ["2026-02-30"]\n', r"recoup.toml:3: cases.holidays: '2026-02-30' is not a date"),
    ('[cases]\ntimezone = "Mars/Olympus"\n', r"recoup.toml:2: cases.timezone: "),
    ('[cases]\nquiet = "21-9"\n', r"recoup.toml:2: cases.quiet: unknown key"),
    ('[notify]\nsmtp_host = "mail.example"\n', r"recoup.toml: \[notify\]: email needs both smtp_host and smtp_from"),
    ('[notify]\nsmtp_port = 70000\n', r"recoup.toml:2: notify.smtp_port: smtp_port must be 1..65535"),
    ('[notify]\nsmtp_starttls = "yes"\n', r"recoup.toml:2: notify.smtp_starttls: must be true or false"),
    ('[notify]\nsms_url = "ftp://gw"\n', r"recoup.toml:2: notify.sms_url: sms_url must be an http"),
    ('[notify]\nretry_backoff = "1m"\n', r"recoup.toml:2: notify.retry_backoff: must be a list of seconds"),
    ('[notify]\nsmtp_password = "hunter2"\n', r"recoup.toml:2: notify.smtp_password: unknown key"),
    ('profile = "real"\n[reader]\nurl = "COM3"\n[host]\nurl = "tcp://h:1"\n', r"profile 'real' needs printer.url"),
])
def test_printer_and_store_errors_name_the_line_and_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, text))


def test_a_real_install(tmp_path):
    path = write(tmp_path, """
profile = "real"
[reader]
url = "/dev/serial/by-id/usb-IDTECH-if00"
format = "msr"
baudrate = 9600
[host]
url = "tcp://acquirer.example:5000"
[printer]
url = "serial:/dev/ttyS0?baudrate=19200"
columns = 32
copies = ["merchant", "customer"]
[store]
name = "示例便利店"
phone = "021-5555 0000"
[journal]
path = "data/journal.sqlite"
[contacts]
retention_days = 30
default_region = "HK"
""")
    settings = load(path)
    assert settings == Settings(
        profile="real", source=path,
        reader=settings.reader, host=settings.host, printer=settings.printer, store=settings.store,
        journal=settings.journal, contacts=settings.contacts, cards=settings.cards)
    assert settings.printer == PrinterSettings("serial:/dev/ttyS0?baudrate=19200", 32, ("merchant", "customer"))
    assert settings.store.contact_line == "示例便利店 · 021-5555 0000"
    assert (settings.reader.url, settings.reader.format, settings.reader.baudrate) == (
        "/dev/serial/by-id/usb-IDTECH-if00", "msr", 9600)
    assert settings.journal.path == tmp_path / "data" / "journal.sqlite"  # relative to the file
    assert (settings.contacts.retention_days, settings.contacts.default_region) == (30, "HK")


@pytest.mark.parametrize("text, message", [
    ('[reader]\nurl = "COM3"\nbaudrate = "115200"\n', r"recoup.toml:3: reader.baudrate: must be a whole number"),
    ('[reader]\nformat = "ascii"\n', r"recoup.toml:2: reader.format: must be one of framed, msr"),
    ('[reader]\nspeed = 9600\n', r"recoup.toml:2: reader.speed: unknown key; expected one of: url, format"),
    ('profile = "real"\n', r"profile 'real' needs reader.url"),
    ('[contacts]\n\nretention_days = 0\n', r"recoup.toml:3: contacts.retention_days: must be at least 1 day"),
    ('[contacts]\ndefault_region = "china"\n', r"recoup.toml:2: contacts.default_region: must be a two-letter"),
    ('reader = 5\n', r"recoup.toml:1: reader: must be a table"),
    ('[reader\nurl = "x"\n', r"recoup.toml: .*line 1"),  # half-written file: tomllib's own position
])
def test_errors_name_the_line_and_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, text))


def test_a_file_that_is_not_utf8_names_the_byte(tmp_path):
    path = tmp_path / "recoup.toml"
    path.write_bytes(b'[reader]\nurl = "\xff"\n')
    with pytest.raises(ConfigError, match="byte 16: 0xff"):
        load(path)


def test_host_settings(tmp_path):
    settings = load(write(tmp_path, """
[host]
url = "tcp://10.1.2.3:5000"
terminal_id = "T0000042"
echo_interval = 3
auth_timeout = 25.5
"""))
    assert settings.host.address == ("10.1.2.3", 5000)
    assert (settings.host.terminal_id, settings.host.echo_interval, settings.host.auth_timeout) == (
        "T0000042", 3.0, 25.5)


@pytest.mark.parametrize("text, message", [
    ('[host]\nurl = "10.1.2.3:5000"\n', r"recoup.toml:2: host.url: must be tcp://HOST:PORT"),
    ('[host]\nterminal_id = "T1"\n', r"recoup.toml:2: host.terminal_id: must be 8 printable"),
    ('[host]\necho_interval = 0\n', r"recoup.toml:2: host.echo_interval: must be more than 0"),
    ('[host]\nauth_timeout = "30s"\n', r"recoup.toml:2: host.auth_timeout: must be a number of seconds"),
    ('[host]\nspec = "visa"\n', r"recoup.toml:2: host.spec: must be one of default, default_ascii"),
    ('profile = "real"\n[reader]\nurl = "COM3"\n', r"profile 'real' needs host.url"),
])
def test_host_errors_name_the_line_and_the_key(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load(write(tmp_path, text))
