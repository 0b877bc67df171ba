"""The agent's end of the acquirer link, sans I/O: requests out, matched responses and link health in.

Write before the wire: `request()` assigns the STAN and returns the complete message *before* anything
can be sent. The caller journals `journal_safe(fields)` durably, then calls `data_to_send()` and writes
the bytes; if journaling fails it calls `withdraw(fields)` and the bytes never leave.

A response is applied to a request only when its MTI answers the request's MTI, its STAN (field 11) is
that request's and its terminal id (41) is ours. Anything else is reported and applied to nothing: a
response after the request timed out is `LateResponse`, a second one `DuplicateResponse`, the rest
`UnmatchedResponse`. Finished STANs are remembered for `late_window` seconds, and the counter skips them,
so an old answer can never land on a new request that happens to reuse the number.

A dead link must be known in seconds, not at the end of a 30 s authorization wait: when nothing has
been received for `echo_interval` the link sends an 0800 echo, and no 0810 within `echo_deadline` is
`LinkDead`. So is a broken length header, after which the stream cannot be trusted. After `LinkDead`
the caller drops the connection and calls `connection_lost`, which reports every outstanding request
as `RequestUnanswered` at once: its outcome is unknown, and the flow reverses it.

The link keeps only the journal-safe form of what it sent and received, so no event carries a PAN.
"""

from __future__ import annotations

import enum
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from iso8583 import specs

from domain.ids import STAN_MAX, Stan
from drivers.errors import LocalProtocolError, RemoteProtocolError
from drivers.host.codec import Deframer, Fields, decode, encode, frame
from drivers.host.messages import Terminal, echo, journal_safe

AUTH_TIMEOUT = 30.0
ECHO_INTERVAL = 5.0
ECHO_DEADLINE = 2.0
LATE_WINDOW = 600.0
ECHO_TAG = "echo"


@dataclass(frozen=True)
class Response:
    tag: str
    request: Fields
    response: Fields


@dataclass(frozen=True)
class RequestTimedOut:
    """No answer within the request's timeout: outcome unknown. A later answer is a `LateResponse`."""

    tag: str
    request: Fields


@dataclass(frozen=True)
class RequestUnanswered:
    """The connection ended with the request outstanding: outcome unknown, known at once."""

    tag: str
    request: Fields
    reason: str


@dataclass(frozen=True)
class LateResponse:
    tag: str
    response: Fields


@dataclass(frozen=True)
class DuplicateResponse:
    tag: str
    response: Fields


@dataclass(frozen=True)
class UnmatchedResponse:
    response: Fields
    reason: str


@dataclass(frozen=True)
class Malformed:
    """A framed message that did not decode; the framing held, so the link carries on."""

    detail: str


@dataclass(frozen=True)
class LinkAlive:
    round_trip_s: float


@dataclass(frozen=True)
class LinkDead:
    reason: str


HostEvent = (Response | RequestTimedOut | RequestUnanswered | LateResponse | DuplicateResponse
             | UnmatchedResponse | Malformed | LinkAlive | LinkDead)


def response_mti(request_mti: str) -> str:
    """0200→0210, 0400/0401→0410, 0800→0810: function digit + 1, and a response is never a repeat."""
    return request_mti[:2] + str(int(request_mti[2]) + 1) + "0"


def _is_request_mti(mti: object) -> bool:
    return isinstance(mti, str) and len(mti) == 4 and mti.isdigit() and mti[2] in "02"


@dataclass(frozen=True)
class _Outstanding:
    tag: str
    request: Fields  # journal-safe
    sent_at: float
    deadline: float
    keepalive: bool  # the link's own echo, answered with LinkAlive rather than Response


@dataclass(frozen=True)
class _Finished:
    tag: str
    request: Fields
    answered: bool
    forget_at: float


class _State(enum.Enum):
    DISCONNECTED = "disconnected"
    CONNECTED = "connected"
    DEAD = "dead"  # LinkDead reported; waiting for the caller to drop the connection


