"""The agent's host service against the virtual acquirer over real loopback TCP, on a virtual clock."""

import asyncio

import pytest

from agent.config import HostSettings
from agent.host import HostService, last_stan
from agent.journal import Journal
from domain.clock import VirtualClock
from domain.events import (
    EntryMode,
    HostResponse,
    LinkDown,
    LinkUp,
    ReversalAcknowledged,
    ReversalFailed,
    ReversalRefused,
)
from domain.money import Money
from drivers.host import link as hostlink
from drivers.host.messages import purchase
from simulator.cardreader.wallet import WALLET
from simulator.host.server import VirtualAcquirer

WAIT = 10.0
VISA = WALLET["visa"]


class Rig:
    def __init__(self, tmp_path):
        self.clock = VirtualClock()
        self.events: asyncio.Queue = asyncio.Queue()
        self.journal = Journal.open(tmp_path / "j.sqlite", clock=self.clock)
        self.acquirer = VirtualAcquirer(self.clock)

    async def start(self):
        await self.acquirer.start()
        self.service = HostService(self.journal, self.clock, HostSettings(), address=("127.0.0.1", self.acquirer.port),
                                   on_event=self.events.put_nowait, backoff=(1.0,), saf_backoff=(3.0,))
        self.task = asyncio.create_task(self.service.run())
        assert isinstance(await self.next(), LinkUp)

    async def next(self, *types):
        while True:
            event = await asyncio.wait_for(self.events.get(), WAIT)
            if not types or isinstance(event, types):
                return event

    def sale(self, sale_id, amount="58.00"):
        fields = purchase(VISA.to_card(), Money.parse(amount), EntryMode.CHIP, at=self.clock.now(),
                          terminal=self.service.terminal)
        return self.service.send(sale_id, fields)

    async def stop(self):
        self.service.stop()
        await asyncio.wait_for(self.task, WAIT)
        await self.acquirer.close()
        self.journal.close()


def run(tmp_path, scenario):
    async def main():
        rig = Rig(tmp_path)
        await rig.start()
        try:
            await scenario(rig)
        finally:
            await rig.stop()
        return rig

    return asyncio.run(main())


def test_an_approved_sale_is_journaled_before_and_after_the_wire(tmp_path):
    async def scenario(rig):
        sent = rig.sale("sale-1")
        response = await rig.next(HostResponse)
        assert response.response_code == "00" and response.stan.value == int(sent["11"])
        assert rig.acquirer.ledger.net_charge(VISA.pan) == 5800
        kinds = [e.kind for e in rig.journal.events(stream="sale-1")]
        assert kinds == ["host_request", "host_response"]

    run(tmp_path, scenario)
    assert b"4111111111111111" not in (tmp_path / "j.sqlite").read_bytes()


