"""The virtual acquirer on a real TCP port: 2-byte-length-framed ISO 8583, any number of terminals.

Everything that can go wrong between a terminal and its bank is on a switch here (see faults.py),
because the agent's recovery flows are only as good as the failures they were tried against. Delays
are measured on the injected clock, so under a VirtualClock a 35-second late approval costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import socket
import struct
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from domain.clock import Clock
from drivers.errors import RemoteProtocolError
from drivers.host import codec
from simulator.host import control, settlement
from simulator.host.core import AcquirerCore, Handled
from simulator.host.faults import Fault, FaultKind, FaultPlan, garbage_bytes
from simulator.host.ledger import Entry, Ledger
from simulator.host.rules import Rules
from simulator.host.wirelog import describe, scrub


@dataclass(eq=False)
class _Connection:
    writer: asyncio.StreamWriter
    peer: str
    terminals: set[str] = field(default_factory=set)
    last_seen: int = 0  # order of its latest request among all connections

    @property
    def open(self) -> bool:
        return not self.writer.is_closing()


class VirtualAcquirer:
    """An ISO 8583 acquirer host with a ledger, response rules, faults and a text control interface.

    Any terminal and merchant id is served unless `allowed_terminals` / `allowed_merchants` are given:
    then a request from another terminal is answered 58 (not permitted) and one carrying another
    merchant id 03 (invalid merchant), as a real acquirer treats a device it never enrolled.
    """

    def __init__(self, clock: Clock, *, seed: int = 0, allowed_terminals: Iterable[str] | None = None,
                 allowed_merchants: Iterable[str] | None = None) -> None:
        self.clock = clock
        self.core = AcquirerCore(
            clock, seed=seed,
            allowed_terminals=None if allowed_terminals is None else frozenset(allowed_terminals),
            allowed_merchants=None if allowed_merchants is None else frozenset(allowed_merchants))
        self.faults = FaultPlan()
        self.settlement_faults = settlement.SettlementFaults()
        self.log: list[str] = []
        # (terminal, MTI, STAN) of every request that arrived whole, answered or not: the wire's side of
        # money rule 2, held against the agent's journal (simulator.moneyrules)
        self.received: list[tuple[str, str, str]] = []
        self.on_log: Callable[[str], None] | None = None
        self.host, self.port = "127.0.0.1", 0
        self._garbage = random.Random(f"garbage:{seed}")
        self._server: asyncio.AbstractServer | None = None
        self._connections: set[_Connection] = set()
        self._serving: set[asyncio.Task] = set()
        self._held: set[asyncio.Task] = set()
        self._order = itertools.count(1)
        self._reported_batches = 0
        self.refusing = False

    @property
    def ledger(self) -> Ledger:
        return self.core.ledger

    @property
    def rules(self) -> Rules:
        return self.core.rules

    @property
    def url(self) -> str:
        return f"tcp://{self.host}:{self.port}"

    @property
    def connections(self) -> int:
        return len(self._connections)

    # -- life cycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.host = host
        self._server = await asyncio.start_server(self._serve, host, port)
        self.port = self._server.sockets[0].getsockname()[1]
        self.refusing = False
        self._note(f"listening on {self.url}")
        return self.url

    async def close(self) -> None:
        await self._stop_listening()
        for task in self._held:
            task.cancel()
        await asyncio.gather(*self._held, return_exceptions=True)

    async def refuse_connections(self) -> None:
        """Link down: existing connections are closed and new ones refused until `allow_connections`."""
        self.refusing = True
        await self._stop_listening()
        self._note("link down: connections closed, new ones refused")

    async def allow_connections(self) -> None:
        """Link up again, on the same port, so the terminal's configured URL still works."""
        if self._server is None:
            await self.start(self.host, self.port)
            self._note("link up")

    async def _stop_listening(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for connection in list(self._connections):
            connection.writer.close()
        await asyncio.gather(*self._serving, return_exceptions=True)

    # -- faults, rules, settlement: what tests and the control interface call ------------------

    def drop_after_request(self, times: int | None = 1, *, echoes: bool = False) -> Fault:
        return self._fault(Fault(FaultKind.DROP, times, echoes))

    def black_hole(self, times: int | None = 1) -> Fault:
        return self._fault(Fault(FaultKind.BLACK_HOLE, times, echoes=True))

    def delay(self, ms: float, times: int | None = 1, *, echoes: bool = False) -> Fault:
        return self._fault(Fault(FaultKind.DELAY, times, echoes, seconds=ms / 1000))

    def reset(self, times: int | None = 1, *, echoes: bool = False) -> Fault:
        return self._fault(Fault(FaultKind.RESET, times, echoes))

    def garbage(self, size: int, *, framed: bool = True, times: int | None = 1, echoes: bool = False) -> Fault:
        return self._fault(Fault(FaultKind.GARBAGE, times, echoes, size=size, framed=framed))

    def duplicate_response(self, times: int | None = 1, *, echoes: bool = False) -> Fault:
        return self._fault(Fault(FaultKind.DUPLICATE, times, echoes))

    def late_response(self, after_s: float, times: int | None = 1, *, echoes: bool = False) -> Fault:
        return self._fault(Fault(FaultKind.LATE, times, echoes, seconds=after_s))

    def contradict(self, code: str = "96", times: int | None = 1, *, echoes: bool = False) -> Fault:
        """The receipt printed and then the sale was declined: an approved sale is answered, taken back
        by the switch (reversed in the ledger) and answered again with `code`."""
        return self._fault(Fault(FaultKind.CONTRADICT, times, echoes, code=code))

    def clear_faults(self) -> None:
        self.faults.clear()
        self._note("faults cleared")

    def _fault(self, fault: Fault) -> Fault:
        self.faults.set(fault)
        self._note(f"fault: {fault.describe()}")
        return fault

    def settlement_answer(self, answer: str, times: int | None = 1) -> str:
        """Answer the next `times` 0500s (None: until cleared) `answer` — balanced, unbalanced or
        unavailable — whatever their totals; "normal" compares the totals again."""
        if answer == "normal":
            self.rules.settlement.clear()
        else:
            self.rules.settlement.set(answer, times)
        described = self.rules.settlement.describe()
        self._note(f"settlement answers: {described}")
        return described

    def settle(self, path: str | Path | None = None) -> list[Entry]:
        """End of day: close every open batch, then report every entry settled since the last report
        (including batches terminals closed with 0500) — written to `path` as the settlement file, dated
        today by the host's clock, with the injected settlement faults, which are then used up. Extra
        lines are written for the terminal of the ledger's latest entry. The file is opened first, so a
        path that cannot be written leaves the batches open."""
        with Path(path).open("w", newline="", encoding="utf-8") if path else contextlib.nullcontext() as out:
            self.ledger.settle(self.clock.now())
            reported = self.ledger.settled_in(self._reported_batches + 1)
            if out is not None:
                last = self.ledger.entries[-1] if self.ledger.entries else None
                stranger = (last.terminal_id, last.merchant_id) if last is not None else None
                lines = settlement.write(out, reported, self.settlement_faults, self.clock.now().date(), stranger)
                self._note(f"settlement file {path}: {lines} lines "
                           f"({len(reported)} entries, injected: {self.settlement_faults.describe()})")
                self.settlement_faults.clear()
        self._reported_batches = self.ledger.batches
        return reported

    async def control(self, line: str) -> str:
        """Run one text command (grammar: simulator.host.control.HELP); the answer starts ok or error."""
        return await control.run(self, line)

    # -- the wire -------------------------------------------------------------------------------

    def _note(self, text: str) -> None:
        line = f"[{self.clock.monotonic():10.3f}] {scrub(text)}"
        self.log.append(line)
        if self.on_log is not None:
            self.on_log(line)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = "{}:{}".format(*writer.get_extra_info("peername")[:2])
        if self.refusing:
            writer.close()
            return
        connection = _Connection(writer, peer)
        self._connections.add(connection)
        task = asyncio.current_task()
        assert task is not None
        self._serving.add(task)
        self._note(f"{peer} connected")
        deframer = codec.Deframer()
        try:
            while connection.open and (data := await reader.read(4096)):
                deframer.receive_data(data)
                while connection.open and (message := deframer.next_message()) is not None:
                    self._receive(connection, message)
        except RemoteProtocolError as exc:
            self._note(f"{peer} {exc}: closing")
        except ConnectionError as exc:
            self._note(f"{peer} {type(exc).__name__}")
        finally:
            self._connections.discard(connection)
            self._serving.discard(task)
            writer.close()
            self._note(f"{peer} disconnected")

    def _receive(self, connection: _Connection, message: bytes) -> None:
        peer = connection.peer
        try:
            request = codec.decode(message)
        except RemoteProtocolError as exc:
            handled = self.core.malformed(message, str(exc))
            self._note(f"{peer} recv {handled.note}")
            self._send(connection, handled)
            return
        self._note(f"{peer} recv {describe(request)}")
        self.received.append((request.get("41", ""), request.get("t", ""), request.get("11", "")))
        if "41" in request:
            connection.terminals.add(request["41"])
        connection.last_seen = next(self._order)
        fault = self.faults.take(request["t"])
        if fault is not None and not fault.kind.applies_request:
            self._strike_before(connection, fault)
            return
        handled = self.core.handle(request)
        self._note(f"{peer} host: {handled.note}")
        if fault is None:
            self._send(connection, handled)
        else:
            self._strike_after(connection, fault, handled, request.get("41", ""))

    def _strike_before(self, connection: _Connection, fault: Fault) -> None:
        if fault.kind is FaultKind.BLACK_HOLE:
            self._note(f"{connection.peer} fault blackhole: request swallowed, no answer")
            return
        self._note(f"{connection.peer} fault reset: connection reset, request not applied")
        sock = connection.writer.get_extra_info("socket")
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        connection.writer.transport.abort()

    def _strike_after(self, connection: _Connection, fault: Fault, handled: Handled, terminal: str) -> None:
        peer = connection.peer
        if fault.kind is FaultKind.DROP:
            self._note(f"{peer} fault drop: request applied, connection closed without a response")
            connection.writer.close()
        elif fault.kind is FaultKind.GARBAGE:
            data = garbage_bytes(fault.size, self._garbage.randbytes)
            self._note(f"{peer} fault garbage: {fault.size} {'framed' if fault.framed else 'raw'} bytes "
                       f"sent instead of the response")
            connection.writer.write(codec.frame(data) if fault.framed else data)
        elif fault.kind is FaultKind.DUPLICATE:
            self._note(f"{peer} fault duplicate: response sent twice")
            self._send(connection, handled)
            self._send(connection, handled)
        elif fault.kind is FaultKind.CONTRADICT:
            self._send(connection, handled)
            second = self.core.take_back(handled, fault.code)
            self._note(f"{peer} fault contradict: {second.note}")
            self._send(connection, second)
        else:
            self._note(f"{peer} fault {fault.kind.value}: response held for {fault.seconds:g} s")
            task = asyncio.get_running_loop().create_task(self._hold(connection, fault.seconds, handled, terminal))
            self._held.add(task)
            task.add_done_callback(self._held.discard)

    async def _hold(self, connection: _Connection, seconds: float, handled: Handled, terminal: str) -> None:
        """Send a held response on its connection or, if the terminal has since reconnected, on the
        terminal's newest connection — a bank's late answer still finds the terminal."""
        await self.clock.sleep(seconds)
        if not connection.open:
            candidates = [other for other in self._connections if other.open and terminal in other.terminals]
            if not candidates:
                self._note(f"{connection.peer} held response dropped: terminal {terminal!r} is not connected")
                return
            connection = max(candidates, key=lambda other: other.last_seen)
        self._send(connection, handled)

    def _send(self, connection: _Connection, handled: Handled) -> None:
        if handled.response is None:
            return
        if not connection.open:
            self._note(f"{connection.peer} not sent (connection closed): {describe(handled.response)}")
            return
        connection.writer.write(codec.frame(codec.encode(handled.response)))
        self._note(f"{connection.peer} send {describe(handled.response)}")
