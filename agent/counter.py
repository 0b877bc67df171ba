"""The agent at one counter: the card reader, the acquirer link, the recovery flows and the journal,
wired together. Devices report domain events; flows answer with effects; this module carries the
effects out and feeds the consequences back, one event at a time, in order.

Every flow's state is journaled after each event it handled, so a restart resumes the open flows from
the journal alone. The card itself is kept only in memory, for the one authorization that needs it.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import json
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from agent import records
from agent.flowstore import FINISHED, FLOW_SAVED, last_flow_number, open_flows
from agent.host import HostService
from agent.journal import CardDataRefused, Journal
from agent.journal.guard import check_payload
from agent.late_payment import owed, record_late_payment
from agent.outbox import Outbox
from agent.printer import CLOSED as PRINT_CLOSED
from agent.printer import PRINTED, TO_PRINT, PrinterService, jobs_on_record
from agent.printer import RETRY as PRINT_RETRY
from agent.reader import CardReaderService
from agent.saf import SafQueue
from domain.card import Card, CardHasher, MaskedPan
from domain.clock import Clock, Timer
from domain.effects import (
    CancelCharge,
    CancelTimer,
    CaptureContact,
    ClosePrintJob,
    EscalateToManager,
    HandOver,
    HandOverReason,
    InquireCharge,
    Notify,
    OpenCase,
    PauseCardPayments,
    Print,
    QueueReversal,
    RecordPayment,
    ResolveCase,
    ResumeCardPayments,
    RetryPrint,
    SaleFacts,
    SendAuthorization,
    ShowPrompt,
    StartTimer,
)
from domain.events import (
    AmountEntered,
    CardRead,
    CashierAction,
    EntryMode,
    HostResponse,
    LinkDown,
    LinkUp,
    PrinterCondition,
    PrinterStatus,
    ReaderStatus,
    ReceiptPrinted,
    ReceiptUnpaidReported,
    RequestSent,
    ReversalAcknowledged,
    TimerFired,
    record,
)
from domain.ids import Rrn, Stan
from domain.money import Money
from drivers.errors import RemoteProtocolError
from drivers.host import link as hostlink
from drivers.host.messages import INQUIRY, inquiry, parse_response, purchase, refund, void
from flows import FLOWS, Flow, resume
from flows.printer_fault import fault_of
from flows.sale import SaleFlow


@dataclass
class Screen:
    """What the cashier sees, kept current for the UI: prompts by flow, and the device banner."""

    prompts: dict[str, ShowPrompt] = field(default_factory=dict)
    capturing_contact: dict[str, str] = field(default_factory=dict)  # flow id -> reason
    card_payments_paused: str | None = None
    printer: frozenset[PrinterCondition] | None = None  # the printer's last status; None before the first
    reader: ReaderStatus | None = None  # the card reader's last report; None before the first
    link_up: bool | None = None  # the acquirer link as last reported; None before the first report


# Why the counter refuses what the cashier reports or chooses: `CounterRefused.code`, so a screen can say it in
# the cashier's own language.
REFUSALS = ("no_approved_receipt", "being_taken_back", "taken_back", "no_sale", "still_open", "already_followed",
            "receipt_cancelled", "no_receipt", "receipt_card_number", "no_flow")


class CounterRefused(ValueError):
    """A report or an action the counter will not take: says which sale or flow and why. The message is English,
    for logs and the command line; `code` (one of REFUSALS) and `facts` (the sale, the flow, the case that
    already followed) are what a screen puts into words of its own."""

    def __init__(self, code: str, message: str, **facts: object) -> None:
        assert code in REFUSALS, code
        super().__init__(message)
        self.code = code
        self.facts = facts


class NoOpenFlow(CounterRefused, KeyError):
    """No open flow has this id. A `KeyError`, as a lookup's miss reads, printed as a sentence."""

    def __str__(self) -> str:
        return str(self.args[0])


