"""`recoup devices` as an integrator uses it: a separate process serving the reader, driven on stdin."""

import asyncio
import re
import subprocess
import sys
from pathlib import Path

from domain.clock import VirtualClock
from domain.events import CardRead, DeviceState, ReadCheck, ReadError
from drivers.cardreader.session import ReaderSession

ROOT = Path(__file__).resolve().parents[2]
WAIT = 20.0


def test_devices_serves_the_reader_on_a_port_and_takes_commands():
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "devices", "--reader-port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        first = proc.stdout.readline()
        url = re.search(r"socket://127\.0\.0\.1:\d+", first).group()

        async def main():
            events: asyncio.Queue = asyncio.Queue()
            session = ReaderSession(url, "framed", clock=VirtualClock(), on_event=events.put_nowait)
            task = asyncio.create_task(session.run())
            assert (await asyncio.wait_for(events.get(), WAIT)).state is DeviceState.ONLINE
            proc.stdin.write("present mastercard tap\nbad\n")
            proc.stdin.flush()
            card = await asyncio.wait_for(events.get(), WAIT)
            bad = await asyncio.wait_for(events.get(), WAIT)
            session.stop()
            await task
            return card, bad

        card, bad = asyncio.run(main())
        assert isinstance(card, CardRead) and card.card.pan == "5555555555554444"
        assert isinstance(bad, ReadError) and bad.check is ReadCheck.BAD_READ
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        assert proc.wait(WAIT) == 0
        assert "555555******4444" in out and "5555555555554444" not in out
    finally:
        proc.kill()


def test_devices_serves_the_acquirer_to_any_iso8583_client_and_takes_control_commands():
    import socket

    from drivers.host.codec import Deframer, decode, encode, frame

    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "devices", "--host-port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = ""
        while "virtual acquirer on" not in line:
            line = proc.stdout.readline()
        host, port = re.search(r"tcp://([\d.]+):(\d+)", line).groups()
        proc.stdin.write("rule card visa 51\n")
        proc.stdin.flush()
        while "card 411111******1111" not in (line := proc.stdout.readline()):
            pass
        request = {"t": "0200", "2": "4111111111111111", "3": "000000", "4": "000000001000", "7": "0105020000",
                   "11": "000001", "41": "TERM0001", "42": "MERCHANT0000001", "49": "156"}
        with socket.create_connection((host, int(port)), timeout=WAIT) as conn:
            conn.sendall(frame(encode(request)))
            deframer = Deframer()
            while (message := deframer.next_message()) is None:
                deframer.receive_data(conn.recv(4096))
        answer = decode(message)
        assert answer["t"] == "0210" and answer["39"] == "51" and answer["11"] == "000001"
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        assert proc.wait(WAIT) == 0
        assert "411111******1111" in out and "4111111111111111" not in out
    finally:
        proc.kill()
