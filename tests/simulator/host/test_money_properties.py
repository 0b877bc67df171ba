"""Hypothesis against the acquirer's core: random traffic never crashes it, and the ledger's net charge
per card always equals what a careful terminal would work out from the answers it received."""

import copy
from dataclasses import dataclass

from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from domain.clock import VirtualClock
from drivers.errors import RemoteProtocolError
from drivers.host import codec
from simulator.host.core import AcquirerCore

from .terminal import inquiry, refund, reversal, sale, settlement, void

CARDS = ("visa", "mastercard", "unionpay_19", "amex")


def answer(core: AcquirerCore, data: bytes) -> dict | None:
    try:
        request = codec.decode(data)
    except RemoteProtocolError as exc:
        handled = core.malformed(data, str(exc))
    else:
        handled = core.handle(request)
    if handled.response is not None:
        codec.encode(handled.response)  # whatever the host answers can go on the wire
    return handled.response


@given(st.binary(max_size=200))
def test_random_bytes_are_answered_or_ignored_never_a_crash(data):
    answer(AcquirerCore(VirtualClock()), data)


_ASCII = st.text(st.characters(min_codepoint=32, max_codepoint=126))


@given(st.fixed_dictionaries({}, optional={
    "3": st.sampled_from(["000000", "020000", "200000", "330000", "999999", "      "]),
    "4": st.from_regex(r"[0-9A ]{12}", fullmatch=True), "11": st.from_regex(r"[0-9a ]{6}", fullmatch=True),
    "2": _ASCII.filter(lambda text: 0 < len(text) <= 19), "35": _ASCII.filter(lambda text: 0 < len(text) <= 37),
    "14": st.from_regex(r"[0-9X]{4}", fullmatch=True), "37": st.from_regex(r"[0-9 ]{12}", fullmatch=True),
    "41": st.sampled_from(["T0000001", "        "]), "42": st.just("M00000000000001"),
    "49": st.sampled_from(["156", "840", "000"]), "70": st.sampled_from(["301", "001"]),
    "90": st.from_regex(r"[0-9 ]{42}", fullmatch=True),
}), st.sampled_from(["0200", "0400", "0401", "0500", "0600", "0800", "0100", "0210"]))
def test_requests_with_odd_fields_get_a_well_formed_answer(fields, mti):
    answer(AcquirerCore(VirtualClock()), codec.encode({"t": mti} | fields))


@dataclass
class Sale:
    request: dict
    card: str
    amount: int
    rrn: str
    approved: bool
    reversed: bool = False
    voided: bool = False
    settled: bool = False
    refunded: int = 0

    @property
    def live(self) -> bool:
        return self.approved and not self.reversed

    @property
    def charge(self) -> int:
        return (self.amount if self.live and not self.voided else 0) - self.refunded


class MoneyMachine(RuleBasedStateMachine):
    """Sales, reversals (with repeats), voids, refunds and settlements in any order. The model knows only
    what the terminal was told; the ledger must agree with it, to the fen."""

    def __init__(self) -> None:
        super().__init__()
        self.core = AcquirerCore(VirtualClock())
        self.stan = 0
        self.sales: list[Sale] = []
        self.refunds: list[tuple[Sale, int, dict]] = []  # (sale, amount, request) of approved refunds
        self.voids: list[tuple[Sale, dict]] = []

    def send(self, request: dict) -> dict:
        response = answer(self.core, codec.encode(request))
        assert response is not None and response["11"] == request["11"]
        return response

    def next_stan(self) -> int:
        self.stan += 1
        return self.stan

    @rule(card=st.sampled_from(CARDS), amount=st.integers(1, 10_000))
    def sell(self, card, amount):
        request = sale(self.next_stan(), amount, card)
        response = self.send(request)
        self.sales.append(Sale(request, card, amount, response["37"], response["39"] == "00"))

    @precondition(lambda self: self.sales)
    @rule(data=st.data(), repeat=st.booleans())
    def reverse_a_sale(self, data, repeat):
        target = data.draw(st.sampled_from(self.sales))
        code = self.send(reversal(target.request, repeat=repeat))["39"]
        assert code == ("12" if target.live and target.settled else "00")  # a settled charge stands
        if target.live and not target.settled:
            target.reversed = True

    @precondition(lambda self: self.sales)
    @rule(data=st.data())
    def void_a_sale(self, data):
        target = data.draw(st.sampled_from(self.sales))
        request = void(self.next_stan(), target.rrn, target.amount)
        code = self.send(request)["39"]
        untouched = target.live and not target.voided and not target.settled and not target.refunded
        expected = "00" if untouched else "12"
        assert code == expected
        if code == "00":
            target.voided = True
            self.voids.append((target, request))

    @precondition(lambda self: self.voids)
    @rule(data=st.data())
    def reverse_a_void(self, data):
        target, request = data.draw(st.sampled_from(self.voids))
        self.send(reversal(request))
        if not target.settled:
            target.voided = False
        self.voids.remove((target, request))

    @precondition(lambda self: self.sales)
    @rule(data=st.data(), amount=st.integers(1, 10_000))
    def refund_a_sale(self, data, amount):
        target = data.draw(st.sampled_from(self.sales))
        request = refund(self.next_stan(), amount, target.card, rrn=target.rrn)
        code = self.send(request)["39"]
        if not target.live:
            assert code == "25"
        elif target.voided:
            assert code == "12"
        elif target.refunded + amount > target.amount:
            assert code == "13"
        else:
            assert code == "00"
            target.refunded += amount

    @precondition(lambda self: self.sales)
    @rule(data=st.data())
    def inquire_about_a_sale(self, data):
        """An inquiry says whether the sale still takes money, refunds aside, and changes nothing at all."""
        target = data.draw(st.sampled_from(self.sales))
        before = copy.deepcopy(self.core.ledger)
        response = self.send(inquiry(target.request, self.next_stan()))
        assert self.core.ledger == before
        assert response["39"] == ("00" if target.live and not target.voided else "25")
        assert response.get("37") == (target.rrn if response["39"] == "00" else None)

    @rule(balanced=st.booleans())
    def settle_the_batch(self, balanced):
        open_sales = [s for s in self.sales if s.live and not s.voided and not s.settled]
        debits = (len(open_sales), sum(s.amount for s in open_sales) + (0 if balanced else 1))
        credits = self.core.ledger.open_batch("T0000001")
        refunds = [-e.charge for e in credits if e.charge < 0]
        code = self.send(settlement(self.next_stan(), debits, (len(refunds), sum(refunds))))["39"]
        assert code == ("00" if balanced else "95")
        if balanced:
            for target in self.sales:
                target.settled = target.settled or target.live
            self.voids.clear()

    @rule(data=st.data())
    @precondition(lambda self: self.sales)
    def resend_a_stan_of_the_open_batch(self, data):
        target = data.draw(st.sampled_from(self.sales))
        if self.core.ledger.open_entry("T0000001", int(target.request["11"])) is not None:
            assert self.send(target.request)["39"] == "94"

    @invariant()
    def the_ledger_agrees_to_the_fen(self):
        for card in CARDS:
            expected = sum(s.charge for s in self.sales if s.card == card)
            assert self.core.ledger.net_charge(card) == expected, card


test_money_machine = MoneyMachine.TestCase
