"""The manager's cases and follow-ups in the cashier app: the list and its filters, the follow-ups due today
overdue first, one case with its facts and attempts log, a contact attempt refused inline for a note holding
a phone number and then recorded, and a case closed.

Three cases are on record, opened as the counter opens them: on Monday 2026-01-05 at 02:00 (UTC, the app's
zone and the follow-up rules'), a network drop whose customer left a phone number and prefers SMS, and a
declined sale since paid another way; at 10:00, when the app opens, a wrong card. The network drop's first
follow-up (04:00, in quiet hours: 09:00) has passed.
"""

import json
import zipfile
from dataclasses import replace
from datetime import UTC, datetime

from agent.cases import CaseSettings
from agent.contacts import ContactStore
from agent.flowstore import FLOW_SAVED
from agent.ui.screens import CaseFormScreen, CaseScreen, CasesScreen, CounterScreen, FollowupsScreen
from domain.card import MaskedPan
from domain.effects import OpenCase, Print, ResolveCase, SaleFacts
from domain.events import CashierAction, HostResponse, LinkDown, ReceiptUnpaidReported, RequestSent, record
from domain.ids import Stan
from domain.money import Money
from flows import ReceiptUnpaidFlow
from tests.ui.cashier import KEY, run

SETTINGS = CaseSettings(timezone="UTC")
DROP, DECLINED, WRONG = "network_drop-101", "declined-102", "wrong_card-103"


async def three_cases(rig) -> None:
    journal = rig.journal
    contact = ContactStore(journal, KEY).record(consent=True, phone="13800138000", channel="sms", case_id=DROP)

    def opened(case_id, case_type, sale, amount, contact_id=None):
        effect = OpenCase(case_id, case_type, (sale,), Money.parse(amount), MaskedPan.parse("411111******1111"),
                          contact_id)
        journal.append("case_opened", record(effect)[1], stream=sale)

    opened(DROP, "network_drop", "sale-91", "30.00", contact)
    opened(DECLINED, "declined", "sale-92", "12.51")
    journal.append("case_resolved", record(ResolveCase(DECLINED, "paid_otherwise", "cash"))[1], stream="sale-92")
    rig.clock.advance(8 * 3600)
    opened(WRONG, "wrong_card", "sale-93", "58.00")


def listed(cashier) -> list[str]:
    return [row[0] if isinstance(cashier.app.screen, CasesScreen) else row[1] for row in cashier.app.screen.plain]


def test_the_cases_list_its_filters_and_the_follow_ups_due_today(tmp_path):
    async def scenario(cashier):
        app = cashier.app
        await cashier.pilot.press("ctrl+o")
        await cashier.settle()
        assert isinstance(app.screen, CasesScreen)
        assert app.screen.query_one("#heading").render().plain == "跟进事项 · 未结 · 全部类型：2 件，1 件逾期"
        assert listed(cashier) == [DROP, WRONG]  # open ones, oldest first
        assert app.screen.plain[0][1:] == ["交易失败·网络", "CNY 30.00", "0", "01-05 09:00 逾期"]
        assert "卡号 411111******1111" in app.screen.query_one("#detail").plain  # the highlighted one's card
        assert cashier.footer() == {"F2": "状态", "F3": "类型", "F4": "今日跟进", "Enter": "查看", "Esc": "返回",
                                    "F12": "English"}
        screen = "\n".join(cashier.lines())
        assert "01-05 09:00 逾期" in screen and "F4 今日跟进" in screen  # at 80x24, row and keys in view

        for shown in ([DROP], [DECLINED], [DECLINED, DROP, WRONG]):  # overdue, closed, all
            await cashier.pilot.press("f2")
            await cashier.settle()
            assert listed(cashier) == shown
        assert app.screen.plain[0][4] == "已结"
        await cashier.pilot.press("f3", "f3")  # all types -> network_drop -> declined
        await cashier.settle()
        assert listed(cashier) == [DECLINED]
        assert "全部 · 交易失败·卡/余额：1 件" in app.screen.query_one("#heading").render().plain

        await cashier.pilot.press("f4")  # the follow-ups due today: the overdue one first
        await cashier.settle()
        assert isinstance(app.screen, FollowupsScreen) and len(app.screen_stack) == 2  # it replaced the list
        assert app.screen.query_one("#heading").render().plain == "今日跟进（截至 2026-01-05 结束）：2 件，1 件逾期"
        assert app.screen.plain[0][:2] == ["01-05 09:00 逾期", DROP] and app.screen.plain[1][1] == WRONG

        await cashier.pilot.press("f12")
        await cashier.settle()
        assert app.screen.plain[0][0] == "01-05 09:00 OVERDUE"
        assert cashier.footer() == {"F2": "All open", "F4": "Cases", "Enter": "Open", "Esc": "Back", "F12": "中文"}
        await cashier.pilot.press("escape")
        await cashier.settle()
        assert isinstance(app.screen, CounterScreen)

    run(tmp_path, scenario, before=three_cases, case_settings=SETTINGS)


