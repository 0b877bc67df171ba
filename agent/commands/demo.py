"""`recoup demo`: the agent against the built-in simulator, headless."""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "demo", help="run the agent against the built-in simulated hardware and print the transcript",
        description="Start the virtual card reader on a real serial line (a pty, or loopback TCP on "
        "Windows), read a valid card, an expired card and a bad swipe through the agent, journal what "
        "happened and print a transcript with masked cards only. Exits 0 when every step went as expected.")
    parser.add_argument("--format", choices=("framed", "msr"), default="framed",
                        help="the reader's wire format (default: framed)")
    parser.add_argument("--data-dir", type=Path, default=None,
                        help="keep the demo's journal and keys here (default: a temporary folder)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    from simulator.demo import run_demo

    if args.data_dir is not None:
        return asyncio.run(run_demo(args.data_dir, args.format))
    with tempfile.TemporaryDirectory(prefix="recoup-demo-") as folder:
        return asyncio.run(run_demo(Path(folder), args.format, temporary=True))
