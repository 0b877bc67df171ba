"""`recoup reconcile [FILE]`: the acquirer's settlement file against the journal (对账), for the store manager.

Exit status 0 when nothing differs, 1 when something does (a sale missing, an amount, a duplicate, a line
unknown to the terminal), 2 when the file or the journal cannot be read.
"""

from __future__ import annotations

import argparse
import contextlib
import sys
from datetime import date
from pathlib import Path

from agent.cases import CaseError, CaseStore
from agent.journal import Journal, JournalError
from agent.outbox import Outbox
from agent.reconcile.progress import ProgressBar
from agent.reconcile.report import Report
from agent.reconcile.run import Reconciliation
from agent.reconcile.settlement_file import SettlementFileError


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "reconcile", help="check the acquirer's settlement file against the journal (对账)",
        description="Read the acquirer's settlement file (CSV, one line per settled sale or refund; columns and "
        "their mapping in docs/reconcile.md) into the journal, and hold every line against the sale it names "
        "and every sale against the files read so far. Reported: lines settled (on time or late), amounts that "
        "differ, duplicates, lines unknown to the terminal, malformed lines (by number, skipped), and sales "
        "missing past their expected settlement date (T+1 business days by default) — each of those opens an "
        "unsettled case, once. A case whose money turns up later is closed as settled late. With no FILE, "
        "reports on the files already read. Exit status 1 when anything differs.")
    parser.add_argument("file", nargs="?", type=Path, metavar="FILE", help="the settlement file")
    parser.add_argument("--date", type=_day, metavar="YYYY-MM-DD",
                        help="the file's settlement date, when it has no settlement_date column (default: today)")
    parser.add_argument("--since", type=_day, metavar="YYYY-MM-DD",
                        help="check sales from this day on (default: the earliest day any file read covers)")
    parser.add_argument("--csv", type=Path, metavar="OUT.csv",
                        help="also write the report as CSV: every difference, late payment and malformed line, "
                        "the totals by status and the overdue cases")
    parser.add_argument("--progress", action="store_true",
                        help="show a progress bar on stderr even when it is not a terminal")
    parser.set_defaults(func=run)


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date; write YYYY-MM-DD") from None


def run(args: argparse.Namespace, settings) -> int:
    path = settings.journal.path
    if not path.exists():
        print(f"recoup reconcile: no journal at {path}; check journal.path in the config", file=sys.stderr)
        return 2
    if args.file is not None and not args.file.is_file():
        print(f"recoup reconcile: {args.file}: no such file", file=sys.stderr)
        return 2
    report = Report()
    out = None
    if args.csv is not None:
        try:
            out = args.csv.open("w", newline="", encoding="utf-8")
        except OSError as exc:
            print(f"recoup reconcile: --csv: cannot write {args.csv}: {exc.strerror or exc}", file=sys.stderr)
            return 2
        report.start_csv(out)
    try:
        with Journal.open(path, own_ids=settings.host.own_ids) as journal, \
                contextlib.closing(out) if out else contextlib.nullcontext():
            reconciliation = Reconciliation(journal, settings.reconcile,
                                            CaseStore(journal, journal.clock, settings.cases),
                                            Outbox(journal, settings.store.contact_line, settings.cases.zone),
                                            settings.host.terminal_id, settings.host.currency)
            bar = None
            if args.file is not None and (args.progress or sys.stderr.isatty()):
                bar = ProgressBar(sys.stderr, f"reading {args.file.name}", args.file.stat().st_size)
            reconciliation.run(report, args.file, settlement_date=args.date, since=args.since, progress=bar)
            if bar is not None and report.file is not None:
                bar.finish(report.file.lines)
            report.finish_csv(settings.cases.zone)
    except (SettlementFileError, JournalError, CaseError) as exc:
        print(f"recoup reconcile: {exc}", file=sys.stderr)
        return 2
    if report.as_of is None:
        print("no settlement file has been read yet: run recoup reconcile FILE with the acquirer's file")
        return 0
    print(report.text(settings.cases.zone))
    return 1 if report.differences else 0
