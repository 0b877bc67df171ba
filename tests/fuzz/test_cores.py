"""Every core fed mutations of its real input, a few dozen each: the fast subset of `python -m bench.fuzz`.

The same targets as the long runs, driven by Hypothesis instead of a seeded Random, so a failure here
shrinks to a small input. What each target checks is in bench/fuzz_streams.py and bench/fuzz_files.py:
events or the core's own error only, the same events however the bytes are split, no card number outside
a card read, and what loads is usable.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.fuzz import TARGETS
from bench.fuzz_mutations import mutate
from bench.fuzz_streams import ESCPOS_FIXTURES, ESCPOS_TOKENS
from tests.fuzz.choices import DrawnChoices

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.mark.parametrize("core", sorted(TARGETS))
@FAST
@given(data=st.data())
def test_mutated_real_input_gives_events_or_the_cores_own_error(core, data):
    TARGETS[core].run(TARGETS[core].generate(DrawnChoices(data)))


@pytest.mark.skipif(not ESCPOS_FIXTURES.is_dir(), reason=f"shared ESC/POS fixtures not found at {ESCPOS_FIXTURES}")
@FAST
@given(data=st.data())
def test_mutated_escpos_fixtures_print_or_drop_bytes_and_nothing_else(data):
    fixtures = sorted(ESCPOS_FIXTURES.glob("*.bin"))
    stream = fixtures[data.draw(st.integers(0, len(fixtures) - 1))].read_bytes()
    start = data.draw(st.integers(0, max(0, len(stream) - 1024)))
    TARGETS["escpos"].run(mutate(stream[start:start + 1024], DrawnChoices(data), ESCPOS_TOKENS, most=6))
