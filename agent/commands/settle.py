"""`recoup settle`: end of day (结算) with the acquirer, from the counter PC, with the cashier app closed
(with it open, the cashier settles from the app: Ctrl+E).

It takes the journal as the agent does (one at a time: it is refused while `recoup agent` runs), counts
the open batch, and settles it over its own link; every step's prompt is printed in the cashier's
language, the last one saying what happened and what to do next. Exit status 0 when the batch balanced
and closed, 1 when it did not (out of balance, no totals, no answer, a reversal that will not go), 2
when it could not start.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from agent.commands.counter_app import AgentLock, AgentRunning
from agent.journal import Journal, JournalError
from agent.settle.end_of_day import on_own_link
from agent.settle.totals import batch_totals
from domain.clock import RealClock
from domain.effects import ShowPrompt
from flows.prompts import LANGUAGES, render


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "settle", help="end of day: settle the batch with the acquirer (结算)",
        description="Send the open batch's totals (sales and refunds since the last balanced settlement) to the "
        "acquirer configured in [host]. Balanced closes the batch. Out of balance sends the stored reversals "
        "first and the totals again. No totals or no answer leaves the batch open: settle again later. Run it "
        "with the cashier app closed (in the app, Ctrl+E settles). Exit status 0 when balanced, 1 otherwise.")
    parser.add_argument("--language", choices=LANGUAGES, default="zh-CN",
                        help="the language of the prompts (default: %(default)s)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    if settings.host.url == "sim://":
        print("recoup settle: host.url is sim://, the acquirer built into recoup agent, which holds no batch "
              "between runs; settle from the cashier app (Ctrl+E), or point host.url at the acquirer (or at "
              "recoup devices --host-port)", file=sys.stderr)
        return 2
    if not settings.journal.path.exists():
        print(f"recoup settle: no journal at {settings.journal.path}; check journal.path in the config",
              file=sys.stderr)
        return 2
    try:
        lock = AgentLock.acquire(settings.journal.path)
    except (AgentRunning, OSError) as exc:
        print(f"recoup settle: {exc}", file=sys.stderr)
        return 2
    with lock:
        try:
            outcome = asyncio.run(_settle(settings, args.language))
        except JournalError as exc:
            print(f"recoup settle: {exc}", file=sys.stderr)
            return 2
    return 0 if outcome == "BALANCED" else 1


async def _settle(settings, language: str) -> str:
    def show(prompt: ShowPrompt) -> None:
        screen = render(prompt, language, settings.cases.zone)
        print(screen.title)
        for number, step in enumerate(screen.steps, 1):
            print(f"  {number}. {step}")

    clock = RealClock()
    with Journal.open(settings.journal.path, clock=clock, own_ids=settings.host.own_ids) as journal:
        end_of_day = await on_own_link(journal, clock, settings.host, batch_totals(journal, settings.host.currency),
                                       address=settings.host.address, on_prompt=show)
        return end_of_day.outcome
