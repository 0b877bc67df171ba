"""A case's messages to the customer in the cashier app, over a real counter and journal: the exact text on
the case screen, sent by e-mail to a real SMTP server (aiosmtpd on loopback) off the event loop; the outbox
default recorded by hand; a delivery left unknown settled as received, refused when sent again unconfirmed and
sent again once confirmed; a customer who declined refused, said in Chinese.

The cases, contacts and drafts are put on record as the counter's flows leave them (a case opened, the
customer's details kept, the message drafted); an `unknown` delivery is the `notification_sending` the
notifier commits before the wire, with the process gone before the relay's answer was journaled.
"""

from __future__ import annotations

import asyncio
import re
import threading
from email import message_from_bytes
from email.policy import default as default_policy

from agent.config import Settings
from agent.contacts import ContactStore
from agent.notify import SENDING, SENT, NotifySettings
from agent.ui.screens import CaseFormScreen, CaseScreen
from agent.ui.screens.resend import ResendScreen
from agent.ui.widgets import MessageView
from domain.card import MaskedPan
from domain.effects import OpenCase, SaleFacts
from domain.events import record
from domain.ids import Stan
from domain.money import Money
from tests.agent.desk import mail_relay
from tests.ui.cashier import KEY, run

CASE = "wrong_card-7"
EMAIL = "zhang.san@example.com"
LATIN = re.compile(r"[A-Za-z]")


class Inbox:
    """The relay's handler: every message it took, as sent. With `hold`, it answers the message only once the
    test lets it go: a slow relay."""

    def __init__(self, hold: threading.Event | None = None) -> None:
        self.messages: list = []
        self.hold = hold

    async def handle_DATA(self, server, session, envelope) -> str:
        self.messages.append(message_from_bytes(envelope.content, policy=default_policy))
        if self.hold is not None:
            await asyncio.get_running_loop().run_in_executor(None, self.hold.wait)
        return "250 OK"


def drafted(**details) -> object:
    """A wrong-card case whose customer left `details` (none: declined), and `count` refunds drafted for them."""
    count = details.pop("count", 1)

    async def before(rig) -> None:
        journal = rig.journal
        contacts = ContactStore(journal, KEY)
        if details:
            contact_id = contacts.record(consent=True, case_id=CASE, **details)
        else:
            contact_id = contacts.record_declined(case_id=CASE)
        journal.append("case_opened", record(OpenCase(CASE, "wrong_card", ("sale-7",), Money.parse("58.00"),
                                                      MaskedPan.parse("411111******1111"), contact_id))[1],
                       stream="sale-7")
        sale = SaleFacts("sale-7", Money.parse("58.00"), MaskedPan.parse("411111******1111"), stan=Stan(7),
                         sent_at=rig.clock.now(), response_code="00")
        for _ in range(count):
            rig.counter.outbox.draft(CASE, "wrong_card.refund", sale, contact_id)
    return before


async def open_case(cashier) -> CaseScreen:
    await cashier.pilot.press("ctrl+o", "enter")
    await cashier.settle()
    screen = cashier.app.screen
    assert isinstance(screen, CaseScreen) and screen.case_id == CASE
    return screen


async def sent(cashier) -> None:
    """Wait for the send on its worker thread, then for the screen to show what came of it."""
    await cashier.app.workers.wait_for_complete()
    await cashier.settle()


def sending_events(rig) -> list[dict]:
    return [event.payload for event in rig.journal.events(kind=SENDING)]


def test_the_text_on_screen_is_what_the_relay_receives_sent_off_the_event_loop(tmp_path):
    slow = threading.Event()
    inbox = Inbox(hold=slow)

    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        screen = await open_case(cashier)
        (message,) = screen.messages.values()
        body = app.notifier.preview(message.draft_id).body
        shown = screen.query_one(MessageView).plain
        assert shown.startswith("发送方式：邮件 z***@example.com\n主题：刷错卡的处理结果 / About the card charged")
        assert shown.endswith(body) and "411111******1111" in body and body.startswith("您好")
        assert screen.query_one("#drafts").plain == [
            [str(message.draft_id), "误刷已退款", "待发送", "邮件 z***@example.com"]]
        assert cashier.footer()["F7"] == "发送" and "F9" not in cashier.footer()

        await cashier.pilot.press("f7")
        await cashier.rig.until(lambda: len(inbox.messages) == 1)
        await cashier.pilot.press("f12")  # the relay has not answered yet: the app goes on meanwhile
        await cashier.settle()
        assert screen.done == f"Sending message {message.draft_id} by Email…"
        assert screen.query_one("#drafts").plain[0][2] == "sending" and "F7" not in cashier.footer()
        await cashier.pilot.press("f12")
        slow.set()
        await sent(cashier)
        ((taken),) = inbox.messages
        assert taken["To"] == EMAIL
        assert taken.get_content().replace("\r\n", "\n").rstrip("\n") == body
        assert screen.done == f"消息 {message.draft_id} 已通过邮件发送到 z***@example.com（第 1 次）"
        assert screen.query_one("#drafts").plain[0][2] == "已发送"
        assert screen.query_one("#attempts").plain[0][1:4] == ["邮件", "已发送", "li"]
        assert "F7" not in cashier.footer() and "F8" not in cashier.footer()  # never the same message twice
        (done,) = [event.payload for event in rig.journal.events(kind=SENT)]
        assert (done["channel"], done["who"]) == ("email", "li")

    with mail_relay(inbox) as relay:
        run(tmp_path, scenario, before=drafted(email=EMAIL, channel="email"), operator="li",
            settings=Settings(notify=relay))


