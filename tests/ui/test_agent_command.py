"""`recoup agent`: the cashier app on a Station of the built-in simulated devices — the same wiring a shop
runs with real ones — from a typed amount and a presented card to the receipt on the virtual printer, and
the day settled with the built-in acquirer, which holds the batch for as long as the agent runs."""

from __future__ import annotations

import asyncio

from agent.cli import main
from agent.config import CardSettings, ContactSettings, JournalSettings, Settings
from agent.station import Station
from agent.ui import CashierApp
from domain.clock import VirtualClock


async def until(pilot, condition, limit: int = 500) -> None:
    for _ in range(limit):
        if condition():
            return
        await pilot.pause()
        await asyncio.sleep(0)  # let the devices' transports run; no wall-clock wait
    raise AssertionError("condition never reached")


def test_the_app_takes_a_payment_and_settles_the_day_on_the_simulated_station(tmp_path):
    settings = Settings(journal=JournalSettings(tmp_path / "journal.sqlite"),
                        contacts=ContactSettings(key_file=tmp_path / "contact.key"),
                        cards=CardSettings(hash_key_file=tmp_path / "card-hash.key"))

    async def scenario() -> None:
        station = await Station.open(settings, clock=VirtualClock())
        app = CashierApp(station.counter, contacts=station.contacts, cases=station.cases)
        services = asyncio.create_task(station.run())
        try:
            async with app.run_test(size=(80, 24)) as pilot:
                await until(pilot, lambda: station.counter.host.up and station.counter.reader.session.line.is_open)
                await pilot.press(*"12.34", "enter")
                await until(pilot, lambda: bool(station.counter.flows))
                station.sim.reader.present("visa")
                await until(pilot, lambda: len(station.sim.printer.receipts) == 1)
                assert "交易成功 APPROVED" in station.sim.printer.receipts[0].text
                assert station.sim.acquirer.ledger.net_charge("visa") == 1234

                await pilot.press("ctrl+e", "f5")
                await until(pilot, lambda: any(station.journal.events(kind="settlement_finished")))
                (finished,) = station.journal.events(kind="settlement_finished")
                assert finished.payload["outcome"] == "balanced"
                assert [entry.batch is not None for entry in station.sim.acquirer.ledger.entries] == [True]
        finally:
            station.stop()
            await services
            await station.close()

    asyncio.run(scenario())


def test_recoup_agent_is_a_command(capsys):
    try:
        main(["agent", "--help"])
    except SystemExit as done:
        assert done.code == 0
    assert "built-in virtual devices" in capsys.readouterr().out
