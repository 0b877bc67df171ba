"""DLE EOT real-time status as a sans-I/O core: query bytes out, reply bytes in, printer conditions out.

A printer answers DLE EOT even while it cannot print (cover open, out of paper, offline), which is why
this is the question asked before and after every receipt. Silence is the dangerous answer: a printer
that is unplugged, powered off or not an ESC/POS printer says nothing, and python-escpos 3.1 reads an
empty reply as "plenty of paper". Here silence is `NO_REPLY`, which is unknown and never OK.

Every reply byte has the fixed bits 0xx1xx10 (bit 7 = 0, bit 4 = 1, bit 1 = 1, bit 0 = 0). Anything
else is not a status reply, so it is rubbish from the printer (or from something that is not one).
"""

from __future__ import annotations

from collections.abc import Iterable

from domain.events import PrinterCondition
from drivers.errors import LocalProtocolError, RemoteProtocolError

QUERIES = (1, 2, 4)  # printer status, off-line cause, roll paper sensor
FIXED_MASK, FIXED_BITS = 0x93, 0x12  # the 0xx1xx10 pattern: bits 7, 4, 1, 0
# Per query, the bits that report a condition. Where the manual gives two bits for one sensor (paper
# near end, paper end), printers differ in which they set, so either one counts.
BITS: dict[int, tuple[tuple[int, PrinterCondition], ...]] = {
    1: ((0x08, PrinterCondition.OFFLINE),),
    2: ((0x04, PrinterCondition.COVER_OPEN), (0x20, PrinterCondition.PAPER_END), (0x40, PrinterCondition.ERROR)),
    4: ((0x0C, PrinterCondition.PAPER_NEAR_END), (0x60, PrinterCondition.PAPER_END)),
}
OK = frozenset({PrinterCondition.OK})
PRINTABLE = frozenset({PrinterCondition.OK, PrinterCondition.PAPER_NEAR_END})


def request(n: int) -> bytes:
    _check_query(n)
    return b"\x10\x04" + bytes([n])


def is_reply(byte: int) -> bool:
    return byte & FIXED_MASK == FIXED_BITS


def parse_reply(n: int, byte: int) -> frozenset[PrinterCondition]:
    """The conditions one reply reports, or {OK} when it reports none."""
    _check_query(n)
    if isinstance(byte, bool) or not isinstance(byte, int) or not 0 <= byte <= 0xFF:
        raise LocalProtocolError(f"a status reply is one byte 0..255, got {byte!r}")
    if not is_reply(byte):
        raise RemoteProtocolError(f"byte 0x{byte:02x} is not a reply to DLE EOT {n} (its bits must be 0xx1xx10)")
    found = frozenset(condition for bits, condition in BITS[n] if byte & bits)
    return found or OK


def printable(conditions: Iterable[PrinterCondition]) -> bool:
    """Whether a receipt may be sent: a near-end roll still prints, anything else (unknown included)
    must be fixed first. An empty set is no evidence at all, so it is not printable either."""
    found = frozenset(conditions)
    return bool(found) and found <= PRINTABLE


def _check_query(n: int) -> None:
    if n not in QUERIES or isinstance(n, bool):
        raise LocalProtocolError(f"DLE EOT {n!r} is not a status query this driver reads; use one of {QUERIES}")


class StatusCheck:
    """One round of DLE EOT 1, 2 and 4. The caller sends `next_request()`, then feeds whatever the
    printer sends to `receive_data`, or calls `no_reply()` when its own deadline for that query passes.

    A status-reply byte that arrives while no reply is awaited (a late answer to an earlier round,
    a repeat) is ignored: the replies carry no query number, so it cannot be placed, and taking it
    as the answer to the next query would be a guess. The caller should drain the line before a round.
    Any other byte is rubbish: it raises `RemoteProtocolError` and ends the round as unknown, since a
    printer that garbles its status has not told us it can print.
    """

    def __init__(self) -> None:
        self._pending = list(QUERIES)
        self._awaiting: int | None = None
        self._found: set[PrinterCondition] = set()
        self._answered = 0
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    @property
    def awaiting(self) -> int | None:
        """The query whose reply is outstanding, if any."""
        return self._awaiting

    def next_request(self) -> bytes | None:
        if self._awaiting is not None:
            raise LocalProtocolError(f"the reply to DLE EOT {self._awaiting} is still awaited: feed it with "
                                     "receive_data or give up with no_reply first")
        if self._done or not self._pending:
            return None
        self._awaiting = self._pending.pop(0)
        return request(self._awaiting)

    def receive_data(self, data: bytes) -> None:
        if not isinstance(data, bytes | bytearray | memoryview):
            raise LocalProtocolError(f"receive_data takes bytes, not {type(data).__name__}")
        for byte in bytes(data):
            if not is_reply(byte):
                where = "" if self._awaiting is None else f" while awaiting the reply to DLE EOT {self._awaiting}"
                self._give_up()
                raise RemoteProtocolError(f"byte 0x{byte:02x} is not a status reply (bits must be 0xx1xx10){where}")
            if self._awaiting is None or self._done:
                continue
            self._found |= parse_reply(self._awaiting, byte) - OK
            self._answered += 1
            self._awaiting = None
            if not self._pending:
                self._done = True

    def no_reply(self) -> None:
        """The caller's deadline for the current query passed. The round ends here: a printer silent
        to one query will not answer the next, and each would cost another deadline."""
        if self._awaiting is None:
            raise LocalProtocolError("no_reply called while no status query is outstanding")
        self._give_up()

    def _give_up(self) -> None:
        if not self._done:
            self._found.add(PrinterCondition.NO_REPLY)
            self._awaiting = None
            self._done = True

    def result(self) -> frozenset[PrinterCondition]:
        """{OK} only when all three queries were answered and none reported a condition."""
        if not self._done:
            raise LocalProtocolError("the status round is not over: send every request and feed the replies first")
        if not self._found and self._answered == len(QUERIES):
            return OK
        return frozenset(self._found)