def test_charged_but_unheard_then_reversed_on_reconnect_leaves_nothing_charged(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sent = rig.sale("sale-2", "12.00")
        unanswered = await rig.next(hostlink.RequestUnanswered)
        assert unanswered.tag == "sale-2"
        assert rig.acquirer.ledger.net_charge(VISA.pan) == 1200  # charged, and the terminal never heard
        await rig.next(LinkDown)
        rig.service.queue_reversal("sale-2", sent, Money(1200))
        rig.clock.jump()  # the reconnect back-off falls due
        await rig.next(LinkUp)
        acknowledged = await rig.next(ReversalAcknowledged)
        assert acknowledged.sale_id == "sale-2" and acknowledged.stan.value == int(sent["11"])
        assert rig.acquirer.ledger.net_charge(VISA.pan) == 0
        assert rig.service.saf.pending() == []
        attempts = [e.payload["request"]["t"] for e in rig.journal.events(kind="reversal_attempt")]
        assert attempts == ["0400"]

    run(tmp_path, scenario)


def test_a_reversal_that_goes_unanswered_is_repeated_as_0401_with_the_same_stan(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sent = rig.sale("sale-3", "30.00")
        await rig.next(LinkDown)
        rig.acquirer.reset()  # the first reversal attempt dies with its connection
        rig.service.queue_reversal("sale-3", sent, Money(3000))
        rig.clock.jump()
        await rig.next(LinkUp)
        failed = await rig.next(ReversalFailed)
        assert failed.sale_id == "sale-3"
        rig.clock.jump()  # the reconnect back-off; link-up wakes the store-and-forward worker at once
        event = await rig.next(ReversalAcknowledged)
        attempts = [e.payload["request"] for e in rig.journal.events(kind="reversal_attempt")]
        assert [a["t"] for a in attempts] == ["0400", "0401"]
        assert attempts[0]["11"] == attempts[1]["11"]
        assert rig.acquirer.ledger.net_charge(VISA.pan) == 0
        assert event.stan.value == int(sent["11"])

    run(tmp_path, scenario)


@pytest.mark.parametrize(("staging", "answer"), [
    ("released", "00"),  # charged, not settled: released
    ("unknown", "25"),  # the request never reached the host: nothing to release, done all the same
    ("settled", "12"),  # the host settled the charge first: refused for good, the charge stands
])
def test_each_answer_to_a_reversal_ends_it_the_way_the_acquirer_means(tmp_path, staging, answer):
    async def scenario(rig):
        (rig.acquirer.reset if staging == "unknown" else rig.acquirer.drop_after_request)()
        sent = rig.sale("sale-9", "45.00")
        await rig.next(LinkDown)
        await rig.acquirer.refuse_connections()  # the link stays down while the host does its end of day
        if staging == "settled":
            rig.acquirer.ledger.settle(rig.clock.now())
        rig.service.queue_reversal("sale-9", sent, Money(4500))
        await rig.acquirer.allow_connections()
        rig.clock.jump()
        await rig.next(LinkUp)
        ended = await rig.next(ReversalAcknowledged, ReversalRefused)
        assert ended.sale_id == "sale-9" and ended.stan.value == int(sent["11"])
        assert isinstance(ended, ReversalRefused) == (answer == "12")
        assert rig.service.saf.pending() == []  # off the queue either way: never sent again
        (acknowledged_or_refused,) = rig.journal.events(kind="reversal_refused" if answer == "12"
                                                        else "reversal_acknowledged")
        assert answer in str(acknowledged_or_refused.payload)
        assert rig.acquirer.ledger.net_charge(VISA.pan) == (4500 if staging == "settled" else 0)
        for _ in range(3):  # time passes: no further attempt goes out (the worker needs only turns of the loop)
            rig.clock.jump()
            for _ in range(20):
                await asyncio.sleep(0)
        assert len(list(rig.journal.events(kind="reversal_attempt"))) == 1
        assert rig.service.saf.head() is None

    run(tmp_path, scenario)


def test_a_reversal_refused_with_another_code_stays_queued_and_is_sent_again(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        sent = rig.sale("sale-8", "45.00")
        await rig.next(LinkDown)
        rig.acquirer.rules.set_next(1, "96")
        rig.service.queue_reversal("sale-8", sent, Money(4500))
        rig.clock.jump()
        failed = await rig.next(ReversalFailed)
        assert "96" in failed.reason and rig.service.saf.pending()
        rig.clock.jump()  # the store-and-forward back-off
        await rig.next(ReversalAcknowledged)

    run(tmp_path, scenario)


def test_the_link_down_passed_on_names_its_cause(tmp_path):
    async def scenario(rig):
        rig.acquirer.drop_after_request()
        rig.sale("sale-7")
        down = await rig.next(LinkDown)
        assert down.cause == "lost" == rig.service.down_cause
        (journaled,) = rig.journal.events(kind="link_down")
        assert journaled.payload["cause"] == "lost"

    run(tmp_path, scenario)


@pytest.mark.parametrize("count", [1, 3])
def test_stan_numbering_continues_from_the_journal_after_a_restart(tmp_path, count):
    async def scenario(rig):
        for n in range(count):
            rig.sale(f"s{n}")
            await rig.next(HostResponse)

    run(tmp_path, scenario)
    with Journal.open(tmp_path / "j.sqlite") as journal:
        assert last_stan(journal) >= count
