"""The declined flow: one prompt and one set of next steps per response code."""

from __future__ import annotations

import pytest

from domain.effects import (
    CaptureContact,
    EscalateToManager,
    HandOver,
    HandOverReason,
    OpenCase,
    RecordPayment,
    ShowPrompt,
)
from flows import DeclinedFlow
from flows.prompts import catalogue
from tests.flows.samples import ACTION_NAMES, AMOUNT, SALE_ID, SENT, action, declined

EXPECTED = {
    "51": ("declined.insufficient_funds", {"another_card", "other_payment", "customer_leaves", "cancel"}),
    "54": ("declined.expired_card", {"another_card", "other_payment", "customer_leaves", "cancel"}),
    "14": ("declined.invalid_card", {"another_card", "other_payment", "customer_leaves", "cancel"}),
    "05": ("declined.do_not_honour", {"another_card", "other_payment", "customer_leaves", "cancel"}),
    "91": ("declined.issuer_unavailable", {"retry_card", "other_payment", "customer_leaves", "cancel"}),
    "96": ("declined.system_malfunction", {"retry_card", "other_payment", "customer_leaves", "cancel"}),
    "30": ("declined.format_error", {"retry_card", "other_payment", "customer_leaves", "cancel"}),
    "12": ("declined.other", {"another_card", "other_payment", "customer_leaves", "cancel"}),
    "Z9": ("declined.other", {"another_card", "other_payment", "customer_leaves", "cancel"}),
}


def opened(code: str) -> tuple[DeclinedFlow, list]:
    flow = DeclinedFlow("D1")
    return flow, flow.handle(declined(code))


@pytest.mark.parametrize("code", EXPECTED)
def test_each_code_has_its_prompt_with_the_facts(code):
    prompt_id, _ = EXPECTED[code]
    _, effects = opened(code)
    assert effects[-1] == ShowPrompt(prompt_id, {"amount": AMOUNT, "masked": "411111******1111", "time": SENT.sent_at,
                                                 "stan": "000007", "code": code})


@pytest.mark.parametrize("code", EXPECTED)
def test_each_code_takes_exactly_its_next_steps(code):
    _, steps = EXPECTED[code]
    assert set(catalogue().prompts[EXPECTED[code][0]].actions) == steps
    for name in ACTION_NAMES:
        flow, _ = opened(code)
        taken = bool(flow.handle(action(name)))
        assert taken == (name in steps), name


def test_a_format_error_alerts_the_manager_and_other_codes_do_not():
    _, effects = opened("30")
    assert effects[0] == EscalateToManager("D1", "host_response_30", declined("30").sale)
    for code in ("51", "91", "96", "Z9"):
        _, effects = opened(code)
        assert not any(isinstance(effect, EscalateToManager) for effect in effects)


@pytest.mark.parametrize(("code", "name", "reason"), [("51", "another_card", HandOverReason.ANOTHER_CARD),
                                                      ("91", "retry_card", HandOverReason.RETRY)])
def test_a_card_again_goes_back_to_the_sale(code, name, reason):
    flow, _ = opened(code)
    assert flow.handle(action(name)) == [HandOver("sale", reason, declined(code).sale)]
    assert flow.state.name == "HANDED_BACK"


def test_another_way_to_pay_is_recorded():
    flow, _ = opened("51")
    assert flow.handle(action("other_payment")) == [RecordPayment(SALE_ID, "cash", AMOUNT),
                                                    ShowPrompt("payment.recorded", flow.prompt().facts)]


@pytest.mark.parametrize(("answer", "contact_id"), [("contact_saved", "C1"), ("contact_declined", None)])
def test_a_customer_leaving_to_come_back_leaves_a_contact_and_a_case(answer, contact_id):
    flow, _ = opened("54")
    effects = flow.handle(action("customer_leaves"))
    assert effects[0] == CaptureContact("D1", "come_back")
    assert [e.prompt_id for e in effects[1:]] == ["declined.contact"]
    effects = flow.handle(action(answer))
    assert effects[0] == OpenCase("D1", "declined", (SALE_ID,), AMOUNT, SENT.masked, contact_id)
    assert effects[1].receipt_id == "D1-contact" and effects[1].document["type"] == "contact"
    assert flow.state.name == "CASE_OPENED"
