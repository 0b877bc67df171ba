"""What the simulator says in words: a typed step checked as the scenario loader checks it, and the agent's
journal events as log lines — the facts a QA engineer looks for, never a card number or a cipher text."""

from __future__ import annotations

import pytest

from simulator.app.journal_log import describe
from simulator.app.typed import TypedStepError, typed_step
from simulator.replay.steps import AcquirerStep, ExpectStep, RestartStep


def test_a_typed_step_is_the_step_a_scenario_would_write():
    assert typed_step("acquirer: fault late 35") == AcquirerStep("fault late 35")
    assert typed_step("  restart: agent ") == RestartStep()
    expect = typed_step("expect: {ledger: {visa: 0.00}, within: 30s}")
    assert isinstance(expect, ExpectStep) and expect.within == 30 and expect.line is None


@pytest.mark.parametrize(("line", "said"), [
    ("", "type a step as in a scenario file"),
    ("bogus: 1", "key 'bogus': unknown step; steps are sale, action"),
    ("sale: 12.345", "key 'sale': '12.345' is not an amount"),
    ("reader: present nocard", "key 'reader': word 2 'nocard': expected a card from the wallet"),
    ("advance: 30s\n  - advance: 1s", "one step at a time"),
])
def test_a_typed_step_that_cannot_be_taken_says_why(line, said):
    with pytest.raises(TypedStepError) as refused:
        typed_step(line)
    assert str(refused.value).startswith(said)


def test_a_journal_event_is_a_line_of_its_facts():
    flow = {"flow": {"flow": "network_drop", "state": "OUTCOME_UNKNOWN", "context": {"sale": {}}},
            "flow_id": "network_drop-2"}
    assert describe("flow_saved", "sale-1", flow) == "flow_saved [sale-1] network_drop → OUTCOME_UNKNOWN " \
                                                      "flow_id=network_drop-2"
    response = {"request": {"3": "000000", "11": "000002", "2": "411111******1111"},
                "response": {"3": "000000", "11": "000002", "39": "51"}, "tag": "sale-1"}
    assert describe("host_response", "sale-1", response) == \
        "host_response [sale-1] request(pc 000000, stan 000002) response(pc 000000, stan 000002, code 51)"
    contact = {"case_id": "network_drop-2", "ciphertext": "9sVhawx4t" * 10, "channel": "sms",
               "amount": {"currency": "CNY", "minor": 3000}, "note": "\x1b[2Jcleared"}
    assert describe("contact_recorded", "network_drop-2", contact) == \
        "contact_recorded [network_drop-2] channel=sms amount=CNY 30.00 note=cleared"
