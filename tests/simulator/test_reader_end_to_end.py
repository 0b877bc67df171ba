"""The agent's reader session against the virtual reader over real lines: a pty and socket://."""

import asyncio
import os

import pytest

from domain.clock import VirtualClock
from domain.events import CardRead, DeviceState, EntryMode, LineNoise, ReadCheck, ReadError, ReaderStatus
from drivers.cardreader.session import ReaderSession
from simulator.cardreader.server import PtyReaderPort, TcpReaderPort, VirtualReader
from simulator.cardreader.wallet import WALLET

WAIT = 10.0  # a safety net against a hang, not a sleep: every wait ends as soon as the event arrives
posix_only = pytest.mark.skipif(os.name != "posix", reason="ptys are POSIX")


class Harness:
    def __init__(self, session_url: str, fmt: str, clock: VirtualClock):
        self.events: asyncio.Queue = asyncio.Queue()
        self.session = ReaderSession(session_url, fmt, clock=clock, on_event=self.events.put_nowait,
                                     backoff=(1.0,))
        self.task = asyncio.create_task(self.session.run())

    async def next(self, *skip: type):
        while True:
            event = await asyncio.wait_for(self.events.get(), WAIT)
            if not isinstance(event, skip):
                return event

    async def close(self):
        self.session.stop()
        await asyncio.wait_for(self.task, WAIT)


async def _exercise(reader: VirtualReader, harness: Harness, fmt: str):
    online = await harness.next()
    assert isinstance(online, ReaderStatus) and online.state is DeviceState.ONLINE
    for key in ("visa", "mastercard", "unionpay", "amex"):
        reader.present(key, EntryMode.CHIP if fmt == "framed" else EntryMode.SWIPE)
        event = await harness.next()
        assert isinstance(event, CardRead), event
        assert event.card.pan == WALLET[key].pan
    reader.present("expired")
    event = await harness.next()
    assert isinstance(event, ReadError) and event.check is ReadCheck.EXPIRY
    reader.present("luhn_invalid")
    event = await harness.next()
    assert isinstance(event, ReadError) and event.check is ReadCheck.LUHN
    reader.bad_swipe()
    event = await harness.next()
    assert isinstance(event, ReadError) and event.check is ReadCheck.BAD_READ
    reader.noise(40)
    reader.present("visa")
    event = await harness.next(LineNoise, ReadError)
    assert isinstance(event, CardRead) and event.card.pan == WALLET["visa"].pan


@posix_only
@pytest.mark.parametrize("fmt", ["framed", "msr"])
def test_cards_through_a_real_pty(fmt):
    async def main():
        clock = VirtualClock()
        reader = VirtualReader(fmt, clock=clock)
        port = PtyReaderPort(reader)
        url = port.plug()
        harness = Harness(url, fmt, clock)
        try:
            await _exercise(reader, harness, fmt)
        finally:
            await harness.close()
            port.close()

    asyncio.run(main())


@pytest.mark.parametrize("fmt", ["framed", "msr"])
def test_cards_through_socket_url(fmt):
    async def main():
        clock = VirtualClock()
        reader = VirtualReader(fmt, clock=clock)
        port = TcpReaderPort(reader)
        url = await port.start()
        harness = Harness(url, fmt, clock)
        try:
            await asyncio.wait_for(port.connected.wait(), WAIT)
            await _exercise(reader, harness, fmt)
        finally:
            await harness.close()
            await port.close()

    asyncio.run(main())


@posix_only
def test_unplugged_reader_goes_offline_and_comes_back_behind_the_same_name(tmp_path):
    async def main():
        clock = VirtualClock()
        reader = VirtualReader("framed", clock=clock)
        port = PtyReaderPort(reader, link=tmp_path / "by-id-reader")
        port.plug()
        harness = Harness(str(tmp_path / "by-id-reader"), "framed", clock)
        try:
            assert (await harness.next()).state is DeviceState.ONLINE
            port.unplug()
            offline = await harness.next()
            assert isinstance(offline, ReaderStatus) and offline.state is DeviceState.OFFLINE
            port.plug()  # a new pty, published under the same link
            clock.jump()  # the back-off timer falls due without waiting for it
            online = await harness.next()
            assert online.state is DeviceState.ONLINE
            reader.present("visa")
            assert isinstance(await harness.next(), CardRead)
        finally:
            await harness.close()
            port.close()

    asyncio.run(main())


def test_dropped_tcp_line_reconnects_with_back_off():
    async def main():
        clock = VirtualClock()
        reader = VirtualReader("msr", clock=clock)
        port = TcpReaderPort(reader)
        url = await port.start()
        harness = Harness(url, "msr", clock)
        try:
            assert (await harness.next()).state is DeviceState.ONLINE
            await asyncio.wait_for(port.connected.wait(), WAIT)
            port.drop()
            assert (await harness.next()).state is DeviceState.OFFLINE
            clock.jump()
            assert (await harness.next()).state is DeviceState.ONLINE
            await asyncio.wait_for(port.connected.wait(), WAIT)
            reader.present("unionpay_19")
            event = await harness.next()
            assert isinstance(event, CardRead) and event.card.pan == "6205500000000000004"
        finally:
            await harness.close()
            await port.close()

    asyncio.run(main())


def test_a_port_that_does_not_exist_is_reported_offline_naming_it(tmp_path):
    async def main():
        clock = VirtualClock()
        harness = Harness(str(tmp_path / "no-such-tty"), "msr", clock)
        event = await harness.next()
        assert event.state is DeviceState.OFFLINE and "no-such-tty" in event.detail
        await harness.close()

    asyncio.run(main())
