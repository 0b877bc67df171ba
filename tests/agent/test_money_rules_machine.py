"""The money rules as a state machine over the whole counter: Hypothesis drives sales, host faults, link
drops, cashier choices and power cuts against the virtual acquirer over real loopback TCP, on a virtual
clock; the acquirer's ledger is the ground truth.

After every step: a receipt stands only for money the acquirer holds (unless a NOT PAID slip cancelled it),
no receipt is cancelled twice, and a customer told "the hold is released" really has nothing held. At the
end, with the link back and store-and-forward drained, every authorization the agent sent holds exactly
what the agent believes — the amount if it acted on an approval (queued the receipt and never cancelled
it), else nothing — so no sale is paid twice and no hold is forgotten.

刷小票不付款 joins in: the acquirer approves a sale, the receipt prints, and the switch takes the approval back;
or the till printed a receipt for a declined sale; or the cashier reports a receipt the acquirer does hold.
The machine keeps its own account of those customers — paid in cash, paid by card (which card), left owing,
paid later — and at the end each card's net charge in the acquirer's ledger must be what that account (and,
for every other sale, the agent's belief about the card presented) says it paid by card; a cash payment is
on the sale's record and nowhere in the ledger; a customer who never came back owes the amount under an open
case and paid nothing by card.

Power cuts fall between steps here; tests/agent/test_counter_crash_points.py cuts inside one event's
handling, between two commits.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from agent.contacts import ContactStore
from domain.card import mask_pan
from domain.events import CashierAction
from domain.money import Money
from simulator.cardreader.wallet import VALID_KEYS, WALLET
from tests.agent.rig import IN_FLIGHT, Rig, run

CONTACT_KEY = b"k" * 32
DECLINE_ENDINGS = (51, 54, 5, 14, 91, 96)
AMOUNTS = st.builds(lambda major, ending: f"{major}.{ending:02d}", st.integers(1, 300),
                    st.sampled_from((0, 0, 0, 37, 80, *DECLINE_ENDINGS)))
CARDS = st.sampled_from(VALID_KEYS)
# Amounts the acquirer approves on any valid card, so a customer can always pay them by card.
APPROVING = st.builds(lambda major, ending: f"{major}.{ending:02d}", st.integers(1, 300), st.sampled_from((0, 37, 80)))
MASKED = {mask_pan(WALLET[key].pan): key for key in VALID_KEYS}
# The screens of a receipt_unpaid flow that wait for the cashier (and the customer).
UNPAID_SCREENS = frozenset({"UNPAID", "UNVERIFIED", "CAPTURING_CONTACT"})
FAULTS = st.sampled_from(("none", "drop", "reset", "late", "delay", "duplicate", "garbage", "raw_garbage"))
# A network_drop flow in one of these still owes the customer a reversal.
OWES_A_REVERSAL = frozenset({"OUTCOME_UNKNOWN", "AWAITING_REVERSAL", "ESCALATED"})
ACTION_DATA = {"other_payment": {"method": "cash"}, "contact_saved": {"contact_id": "to be recorded"}}


@dataclass
class Customer:
    """A customer holding a receipt that a receipt_unpaid flow looks into, as the machine knows them."""

    sale: str
    amount: int  # minor units
    case: str  # the receipt_unpaid flow's id, which is its case's
    receipt: str  # the receipt they hold: ours or the till's
    charge_stands: bool = False  # reported by the cashier, but the acquirer holds the charge: they paid
    left: bool = False
    paid: str | None = None  # "cash" or "card", once they paid for the receipt
    pay_sale: str | None = None  # the sale that paid it by card


class MoneyRules(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = tempfile.TemporaryDirectory(prefix="recoup-money-rules-")
        self.rig = Rig(Path(self.folder.name) / "j.sqlite", quiet=0.01)
        self.restarts = 0
        self.cards: dict[str, str] = {}  # sale -> the wallet key of the last card presented for it
        self.customers: dict[str, Customer] = {}  # by receipt_unpaid flow (and case) id
        self.exact: dict[str, int] = {}  # sale -> what the machine knows it holds, where it knows exactly
        self.tills = 0
        self.run(self.start())

    def run(self, coroutine):
        return self.loop.run_until_complete(coroutine)

    async def start(self) -> None:
        await self.rig.start()
        self.rig.guard_spin()

    def teardown(self) -> None:
        try:
            self.run(self.everything_settles())
        finally:
            try:
                self.run(self.rig.stop())
                self.run(self.rig.acquirer.close())
            finally:
                self.loop.close()
                self.folder.cleanup()

    # -- rules ---------------------------------------------------------------------------------------

    @initialize(amount=AMOUNTS, card=CARDS, fault=FAULTS)
    def first_sale(self, amount: str, card: str, fault: str) -> None:
        self.sale_with_a_fault(amount, card, fault)

    @rule(amount=AMOUNTS, card=CARDS, fault=FAULTS)
    def sale_with_a_fault(self, amount: str, card: str, fault: str) -> None:
        """The cashier keys an amount and the customer presents a card — with the host's next fault set."""
        self.inject(fault)
        self.sale(amount, card)

    @rule(amount=AMOUNTS, card=CARDS)
    def sale(self, amount: str, card: str) -> None:
        """The cashier waits for card payments to be back (unless the link is down for good), keys an amount,
        and the customer presents a card."""
        rig = self.rig
        self.run(rig.until(lambda: rig.host.up or rig.acquirer.refusing, jump=True))
        rig.counter.start_sale(Money.parse(amount))
        self.present(card)
        self.run(self.rig.settle())

    @rule(seconds=st.sampled_from((1, 5, 35)))
    def time_passes(self, seconds: float) -> None:
        rig = self.rig
        target = rig.clock.monotonic() + seconds
        self.run(rig.until(lambda: rig.clock.monotonic() >= target, jump=True))

    @rule(code=st.sampled_from(("96", "91")))
    def host_refuses_the_next_request(self, code: str) -> None:
        """The acquirer refuses the next money request, whichever comes first: a sale (declined) or a
        reversal (nothing released, so it must stay queued)."""
        self.rig.acquirer.rules.set_next(1, code)

    @precondition(lambda self: not self.rig.acquirer.refusing)
    @rule()
    def link_down(self) -> None:
        self.run(self.rig.acquirer.refuse_connections())
        self.run(self.rig.settle())

    @precondition(lambda self: self.rig.acquirer.refusing)
    @rule()
    def link_up(self) -> None:
        rig = self.rig
        self.run(rig.acquirer.allow_connections())
        self.run(rig.until(lambda: rig.host.up, jump=True))

    @precondition(lambda self: bool(self.choices()))
    @rule(data=st.data())
    def cashier(self, data: st.DataObject) -> None:
        """A choice on the screen of an open flow; a card tried again is presented at once."""
        rig = self.rig
        flow_id, action = data.draw(st.sampled_from(self.choices()), label="choice")
        options = dict(ACTION_DATA.get(action, {}))
        if action == "contact_saved":
            store = ContactStore(rig.journal, CONTACT_KEY)
            options["contact_id"] = store.record(consent=True, phone="13800138000", channel="sms", case_id=flow_id)
        rig.counter.act(flow_id, action, **options)
        if any(f.name == "sale" and f.state.name == "WAITING_CARD" for f in rig.counter.flows.values()):
            self.present(data.draw(CARDS, label="card"))
        self.run(rig.settle())

    @precondition(lambda self: bool(self.approved_sales()))
    @rule(data=st.data())
    def wrong_card(self, data: st.DataObject) -> None:
        """The cashier reports an approved sale as charged to the wrong card (刷错卡)."""
        sale = data.draw(st.sampled_from(self.approved_sales()), label="wrong card")
        if any(e.payload["receipt_id"] in self.cancelled() for e in self.rig.receipts(sale)):
            note("wrong card: a receipt found unpaid")
        self.rig.counter.report_wrong_card(sale)
        self.exact.pop(sale, None)  # what it holds now is the wrong_card flow's business, and the agent's belief
        self.run(self.rig.settle())

    @precondition(lambda self: self.nothing_in_doubt())
    @rule()
    def batch_settles(self) -> None:
        """End of day: once the terminal has sent its stored reversals and nothing is in flight, the batch
        settles; from then on a sale of it is refunded, no longer voided. (A cutover by the acquirer with a
        reversal still queued is the settlement check's business, not this machine's.)"""
        self.rig.acquirer.settle()

    @rule()
    def power_cut(self) -> None:
        """The PC loses power between two steps; a new agent starts with the journal as it was on disk."""
        self.restarts += 1
        if self.unpaid_screens():
            note("receipt_unpaid: restarted with the customer at the counter")
        self.run(self.rig.crash_and_restart(f"restart-{self.restarts}.sqlite"))
        self.rig.guard_spin()

    # -- 刷小票不付款 ------------------------------------------------------------------------------------

    @precondition(lambda self: self.may_be_calm())
    @rule(amount=APPROVING, card=CARDS, code=st.sampled_from(("05", "51", "96")), data=st.data())
    def receipt_then_taken_back(self, amount: str, card: str, code: str, data: st.DataObject) -> None:
        """The sale is approved and its receipt printed; then the switch takes the approval back and answers
        again, refusing. The agent raises receipt_unpaid itself, the acquirer says there is no charge, and the
        receipt is cancelled by a NOT PAID slip; the customer, still at the counter, may choose at once."""
        if not self.calm():
            return
        rig = self.rig
        rig.acquirer.contradict(code)
        sale = rig.counter.start_sale(Money.parse(amount))
        self.present(card)
        self.run(rig.until(lambda: bool(self.reports(sale)), jump=True))
        [report] = self.reports(sale)
        assert (report["by"], report["on_record"]) == ("agent", "contradicted"), report
        [receipt] = [e.payload["receipt_id"] for e in rig.receipts(sale) if e.payload["document"]["type"] == "sale"]
        assert report["receipt_id"] == receipt
        self.found_unpaid(sale, report["flow_id"], receipt)
        self.customer_chooses(report["flow_id"], data, data.draw(st.integers(0, 2), label="choices now"))

    @precondition(lambda self: self.may_be_calm())
    @rule(amount=APPROVING, card=CARDS, code=st.sampled_from(("51", "05", "14", "54")), data=st.data())
    def tills_receipt_for_a_declined_sale(self, amount: str, card: str, code: str, data: st.DataObject) -> None:
        """The card is declined and the cashier cancels the sale — but the till had printed its receipt, and
        the customer walked off with it. The cashier reports the till's receipt; the acquirer holds nothing.
        The customer (back at the counter, or reached) may choose at once."""
        if not self.calm():
            return
        rig = self.rig
        rig.acquirer.rules.set_next(1, code)
        sale = rig.counter.start_sale(Money.parse(amount))
        self.present(card)
        self.run(rig.until(rig.at(sale, "declined", "DECLINED"), jump=True))
        rig.counter.act(rig.flow(sale).flow_id, "cancel")
        self.tills += 1
        receipt = f"till-{self.tills}"
        flow_id = rig.counter.report_unpaid(sale, receipt_id=receipt)
        [report] = self.reports(sale)
        assert (report["by"], report["on_record"], report["flow_id"]) == ("cashier", "declined", flow_id), report
        self.found_unpaid(sale, flow_id, receipt)
        self.customer_chooses(flow_id, data, data.draw(st.integers(0, 2), label="choices now"))

    @precondition(lambda self: self.may_be_calm() and bool(self.standing_receipts()))
    @rule(data=st.data(), silent=st.booleans())
    def cashier_reports_a_paid_receipt(self, data: st.DataObject, silent: bool) -> None:
        """The cashier reports a receipt of ours that the acquirer holds. Asked, it says the charge stands:
        paid after all, and nothing changes. Or the acquirer does not answer (silent): nothing is decided."""
        if not self.calm() or not self.standing_receipts():
            return
        rig = self.rig
        sale = data.draw(st.sampled_from(self.standing_receipts()), label="receipt reported unpaid")
        before = self.money(sale)
        if silent:
            rig.acquirer.black_hole()
        flow_id = rig.counter.report_unpaid(sale)
        [receipt] = [e.payload["receipt_id"] for e in rig.receipts(sale) if e.payload["document"]["type"] == "sale"]
        self.customers[flow_id] = Customer(sale, self.amount_of(sale), flow_id, receipt, charge_stands=True)
        if silent:
            self.run(rig.until(lambda: self.state_of(flow_id) == "UNVERIFIED", jump=True))
            self.run(rig.until(lambda: rig.host.up, jump=True))
            assert self.case(flow_id) is None, "nothing is decided while the acquirer cannot be asked"
            note("receipt_unpaid: the acquirer could not be asked")
        else:
            self.run(rig.until(lambda: self.state_of(flow_id) == "PAID_AFTER_ALL", jump=True))
            self.paid_after_all(flow_id)
        assert self.money(sale) == before, "asking the acquirer moved money"

    @precondition(lambda self: bool(self.unpaid_screens()))
    @rule(data=st.data())
    def unpaid_customer(self, data: st.DataObject) -> None:
        """The customer with a receipt found unpaid (or not verified) chooses: cash now, another card now, or
        leave (details left or not); a receipt not verified may be checked again."""
        flow_id = data.draw(st.sampled_from(self.unpaid_screens()), label="receipt_unpaid flow")
        self.customer_chooses(flow_id, data)

    def customer_chooses(self, flow_id: str, data: st.DataObject, times: int = 1) -> None:
        """`times` choices on the flow's screens, as long as it shows one."""
        for _ in range(times):
            if flow_id in self.unpaid_screens():
                self.one_choice(flow_id, data)

    def one_choice(self, flow_id: str, data: st.DataObject) -> None:
        rig = self.rig
        flow, customer = rig.counter.flows[flow_id], self.customers[flow_id]
        actions = [action for action in sorted(flow.ACTIONS)
                   if flow.expects(CashierAction(action, ACTION_DATA.get(action, {})))
                   and (action not in ("another_card", "check_again") or self.may_be_calm())]
        action = data.draw(st.sampled_from(actions), label="the customer")
        if action in ("another_card", "check_again") and not self.calm():
            return
        before = self.money(customer.sale)
        match action:
            case "other_payment":
                rig.counter.act(flow_id, action, method="cash")
                assert self.case(flow_id) == ("closed", "paid_otherwise")
                customer.paid = "cash"
            case "another_card":
                rig.counter.act(flow_id, action)
                self.pays_by_card(customer, f"{customer.sale}-pay", data.draw(CARDS, label="paying card"))
            case "check_again":
                rig.counter.act(flow_id, action)
                self.run(rig.until(lambda: self.state_of(flow_id) not in ("VERIFYING", "AWAITING_ANSWER"),
                                   jump=True))
                assert customer.charge_stands, "only a receipt the acquirer holds was left unverified here"
                assert self.state_of(flow_id) == "PAID_AFTER_ALL", self.state_of(flow_id)
                self.paid_after_all(flow_id)
            case "customer_leaves":
                rig.counter.act(flow_id, action)
                customer.left = True
            case "contact_saved":
                store = ContactStore(rig.journal, CONTACT_KEY)
                contact = store.record(consent=True, phone="13800138000", channel="sms", case_id=flow_id)
                rig.counter.act(flow_id, action, contact_id=contact)
            case _:
                rig.counter.act(flow_id, action)
        if action != "another_card":
            assert self.money(customer.sale) == before, f"{action} moved money"
        self.run(rig.settle())

    @precondition(lambda self: bool(self.owing()))
    @rule(data=st.data(), method=st.sampled_from(("card", "cash")))
    def customer_comes_back_to_pay(self, data: st.DataObject, method: str) -> None:
        """A customer who left owing for a NOT PAID receipt comes back and pays the case: by card (a new
        sale settles it when approved) or in cash (recorded, settled at once). Some never come back."""
        rig = self.rig
        customer = data.draw(st.sampled_from(self.owing()), label="customer back")
        if method == "cash" or not self.may_be_calm() or not self.calm():  # no card payments now: cash
            assert rig.counter.pay_case(customer.case, "cash") is None
            assert self.case(customer.case) == ("closed", "paid_later")
            customer.paid = "cash"
            note("receipt_unpaid: paid later in cash")
            return
        paying = rig.counter.pay_case(customer.case)
        assert paying is not None
        self.pays_by_card(customer, paying, data.draw(CARDS, label="paying card"))
        note("receipt_unpaid: paid later by card")

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def a_receipt_only_for_money_the_acquirer_holds(self) -> None:
        rig = self.rig
        cancelled = self.cancelled()
        for event in rig.events("receipt_to_print"):
            document = event.payload["document"]
            if document["type"] != "sale":  # a slip (contact, NOT PAID): it claims no payment
                assert "status" not in document
                continue
            if event.payload["receipt_id"] in cancelled:  # a NOT PAID slip says it no longer stands
                continue
            entry = rig.acquirer.ledger.entry(rig.host.terminal.terminal_id, document["stan"])
            # approved for that amount and never reversed (a void the cashier asked for may take it back)
            assert entry is not None and entry.approved and not entry.reversed \
                and entry.amount.minor == document["amount"]["minor"], (
                f"receipt {event.payload['receipt_id']}, but the acquirer says "
                f"{entry.describe() if entry else 'never heard of it'}")

    @invariant()
    def released_means_released(self) -> None:
        """The customer is told the hold is released only once the acquirer holds nothing."""
        rig = self.rig
        for flow in rig.counter.flows.values():
            if flow.name == "network_drop" and flow.state.name == "RELEASED":
                entry = rig.acquirer.ledger.entry(rig.host.terminal.terminal_id, str(flow.sale.stan))
                assert entry is None or entry.charge == 0, f"{flow.flow_id} says released: {entry.describe()}"

    @invariant()
    def a_receipt_cancelled_once(self) -> None:
        """Never two NOT PAID slips for one receipt (a reprint of the one slip is marked as such)."""
        slips = collections.Counter(event.payload["document"]["receipt_id"]
                                    for event in self.rig.events("receipt_to_print")
                                    if event.payload["document"]["type"] == "not_paid"
                                    and not event.payload.get("duplicate"))
        assert all(count == 1 for count in slips.values()), f"a receipt cancelled twice: {slips}"

    @invariant()
    def receipt_unpaid_only_where_expected(self) -> None:
        """The agent raises receipt_unpaid only when the acquirer took back an approval a receipt was printed
        for — here, only under the contradict fault — and the cashier only when the machine did."""
        unknown = [e.payload for e in self.rig.events("receipt_unpaid_reported")
                   if e.payload["flow_id"] not in self.customers]
        assert not unknown, f"receipt_unpaid raised where the machine expected none: {unknown}"

    @invariant()
    def never_spinning(self) -> None:
        assert not self.rig.spinning, "store-and-forward spun on a dead link"

    # -- helpers -------------------------------------------------------------------------------------

    def inject(self, fault: str) -> None:
        acquirer = self.rig.acquirer
        match fault:
            case "drop":
                acquirer.drop_after_request()
            case "reset":
                acquirer.reset()
            case "late":
                acquirer.late_response(35)
            case "delay":
                acquirer.delay(1500)
            case "duplicate":
                acquirer.duplicate_response()
            case "garbage":
                acquirer.garbage(24)
            case "raw_garbage":
                acquirer.garbage(24, framed=False)

    def present(self, card: str) -> None:
        """The customer presents a card: it pays for the newest sale waiting for one, as at the counter."""
        waiting = [flow for flow in self.rig.counter.flows.values()
                   if flow.name == "sale" and flow.state.name == "WAITING_CARD"]
        if waiting:
            self.cards[waiting[-1].ctx.sale.sale_id] = card
        self.rig.swipe(card)

    def may_be_calm(self) -> bool:
        """The link is not down for good and no refusal is staged: the counter can be brought to calm."""
        return not self.rig.acquirer.refusing and not self.rig.acquirer.rules.next_left

    def calm(self) -> bool:
        """Bring the counter to calm for a step that must know what the acquirer will say: a fault left armed
        (its sale never sent) is cleared, the link is up, store-and-forward drained, nothing in flight."""
        rig = self.rig
        rig.acquirer.clear_faults()
        self.run(rig.until(rig.drained, jump=True))
        self.run(rig.settle())
        return rig.host.up and self.nothing_in_doubt()

    def reports(self, sale: str) -> list[dict]:
        return [e.payload for e in self.rig.events("receipt_unpaid_reported") if e.payload["sale_id"] == sale]

    def state_of(self, flow_id: str) -> str | None:
        """A flow's state, live or as last journaled once it finished."""
        flow = self.rig.counter.flows.get(flow_id)
        if flow is not None:
            return flow.state.name
        rows = self.rig.journal.query("SELECT json_extract(payload, '$.flow.state') FROM events WHERE +kind = "
                                      "'flow_saved' AND json_extract(payload, '$.flow_id') = ? "
                                      "ORDER BY seq DESC LIMIT 1", (flow_id,))
        return rows[0][0] if rows else None

    def case(self, case_id: str) -> tuple[str, str | None] | None:
        rows = self.rig.journal.query("SELECT state, resolution FROM cases WHERE case_id = ?", (case_id,))
        return tuple(rows[0]) if rows else None

    def amount_of(self, sale: str) -> int:
        return self.rig.events("sale_started", sale)[0].payload["amount"]["minor"]

    def money(self, sale: str) -> tuple:
        """Everything money-shaped about a sale: its requests that move money, and the whole ledger."""
        rig = self.rig
        requests = [e.payload["request"]["11"] for e in rig.events("host_request", sale)
                    if e.payload["request"]["t"] != "0600"]
        ledger = [(e.terminal_id, e.stan, e.kind, e.response_code, e.reversed, e.voided)
                  for e in rig.acquirer.ledger.entries]
        return requests, ledger, len(rig.host.saf.pending())

    def cancelled(self) -> set[str]:
        """The receipts a NOT PAID slip cancelled."""
        return {e.payload["document"]["receipt_id"] for e in self.rig.events("receipt_to_print")
                if e.payload["document"]["type"] == "not_paid"}

    def slips(self, case_id: str) -> list[dict]:
        return [e.payload["document"] for e in self.rig.events("receipt_to_print")
                if e.payload["document"]["type"] == "not_paid" and e.payload["document"]["case_id"] == case_id]

    def found_unpaid(self, sale: str, flow_id: str, receipt: str) -> None:
        """The acquirer said there is no charge: a NOT PAID slip cancels the receipt, under an open case, and
        the customer (still at the counter) owes the amount."""
        rig = self.rig
        self.run(rig.until(lambda: self.state_of(flow_id) not in (None, "VERIFYING", "AWAITING_ANSWER"), jump=True))
        assert self.state_of(flow_id) == "UNPAID", f"{flow_id}: {self.state_of(flow_id)}"
        [slip] = self.slips(flow_id)
        assert (slip["receipt_id"], slip["sale_id"]) == (receipt, sale), slip
        assert self.case(flow_id) == ("open", None)
        self.customers[flow_id] = Customer(sale, self.amount_of(sale), flow_id, receipt)
        self.exact[sale] = 0  # taken back by the switch, or declined: the card presented paid nothing
        note("receipt_unpaid: NOT PAID slip")

    def paid_after_all(self, flow_id: str) -> None:
        customer = self.customers[flow_id]
        assert self.case(flow_id) == ("closed", "paid_after_all"), self.case(flow_id)
        assert not self.slips(flow_id) and customer.receipt not in self.cancelled()
        note("receipt_unpaid: paid after all")

    def pays_by_card(self, customer: Customer, paying: str, card: str) -> None:
        """A new sale waits for a card for the case; it is presented, approved, and settles the case."""
        rig = self.rig
        assert rig.at(paying, "sale", "WAITING_CARD")(), f"{paying} is not waiting for a card"
        self.present(card)
        self.run(rig.until(lambda: self.case(customer.case) == ("closed", "paid_by_card"), jump=True))
        assert [e.payload["document"]["status"] for e in rig.receipts(paying)] == ["approved"]
        customer.paid, customer.pay_sale = "card", paying
        self.exact[paying] = customer.amount
        note("receipt_unpaid: paid by card")

    def standing_receipts(self) -> list[str]:
        """Sales whose approved receipt stands (never cancelled, never reported as the wrong card) and that
        no flow or case followed: receipts the acquirer holds, that a cashier might still doubt. A receipt a
        case already followed — open, or settled as paid after all — is not reported again."""
        rig = self.rig
        reported = {e.payload["sale_id"] for e in rig.events("wrong_card_reported")} | {
            c.sale for c in self.customers.values() if self.case(c.case) is not None}
        cancelled = self.cancelled()
        return sorted(sale for sale in {e.stream for e in rig.events("receipt_to_print")
                                        if e.payload["document"]["type"] == "sale"
                                        and e.payload["receipt_id"] not in cancelled} - reported
                      if rig.counter.flow_of(sale) is None)

    def unpaid_screens(self) -> list[str]:
        return sorted(flow_id for flow_id, flow in self.rig.counter.flows.items()
                      if flow.name == "receipt_unpaid" and flow.state.name in UNPAID_SCREENS)

    def owing(self) -> list[Customer]:
        """Customers who left owing for a receipt found unpaid, whose flow has finished at the counter.
        (Not one whose receipt was never verified: see test_a_case_never_found_unpaid_is_not_paid_again.)"""
        return [c for c in self.customers.values() if c.left and c.paid is None and not c.charge_stands
                and c.case not in self.rig.counter.flows and self.case(c.case) == ("open", None)]

    def nothing_in_doubt(self) -> bool:
        rig = self.rig
        return not rig.host.saf.pending() and not any(
            f.state.name in IN_FLIGHT or f.state.name in OWES_A_REVERSAL for f in rig.counter.flows.values())

    def approved_sales(self) -> list[str]:
        rig = self.rig
        reported = {e.payload["sale_id"] for e in rig.events("wrong_card_reported")}
        return sorted({e.stream for e in rig.events("receipt_to_print")
                       if e.payload["document"]["type"] == "sale"} - reported)

    def choices(self) -> list[tuple[str, str]]:
        """The cashier's choices that the open flows' screens offer now (receipt_unpaid's are the customer's
        choices, in `unpaid_customer`, where the machine keeps its account of them)."""
        return sorted((flow_id, action) for flow_id, flow in self.rig.counter.flows.items()
                      if flow.ctx.sale is not None and flow.name != "receipt_unpaid" for action in flow.ACTIONS
                      if flow.expects(CashierAction(action, ACTION_DATA.get(action, {}))))

    async def everything_settles(self) -> None:
        """The link comes back and stays; store-and-forward drains; every authorization is answered."""
        rig = self.rig
        if rig.acquirer.refusing:
            await rig.acquirer.allow_connections()
        await rig.until(rig.drained, jump=True)
        await rig.settle()
        assert not rig.spinning
        paid = rig.audit()
        owed = [f"{f.flow_id}:{f.state.name}" for f in rig.counter.flows.values()
                if f.name == "network_drop" and (f.state.name in OWES_A_REVERSAL or (
                    f.state.name == "CAPTURING_CONTACT" and not f.ctx.reversal_acknowledged))]
        assert not owed, f"flows still waiting for a reversal that nothing will send: {owed}"
        assert all(minor >= 0 for minor in paid.values())
        self.each_card_paid_what_its_customers_did(paid)
        self.each_customer_paid_once(paid)
        for kind in ("receipt_to_print", "reversal_acknowledged", "reversal_unanswered", "host_late_response",
                     "host_duplicate_response", "host_malformed", "resumed_in_doubt", "authorization_not_sent",
                     "case_opened", "case_resolved", "payment_recorded"):
            if rig.events(kind):
                note(f"journaled {kind}")
        if self.restarts:
            note("restarted")
        if any(e.payload["request"]["t"] == "0401" for e in rig.events("reversal_attempt")):
            note("reversal repeated (0401)")
        if any(e.payload.get("flow") == "declined" for e in rig.events("handed_over")):
            note("declined")
        for customer in self.customers.values():
            note("receipt_unpaid customer, at the end: " + (
                "the charge stood" if customer.charge_stands else f"paid by {customer.paid}" if customer.paid
                else "never came back" if customer.left else "still at the counter"))
        for code, name in (("020000", "void"), ("200000", "refund")):
            if any(e.payload["request"]["3"] == code for e in rig.events("host_request")):
                note(f"wrong card: {name} sent")

    def each_card_paid_what_its_customers_did(self, paid: dict[str, int]) -> None:
        """Each card's net charge in the ledger is what its customers paid by card: the machine's own count
        where it keeps one (receipts found unpaid: nothing on the card presented; a card that paid for one:
        the amount), else what the agent believes of the sale — on the card the customer presented."""
        rig = self.rig
        expected: collections.Counter[str] = collections.Counter()
        for sale in sorted(set(paid) | set(self.exact)):
            held = self.exact.get(sale, paid.get(sale, 0))
            assert paid.get(sale, 0) == held, f"sale {sale}: the machine counts {held}, the agent believes " \
                                              f"{paid.get(sale, 0)}"
            if not held:
                continue
            card = self.cards.get(sale)
            assert card is not None, f"sale {sale} holds {held}, but no card was presented for it"
            expected[card] += held
            printed = {MASKED.get(e.payload["document"]["masked"]) for e in rig.receipts(sale)
                       if e.payload["document"].get("status") == "approved"}
            assert printed == {card}, f"sale {sale}: paid by {card}, the receipt names {printed}"
        ledger = {card: rig.net(card) for card in VALID_KEYS}
        assert ledger == {card: expected[card] for card in VALID_KEYS}, f"ledger {ledger}, customers {expected}"

    def each_customer_paid_once(self, paid: dict[str, int]) -> None:
        """A customer holding an unpaid receipt paid it once — in cash (on the sale's record, not in the
        ledger) or by card (a sale that settled the case) — or owes it under an open case, having paid
        nothing; one whose receipt the acquirer held paid by card already and is asked for nothing more."""
        rig = self.rig
        for customer in self.customers.values():
            cash = [e.payload for e in rig.events("payment_recorded", customer.sale)]
            if customer.pay_sale is not None:
                cash += [e.payload for e in rig.events("payment_recorded", customer.pay_sale)]
            slips, case = self.slips(customer.case), self.case(customer.case)
            who = f"{customer.case} for {customer.sale} ({customer})"
            if customer.charge_stands:
                assert not slips and not cash, who
                assert case in (None, ("open", None), ("closed", "paid_after_all")), f"{who}: {case}"
                continue
            assert len(slips) == 1, who
            if customer.paid == "cash":
                assert [(c["method"], c["amount"]["minor"]) for c in cash] == [("cash", customer.amount)], who
                assert case in (("closed", "paid_otherwise"), ("closed", "paid_later")), f"{who}: {case}"
            elif customer.paid == "card":
                assert not cash and case == ("closed", "paid_by_card"), f"{who}: {cash}, {case}"
            else:
                assert not cash and case == ("open", None), f"{who}: {cash}, {case}"
                assert paid.get(customer.sale, 0) == 0, f"{who} owes, yet paid by card"


