"""`recoup sim`: the QA simulator — the agent's real wiring on the virtual card reader, printer and acquirer,
on a virtual clock, with panels for the devices, the agent's cashier screen beside them and an event log;
scenarios loaded and stepped through; a session driven by hand recorded as a scenario (`--record`)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from flows.prompts import LANGUAGES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "sim", help="the QA simulator: the devices on panels, the agent's cashier screen beside them",
        description="Run the agent's real wiring against the built-in virtual card reader, printer and acquirer, "
        "on a virtual clock that moves only when you say, in a terminal app: present cards, pull the paper, "
        "drop the link, key amounts and take the recovery actions as the cashier, and watch every event. Each "
        "thing done is a scenario step, replayed as `recoup replay` replays it. Needs a 120x40 terminal.")
    parser.add_argument("--scenario", type=Path, metavar="FILE",
                        help="load this scenario (docs/scenarios.md); step through it with ^N, run it to the end "
                        "with ^G")
    parser.add_argument("--record", type=Path, metavar="FILE",
                        help="write the session to FILE as a scenario, after every step that went through")
    parser.add_argument("--language", choices=LANGUAGES, default="zh-CN",
                        help="the cashier screen's language (F12 switches it; default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    from simulator.app.app import SimApp
    from simulator.replay.scenario import ScenarioError, load

    scenario = None
    if args.scenario is not None:
        try:
            scenario = load(args.scenario)
        except ScenarioError as exc:
            print(f"recoup sim: {exc}", file=sys.stderr)
            return 2
    if args.record is not None and args.record.is_dir():
        print(f"recoup sim: --record {args.record} is a folder; give the scenario file to write", file=sys.stderr)
        return 2
    app = SimApp(scenario=scenario, record=args.record, language=args.language)
    app.run()
    return app.return_code or 0
