"""Swipe-only serial readers (MagTek / ID TECH "keyboard-less" ASCII output) as a sans-I/O core.

Such a reader has no protocol to speak of: it writes the tracks of each swipe as one line and never
listens. So everything here is about surviving a noisy line: a line is scanned for the earliest point
from which it parses as tracks, whatever came before is reported as noise, a line that never ends is
cut at `max_line` bytes, and a half line left hanging is dropped after `interbyte_timeout` of silence.
A stray byte therefore costs at most the swipe it landed in, never the next one.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import date

from domain.events import CardRead, EntryMode, LineNoise, ReadCheck, ReadError
from drivers.cardreader.checks import check_read
from drivers.cardreader.tracks import BAD_READ, TrackData, TrackFormatError, parse_track1, parse_track2
from drivers.errors import LocalProtocolError

LINE_ENDS = b"\r\n"  # CR ends a swipe; LF and CRLF are tolerated (an empty line is skipped)
MAX_LINE = 512
INTERBYTE_TIMEOUT = 0.5  # a reader writes a swipe in one burst; half a second of silence ends it
# Start sentinels: track 1, track 2, and track 3, which some readers add and payment cards leave empty.
_TRACKS = {"%": "track 1", ";": "track 2", "+": "track 3"}
_SWIPE_STARTS = "%;"


@dataclass(frozen=True)
class _Swipe:
    """Tracks that parsed, waiting for `next_event(today)` to check them."""

    tracks: tuple[TrackData, ...]


class _LineRejected(Exception):
    def __init__(self, error: ReadError) -> None:
        self.error = error


def _split_tracks(text: str, start: int) -> dict[str, str]:
    """The text of each track in `text[start:]`, which must be tracks and nothing else."""
    found: dict[str, str] = {}
    pos = start
    while pos < len(text):
        source = _TRACKS.get(text[pos])
        if source is None:
            raise _LineRejected(ReadError(ReadCheck.FORMAT, f"byte 0x{ord(text[pos]):02X} at offset {pos} "
                                                            f"of the swipe is not a track start sentinel"))
        end = text.find("?", pos + 1)
        if end < 0:
            raise _LineRejected(ReadError(ReadCheck.FORMAT, f"{source} at offset {pos} has no end sentinel"))
        if source in found:
            raise _LineRejected(ReadError(ReadCheck.FORMAT, f"{source} appears twice in one swipe"))
        found[source] = text[pos + 1:end]
        pos = end + 1
    return found


def _parse_swipe(text: str, start: int) -> _Swipe | ReadError:
    """Tracks 1 and 2 from one swipe. Track 2 is authoritative; a track the reader marked unreadable
    is skipped when the other one read well, as a terminal does."""
    found = _split_tracks(text, start)
    readable = {source: data for source, data in found.items() if source != "track 3" and data != BAD_READ}
    if not readable:
        bad = [source for source in ("track 1", "track 2") if found.get(source) == BAD_READ]
        if bad:
            return ReadError(ReadCheck.BAD_READ, f"the reader could not read {' or '.join(bad)}")
        raise _LineRejected(ReadError(ReadCheck.FORMAT, "the swipe carries neither track 1 nor track 2"))
    try:
        tracks = []
        if "track 2" in readable:
            tracks.append(parse_track2(readable["track 2"]))
        if "track 1" in readable:
            tracks.append(parse_track1(readable["track 1"]))
    except TrackFormatError as exc:
        raise _LineRejected(ReadError(ReadCheck.FORMAT, str(exc), exc.masked)) from None
    return _Swipe(tuple(tracks))


def parse_line(line: bytes) -> list[LineNoise | ReadError | _Swipe]:
    """What one line says. Bytes before the swipe are noise; the swipe starts at the earliest sentinel
    from which the rest of the line parses, so noise that happens to hold a '%' or ';' is skipped too."""
    text = line.decode("latin-1")  # one character per byte: offsets stay byte offsets
    starts = [pos for pos, char in enumerate(text) if char in _SWIPE_STARTS]
    if not starts:
        return [LineNoise(f"{len(line)} bytes with no track start sentinel", len(line))]
    failures: list[ReadError] = []
    for start in starts:
        try:
            return _with_noise_before(start, _parse_swipe(text, start))
        except _LineRejected as rejected:
            failures.append(rejected.error)
    return _with_noise_before(starts[0], failures[0])  # the likeliest swipe is the one that began first


def _with_noise_before(start: int, item: ReadError | _Swipe) -> list[LineNoise | ReadError | _Swipe]:
    if start == 0:
        return [item]
    return [LineNoise(f"{start} stray bytes before the swipe", start), item]


class MsrReader:
    """Agent-role core for an ISO 7813 ASCII swipe reader. See `drivers.cardreader.ReaderCore`."""

    def __init__(self, *, max_line: int = MAX_LINE, interbyte_timeout: float = INTERBYTE_TIMEOUT) -> None:
        if max_line < 1 or interbyte_timeout <= 0:
            raise LocalProtocolError("max_line and interbyte_timeout must be positive")
        self._max_line = max_line
        self._timeout = interbyte_timeout
        self._line = bytearray()
        self._last_rx = 0.0
        self._items: deque[LineNoise | ReadError | _Swipe] = deque()

    def receive_data(self, data: bytes, now: float) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise LocalProtocolError(f"receive_data takes bytes, not {type(data).__name__}")
        self.handle_timer(now)
        for byte in bytes(data):
            if byte in LINE_ENDS:
                if self._line:
                    self._items.extend(parse_line(bytes(self._line)))
                    self._line.clear()
                continue
            self._line.append(byte)
            if len(self._line) > self._max_line:
                self._items.append(LineNoise(f"{len(self._line)} bytes without a line end; "
                                             f"more than {self._max_line} is not a swipe", len(self._line)))
                self._line.clear()
        if data:
            self._last_rx = now

    def next_event(self, today: date) -> CardRead | ReadError | LineNoise | None:
        if not self._items:
            return None
        item = self._items.popleft()
        if isinstance(item, _Swipe):
            return check_read(item.tracks, EntryMode.SWIPE, today)
        return item

    def data_to_send(self) -> bytes:
        return b""  # the reader never listens

    def get_timer(self) -> float | None:
        return self._last_rx + self._timeout if self._line else None

    def handle_timer(self, now: float) -> None:
        if self._line and now >= self._last_rx + self._timeout:
            self._items.append(LineNoise(f"{len(self._line)} bytes of a line that never ended, dropped "
                                         f"after {self._timeout:g} s of silence", len(self._line)))
            self._line.clear()
