"""The money rules as a state machine over the whole counter: Hypothesis drives sales, host faults, link
drops, cashier choices and power cuts against the virtual acquirer over real loopback TCP, on a virtual
clock; the acquirer's ledger is the ground truth.

After every step: a receipt was only ever queued for money the acquirer holds, and a customer told "the
hold is released" really has nothing held. At the end, with the link back and store-and-forward drained,
every authorization the agent sent holds exactly what the agent believes — the amount if it acted on an
approval (queued the receipt), else nothing — so no sale is paid twice and no hold is forgotten.

Power cuts fall between steps here; tests/agent/test_counter_crash_points.py cuts inside one event's
handling, between two commits.
"""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import event as note
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from agent.contacts import ContactStore
from domain.events import CashierAction
from simulator.cardreader.wallet import VALID_KEYS
from tests.agent.rig import IN_FLIGHT, Rig

CONTACT_KEY = b"k" * 32
DECLINE_ENDINGS = (51, 54, 5, 14, 91, 96)
AMOUNTS = st.builds(lambda major, ending: f"{major}.{ending:02d}", st.integers(1, 300),
                    st.sampled_from((0, 0, 0, 37, 80, *DECLINE_ENDINGS)))
CARDS = st.sampled_from(VALID_KEYS)
FAULTS = st.sampled_from(("none", "drop", "reset", "late", "delay", "duplicate", "garbage", "raw_garbage"))
# A network_drop flow in one of these still owes the customer a reversal.
OWES_A_REVERSAL = frozenset({"OUTCOME_UNKNOWN", "AWAITING_REVERSAL", "ESCALATED"})
ACTION_DATA = {"other_payment": {"method": "cash"}, "contact_saved": {"contact_id": "to be recorded"}}


class MoneyRules(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.folder = tempfile.TemporaryDirectory(prefix="recoup-money-rules-")
        self.rig = Rig(Path(self.folder.name) / "j.sqlite", quiet=0.01)
        self.restarts = 0
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
        rig.sale(amount, card)
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
            rig.swipe(data.draw(CARDS, label="card"))
        self.run(rig.settle())

    @precondition(lambda self: bool(self.approved_sales()))
    @rule(data=st.data())
    def wrong_card(self, data: st.DataObject) -> None:
        """The cashier reports an approved sale as charged to the wrong card (刷错卡)."""
        sale = data.draw(st.sampled_from(self.approved_sales()), label="wrong card")
        self.rig.counter.report_wrong_card(sale)
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
        self.run(self.rig.crash_and_restart(f"restart-{self.restarts}.sqlite"))
        self.rig.guard_spin()

    # -- invariants ----------------------------------------------------------------------------------

    @invariant()
    def a_receipt_only_for_money_the_acquirer_holds(self) -> None:
        rig = self.rig
        for event in rig.events("receipt_to_print"):
            document = event.payload["document"]
            if document["type"] != "sale":  # a slip for a customer who leaves: it claims no payment
                assert "status" not in document
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
        """The cashier's choices that the open flows' screens offer now."""
        return sorted((flow_id, action) for flow_id, flow in self.rig.counter.flows.items()
                      if flow.ctx.sale is not None for action in flow.ACTIONS
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
        for code, name in (("020000", "void"), ("200000", "refund")):
            if any(e.payload["request"]["3"] == code for e in rig.events("host_request")):
                note(f"wrong card: {name} sent")


MoneyRules.TestCase.settings = settings(max_examples=15, stateful_step_count=20, deadline=None,
                                        suppress_health_check=[HealthCheck.too_slow])
TestMoneyRules = MoneyRules.TestCase
