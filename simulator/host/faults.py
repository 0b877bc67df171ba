"""Network and host failures, on command: what a terminal meets on a bad day.

Each fault is set for the next request, the next N, or until cleared, and one fault is in force at a
time (setting another replaces it), so a scenario reads as a sequence of plain steps. Echo tests
(0800) pass untouched unless the fault says otherwise: the agent sends them on its own timer, and a
fault meant for a sale must not be spent on an echo that happened to come first. A black hole is the
exception — a hung host answers nothing, echoes included, which is how a terminal notices it.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass


class FaultKind(enum.Enum):
    DROP = "drop"  # apply the request (the customer IS charged), close the connection, no response
    BLACK_HOLE = "blackhole"  # read the request, never apply or answer it; the connection stays up
    DELAY = "delay"  # apply, answer after `seconds` of clock time
    RESET = "reset"  # abort the connection (RST) before applying the request
    GARBAGE = "garbage"  # apply, answer with `size` random bytes instead of the response
    DUPLICATE = "duplicate"  # apply, send the response twice
    LATE = "late"  # apply, hold the response for `seconds` — past the terminal's timeout — then send it
    # apply and answer; then the switch takes an approved sale back and answers again, refusing with `code`
    CONTRADICT = "contradict"

    @property
    def applies_request(self) -> bool:
        """Whether the host processes the request (moves money) before the fault strikes."""
        return self not in (FaultKind.BLACK_HOLE, FaultKind.RESET)


@dataclass
class Fault:
    kind: FaultKind
    times: int | None = 1  # requests left to strike; None: until cleared
    echoes: bool = False  # strike echo tests (0800) too
    seconds: float = 0.0  # DELAY, LATE
    size: int = 0  # GARBAGE: how many bytes
    framed: bool = True  # GARBAGE: behind a valid length header, or raw on the stream
    code: str = "96"  # CONTRADICT: the refusal in the second answer

    def __post_init__(self) -> None:
        if self.times is not None and self.times < 1:
            raise ValueError(f"a fault strikes at least once, got times={self.times}")
        if self.seconds < 0:
            raise ValueError(f"a delay cannot be negative, got {self.seconds} s")
        if self.kind is FaultKind.GARBAGE and not 1 <= self.size <= 65535:
            raise ValueError(f"garbage must be 1..65535 bytes, got {self.size}")
        refusal_code(self.code)

    def describe(self) -> str:
        what = {
            FaultKind.DROP: "drop the connection after applying the request",
            FaultKind.BLACK_HOLE: "black hole (read, never answer)",
            FaultKind.DELAY: f"answer after {self.seconds:g} s",
            FaultKind.RESET: "reset the connection before applying the request",
            FaultKind.GARBAGE: f"answer with {self.size} {'framed' if self.framed else 'raw'} garbage bytes",
            FaultKind.DUPLICATE: "send the response twice",
            FaultKind.LATE: f"hold the response for {self.seconds:g} s",
            FaultKind.CONTRADICT: f"approve, then take it back and answer again with {self.code}",
        }[self.kind]
        count = "until cleared" if self.times is None else f"next {self.times} request(s)"
        return f"{what}, {count}" + (", echoes included" if self.echoes else "")


class FaultPlan:
    """The fault in force, and the counting that ends it."""

    def __init__(self) -> None:
        self.current: Fault | None = None

    def set(self, fault: Fault) -> Fault:
        self.current = fault
        return fault

    def clear(self) -> None:
        self.current = None

    def take(self, mti: str) -> Fault | None:
        """The fault that strikes this request, if any, counting it against the fault's remaining times."""
        fault = self.current
        if fault is None or (mti.startswith("08") and not fault.echoes):
            return None
        if fault.times is not None:
            fault.times -= 1
            if fault.times == 0:
                self.current = None
        return fault


def refusal_code(text: str) -> str:
    """The code of a contradicting answer: it takes an approval back, so it cannot be 00 itself."""
    if not (len(text) == 2 and text.isascii() and text.isdigit()) or text == "00":
        raise ValueError(f"a contradicting answer refuses: its code must be two digits other than 00, got {text!r}")
    return text


def garbage_bytes(size: int, randbytes: Callable[[int], bytes]) -> bytes:
    """Random bytes with the high bit set: never ASCII, so they can never be taken for a default_ascii
    message, and raw on the stream their first two make a length header far above any message's."""
    return bytes(byte | 0x80 for byte in randbytes(size))
