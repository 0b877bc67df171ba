"""One-line descriptions of ISO 8583 messages for the acquirer's log, with card numbers masked.

The log goes to screens, CI output and bug reports, so it obeys money rule 4 like the agent does: a
message is described from chosen fields (card data only masked, track 2 never) and every line is
scrubbed on the way out, in case a card number hides in text the host did not write itself, such as a
decoder's error message.
"""

from __future__ import annotations

import re

from domain.card import luhn_valid, mask_pan
from drivers.host.codec import Fields

_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9]{13,19}(?![0-9])")
# Fields shown as they are, in this order, with a short label.
_SHOWN = (("3", "proc"), ("11", "stan"), ("41", "tid"), ("42", "mid"), ("4", "amount"), ("49", "cur"),
          ("37", "rrn"), ("38", "auth"), ("39", "rc"), ("70", "net"))


def describe(fields: Fields) -> str:
    parts = [fields.get("t", "????")]
    parts += [f"{label} {fields[key]}" for key, label in _SHOWN if key in fields]
    pan = fields.get("2") or re.split("[=D]", fields.get("35", ""))[0]
    if pan:
        parts.append(f"card {mask_pan(pan)}")
    if "90" in fields:
        parts.append(f"orig {fields['90'][:4]} stan {fields['90'][4:10]}")
    return " ".join(parts)


def scrub(text: str) -> str:
    """Mask every run of 13–19 digits that passes Luhn: it could be a card number."""
    return _DIGIT_RUN.sub(lambda match: mask_pan(match[0]) if luhn_valid(match[0]) else match[0], text)
