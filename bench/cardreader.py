"""Card reader benchmark.

1. Frames per second through the framed protocol core (agent role): card-event frames made by the
   virtual reader's device core, fed whole and byte-at-a-time, decoded, checked and acknowledged.
2. Latency from the virtual reader writing the last byte of a card frame on a real pty to the agent's
   session delivering the `CardRead` event (p50/p90/p99), next to the time that frame would take on the
   wire at 115200 baud 8N1 — a pty has no baud rate, so the wire time is computed — and their ratio.

Usage: python -m bench.cardreader [--frames N] [--reads N]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import sys
import time
from datetime import date

from bench.stats import summary
from domain.clock import RealClock
from domain.events import CardRead, EntryMode
from drivers.cardreader.framed import FramedReader
from drivers.cardreader.session import ReaderSession
from simulator.cardreader.device import FramedDevice
from simulator.cardreader.server import PtyReaderPort, VirtualReader
from simulator.cardreader.wallet import VALID_KEYS, WALLET

BAUD = 115200
BITS_PER_BYTE = 10  # start + 8 data + stop


def core_throughput(frames: int, byte_at_a_time: bool) -> dict:
    device, reader = FramedDevice(), FramedReader()
    today = date(2026, 1, 5)
    cards = [WALLET[key] for key in VALID_KEYS]
    now = 0.0
    delivered = 0
    wire_bytes = 0
    started = time.perf_counter()
    for index in range(frames):
        device.present(cards[index % len(cards)], EntryMode.CHIP, now)
        data = device.data_to_send()
        wire_bytes += len(data)
        if byte_at_a_time:
            for offset in range(len(data)):
                reader.receive_data(data[offset:offset + 1], now)
        else:
            reader.receive_data(data, now)
        while (event := reader.next_event(today)) is not None:
            delivered += isinstance(event, CardRead)
        device.receive_data(reader.data_to_send(), now)
        now += 0.001
    elapsed = time.perf_counter() - started
    assert delivered == frames, (delivered, frames)
    return {"frames": frames, "seconds": round(elapsed, 3), "frames_per_second": round(frames / elapsed),
            "mean_frame_bytes": round(wire_bytes / frames, 1)}


async def pty_latency(reads: int) -> dict:
    clock = RealClock()
    reader = VirtualReader("framed", clock=clock)
    port = PtyReaderPort(reader)
    url = port.plug()
    arrived: asyncio.Queue[float] = asyncio.Queue()
    online = asyncio.Event()

    def on_event(event) -> None:
        if isinstance(event, CardRead):
            arrived.put_nowait(time.perf_counter())
        elif getattr(event, "state", None) is not None:
            online.set()

    session = ReaderSession(url, "framed", clock=clock, on_event=on_event, baudrate=BAUD)
    task = asyncio.create_task(session.run())
    await asyncio.wait_for(online.wait(), 10)
    sent_at: list[float] = []
    frame_sizes: list[int] = []
    write = port._write

    def timed_write(data: bytes) -> None:
        write(data)
        sent_at.append(time.perf_counter())
        frame_sizes.append(len(data))

    reader._write_raw = timed_write
    latencies = []
    cards = [WALLET[key] for key in VALID_KEYS]
    try:
        for index in range(reads):
            reader.present(cards[index % len(cards)], EntryMode.TAP)
            got = await asyncio.wait_for(arrived.get(), 10)
            latencies.append(got - sent_at[-1])
            while reader._framed is not None and reader._framed.get_timer() is not None:
                await asyncio.sleep(0.0005)  # let the ACK reach the device before the next card
    finally:
        session.stop()
        await task
        port.close()
    mean_frame = sum(frame_sizes) / len(frame_sizes)
    wire = mean_frame * BITS_PER_BYTE / BAUD
    lat = summary(latencies, 1000)
    return {
        "reads": reads,
        "frame_bytes": round(mean_frame, 1),
        "wire_time_ms_at_115200": round(wire * 1000, 3),
        "latency_ms": lat,
        "latency_to_wire_ratio": {k: round(v / (wire * 1000), 3) for k, v in lat.items() if k != "n"},
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=20000)
    parser.add_argument("--reads", type=int, default=500)
    args = parser.parse_args(argv)
    result = {
        "benchmark": "cardreader",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": sys.platform},
        "framed_core_whole_frames": core_throughput(args.frames, byte_at_a_time=False),
        "framed_core_byte_at_a_time": core_throughput(args.frames // 4, byte_at_a_time=True),
    }
    if os.name == "posix":
        result["pty_card_read_latency"] = asyncio.run(pty_latency(args.reads))
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