def test_a_contact_attempt_refused_inline_then_recorded_and_the_case_closed(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        await cashier.pilot.press("ctrl+o", "enter")  # the oldest open case
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == DROP
        facts = app.screen.plain
        assert "金额 CNY 30.00  ·  卡号 411111******1111" in facts
        assert "联系方式 138****8000 · 短信" in facts and "13800138000" not in "\n".join(cashier.lines())
        assert "下次跟进 2026-01-05 09:00 逾期" in facts
        assert cashier.footer() == {"F2": "记录联系", "F3": "结案", "F6": "升级处理", "Esc": "返回", "F12": "English"}

        await cashier.pilot.press("f2")
        await cashier.settle()
        form = app.screen
        assert isinstance(form, CaseFormScreen) and form.kind == "attempt"
        assert form.query_one("#channel").value == "sms"  # the channel the customer prefers
        assert form.query_one("#who").value == "li"
        await cashier.pilot.press("f5")  # no outcome chosen
        await cashier.settle()
        assert form.errors == {"outcome": "必填，不能留空"}
        assert app.focused is form.query_one("#outcome")

        await cashier.pilot.press("enter", "down", "enter")  # the first outcome an SMS can have: sent
        assert form.query_one("#outcome").value == "sent"
        await cashier.pilot.press("tab", "tab")  # who -> note
        await cashier.type("13800138000")
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert set(form.errors) == {"note"} and form.errors["note"].startswith("含有电话号码")
        assert form.query_one("#error-note").display and app.focused is form.query_one("#note")
        assert not rig.events("contact_attempt_recorded")

        await cashier.pilot.press("ctrl+u")  # the note emptied, and a good one typed
        await cashier.type("[b]ok")
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen)
        (attempt,) = app.cases.get(DROP).attempts
        assert (attempt.channel, attempt.outcome, attempt.who, attempt.note) == ("sms", "sent", "li", "[b]ok")
        assert app.screen.done == "已记录：短信 · 已发送；下次跟进 2026-01-06 10:00:00"
        assert app.screen.query_one("#attempts").plain == [["01-05 10:00", "短信", "已发送", "li", "[b]ok"]]
        assert "[b]ok" in "\n".join(cashier.lines())  # shown as typed, not taken for markup
        assert "逾期" not in app.screen.plain

        await cashier.pilot.press("f3")  # close it
        await cashier.settle()
        assert isinstance(app.screen, CaseFormScreen) and app.screen.kind == "close"
        await cashier.pilot.press("enter", "down", "enter", "f5")  # the first resolution: paid
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen)
        closed = app.cases.get(DROP)
        assert (closed.state, closed.resolution, closed.closed_by) == ("closed", "paid", "li")
        assert app.screen.done == "已结案：已付款"
        assert "结案 已付款，2026-01-05 10:00，经办 li" in app.screen.plain
        assert "F3" not in cashier.footer()  # closed once: no second closing offered

        await cashier.pilot.press("escape")  # back to the list, where it is no longer open
        await cashier.settle()
        assert isinstance(app.screen, CasesScreen) and listed(cashier) == [WRONG]

    run(tmp_path, scenario, before=three_cases, case_settings=SETTINGS, operator="li")


SALE = SaleFacts("sale-7", Money.parse("23.80"), MaskedPan.parse("620000******0005"), stan=Stan(11),
                 sent_at=datetime(2026, 1, 4, 2, 0, tzinfo=UTC), response_code="00")
PAID, DOUBT = "receipt_unpaid-3", "receipt_unpaid-4"


