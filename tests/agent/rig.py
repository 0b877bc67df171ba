"""A counter on a virtual clock against the virtual acquirer over real loopback TCP, for integration tests.

Card reads are fed as the reader service delivers them. Virtual time moves only when a test says so,
or — with `until(..., jump=True)` — to the next timer whenever the counter and the acquirer have gone
quiet, as an autojumping clock does. `audit()` holds the agent's journal against the acquirer's ledger:
the money rules, authorization by authorization.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path

from agent.config import HostSettings, PrinterSettings, StoreSettings
from agent.counter import Counter
from agent.host import HostService
from agent.journal import Journal
from agent.printer import PrinterService
from domain.card import CardHasher
from domain.clock import VirtualClock
from domain.events import CardRead, EntryMode
from domain.money import Money
from drivers.errors import LocalProtocolError
from simulator import moneyrules
from simulator.cardreader.wallet import WALLET
from simulator.host.server import VirtualAcquirer
from simulator.printer.device import VirtualPrinter
from simulator.printer.server import TcpPrinterPort

WAIT = 10.0
QUIET = 0.05  # seconds of wall time with nothing happening before virtual time may jump
HASHER = CardHasher(b"h" * 32)
SETTINGS = HostSettings()
# Flows with an authorization whose answer may still come (or whose request is about to leave).
IN_FLIGHT = frozenset({"AUTHORIZING", "AWAITING_RESPONSE", "CANCELLING", "AWAITING_CANCEL"})


class Spinning(Exception):
    """A task kept calling a link that refuses it, without ever awaiting: the event loop would hang."""


class Rig:
    def __init__(self, path: Path, *, quiet: float = QUIET, settings: HostSettings = SETTINGS,
                 printer: bool = False, zone: tzinfo | None = None):
        self.path = path
        self.quiet = quiet
        self.settings = settings
        self.zone = zone  # the store's ([cases] timezone); None: the PC's own
        self.clock = VirtualClock()
        self.acquirer = VirtualAcquirer(self.clock)
        self.prompts: list[tuple[str, str]] = []
        self.prompt_times: list[tuple[str, str, float]] = []  # (flow id, prompt id, virtual time)
        self.changed = asyncio.Event()
        self.acquirer.on_log = lambda _: self.changed.set()  # wake the test on the acquirer's activity too
        self.task: asyncio.Task | None = None
        self.crashed: Path | None = None  # the image of the disk at the last power cut
        self.spinning = False
        # The virtual receipt printer on loopback TCP, outliving agent restarts as a real one would.
        self.printer = VirtualPrinter() if printer else None
        self.printer_port = TcpPrinterPort(self.printer, "127.0.0.1", 0) if self.printer else None
        self.printer_url: str | None = None
        self.printing: PrinterService | None = None

    async def start(self, journal_path: Path | None = None) -> None:
        if not self.acquirer.port:
            await self.acquirer.start()
        self.path = journal_path or self.path
        self.journal = Journal.open(self.path, clock=self.clock, own_ids=self.settings.own_ids)
        if self.printer_port is not None:
            if self.printer_url is None:
                self.printer_url = await self.printer_port.start()
                self.printer.observers.append(lambda _: self.changed.set())
            self.printing = PrinterService(self.journal, self.clock, PrinterSettings(url=self.printer_url),
                                           StoreSettings(name="示例便利店", phone="021-5555 0000"),
                                           terminal_id=self.settings.terminal_id,
                                           merchant_id=self.settings.merchant_id, zone=self.zone,
                                           on_event=lambda e: self.counter.device_event(e))
        self.host = HostService(self.journal, self.clock, self.settings, address=("127.0.0.1", self.acquirer.port),
                                on_event=lambda e: self.counter.device_event(e), backoff=(1.0,), saf_backoff=(3.0,))
        self.counter = Counter(self.journal, self.clock, hasher=HASHER, host=self.host, printer=self.printing,
                               store_line="021-5555 0000", zone=self.zone,
                               auth_timeout=self.settings.auth_timeout, on_change=lambda _: self.changed.set(),
                               on_prompt=self._prompted)
        self.task = asyncio.create_task(self.counter.run())
        if not self.acquirer.refusing:
            await self.until(lambda: self.host.up)

    def _prompted(self, flow_id: str, prompt) -> None:
        self.prompts.append((flow_id, prompt.prompt_id))
        self.prompt_times.append((flow_id, prompt.prompt_id, self.clock.monotonic()))

    async def until(self, condition: Callable[[], bool], jump: bool = False, limit: int = 400) -> None:
        """Wait for a condition. With jump, virtual time moves to the next timer whenever the counter and
        the acquirer have gone quiet (nothing for `quiet` seconds), as an autojumping clock does."""
        for _ in range(limit):
            if condition():
                return
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), self.quiet if jump else WAIT)
            except TimeoutError:
                if not jump:
                    raise
                self.clock.jump()
        states = {k: f"{f.name}:{f.state.name}" for k, f in self.counter.flows.items()}
        raise AssertionError(f"condition never reached by t={self.clock.monotonic():g}; flows: {states}; "
                             f"reversals pending: {len(self.host.saf.pending())}")

    async def settle(self) -> None:
        """Let everything that is under way finish, without moving virtual time."""
        while True:
            self.changed.clear()
            try:
                await asyncio.wait_for(self.changed.wait(), self.quiet)
            except TimeoutError:
                return

    # -- the counter ---------------------------------------------------------------------------------

    def swipe(self, key: str = "visa") -> None:
        card = WALLET[key].to_card()
        self.counter.device_event(CardRead(card, EntryMode.CHIP, card_hash=HASHER(card.pan).hex))

    def sale(self, amount: str, card: str = "visa") -> str:
        """The cashier keys an amount and the customer presents a card."""
        sale = self.counter.start_sale(Money.parse(amount))
        self.swipe(card)
        return sale

    def flow(self, sale: str):
        return self.counter.flow_of(sale)

    def at(self, sale: str, name: str, state: str) -> Callable[[], bool]:
        """A condition: the sale's live flow is `name` in `state`."""
        def reached() -> bool:
            flow = self.counter.flow_of(sale)
            return flow is not None and flow.name == name and flow.state.name == state
        return reached

    def drained(self) -> bool:
        """No reversal waiting to reach the acquirer and no authorization waiting for its answer."""
        return (self.host.up and not self.host.saf.pending()
                and not any(f.state.name in IN_FLIGHT for f in self.counter.flows.values()))

    def prompt_of(self, flow_id: str) -> str:
        return [prompt for fid, prompt in self.prompts if fid == flow_id][-1]

    def kinds(self, stream: str) -> list[str]:
        return [e.kind for e in self.journal.events(stream=stream)]

    def events(self, kind: str, stream: str | None = None) -> list:
        return list(self.journal.events(kind=kind, stream=stream))

    def receipts(self, sale: str) -> list:
        return self.events("receipt_to_print", sale)

    def requests(self, sale: str) -> list[dict[str, str]]:
        """The authorizations (0200) journaled for a sale, as they went on the wire (journal-safe)."""
        return [e.payload["request"] for e in self.events("host_request", sale) if e.payload["request"]["t"] == "0200"]

    def net(self, card: str = "visa") -> int:
        return self.acquirer.ledger.net_charge(card)

    # -- the money rules -----------------------------------------------------------------------------

    def audit(self) -> dict[str, int]:
        """Hold the journal against the acquirer's ledger, the requests it received and the paper
        (`simulator.moneyrules`); returns, per sale, the minor units the customer paid by card."""
        terminal = self.host.terminal.terminal_id
        found = moneyrules.audit(
            self.journal, self.acquirer.ledger, terminal,
            received=[(mti, stan) for sender, mti, stan in self.acquirer.received if sender == terminal],
            paper=None if self.printer is None else [(paper.text, paper.torn) for paper in self.printer.receipts])
        assert not found.violations, "\n".join(found.violations)
        return found.paid

    # -- life cycle ----------------------------------------------------------------------------------

    def crash_image(self, name: str) -> Path:
        """The disk as a power cut leaves it now: the database and its write-ahead log, copied while open."""
        crash = self.path.with_name(name)
        for suffix in ("", "-wal"):
            shutil.copy(f"{self.path}{suffix}", f"{crash}{suffix}")
        return crash

    def guard_spin(self, limit: int = 20) -> None:
        """Turn a busy loop on a link that refuses requests into a failure instead of a hung test: after
        `limit` refusals in a row the refused call raises `Spinning` (and `self.spinning` is set), which
        ends the task that kept retrying. The real `request` runs every time; this only counts."""
        self.spinning = False
        client = self.host.client
        request = client.request
        refused = 0

        def counted(*args, **kwargs):
            nonlocal refused
            try:
                sent = request(*args, **kwargs)
            except LocalProtocolError:
                refused += 1
                if refused >= limit:
                    self.spinning = True
                    self.changed.set()
                    raise Spinning(f"{refused} requests refused in a row without a pause") from None
                raise
            refused = 0
            return sent

        client.request = counted  # type: ignore[method-assign]

    def crash_after(self, predicate: Callable[[str, dict], bool], name: str = "crash.sqlite") -> None:
        """Cut the power right after the first journal append for which `predicate(kind, payload)` holds.
        The image of the disk is taken there — with what was committed by then: an append inside a larger
        transaction is cut with it — and the acquirer link dies with the process, so nothing more leaves
        it. `self.crashed` is then the image's path; `stop()` and `start(self.crashed)` go on."""
        self.crashed = None
        append = self.journal.append

        def append_then_maybe_crash(kind, payload, **options):
            event = append(kind, payload, **options)
            if self.crashed is None and predicate(kind, payload):
                self._cut(name)
            return event

        self.journal.append = append_then_maybe_crash  # type: ignore[method-assign]

    def crash_at_commit(self, count: int, name: str = "crash.sqlite") -> None:
        """Cut the power right after the journal's `count`-th commit from now (see `crash_after`)."""
        self.crashed = None
        transaction = self.journal.transaction
        depth = commits = 0

        @contextlib.contextmanager
        def counted():
            nonlocal depth, commits
            depth += 1
            try:
                with transaction():
                    yield
            finally:
                depth -= 1
            if depth == 0:  # the outermost one, committed
                commits += 1
                if commits == count and self.crashed is None:
                    self._cut(name)

        self.journal.transaction = counted  # type: ignore[method-assign]

    def _cut(self, name: str) -> None:
        self.crashed = self.crash_image(name)
        self.host.stop()  # the process is gone: no byte, no reversal, no receipt leaves it any more
        if self.printing is not None:
            self.printing.stop()
        self.changed.set()

    async def crash_and_restart(self, name: str) -> None:
        """Power cut now, then a new agent with nothing but the journal as it was on disk."""
        crash = self.crash_image(name)
        await self.stop()
        await self.start(crash)

    async def stop(self) -> None:
        self.counter.stop()
        try:
            if self.task is not None:
                await asyncio.wait_for(self.task, WAIT)
        except Spinning:
            assert self.spinning  # the test that set the guard reports it
        finally:
            self.journal.close()


def run(tmp_path: Path, scenario, **options) -> None:
    async def main():
        rig = Rig(tmp_path / "j.sqlite", **options)
        await rig.start()
        try:
            await scenario(rig)
        finally:
            await rig.stop()
            await rig.acquirer.close()
            if rig.printer_port is not None:
                await rig.printer_port.close()

    asyncio.run(main())
