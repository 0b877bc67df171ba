"""`recoup journal`: read the event log, for a manager or an integrator asking "what happened?"."""

from __future__ import annotations

import argparse
import json

from agent.journal import Journal


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser("journal", help="show the latest journal events",
                            description="Print the most recent events of the journal, oldest first. "
                            "Card numbers appear masked only; contact details only encrypted.")
    parser.add_argument("-n", "--last", type=int, default=50, metavar="N", help="how many (default 50)")
    parser.add_argument("--kind", help="only events of this kind, e.g. card_read")
    parser.add_argument("--rebuild", action="store_true",
                        help="rebuild every projection table from the event log first")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    with Journal.open(settings.journal.path) as journal:
        if args.rebuild:
            journal.rebuild_projections()
        events = list(journal.events(kind=args.kind))[-args.last:] if args.last > 0 else []
        for event in events:
            local = event.at.astimezone(settings.cases.zone).strftime("%Y-%m-%d %H:%M:%S")
            payload = json.dumps(event.payload, ensure_ascii=False, sort_keys=True)
            print(f"{event.seq:>6} {local} {event.kind:<16} {payload}")
        print(f"{len(events)} event(s) shown from {settings.journal.path}")
    return 0
