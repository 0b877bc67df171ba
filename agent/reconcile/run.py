"""One reconciliation: read the acquirer's file into the journal (once), hold every line against the sales
it names and every sale against the files, open a case for each sale missing past its date, close the
cases whose money turned up, and alert the manager to the cases left overdue — the report says it all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from agent.cases import CaseStore
from agent.cases.schedule import to_local
from agent.journal import Journal
from agent.outbox import Outbox
from agent.reconcile.findings import (
    MISSING,
    SETTLED_LATE,
    Calendar,
    line_findings,
    our_terminals,
    reconciled_since,
    sale_findings,
    settled_through,
)
from agent.reconcile.importer import import_file
from agent.reconcile.report import SHOWN, FileSummary, Report
from agent.reconcile.settings import ReconcileSettings
from agent.reconcile.unsettled import UnsettledCases


@dataclass(frozen=True)
class Reconciliation:
    journal: Journal
    settings: ReconcileSettings
    store: CaseStore
    outbox: Outbox
    terminal_id: str  # the configured terminal: its lines are ours even before it has sent anything
    currency: str  # of lines that name none

    def run(self, report: Report, path: Path | None = None, *, settlement_date: date | None = None,
            since: date | None = None, progress: Callable[[int, int], None] | None = None) -> Report:
        today = to_local(self.journal.clock.now(), self.store.settings).date()
        cases = UnsettledCases(self.journal, self.store, self.outbox)
        calendar = Calendar(self.settings)
        terminals = our_terminals(self.journal, self.terminal_id)
        if path is not None:
            imported = import_file(self.journal, path, self.settings, self.currency, settlement_date=settlement_date,
                                   today=today, progress=progress)
            report.file = FileSummary(imported.name, imported.settlement_date, imported.lines, imported.malformed,
                                      imported.blank, imported.already)
            for number, (line, reason) in enumerate(self._malformed(imported.import_id)):
                if number < SHOWN:
                    report.file.malformed_shown.append((line, reason))
                report.malformed(line, reason)
            for finding in line_findings(self.journal, imported.import_id, imported.settlement_date, terminals,
                                         calendar):
                said = ""
                if finding.status == SETTLED_LATE:
                    outcome = cases.arrived(finding, imported.name)
                    said, report.cases_closed = outcome.said, report.cases_closed + outcome.changed
                    if outcome.alert:
                        report.alerts.append(f"{finding.sale_id}: {outcome.said}")
                report.add(finding, said)
        report.as_of = settled_through(self.journal)
        report.since = since or reconciled_since(self.journal, self.settings)
        if report.as_of is not None and report.since is not None:
            for finding in sale_findings(self.journal, report.as_of, report.since, calendar):
                said = ""
                if finding.status == MISSING and finding.kind == "sale":
                    outcome = cases.open(finding, report.as_of)
                    said, report.cases_opened = outcome.said, report.cases_opened + outcome.changed
                report.add(finding, said)
        report.overdue = cases.overdue()
        return report

    def _malformed(self, import_id: int):
        """The import's malformed lines in file order, a page at a time."""
        after = 0
        while rows := self.journal.query("SELECT line, reason FROM settlement_malformed WHERE import_id = ? "
                                         "AND line > ? ORDER BY line LIMIT 2000", (import_id, after)):
            yield from rows
            after = rows[-1][0]