async def unpaid_cases(rig) -> None:
    """Two receipt_unpaid cases as the counter leaves them once the customer has gone: one the acquirer
    confirmed unpaid (its NOT PAID slip printed), one it never answered for."""
    journal = rig.journal
    for flow_id, sale, verified in ((PAID, SALE, True), (DOUBT, replace(SALE, sale_id="sale-8"), False)):
        flow = ReceiptUnpaidFlow(flow_id)
        flow.handle(ReceiptUnpaidReported(sale, f"{sale.sale_id}-000011", "contradicted", "agent"))
        flow.handle(RequestSent(sale.sale_id, Stan(12), sale.sent_at))
        if verified:
            [slip] = [effect for effect in flow.handle(HostResponse(Stan(12), "25")) if isinstance(effect, Print)]
            journal.append("receipt_to_print", record(slip)[1], stream=sale.sale_id)
        else:
            flow.handle(LinkDown("no answer"))
        flow.handle(CashierAction("customer_leaves"))
        flow.handle(CashierAction("contact_declined"))
        journal.append(FLOW_SAVED, {"flow_id": flow_id, "flow": flow.to_json()}, stream=sale.sale_id)
        effect = OpenCase(flow_id, "receipt_unpaid", (sale.sale_id,), sale.amount, sale.masked, None)
        journal.append("case_opened", record(effect)[1], stream=sale.sale_id)


def test_a_case_paid_later_in_cash_and_one_escalated_with_its_evidence_refusals_shown_inline(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        await cashier.pilot.press("ctrl+o", "down", "enter")  # the one the acquirer never answered for
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == DOUBT
        assert cashier.footer() == {"F2": "记录联系", "F3": "结案", "F4": "顾客补付", "F6": "升级处理", "Esc": "返回",
                                    "F12": "English"}

        await cashier.pilot.press("f4", "f5")  # paid later, but how?
        await cashier.settle()
        form = app.screen
        assert isinstance(form, CaseFormScreen) and form.kind == "pay"
        assert form.errors == {"method": "请选择顾客的付款方式；刷卡补付请在收银台重新收款"}
        await cashier.pilot.press("enter", "down", "enter", "f5")  # cash: refused as `recoup cases pay` refuses
        await cashier.settle()
        assert form.query_one("#notice").plain == ("跟进事项 receipt_unpaid-4 从未确认未付款：银行还没有确认没有扣款，"
                                                   "顾客可能已经付过")
        assert not rig.events("payment_recorded") and app.cases.get(DOUBT).state == "open"

        await cashier.pilot.press("escape", "f6")  # escalate it instead
        await cashier.settle()
        form = app.screen
        assert isinstance(form, CaseFormScreen) and form.kind == "escalate"
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert form.errors == {"reason": "必填，不能留空"}  # the store's refusal, in the manager's words
        await cashier.pilot.press("f12")
        await cashier.settle()
        assert form.query_one("#error-reason").render().plain == "is required and was left blank"  # type: ignore[union-attr]
        await cashier.pilot.press("f12")
        await cashier.type("顾客三次提醒后仍未回复", "f5")
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen)
        (escalation,) = app.cases.get(DOUBT).escalations
        assert (escalation.reason, app.cases.get(DOUBT).state) == ("顾客三次提醒后仍未回复", "open")
        package = rig.path.parent / "evidence" / f"evidence-{DOUBT}.zip"
        assert app.screen.done == f"已升级（共 1 次），事项仍未结；证据包：{package}"
        with zipfile.ZipFile(package) as archive:
            assert json.loads(archive.read("manifest.json"))["case_id"] == DOUBT
        assert "已升级 2026-01-05 02:00  顾客三次提醒后仍未回复" in app.screen.plain

        await cashier.pilot.press("escape", "up", "enter", "f4", "enter", "down", "enter", "f5")  # the other: cash
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen) and app.screen.case_id == PAID
        assert app.screen.done == "已记录：CNY 23.80 以现金补付；已结案"
        closed = app.cases.get(PAID)
        assert (closed.state, closed.resolution, closed.closed_by) == ("closed", "paid_later", "li")
        (paid,) = rig.events("payment_recorded", "sale-7")
        assert paid.payload["method"] == "cash" and paid.payload["who"] == "li"
        assert cashier.footer() == {"F2": "记录联系", "Esc": "返回", "F12": "English"}  # nothing more to pay
        assert closed.close_note == "paid later: cash"  # on record as written; shown in the screen's words
        assert "结案 之后已付款，2026-01-05 02:00，经办 li — 付款方式：现金" in app.screen.plain
        await cashier.pilot.press("f12")
        await cashier.settle()
        assert app.screen.done == "Recorded: CNY 23.80 paid later, Cash; the case is closed"
        assert "Closed paid later, 2026-01-05 02:00, by li — paid by Cash" in app.screen.plain

    run(tmp_path, scenario, before=unpaid_cases, case_settings=SETTINGS, operator="li")
