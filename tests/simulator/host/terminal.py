"""A bare ISO 8583 terminal for the acquirer's tests: loopback TCP, codec framing, messages as dicts.

It deliberately shares nothing with the agent's host driver beyond the codec, so these tests say
whether the acquirer is right, not whether two halves agree with each other.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from typing import Any

from domain.clock import VirtualClock
from drivers.host import codec
from simulator.cardreader.wallet import WALLET
from simulator.host import VirtualAcquirer

WAIT = 10.0  # a safety net against a hang, not a sleep: every wait ends as soon as the bytes arrive
TID = "T0000001"
MID = "M00000000000001"
CNY = "156"
TRANSMITTED = "0105100000"  # field 7, MMDDhhmmss


def sale(stan: int, minor: int, card: str = "visa", *, tid: str = TID, mid: str = MID, **extra: str) -> dict:
    return {"t": "0200", "2": WALLET[card].pan if card in WALLET else card, "3": "000000", "4": f"{minor:012d}",
            "7": TRANSMITTED, "11": f"{stan:06d}", "14": WALLET[card].expiry if card in WALLET else "3012",
            "22": "021", "25": "00", "41": tid, "42": mid, "49": CNY} | extra


def refund(stan: int, minor: int, card: str = "visa", *, rrn: str = "") -> dict:
    """A refund, naming the sale it gives money back for (field 37) when `rrn` is given."""
    return sale(stan, minor, card) | {"3": "200000"} | ({"37": rrn} if rrn else {})


def void(stan: int, rrn: str, minor: int, *, tid: str = TID) -> dict:
    return {"t": "0200", "3": "020000", "4": f"{minor:012d}", "7": TRANSMITTED, "11": f"{stan:06d}",
            "25": "00", "37": rrn, "41": tid, "42": MID, "49": CNY}


def reversal(original: dict, *, stan: int | None = None, repeat: bool = False) -> dict:
    """Field 90: original MTI, STAN and transmission time, then two 11-digit institution ids."""
    return {"t": "0401" if repeat else "0400", "3": original["3"], "4": original["4"], "7": TRANSMITTED,
            "11": original["11"] if stan is None else f"{stan:06d}", "25": "00", "41": original["41"],
            "42": original["42"], "49": original["49"],
            "90": original["t"] + original["11"] + original["7"] + "0" * 22}


def inquiry(original: dict, stan: int, **extra: str) -> dict:
    """0600 status inquiry about `original`, named by field 90 as a reversal names it."""
    return {"t": "0600", "3": "330000", "4": original["4"], "7": TRANSMITTED, "11": f"{stan:06d}",
            "12": "100000", "13": "0105", "41": original["41"], "42": original["42"], "49": original["49"],
            "90": original["t"] + original["11"] + original["7"] + "0" * 22} | extra


def echo(stan: int, *, tid: str = TID) -> dict:
    return {"t": "0800", "7": TRANSMITTED, "11": f"{stan:06d}", "41": tid, "70": "301"}


def settlement(stan: int, debits: tuple[int, int], credits: tuple[int, int] = (0, 0), *, tid: str = TID) -> dict:
    return {"t": "0500", "7": TRANSMITTED, "11": f"{stan:06d}", "41": tid, "42": MID,
            "74": f"{credits[0]:010d}", "76": f"{debits[0]:010d}",
            "86": f"{credits[1]:016d}", "88": f"{debits[1]:016d}"}


class Terminal:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.deframer = codec.Deframer()

    @classmethod
    async def connect(cls, url: str) -> Terminal:
        host, port = url.removeprefix("tcp://").rsplit(":", 1)
        return cls(*await asyncio.wait_for(asyncio.open_connection(host, int(port)), WAIT))

    async def send(self, fields: dict) -> None:
        await self.send_raw(codec.frame(codec.encode(fields)))

    async def send_raw(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def receive_frame(self) -> bytes:
        """The next framed message; EOFError if the host closes first."""
        while (message := self.deframer.next_message()) is None:
            data = await asyncio.wait_for(self.reader.read(4096), WAIT)
            if not data:
                raise EOFError("the host closed the connection")
            self.deframer.receive_data(data)
        return message

    async def receive(self) -> dict:
        return codec.decode(await self.receive_frame())

    async def request(self, fields: dict) -> dict:
        await self.send(fields)
        return await self.receive()

    async def closed_by_host(self) -> bool:
        """True once the host has closed the connection (EOF) with nothing more sent; closes our end."""
        eof = await asyncio.wait_for(self.reader.read(4096), WAIT) == b""
        await self.close()
        return eof

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(ConnectionError):
            await self.writer.wait_closed()


def run(test: Callable[[VirtualAcquirer, VirtualClock], Awaitable[Any]], **options: Any) -> Any:
    """Start an acquirer on a loopback port with a virtual clock, run `test`, close everything."""
    async def main() -> Any:
        clock = VirtualClock()
        acquirer = VirtualAcquirer(clock, **options)
        await acquirer.start()
        try:
            return await test(acquirer, clock)
        finally:
            await acquirer.close()

    return asyncio.run(main())
