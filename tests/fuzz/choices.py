"""The fuzzers' choices drawn by Hypothesis, so a failing input shrinks to a small one."""

from __future__ import annotations

from hypothesis import strategies as st


class DrawnChoices:
    """`bench.fuzz_mutations.Choices` over Hypothesis's `st.data()`."""

    def __init__(self, data: st.DataObject) -> None:
        self.data = data

    def below(self, n: int) -> int:
        return self.data.draw(st.integers(0, n - 1))

    def blob(self, size: int) -> bytes:
        return self.data.draw(st.binary(min_size=size, max_size=size))
