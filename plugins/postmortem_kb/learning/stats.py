"""Summary statistics for long-tailed durations, and whether a change between periods is real.

Incident durations are long-tailed, so the figures are the median and the 90th percentile
with their count, never a mean. Methods, stated wherever the figures are shown:

- median: the middle value; for an even count, the mean of the two middle values;
- p90: nearest rank, the smallest value with at least 90% of the values at or below it,
  i.e. the ``ceil(0.9 * n)``-th smallest value (always one of the observed values);
- a trend between two periods is *supported* only when a seeded percentile bootstrap
  interval (95%, 2,000 resamples) of the difference of medians excludes zero and both periods
  have at least `MIN_TREND_N` values; otherwise it is "too small to tell".
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import numpy as np

P90_METHOD = "nearest rank (the smallest value with at least 90% of values at or below it)"
MEDIAN_METHOD = "middle value; mean of the two middle values for an even count"
TREND_METHOD = (
    "95% percentile bootstrap interval of the difference of medians (2,000 resamples, "
    "seeded); a trend is stated only when the interval excludes zero"
)
TOO_SMALL: Final = "too small to tell"
MIN_TREND_N = 5
BOOTSTRAP_SEED = 20240601
BOOTSTRAP_RESAMPLES = 2000
CONFIDENCE = 0.95


@dataclass(frozen=True)
class Summary:
    """n, median, p90, min and max of some values; all None (n = 0) without values."""

    n: int
    median: float | None
    p90: float | None
    minimum: float | None
    maximum: float | None


def median(values: Sequence[float]) -> float | None:
    """The median (see the module docstring); None for no values."""
    ordered = sorted(values)
    n = len(ordered)
    if n == 0:
        return None
    middle = n // 2
    return float(ordered[middle]) if n % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def percentile_nearest_rank(values: Sequence[float], percent: float) -> float | None:
    """The nearest-rank percentile: the ``ceil(percent / 100 * n)``-th smallest value."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(percent / 100 * len(ordered)))
    return float(ordered[rank - 1])


def p90(values: Sequence[float]) -> float | None:
    return percentile_nearest_rank(values, 90)


def summarize(values: Sequence[float]) -> Summary:
    if not values:
        return Summary(0, None, None, None, None)
    return Summary(len(values), median(values), p90(values), min(values), max(values))


@dataclass(frozen=True)
class Trend:
    """The change of the median from `before` to `after` and whether the data support it.

    `difference` is median(after) - median(before); `low`/`high` the bootstrap interval
    (None when a period has fewer than `MIN_TREND_N` values). `verdict` is "lower" or
    "higher" when the interval excludes zero, else `TOO_SMALL`.
    """

    n_before: int
    n_after: int
    difference: float | None
    low: float | None
    high: float | None
    verdict: Literal["lower", "higher", "too small to tell"]

    @property
    def supported(self) -> bool:
        return self.verdict != TOO_SMALL


def compare_medians(
    before: Sequence[float],
    after: Sequence[float],
    *,
    seed: int = BOOTSTRAP_SEED,
    resamples: int = BOOTSTRAP_RESAMPLES,
    confidence: float = CONFIDENCE,
    min_n: int = MIN_TREND_N,
) -> Trend:
    """Bootstrap the difference of medians (after - before); same inputs, same answer."""
    m_before, m_after = median(before), median(after)
    difference = m_after - m_before if m_before is not None and m_after is not None else None
    if len(before) < min_n or len(after) < min_n or difference is None:
        return Trend(len(before), len(after), difference, None, None, TOO_SMALL)
    rng = np.random.default_rng(seed)
    a = np.asarray(before, dtype=float)
    b = np.asarray(after, dtype=float)
    draws_a = np.median(rng.choice(a, size=(resamples, a.size), replace=True), axis=1)
    draws_b = np.median(rng.choice(b, size=(resamples, b.size), replace=True), axis=1)
    tail = (1 - confidence) / 2 * 100
    low, high = (float(x) for x in np.percentile(draws_b - draws_a, [tail, 100 - tail]))
    verdict: Literal["lower", "higher", "too small to tell"] = TOO_SMALL
    if high < 0:
        verdict = "lower"
    elif low > 0:
        verdict = "higher"
    return Trend(len(before), len(after), difference, low, high, verdict)
