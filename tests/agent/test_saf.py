import pytest

from agent.journal import Journal
from agent.saf import SafQueue
from domain.clock import VirtualClock
from domain.money import Money

ORIGINAL = {"t": "0200", "2": "4111111111111111", "35": "4111111111111111=3012201", "3": "000000",
            "4": "000000005800", "7": "0105020000", "11": "000042", "41": "TERM0001", "42": "MERCHANT0000001",
            "49": "156"}


@pytest.fixture
def path(tmp_path):
    return tmp_path / "j.sqlite"


def test_a_queued_reversal_survives_a_restart_and_never_keeps_card_data(path):
    with Journal.open(path, clock=VirtualClock()) as journal:
        rid = SafQueue(journal).enqueue("sale-1", ORIGINAL, Money(5800))
        assert SafQueue(journal).enqueue("sale-1", ORIGINAL, Money(5800)) == rid  # queued once
    with Journal.open(path) as journal:
        (pending,) = SafQueue(journal).pending()
        assert pending.reversal_id == rid and pending.amount == Money(5800) and pending.next_mti == "0400"
        assert "2" not in pending.original and "35" not in pending.original
        assert pending.original["11"] == "000042"
    assert b"4111111111111111" not in path.read_bytes()


def test_repeats_are_0401_and_escalate_after_n_failures_without_leaving_the_queue(path):
    with Journal.open(path, clock=VirtualClock()) as journal:
        queue = SafQueue(journal, escalate_after=3)
        queue.enqueue("sale-1", ORIGINAL, Money(5800))
        escalations = []
        for _ in range(5):
            head = queue.head()
            queue.record_attempt(head, {"t": head.next_mti, "11": head.first_stan or "000077"})
            escalations.append(queue.record_unanswered(head.reversal_id, "no answer within 30 s"))
        assert escalations == [False, False, True, False, False]
        head = queue.head()
        assert head.attempts == 5 and head.escalated and head.next_mti == "0401" and head.first_stan == "000077"
        mtis = [e.payload["request"]["t"] for e in journal.events(kind="reversal_attempt")]
        assert mtis == ["0400", "0401", "0401", "0401", "0401"]
        queue.record_acknowledged(head.reversal_id, {"39": "00"})
        assert queue.pending() == []
        live = journal.query("SELECT * FROM saf")
        journal.rebuild_projections()
        assert journal.query("SELECT * FROM saf") == live
