"""The checks every read passes before it may become a `CardRead`, whichever wire it came over.

A read that fails is not dropped: it becomes a `ReadError` naming the check, so the cashier is told
why the card was refused ("expired", "swipe again") and the journal keeps the evidence. Details carry
the masked card number at most; a garbled read is still card data and must not reach the disk.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from domain.card import Card, Expiry, luhn_valid, service_code_problem
from domain.events import CardRead, EntryMode, ReadCheck, ReadError
from drivers.cardreader.tracks import PAN_LENGTHS, TrackData, mask
from drivers.errors import LocalProtocolError

# The fields two sources of one read must agree on, with the words the cashier's detail uses.
_AGREEING_FIELDS = (("pan", "card number"), ("expiry", "expiry date"), ("service_code", "service code"))


def _format_problem(track: TrackData) -> str | None:
    digits = track.pan.isascii() and track.pan.isdigit()
    if not digits or len(track.pan) not in PAN_LENGTHS:
        what = f"{len(track.pan)} digits" if digits else "characters other than digits"
        return (f"{track.source}: the card number has {what}; a card number is "
                f"{PAN_LENGTHS.start} to {PAN_LENGTHS.stop - 1} digits")
    if not (track.expiry.isascii() and track.expiry.isdigit() and len(track.expiry) == 4):
        return f"{track.source}: the expiry is not four digits YYMM"
    if not (track.service_code.isascii() and track.service_code.isdigit() and len(track.service_code) == 3):
        return f"{track.source}: the service code is not three digits"
    return None


def check_read(tracks: Sequence[TrackData], entry_mode: EntryMode, today: date) -> CardRead | ReadError:
    """Check one read made of one or more sources; `tracks[0]` is authoritative (track 2 when present).

    Order matters only for which failure is named: a garbled read (FORMAT) or sources that disagree
    (TRACK_MISMATCH) are reported before anything derived from possibly wrong digits.
    """
    if not tracks:
        raise LocalProtocolError("check_read needs at least one track")
    primary = tracks[0]
    masked = mask(primary.pan)
    for track in tracks:
        if problem := _format_problem(track):
            return ReadError(ReadCheck.FORMAT, problem, masked)
    for other in tracks[1:]:
        for attribute, words in _AGREEING_FIELDS:
            if getattr(other, attribute) != getattr(primary, attribute):
                return ReadError(ReadCheck.TRACK_MISMATCH,
                                 f"{primary.source} and {other.source} disagree on the {words}", masked)
    if not luhn_valid(primary.pan):
        return ReadError(ReadCheck.LUHN, f"card number {masked} fails its Luhn check digit", masked)
    try:
        expiry = Expiry.parse(primary.expiry)
    except ValueError as exc:
        return ReadError(ReadCheck.EXPIRY, str(exc), masked)
    if expiry.expired_on(today):
        return ReadError(ReadCheck.EXPIRY, f"card expired at the end of {expiry.month:02d}/{expiry.year}",
                         masked)
    if problem := service_code_problem(primary.service_code):
        return ReadError(ReadCheck.SERVICE_CODE, problem, masked)
    name = next((track.name for track in tracks if track.name), "")
    return CardRead(Card(primary.pan, expiry, primary.service_code, name), entry_mode)
