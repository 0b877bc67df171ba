"""The framed reader's link layer, used by both ends (agent and reader) of the line.

    frame = STX | LEN (2, big-endian) | body | ETX | LRC      LRC = XOR of body + ETX
    body  = SEQ (1) | message (1..508) | CRC-16 (2, big-endian, CRC-16/CCITT-FALSE over SEQ + message)
    ACK   = 0x06 | SEQ | SEQ ^ 0xFF                          NAK = 0x15

Why more than STX/LEN/payload/ETX/LRC: the XOR LRC misses any two corrupted bytes that cancel, and on
a line that flips 1 % of bytes that happens; the CRC-16 makes a corrupted card number pass with odds
of about one in 65 536 of the frames the LRC already failed to catch. The sequence number lets a
receiver ACK a retransmission (its ACK was lost) without delivering the message twice. The ACK names
the sequence it acknowledges, with a check byte, so a late ACK cannot acknowledge the next frame and a
noise byte that happens to be 0x06 cannot acknowledge anything.

Stop-and-wait: one frame outstanding per direction, later messages queue. An unacknowledged frame is
retransmitted on a NAK or after `response_timeout`, up to `max_retransmits` times; then a
`DeliveryFailed` event is reported and the frame is dropped, unless `keep_offering` is set (the
reader's role: a card read is held until the agent has it), in which case the cycle starts again with
the same sequence number, so the message still arrives exactly once.

Receiving resynchronises by rescanning: anything that turns out not to be a frame costs its first
byte, and the bytes after it are parsed again, so a stray STX never swallows the real frame behind it.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import reduce
from operator import xor

from domain.events import LineNoise
from drivers.errors import LocalProtocolError

STX, ETX, ACK, NAK = 0x02, 0x03, 0x06, 0x15
MAX_BODY = 0x1FF  # so LEN's first byte is 0 or 1: a stray STX right before a real one is never a length
MIN_BODY = 4  # SEQ, a one-byte message, CRC
MAX_MESSAGE = MAX_BODY - 3
RESPONSE_TIMEOUT = 3.0
INTERBYTE_TIMEOUT = 0.2
MAX_RETRANSMITS = 3
_HEADER = 3  # STX, LEN
_TRAILER = 2  # ETX, LRC


def crc16(data: bytes) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF): crc16(b"123456789") == 0x29B1."""
    crc = 0xFFFF
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def lrc(data: bytes) -> int:
    return reduce(xor, data, 0)


def encode_frame(seq: int, message: bytes) -> bytes:
    if not 0 <= seq <= 0xFF:
        raise LocalProtocolError(f"sequence number {seq} does not fit in a byte")
    if not 1 <= len(message) <= MAX_MESSAGE:
        raise LocalProtocolError(f"a message is 1 to {MAX_MESSAGE} bytes, got {len(message)}")
    body = bytes([seq]) + message
    body += crc16(body).to_bytes(2, "big")
    return bytes([STX]) + len(body).to_bytes(2, "big") + body + bytes([ETX, lrc(body) ^ ETX])


def encode_ack(seq: int) -> bytes:
    return bytes([ACK, seq, seq ^ 0xFF])


@dataclass(frozen=True)
class Received:
    """A message that arrived intact, for the first time."""

    message: bytes


@dataclass(frozen=True)
class DeliveryFailed:
    """A message the other end did not acknowledge after the original and every retransmission."""

    message: bytes
    attempts: int


LinkEvent = Received | DeliveryFailed | LineNoise


@dataclass
class _Outgoing:
    seq: int
    message: bytes
    frame: bytes
    attempts: int = 0
    deadline: float = 0.0


