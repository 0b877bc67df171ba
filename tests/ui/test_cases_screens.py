"""The manager's cases and follow-ups in the cashier app: the list and its filters, the follow-ups due today
overdue first, one case with its facts and attempts log, a contact attempt refused inline for a note holding
a phone number and then recorded, and a case closed.

Three cases are on record, opened as the counter opens them: on Monday 2026-01-05 at 02:00 (UTC, the app's
zone and the follow-up rules'), a network drop whose customer left a phone number and prefers SMS, and a
declined sale since paid another way; at 10:00, when the app opens, a wrong card. The network drop's first
follow-up (04:00, in quiet hours: 09:00) has passed.
"""

from agent.cases import CaseSettings
from agent.contacts import ContactStore
from agent.ui.screens import CaseFormScreen, CaseScreen, CasesScreen, CounterScreen, FollowupsScreen
from domain.card import MaskedPan
from domain.effects import OpenCase, ResolveCase
from domain.events import record
from domain.money import Money
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
        assert cashier.footer() == {"F2": "记录联系", "F3": "结案", "Esc": "返回", "F12": "English"}

        await cashier.pilot.press("f2")
        await cashier.settle()
        form = app.screen
        assert isinstance(form, CaseFormScreen) and form.kind == "attempt"
        assert form.query_one("#channel").value == "sms"  # the channel the customer prefers
        assert form.query_one("#who").value == "li"
        await cashier.pilot.press("f5")  # no outcome chosen
        await cashier.settle()
        assert form.errors == {"outcome": "is required and was left blank"}
        assert app.focused is form.query_one("#outcome")

        await cashier.pilot.press("enter", "down", "enter")  # the first outcome an SMS can have: sent
        assert form.query_one("#outcome").value == "sent"
        await cashier.pilot.press("tab", "tab")  # who -> note
        await cashier.type("13800138000")
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert set(form.errors) == {"note"} and form.errors["note"].startswith("holds a phone number")
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
