"""Fuzz targets for the files a person writes: scenario files and the agent's config.

Each is fed mutations of a real, valid file — every scenario in the library, a config with every section
set — edited as a file goes wrong in an editor (lines dropped, repeated, moved, re-indented, values
replaced by the awkward ones: nan, inf, numbers of thousands of digits, anchors and aliases, NUL, `~user`)
and as it goes wrong on a disk (bytes flipped, cut short). Only the loader's own error may come out, and
what loads must be usable: a scenario dumped and loaded again has the same steps, and a config's seconds
are finite and positive.
"""

from __future__ import annotations

import dataclasses
import math
import tempfile
from functools import cache
from pathlib import Path

from agent.config import ConfigError
from agent.config import load as load_config
from bench.fuzz_mutations import Choices, Target, Violation, mutate, mutate_lines, pick
from simulator.replay.scenario import ScenarioError, dump, parse
from simulator.replay.steps import STEPS, ExpectStep

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


# -- the scenario loader ---------------------------------------------------------------------------------

@cache
def _scenario_files() -> list[bytes]:
    return [path.read_bytes() for path in sorted(SCENARIOS.glob("*.yaml"))]


YAML_VALUES = (b"", b"~", b"null", b"[]", b"{}", b"[", b"{", b"&a x", b"*a", b"&a [*a]", b"[a]", b"? [a]", b"9" * 30,
               b"inf", b".inf", b"-1", b"0", b"0s", b"58.001", b"58,00", b"yes", b"no", b"'x'", b'"\\u0000"',
               b"!!binary AAAA", b"!!python/name:os.system", b"|\n  x", b"- [x, y]", b"{a: 1, b: 2}", b"99999999999d",
               b"1e9999", "重打印".encode(), b"\t", b"\\", b"{[a]: b}", b"[a]: b", b"9" * 4400)


@cache
def _yaml_tokens() -> tuple[bytes, ...]:
    words = [*STEPS, *ExpectStep.CHECKS, "within", "sale", "as", "amount", "name", "steps", "seed", "start"]
    return (*(f"{word}: ".encode() for word in words), b"\n  - ", b"\n    ", b": ", b"- ", b"[", b"]", b"{", b"}", b",",
            b"&a ", b"*a", b"? ", b"'", b'"', b"#", b"---\n", b"...\n", b"%YAML 1.1\n", b"!!", b"\xef\xbb\xbf")


def _scenario_generate(choices: Choices) -> bytes:
    text = pick(choices, _scenario_files())
    if choices.below(2):
        text = mutate_lines(text, choices, YAML_VALUES)
    return mutate(text, choices, _yaml_tokens(), most=3) if choices.below(2) else text


def _scenario_run(data: bytes) -> list[str]:
    path = Path("fuzzed.yaml")
    try:
        scenario = parse(data.decode("utf-8", "replace"), path)
    except ScenarioError:
        return ["ScenarioError"]
    written = dump(scenario.name, list(scenario.steps), seed=scenario.seed, reader_format=scenario.reader_format)
    try:
        again = parse(written, path)
    except ScenarioError as exc:
        raise Violation(f"a scenario that loads does not load again once dumped: {exc}") from None
    if again.steps != scenario.steps:
        raise Violation("a scenario dumped and loaded again has other steps")
    return ["Scenario"] + [type(step).__name__ for step in scenario.steps]


# -- the config loader -----------------------------------------------------------------------------------

