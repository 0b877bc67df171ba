"""Scenario files are checked whole before anything runs, and every problem names the file, the line, the
step and the key; what `dump` writes, `load` reads back as the same steps."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.money import Money
from simulator.replay.scenario import ScenarioError, dump, load, parse
from simulator.replay.steps import (
    LAST,
    AcquirerStep,
    ActionStep,
    AdvanceStep,
    ContactStep,
    ExpectStep,
    NotifyStep,
    PrinterStep,
    ReaderStep,
    RestartStep,
    SaleStep,
    UnpaidStep,
    WrongCardStep,
)

PATH = Path("scenarios/x.yaml")


def problem(text: str) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        parse(text, PATH)
    return caught.value


def test_a_whole_scenario_reads_as_its_steps():
    scenario = parse("""\
# a comment naming the case
name: network drop
seed: 7
start: 2026-05-04T18:30:00+08:00
steps:
  - sale: {amount: "58.00", reference: A-17, as: first}
  - acquirer: fault drop
  - reader: present visa chip
  - expect: {flow: network_drop, state: outcome_unknown, ledger: {visa: 58.00}}
    within: 1m
  - action: customer_leaves
  - contact: {name: 王芳, phone: "139 1234 5678", consent: yes}
  - advance: 1.5s
  - printer: paper end after 400
  - restart: agent
  - notify: send
  - unpaid: {sale: first, receipt: T-1002}
  - wrong_card: first
  - expect: {sale: first, case: closed, journal: {reversal_acknowledged: 1}, no_receipt: DUPLICATE}
