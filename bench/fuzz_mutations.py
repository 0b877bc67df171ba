"""The mutation engine the fuzzers share: choices, edits of bytes and of text lines, and the feeding checks.

One engine serves both runs: `bench.fuzz` drives it with a seeded `random.Random` (`RandomChoices`), and
tests/fuzz with Hypothesis's draws, so what the suite finds shrinks to a small example. The mutations are the
ones a noisy line, a broken writer or a person at an editor makes: bits flipped, bytes set, inserted,
deleted, repeated and spliced, truncation, lines dropped or re-indented, and the grammar tokens of each
format, which reach a parser's corners far sooner than random bytes do.
"""

from __future__ import annotations

import random
import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

T = TypeVar("T")
BYTE_AT_A_TIME_UP_TO = 2048  # longer inputs are fed in random splits only: the check is the same, cheaper


class Violation(AssertionError):
    """A core broke one of its promises without raising: events that depend on how the bytes were split,
    card data in a message, a setting accepted that cannot be used."""


@dataclass(frozen=True)
class Target:
    """One core under fuzzing: `generate` makes an input from the choices it is handed, `run` feeds it and
    names what came out; whatever `run` lets escape is a failure."""

    name: str
    about: str
    generate: Callable[[Choices], bytes]
    run: Callable[[bytes], list[str]]
    suffix: str = ".bin"  # a reproducer's: a failing scenario saved as .yaml runs with `recoup replay`


class Choices(Protocol):
    def below(self, n: int) -> int:
        """A whole number in 0..n-1."""

    def blob(self, size: int) -> bytes:
        """`size` bytes."""


class RandomChoices:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def below(self, n: int) -> int:
        return self.rng.randrange(n)

    def blob(self, size: int) -> bytes:
        return self.rng.randbytes(size)


def pick(choices: Choices, items: Sequence[T]) -> T:
    return items[choices.below(len(items))]


def mutate(data: bytes, choices: Choices, tokens: Sequence[bytes] = (), *, most: int = 4) -> bytes:
    """One to `most` random edits of `data`: the mutations a noisy line, a broken writer or a person
    editing a file by hand make, and grammar tokens (`tokens`) that reach the parser's corners."""
    out = bytearray(data)
    for _ in range(1 + choices.below(most)):
        op = choices.below(9 if tokens else 7)
        if not out and op < 2:
            op = 2  # nothing to change: insert instead
        at = choices.below(len(out) + 1)
        if op == 0:  # flip one bit
            out[min(at, len(out) - 1)] ^= 1 << choices.below(8)
        elif op == 1:  # set one byte
            out[min(at, len(out) - 1)] = choices.below(256)
        elif op == 2:  # insert random bytes
            out[at:at] = choices.blob(1 + choices.below(8))
        elif op == 3:  # delete a span
            del out[at:at + 1 + choices.below(16)]
        elif op == 4:  # duplicate a span
            out[at:at] = out[at:at + 1 + choices.below(32)]
        elif op == 5:  # truncate
            del out[at:]
        elif op == 6:  # one byte many times: runs, deep nesting, lines that never end
            out[at:at] = bytes([out[at] if at < len(out) else choices.below(256)]) * (1 + choices.below(600))
        elif op == 7:  # a grammar token
            out[at:at] = pick(choices, tokens)
        else:  # a grammar token many times
            out[at:at] = pick(choices, tokens) * (1 + choices.below(300))
    return bytes(out)


def mutate_lines(text: bytes, choices: Choices, values: Sequence[bytes]) -> bytes:
    """Line edits of a text file: a line dropped, repeated, moved or re-indented, or a value replaced by
    one of `values` — how a file goes wrong in an editor rather than on a wire."""
    lines = text.split(b"\n")
    for _ in range(1 + choices.below(3)):
        at = choices.below(len(lines))
        op = choices.below(5)
        if op == 0 and len(lines) > 1:
            del lines[at]
        elif op == 1:
            lines.insert(at, pick(choices, lines))
        elif op == 2:
            other = choices.below(len(lines))
            lines[at], lines[other] = lines[other], lines[at]
        elif op == 3:
            stripped = lines[at].lstrip(b" ")
            lines[at] = b" " * max(0, len(lines[at]) - len(stripped) + pick(choices, (-2, -1, 1, 2, 4))) + stripped
        else:
            head, sep, _ = _split_value(lines[at])
            lines[at] = head + sep + pick(choices, values)
    return b"\n".join(lines)


def _split_value(line: bytes) -> tuple[bytes, bytes, bytes]:
    """A line as (key, separator, value): `key: value`, `key = value` or `- value`."""
    match = re.match(rb"^(\s*(?:-\s+)?[^:=#]*?)(\s*[:=]\s*|-\s+)(.*)$", line)
    return (match[1], match[2], match[3]) if match else (line, b" ", b"")


def splits(data: bytes, rng: random.Random, most: int = 64) -> list[bytes]:
    cuts = sorted(rng.randrange(len(data) + 1) for _ in range(rng.randrange(most + 1)))
    return [data[a:b] for a, b in zip([0, *cuts], [*cuts, len(data)], strict=True)]


def feedings(data: bytes) -> Iterator[tuple[str, list[bytes]]]:
    """The ways the same bytes can arrive, after the whole: in random splits, and a byte at a time. The
    splits are drawn from the bytes themselves, so an input replays exactly."""
    yield "in random splits", splits(data, random.Random(zlib.crc32(data)))
    if len(data) <= BYTE_AT_A_TIME_UP_TO:
        yield "a byte at a time", [data[i:i + 1] for i in range(len(data))]


def same_whatever_the_split(data: bytes, events_of: Callable[[list[bytes]], list]) -> list:
    whole = events_of([data])
    for how, chunks in feedings(data):
        got = events_of(chunks)
        if got != whole:
            at = next((i for i, (a, b) in enumerate(zip(got, whole, strict=False)) if a != b),
                      min(len(got), len(whole)))
            raise Violation(f"fed {how}, event {at} is {got[at:at + 1]} where fed whole it is {whole[at:at + 1]}")
    return whole


def label(event: object) -> str:
    check = getattr(event, "check", None)
    return f"{type(event).__name__}.{check.name}" if check is not None else type(event).__name__