NEW_SALE = (HandOverReason.RIGHT_CARD, HandOverReason.PAY_UNPAID)  # hand-overs that charge a card as a new sale
# Per flow, the state with a request handed to the link (maybe journaled, maybe sent), then the state with
# it on the wire: after a restart the answer can no longer come.
IN_DOUBT = {"sale": ("AUTHORIZING", "AWAITING_RESPONSE"), "wrong_card": ("CANCELLING", "AWAITING_CANCEL"),
            "receipt_unpaid": ("VERIFYING", "AWAITING_ANSWER")}


class Counter:
    def __init__(
        self,
        journal: Journal,
        clock: Clock,
        *,
        hasher: CardHasher,
        host: HostService | None = None,
        reader: CardReaderService | None = None,
        printer: PrinterService | None = None,
        auth_timeout: float = 30.0,
        max_reversal_failures: int = 5,
        store_line: str = "",
        zone: tzinfo | None = None,
        on_change: Callable[[Screen], None] | None = None,
        on_prompt: Callable[[str, ShowPrompt], None] | None = None,
    ) -> None:
        self.journal = journal
        self.clock = clock
        self.host = host
        self.reader = reader
        self.printer = printer
        self.screen = Screen()
        self.outbox = Outbox(journal, store_line, zone)
        self._zone = zone  # the store's: a request's local time and date (fields 12, 13) are the shop's
        self._hasher = hasher
        self._config = {"sale": {"auth_timeout": auth_timeout},
                        "network_drop": {"max_reversal_failures": max_reversal_failures}}
        self.on_change = on_change
        self.on_prompt = on_prompt
        # An end of day settling over this counter's link (`agent.settle.at_counter`) hears the link through here.
        self.settling: Callable[[Any], None] | None = None
        self.flows: dict[str, Flow] = {}
        self._cards: dict[str, tuple[Card, EntryMode]] = {}
        self._timers: dict[str, Timer] = {}
        self._queue: deque[tuple[Any, str | None]] = deque()
        self._sends: deque[Callable[[], None]] = deque()
        self._draining = False
        self._stopping = False
        self._ids = itertools.count(last_flow_number(journal.query) + 1)
        self._resume()

    # -- the cashier's API -----------------------------------------------------------------------------

    def start_sale(self, amount: Money, reference: str | None = None) -> str:
        """A new sale: the customer is asked for a card."""
        flow = self._new_flow("sale")
        self._feed(AmountEntered(flow.flow_id, amount), flow.flow_id,
                   record=("sale_started", {"sale_id": flow.flow_id, "amount": amount.to_json(),
                                            "reference": reference}))
        return flow.flow_id

    def report_wrong_card(self, sale_id: str) -> str:
        """The cashier marks an approved sale as charged to the wrong card: its recovery starts here."""
        sale = self._approved_sale(sale_id)
        if any(flow.name == "wrong_card" and flow.ctx.sale.sale_id == sale_id for flow in self.flows.values()):
            raise CounterRefused("being_taken_back", f"sale {sale_id} is already being taken back", sale_id=sale_id)
        method = records.taken_back(self.journal, sale_id)
        if method is not None:
            raise CounterRefused("taken_back", f"sale {sale_id} was already taken back: the acquirer approved its "
                                 f"{method}", sale_id=sale_id, method=method)
        flow = self._new_flow("wrong_card")
        self._feed(HandOver("wrong_card", HandOverReason.WRONG_CARD, sale), flow.flow_id,
                   record=("wrong_card_reported", {"sale_id": sale_id, "flow_id": flow.flow_id}))
        return flow.flow_id

    def report_unpaid(self, sale_id: str, receipt_id: str | None = None) -> str:
        """The cashier reports a receipt the customer holds for a sale that may not be paid: the sale's own
        approved receipt, or (`receipt_id`) the till's. Its recovery starts by asking the acquirer."""
        on_record = records.sale_on_record(self.journal, sale_id)
        if on_record is None:
            raise CounterRefused("no_sale", f"no sale {sale_id!r} on record", sale_id=sale_id)
        live = [flow.flow_id for flow in self.flows.values()
                if flow.ctx.sale is not None and flow.ctx.sale.sale_id == sale_id]
        if live:
            raise CounterRefused("still_open", f"sale {sale_id} is still open at the counter ({', '.join(live)}): "
                                 f"finish it there first", sale_id=sale_id, flows=tuple(live))
        following = records.unpaid_case(self.journal, sale_id)
        if following is not None:
            case_id, state = following
            raise CounterRefused("already_followed", f"case {case_id} ({state}) already followed the receipt of "
                                 f"sale {sale_id}", sale_id=sale_id, case_id=case_id, state=state)
        method = records.taken_back(self.journal, sale_id)
        if method is not None:
            raise CounterRefused("receipt_cancelled", f"sale {sale_id} was taken back by a {method}: its receipt was "
                                 f"cancelled then", sale_id=sale_id, method=method)
        receipt_id = (receipt_id or "").strip() or on_record.receipt_id
        if not receipt_id:
            raise CounterRefused("no_receipt", f"sale {sale_id} printed no receipt of ours: give the number of the "
                                 f"receipt the customer holds", sale_id=sale_id)
        try:
            check_payload("receipt_unpaid_reported", {"receipt_id": receipt_id})
        except CardDataRefused:
            raise CounterRefused("receipt_card_number", "the receipt number looks like a card number: give the "
                                 "number printed on the receipt, never the card's") from None
        return self._open_unpaid(on_record.facts, receipt_id, on_record.charge, "cashier")

    def pay_case(self, case_id: str, method: str = "card", who: str = "cashier") -> str | None:
        """A customer who owes for a case pays at last. By card, a new sale pays it and settles the case when
        it is approved (its id is returned); another way is recorded and settles the case at once."""
        if method != "card":
            record_late_payment(self.journal, self.outbox, case_id, method, who)
            return None
        facts = owed(self.journal, case_id)
        flow = self._new_flow("sale")
        pay = SaleFacts(flow.flow_id, facts.amount, settles=case_id)
        self._feed(HandOver("sale", HandOverReason.PAY_UNPAID, pay), flow.flow_id,
                   record=("sale_started", {"sale_id": flow.flow_id, "amount": facts.amount.to_json(),
                                            "reference": None, "case_id": case_id}))
        return flow.flow_id

    def _open_unpaid(self, facts: SaleFacts, receipt_id: str, charge: str, by: str) -> str:
        flow = self._new_flow("receipt_unpaid")
        self._feed(ReceiptUnpaidReported(facts, receipt_id, charge, by), flow.flow_id,
                   record=("receipt_unpaid_reported", {"sale_id": facts.sale_id, "flow_id": flow.flow_id,
                                                       "receipt_id": receipt_id, "on_record": charge, "by": by}))
        return flow.flow_id

    def _check_receipt(self, sale_id: str, stan: Stan, what: str) -> None:
        """The acquirer refused or reversed an authorization after approving it: if a receipt was printed
        for it, that receipt may be unpaid — the receipt_unpaid flow finds out."""
        if records.approved_receipt(self.journal, sale_id, stan) is None:
            return
        if any(flow.name == "receipt_unpaid" and flow.ctx.sale.sale_id == sale_id for flow in self.flows.values()):
            return
        if records.unpaid_case(self.journal, sale_id) is not None:
            return
        on_record = records.sale_on_record(self.journal, sale_id)
        assert on_record is not None and on_record.receipt_id is not None
        self.journal.append("receipt_in_doubt", {"sale_id": sale_id, "stan": str(stan), "why": what},
                            stream=sale_id)
        self._open_unpaid(on_record.facts, on_record.receipt_id, on_record.charge, "agent")

    def _approved_sale(self, sale_id: str) -> SaleFacts:
        """An approved sale's facts, from its receipt: the one record that says it was approved."""
        document = records.approved_receipt(self.journal, sale_id)
        if document is None:
            raise CounterRefused("no_approved_receipt", f"sale {sale_id} has no approved receipt on record: there "
                                 f"is no charge to take back", sale_id=sale_id)
        return SaleFacts(sale_id, Money.from_json(document["amount"]), MaskedPan.parse(document["masked"]),
                         stan=Stan.parse(document["stan"]), sent_at=datetime.fromisoformat(document["time"]),
                         response_code="00")

    def act(self, flow_id: str, action: str, **data: Any) -> None:
        """A cashier's choice on the screen of one flow (another card, customer leaves, contact saved…)."""
        if flow_id not in self.flows:
            raise NoOpenFlow("no_flow", f"no open flow {flow_id!r}; open: {', '.join(self.flows) or 'none'}",
                             flow_id=flow_id)
        self._feed(CashierAction(action, data), flow_id,
                   record=("cashier_action", {"flow_id": flow_id, "action": action, "data": data}))

    def _asking(self, sale_id: str, request: dict[str, str]) -> Flow | None:
        """The live flow a request for `sale_id` was sent for: an inquiry is the receipt_unpaid flow's,
        anything else the flow that has the sale now."""
        asking = request.get("3") == INQUIRY
        for flow in self.flows.values():
            if flow.ctx.sale is not None and flow.ctx.sale.sale_id == sale_id \
                    and (flow.name == "receipt_unpaid") == asking:
                return flow
        return None

    @property
    def pause_cause(self) -> str | None:
        """Why card payments are paused, as the banner words it (agent.ui.reasons.link_down): the link's cause
        while it is down (None if no host service saw one), "back" while it is up again but has not held long
        enough to trust; None when card payments are not paused."""
        if self.screen.card_payments_paused is None:
            return None
        if self.screen.link_up:
            return "back"
        return self.host.down_cause if self.host is not None else None

    def flow_of(self, sale_id: str) -> Flow | None:
        """The live flow that has this sale now (sale, then a failure flow after a hand-over)."""
        for flow in self.flows.values():
            if flow.ctx.sale is not None and flow.ctx.sale.sale_id == sale_id:
                return flow
        return None

    # -- running ---------------------------------------------------------------------------------------

    async def run(self) -> None:
        tasks = [asyncio.create_task(service.run()) for service in self._services()]
        await asyncio.gather(*tasks)

    def _services(self) -> list[Any]:
        return [service for service in (self.host, self.reader, self.printer) if service is not None]

    def stop(self) -> None:
        self._stopping = True
        for service in self._services():
            if service is not None:
                service.stop()
        for timer in self._timers.values():
            timer.cancel()

    def device_event(self, event: Any, _seq: int | None = None) -> None:
        """Everything the reader and the acquirer link report comes in here."""
        if self.settling is not None:
            self.settling(event)
        if isinstance(event, hostlink.RequestUnanswered):
            flow = self._asking(event.tag, event.request)
            if flow is not None:  # the sale that request was for, and no other
                self._feed(LinkDown(f"no answer before the link was lost: {event.reason}"), flow.flow_id)
            return
        if isinstance(event, hostlink.DuplicateResponse):
            code, stan = event.response.get("39"), event.response.get("11")
            if code != "00" and stan:
                self._check_receipt(event.tag, Stan.parse(stan), f"the acquirer answered {code} after approving")
            return
        if isinstance(event, hostlink.RequestTimedOut):
            return  # the sale flow's own timer decides; the link's is a backstop for the link
        if isinstance(event, LinkDown) and not self._stopping and not self._someone_expects(event):
            self._new_flow("network_drop")  # link lost while idle: pause card payments
        if isinstance(event, ReversalAcknowledged):
            self._check_receipt(event.sale_id, event.stan, "a reversal of the approved authorization was acknowledged")
        if isinstance(event, ReaderStatus):
            self.screen.reader = event
        if isinstance(event, LinkUp | LinkDown):
            self.screen.link_up = isinstance(event, LinkUp)
        if isinstance(event, PrinterStatus):
            self.screen.printer = event.conditions
            if event.receipt_id is not None and fault_of(event.conditions) is not None \
                    and not self._someone_expects(event):
                self._new_flow("printer_fault")  # a receipt job is held: guide the cashier through the fix
        self._feed(event, None)

    # -- the event loop of the flows -------------------------------------------------------------------

    def _feed(self, event: Any, target: str | None, record: tuple[str, dict[str, Any]] | None = None) -> None:
        """Queue an event for one flow (target) or for every live flow, then drain the queue.

        Everything one outside event causes — each flow's new state, the hand-over to a successor flow,
        the effects that are journal entries (receipt to print, reversal queued, case opened) — commits
        in one transaction (with `record`, the cashier's input that caused it), so a crash keeps all of
        it or none of it. Sends to the acquirer wait until that commit: each is journaled and committed
        on its own, then its bytes leave.
        """
        self._queue.append((event, target))
        if self._draining:
            return
        self._draining = True
        try:
            with self.journal.transaction():
                if record is not None:
                    self.journal.append(record[0], record[1], stream=target)
                while self._queue:
                    self._dispatch(*self._queue.popleft())
        except BaseException:
            # Rolled back: nothing of it happened, so nothing of it may linger for the next event either —
            # neither its queued consequences nor a flow it was to open.
            self._queue.clear()
            if target in self.flows and self.flows[target].state.name == "IDLE":
                del self.flows[target]
            raise
        finally:
            self._draining = False
        while self._sends:
            self._sends.popleft()()
        if self.on_change is not None:
            self.on_change(self.screen)

    def _dispatch(self, event: Any, target: str | None) -> None:
        card = (event.card, event.entry_mode) if isinstance(event, CardRead) else None
        if target in self.flows:
            flows = [self.flows[target]]
        else:
            flows = [flow for flow in self.flows.values() if flow.expects(event)]
            if card is not None:
                # One card presented pays for one sale: the newest one waiting for a card, the one on
                # screen. Other flows may still hear it (to repeat "do not swipe again").
                sales = [flow for flow in flows if isinstance(flow, SaleFlow)]
                flows = [flow for flow in flows if not isinstance(flow, SaleFlow)] + sales[-1:]
        for flow in flows:
            effects = flow.handle(event)
            if card and any(isinstance(e, SendAuthorization) for e in effects):
                self._cards[flow.ctx.sale.sale_id] = card
            self._save(flow)
            for effect in effects:
                self._perform(flow, effect)
            self._show(flow)

    def _someone_expects(self, event: Any) -> bool:
        return any(flow.expects(event) for flow in self.flows.values())

    def _new_flow(self, name: str) -> Flow:
        flow_id = f"{name}-{next(self._ids)}"
        flow = FLOWS[name](flow_id, **self._config.get(name, {}))
        self.flows[flow_id] = flow
        return flow

    def _save(self, flow: Flow) -> None:
        self.journal.append(FLOW_SAVED, {"flow_id": flow.flow_id, "flow": flow.to_json()}, stream=self._stream(flow))

    def _stream(self, flow: Flow) -> str:
        return flow.ctx.sale.sale_id if flow.ctx.sale else flow.flow_id

    def _show(self, flow: Flow) -> None:
        """Put the flow's current prompt on the screen (journaled when it changes); retire finished flows."""
        prompt = flow.prompt()
        if prompt is not None and self.screen.prompts.get(flow.flow_id) != prompt:
            self.screen.prompts[flow.flow_id] = prompt
            self.journal.append("prompt_shown", {"flow_id": flow.flow_id} | record(prompt)[1],
                                stream=self._stream(flow))
            if self.on_prompt is not None:
                self.on_prompt(flow.flow_id, prompt)
        if flow.state.name in FINISHED:
            self.flows.pop(flow.flow_id, None)
            self.screen.prompts.pop(flow.flow_id, None)
        if flow.state.name != "CAPTURING_CONTACT":
            self.screen.capturing_contact.pop(flow.flow_id, None)

    def _resume(self) -> None:
        """Bring back every flow that was not finished when the agent stopped, without re-running it — with
        its contact form, if it was taking the customer's details."""
        for saved in open_flows(self.journal.query):
            flow = resume(saved)
            self.flows[flow.flow_id] = flow
            if flow.state.name == "CAPTURING_CONTACT":
                self._reopen_contact_form(flow)
            self._show(flow)
            if flow.state.name in IN_DOUBT.get(flow.name, ()):
                self._resume_in_doubt(flow)
            self._resume_printed(flow)

    def _reopen_contact_form(self, flow: Flow) -> None:
        """The form asked for before the stop, for the same reason: the journal kept the request."""
        rows = self.journal.query(
            "SELECT json_extract(payload, '$.reason') FROM events WHERE stream = ? AND +kind = 'contact_requested' "
            "AND json_extract(payload, '$.case_id') = ? ORDER BY seq DESC LIMIT 1", (self._stream(flow), flow.flow_id))
        if rows:
            self.screen.capturing_contact[flow.flow_id] = rows[0][0]

    def _resume_in_doubt(self, flow: Flow) -> None:
        """The agent stopped with a request of this flow handed to the link or on the wire. If the request is
        on record it may have gone out (it was journaled before it left) and its answer is lost with the
        connection: the flow hears that it left, then that the link went down — for an authorization or a
        cancellation that means the outcome is unknown and it is reversed. If not on record, nothing left."""
        sale = flow.ctx.sale
        assert sale is not None
        rows = self.journal.query(
            "SELECT at, json_extract(payload, '$.request.\"11\"') FROM events WHERE +kind = 'host_request' "
            "AND stream = ? AND seq > (SELECT MAX(seq) FROM events WHERE +kind = ? "
            "AND json_extract(payload, '$.flow_id') = ?) ORDER BY seq DESC LIMIT 1",
            (sale.sale_id, FLOW_SAVED, flow.flow_id))
        handed = flow.state.name == IN_DOUBT[flow.name][0]
        answer = self._answer_on_record(sale.sale_id) if rows or not handed else None
        self.journal.append("resumed_in_doubt", {"flow_id": flow.flow_id, "request_on_record": bool(rows) or not handed,
                                                 "answer_on_record": answer is not None}, stream=sale.sale_id)
        if rows and handed:
            at, stan = rows[0]
            self._feed(RequestSent(sale.sale_id, Stan.parse(stan), datetime.fromisoformat(at)), flow.flow_id)
        if answer is not None:
            self._feed(answer, flow.flow_id)
            return
        self._feed(LinkDown("the agent restarted while a request was outstanding"), flow.flow_id)

    def _answer_on_record(self, stream: str) -> HostResponse | None:
        """The acquirer's answer to the stream's latest request, if it was journaled before the stop: every
        response is journaled as it arrives (money rule 2), so one that arrived is never thrown away for a
        reversal — reversing an approved void would charge the wrong card again."""
        rows = self.journal.query(
            "SELECT answer.payload FROM events AS answer JOIN (SELECT seq, json_extract(payload, '$.request.\"11\"') "
            "AS stan FROM events WHERE +kind = 'host_request' AND stream = ? ORDER BY seq DESC LIMIT 1) AS request "
            "ON answer.seq > request.seq AND json_extract(answer.payload, '$.response.\"11\"') = request.stan "
            "WHERE answer.stream = ? AND +answer.kind = 'host_response' ORDER BY answer.seq LIMIT 1", (stream, stream))
        if not rows:
            return None
        try:
            return parse_response(json.loads(rows[0][0])["response"])
        except (RemoteProtocolError, KeyError):  # unreadable live too: it was taken as no answer then, and now
            return None

    def _resume_printed(self, flow: Flow) -> None:
        """A receipt the printer finished just before the stop, but whose flow never heard: it heard now."""
        receipt_id = getattr(flow.ctx, "receipt_id", None)
        if receipt_id is None or self.printer is None:
            return
        job = jobs_on_record(self.journal, self._stream(flow)).get(receipt_id)
        if job is not None and job.state == PRINTED:
            printed = ReceiptPrinted(receipt_id, job.duplicate)
            if flow.expects(printed):
                self._feed(printed, flow.flow_id)

    # -- effects ---------------------------------------------------------------------------------------

    def _perform(self, flow: Flow, effect: Any) -> None:
        stream = self._stream(flow)
        match effect:
            case SendAuthorization(sale_id=sale_id, amount=amount):
                self._sends.append(lambda: self._authorize(flow, sale_id, amount))
            case CancelCharge():
                self._sends.append(lambda: self._cancel_charge(flow, effect))
            case InquireCharge():
                self._sends.append(lambda: self._inquire(flow, effect))
            case QueueReversal(sale_id=sale_id, stan=stan, amount=amount):
                self._queue_reversal(sale_id, stan, amount)
            case StartTimer(name=name, seconds=seconds):
                self._cancel_timer(name)
                self._timers[name] = self.clock.call_later(seconds, lambda n=name: self._timer_fired(n))
            case CancelTimer(name=name):
                self._cancel_timer(name)
            case HandOver(flow=name):
                successor = self._new_flow(name)
                if effect.reason in NEW_SALE:  # a new sale, linked to the case it is for
                    self.journal.append("sale_started", {"sale_id": effect.sale.sale_id,
                                                         "amount": effect.sale.amount.to_json(), "reference": None,
                                                         "case_id": effect.sale.settles or flow.flow_id},
                                        stream=effect.sale.sale_id)
                self.journal.append("handed_over", record(effect)[1] | {"from": flow.flow_id,
                                                                         "to": successor.flow_id}, stream=stream)
                self._feed(effect, successor.flow_id)
            case Print():
                self._print(effect, stream)
            case RetryPrint(receipt_id=receipt_id):
                self.journal.append(PRINT_RETRY, {"receipt_id": receipt_id}, stream=stream)
                if self.printer is not None:
                    self._sends.append(lambda: self.printer.submit(receipt_id, stream))
            case ClosePrintJob(receipt_id=receipt_id, outcome=outcome):
                self.journal.append(PRINT_CLOSED, {"receipt_id": receipt_id, "outcome": outcome}, stream=stream)
            case ShowPrompt():
                pass  # the flow's prompt() is shown after its effects, in _show
            case CaptureContact(reason=reason):
                self.screen.capturing_contact[flow.flow_id] = reason
                self.journal.append("contact_requested", record(effect)[1], stream=stream)
            case Notify(case_id=case_id, template=template):
                assert flow.ctx.sale is not None
                self.outbox.draft_for_case(case_id, template, flow.ctx.sale)
            case PauseCardPayments(reason=reason):
                self.screen.card_payments_paused = reason
                self.journal.append("card_payments_paused", {"reason": reason})
            case ResumeCardPayments():
                self.screen.card_payments_paused = None
                self.journal.append("card_payments_resumed", {})
            case OpenCase() | ResolveCase() | RecordPayment() | EscalateToManager():
                kind, payload = record(effect)
                names = {"open_case": "case_opened", "resolve_case": "case_resolved",
                         "record_payment": "payment_recorded", "escalate_to_manager": "escalated"}
                self.journal.append(names[kind], payload, stream=stream)
            case _:
                self.journal.append("effect_unhandled", {"effect": type(effect).__name__}, stream=stream)

    def _authorize(self, flow: Flow, sale_id: str, amount: Money) -> None:
        """Build the purchase from the card in memory; journal it, then send it (write before the wire)."""
        read = self._cards.pop(sale_id, None)

        def build(at: datetime, terminal: Any) -> dict[str, str]:
            if read is None:
                raise LookupError("the card is no longer in memory")
            card, entry_mode = read
            return purchase(card, amount, entry_mode, at=at, terminal=terminal)

        self._send(flow, sale_id, "request", "authorization_not_sent", build)

    def _cancel_charge(self, flow: Flow, effect: CancelCharge) -> None:
        """Build the void or refund from the sale's journaled request and approval; journal it, then send it."""
        def build(at: datetime, terminal: Any) -> dict[str, str]:
            original, approval = self._original(effect.sale_id, effect.stan)
            if effect.method == "void":
                return void(original, approval, at=at, terminal=terminal)
            return refund(original, approval, effect.amount, at=at, terminal=terminal)

        self._send(flow, effect.sale_id, effect.method, "cancellation_not_sent", build)

    def _inquire(self, flow: Flow, effect: InquireCharge) -> None:
        """Ask the acquirer whether the sale's charge stands, naming the journaled request."""
        def build(at: datetime, terminal: Any) -> dict[str, str]:
            original = records.request_on_record(self.journal, effect.sale_id, effect.stan)
            if original is None:
                raise LookupError(f"no request with STAN {effect.stan} on record for sale {effect.sale_id}")
            return inquiry(original, at=at, terminal=terminal)

        self._send(flow, effect.sale_id, "inquiry", "inquiry_not_sent", build)

    def _send(self, flow: Flow, sale_id: str, what: str, not_sent: str,
              build: Callable[[datetime, Any], dict[str, str]]) -> None:
        """Build a request, journal it, send it, and tell the flow: `RequestSent`, or `LinkDown` when nothing
        left. A request that could not be built or journaled is withdrawn before any byte goes out."""
        at = self.clock.now().astimezone(self._zone)
        sent, reason = None, f"the acquirer link is down: the {what} was not sent"
        if self.host is not None and self.host.up:
            try:
                sent = self.host.send(sale_id, build(at, self.host.terminal))
            except Exception as exc:  # not journaled, so withdrawn before any byte left: nothing moved
                reason = f"the {what} could not be built or journaled, so it was not sent: {exc}"
        if sent is None:
            self.journal.append(not_sent, {"reason": reason}, stream=sale_id)
            self._feed(LinkDown(reason), flow.flow_id)
        else:
            self._feed(RequestSent(sale_id, Stan.parse(sent["11"]), at), flow.flow_id)

    def _original(self, sale_id: str, stan: Stan) -> tuple[dict[str, str], HostResponse]:
        request = records.request_on_record(self.journal, sale_id, stan)
        if request is None:
            raise ValueError(f"no request with STAN {stan} on record for sale {sale_id}")
        document = records.approved_receipt(self.journal, sale_id, stan)
        if document is None:
            raise ValueError(f"no approval of STAN {stan} on record for sale {sale_id}")
        rrn = Rrn(document["rrn"]) if document.get("rrn") else None
        return request, HostResponse(stan, "00", rrn, document.get("auth_code"))

    def _queue_reversal(self, sale_id: str, stan: Stan, amount: Money) -> None:
        original = records.request_on_record(self.journal, sale_id, stan)
        if original is None:
            # Nothing on record means nothing left the terminal (write before the wire).
            self.journal.append("reversal_not_needed", {"sale_id": sale_id, "stan": str(stan),
                                                        "reason": "no request on record"}, stream=sale_id)
            return
        if self.host is not None:
            self.host.queue_reversal(sale_id, original, amount)
        else:
            SafQueue(self.journal).enqueue(sale_id, original, amount)

    def _print(self, effect: Print, stream: str) -> None:
        """Journal the receipt to print — once per receipt id, unless it is asked for as a reprint — and
        hand it to the printer after the commit, so a receipt is never printed for a state that was lost.
        A slip with no time of its own (no request ever left) is stamped with the time it is queued."""
        done = self.journal.query("SELECT 1 FROM events WHERE stream = ? AND +kind = ? AND "
                                  "json_extract(payload, '$.receipt_id') = ?", (stream, TO_PRINT, effect.receipt_id))
        if done and not effect.duplicate:
            return
        if effect.document.get("time") is None:
            effect = dataclasses.replace(effect, document={**effect.document,
                                                           "time": self.clock.now().astimezone(self._zone).isoformat()})
        self.journal.append(TO_PRINT, record(effect)[1], stream=stream)
        if self.printer is not None:
            self._sends.append(lambda: self.printer.submit(effect.receipt_id, stream))

    def _timer_fired(self, name: str) -> None:
        self._timers.pop(name, None)
        self._feed(TimerFired(name), None)

    def _cancel_timer(self, name: str) -> None:
        timer = self._timers.pop(name, None)
        if timer is not None:
            timer.cancel()