""", PATH)
    assert (scenario.name, scenario.seed) == ("network drop", 7)
    assert scenario.start.isoformat() == "2026-05-04T18:30:00+08:00"
    steps = scenario.steps
    assert steps[0] == SaleStep(Money.parse("58.00"), "A-17", "first")
    assert steps[1] == AcquirerStep("fault drop")
    assert steps[3] == ExpectStep((("flow", "network_drop"), ("state", "OUTCOME_UNKNOWN"),
                                   ("ledger", (("visa", Money.parse("58.00")),))), LAST, 60.0)
    assert steps[5] == ContactStep((("name", "王芳"), ("phone", "139 1234 5678"), ("consent", "yes")))
    assert steps[5].form() == {"name": "王芳", "phone": "139 1234 5678", "consent": True}
    assert steps[6] == AdvanceStep(1.5)
    assert steps[7] == PrinterStep("paper end after 400")
    assert (steps[8], steps[9]) == (RestartStep(), NotifyStep())
    assert steps[10] == UnpaidStep("first", "T-1002")
    assert steps[11] == WrongCardStep("first")
    assert steps[12].sale == "first" and dict(steps[12].checks)["journal"] == (("reversal_acknowledged", 1),)
    assert [step.line for step in steps][:3] == [6, 7, 8]


def test_money_is_read_as_written_never_as_a_float():
    scenario = parse("name: n\nsteps:\n  - sale: 0.10\n", PATH)
    assert scenario.steps[0].amount.minor == 10
    err = problem("name: n\nsteps:\n  - expect: {ledger: {visa: 1e2}}\n")
    assert (err.line, err.step, err.key) == (3, 1, "visa") and "'1e2' is not an amount" in str(err)


@pytest.mark.parametrize(("text", "line", "step", "key", "words"), [
    ("name: n\nsteps:\n  - sael: 58\n", 3, 1, "sael", "unknown step; steps are sale, action"),
    ("name: n\nsteps:\n  - sale: 58\n  - advance: 30 seconds\n", 4, 2, "advance", "'30 seconds' is not a duration"),
    ("name: n\nsteps:\n  - sale: -5\n", 3, 1, "sale", "is not an amount"),
    ("name: n\nsteps:\n  - sale: 0\n", 3, 1, "sale", "more than nothing"),
    ("name: n\nsteps:\n  - reader: present visaa\n", 3, 1, "reader", "word 2 'visaa': expected a card from the wallet"),
    ("name: n\nsteps:\n  - reader: present visa by-post\n", 3, 1, "reader", "word 3 'by-post'"),
    ("name: n\nsteps:\n  - printer: paper gone\n", 3, 1, "printer", "word 2 'gone': expected near or end or ok"),
    ("name: n\nsteps:\n  - printer: silent on after 5\n", 3, 1, "printer", "word 3 'after': unexpected"),
    ("name: n\nsteps:\n  - acquirer: faults drop\n", 3, 1, "acquirer", "word 1 'faults'"),
    ("name: n\nsteps:\n  - action: swipe_again\n", 3, 1, "action", "'swipe_again' is not an action"),
    ("name: n\nsteps:\n  - action: contact_saved\n", 3, 1, "action", "the contact step saves details"),
    ("name: n\nsteps:\n  - action: {action: cancel, method: cash}\n", 3, 1, "method", "only other_payment"),
    ("name: n\nsteps:\n  - contact: {name: 王芳}\n", 3, 1, "consent", "kept only with the customer's consent"),
    ("name: n\nsteps:\n  - contact: {name: 王芳, consent: maybe}\n", 3, 1, "consent", "'maybe' is not true or false"),
    ("name: n\nsteps:\n  - contact: {nmae: x, consent: true}\n", 3, 1, "nmae", "unknown key; contact takes name"),
    ("name: n\nsteps:\n  - expect: {flow: network-drop}\n", 3, 1, "flow", "'network-drop' is not a flow"),
    ("name: n\nsteps:\n  - expect: {state: SWIPED}\n", 3, 1, "state", "'SWIPED' is no flow's state"),
    ("name: n\nsteps:\n  - expect: {prompt: network.outcome}\n", 3, 1, "prompt", "near it: network."),
    ("name: n\nsteps:\n  - expect: {receipts: two}\n", 3, 1, "receipts", "'two' is not a whole number"),
    ("name: n\nsteps:\n  - expect: {ledger: {amex2: 1}}\n", 3, 1, "amex2", "unknown key; ledger takes visa"),
    ("name: n\nsteps:\n  - expect: {case: shut}\n", 3, 1, "case", "expected one of open, closed, none"),
    ("name: n\nsteps:\n  - expect: {notification: {state: sent}}\n", 3, 1, "template", "missing: which message"),
    ("name: n\nsteps:\n  - expect: {}\n", 3, 1, "expect", "nothing to check"),
    ("name: n\nsteps:\n  - expect: {flow: sale}\n    within: soon\n", 4, 1, "within", "'soon' is not a duration"),
    ("name: n\nsteps:\n  - expect: {flow: sale, within: 1s}\n    within: 2s\n", 4, 1, "within", "given twice"),
    ("name: n\nsteps:\n  - sale: 5\n    advance: 1s\n", 3, 1, None, "a step is one key and its value"),
    ("name: n\nsteps:\n  - wrong_card: first\n", 3, 1, "sale", "no earlier sale step is called 'first'"),
    ("name: n\nsteps:\n  - sale: {amount: 5, as: a}\n  - sale: {amount: 6, as: a}\n", 4, 2, "as", "already called"),
    ("name: n\nsteps:\n  - sale: {amount: 5, as: last}\n", 3, 1, "as", "always means the latest sale"),
    ("name: n\nsteps:\n  - restart: reader\n", 3, 1, "restart", "only the agent restarts"),
    ("name: n\nstep:\n  - sale: 5\n", 2, None, "step", "unknown key; a scenario has name, seed"),
    ("name: n\nseed: x\nsteps:\n  - sale: 5\n", 2, None, "seed", "'x' is not a seed"),
    ("name: n\nstart: 2026-05-04T18:30:00\nsteps:\n  - sale: 5\n", 2, None, "start", "with its UTC offset"),
    ("name: n\nreader_format: usb\nsteps:\n  - sale: 5\n", 2, None, "reader_format", "use framed or msr"),
    ("name: n\nsteps: []\n", 2, None, "steps", "at least one step"),
    ("steps:\n  - sale: 5\n", None, None, "name", "missing"),
    ("name: n\nsteps:\n  - sale: [5\n", 4, None, None, "not valid YAML"),
    ("- just a list\n", 1, None, None, "a scenario is a mapping"),
])
def test_every_problem_names_the_line_the_step_and_the_key(text, line, step, key, words):
    err = problem(text)
    assert (err.line, err.step, err.key) == (line, step, key), str(err)
    assert words in str(err)
    assert str(err).startswith(f"{PATH}{':' + str(line) if line else ''}: ")


def test_an_unreadable_file_is_a_scenario_error(tmp_path):
    missing = tmp_path / "gone.yaml"
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load(missing)
    binary = tmp_path / "bin.yaml"
    binary.write_bytes(b"\xff\xfe\x00name")
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load(binary)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_garbage_is_refused_with_a_scenario_error_and_nothing_else(text):
    with contextlib.suppress(ScenarioError):
        parse(text, PATH)


# -- what a recorded session writes, read back ---------------------------------------------------------------

_words = st.sampled_from(["first", "second", "third"])
_amounts = st.integers(1, 10_000_00).map(lambda minor: Money(minor))
_steps = st.one_of(
    st.builds(AdvanceStep, st.integers(1, 86_400 * 1000).map(lambda ms: ms / 1000)),
    st.builds(ReaderStep, st.sampled_from(["present visa chip", "present mastercard tap", "bad", "noise 32",
                                           "corrupt 0.05", "unplug", "replug"])),
    st.builds(PrinterStep, st.sampled_from(["paper end", "paper near", "paper ok", "cover open", "cover closed",
                                            "offline", "online", "silent on", "silent off", "paper end after 400"])),
    st.builds(AcquirerStep, st.sampled_from(["fault drop", "rule next 1 51", "link down", "link up"])),
    st.builds(ActionStep, st.sampled_from(["another_card", "customer_leaves", "cancel", "printer_fixed"])),
    st.builds(ActionStep, st.just("other_payment"), st.just(LAST), st.sampled_from(["cash", "qr"])),
    st.builds(ContactStep, st.just((("name", "王芳"), ("phone", "139 1234 5678"), ("consent", "true")))),
    st.just(ContactStep()),
    st.just(RestartStep()), st.just(NotifyStep()),
    st.builds(ExpectStep, st.lists(st.sampled_from([
        ("flow", "network_drop"), ("state", "APPROVED"), ("prompt", "sale.approved"), ("paused", True),
        ("receipts", 2), ("receipt", ("重打印", "58.00")), ("no_receipt", ("DUPLICATE",)),
        ("ledger", (("visa", Money(5800)), ("unionpay", Money(0)))), ("case", (("type", "wrong_card"),
                                                                               ("state", "open"))),
        ("notification", (("template", "network_drop.hold_released"), ("state", "sent"))),
        ("journal", (("reversal_acknowledged", None),)), ("journal", (("host_request", 2),)),
        ("no_journal", (("reversal_queued", None), ("case_opened", None)))]), min_size=1, max_size=4,
        unique_by=lambda check: check[0]).map(lambda checks: tuple(sorted(
            checks, key=lambda c: ExpectStep.CHECKS.index(c[0])))),
        st.just(LAST), st.one_of(st.none(), st.sampled_from([5.0, 60.0, 0.5]))),
)


@settings(max_examples=100, deadline=None)
@given(st.lists(_amounts, min_size=1, max_size=3), st.lists(_steps, max_size=12), _words)
def test_a_dumped_scenario_loads_back_as_the_same_steps(amounts, steps, name):
    sales = [SaleStep(amount, alias=f"s{n}" if n else None) for n, amount in enumerate(amounts)]
    written = [*sales, *steps, WrongCardStep("s1" if len(sales) > 1 else LAST), UnpaidStep(LAST, "T-9")]
    text = dump(f"recorded {name}", written, about="A session recorded by hand.\nSecond line.")
    assert text.startswith("# A session recorded by hand.\n# Second line.\n")
    assert parse(text, PATH).steps == tuple(written)
