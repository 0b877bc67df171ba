"""`recoup devices` as an integrator uses it: a separate process serving the reader, printer and acquirer, driven
on stdin."""

import asyncio
import contextlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

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


PRINTER_JOB = (b"\x1b@\x1c&\x10\x04\x04\x1ba\x01\x1bE\x01" + "小店 Corner Shop\n".encode("gb18030")
               + b"\x1bE\x00\x1ba\x00" + "消费 SALE 12.50\n".encode("gb18030") + b"\x1bd\x02\x1dV\x00")


def read_until(stream, text: str) -> str:
    """Lines up to and including the first that holds `text`; the pipe's own end fails the test."""
    seen = []
    while text not in (line := stream.readline()):
        assert line, f"{text!r} never came; got {''.join(seen)!r}"
        seen.append(line)
    return line


def test_devices_serves_the_printer_on_tcp_keeps_its_receipts_and_takes_printer_commands(tmp_path):
    import socket

    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONIOENCODING="utf-8")
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "devices", "--printer-port", "0"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8",
                            cwd=tmp_path, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = read_until(proc.stdout, "virtual receipt printer")
        host, port = re.search(r"tcp://([\d.]+):(\d+)", line).groups()
        assert f"receipts kept in {tmp_path / 'receipts'}" in line
        assert read_until(proc.stdout, "recoup.toml").strip() == (
            f'in recoup.toml:  [printer]  url = "tcp://{host}:{port}"')

        def command(text: str) -> str:
            proc.stdin.write(text + "\n")
            proc.stdin.flush()
            return read_until(proc.stdout, "; answers").strip()

        with socket.create_connection((host, int(port)), timeout=WAIT) as conn:
            conn.sendall(PRINTER_JOB)
            assert conn.recv(1) == b"\x12"
            assert "receipt 0001, saved as" in read_until(proc.stdout, "  printer: receipt")
            assert command("paper end") == ("printer: paper end; answers DLE EOT 1:0x12 2:0x32 4:0x72; "
                                            "1 receipt(s) printed, 0 byte(s) lost to faults")
            conn.sendall(b"\x10\x04\x04")
            assert conn.recv(1) == b"\x72"
            assert command("paper ok").startswith("printer: ready;")
            assert command("cover open").startswith("printer: cover open; answers DLE EOT 1:0x12 2:0x16 4:0x12")
            assert command("cover closed").startswith("printer: ready;")
            assert command("offline").startswith("printer: offline; answers DLE EOT 1:0x1A 2:0x12 4:0x12")
            assert command("online").startswith("printer: ready;")
            assert command("silent on").startswith("printer: ready; answers no status request (silent);")
            conn.sendall(b"\x10\x04\x01")
            conn.settimeout(0.2)
            with contextlib.suppress(TimeoutError):
                assert conn.recv(1) == b""
            assert command("silent off").startswith("printer: ready; answers DLE EOT")
            assert command("status").startswith("printer: ready; answers DLE EOT 1:0x12 2:0x12 4:0x12")
        proc.stdin.write("paper sideways\nquit\n")
        proc.stdin.flush()
        out = proc.stdout.read()
        assert proc.wait(WAIT) == 0
        assert "unknown command 'paper sideways'" in out
    finally:
        proc.kill()
    receipt = tmp_path / "receipts" / "0001"
    assert receipt.with_suffix(".bin").read_bytes() == PRINTER_JOB
    text = receipt.with_suffix(".txt").read_text(encoding="utf-8")
    assert text.splitlines()[:2] == [" " * 16 + "小店 Corner Shop", "消费 SALE 12.50"]


def test_devices_serves_the_printer_on_a_pty_and_numbers_receipts_after_those_kept(tmp_path):
    serial = pytest.importorskip("serial")
    if os.name != "posix":
        pytest.skip("ptys are Linux/macOS")
    receipts = tmp_path / "kept"
    receipts.mkdir()
    (receipts / "0007.bin").write_bytes(b"earlier\n")
    link = tmp_path / "printer-tty"
    proc = subprocess.Popen([sys.executable, "-m", "agent.cli", "devices", "--printer-pty", str(link),
                             "--receipts-dir", str(receipts), "--printer-columns", "32"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, encoding="utf-8", cwd=ROOT)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        line = read_until(proc.stdout, "virtual receipt printer (32 columns) on ")
        assert f"on serial:{link}; receipts kept in {receipts}" in line
        assert read_until(proc.stdout, "recoup.toml").strip() == f'in recoup.toml:  [printer]  url = "serial:{link}"'
        with serial.serial_for_url(str(link), timeout=WAIT) as port:
            port.write(PRINTER_JOB)
            assert port.read(1) == b"\x12"
        assert "receipt 0008, saved as" in read_until(proc.stdout, "  printer: receipt")
        assert read_until(proc.stdout, "  printer:   ").rstrip("\n") == "  printer:   " + " " * 8 + "小店 Corner Shop"
        proc.stdin.write("quit\n")
        proc.stdin.flush()
        proc.stdout.read()
        assert proc.wait(WAIT) == 0
    finally:
        proc.kill()
    assert (receipts / "0008.bin").read_bytes() == PRINTER_JOB
    assert not link.exists()


def test_devices_with_nothing_to_run_names_every_device_flag():
    done = subprocess.run([sys.executable, "-m", "agent.cli", "devices"], capture_output=True, text=True,
                          timeout=WAIT * 3, cwd=ROOT)
    assert done.returncode == 2
    assert "--printer-port PORT or --printer-pty LINK" in done.stderr
