"""`recoup demo`: the agent against the built-in simulated hardware, headless, with a transcript.

The virtual card reader runs on a real serial line (a pty on Linux and macOS, loopback TCP elsewhere)
and the virtual acquirer on loopback TCP; the agent's real wiring — reader service, journaled ISO 8583
link with store-and-forward, recovery flows — drives them exactly as it would real devices. Each step
says what was done, what the cashier was shown, and what the acquirer's ledger holds; the run fails
(exit 1) if anything recovered differently from what the money rules require.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from agent.config import CardSettings, ContactSettings, JournalSettings, ReaderSettings, Settings, StoreSettings
from agent.contacts import Contact
from agent.notify import Notifier, NotifySettings
from agent.printer import jobs_on_record
from agent.station import Station
from domain.clock import RealClock
from domain.effects import ShowPrompt
from domain.events import EntryMode, PrinterCondition
from domain.money import Money
from flows.prompts import render
from simulator.cardreader.server import VirtualReader
from simulator.mailserver import smtp_server
from simulator.printer.device import PrintedReceipt

STEP_TIMEOUT = 15.0  # seconds of real time a step may take before the demo calls it failed
STORE = StoreSettings(name="示例便利店 Demo Store", address="上海市黄浦区南京东路 1 号", phone="021-5555 0000")
STORE_LINE = STORE.contact_line
PAPER_END_AFTER = 400  # bytes into the receipt job: the roll runs out in the middle of the receipt


class Demo:
    def __init__(self, data_dir: Path, fmt: str, out: TextIO) -> None:
        self.data_dir, self.fmt, self.out = data_dir, fmt, out
        self.clock = RealClock()
        self.failures = 0
        self.changed = asyncio.Event()
        self.shown: dict[str, str] = {}

    def say(self, who: str, text: str) -> None:
        print(f"  [{who:<8}] {text}", file=self.out, flush=True)

    def check(self, ok: bool, what: str) -> None:
        self.failures += not ok
        self.say("check", f"{'ok' if ok else 'FAILED'}: {what}")

    def on_prompt(self, flow_id: str, prompt: ShowPrompt) -> None:
        self.changed.set()
        if self.shown.get(flow_id) == prompt.prompt_id:
            return  # same screen, more facts (the trace number once the request left)
        self.shown[flow_id] = prompt.prompt_id
        zh, en = render(prompt, "zh-CN"), render(prompt, "en")
        self.say("screen", f"{zh.title}  /  {en.title}")
        if prompt.prompt_id in ("network.outcome_unknown", "declined.insufficient_funds", "printer.paper_end"):
            for number, step in enumerate(en.steps, 1):
                self.say("", f"  {number}. {step}")
            self.say("", "  keys: " + ", ".join(f"{key} {label}" for key, label, _ in en.actions))

    async def until(self, condition: Callable[[], bool], what: str) -> bool:
        try:
            async with asyncio.timeout(STEP_TIMEOUT):
                while not condition():
                    self.changed.clear()
                    await self.changed.wait()
        except TimeoutError:
            self.check(False, f"{what} (nothing within {STEP_TIMEOUT:.0f} s)")
            return False
        return True

    def on_paper(self, receipt: PrintedReceipt) -> None:
        self.changed.set()
        state = "torn: the paper ran out" if receipt.torn else "whole" if receipt.cut else "never cut"
        self.say("printer", f"receipt {len(self.printer.receipts)} ({state}):")
        for line in receipt.text.splitlines():
            print(f"  {'':<10}  | {line}", file=self.out)

    def ledger(self, card: str) -> int:
        charged = self.acquirer.ledger.net_charge(card)
        self.say("acquirer", f"ledger: {card} net charge {Money(charged)}")
        return charged

    async def run(self) -> int:
        settings = Settings(reader=ReaderSettings(format=self.fmt), store=STORE,
                            journal=JournalSettings(self.data_dir / "journal.sqlite"),
                            contacts=ContactSettings(key_file=self.data_dir / "contact.key"),
                            cards=CardSettings(hash_key_file=self.data_dir / "card-hash.key"))
        station = await Station.open(settings, clock=self.clock)
        self.journal, self.contacts, self.counter = station.journal, station.contacts, station.counter
        reader, self.printer, self.acquirer = station.sim.reader, station.sim.printer, station.sim.acquirer
        self.acquirer.on_log = lambda _: self.changed.set()
        reader.observers.append(lambda text: self.say("reader", text))
        self.printer.observers.append(self.on_paper)
        self.counter.on_change = lambda _: self.changed.set()
        self.counter.on_prompt = self.on_prompt
        urls = station.sim.urls
        print(f"recoup demo — virtual card reader ({self.fmt}) on {urls['reader']}, virtual acquirer on "
              f"{urls['acquirer']}, virtual receipt printer on {urls['printer']}", file=self.out)
        host, service = self.counter.host, self.counter.reader
        assert host is not None and service is not None
        task = asyncio.create_task(station.run())
        try:
            await self.until(lambda: host.up and service.session.line.is_open, "reader and acquirer online")
            await self.clean_sale(reader)
            await self.declined_sale(reader)
            await self.network_drop(reader)
            await self.paper_end(reader)
            await self.wrong_card(reader)
            await self.receipt_unpaid(reader)
        finally:
            station.stop()
            await task
            await station.close()
        print("demo " + ("passed: every flow recovered as the money rules require" if not self.failures
                         else f"FAILED: {self.failures} check(s) went wrong"), file=self.out)
        return 0 if not self.failures else 1

    async def clean_sale(self, reader: VirtualReader) -> None:
        print("\n1. A clean sale, after an expired card and a bad swipe", file=self.out)
        sale = self.counter.start_sale(Money.parse("58.00"))
        self.say("cashier", "amount 58.00")
        for act, check in ((lambda: reader.present("expired"), "sale.read_error.expiry"),
                           (reader.bad_swipe, "sale.read_error.bad_read")):
            act()
            await self.until(lambda c=check: self.counter.screen.prompts.get(sale, ShowPrompt("")).prompt_id == c,
                             f"prompt {check}")
        reader.present("visa", EntryMode.CHIP if self.fmt == "framed" else EntryMode.SWIPE)
        await self.until(lambda: self.printed(sale), "approved, and the receipt printed")
        self.check(self.ledger("visa") == 5800 and len(self.printer.receipts) == 1,
                   "approved once, charged 58.00, one receipt printed (status checked before and after)")

    async def declined_sale(self, reader: VirtualReader) -> None:
        print("\n2. Declined: insufficient funds (51)", file=self.out)
        sale = self.counter.start_sale(Money.parse("12.51"))
        self.say("cashier", "amount 12.51")
        reader.present("mastercard")
        await self.until(lambda: (f := self.counter.flow_of(sale)) is not None and f.name == "declined",
                         "the declined flow takes over")
        flow = self.counter.flow_of(sale)
        if flow is None:
            return
        self.say("cashier", "customer pays cash (F3)")
        self.counter.act(flow.flow_id, "other_payment", method="cash")
        self.check(self.ledger("mastercard") == 0 and not self.receipts(sale), "nothing charged, no card receipt")

    async def network_drop(self, reader: VirtualReader) -> None:
        print("\n3. The network drops after the acquirer charged the card", file=self.out)
        self.acquirer.drop_after_request()
        self.say("acquirer", "fault: drop the connection after the next request")
        sale = self.counter.start_sale(Money.parse("30.00"))
        self.say("cashier", "amount 30.00")
        reader.present("unionpay")
        await self.until(lambda: (f := self.counter.flow_of(sale)) is not None and f.state.name == "OUTCOME_UNKNOWN",
                         "result unknown")
        flow = self.counter.flow_of(sale)
        if flow is None:
            return
        self.check(self.ledger("unionpay") == 3000, "the customer is charged and the terminal never heard")
        self.say("cashier", "customer leaves (F4) and leaves contact details")
        self.counter.act(flow.flow_id, "customer_leaves")
        contact_id = self.contacts.record(consent=True, name="王芳", phone="139 1234 5678", channel="sms",
                                          case_id=flow.flow_id)
        contact = self.contacts.get(contact_id)
        if isinstance(contact, Contact):
            self.say("agent", f"contact saved encrypted: {contact.details.masked_name} "
                              f"{contact.details.masked_phone} via {contact.details.channel.value}")
        self.counter.act(flow.flow_id, "contact_saved", contact_id=contact_id)
        await self.until(lambda: self.counter.flow_of(sale) is None, "link back, reversal acknowledged, case resolved")
        self.check(self.ledger("unionpay") == 0, "the reversal released the hold: nothing charged")
        attempts = [e.payload["request"]["t"] for e in self.journal.events(kind="reversal_attempt", stream=sale)]
        self.say("agent", f"reversal attempts journaled: {', '.join(attempts) or 'none'}")
        drafts = [d for d in self.counter.outbox.drafts() if d["case_id"] == flow.flow_id]
        for draft in drafts:
            self.say("outbox", f"to {draft['contact_id']} (zh-CN): {draft['text']['zh-CN']}")
            self.say("outbox", f"to {draft['contact_id']} (en): {draft['text']['en']}")
        resolved = self.journal.query("SELECT COUNT(*) FROM events WHERE kind = 'case_resolved' AND stream = ?",
                                      (sale,))[0][0]
        self.check(len(drafts) == 1 and resolved == 1, "case resolved, the customer's notification drafted")

    async def paper_end(self, reader: VirtualReader) -> None:
        print("\n4. The paper runs out in the middle of a receipt", file=self.out)
        # the contact slip of step 3 may still be printing: the roll runs out on the next receipt, not on it
        await self.until(lambda: not any(job.open for job in jobs_on_record(self.journal).values()),
                         "earlier receipts and slips printed")
        self.printer.fail_after(PAPER_END_AFTER, PrinterCondition.PAPER_END)
        self.say("printer", f"fault: the roll runs out {PAPER_END_AFTER} bytes into the next job")
        before = len(self.printer.receipts)
        sale = self.counter.start_sale(Money.parse("26.80"))
        self.say("cashier", "amount 26.80")
        reader.present("visa", EntryMode.CHIP if self.fmt == "framed" else EntryMode.SWIPE)
        if not await self.until(lambda: (f := self.counter.flow_of(sale)) is not None and f.name == "printer_fault",
                                "the printer_fault flow takes over"):
            return
        flow = self.counter.flow_of(sale)
        assert flow is not None
        self.check(self.ledger("visa") == 5800 + 2680, "the payment itself stands: charged 26.80 once")
        self.say("cashier", "loads a new roll and presses F7 (fixed: print again)")
        self.printer.clear()
        self.counter.act(flow.flow_id, "printer_fixed")
        await self.until(lambda: self.printed(sale), "the receipt printed again")
        copies = self.printer.receipts[before:]
        self.check(len(copies) == 2 and copies[0].torn and "重打印 / DUPLICATE" in copies[1].text
                   and not copies[1].torn,
                   "one torn copy, then one whole copy marked 重打印 / DUPLICATE")
        self.check(self.counter.flow_of(sale) is None, "the printer_fault flow is done")

    async def wrong_card(self, reader: VirtualReader) -> None:
        print("\n5. The wrong card was charged (刷错卡): void, the right card, and an e-mail", file=self.out)
        sale = self.counter.start_sale(Money.parse("45.00"))
        self.say("cashier", "amount 45.00")
        reader.present("amex")
        if not await self.until(lambda: self.printed(sale), "approved on the amex card, receipt printed"):
            return
        self.ledger("amex")
        self.say("customer", "“That was my company card — please charge my own card.”")
        flow_id = self.counter.report_wrong_card(sale)
        self.say("cashier", "marks the sale 'wrong card', checks time, amount and card with the customer, F9")
        self.counter.act(flow_id, "confirm_wrong_card")
        if not await self.until(lambda: self.shown.get(flow_id) == "wrong_card.cancelled_void", "voided"):
            return
        self.check(self.ledger("amex") == 0, "voided in the open batch: the amex card holds nothing")
        self.say("cashier", "F1: the customer presents the right card")
        self.counter.act(flow_id, "another_card")
        right = f"{sale}-right"
        reader.present("mastercard")
        if not await self.until(lambda: self.printed(right), "the right card approved, receipt printed"):
            return
        self.check(self.ledger("mastercard") == 4500, "the right card charged 45.00 once")
        contact_id = self.contacts.record(consent=True, name="李雷", email="li.lei@example.com", channel="email",
                                          case_id=flow_id)
        self.say("agent", "contact saved encrypted, e-mail preferred, consent recorded")
        self.counter.act(flow_id, "contact_saved", contact_id=contact_id)
        inbox: list[Any] = []
        with smtp_server(inbox) as port:
            notifier = Notifier(self.journal, self.clock, self.contacts,
                                NotifySettings(smtp_host="127.0.0.1", smtp_port=port, smtp_starttls=False,
                                               smtp_from="store@demo.example"))
            [draft] = [row for row in notifier.drafts() if row.case_id == flow_id]
            preview = notifier.preview(draft.draft_id)
            self.say("outbox", f"to {preview.to} by {preview.channel}: {preview.subject}")
            result = await asyncio.to_thread(notifier.send, draft.draft_id)
        self.say("smtp", f"the local SMTP server received {len(inbox)} message(s)")
        for line in (inbox[0].splitlines() if inbox else []):
            if line.strip():
                print(f"  {'':<10}  | {line}", file=self.out)
        resolved = self.journal.query("SELECT COUNT(*) FROM events WHERE kind = 'case_resolved' AND stream = ?",
                                      (sale,))[0][0]
        self.check(result.state == "sent" and len(inbox) == 1 and "45.00" in inbox[0] and resolved == 1,
                   "the customer is told by e-mail what was voided, and the case is resolved")

    async def receipt_unpaid(self, reader: VirtualReader) -> None:
        print("\n6. A receipt printed, then the sale failed (刷小票不付款): NOT PAID slip, contact, paid later",
              file=self.out)
        self.acquirer.contradict("05")
        self.say("acquirer", "fault set: approve, then the switch takes the approval back and answers 05")
        sale = self.counter.start_sale(Money.parse("23.80"))
        self.say("cashier", "amount 23.80")
        reader.present("unionpay")
        if not await self.until(lambda: self.printed(sale), "approved, receipt printed"):
            return
        self.say("customer", "takes the receipt and walks towards the door")

        def raised() -> str | None:
            flows = [flow for flow in self.counter.flows.values()
                     if flow.name == "receipt_unpaid" and flow.ctx.sale.sale_id == sale]
            return flows[0].flow_id if flows else None

        if not await self.until(lambda: raised() is not None, "the agent sees the approval refused after printing"):
            return
        flow_id = raised()
        assert flow_id is not None
        if not await self.until(lambda: self.shown.get(flow_id) == "receipt_unpaid.unpaid",
                                "the acquirer, asked, confirms nothing was charged"):
            return
        if not await self.until(lambda: self.printed(sale), "the NOT PAID slip printed"):
            return
        slips = [e for e in self.receipts(sale) if e.payload["document"]["type"] == "not_paid"]
        self.check(len(slips) == 1 and self.ledger("unionpay") == 0,
                   "the receipt is cancelled by one NOT PAID slip, and the card holds nothing")
        self.say("cashier", "apologises, explains nothing was charged; the customer cannot pay now: F4")
        self.counter.act(flow_id, "customer_leaves")
        contact_id = self.contacts.record(consent=True, phone="13900139000", channel="sms", case_id=flow_id)
        self.say("agent", "contact saved encrypted, SMS preferred, consent recorded")
        self.counter.act(flow_id, "contact_saved", contact_id=contact_id)
        [asked] = [d for d in self.counter.outbox.drafts() if d["case_id"] == flow_id]
        self.say("outbox", f"{asked['template']}: {asked['text']['en']}")
        self.say("customer", "comes back the next day and pays by card")
        paying = self.counter.pay_case(flow_id)
        assert paying is not None
        reader.present("unionpay")
        if not await self.until(lambda: self.printed(paying), "the payment approved, receipt printed"):
            return
        closed = self.journal.query("SELECT resolution FROM cases WHERE case_id = ? AND state = 'closed'",
                                    (flow_id,))
        thanked = [d for d in self.counter.outbox.drafts()
                   if d["case_id"] == flow_id and d["template"] == "receipt_unpaid.paid_later"]
        self.check(self.ledger("unionpay") == 2380 and closed == [("paid_by_card",)] and len(thanked) == 1,
                   "paid once, the case closed as paid by card, and a thank-you drafted for the customer")

    def receipts(self, sale: str) -> list[Any]:
        return list(self.journal.events(kind="receipt_to_print", stream=sale))

    def printed(self, sale: str) -> bool:
        jobs = jobs_on_record(self.journal, sale).values()
        return bool(jobs) and all(job.state == "receipt_printed" for job in jobs)


async def run_demo(data_dir: Path, fmt: str = "framed", out: TextIO = sys.stdout, *, temporary: bool = False) -> int:
    code = await Demo(data_dir, fmt, out).run()
    where = "a temporary folder (--data-dir keeps it)" if temporary else str(data_dir / "journal.sqlite")
    print(f"journal: {where}", file=out)
    return code
