"""`recoup demo`: the agent against the built-in simulated hardware, headless, with a transcript.

The virtual reader runs on a real line (a pty on Linux and macOS, loopback TCP elsewhere) and the agent
reads it exactly as it would a reader on a USB cable. Each step says what was done at the reader and
what the agent made of it; the run fails (exit 1) if the agent's reading differs from what the card
should have produced.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from agent.contacts import Contact, ContactStore
from agent.journal import Journal
from agent.keys import load_or_create_key
from agent.reader import CardReaderService
from domain.card import CardHasher
from domain.clock import RealClock
from domain.events import CardRead, EntryMode, LineNoise, ReadCheck, ReadError, ReaderStatus
from simulator.cardreader.server import PtyReaderPort, TcpReaderPort, VirtualReader
from simulator.cardreader.wallet import WALLET

STEP_TIMEOUT = 10.0  # seconds of real time a step may take before the demo calls it failed


@dataclass(frozen=True)
class Step:
    title: str
    act: Callable[[VirtualReader], None]
    expect: Callable[[Any], bool]
    expected: str


def _steps(fmt: str) -> list[Step]:
    visa = WALLET["visa"]
    return [
        Step(f"present {visa.label} by {'chip' if fmt == 'framed' else 'swipe'}",
             lambda r: r.present("visa", EntryMode.CHIP if fmt == "framed" else EntryMode.SWIPE),
             lambda e: isinstance(e, CardRead) and e.card.pan == visa.pan, "card read"),
        Step(f"present {WALLET['expired'].label}", lambda r: r.present("expired"),
             lambda e: isinstance(e, ReadError) and e.check is ReadCheck.EXPIRY, "refused: expired"),
        Step("bad swipe", lambda r: r.bad_swipe(),
             lambda e: isinstance(e, ReadError) and e.check is ReadCheck.BAD_READ, "refused: bad read"),
    ]


def describe(event: Any) -> str:
    if isinstance(event, CardRead):
        card = event.card
        return f"card read {card.masked} exp {card.expiry} service {card.service_code} ({event.entry_mode.value})"
    if isinstance(event, ReadError):
        masked = f" {event.masked}" if event.masked else ""
        return f"read refused{masked}: {event.check.value} — {event.detail}"
    if isinstance(event, ReaderStatus):
        return f"reader {event.state.value}: {event.detail}"
    if isinstance(event, LineNoise):
        return f"line noise: {event.detail}"
    return type(event).__name__


def _capture_contact(journal: Journal, data_dir: Path, say: Callable[[str, str], None]) -> int:
    """The customer whose card was refused leaves details to be called back: validated, consented,
    encrypted in the journal, and shown masked. Returns 1 if that went wrong."""
    store = ContactStore(journal, load_or_create_key(data_dir / "contact.key", "RECOUP_CONTACT_KEY"))
    say("cashier", "customer leaves contact details to be called back (consent given)")
    contact_id = store.record(consent=True, name="张伟", phone="138 0013 8000", channel="sms",
                              note="expired card; will come back with another")
    contact = store.get(contact_id)
    if not isinstance(contact, Contact):
        say("check", "FAILED: the contact could not be read back")
        return 1
    details = contact.details
    say("agent", f"contact {contact_id} saved encrypted: {details.masked_name} {details.masked_phone} "
                 f"via {details.channel.value}")
    declined = store.record_declined()
    say("agent", f"another customer declined to leave details: recorded as {declined}")
    return 0


async def run_demo(data_dir: Path, fmt: str = "framed", out: TextIO = sys.stdout, *,
                   temporary: bool = False) -> int:
    clock = RealClock()
    events: asyncio.Queue[tuple[Any, int]] = asyncio.Queue()
    hasher = CardHasher(load_or_create_key(data_dir / "card-hash.key", "RECOUP_CARD_HASH_KEY"))
    reader = VirtualReader(fmt, clock=clock)
    if os.name == "posix":
        port: PtyReaderPort | TcpReaderPort = PtyReaderPort(reader)
        url = port.plug()
    else:
        port = TcpReaderPort(reader)
        url = await port.start()

    def say(who: str, text: str) -> None:
        print(f"  [{who:<7}] {text}", file=out, flush=True)

    print(f"recoup demo — virtual card reader ({fmt} protocol) on {url}", file=out)
    failures = 0
    with Journal.open(data_dir / "journal.sqlite", clock=clock) as journal:
        service = CardReaderService(journal, hasher, url=url, fmt=fmt, clock=clock,
                                    listener=lambda e, seq: events.put_nowait((e, seq)))
        task = asyncio.create_task(service.run())
        try:
            event, seq = await asyncio.wait_for(events.get(), STEP_TIMEOUT)
            say("agent", f"{describe(event)} (journal #{seq})")
            for step in _steps(fmt):
                say("reader", step.title)
                step.act(reader)
                while True:
                    event, seq = await asyncio.wait_for(events.get(), STEP_TIMEOUT)
                    say("agent", f"{describe(event)} (journal #{seq})")
                    if not isinstance(event, ReaderStatus | LineNoise):
                        break
                ok = step.expect(event)
                failures += not ok
                say("check", f"{'ok' if ok else 'FAILED'}: expected {step.expected}")
        except TimeoutError:
            failures += 1
            say("check", f"FAILED: the agent heard nothing within {STEP_TIMEOUT:.0f} s")
        finally:
            service.stop()
            await task
            if isinstance(port, PtyReaderPort):
                port.close()
            else:
                await port.close()
        if not failures:
            failures += _capture_contact(journal, data_dir, say)
        reads = journal.query("SELECT outcome, masked, failed FROM reads ORDER BY seq")
    where = "a temporary journal (--data-dir keeps one)" if temporary else f"journal {data_dir / 'journal.sqlite'}"
    print(f"{where}: {len(reads)} read(s) recorded", file=out)
    for outcome, masked, failed in reads:
        print(f"  {outcome:<5} {masked or '-':<20} {failed or ''}", file=out)
    print("demo " + ("passed: every step recovered as expected" if not failures
                     else f"FAILED: {failures} step(s) went wrong"), file=out)
    return 0 if not failures else 1
