"""`recoup devices`: the virtual hardware as servers on local ports, for a real agent install or any
tool that speaks the device's protocol. Type commands on standard input to act at the device.

Every receipt the virtual printer cuts is shown and kept in a folder as its bytes and its text: the
bytes are the evidence an integrator re-renders (`recoup render`), the text is what a person reads.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from simulator.replay.devices import ACQUIRER_VERBS

if TYPE_CHECKING:
    from simulator.printer.device import PrintedReceipt, VirtualPrinter
    from simulator.printer.server import PtyPrinterPort, TcpPrinterPort

HELP_TEXT = """commands:
  cards                         list the test cards in the wallet
  present CARD [swipe|chip|tap] present a card (e.g. 'present visa chip')
  bad                           a bad swipe / unreadable card
  noise [N]                     N bytes of line noise (default 16)
  corrupt RATE                  corrupt that fraction of the bytes the reader sends (0 to stop)
  unplug / replug               pull and reconnect the reader's cable
  paper near|end|ok             the printer's paper roll: near its end, run out, or loaded
  cover open|closed             open or close the printer's cover
  offline / online              take the printer offline, or back online
  silent on|off                 the printer stops (or resumes) answering status requests
  status                        the printer's state and the status bytes it answers
  fault … | rule … | link … | ledger | settle | settlement …
                                the virtual acquirer ('help' lists its commands)
  quit                          stop the devices"""
PRINTER_VERBS = ("paper", "cover", "offline", "online", "silent", "status")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "devices", help="run the virtual card reader, receipt printer and acquirer as servers on local ports",
        description="Run the virtual devices on local ports and print the URLs to put in a config. "
        "Standard input takes commands for the devices:\n\n" + HELP_TEXT,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reader-port", type=int, metavar="PORT",
                        help="serve the virtual card reader on TCP PORT of 127.0.0.1 (agent url socket://…)")
    parser.add_argument("--reader-pty", type=Path, metavar="LINK",
                        help="serve the virtual card reader on a pty published at LINK (Linux/macOS)")
    parser.add_argument("--host-port", type=int, metavar="PORT",
                        help="serve the virtual acquirer (ISO 8583, 2-byte length header) on TCP PORT")
    printer = parser.add_mutually_exclusive_group()
    printer.add_argument("--printer-port", type=int, metavar="PORT",
                         help="serve the virtual receipt printer on TCP PORT (raw ESC/POS, as printers do on 9100)")
    printer.add_argument("--printer-pty", type=Path, metavar="LINK",
                         help="serve the virtual receipt printer on a pty published at LINK (Linux/macOS)")
    parser.add_argument("--printer-columns", type=int, choices=(32, 48), default=48,
                        help="the printer's paper: 32 columns (58 mm) or 48 (80 mm, the default)")
    parser.add_argument("--receipts-dir", type=Path, default=Path("receipts"), metavar="DIR",
                        help="where each printed receipt is kept as NNNN.bin and NNNN.txt (default: ./receipts)")
    parser.add_argument("--seed", type=int, default=0, help="seed for the acquirer's RRNs and garbage faults")
    parser.add_argument("--reader-format", choices=("framed", "msr"), default="framed",
                        help="the reader's wire format (default: framed)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace, settings) -> int:
    if all(value is None for value in (args.reader_port, args.reader_pty, args.host_port, args.printer_port,
                                       args.printer_pty)):
        print("recoup devices: nothing to run; give --reader-port PORT, --reader-pty LINK, --host-port PORT, "
              "--printer-port PORT or --printer-pty LINK", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_serve(args))
    except OSError as exc:
        print(f"recoup devices: {exc}", file=sys.stderr)
        return 1


async def _serve(args: argparse.Namespace) -> int:
    from domain.clock import RealClock
    from simulator.cardreader.server import PtyReaderPort, TcpReaderPort, VirtualReader
    from simulator.cardreader.wallet import WALLET
    from simulator.host.server import VirtualAcquirer
    from simulator.printer.server import PtyPrinterPort
    from simulator.replay.devices import DeviceCommandError, printer_command, reader_command

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
    printer, printer_port = await _start_printer(args)
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
                if verb in PRINTER_VERBS:
                    if printer is None:
                        print("  no printer running; start with --printer-port PORT or --printer-pty LINK")
                    else:
                        if verb != "status" or rest:
                            printer_command(line).apply(printer)
                        print(f"  {_printer_state(printer)}", flush=True)
                    continue
                if port is None:
                    print("  no reader running; start with --reader-port PORT or --reader-pty LINK")
                    continue
                if verb == "cards":
                    for card in WALLET.values():
                        print(f"  {card.key:<12} {card.label}")
                    continue
                reader_command(line).apply(reader, port)
            except DeviceCommandError as exc:
                print(f"  unknown command {line.strip()!r}: {exc}\n{HELP_TEXT}")
                continue
    finally:
        if isinstance(port, PtyReaderPort):
            port.close()
        elif port is not None:
            await port.close()
        if acquirer is not None:
            await acquirer.close()
        if isinstance(printer_port, PtyPrinterPort):
            printer_port.close()
        elif printer_port is not None:
            await printer_port.close()
    return 0


async def _start_printer(
        args: argparse.Namespace) -> tuple[VirtualPrinter | None, PtyPrinterPort | TcpPrinterPort | None]:
    from simulator.printer.device import VirtualPrinter
    from simulator.printer.server import PtyPrinterPort, TcpPrinterPort

    if args.printer_port is None and args.printer_pty is None:
        return None, None
    if isinstance(sys.stdout, io.TextIOWrapper):  # receipts carry Chinese: a console without it shows marks
        sys.stdout.reconfigure(errors="replace")
    printer = VirtualPrinter(columns=args.printer_columns)
    folder = ReceiptFolder(args.receipts_dir)
    printer.observers.append(folder.keep)
    port: PtyPrinterPort | TcpPrinterPort
    if args.printer_pty is not None:
        port = PtyPrinterPort(printer, link=args.printer_pty.absolute())
        url = "serial:" + port.plug()
    else:
        port = TcpPrinterPort(printer, args.host, args.printer_port)
        url = await port.start()
    print(f"virtual receipt printer ({args.printer_columns} columns) on {url}; receipts kept in {folder.path}")
    print(f'  in recoup.toml:  [printer]  url = "{url}"')
    return printer, port


class ReceiptFolder:
    """Numbers receipts on from the highest already in the folder, so a restart never overwrites one."""

    def __init__(self, path: Path) -> None:
        path.mkdir(parents=True, exist_ok=True)
        self.path = path.absolute()
        self.next = max((int(file.stem) for file in path.glob("*.bin") if file.stem.isdigit()), default=0) + 1

    def keep(self, receipt: PrintedReceipt) -> None:
        stem = self.path / f"{self.next:04d}"
        self.next += 1
        stem.with_suffix(".bin").write_bytes(receipt.data)
        stem.with_suffix(".txt").write_text(receipt.text, encoding="utf-8")
        notes = "".join(note for note, applies in ((", torn: part of it was lost to a fault", receipt.torn),
                                                   (", never cut", receipt.cut is None)) if applies)
        print(f"  printer: receipt {stem.name}{notes}, saved as {stem}.bin and .txt")
        for text in receipt.text.rstrip("\n").splitlines():
            print(f"  printer:   {text}")
        sys.stdout.flush()


def _printer_state(printer: VirtualPrinter) -> str:
    """What the printer is in, and what it answers a status request with."""
    state = ", ".join(sorted(condition.value.replace("_", " ") for condition in printer.conditions)) or "ready"
    answers = ("answers no status request (silent)" if printer.silent else
               "answers DLE EOT " + " ".join(f"{n}:0x{printer.status_byte(n):02X}" for n in (1, 2, 4)))
    return (f"printer: {state}; {answers}; {len(printer.receipts)} receipt(s) printed, "
            f"{printer.lost} byte(s) lost to faults")
