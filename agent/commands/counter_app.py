"""`recoup agent`: the cashier app at the counter, on the devices the config names (the built-in
simulated ones by default)."""

from __future__ import annotations

import argparse
import asyncio
import sys

from agent.journal import JournalError
from agent.keys import KeyFileError
from flows.prompts import LANGUAGES


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "agent", help="run the agent at the counter, with the cashier app",
        description="Open the cashier app and run the agent: card reader, receipt printer and acquirer link "
        "from the config's [reader], [printer] and [host] URLs. With no config, or profile = 'simulated', "
        "the built-in virtual devices are started in-process (sim://), so the app can be tried at once.")
    parser.add_argument("--language", choices=LANGUAGES, default="zh-CN",
                        help="the language the app opens in (a key switches it; default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    try:
        return asyncio.run(_run(args, settings))
    except (OSError, JournalError, KeyFileError) as exc:
        print(f"recoup agent: cannot start: {exc}", file=sys.stderr)
        return 2


async def _run(args: argparse.Namespace, settings) -> int:
    from agent.station import Station
    from agent.ui.app import CashierApp

    station = await Station.open(settings)
    app = CashierApp(station.counter, contacts=station.contacts, cases=station.cases, language=args.language,
                     tz=settings.cases.zone)
    services = asyncio.create_task(station.run())
    try:
        await app.run_async()
    finally:
        station.stop()
        await services
        await station.close()
    return 0