def test_with_the_outbox_default_a_call_is_recorded_by_hand(tmp_path):
    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        screen = await open_case(cashier)
        assert screen.query_one(MessageView).plain.startswith(
            "需手动联系：顾客希望用电话联系（138****8000），联系后按 F8 记录")
        assert "F7" not in cashier.footer() and cashier.footer()["F8"] == "手动记录"

        await cashier.pilot.press("f8")
        await cashier.settle()
        form = app.screen
        assert isinstance(form, CaseFormScreen) and form.kind == "message"
        assert form.query_one("#channel").value == "phone"  # as the customer prefers
        await cashier.pilot.press("f5")
        await cashier.settle()
        assert form.errors == {"outcome": "必填，不能留空"}
        await cashier.pilot.press("enter", "down", "enter", "f5")  # reached
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen)
        (done,) = [event.payload for event in rig.journal.events(kind=SENT)]
        assert (done["channel"], done["outcome"], done["who"]) == ("phone", "reached", "li")
        assert screen.done.startswith("已记录消息") and screen.done.endswith("电话 · 已联系上")
        assert screen.query_one("#drafts").plain[0][2] == "已发送"
        assert screen.query_one("#attempts").plain[0][1:3] == ["电话", "已联系上"]

    run(tmp_path, scenario, before=drafted(phone="13800138000", channel="phone"), operator="li")


def test_a_delivery_left_unknown_is_settled_as_received_or_sent_again_only_once_confirmed(tmp_path):
    inbox = Inbox()

    async def cut_off(rig) -> None:
        """Two refunds e-mailed, each cut off after the relay was asked: on record as under way, no outcome."""
        await drafted(email=EMAIL, channel="email", count=2)(rig)
        for event in list(rig.journal.events(kind="notification_drafted")):
            payload = event.payload
            rig.journal.append(SENDING, {"draft": event.seq, "case_id": CASE, "template": payload["template"],
                                         "contact_id": payload["contact_id"], "channel": "email",
                                         "to": "z***@example.com", "attempt": 1, "who": "agent"}, stream=CASE)

    async def scenario(cashier):
        rig, app = cashier.rig, cashier.app
        screen = await open_case(cashier)
        first, second = screen.messages.values()
        assert [row[2] for row in screen.query_one("#drafts").plain] == ["不确定是否送达 · 第 1 次"] * 2
        assert {"F7", "F8", "F9", "F10", "F11"} <= set(cashier.footer())

        await cashier.pilot.press("f9")  # the first: the customer says it arrived
        await cashier.settle()
        assert screen.done == f"已记录消息 {first.draft_id}：邮件 · 顾客说已收到"
        assert screen.query_one("#drafts").plain[0][2] == "已发送"

        await cashier.pilot.press("down", "f7")  # the second: send, without confirming
        await sent(cashier)
        refused = screen.query_one("#notice").plain
        assert refused.startswith(f"未完成：消息 {second.draft_id} 可能已送达顾客：第 1 次通过邮件发往 "
                                  f"z***@example.com（自动发送，")
        assert not LATIN.search(re.sub(r"F\d+|z\*\*\*@example\.com", "", refused))
        assert inbox.messages == [] and len(sending_events(rig)) == 2  # nothing went

        await cashier.pilot.press("f11")
        await cashier.settle()
        assert isinstance(app.screen, ResendScreen)
        assert "顾客可能收到两次" in app.screen.query_one("#resend-warning").render().plain
        await cashier.pilot.press("escape")  # thought better of it
        await cashier.settle()
        assert isinstance(app.screen, CaseScreen) and not app.sending and inbox.messages == []

        await cashier.pilot.press("f11", "enter")
        await sent(cashier)
        assert len(inbox.messages) == 1
        again = sending_events(rig)[-1]
        assert (again["draft"], again["attempt"], again["again"], again["who"]) == (second.draft_id, 2, True, "li")
        assert screen.done == f"消息 {second.draft_id} 已通过邮件发送到 z***@example.com（第 2 次）"
        assert [row[2] for row in screen.query_one("#drafts").plain] == ["已发送", "已发送"]

    with mail_relay(inbox) as relay:
        run(tmp_path, scenario, before=cut_off, operator="li", settings=Settings(notify=relay))


def test_a_customer_who_declined_is_never_sent_to_and_the_refusal_is_said_in_chinese(tmp_path):
    async def scenario(cashier):
        rig = cashier.rig
        screen = await open_case(cashier)
        (message,) = screen.messages.values()
        assert screen.query_one(MessageView).plain.startswith("不会发送：顾客不愿留下联系方式")
        await cashier.pilot.press("f7")
        await sent(cashier)
        said = screen.query_one("#notice").plain
        assert said == f"消息 {message.draft_id} 未发送：顾客不愿留下联系方式"
        assert [event.payload["reason"] for event in rig.journal.events(kind="notification_refused")] == ["declined"]
        await cashier.pilot.press("f12")
        await cashier.settle()
        assert screen.query_one(MessageView).plain.startswith(
            "Will not be sent: the customer declined to leave contact details")

    settings = Settings(notify=NotifySettings(smtp_host="127.0.0.1", smtp_from="shop@example.com"))
    run(tmp_path, scenario, before=drafted(), settings=settings)
