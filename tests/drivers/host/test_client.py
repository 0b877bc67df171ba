"""The TCP client against a real loopback acquirer written here, with every timer on a virtual clock."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable

import pytest

from domain.clock import VirtualClock
from domain.events import EntryMode, LinkDown, LinkUp
from domain.money import Money
from drivers.errors import LocalProtocolError
from drivers.host.client import HostClient
from drivers.host.codec import Deframer, Fields, decode
from drivers.host.link import HostLink, LinkAlive, LinkDead, RequestUnanswered, Response
from drivers.host.messages import journal_safe, purchase
from tests.drivers.host.helpers import AT, CARD, TERMINAL, answer, wire

SAFETY = 5.0  # wall-clock seconds before a wait that should finish at once is declared hung


class Acquirer:
    """A loopback ISO 8583 server: records what arrives and replies as `reply` says (None: silence)."""

    def __init__(self, reply: Callable[[Fields], Fields | None] = answer) -> None:
        self.reply = reply
        self.received: list[Fields] = []
        self._taken = 0
        self.connections: list[asyncio.StreamWriter] = []
        self.arrived = asyncio.Event()

    async def __aenter__(self) -> Acquirer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc: object) -> None:
        self.server.close()
        for writer in self.connections:
            writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections.append(writer)
        deframer = Deframer()
        while data := await reader.read(4096):
            deframer.receive_data(data)
            while (message := deframer.next_message()) is not None:
                fields = decode(message)
                self.received.append(fields)
                self.arrived.set()
                if (response := self.reply(fields)) is not None:
                    writer.write(wire(response))

    async def next_request(self) -> Fields:
        """The next message not yet taken by this method, waiting for it if it has not arrived."""
        while len(self.received) == self._taken:
            self.arrived.clear()
            await asyncio.wait_for(self.arrived.wait(), SAFETY)
        self._taken += 1
        return self.received[self._taken - 1]


class Recorder:
    """`on_event` for the client; `wait(cls)` returns the next event of that class not yet waited for."""

    def __init__(self) -> None:
        self.events: list = []
        self._cursor = 0
        self._changed = asyncio.Event()

    def __call__(self, event: object) -> None:
        self.events.append(event)
        self._changed.set()

    async def wait(self, cls: type) -> object:
        async def find() -> object:
            while True:
                for index in range(self._cursor, len(self.events)):
                    if isinstance(self.events[index], cls):
                        self._cursor = index + 1
                        return self.events[index]
                self._changed.clear()
                await self._changed.wait()
        return await asyncio.wait_for(find(), SAFETY)

    def of(self, cls: type) -> list:
        return [event for event in self.events if isinstance(event, cls)]


def client_for(port: int, clock: VirtualClock, events: Recorder, **options) -> HostClient:
    return HostClient("127.0.0.1", port, clock=clock, link=HostLink(TERMINAL), on_event=events, **options)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sale() -> Fields:
    return purchase(CARD, Money(5800), EntryMode.CHIP, at=AT, terminal=TERMINAL)


def test_a_sale_is_journaled_before_its_bytes_leave_and_its_answer_comes_back():
    async def main() -> None:
        clock, events, order = VirtualClock(), Recorder(), []

        async def recording_open(host: str, port: int):
            reader, writer = await asyncio.open_connection(host, port)
            write, deframer = writer.write, Deframer()

            def recorded(data: bytes) -> None:
                deframer.receive_data(data)
                while (message := deframer.next_message()) is not None:
                    order.append(("wire", decode(message)["t"]))
                write(data)

            writer.write = recorded
            return reader, writer

        async with Acquirer() as host:
            client = client_for(host.port, clock, events, open_connection=recording_open)
            task = asyncio.create_task(client.run())
            up = await events.wait(LinkUp)
            assert isinstance(up, LinkUp) and up.round_trip_ms == 0.0  # virtual time stood still
            assert client.up
            fields = client.request(sale(), tag="sale-1",
                                    before_send=lambda fields: order.append(("journal", fields["11"])))
            assert order == [("wire", "0800"), ("journal", "000002"), ("wire", "0200")]
            assert (await host.next_request())["t"] == "0800"
            assert await host.next_request() == fields
            response = await events.wait(Response)
            assert response == Response("sale-1", journal_safe(fields), answer(fields))
            client.stop()
            await asyncio.wait_for(task, SAFETY)
            assert events.events[-1] == LinkDown("client stopped")
    asyncio.run(main())


def test_a_request_whose_journaling_fails_is_never_sent():
    async def main() -> None:
        clock, events = VirtualClock(), Recorder()
        async with Acquirer() as host:
            client = client_for(host.port, clock, events)
            task = asyncio.create_task(client.run())
            await events.wait(LinkUp)

            def broken_journal(fields: Fields) -> None:
                raise OSError("disk full")

            with pytest.raises(OSError, match="disk full"):
                client.request(sale(), tag="lost", before_send=broken_journal)
            kept = client.request(sale(), tag="kept", before_send=lambda fields: None)
            assert (await host.next_request())["t"] == "0800"
            assert await host.next_request() == kept  # the withdrawn one never arrived
            client.stop()
            await asyncio.wait_for(task, SAFETY)
    asyncio.run(main())


def test_no_request_while_the_link_is_down():
    async def main() -> None:
        events = Recorder()
        client = client_for(closed_port(), VirtualClock(), events)
        with pytest.raises(LocalProtocolError, match="not connected"):
            client.request(sale(), tag="s", before_send=lambda fields: None)
    asyncio.run(main())


def test_a_silent_host_is_known_dead_in_two_seconds_and_the_sale_is_unanswered_at_once():
    async def main() -> None:
        clock, events = VirtualClock(), Recorder()
        async with Acquirer(reply=lambda fields: answer(fields) if len(host.received) == 1 else None) as host:
            client = client_for(host.port, clock, events)
            task = asyncio.create_task(client.run())
            await events.wait(LinkUp)
            fields = client.request(sale(), tag="sale-1", before_send=lambda f: None)
            assert [(await host.next_request())["t"] for _ in range(2)] == ["0800", "0200"]
            await clock.run_for(4.9)
            assert events.of(LinkDead) == []
            await clock.run_for(0.1)  # 5 s of silence: the echo goes out
            assert (await host.next_request())["t"] == "0800"
            await clock.run_for(1.9)
            assert events.of(LinkDead) == []
            await clock.run_for(0.1)
            assert await events.wait(LinkDead) == LinkDead("no answer to echo within 2.0 s")
            reason = "no answer to echo within 2.0 s"
            assert await events.wait(RequestUnanswered) == RequestUnanswered("sale-1", journal_safe(fields), reason)
            assert await events.wait(LinkDown) == LinkDown(reason)
            assert clock.monotonic() == 7.0  # not the 30 s authorization timeout
            client.stop()
            await asyncio.wait_for(task, SAFETY)
    asyncio.run(main())


def test_reconnects_after_the_host_hangs_up():
    async def main() -> None:
        clock, events = VirtualClock(), Recorder()
        async with Acquirer() as host:
            client = client_for(host.port, clock, events)
            task = asyncio.create_task(client.run())
            await events.wait(LinkUp)
            host.connections[0].close()
            assert await events.wait(LinkDown) == LinkDown("the host closed the connection")
            await clock.run_for(0.5)  # the first back-off step
            await events.wait(LinkUp)
            assert len(host.connections) == 2
            assert [type(e) for e in events.events] == [LinkAlive, LinkUp, LinkDown, LinkAlive, LinkUp]
            client.stop()
            await asyncio.wait_for(task, SAFETY)
    asyncio.run(main())


def test_back_off_between_failed_attempts_and_one_link_down_for_all_of_them():
    async def main() -> None:
        clock, events = VirtualClock(), Recorder()
        port, attempts = closed_port(), []

        async def open_connection(host: str, port: int):
            attempts.append(clock.monotonic())
            return await asyncio.open_connection(host, port)

        client = client_for(port, clock, events, backoff=(0.5, 1, 2, 5), open_connection=open_connection)
        task = asyncio.create_task(client.run())
        await events.wait(LinkDown)
        for _ in range(6):
            await clock.run_for(5)
        assert attempts == [0, 0.5, 1.5, 3.5, 8.5, 13.5, 18.5, 23.5, 28.5]
        (down,) = events.events
        assert isinstance(down, LinkDown) and down.reason.startswith(f"cannot connect to 127.0.0.1:{port}: ")
        client.stop()
        await asyncio.wait_for(task, SAFETY)
    asyncio.run(main())


def test_a_connection_that_never_completes_times_out_on_the_clock():
    async def main() -> None:
        clock, events = VirtualClock(), Recorder()
        attempts = []

        async def black_hole(host: str, port: int):
            attempts.append(clock.monotonic())
            await asyncio.get_running_loop().create_future()  # a SYN nobody answers

        client = client_for(7, clock, events, connect_timeout=5, backoff=(1,), open_connection=black_hole)
        task = asyncio.create_task(client.run())
        await clock.run_for(4.9)
        assert events.events == []
        await clock.run_for(0.1)
        assert events.events == [LinkDown("no connection to 127.0.0.1:7 within 5 s")]
        await clock.run_for(1)
        assert attempts == [0, 6]
        client.stop()
        await asyncio.wait_for(task, SAFETY)
        assert events.events == [LinkDown("no connection to 127.0.0.1:7 within 5 s")]
    asyncio.run(main())
