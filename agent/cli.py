"""`recoup`: the one console script. Each subcommand lives in its own module under agent/commands and
registers itself here; a handler returns the process exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from agent import config


def build_parser() -> argparse.ArgumentParser:
    from agent.commands import (
        cases,
        contacts,
        counter_app,
        demo,
        devices,
        journal,
        outbox,
        reconcile,
        render,
        replay,
        settle,
        sim,
    )

    parser = argparse.ArgumentParser(
        prog="recoup",
        description="Counter-PC agent that drives the card reader, printer and acquirer link, and walks "
        "the cashier through recovering a payment that went wrong.",
    )
    parser.add_argument("--config", metavar="FILE", help="config file (default: %(default)s)",
                        default=None)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module in (counter_app, demo, devices, replay, sim, render, journal, contacts, cases, outbox, settle,
                   reconcile):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = config.load(args.config)
    except config.ConfigError as exc:
        print(f"recoup: config error: {exc}", file=sys.stderr)
        return 2
    try:
        return args.func(args, settings)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
