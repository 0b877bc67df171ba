"""Every input the fuzzers found that broke a core, kept: each once got out as an exception that was not
the core's own (or was accepted when it cannot be used), and must now be refused by name.

Found by `python -m bench.fuzz` (and its Hypothesis subset in test_cores.py); shrunk by hand to the
smallest input that failed the same way. Each is also run through its fuzz target, which checks the rest
of what that core promises.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from agent.config import ConfigError
from agent.config import load as load_config
from bench.fuzz import TARGETS
from domain.card import card_numbers
from drivers.cardreader.framed import FramedReader
from drivers.cardreader.framing import encode_frame
from simulator.replay.scenario import ScenarioError, parse

PATH = Path("found.yaml")
TODAY = date(2026, 1, 5)


# A reader's status text and bad-read detail are its own words, shown and journaled as they came: a card
# number in them reached the screen in clear, and the journal's guard would refuse the event.
@pytest.mark.parametrize("payload, shown", [
    (b"SE4111111111111111=3012201", "error: 411111******1111=3012201"),
    (b"BCcard 5555-5555-5555-4444 unreadable", "the reader could not read the card (chip): card 555555******4444 "
                                               "unreadable"),
])
def test_a_card_number_in_the_readers_own_words_is_masked(payload, shown):
    reader = FramedReader()
    reader.receive_data(encode_frame(1, payload), 0.0)
    event = reader.next_event(TODAY)
    assert event.detail == shown and not card_numbers(repr(event))
    TARGETS["framed"].run(encode_frame(1, payload))

# What each once raised, and where, before it was fixed.
SCENARIOS = {
    # TypeError from sorting the keys of a step: a list as a key (`? [a]` or `{[a]: b}`) beside a text one.
    "a list as a step's key": b"name: n\nsteps:\n  - {[a]: 1, b: 2}\n",
    # RecursionError in PyYAML's composer.
    "lists nested 600 deep": b"name: n\nsteps:\n  - sale: " + b"[" * 600 + b"]" * 600 + b"\n",
    # RecursionError in scenario._plain, reading an alias inside its own anchor without end.
    "an alias inside its own anchor": b"name: n\nsteps:\n  - sale: 58.00\n  - expect:\n      ledger: &a [*a]\n",
    # ValueError from int(): Python refuses to convert more than 4300 digits.
    "a count of 5000 digits": b"name: n\nsteps:\n  - sale: 1\n  - expect: {receipts: " + b"9" * 5000 + b"}\n",
    "a journal count of 5000 digits": b"name: n\nsteps:\n  - expect: {journal: {sale_started: " + b"9" * 5000
                                      + b"}}\n",
    # Accepted as `advance: inf` — a step the virtual clock never finishes; dumped as 'infms', unreadable.
    "a duration past float": b"name: n\nsteps:\n  - advance: " + b"9" * 400 + b"s\n",
    # Accepted, and written back by dump() as another number (1.0000000000000001e+180 seconds).
    "a duration of 1e175 days": b"name: n\nsteps:\n  - advance: 1" + b"0" * 175 + b"d\n",
}


def billion_laughs(levels: int) -> bytes:
    """Ten values, each level ten aliases of the one before: 10**levels values from a few hundred bytes."""
    anchors = [b"&a0 [x, x, x, x, x, x, x, x, x, x]"] + [
        b"&a%d [" % n + b", ".join([b"*a%d" % (n - 1)] * 10) + b"]" for n in range(1, levels + 1)]
    return b"name: n\nsteps:\n  - expect: {receipt: [" + b", ".join(anchors) + b"]}\n"


# Read in full before any check: 10**7 values, about twenty seconds and gigabytes, from 400 bytes.
SCENARIOS["aliases of aliases, 10**7 values"] = billion_laughs(6)


@pytest.mark.parametrize("found", sorted(SCENARIOS))
def test_a_scenario_that_broke_the_loader_is_refused_by_name(found):
    with pytest.raises(ScenarioError) as refused:
        parse(SCENARIOS[found].decode(), PATH)
    assert str(refused.value).startswith(f"{PATH}:")
    TARGETS["scenario"].run(SCENARIOS[found])


@pytest.mark.parametrize("text, words", [
    ("name: n\nsteps:\n  - {[a]: 1, b: 2}\n", "found.yaml:3: step 1: a step is one key and its value"),
    ("name: n\nsteps:\n  - sale: 1\n  - expect: {receipts: 1234567890}\n",
     "found.yaml:4: step 2, key 'receipts': a count of 10 digits; 9 at most"),
    ("name: n\nsteps:\n  - advance: 3651d\n", "found.yaml:3: step 1, key 'advance': '3651d' is longer than a replay "
                                               "can run; 3650d at most"),
    ("name: n\nsteps:\n  - sale: 1\n  - expect:\n      ledger: &a [*a]\n", "found.yaml:5: nested more than 32 deep"),
])
def test_the_refusal_names_the_line_step_and_key(text, words):
    with pytest.raises(ScenarioError, match=words.replace("(", r"\(")):
        parse(text, PATH)


def test_aliases_that_expand_past_the_limit_are_refused_before_they_are_read():
    with pytest.raises(ScenarioError, match="stands for more than 20000 values once its aliases are expanded"):
        parse(billion_laughs(6).decode(), PATH)


def test_an_alias_used_as_a_person_would_still_reads():
    scenario = parse('name: n\nsteps:\n  - sale: 58.00\n  - expect: {receipt: &paid ["CNY 58.00", "APPROVED"]}\n'
                     "  - restart: agent\n  - expect: {receipt: *paid}\n", PATH)
    assert scenario.steps[1] == scenario.steps[3]


CONFIGS = {
    # RecursionError in tomllib.
    "arrays nested 3000 deep": "[store]\nname = " + "[" * 3000 + "]" * 3000 + "\n",
    "inline tables nested 3000 deep": "x = " + "{a=" * 3000 + "1" + "}" * 3000 + "\n",
    # ValueError (not TOMLDecodeError) from tomllib: more digits than Python converts.
    "an integer of 5000 digits": "[host]\nreversal_escalate_after = " + "9" * 5000 + "\n",
    # Accepted: a timer of nan or inf seconds never fires, so an authorization would wait for ever.
    "a timeout of nan seconds": "[host]\nauth_timeout = nan\n",
    "a timeout of inf seconds": "[printer]\nstatus_timeout = inf\n",
    "a retry of inf seconds": "[notify]\nretry_backoff = [60, inf]\n",
    # OverflowError from float().
    "a timeout of 400 digits": "[host]\necho_deadline = 1" + "0" * 400 + "\n",
    "a retry of 400 digits": "[notify]\nretry_backoff = [1" + "0" * 400 + "]\n",
    # RuntimeError from Path.expanduser.
    "the home of no such user": '[journal]\npath = "~no-such-user-here/journal.sqlite"\n',
    # Accepted: opening the file later fails with ValueError, "embedded null byte".
    "a NUL in a path": '[contacts]\nkey_file = "data/\\u0000contact.key"\n',
}


def skip_a_home_windows_makes_up(text: str) -> None:
    if '"~' in text and os.name == "nt":
        pytest.skip("Windows expands ~user from the current user's home without asking whether the user exists")


@pytest.mark.parametrize("found", sorted(CONFIGS))
def test_a_config_that_broke_the_loader_is_refused_by_name(found, tmp_path):
    skip_a_home_windows_makes_up(CONFIGS[found])
    path = tmp_path / "recoup.toml"
    path.write_text(CONFIGS[found], encoding="utf-8")
    with pytest.raises(ConfigError) as refused:
        load_config(path)
    assert str(refused.value).startswith(f"{path}")
    TARGETS["config"].run(CONFIGS[found].encode())


@pytest.mark.parametrize("text, words", [
    ("[host]\n\nreversal_escalate_after = " + "9" * 5000 + "\n", r"recoup.toml:3: a number of more than 4300 digits"),
    ("[host]\nauth_timeout = nan\n", r"recoup.toml:2: host.auth_timeout: must be a number of seconds, got nan"),
    ("[printer]\nstatus_every = -inf\n", r"recoup.toml:2: printer.status_every: must be a number of seconds"),
    ("[notify]\nretry_backoff = [60, inf]\n", r"recoup.toml:2: notify.retry_backoff: must be a list of seconds"),
    ('[journal]\npath = "~nobody-here/j"\n', r"recoup.toml:2: journal.path: cannot expand '~nobody-here/j'"),
    ('[cards]\nhash_key_file = "a\\u0000b"\n', r"recoup.toml:2: cards.hash_key_file: a path cannot hold a NUL"),
    ("x = " + "[" * 3000 + "]" * 3000 + "\n", r"recoup.toml: arrays or tables nested hundreds deep"),
])
def test_the_config_refusal_names_the_line_and_key(tmp_path, text, words):
    skip_a_home_windows_makes_up(text)
    path = tmp_path / "recoup.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=words):
        load_config(path)


def test_a_nul_in_the_settlement_files_encoding_is_refused_by_name(tmp_path):
    path = tmp_path / "recoup.toml"
    path.write_text('[reconcile]\nencoding = "gb\\u0000k"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"reconcile\.encoding"):
        load_config(path)


def test_an_amount_of_4400_digits_is_refused_by_name():
    with pytest.raises(ScenarioError, match="key 'sale'"):
        parse("name: n\nsteps:\n  - sale: " + "9" * 4400 + "\n", PATH)
