"""The reader's end of both wire formats, as sans-I/O cores the virtual reader drives.

The framed device reuses the driver's link layer and payload codec in the device role, so the
simulator cannot drift from the protocol the agent speaks; what it adds is what a reader does: turn a
presented card into a card event, hold it until the agent has acknowledged it, and hand over the
commands the agent sent. The noise helpers spoil a line on purpose, reproducibly (the caller's seeded
`random.Random`).
"""

from __future__ import annotations

import random
from collections import deque

from domain.events import EntryMode, LineNoise
from drivers.cardreader.framing import (
    INTERBYTE_TIMEOUT,
    MAX_RETRANSMITS,
    RESPONSE_TIMEOUT,
    DeliveryFailed,
    Link,
    Received,
)
from drivers.cardreader.payload import (
    BadRead,
    CardEvent,
    Command,
    ReaderState,
    Report,
    StatusReport,
    decode_command,
    encode,
)
from drivers.errors import LocalProtocolError, RemoteProtocolError
from simulator.cardreader.wallet import TestCard, track1, track2, track2_equivalent

BAD_SWIPE = {"1": "%E?", "2": ";E?"}


class MsrDevice:
    """A MagTek / ID TECH style swipe reader: one line per swipe, the tracks it is set to output."""

    def __init__(self, *, tracks: str = "12", line_end: bytes = b"\r") -> None:
        if not tracks or set(tracks) - set("12"):
            raise LocalProtocolError(f"tracks must be '1', '2' or '12', got {tracks!r}")
        if line_end not in (b"\r", b"\n", b"\r\n"):
            raise LocalProtocolError(f"line_end must be CR, LF or CRLF, got {line_end!r}")
        self.tracks = "".join(sorted(set(tracks)))
        self.line_end = line_end

    def swipe(self, card: TestCard) -> bytes:
        builders = {"1": track1, "2": track2}
        return "".join(builders[track](card) for track in self.tracks).encode("ascii") + self.line_end

    def bad_swipe(self) -> bytes:
        return "".join(BAD_SWIPE[track] for track in self.tracks).encode("ascii") + self.line_end


class FramedDevice:
    """Device-role core of the framed protocol. A card event is offered until the agent acknowledges it
    (the link's `keep_offering`): a reader cannot ask the customer to tap again because a cable hiccuped."""

    def __init__(self, *, response_timeout: float = RESPONSE_TIMEOUT,
                 interbyte_timeout: float = INTERBYTE_TIMEOUT, max_retransmits: int = MAX_RETRANSMITS,
                 first_seq: int = 0) -> None:
        self._link = Link(response_timeout=response_timeout, interbyte_timeout=interbyte_timeout,
                          max_retransmits=max_retransmits, keep_offering=True, first_seq=first_seq)
        self._commands: deque[Command] = deque()
        self._notices: deque[LineNoise | DeliveryFailed] = deque()

    def present(self, card: TestCard, entry_mode: EntryMode, now: float) -> None:
        self.send(CardEvent(entry_mode, track2_equivalent(card), card.expiry, card.service_code, card.name),
                  now)

    def bad_read(self, now: float, entry_mode: EntryMode = EntryMode.SWIPE, detail: str = "") -> None:
        self.send(BadRead(entry_mode, detail), now)

    def status(self, state: ReaderState, now: float, text: str = "") -> None:
        self.send(StatusReport(state, text), now)

    def send(self, report: Report, now: float) -> None:
        """Any report, including ones a real reader would not send (tests use it for mismatched fields)."""
        self._link.send(encode(report), now)

    def receive_data(self, data: bytes, now: float) -> None:
        self._link.receive_data(data, now)
        self._sort()

    def handle_timer(self, now: float) -> None:
        self._link.handle_timer(now)
        self._sort()

    def data_to_send(self) -> bytes:
        return self._link.data_to_send()

    def get_timer(self) -> float | None:
        return self._link.get_timer()

    def next_command(self) -> Command | None:
        """The next command the agent sent (already acknowledged on the line), in order."""
        return self._commands.popleft() if self._commands else None

    def next_notice(self) -> LineNoise | DeliveryFailed | None:
        """What went wrong on the line from the reader's side: noise, undecodable commands, and reports
        the agent has not acknowledged after every retransmission (they are still being offered)."""
        return self._notices.popleft() if self._notices else None

    def _sort(self) -> None:
        while (event := self._link.next_event()) is not None:
            if not isinstance(event, Received):
                self._notices.append(event)
                continue
            try:
                self._commands.append(decode_command(event.message))
            except RemoteProtocolError as exc:
                self._notices.append(LineNoise(f"undecodable command: {exc}", len(event.message)))


def corrupt(data: bytes, rate: float, rng: random.Random) -> bytes:
    """Each byte replaced, with probability `rate`, by a different random byte."""
    return bytes(byte ^ rng.randrange(1, 256) if rng.random() < rate else byte for byte in data)


def line_noise(count: int, rng: random.Random) -> bytes:
    return rng.randbytes(count)