class HostLink:
    """One terminal's conversation with the acquirer, across reconnections.

    `now` is monotonic seconds from the caller. `at`, where taken, is the wall time used only to stamp
    field 7 on the echo the link sends by itself. `last_stan` is the last STAN used, restored from the
    journal so that a restart does not reuse trace numbers (0 when none was ever used).
    """

    def __init__(self, terminal: Terminal, *, last_stan: int = 0,
                 spec: Mapping[str, Mapping[str, Any]] = specs.default_ascii,
                 auth_timeout: float = AUTH_TIMEOUT, echo_interval: float = ECHO_INTERVAL,
                 echo_deadline: float = ECHO_DEADLINE, late_window: float = LATE_WINDOW) -> None:
        if isinstance(last_stan, bool) or not isinstance(last_stan, int) or not 0 <= last_stan <= STAN_MAX:
            raise ValueError(f"last STAN must be 0..{STAN_MAX}, got {last_stan!r}")
        for name, value in (("auth_timeout", auth_timeout), ("echo_interval", echo_interval),
                            ("echo_deadline", echo_deadline), ("late_window", late_window)):
            if not value > 0:
                raise ValueError(f"{name} must be positive, got {value!r}")
        self.terminal = terminal
        self._spec = spec
        self._auth_timeout = auth_timeout
        self._echo_interval = echo_interval
        self._echo_deadline = echo_deadline
        self._late_window = late_window
        self._last_stan = last_stan
        self._state = _State.DISCONNECTED
        self._dead_reason = ""
        self._deframer = Deframer()
        self._last_received = 0.0
        self._outstanding: dict[str, _Outstanding] = {}
        self._finished: dict[str, _Finished] = {}
        self._outbox: list[tuple[str, bytes]] = []
        self._events: deque[HostEvent] = deque()

    @property
    def last_stan(self) -> int:
        return self._last_stan

    @property
    def connected(self) -> bool:
        """Connected and not known dead: requests are accepted."""
        return self._state is _State.CONNECTED

    # -- connection ------------------------------------------------------------------------------------

    def connection_made(self, now: float, at: datetime | None = None) -> None:
        """A fresh connection; an echo goes out at once, so the first `LinkAlive` proves the host answers."""
        if self._state is not _State.DISCONNECTED:
            raise LocalProtocolError("connection_made while a connection is still open")
        self._state = _State.CONNECTED
        self._deframer = Deframer()
        self._last_received = now
        self._send_echo(now, at)

    def connection_lost(self, now: float, reason: str) -> None:
        if self._state is _State.DISCONNECTED:
            return
        self._state = _State.DISCONNECTED
        self._outbox.clear()
        for stan, sent in self._outstanding.items():
            if not sent.keepalive:
                self._events.append(RequestUnanswered(sent.tag, sent.request, reason))
                self._finished[stan] = _Finished(sent.tag, sent.request, False, now + self._late_window)
        self._outstanding.clear()

    # -- sending ---------------------------------------------------------------------------------------

    def request(self, fields: Mapping[str, str], now: float, *, tag: str, timeout: float | None = None) -> Fields:
        """Queue a request and return it complete (STAN, terminal id) for the caller to journal first.

        Field 11 is the link's to assign; only a repeat (MTI ending in 1) brings its first attempt's STAN.
        """
        if self._state is not _State.CONNECTED:
            raise LocalProtocolError(f"cannot send {fields.get('t', '????')}: " + (
                f"the link is dead ({self._dead_reason}); drop the connection"
                if self._state is _State.DEAD else "not connected to the host"))
        mti = fields.get("t")
        if not _is_request_mti(mti):
            raise LocalProtocolError(f"{mti!r} is not a request MTI")
        if timeout is not None and not timeout > 0:
            raise LocalProtocolError(f"timeout must be positive, got {timeout!r}")
        complete = dict(fields)
        if complete.setdefault("41", self.terminal.terminal_id) != self.terminal.terminal_id:
            raise LocalProtocolError(f"field 41 {complete['41']!r} is not this link's terminal id")
        self._forget(now)
        if "11" in complete:
            self._check_repeat_stan(complete)
            return self._send(complete, now, tag, timeout or self._auth_timeout, keepalive=False)
        complete["11"] = self._free_stan()
        sent = self._send(complete, now, tag, timeout or self._auth_timeout, keepalive=False)
        self._last_stan = int(complete["11"])
        return sent

    def withdraw(self, fields: Mapping[str, str]) -> None:
        """Take back a request whose bytes have not been handed out (its journaling failed)."""
        stan = fields.get("11")
        index = next((i for i, (queued, _) in enumerate(self._outbox) if queued == stan), None)
        if index is None:
            raise LocalProtocolError(f"request with STAN {stan} is not waiting to be sent; it may be on the wire")
        del self._outbox[index]
        del self._outstanding[stan]

    def data_to_send(self) -> bytes:
        data = b"".join(chunk for _, chunk in self._outbox)
        self._outbox.clear()
        return data

    def _check_repeat_stan(self, fields: Fields) -> None:
        if fields["t"][3] != "1":
            raise LocalProtocolError("field 11 is assigned by the link; only a repeat (xxx1) carries one")
        try:
            Stan.parse(fields["11"])
        except ValueError as exc:
            raise LocalProtocolError(str(exc)) from None
        if fields["11"] in self._outstanding:
            raise LocalProtocolError(f"STAN {fields['11']} is still outstanding")

    def _free_stan(self) -> str:
        candidate = self._last_stan
        for _ in range(STAN_MAX):
            candidate = candidate % STAN_MAX + 1
            stan = f"{candidate:06d}"
            if stan not in self._outstanding and stan not in self._finished:
                return stan
        raise LocalProtocolError("every STAN is outstanding or recently used")

    def _send(self, fields: Fields, now: float, tag: str, timeout: float, *, keepalive: bool) -> Fields:
        data = frame(encode(fields, self._spec))  # a field we cannot encode fails here, before any state
        stan = fields["11"]
        self._finished.pop(stan, None)
        self._outstanding[stan] = _Outstanding(tag, journal_safe(fields), now, now + timeout, keepalive)
        self._outbox.append((stan, data))
        return fields

    def _send_echo(self, now: float, at: datetime | None) -> None:
        fields = echo(at=at)
        fields["41"] = self.terminal.terminal_id
        fields["11"] = self._free_stan()
        self._send(fields, now, ECHO_TAG, self._echo_deadline, keepalive=True)
        self._last_stan = int(fields["11"])

    # -- receiving -------------------------------------------------------------------------------------

    def receive_data(self, data: bytes, now: float) -> None:
        """Never raises on what the host sends: every outcome is an event. Bytes after `LinkDead` are
        ignored: the stream is being dropped."""
        if self._state is _State.DISCONNECTED:
            raise LocalProtocolError("receive_data without a connection")
        if self._state is _State.DEAD:
            return
        self._last_received = now
        self._forget(now)
        self._deframer.receive_data(data)
        while self._state is _State.CONNECTED:
            try:
                message = self._deframer.next_message()
            except RemoteProtocolError as exc:
                self._die(f"framing lost: {exc}")
                return
            if message is None:
                return
            try:
                fields = decode(message, self._spec)
            except RemoteProtocolError as exc:
                self._events.append(Malformed(str(exc)))
                continue
            self._events.append(self._match(fields, now))

    def next_event(self) -> HostEvent | None:
        return self._events.popleft() if self._events else None

    def _match(self, fields: Fields, now: float) -> HostEvent:
        safe = journal_safe(fields)
        mti, stan, terminal_id = fields.get("t", ""), fields.get("11"), fields.get("41")
        if not (len(mti) == 4 and mti.isdigit() and mti[2] in "13"):
            return UnmatchedResponse(safe, f"MTI {mti!r} is not a response")
        if stan is None:
            return UnmatchedResponse(safe, "no field 11 (STAN)")
        if terminal_id is None:
            return UnmatchedResponse(safe, "no field 41 (terminal id)")
        if terminal_id != self.terminal.terminal_id:
            return UnmatchedResponse(safe, f"terminal id {terminal_id!r} is not ours ({self.terminal.terminal_id!r})")
        sent = self._outstanding.get(stan)
        if sent is not None:
            if response_mti(sent.request["t"]) != mti:
                return UnmatchedResponse(safe, f"{mti} does not answer the outstanding {sent.request['t']} "
                                               f"with STAN {stan}")
            del self._outstanding[stan]
            self._finished[stan] = _Finished(sent.tag, sent.request, True, now + self._late_window)
            return LinkAlive(now - sent.sent_at) if sent.keepalive else Response(sent.tag, sent.request, safe)
        done = self._finished.get(stan)
        if done is None or response_mti(done.request["t"]) != mti:
            return UnmatchedResponse(safe, f"{mti} with STAN {stan} answers nothing sent in the last "
                                           f"{self._late_window} s")
        if done.answered:
            return DuplicateResponse(done.tag, safe)
        self._finished[stan] = _Finished(done.tag, done.request, True, done.forget_at)
        return LateResponse(done.tag, safe)

    # -- time ------------------------------------------------------------------------------------------

    def get_timer(self) -> float | None:
        """The absolute monotonic time at which `handle_timer` must be called, or None."""
        if self._state is not _State.CONNECTED:
            return None
        deadlines = [sent.deadline for sent in self._outstanding.values()]
        if not self._echo_outstanding():
            deadlines.append(self._last_received + self._echo_interval)
        return min(deadlines)

    def handle_timer(self, now: float, at: datetime | None = None) -> None:
        if self._state is not _State.CONNECTED:
            return
        self._forget(now)
        for stan, sent in sorted(self._outstanding.items(), key=lambda item: item[1].deadline):
            if sent.deadline > now:
                break
            del self._outstanding[stan]
            if sent.keepalive:
                self._die(f"no answer to echo within {self._echo_deadline} s")
                return
            self._events.append(RequestTimedOut(sent.tag, sent.request))
            self._finished[stan] = _Finished(sent.tag, sent.request, False, now + self._late_window)
        if not self._echo_outstanding() and now >= self._last_received + self._echo_interval:
            self._send_echo(now, at)

    def _echo_outstanding(self) -> bool:
        return any(sent.keepalive for sent in self._outstanding.values())

    def _forget(self, now: float) -> None:
        for stan in [stan for stan, done in self._finished.items() if done.forget_at <= now]:
            del self._finished[stan]

    def _die(self, reason: str) -> None:
        self._state = _State.DEAD
        self._dead_reason = reason
        self._outbox.clear()
        self._events.append(LinkDead(reason))
