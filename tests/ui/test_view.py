"""What the screens say, without running the app: labels in both languages, the status line, the facts,
and the keys the prompts name."""

from datetime import UTC, datetime

import pytest

from agent.cases import Attempt, CaseRow
from agent.counter import Screen as CounterState
from agent.ui.labels import catalogue, label
from agent.ui.listing import attempt_cells, case_cells, sale_cells, sale_detail
from agent.ui.sales import SaleLine
from agent.ui.view import EntryProblem, facts_text, render, sale_entry, status_text, textual_key, till_receipt
from domain.effects import ShowPrompt
from domain.events import DeviceState, PrinterCondition, ReaderStatus
from domain.money import Money
from flows.prompts import LANGUAGES
from flows.prompts import catalogue as prompt_catalogue

APP_KEYS = {"enter", "f12", "ctrl+r", "ctrl+t", "ctrl+s", "ctrl+o", "ctrl+q", "tab", "shift+tab"}


def test_every_label_reads_in_both_languages():
    for key, texts in catalogue().items():
        assert set(texts) == set(LANGUAGES), key
        assert all(text.strip() for text in texts.values()), key


def test_every_prompt_action_has_a_key_the_app_can_bind_and_none_clashes_with_the_apps_own():
    keys = [textual_key(action.key) for action in prompt_catalogue().actions.values()]
    assert len(keys) == len(set(keys))
    assert all(key == "escape" or (key.startswith("f") and key[1:].isdigit()) for key in keys)
    assert not set(keys) & APP_KEYS


def test_the_status_line_names_each_device_and_the_round_trip():
    state = CounterState(reader=ReaderStatus(DeviceState.OFFLINE, "no \x1b[5mreply"),
                         printer=frozenset({PrinterCondition.PAPER_END, PrinterCondition.COVER_OPEN}), link_up=True)
    assert status_text(state, 12.5, "zh-CN").plain == \
        "读卡器 ● 离线  │  打印机 ● 纸仓盖打开、缺纸  │  银行 ● 已连接 12.5 毫秒"
    assert status_text(state, None, "en").plain.startswith("Reader ● offline (no reply)  │")
    assert status_text(CounterState(), None, "en").plain == \
        "Reader ● unknown  │  Printer ● unknown  │  Bank ● unknown"
    ok = CounterState(reader=ReaderStatus(DeviceState.ONLINE), printer=frozenset({PrinterCondition.OK}),
                      link_up=False)
    assert status_text(ok, 3.0, "en").plain == "Reader ● online  │  Printer ● ready  │  Bank ● down"


def test_facts_and_steps_are_sanitised_and_times_shown_in_the_zone_given():
    prompt = ShowPrompt("network.outcome_unknown", {"amount": Money(3000), "masked": "411111******1111\x1b[8m",
                                                    "time": datetime(2026, 1, 5, 2, 0, tzinfo=UTC), "stan": "000002"})
    assert facts_text(prompt, "en", UTC).plain == \
        "Time 2026-01-05 02:00:00  ·  Amount CNY 30.00  ·  Card 411111******1111  ·  Trace no. 000002"
    shown = render(prompt, "en", UTC)
    assert "\x1b" not in "".join(shown.steps)
    assert shown.actions == (("F3", "Pay another way", "other_payment"), ("F4", "Customer leaves", "customer_leaves"))


def test_a_prompt_the_catalogue_does_not_know_still_shows():
    shown = render(ShowPrompt("no.such\x1b[2J"), "zh-CN", UTC)
    assert shown.title == "no.such" and "unknown prompt" in shown.steps[0] and shown.actions == ()


def test_labels_fill_their_placeholders():
    assert label("status.paused", "en", reason="x") == "Card payments paused: x"
    assert label("recovery.others", "zh-CN", count=2) == "另有 2 件待处理（Ctrl+R 切换）"


@pytest.mark.parametrize(("amount", "reference", "problem"), [
    ("", "", "请输入金额，例如 58 或 58.00"),
    ("  ", "", "请输入金额，例如 58 或 58.00"),
    ("abc", "", "金额无效：“abc”不是金额，请输入 58 或 58.00 这样的数字"),
    ("1.234", "", "金额无效：“1.234”有 3 位小数，CNY 最多 2 位"),
    ("-5", "", "金额无效：“-5”是负数；消费金额必须大于零"),
    ("0.00", "", "金额必须大于零"),
    ("5", "x" * 41, "订单号过长（最多 40 个字符）"),
])
def test_a_bad_entry_names_its_problem(amount, reference, problem):
    with pytest.raises(EntryProblem) as raised:
        sale_entry(amount, reference, "zh-CN")
    assert str(raised.value) == problem


def test_a_good_entry_is_exact_money_and_a_clean_reference():
    assert sale_entry(" 58.5 ", "", "en") == (Money(5850), None)
    assert sale_entry("1", " A-1\x1b[2J ", "en") == (Money(100), "A-1")
    with pytest.raises(EntryProblem, match=r"^Type the amount"):
        sale_entry("", "", "en")


def test_the_tills_receipt_number_is_cleaned_and_a_card_number_in_it_refused():
    assert till_receipt("  0042\x1b[2J ", "en") == "0042"
    assert till_receipt(" \t", "en") is None
    with pytest.raises(EntryProblem, match=r"^That looks like a card number"):
        till_receipt("4111 1111 1111 1111", "en")
    with pytest.raises(EntryProblem, match=r"^小票号过长（最多 40 个字符）"):
        till_receipt("x" * 41, "zh-CN")


def test_a_sale_and_a_case_as_the_lists_show_them():
    at = datetime(2026, 1, 5, 2, 0, tzinfo=UTC)
    line = SaleLine("sale-3\x1b[2J", at, Money(5800), "411111******1111", "000002", at, "approved", "sale-3-000002",
                    live=False, paid_by=None, followed=("wrong_card-4",))
    assert sale_cells(line, "en", UTC) == ("01-05 02:00", "sale-3", "CNY 58.00", "****1111", "Approved",
                                           "wrong_card-4")
    assert sale_detail(line, "zh-CN", UTC).plain == (
        "时间 2026-01-05 02:00:00  ·  金额 CNY 58.00  ·  卡号 411111******1111  ·  凭证号 000002  ·  "
        "小票 sale-3-000002  ·  结果 已批准  ·  跟进 wrong_card-4")
    paid = SaleLine("sale-5", at, Money(1251), None, None, None, "declined", None, live=False, paid_by="cash",
                    followed=())
    assert sale_cells(paid, "zh-CN", UTC)[3:] == ("—", "已付（现金）", "—")
    open_ = SaleLine("sale-6", at, Money(100), None, None, None, None, None, live=True, paid_by=None, followed=())
    assert sale_cells(open_, "en", UTC)[4] == "In progress"

    attempt = Attempt(at, "phone", "no_answer", "li", None, "rang \x1b]0;x\x07twice", "attempt_recorded")
    row = CaseRow("network_drop-2", "network_drop", "open", at, Money(3000), "411111******1111", 1, attempt,
                  datetime(2026, 1, 6, 2, 0, tzinfo=UTC), True)
    assert [cell if isinstance(cell, str) else cell.plain for cell in case_cells(row, "zh-CN", UTC)] == \
        ["network_drop-2", "交易失败·网络", "CNY 30.00", "1", "01-06 02:00 逾期"]
    assert attempt_cells(attempt, "en", UTC) == ("01-05 02:00", "Phone", "no answer", "li", "rang twice")
