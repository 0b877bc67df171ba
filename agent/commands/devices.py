"""`recoup devices`: the virtual hardware as servers on local ports, for a real agent install or any
tool that speaks the device's protocol. Type commands on standard input to act at the device.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path

HELP_TEXT = """commands:
  cards                         list the test cards in the wallet
  present CARD [swipe|chip|tap] present a card (e.g. 'present visa chip')
  bad                           a bad swipe / unreadable card
  noise [N]                     N bytes of line noise (default 16)
  corrupt RATE                  corrupt that fraction of the bytes the reader sends (0 to stop)
  unplug / replug               pull and reconnect the cable
  fault … | rule … | link … | ledger | settle | settlement …
                                the virtual acquirer ('help' lists its commands)
  quit                          stop the devices"""
ACQUIRER_VERBS = ("fault", "rule", "link", "ledger", "settle", "settlement", "help")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "devices", help="run the virtual card reader and acquirer as servers on local ports",
        description="Run the virtual devices on local ports and print the URLs to put in a config. "
        "Standard input takes commands for the devices:\n\n" + HELP_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader-port", type=int, metavar="PORT",
                        help="serve the virtual card reader on TCP PORT of 127.0.0.1 (agent url socket://…)")
    parser.add_argument("--reader-pty", type=Path, metavar="LINK",
                        help="serve the virtual card reader on a pty published at LINK (Linux/macOS)")
    parser.add_argument("--host-port", type=int, metavar="PORT",
                        help="serve the virtual acquirer (ISO 8583, 2-byte length header) on TCP PORT")
    parser.add_argument("--seed", type=int, default=0, help="seed for the acquirer's RRNs and garbage faults")
    parser.add_argument("--reader-format", choices=("framed", "msr"), default="framed",
                        help="the reader's wire format (default: framed)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    if args.reader_port is None and args.reader_pty is None and args.host_port is None:
        print("recoup devices: nothing to run; give --reader-port PORT, --reader-pty LINK or --host-port PORT",
              file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(args))
    except OSError as exc:
        print(f"recoup devices: {exc}", file=sys.stderr)
        return 1


async def _serve(args: argparse.Namespace) -> int:
    from domain.clock import RealClock
    from domain.events import EntryMode
    from simulator.cardreader.server import PtyReaderPort, TcpReaderPort, VirtualReader
    from simulator.cardreader.wallet import WALLET
    from simulator.host.server import VirtualAcquirer

    clock = RealClock()
    reader = VirtualReader(args.reader_format, clock=clock)
    reader.observers.append(lambda text: print(f"  reader: {text}", flush=True))
    port: PtyReaderPort | TcpReaderPort | None = None
    if args.reader_pty is not None:
        port = PtyReaderPort(reader, link=args.reader_pty.absolute())
        url = port.plug()
    elif args.reader_port is not None:
        port = TcpReaderPort(reader, args.host, args.reader_port)
        url = await port.start()
    if port is not None:
        print(f"virtual card reader ({args.reader_format}) on {url}")
        print(f'  in recoup.toml:  [reader]  url = "{url}"  format = "{args.reader_format}"')
    acquirer = None
    if args.host_port is not None:
        acquirer = VirtualAcquirer(clock, seed=args.seed)
        acquirer.on_log = lambda text: print(f"  acquirer: {text}", flush=True)
        host_url = await acquirer.start(args.host, args.host_port)
        print(f"virtual acquirer on {host_url}")
        print(f'  in recoup.toml:  [host]  url = "{host_url}"')
    print(HELP_TEXT, flush=True)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line:
                break
            words = line.split()
            if not words:
                continue
            verb, rest = words[0].lower(), words[1:]
            try:
                if verb == "quit":
                    break
                if verb in ACQUIRER_VERBS:
                    if acquirer is None:
                        print("  no acquirer running; start with --host-port PORT")
                    else:
                        print("  " + (await acquirer.control(line.strip())).replace("\n", "\n  "), flush=True)
                    continue
                if port is None:
                    print("  no reader running; start with --reader-port PORT or --reader-pty LINK")
                    continue
                if verb == "cards":
                    for card in WALLET.values():
                        print(f"  {card.key:<12} {card.label}")
                elif verb == "present" and rest:
                    mode = EntryMode(rest[1]) if len(rest) > 1 else EntryMode.SWIPE
                    if rest[0] not in WALLET:
                        print(f"  no card {rest[0]!r}; 'cards' lists them")
                        continue
                    reader.present(rest[0], mode)
                elif verb == "bad":
                    reader.bad_swipe()
                elif verb == "noise":
                    reader.noise(int(rest[0]) if rest else 16)
                elif verb == "corrupt" and rest:
                    reader.corrupt_rate = float(rest[0])
                elif verb == "unplug":
                    port.unplug() if isinstance(port, PtyReaderPort) else port.drop()
                elif verb == "replug" and isinstance(port, PtyReaderPort):
                    port.plug()
                else:
                    print(f"  unknown command {line.strip()!r}\n{HELP_TEXT}")
                    continue
            except ValueError as exc:
                print(f"  {exc}")
                continue
    finally:
        if isinstance(port, PtyReaderPort):
            port.close()
        elif port is not None:
            await port.close()
        if acquirer is not None:
            await acquirer.close()
    return 0
