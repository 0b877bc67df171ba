"""Money rule 4 at the last door: nothing that looks like a PAN or track data reaches the disk.

The flows and drivers already keep PANs in memory only; this guard is the backstop that turns a bug
elsewhere into a loud refusal instead of card data at rest. It errs on the side of refusing: a
Luhn-valid run of 13–19 digits is treated as a card number even if it was something else — except the
terminal's own configured identifiers (`[host] merchant_id` and `terminal_id`), which every authorization
carries in fields 41 and 42: a 15-digit numeric merchant id passes Luhn one time in ten, and refusing it
would refuse every sale of that shop. Only a value whose digits are exactly one of them is let through;
a card number in their place, or one that merely contains them, is refused as any other.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection, Iterator
from typing import Any

from agent.journal.errors import CardDataRefused
from domain.card import MaskedPan, card_numbers, mask_digit_runs

# Track 1 (%B<PAN>^NAME^) and track 2 (;<PAN>=YYMM) shapes, sentinel optional.
_TRACK1 = re.compile(r"B[0-9]{12,19}\^[^^]{0,26}\^[0-9]{4}")
_TRACK2 = re.compile(r"[0-9]{12,19}=[0-9]{4}")
# Keyed card hashes are 64 hex digits and often contain long digit runs; they are allowed in the
# fields that hold them, and only if they are exactly that shape.
_HASH_FIELDS = frozenset({"card_hash"})
_HASH = re.compile(r"[0-9a-f]{64}")


def _walk(value: Any, path: str) -> Iterator[tuple[str, str, str]]:
    """Yield (path, field name, text) for every scalar in a JSON-like payload."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _walk(item, f"{path}.{key}" if path else str(key))
            yield (f"{path}.{key}" if path else str(key)), "", str(key)
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _walk(item, f"{path}[{index}]")
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield path, path.rsplit(".", 1)[-1], str(value)
    elif isinstance(value, float) and math.isfinite(value):
        # A card number survives as a float's whole part; its fraction's digits are no card (a round trip in ms).
        yield path, path.rsplit(".", 1)[-1], str(int(value))


def check_payload(kind: str, payload: dict[str, Any], *, own_ids: Collection[str] = frozenset()) -> None:
    """Raise CardDataRefused naming the event kind and field if the payload holds card data; `own_ids`
    are the terminal's own merchant and terminal ids, which are not card numbers (see `card_numbers`)."""
    for raw_path, name, text in _walk(payload, ""):
        path = mask_digit_runs(raw_path)
        if name in _HASH_FIELDS and _HASH.fullmatch(text):
            continue
        if _TRACK1.search(text) or _TRACK2.search(text):
            raise CardDataRefused(
                f"refusing to journal event {kind!r}: field {path!r} holds what looks like track data"
            )
        if found := card_numbers(text, own_ids):
            raise CardDataRefused(
                f"refusing to journal event {kind!r}: field {path!r} holds what looks like a full "
                f"card number ({MaskedPan.of(found[0])}); journal the masked card and its hash instead"
            )
