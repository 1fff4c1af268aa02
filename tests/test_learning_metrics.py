"""Incident metrics and their statistics, on the fixture KB (tests/learning_kb.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.metrics import aggregate, aggregate_by, all_metrics
from postmortem_kb.learning.periods import add_months, month_of, parse_month, quarter_of
from postmortem_kb.learning.stats import (
    TOO_SMALL,
    compare_medians,
    median,
    p90,
    percentile_nearest_rank,
    summarize,
)

from .learning_kb import A, B, C, D, E, load_kb


@pytest.fixture
def postmortems(tmp_path: Path) -> list[PostMortem]:
    return load_kb(tmp_path)


def test_durations_per_incident_across_midnight_and_time_zones(
    postmortems: list[PostMortem],
) -> None:
    rows = {m.incident: m for m in all_metrics(postmortems)}
    durations = {
        i: (m.time_to_detect_s, m.time_to_mitigate_s, m.time_to_resolve_s) for i, m in rows.items()
    }
    assert durations == {
        A: (900, 1800, 10800),  # 23:50Z -> 00:05Z; mitigated 01:20+01:00 = 00:20Z
        B: (1200, None, 7200),  # 10:00-05:00 = 15:00Z; no mitigated
        C: (600, 2400, 7200),
        D: (None, None, None),  # only `started`: nothing recorded, never zero
        E: (1800, 3600, 5400),  # 09:00+02:00 = 07:00Z
    }
    assert [m.incident for m in all_metrics(postmortems)] == [D, A, B, C, E]
    assert rows[A].quarter == "2025Q1" and rows[D].quarter == "2024Q1"


def test_aggregate_over_all_counts_not_recorded(postmortems: list[PostMortem]) -> None:
    rows = all_metrics(postmortems)
    mitigate = aggregate(rows, "mitigate")
    assert mitigate.values == (1800, 2400, 3600)
    assert mitigate.not_recorded == 2 and mitigate.incidents == 5
    s = mitigate.summary
    assert (s.n, s.median, s.p90, s.minimum, s.maximum) == (3, 2400, 3600, 1800, 3600)
    detect = aggregate(rows, "detect").summary
    assert (detect.n, detect.median, detect.p90) == (4, 1050, 1800)  # (900 + 1200) / 2
    resolve = aggregate(rows, "resolve")
    assert (resolve.summary.median, resolve.summary.p90, resolve.not_recorded) == (7200, 10800, 1)


def test_aggregate_by_severity_service_and_quarter(postmortems: list[PostMortem]) -> None:
    rows = all_metrics(postmortems)
    by_severity = aggregate_by(rows, "mitigate", "severity")
    assert list(by_severity) == ["SEV1", "SEV2", "SEV3"]
    assert (by_severity["SEV1"].summary.n, by_severity["SEV1"].not_recorded) == (0, 1)
    assert by_severity["SEV1"].summary.median is None
    assert by_severity["SEV2"].values == (1800, 2400)
    assert (by_severity["SEV2"].summary.median, by_severity["SEV2"].summary.p90) == (2100, 2400)
    assert (by_severity["SEV3"].values, by_severity["SEV3"].not_recorded) == ((3600,), 1)
    by_quarter = aggregate_by(rows, "detect", "quarter")
    assert list(by_quarter) == ["2024Q1", "2025Q1", "2025Q2"]
    assert by_quarter["2024Q1"].not_recorded == 1
    assert by_quarter["2025Q1"].summary.median == 1050
    assert by_quarter["2025Q2"].values == (600, 1800)
    by_service = aggregate_by(rows, "resolve", "service")
    assert {k: v.values for k, v in by_service.items()} == {
        "api": (7200, 10800),
        "db": (5400, 10800),
        "flags": (7200,),
        "search": (),
    }
    assert by_service["api"].summary.median == 9000
    assert by_service["search"].not_recorded == 1


@pytest.mark.parametrize(
    ("values", "expected_median", "expected_p90"),
    [
        ([], None, None),
        ([7], 7, 7),
        ([3, 1, 2], 2, 3),
        ([4, 1, 3, 2], 2.5, 4),
        (list(range(1, 11)), 5.5, 9),  # ceil(0.9 * 10) = 9th
        (list(range(1, 12)), 6, 10),  # ceil(0.9 * 11) = 10th
    ],
)
def test_median_and_nearest_rank_p90(
    values: list[int], expected_median: float | None, expected_p90: float | None
) -> None:
    assert median(values) == expected_median
    assert p90(values) == expected_p90


def test_percentiles_and_summary() -> None:
    assert percentile_nearest_rank([10, 20, 30, 40], 50) == 20
    assert percentile_nearest_rank([10, 20, 30, 40], 0) == 10
    summary = summarize([5, 1, 9])
    assert (summary.n, summary.minimum, summary.maximum) == (3, 1, 9)
    assert summarize([]).n == 0


def test_a_clear_shift_is_a_supported_trend() -> None:
    before = [600, 660, 720, 630, 690, 700]
    after = [1800, 1900, 1750, 2000, 1850, 1950]
    trend = compare_medians(before, after)
    assert trend.verdict == "higher" and trend.supported
    assert trend.difference == 1875 - 675
    assert trend.low is not None and trend.high is not None and 0 < trend.low <= trend.high
    assert compare_medians(after, before).verdict == "lower"
    assert compare_medians(before, after) == trend  # seeded: the same answer every time


def test_overlapping_or_small_samples_are_too_small_to_tell() -> None:
    noisy = compare_medians([100, 5000, 300, 9000, 700], [200, 4000, 350, 8000, 650])
    assert noisy.verdict == TOO_SMALL and not noisy.supported
    assert noisy.low is not None and noisy.low < 0 < noisy.high  # type: ignore[operator]
    small = compare_medians([1, 2, 3], [100, 200, 300])
    assert (small.verdict, small.low, small.high) == (TOO_SMALL, None, None)
    assert small.difference == 198


def test_periods() -> None:
    import datetime as dt

    assert quarter_of(dt.date(2024, 5, 30)) == "2024Q2"
    assert quarter_of(dt.date(2024, 12, 31)) == "2024Q4"
    assert month_of(dt.date(2025, 3, 4)) == "2025-03"
    assert add_months(dt.date(2024, 1, 31), 1) == dt.date(2024, 2, 29)
    assert add_months(dt.date(2025, 1, 10), -12) == dt.date(2024, 1, 10)
    assert add_months(dt.date(2024, 11, 15), 6) == dt.date(2025, 5, 15)
    assert parse_month("2025-05") == (2025, 5)
    with pytest.raises(ValueError, match="YYYY-MM"):
        parse_month("2025-13")
