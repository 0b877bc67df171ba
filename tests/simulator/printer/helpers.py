"""Shared by the interpreter tests: where the real ESC/POS fixtures live, and feeding in chunks."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.printer.document import Document
from simulator.printer.interpreter import Interpreter

# ../shared/fixtures/escpos beside the repository, never copied into it (DESIGN §7)
FIXTURES = Path(__file__).resolve().parents[3] / ".." / "shared" / "fixtures" / "escpos"


def fixture(name: str) -> bytes:
    path = FIXTURES / name
    if not path.is_file():
        pytest.skip(f"real ESC/POS fixture {name} not found: expected the shared folder at {FIXTURES.resolve()}")
    return path.read_bytes()


def fixture_names() -> list[str]:
    return sorted(path.name for path in FIXTURES.glob("*.bin")) if FIXTURES.is_dir() else []


def render_in_chunks(data: bytes, cuts: list[int], **options) -> Document:
    """The document from feeding `data` split at the offsets in `cuts`."""
    interpreter = Interpreter(**options)
    start = 0
    for cut in [*sorted(set(cuts)), len(data)]:
        interpreter.feed(data[start:cut])
        start = cut
    interpreter.close()
    return Document.from_events(interpreter.events(), interpreter.dropped)