MoneyRules.TestCase.settings = settings(max_examples=15, stateful_step_count=20, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
TestMoneyRules = MoneyRules.TestCase


# -- what the machine found, pinned down (the machine itself steers clear of these paths) -----------------------


def case_state(rig: Rig, case_id: str) -> tuple[str, str | None]:
    return tuple(rig.journal.query("SELECT state, resolution FROM cases WHERE case_id = ?", (case_id,))[0])


async def contradicted(rig: Rig, amount: str = "58.00", card: str = "visa") -> tuple[str, str]:
    """A sale approved, its receipt printed, then taken back by the switch: found unpaid, NOT PAID slip."""
    rig.acquirer.contradict("05")
    sale = rig.sale(amount, card)
    await rig.until(lambda: bool(rig.events("case_opened", sale)), jump=True)
    flow_id = rig.events("case_opened", sale)[0].payload["case_id"]
    await rig.until(rig.at(sale, "receipt_unpaid", "UNPAID"), jump=True)
    return sale, flow_id


def test_a_case_never_found_unpaid_is_not_paid_again(tmp_path):
    async def scenario(rig):
        sale = rig.sale("58.00", "visa")
        await rig.until(lambda: bool(rig.receipts(sale)), jump=True)
        rig.acquirer.black_hole()  # the inquiry goes unanswered: nothing is decided
        flow_id = rig.counter.report_unpaid(sale)
        await rig.until(lambda: rig.prompt_of(flow_id) == "receipt_unpaid.unverified", jump=True)
        rig.counter.act(flow_id, "customer_leaves")  # the customer leaves details to hear the outcome
        rig.counter.act(flow_id, "contact_declined")
        await rig.until(lambda: rig.host.up, jump=True)
        assert rig.net("visa") == 5800  # the receipt was right all along
        try:
            paying = rig.counter.pay_case(flow_id)  # the customer comes back and is asked to pay the case
        except ValueError:
            paying = None
        if paying is not None:
            rig.swipe("mastercard")
            await rig.until(rig.drained, jump=True)
            await rig.settle()
        rig.audit()
        assert rig.net("visa") + rig.net("mastercard") == 5800, "one purchase, paid twice by card"

    run(tmp_path, scenario)


def test_a_case_paid_at_the_desk_is_not_paid_again_at_the_counter(tmp_path):
    async def scenario(rig):
        sale, flow_id = await contradicted(rig)
        with contextlib.suppress(ValueError):
            rig.counter.pay_case(flow_id, "cash")  # the manager records the payment from the desk
        if flow_id in rig.counter.flows:  # ... while the counter still asks the customer to pay
            rig.counter.act(flow_id, "other_payment", method="cash")
        paid = [e.payload["method"] for e in rig.events("payment_recorded", sale)]
        assert paid == ["cash"], f"payments recorded for one receipt: {paid}"

    run(tmp_path, scenario)


def test_a_card_payment_declined_then_paid_another_way_settles_the_case(tmp_path):
    async def scenario(rig):
        sale, flow_id = await contradicted(rig)
        rig.counter.act(flow_id, "another_card")
        rig.acquirer.rules.set_next(1, "51")
        rig.swipe("mastercard")
        paying = f"{sale}-pay"
        await rig.until(rig.at(paying, "declined", "DECLINED"), jump=True)
        rig.counter.act(rig.flow(paying).flow_id, "other_payment", method="cash")
        assert [e.payload["method"] for e in rig.events("payment_recorded", paying)] == ["cash"]
        assert case_state(rig, flow_id)[0] == "closed", "paid, yet the case still asks for payment"

    run(tmp_path, scenario)
