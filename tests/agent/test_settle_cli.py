"""`recoup settle` end to end: the command, on the wall clock, against the virtual acquirer serving from a
thread of its own (the acquirer that authorized the day's sales, so both sides hold the same batch)."""

from __future__ import annotations

import argparse
import asyncio
import threading
from dataclasses import replace

import pytest

from agent.commands import settle
from agent.commands.counter_app import AgentLock
from agent.config import HostSettings, JournalSettings, Settings
from tests.agent.rig import Rig


class Acquirer:
    """A counter's day of trade on the rig, then the rig's acquirer left serving in its own thread."""

    def __init__(self, tmp_path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.rig = Rig(tmp_path / "journal.sqlite")

    def call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout=30)

    def trade(self, *amounts: str) -> None:
        async def day():
            await self.rig.start()
            for amount in amounts:
                sale = self.rig.sale(amount)
                await self.rig.until(lambda s=sale: self.rig.flow(s) is None, jump=True)
            await self.rig.stop()
        self.call(day())

    def close(self) -> None:
        self.call(self.rig.acquirer.close())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=10)
        self.loop.close()


@pytest.fixture
def acquirer(tmp_path):
    serving = Acquirer(tmp_path)
    yield serving
    serving.close()


def run(settings, *argv: str) -> int:
    parser = argparse.ArgumentParser(prog="recoup")
    settle.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(["settle", *argv])
    return args.func(args, settings)


def settings_for(acquirer: Acquirer) -> Settings:
    host = replace(HostSettings(), url=f"tcp://127.0.0.1:{acquirer.rig.acquirer.port}", connect_timeout=2.0)
    return Settings(host=host, journal=JournalSettings(path=acquirer.rig.path))


def test_a_balanced_day_closes_the_batch_and_says_so(acquirer, capsys):
    acquirer.trade("58.00", "12.50")
    assert run(settings_for(acquirer), "--language", "en") == 0
    out = capsys.readouterr().out
    assert "Settling: 2 sale(s) CNY 70.50, 0 refund(s) CNY 0.00" in out
    assert "Settled, in balance: 2 sale(s) CNY 70.50" in out and "  2. When the acquirer's settlement file" in out
    assert all(entry.batch is not None for entry in acquirer.rig.acquirer.ledger.entries)


def test_no_totals_from_the_acquirer_is_exit_status_1_with_the_next_step_in_chinese(acquirer, capsys):
    acquirer.trade("58.00")
    assert acquirer.call(acquirer.rig.acquirer.control("settlement answer unavailable")).startswith("ok")
    assert run(settings_for(acquirer)) == 1
    out = capsys.readouterr().out
    assert "银行暂时无法对账（返回码 96）" in out
    assert "  3. 请稍后再次结算（收银程序中按 Ctrl+E，或运行 recoup settle）" in out


def test_refused_while_the_agent_runs_on_the_journal(acquirer, capsys):
    acquirer.trade("58.00")
    with AgentLock.acquire(acquirer.rig.path):
        assert run(settings_for(acquirer)) == 2
    assert "another recoup agent is running on" in capsys.readouterr().err
    assert all(entry.batch is None for entry in acquirer.rig.acquirer.ledger.entries)


def test_refused_with_the_built_in_acquirer_or_no_journal(tmp_path, capsys):
    assert run(Settings(journal=JournalSettings(path=tmp_path / "j.sqlite"))) == 2
    assert "host.url is sim://" in capsys.readouterr().err
    real = Settings(host=replace(HostSettings(), url="tcp://127.0.0.1:9"),
                    journal=JournalSettings(path=tmp_path / "none.sqlite"))
    assert run(real) == 2
    assert "no journal at" in capsys.readouterr().err
