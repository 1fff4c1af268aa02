"""Time to detect, mitigate and resolve, per incident and per group of incidents.

Each is measured from `timestamps.started`: detect = detected - started, mitigate =
mitigated - started, resolve = resolved - started (`PostMortem.time_to`). Timestamps carry
their zone, so an incident over midnight or reported in two zones measures correctly. A
missing timestamp, one without a zone beside one with, or one before `started` (PM106)
makes that duration *not recorded*: None, counted in `not_recorded`, never zero.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.periods import month_of, quarter_of
from postmortem_kb.learning.stats import Summary, summarize

Metric = Literal["detect", "mitigate", "resolve"]
METRICS: tuple[Metric, ...] = ("detect", "mitigate", "resolve")
_MILESTONE = {"detect": "detected", "mitigate": "mitigated", "resolve": "resolved"}
GroupBy = Literal["severity", "service", "quarter"]
NO_GROUP = "(none)"  # the group of an incident without a severity, service or date


@dataclass(frozen=True)
class IncidentMetrics:
    """One incident's durations in seconds (None = not recorded) and what it is grouped by."""

    incident: str
    title: str
    date: dt.date | None
    severity: str | None
    services: tuple[str, ...]
    time_to_detect_s: int | None
    time_to_mitigate_s: int | None
    time_to_resolve_s: int | None

    @property
    def quarter(self) -> str | None:
        return quarter_of(self.date) if self.date else None

    def seconds(self, metric: Metric) -> int | None:
        value: int | None = getattr(self, f"time_to_{metric}_s")
        return value

    def groups(self, by: GroupBy) -> tuple[str, ...]:
        """The groups the incident counts in: each of its services, or its one severity or
        quarter; `NO_GROUP` when it has none."""
        if by == "service":
            return self.services or (NO_GROUP,)
        value = self.severity if by == "severity" else self.quarter
        return (value or NO_GROUP,)


@dataclass(frozen=True)
class MetricAggregate:
    """A metric over a group: the summary of the recorded values, the values themselves
    (ascending, for charts of the points) and how many incidents had it not recorded."""

    group: str
    metric: Metric
    summary: Summary
    values: tuple[int, ...]
    not_recorded: int

    @property
    def incidents(self) -> int:
        return self.summary.n + self.not_recorded


def time_to_seconds(pm: PostMortem, metric: Metric) -> int | None:
    """Seconds from start to the metric's milestone; None when not recorded or unusable."""
    try:
        duration = pm.time_to(_MILESTONE[metric])
    except TypeError:  # one timestamp with a zone, the other without (PM107)
        return None
    if duration is None or duration < dt.timedelta(0):
        return None
    return int(duration.total_seconds())


def incident_metrics(pm: PostMortem) -> IncidentMetrics:
    return IncidentMetrics(
        incident=pm.id,
        title=pm.title,
        date=pm.meta.date,
        severity=pm.meta.severity,
        services=tuple(pm.meta.services),
        time_to_detect_s=time_to_seconds(pm, "detect"),
        time_to_mitigate_s=time_to_seconds(pm, "mitigate"),
        time_to_resolve_s=time_to_seconds(pm, "resolve"),
    )


def all_metrics(postmortems: Iterable[PostMortem]) -> list[IncidentMetrics]:
    """Metrics of each post-mortem, oldest first (by date, then id)."""
    rows = [incident_metrics(pm) for pm in postmortems]
    return sorted(rows, key=lambda m: (m.date or dt.date.min, m.incident))


def aggregate(metrics: Sequence[IncidentMetrics], metric: Metric) -> MetricAggregate:
    """`metric` over all of `metrics`, as the group "all"."""
    return _aggregate("all", metric, metrics)


def aggregate_by(
    metrics: Sequence[IncidentMetrics], metric: Metric, by: GroupBy
) -> dict[str, MetricAggregate]:
    """`metric` per severity, service or quarter, groups in sorted order. An incident with
    two services counts in both."""
    groups: dict[str, list[IncidentMetrics]] = defaultdict(list)
    for row in metrics:
        for group in row.groups(by):
            groups[group].append(row)
    return {name: _aggregate(name, metric, groups[name]) for name in sorted(groups)}


def _aggregate(group: str, metric: Metric, rows: Sequence[IncidentMetrics]) -> MetricAggregate:
    recorded = sorted(v for row in rows if (v := row.seconds(metric)) is not None)
    return MetricAggregate(
        group=group,
        metric=metric,
        summary=summarize(recorded),
        values=tuple(recorded),
        not_recorded=len(rows) - len(recorded),
    )


def incidents_by_month(postmortems: Iterable[PostMortem]) -> dict[str, dict[str, int]]:
    """How many incidents each month (`YYYY-MM` of their date) had of each severity
    (`NO_GROUP` without one), months oldest first; incidents without a date are left out."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for pm in postmortems:
        if pm.meta.date is not None:
            counts[month_of(pm.meta.date)][pm.meta.severity or NO_GROUP] += 1
    return {month: dict(counts[month]) for month in sorted(counts)}
