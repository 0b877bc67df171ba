"""The property: remove any subset of lines from a true settlement file, and reconciliation reports exactly
those sales missing — each with its one unsettled case — and nothing else.

The day of trade runs once, at a real counter against the virtual acquirer (declines and a reversed sale
among the approvals, which must never be taken for missing); each example reconciles a copy of its journal
against the acquirer's own file with some lines taken out.
"""

from __future__ import annotations

import asyncio
import csv
import shutil

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agent.cases import CaseSettings, CaseStore
from agent.journal import Journal
from agent.outbox import Outbox
from agent.reconcile.report import Report
from agent.reconcile.run import Reconciliation
from agent.reconcile.settings import ReconcileSettings
from domain.clock import VirtualClock
from tests.agent.rig import Rig

AMOUNTS = ("58.00", "12.00", "30.00", "10.51", "7.50", "99.90", "1.00", "45.00", "10.54", "23.80", "66.60", "5.00")


@pytest.fixture(scope="module")
def day(tmp_path_factory):
    """The journal of a day's trade (closed) and the acquirer's true settlement lines for it."""
    folder = tmp_path_factory.mktemp("day")

    async def trade():
        rig = Rig(folder / "journal.sqlite")
        await rig.start()
        try:
            for amount in AMOUNTS:
                sale = rig.sale(amount)
                await rig.until(lambda s=sale: rig.flow(s) is None or rig.flow(s).name != "sale", jump=True)
            rig.acquirer.drop_after_request()  # charged, never answered, reversed: not to be settled
            rig.sale("20.00")
            await rig.until(lambda: rig.host.up and rig.events("reversal_acknowledged"), jump=True)
            rig.clock.advance(86400)
            rig.acquirer.settle(folder / "true.csv")
            return rig.clock.now()
        finally:
            await rig.stop()
            await rig.acquirer.close()

    now = asyncio.run(trade())
    with (folder / "true.csv").open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        return folder, now, reader.fieldnames, list(reader)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_lines_removed_are_reported_missing_and_nothing_else_is(day, tmp_path_factory, data):
    folder, now, columns, lines = day
    assert len(lines) == len(AMOUNTS) - 2  # two were declined
    removed = data.draw(st.sets(st.sampled_from(range(len(lines)))), label="removed lines")
    work = tmp_path_factory.mktemp("example")
    shutil.copy(folder / "journal.sqlite", work / "journal.sqlite")
    with (work / "day.csv").open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(line for number, line in enumerate(lines) if number not in removed)
    clock = VirtualClock(start=now)
    with Journal.open(work / "journal.sqlite", clock=clock) as journal:
        report = Report()
        Reconciliation(journal, ReconcileSettings(), CaseStore(journal, clock, CaseSettings(timezone="UTC")),
                       Outbox(journal, "store"), "TERM0001", "CNY").run(report, work / "day.csv")
        missing = {finding.stan for finding, _ in report.shown["missing"]}
        opened = {case_id for (case_id,) in journal.query("SELECT case_id FROM cases WHERE case_type = 'unsettled'")}
    assert missing == {lines[number]["stan"] for number in removed}
    assert {status for status, count in report.counts.items() if count} <= {"settled", "missing"}
    assert report.counts["settled"] == len(lines) - len(removed)
    assert report.cases_opened == len(removed) == len(opened)
