"""A restart in the middle of an authorization, from the journal alone: the request on record decides."""

from agent.counter import Counter
from agent.flowstore import FLOW_SAVED
from agent.journal import Journal
from agent.saf import SafQueue
from domain.card import CardHasher
from domain.clock import VirtualClock
from domain.events import AmountEntered, CardRead, EntryMode
from domain.money import Money
from drivers.host.messages import Terminal, journal_safe, purchase
from flows.sale import SaleFlow
from simulator.cardreader.wallet import WALLET

HASHER = CardHasher(b"h" * 32)


def crashed_while_authorizing(tmp_path, request_on_record):
    """A journal as a crash leaves it: the sale flow saved in AUTHORIZING, with or without its request."""
    clock = VirtualClock()
    journal = Journal.open(tmp_path / "j.sqlite", clock=clock)
    card = WALLET["visa"].to_card()
    flow = SaleFlow("sale-1")
    flow.handle(AmountEntered("sale-1", Money(5800)))
    flow.handle(CardRead(card, EntryMode.CHIP, card_hash=HASHER(card.pan).hex))
    assert flow.state.name == "AUTHORIZING"
    journal.append(FLOW_SAVED, {"flow_id": "sale-1", "flow": flow.to_json()}, stream="sale-1")
    if request_on_record:
        fields = purchase(card, Money(5800), EntryMode.CHIP, at=clock.now(),
                          terminal=Terminal("TERM0001", "MERCHANT0000001"))
        fields["11"] = "000042"
        journal.append("host_request", {"request": journal_safe(fields)}, stream="sale-1")
    return journal, clock


def test_a_request_on_record_may_have_charged_so_it_is_reversed(tmp_path):
    journal, clock = crashed_while_authorizing(tmp_path, request_on_record=True)
    counter = Counter(journal, clock, hasher=HASHER)
    flow = counter.flow_of("sale-1")
    assert flow.name == "network_drop" and flow.state.name == "OUTCOME_UNKNOWN"
    (pending,) = SafQueue(journal).pending()
    assert pending.original["11"] == "000042" and pending.sale_id == "sale-1"
    live = journal.query("SELECT * FROM flows ORDER BY flow_id")
    assert [(row[0], row[3], row[4]) for row in live] == [
        ("network_drop-2", "OUTCOME_UNKNOWN", 0), ("sale-1", "HANDED_OVER", 1)]
    journal.rebuild_projections()
    assert journal.query("SELECT * FROM flows ORDER BY flow_id") == live


def test_no_request_on_record_means_nothing_left_the_terminal(tmp_path):
    journal, clock = crashed_while_authorizing(tmp_path, request_on_record=False)
    counter = Counter(journal, clock, hasher=HASHER)
    flow = counter.flow_of("sale-1")
    assert flow.name == "network_drop" and flow.state.name == "NOTHING_CHARGED"
    assert SafQueue(journal).pending() == []
