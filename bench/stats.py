"""Percentiles for benchmark figures (nearest-rank, so p99 of 500 samples is a real sample)."""

from __future__ import annotations

import math


def percentile(samples: list[float], pct: float) -> float:
    ordered = sorted(samples)
    rank = max(1, math.ceil(pct / 100 * len(ordered)))
    return ordered[rank - 1]


def summary(samples: list[float], scale: float = 1.0, digits: int = 3) -> dict[str, float]:
    return {f"p{p}": round(percentile(samples, p) * scale, digits) for p in (50, 90, 99)} | {
        "max": round(max(samples) * scale, digits), "n": len(samples)}
