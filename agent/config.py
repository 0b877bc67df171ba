"""One TOML file configures the agent. Every problem is reported with the key and the line it is on,
because the person reading the error is an integrator at a counter, not the author of the file.

With no file at all the `simulated` profile applies: the built-in virtual devices, a journal in the
platform's data directory. A real install names its devices as URLs (any pyserial URL for the reader).
"""

from __future__ import annotations

import math
import os
import re
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import platformdirs

from agent.cases.errors import CaseSettingsError
from agent.cases.settings import CaseSettings
from agent.notify.settings import NotifySettings
from agent.reconcile.settings import ReconcileSettings, ReconcileSettingsError

APP = "recoup"
READER_FORMATS = ("framed", "msr")
PROFILES = ("simulated", "real")


class ConfigError(ValueError):
    """A config problem, located: file, line and key."""


@dataclass(frozen=True)
class ReaderSettings:
    url: str = "sim://"
    format: str = "framed"
    baudrate: int = 115200


@dataclass(frozen=True)
class HostSettings:
    url: str = "sim://"
    terminal_id: str = "TERM0001"
    merchant_id: str = "MERCHANT0000001"
    currency: str = "CNY"
    spec: str = "default_ascii"
    connect_timeout: float = 5.0
    auth_timeout: float = 30.0
    echo_interval: float = 5.0
    echo_deadline: float = 2.0
    reversal_escalate_after: int = 5

    @property
    def address(self) -> tuple[str, int]:
        """(host, port) of a tcp://HOST:PORT url."""
        rest = self.url.removeprefix("tcp://")
        host, _, port = rest.rpartition(":")
        return host.strip("[]"), int(port)

    @property
    def own_ids(self) -> frozenset[str]:
        """This terminal's identifiers as the acquirer gave them: what the journal's card-data guard and
        the receipt door know are not card numbers, however many digits they have."""
        return frozenset({self.terminal_id, self.merchant_id})


PRINTER_COLUMNS = (32, 48)  # 58 mm and 80 mm paper
RECEIPT_COPIES = ("merchant", "customer")


@dataclass(frozen=True)
class PrinterSettings:
    url: str = "sim://"
    columns: int = 48
    copies: tuple[str, ...] = ("customer",)
    status_timeout: float = 2.0  # seconds for the printer to answer DLE EOT before its state is unknown
    connect_timeout: float = 5.0  # seconds to open the port and to take a write
    status_every: float = 10.0  # seconds between status reads while no receipt is printing


@dataclass(frozen=True)
class StoreSettings:
    """The shop as its receipts, slips and customer messages name it."""

    name: str = "recoup"
    address: str = ""
    phone: str = ""
    footer: str = "谢谢惠顾 Thank you"
    qr: str = ""

    @property
    def contact_line(self) -> str:
        return " · ".join(part for part in (self.name, self.phone) if part)


@dataclass(frozen=True)
class JournalSettings:
    path: Path = field(default_factory=lambda: default_data_dir() / "journal.sqlite")


@dataclass(frozen=True)
class ContactSettings:
    key_file: Path = field(default_factory=lambda: default_data_dir() / "contact.key")
    retention_days: int = 90
    default_region: str = "CN"


@dataclass(frozen=True)
class CardSettings:
    hash_key_file: Path = field(default_factory=lambda: default_data_dir() / "card-hash.key")


