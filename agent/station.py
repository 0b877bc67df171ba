"""One counter's devices and services, built from the config: what `recoup agent` runs.

Every device is a URL. `sim://` is the built-in simulator, started here in-process on real transports —
the card reader on a pty (loopback TCP on Windows), the printer and the acquirer on loopback TCP — so the
agent's own wiring is the same one that drives real hardware; only the far end differs. The simulated
devices stay reachable (`Station.sim`) for whoever wants to present a card or pull the paper, and can be
handed to the next Station when the agent restarts against the same hardware (`devices=`).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from agent.cases import CaseStore
from agent.config import Settings
from agent.contacts import ContactStore
from agent.counter import Counter
from agent.host import HostService
from agent.journal import Journal
from agent.keys import load_or_create_key
from agent.printer import PrinterService
from agent.reader import CardReaderService
from domain.card import CardHasher
from domain.clock import Clock, RealClock

SIM = "sim://"
CONTACT_KEY_ENV = "RECOUP_CONTACT_KEY"
CARD_HASH_KEY_ENV = "RECOUP_CARD_HASH_KEY"


@dataclass
class Simulated:
    """The built-in devices a `sim://` URL started, or None for each one that is real."""

    reader: Any = None  # simulator.cardreader.server.VirtualReader
    printer: Any = None  # simulator.printer.device.VirtualPrinter
    acquirer: Any = None  # simulator.host.server.VirtualAcquirer
    urls: dict[str, str] = field(default_factory=dict)  # where each simulated device listens, by device
    ports: dict[str, Any] = field(default_factory=dict)  # the reader's and the printer's line, to unplug
    closers: list[Any] = field(default_factory=list)  # coroutine functions or callables, closed in reverse

    async def close(self) -> None:
        await _close(self.closers)


@dataclass
class Station:
    settings: Settings
    clock: Clock
    journal: Journal
    counter: Counter
    contacts: ContactStore
    cases: CaseStore
    sim: Simulated
    closers: list[Any]  # what this station opened, closed in reverse

    @classmethod
    async def open(cls, settings: Settings, *, clock: Clock | None = None, devices: Simulated | None = None,
                   on_event: Callable[[Any], None] | None = None, seed: int = 0) -> Station:
        """Start the simulated devices the config asks for (or take over `devices` a previous station
        started, which then outlive this one), open the journal and the keys, wire the services.
        `on_event` sees every event the devices report, before the counter does; `seed` makes the simulated
        devices' random choices (line noise, the acquirer's reference numbers and garbage) repeatable."""
        clock = clock or RealClock()
        sim = devices or await start_devices(settings, clock, seed)
        closers: list[Any] = [] if devices is not None else [sim.close]
        try:
            reader_url, host_address, printer_url = _urls(settings, sim)
            settings.journal.path.parent.mkdir(parents=True, exist_ok=True)
            journal = Journal.open(settings.journal.path, clock=clock, own_ids=settings.host.own_ids)
        except BaseException:
            await _close(closers)
            raise
        closers.append(journal.close)
        try:
            hasher = CardHasher(load_or_create_key(settings.cards.hash_key_file, CARD_HASH_KEY_ENV))
            contacts = ContactStore(journal, load_or_create_key(settings.contacts.key_file, CONTACT_KEY_ENV),
                                    default_region=settings.contacts.default_region)
            station: Station | None = None

            def device_event(event: Any, *_: Any) -> None:
                assert station is not None
                if on_event is not None:
                    on_event(event)
                station.counter.device_event(event)

            host = HostService(journal, clock, settings.host, address=host_address, on_event=device_event)
            reader = CardReaderService(journal, hasher, url=reader_url, fmt=settings.reader.format, clock=clock,
                                       baudrate=settings.reader.baudrate, listener=device_event)
            printer = PrinterService(journal, clock, replace(settings.printer, url=printer_url), settings.store,
                                     terminal_id=settings.host.terminal_id, merchant_id=settings.host.merchant_id,
                                     zone=settings.cases.zone, on_event=device_event)
            counter = Counter(journal, clock, hasher=hasher, host=host, reader=reader, printer=printer,
                              auth_timeout=settings.host.auth_timeout,
                              max_reversal_failures=settings.host.reversal_escalate_after,
                              store_line=settings.store.contact_line, zone=settings.cases.zone)
            station = cls(settings, clock, journal, counter, contacts, CaseStore(journal, clock, settings.cases), sim,
                          closers)
            return station
        except BaseException:
            await _close(closers)
            raise

    async def run(self) -> None:
        """Run the counter's services until `stop`."""
        await self.counter.run()

    def stop(self) -> None:
        self.counter.stop()

    async def close(self) -> None:
        """Close the journal, and the simulated devices this station started; call after `run` has returned."""
        await _close(self.closers)


def _urls(settings: Settings, sim: Simulated) -> tuple[str, tuple[str, int], str]:
    """Where the services connect: the simulated device's address for `sim://`, the config's otherwise."""
    reader_url = sim.urls["reader"] if settings.reader.url == SIM else settings.reader.url
    host_address = ("127.0.0.1", sim.acquirer.port) if settings.host.url == SIM else settings.host.address
    printer_url = sim.urls["printer"] if settings.printer.url == SIM else settings.printer.url
    return reader_url, host_address, printer_url


async def start_devices(settings: Settings, clock: Clock, seed: int = 0) -> Simulated:
    """Start the simulated devices the config's `sim://` URLs ask for; whoever starts them closes them."""
    sim = Simulated()
    try:
        await _devices(settings, clock, sim, seed)
    except BaseException:
        await sim.close()
        raise
    return sim


async def _devices(settings: Settings, clock: Clock, sim: Simulated, seed: int) -> None:
    if settings.reader.url == SIM:
        from simulator.cardreader.server import PtyReaderPort, TcpReaderPort, VirtualReader

        sim.reader = VirtualReader(settings.reader.format, clock=clock, seed=seed)
        if os.name == "posix":
            # Published under a stable name beside the journal, as udev publishes /dev/serial/by-id/…: a
            # replugged reader gets a new pty, and the agent must find it again under the name it was given
            # (the bare pty's name may meanwhile belong to another program's terminal).
            link = settings.journal.path.parent.absolute() / "sim-card-reader"
            link.parent.mkdir(parents=True, exist_ok=True)
            pty = PtyReaderPort(sim.reader, link=link)
            sim.urls["reader"] = pty.plug()
            sim.ports["reader"] = pty
            sim.closers.append(pty.close)
        else:
            tcp = TcpReaderPort(sim.reader)
            sim.urls["reader"] = await tcp.start()
            sim.ports["reader"] = tcp
            sim.closers.append(tcp.close)
    if settings.host.url == SIM:
        from simulator.host.server import VirtualAcquirer

        sim.acquirer = VirtualAcquirer(clock, allowed_terminals=[settings.host.terminal_id], seed=seed)
        sim.urls["acquirer"] = await sim.acquirer.start()
        sim.closers.append(sim.acquirer.close)
    if settings.printer.url == SIM:
        from simulator.printer.device import VirtualPrinter
        from simulator.printer.server import TcpPrinterPort

        sim.printer = VirtualPrinter(columns=settings.printer.columns)
        port = TcpPrinterPort(sim.printer, "127.0.0.1", 0)
        sim.urls["printer"] = await port.start()
        sim.ports["printer"] = port
        sim.closers.append(port.close)


async def _close(closers: list[Any]) -> None:
    while closers:
        closer = closers.pop()
        with contextlib.suppress(Exception):  # closing is best effort: one stuck port must not keep the rest open
            result = closer()
            if hasattr(result, "__await__"):
                await result
