"""The printer's status read while no receipt is printing — at start, then every `status_every` seconds on the
agent's clock — on the virtual printer over real loopback TCP: the status bar knows the printer is ready
before the first receipt, and a roll run out between sales before the next sale prints."""

from __future__ import annotations

import pytest

from agent.config import ConfigError, PrinterSettings, load
from agent.ui.view import status_text
from domain.events import PrinterCondition
from tests.agent.rig import Rig, run

C = PrinterCondition
EVERY = PrinterSettings().status_every
ANSWER = PrinterSettings().status_timeout  # a silent printer is known as such once this has passed


def status(rig: Rig):
    return rig.counter.screen.printer


async def seen_within_one_interval(rig: Rig, conditions: frozenset) -> None:
    """Wait (moving virtual time) until the status bar shows `conditions`: no later than one interval on
    (and the wait for an answer that never comes)."""
    started = rig.clock.monotonic()
    await rig.until(lambda: status(rig) == conditions, jump=True)
    assert rig.clock.monotonic() - started <= EVERY + (ANSWER if C.NO_REPLY in conditions else 0)


def test_the_status_is_known_at_start_before_any_receipt(tmp_path):
    async def scenario(rig):
        await rig.until(lambda: status(rig) is not None)
        assert status(rig) == frozenset({C.OK})
        assert rig.printer.receipts == [] and rig.clock.monotonic() < EVERY  # read at once, nothing printed

    run(tmp_path, scenario, printer=True)


def test_every_condition_that_comes_and_goes_while_idle_reaches_the_status_bar(tmp_path):
    async def scenario(rig):
        await rig.until(lambda: status(rig) == frozenset({C.OK}))
        for condition in (C.PAPER_NEAR_END, C.PAPER_END, C.COVER_OPEN, C.OFFLINE):
            rig.printer.clear()
            rig.printer.set(condition)
            await seen_within_one_interval(rig, frozenset({condition}))
        rig.printer.clear()
        rig.printer.silent = True  # not answering: unknown, never taken for ready
        await seen_within_one_interval(rig, frozenset({C.NO_REPLY}))
        rig.printer.clear()
        await seen_within_one_interval(rig, frozenset({C.OK}))
        assert rig.printer.receipts == [] and not rig.counter.flows  # a status read prints nothing, opens nothing

    run(tmp_path, scenario, printer=True)


def test_a_roll_run_out_between_sales_is_known_before_the_next_one(tmp_path):
    async def scenario(rig):
        sale = rig.sale("12.00")
        await rig.until(lambda: rig.flow(sale) is None and bool(rig.events("receipt_printed", sale)), jump=True)
        rig.printer.set(C.PAPER_END)
        await seen_within_one_interval(rig, frozenset({C.PAPER_END}))
        assert not rig.counter.flows  # nobody's receipt is held: only the status bar says so
        assert "打印机 ● 缺纸" in status_text(rig.counter.screen, None, "zh-CN").plain

        second = rig.sale("58.00")  # the receipt finds it out too, and is held for the cashier
        await rig.until(lambda: (f := rig.flow(second)) is not None and f.name == "printer_fault", jump=True)
        assert len(rig.printer.receipts) == 1

    run(tmp_path, scenario, printer=True)


def test_the_interval_is_a_setting(tmp_path):
    path = tmp_path / "recoup.toml"
    path.write_text("[printer]\nstatus_every = 30\n", encoding="utf-8")
    assert load(path).printer.status_every == 30.0
    path.write_text("[printer]\n\nstatus_every = 0\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"recoup.toml:3: printer.status_every: must be more than 0 seconds"):
        load(path)