@dataclass(frozen=True)
class Settings:
    profile: str = "simulated"
    source: Path | None = None
    reader: ReaderSettings = field(default_factory=ReaderSettings)
    host: HostSettings = field(default_factory=HostSettings)
    printer: PrinterSettings = field(default_factory=PrinterSettings)
    store: StoreSettings = field(default_factory=StoreSettings)
    cases: CaseSettings = field(default_factory=CaseSettings)
    reconcile: ReconcileSettings = field(default_factory=ReconcileSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    journal: JournalSettings = field(default_factory=JournalSettings)
    contacts: ContactSettings = field(default_factory=ContactSettings)
    cards: CardSettings = field(default_factory=CardSettings)


def default_config_path() -> Path:
    return Path(platformdirs.user_config_dir(APP)) / "recoup.toml"


def default_data_dir() -> Path:
    override = os.environ.get("RECOUP_DATA_DIR")
    return Path(override) if override else Path(platformdirs.user_data_dir(APP))


def _line_of(text: str, section: str | None, key: str) -> int | None:
    """The line a key is set on, so a type error can point at it (tomllib reports syntax errors only)."""
    current: str | None = None
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]\s*(#.*)?", stripped)
        if header:
            current = header.group(1)
        elif current == section and re.match(rf"{re.escape(key)}\s*=", stripped):
            return number
    return None


class _Reader:
    """Takes typed values out of one parsed section and reports problems with their location."""

    def __init__(self, path: Path, text: str, data: dict[str, Any], section: str | None):
        self.path, self.text, self.section = path, text, section
        self.data = data

    def where(self, key: str | None = None) -> str:
        name = f"{self.section}.{key}" if self.section and key else (key or f"[{self.section}]")
        line = _line_of(self.text, self.section, key) if key else None
        return f"{self.path}:{line}: {name}" if line else f"{self.path}: {name}"

    def fail(self, key: str | None, problem: str) -> ConfigError:
        return ConfigError(f"{self.where(key)}: {problem}")

    def check_keys(self, allowed: tuple[str, ...]) -> None:
        for key in self.data:
            if key not in allowed:
                raise self.fail(key, f"unknown key; expected one of: {', '.join(allowed)}")

    def get(self, key: str, kind: type, default: Any) -> Any:
        if key not in self.data:
            return default
        value = self.data[key]
        if kind is int and (isinstance(value, bool) or not isinstance(value, int)):
            raise self.fail(key, f"must be a whole number, got {value!r}")
        if kind is str and not isinstance(value, str):
            raise self.fail(key, f"must be a quoted string, got {value!r}")
        if kind is float:
            seconds = _seconds(value)
            if seconds is None:
                raise self.fail(key, f"must be a number of seconds, got {value!r}")
            if seconds <= 0:
                raise self.fail(key, f"must be more than 0 seconds, got {value}")
            return seconds
        return value

    def choice(self, key: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.get(key, str, default)
        if value not in allowed:
            raise self.fail(key, f"must be one of {', '.join(allowed)}; got {value!r}")
        return value

    def path_value(self, key: str, default: Path) -> Path:
        value = self.get(key, str, None)
        if value is None:
            return default
        if "\0" in value:
            raise self.fail(key, "a path cannot hold a NUL character (\\u0000)")
        try:
            resolved = Path(value).expanduser()
        except RuntimeError as exc:  # ~user of no such user, or no home directory at all
            raise self.fail(key, f"cannot expand {value!r}: {exc}") from None
        return resolved if resolved.is_absolute() else (self.path.parent / resolved)


def _seconds(value: Any) -> float | None:
    """A TOML number as finite seconds, or None: nan and inf are numbers to TOML, and a timer set to
    either never fires."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        seconds = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return seconds if math.isfinite(seconds) else None


def load(path: str | os.PathLike[str] | None = None) -> Settings:
    """Load the config file; no file (and none named) means the simulated defaults."""
    explicit = path is not None
    path = Path(path) if explicit else default_config_path()
    if not path.exists():
        if explicit:
            raise ConfigError(f"{path}: no such config file")
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.object[exc.start]:#04x})") from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except RecursionError:
        raise ConfigError(f"{path}: arrays or tables nested hundreds deep; no setting nests like that") from None
    except ValueError as exc:  # not a TOMLDecodeError: an integer longer than Python converts
        digits = sys.get_int_max_str_digits()
        long = re.search(rf"\d{{{digits + 1},}}", text)
        if long is None:
            raise ConfigError(f"{path}: {exc}") from None
        line = text.count("\n", 0, long.start()) + 1
        raise ConfigError(f"{path}:{line}: a number of more than {digits} digits") from None
    return parse(data, path, text)


def parse(data: dict[str, Any], path: Path, text: str) -> Settings:
    top = _Reader(path, text, data, None)
    top.check_keys(("profile", "reader", "host", "printer", "store", "cases", "reconcile", "notify", "journal",
                    "contacts", "cards"))
    for name in ("reader", "host", "printer", "store", "cases", "reconcile", "notify", "journal", "contacts", "cards"):
        if name in data and not isinstance(data[name], dict):
            raise top.fail(name, "must be a table, e.g. [" + name + "]")
    profile = top.choice("profile", PROFILES, "simulated")

    reader = _Reader(path, text, data.get("reader", {}), "reader")
    reader.check_keys(("url", "format", "baudrate"))
    default_url = "sim://" if profile == "simulated" else None
    url = reader.get("url", str, default_url)
    if url is None:
        raise reader.fail(None, "profile 'real' needs reader.url (a serial port or pyserial URL)")
    baudrate = reader.get("baudrate", int, 115200)
    if baudrate <= 0:
        raise reader.fail("baudrate", f"must be positive, got {baudrate}")

    host = _parse_host(_Reader(path, text, data.get("host", {}), "host"), profile)
    printer = _parse_printer(_Reader(path, text, data.get("printer", {}), "printer"), profile)
    store = _Reader(path, text, data.get("store", {}), "store")
    store.check_keys(("name", "address", "phone", "footer", "qr"))
    shop = StoreSettings(**{key: store.get(key, str, getattr(StoreSettings(), key)) for key in store.data})
    cases = _Reader(path, text, data.get("cases", {}), "cases")
    cases.check_keys(("quiet_start", "quiet_end", "followup_business_days", "first_followup_hours", "holidays",
                      "timezone"))
    try:
        follow_ups = CaseSettings(**cases.data)
    except CaseSettingsError as exc:
        raise cases.fail(exc.field.split("[")[0], exc.reason) from None
    notify = _parse_notify(_Reader(path, text, data.get("notify", {}), "notify"))
    reconcile = _parse_reconcile(path, text, data.get("reconcile", {}), follow_ups)

    journal = _Reader(path, text, data.get("journal", {}), "journal")
    journal.check_keys(("path",))
    contacts = _Reader(path, text, data.get("contacts", {}), "contacts")
    contacts.check_keys(("key_file", "retention_days", "default_region"))
    retention = contacts.get("retention_days", int, 90)
    if retention < 1:
        raise contacts.fail("retention_days", f"must be at least 1 day, got {retention}")
    region = contacts.get("default_region", str, "CN")
    if not re.fullmatch(r"[A-Z]{2}", region):
        raise contacts.fail("default_region", f"must be a two-letter region code such as CN, got {region!r}")
    cards = _Reader(path, text, data.get("cards", {}), "cards")
    cards.check_keys(("hash_key_file",))

    base = Settings()
    return Settings(
        profile=profile,
        source=path,
        reader=ReaderSettings(url=url, format=reader.choice("format", READER_FORMATS, "framed"),
                              baudrate=baudrate),
        host=host,
        printer=printer,
        store=shop,
        cases=follow_ups,
        reconcile=reconcile,
        notify=notify,
        journal=JournalSettings(path=journal.path_value("path", base.journal.path)),
        contacts=ContactSettings(key_file=contacts.path_value("key_file", base.contacts.key_file),
                                 retention_days=retention, default_region=region),
        cards=CardSettings(hash_key_file=cards.path_value("hash_key_file", base.cards.hash_key_file)),
    )


def _parse_reconcile(path: Path, text: str, data: dict[str, Any], cases: CaseSettings) -> ReconcileSettings:
    """How the settlement file is read. Its holidays are the store's ([cases]) unless the bank's differ."""
    section = _Reader(path, text, data, "reconcile")
    section.check_keys(("settle_after_days", "holidays", "columns", "encoding", "delimiter", "date_format",
                        "amount_unit"))
    values = dict(data)
    values.setdefault("holidays", cases.holidays)
    try:
        return ReconcileSettings(**values)
    except ReconcileSettingsError as exc:
        if exc.field.startswith("columns."):
            columns = _Reader(path, text, data.get("columns", {}), "reconcile.columns")
            raise columns.fail(exc.field.removeprefix("columns."), exc.reason) from None
        raise section.fail(exc.field.split("[")[0], exc.reason) from None


def _parse_notify(section: _Reader) -> NotifySettings:
    """The channels beyond the outbox. Passwords and tokens are never in the file: it names the
    environment variables that hold them."""
    texts = ("smtp_host", "smtp_user", "smtp_password_env", "smtp_from", "sms_url", "sms_token_env",
             "sms_token_header", "sms_token_scheme")
    seconds = ("smtp_timeout", "sms_timeout")
    section.check_keys((*texts, *seconds, "smtp_port", "smtp_starttls", "smtp_cafile", "sms_body", "retry_backoff"))
    values: dict[str, Any] = {key: section.get(key, str, None) for key in texts if key in section.data}
    values.update({key: section.get(key, float, None) for key in seconds if key in section.data})
    if "smtp_port" in section.data:
        values["smtp_port"] = section.get("smtp_port", int, None)
    if "smtp_starttls" in section.data:
        if not isinstance(section.data["smtp_starttls"], bool):
            raise section.fail("smtp_starttls", f"must be true or false, got {section.data['smtp_starttls']!r}")
        values["smtp_starttls"] = section.data["smtp_starttls"]
    if "smtp_cafile" in section.data:
        values["smtp_cafile"] = section.path_value("smtp_cafile", Path())
    if "sms_body" in section.data:
        if not isinstance(section.data["sms_body"], dict):
            raise section.fail("sms_body", 'must be a table, e.g. sms_body = { to = "{to}", text = "{text}" }')
        values["sms_body"] = section.data["sms_body"]
    if "retry_backoff" in section.data:
        backoff = section.data["retry_backoff"]
        delays = [_seconds(s) for s in backoff] if isinstance(backoff, list) else [None]
        if None in delays:
            raise section.fail("retry_backoff", f"must be a list of seconds, e.g. [60, 300, 1800]; got {backoff!r}")
        values["retry_backoff"] = tuple(delays)
    try:
        return NotifySettings(**values)
    except ValueError as exc:
        key = next((key for key in values if str(exc).startswith(key)), None)
        raise section.fail(key, str(exc)) from None


def _parse_printer(section: _Reader, profile: str) -> PrinterSettings:
    section.check_keys(("url", "columns", "copies", "status_timeout", "connect_timeout", "status_every"))
    base = PrinterSettings()
    url = section.get("url", str, "sim://" if profile == "simulated" else None)
    if url is None:
        raise section.fail(None, "profile 'real' needs printer.url, e.g. tcp://192.168.1.50:9100, "
                                 "serial:COM3?baudrate=19200, usb://04b8:0202 or file:///dev/usb/lp0")
    if url != "sim://":
        from drivers.printer.port import open_port
        try:
            open_port(url)  # parses the URL; opens nothing
        except ValueError as exc:
            raise section.fail("url", str(exc)) from None
    columns = section.get("columns", int, base.columns)
    if columns not in PRINTER_COLUMNS:
        raise section.fail("columns", f"must be 32 (58 mm paper) or 48 (80 mm paper), got {columns}")
    copies = section.get("copies", list, list(base.copies))
    if not isinstance(copies, list) or not copies or any(copy not in RECEIPT_COPIES for copy in copies) \
            or len(set(copies)) != len(copies):
        raise section.fail("copies", f"must be a list of distinct copies from {', '.join(RECEIPT_COPIES)}, "
                                     f"e.g. [\"merchant\", \"customer\"]; got {copies!r}")
    return PrinterSettings(url=url, columns=columns, copies=tuple(copies),
                           status_timeout=section.get("status_timeout", float, base.status_timeout),
                           connect_timeout=section.get("connect_timeout", float, base.connect_timeout),
                           status_every=section.get("status_every", float, base.status_every))


def _parse_host(section: _Reader, profile: str) -> HostSettings:
    from domain.money import EXPONENTS
    from drivers.host.codec import SPECS

    section.check_keys(("url", "terminal_id", "merchant_id", "currency", "spec", "connect_timeout",
                        "auth_timeout", "echo_interval", "echo_deadline", "reversal_escalate_after"))
    base = HostSettings()
    url = section.get("url", str, "sim://" if profile == "simulated" else None)
    if url is None:
        raise section.fail(None, "profile 'real' needs host.url, e.g. tcp://acquirer.example:5000")
    if url != "sim://" and not re.fullmatch(r"tcp://(\[[0-9a-fA-F:]+\]|[^:/\s]+):\d{1,5}", url):
        raise section.fail("url", f"must be tcp://HOST:PORT (or sim:// for the built-in acquirer), got {url!r}")
    terminal_id = section.get("terminal_id", str, base.terminal_id)
    if len(terminal_id) != 8 or not terminal_id.isascii() or not terminal_id.isprintable():
        raise section.fail("terminal_id", f"must be 8 printable ASCII characters (field 41), got {terminal_id!r}")
    merchant_id = section.get("merchant_id", str, base.merchant_id)
    if len(merchant_id) != 15 or not merchant_id.isascii() or not merchant_id.isprintable():
        raise section.fail("merchant_id", f"must be 15 printable ASCII characters (field 42), got {merchant_id!r}")
    currency = section.get("currency", str, base.currency)
    if currency not in EXPONENTS:
        raise section.fail("currency", f"unknown ISO 4217 code {currency!r}")
    spec = section.choice("spec", tuple(sorted(SPECS)), base.spec)
    escalate = section.get("reversal_escalate_after", int, base.reversal_escalate_after)
    if escalate < 1:
        raise section.fail("reversal_escalate_after", f"must be at least 1, got {escalate}")
    return HostSettings(
        url=url, terminal_id=terminal_id, merchant_id=merchant_id, currency=currency, spec=spec,
        connect_timeout=section.get("connect_timeout", float, base.connect_timeout),
        auth_timeout=section.get("auth_timeout", float, base.auth_timeout),
        echo_interval=section.get("echo_interval", float, base.echo_interval),
        echo_deadline=section.get("echo_deadline", float, base.echo_deadline),
        reversal_escalate_after=escalate,
    )
