"""Make text from devices, the acquirer or people safe to put on the cashier's terminal.

A link-down reason, a card reader's detail, a customer's name or a note can carry anything: an escape
sequence that clears the screen or retitles the window, a carriage return that overwrites the line, a
bidirectional override that shows "138" as "831". What the cashier reads must be what was said, so every
such string passes through `sanitise` before it is shown: escape sequences are removed whole, every other
control character (C0 except the newline, DEL, C1) is dropped, and invisible direction overrides go too.

Rich markup is a separate matter: the app never parses shown text as markup (it builds `rich.text.Text`
objects), so "[bold]" in a name stays literally "[bold]".
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# ECMA-48 sequences, 7-bit (ESC …) and 8-bit (C1) forms. String commands (OSC, DCS, SOS, PM, APC) run to
# their terminator (BEL or ST) or, unterminated, to the end of the text: what follows an unterminated one
# is its payload, never meant to be seen.
_SEQUENCES = re.compile(
    r"""
      (?:\x1b\[|\x9b) [\x30-\x3f]* [\x20-\x2f]* [\x40-\x7e]?      # CSI … final byte
    | (?:\x1b[\]PX^_]|[\x9d\x90\x98\x9e\x9f]) .*? (?:\x07|\x1b\\|\x9c|\Z)   # OSC/DCS/SOS/PM/APC … ST
    | \x1b [\x20-\x2f]* [\x30-\x7e]?                               # other escape sequences (nF, Fp, Fe, Fs)
    """,
    re.VERBOSE | re.DOTALL,
)
# Direction overrides and isolates, and the zero-width characters that hide text between visible ones.
_INVISIBLE = frozenset("\u200b\u200c\u200d\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068"
                       "\u2069\ufeff")


def sanitise(value: Any, *, single_line: bool = False) -> str:
    """`value` as text fit for the screen: no escape sequence, no control character but the newline (none at
    all with `single_line`, where line breaks become spaces), no invisible direction override."""
    text = "" if value is None else str(value)
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _SEQUENCES.sub("", text)
    kept = []
    for char in text:
        if char == "\n":
            kept.append(" " if single_line else "\n")
        elif char == "\t":
            kept.append(" ")
        elif char in _INVISIBLE or _is_control(char):
            continue
        else:
            kept.append(char)
    return "".join(kept)


def _is_control(char: str) -> bool:
    return unicodedata.category(char) in ("Cc", "Cs")  # Cc covers C0, DEL and C1; Cs: lone surrogates