class Link:
    """One end of the framed link. Bytes in (`receive_data`), events out (`next_event`), bytes to write
    (`data_to_send`), and a deadline (`get_timer`) the caller fires with `handle_timer`."""

    def __init__(self, *, response_timeout: float = RESPONSE_TIMEOUT,
                 interbyte_timeout: float = INTERBYTE_TIMEOUT, max_retransmits: int = MAX_RETRANSMITS,
                 keep_offering: bool = False, first_seq: int = 0) -> None:
        if response_timeout <= 0 or interbyte_timeout <= 0 or max_retransmits < 0:
            raise LocalProtocolError("timeouts must be positive and max_retransmits not negative")
        if not 0 <= first_seq <= 0xFF:
            raise LocalProtocolError(f"first_seq {first_seq} does not fit in a byte")
        self._response_timeout = response_timeout
        self._interbyte_timeout = interbyte_timeout
        self._max_retransmits = max_retransmits
        self._keep_offering = keep_offering
        self._rx = bytearray()
        self._last_rx = 0.0
        self._noise = 0  # stray bytes not yet reported
        self._last_delivered: int | None = None
        self._events: deque[LinkEvent] = deque()
        self._out = bytearray()
        self._queue: deque[bytes] = deque()
        self._pending: _Outgoing | None = None
        self._next_seq = first_seq

    # -- the caller's side -----------------------------------------------------------------------------

    def send(self, message: bytes, now: float) -> None:
        if not isinstance(message, bytes) or not 1 <= len(message) <= MAX_MESSAGE:
            raise LocalProtocolError(f"a message is 1 to {MAX_MESSAGE} bytes, got {message!r:.40}")
        self._queue.append(message)
        self._start_next(now)

    def receive_data(self, data: bytes, now: float) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise LocalProtocolError(f"receive_data takes bytes, not {type(data).__name__}")
        self.handle_timer(now)  # what fell due before these bytes came is settled first
        if not data:
            return
        self._rx += data
        self._last_rx = now
        self._parse(now, stale=False)

    def next_event(self) -> LinkEvent | None:
        return self._events.popleft() if self._events else None

    def data_to_send(self) -> bytes:
        out = bytes(self._out)
        self._out.clear()
        return out

    def get_timer(self) -> float | None:
        deadlines = []
        if self._rx or self._noise:
            deadlines.append(self._last_rx + self._interbyte_timeout)
        if self._pending is not None:
            deadlines.append(self._pending.deadline)
        return min(deadlines, default=None)

    def handle_timer(self, now: float) -> None:
        if (self._rx or self._noise) and now >= self._last_rx + self._interbyte_timeout:
            self._parse(now, stale=True)
            self._flush_noise()
        if self._pending is not None and now >= self._pending.deadline:
            self._retry(self._pending, now)

    # -- sending ------------------------------------------------------------------------------------------

    def _start_next(self, now: float) -> None:
        if self._pending is None and self._queue:
            message = self._queue.popleft()
            self._pending = _Outgoing(self._next_seq, message, encode_frame(self._next_seq, message))
            self._next_seq = (self._next_seq + 1) & 0xFF
            self._transmit(self._pending, now)

    def _transmit(self, pending: _Outgoing, now: float) -> None:
        self._out += pending.frame
        pending.attempts += 1
        pending.deadline = now + self._response_timeout

    def _retry(self, pending: _Outgoing, now: float) -> None:
        """After a NAK or a response timeout."""
        if pending.attempts <= self._max_retransmits:
            self._transmit(pending, now)
            return
        self._events.append(DeliveryFailed(pending.message, pending.attempts))
        if self._keep_offering:
            pending.attempts = 0
            self._transmit(pending, now)
        else:
            self._pending = None
            self._start_next(now)

    # -- receiving ----------------------------------------------------------------------------------------

    def _parse(self, now: float, stale: bool) -> None:
        """Consume whole frames, ACKs and NAKs from the receive buffer. An element still incomplete when
        the line has gone quiet (`stale`) will never complete: its first byte becomes noise."""
        rx = self._rx
        while rx:
            head = rx[0]
            if head == STX:
                used = self._take_frame()
            elif head == ACK:
                used = self._take_ack(now)
            elif head == NAK:
                self._flush_noise()
                if self._pending is not None:
                    self._retry(self._pending, now)
                used = 1
            else:
                used = 0
            if used is None and not stale:
                return
            if not used:
                self._noise += 1
                used = 1
            del rx[:used]

    def _take_frame(self) -> int | None:
        """Bytes used by the frame at the head of the buffer, 0 if it is no frame, None if incomplete."""
        rx = self._rx
        if len(rx) < _HEADER:
            return None
        length = int.from_bytes(rx[1:_HEADER], "big")
        if not MIN_BODY <= length <= MAX_BODY:
            return 0
        end = _HEADER + length
        if len(rx) < end + _TRAILER:
            return None
        if rx[end] != ETX:
            return 0
        body = bytes(rx[_HEADER:end])
        self._flush_noise()
        size = end + _TRAILER
        lrc_ok = rx[end + 1] == lrc(body) ^ ETX
        if not lrc_ok or crc16(body[:-2]) != int.from_bytes(body[-2:], "big"):
            check = "CRC" if lrc_ok else "LRC"
            self._events.append(LineNoise(f"a {size}-byte frame failed its {check} check; NAK sent", size))
            self._out.append(NAK)
            return size
        seq = body[0]
        self._out += encode_ack(seq)
        if seq != self._last_delivered:  # else a retransmission whose ACK was lost: ACK it, once is enough
            self._last_delivered = seq
            self._events.append(Received(body[1:-2]))
        return size

    def _take_ack(self, now: float) -> int | None:
        rx = self._rx
        if len(rx) < 3:
            return None
        seq, check = rx[1], rx[2]
        if check != seq ^ 0xFF:
            return 0
        self._flush_noise()
        if self._pending is not None and seq == self._pending.seq:
            self._pending = None
            self._start_next(now)
        return 3  # an ACK for a frame no longer outstanding is late, not noise

    def _flush_noise(self) -> None:
        if self._noise:
            self._events.append(LineNoise(f"{self._noise} stray bytes outside any frame", self._noise))
            self._noise = 0