VALID_CONFIG = b"""profile = "real"

[reader]
url = "/dev/serial/by-id/usb-IDTECH_MSR-if00"
format = "msr"
baudrate = 9600

[host]
url = "tcp://10.0.0.9:5000"
terminal_id = "TERM0001"
merchant_id = "MERCHANT0000001"
currency = "CNY"
spec = "default_ascii"
connect_timeout = 5
auth_timeout = 30
echo_interval = 5
echo_deadline = 2.5
reversal_escalate_after = 5

[printer]
url = "tcp://192.168.1.50:9100"
columns = 48
copies = ["merchant", "customer"]
status_timeout = 2
connect_timeout = 5
status_every = 10

[store]
name = "\xe7\xa4\xba\xe4\xbe\x8b\xe4\xbe\xbf\xe5\x88\xa9\xe5\xba\x97"
address = "Nanjing Road 1"
phone = "021-5555 0000"
footer = "Thank you"
qr = "https://e.example.com/r"

[cases]
quiet_start = "21:00"
quiet_end = "09:00"
followup_business_days = 1
first_followup_hours = 2
holidays = [2026-10-01, 2026-10-02]
timezone = "Asia/Shanghai"

[reconcile]
settle_after_days = 1
encoding = "gbk"
delimiter = ","
date_format = "%Y%m%d"
amount_unit = "minor"
columns = { rrn = "RRN", amount = "AMOUNT" }

[notify]
smtp_host = "smtp.example.com"
smtp_port = 587
smtp_from = "store@example.com"
smtp_user = "store@example.com"
smtp_password_env = "RECOUP_SMTP_PASSWORD"
smtp_timeout = 10
sms_url = "https://sms-gateway.example/send"
sms_token_env = "RECOUP_SMS_TOKEN"
retry_backoff = [60, 300, 1800]

[journal]
path = "data/journal.sqlite"

[contacts]
key_file = "data/contact.key"
retention_days = 90
default_region = "CN"

[cards]
hash_key_file = "data/card-hash.key"
"""
TOML_VALUES = (b"nan", b"inf", b"-inf", b"+nan", b"0", b"-1", b"0.0", b"1e309", b"9" * 30, b'""', b"[]", b"{}",
               b"true", b"1979-05-27", b"07:32:00", b"1979-05-27T07:32:00Z", b'"~nouser/x"', b'"a\\u0000b"',
               b"{ a = { b = 1 } }", b"'''x'''", b"0x10", b"1_000", b'[1, "a"]', b'"tcp://[::1]:1"', b'"sim://"',
               b'"tcp://a:0"', b'"serial:COM3?baudrate=x"', b'"usb://zz:zz"', b'"Nope/Nowhere"', b'"25:00"',
               b'["merchant", "merchant"]', b"[2026-02-30]", b'"\xe4\xb8\xad"', b'"\\t"', b"9" * 4400)
TOML_TOKENS = (b"[", b"]", b"[[", b"]]", b"{", b"}", b" = ", b"\n", b'"', b"'", b"#", b",", b".", b"nan", b"inf",
               b"\n[host]\n", b"\n[printer]\n", b"\n[cases]\n", b"\n[notify]\n", b"\n[reconcile]\n", b"\xef\xbb\xbf")


def _config_generate(choices: Choices) -> bytes:
    text = VALID_CONFIG
    if choices.below(3):
        text = mutate_lines(text, choices, TOML_VALUES)
    return mutate(text, choices, TOML_TOKENS, most=3) if choices.below(2) else text


@cache
def _config_folder() -> tempfile.TemporaryDirectory:
    """Where each input is written to be loaded as a file is; removed when the process ends."""
    return tempfile.TemporaryDirectory(prefix="recoup-fuzz-")


def _config_run(data: bytes) -> list[str]:
    path = Path(_config_folder().name) / "recoup.toml"
    path.write_bytes(data)
    try:
        settings = load_config(path)
    except ConfigError:
        return ["ConfigError"]
    for section in (settings.host, settings.printer, settings.notify):
        for item in dataclasses.fields(section):
            value = getattr(section, item.name)
            for seconds in value if isinstance(value, tuple) else (value,):
                if isinstance(seconds, float) and not (math.isfinite(seconds) and seconds > 0):
                    raise Violation(f"{type(section).__name__}.{item.name} = {value} was accepted")
    return ["Settings"]


TARGETS = (
    Target("scenario", "scenario loader", _scenario_generate, _scenario_run, ".yaml"),
    Target("config", "config loader", _config_generate, _config_run, ".toml"),
)
