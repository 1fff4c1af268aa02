"""A small knowledge base whose learning figures are computed by hand in the tests.

Five incidents, as of 2025-07-01 (threshold 0.70):

- A 2025-01-10 SEV2 [api, db]: starts 23:50Z and runs past midnight; mitigated given in
  +01:00. Detect 900 s, mitigate 1800 s, resolve 10800 s. Actions: done on time, done late,
  not-doing, done without a date.
- B 2025-02-20 SEV1 [flags]: times in -05:00; no `mitigated`. Detect 1200 s, resolve 7200 s.
  Actions: open overdue, open not yet due, done on its due date.
- C 2025-04-05 SEV2 [api]: 600 / 2400 / 7200 s. Actions: done late, open overdue (due the day
  before the as-of date), open due on the as-of date (due, not overdue).
- D 2024-03-01 SEV3 [search]: only `started`: every duration not recorded. One action done on
  time.
- E 2025-04-20 SEV3 [db]: times in +02:00 and Z. 1800 / 3600 / 5400 s. Actions: done on time,
  done early and not due yet.

Factors: `no-pool-alert` (keyed) in A and C; `config-skip-canary` keyed in C, unkeyed (same
text) in A and D, reworded ("bypass") in B; one factor that only looks alike (C's flag
schema vs B's flag SDK, 0.37) and one in another category (D, organizational).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from postmortem_kb.format.model import PostMortem
from postmortem_kb.project import load_project
from postmortem_kb.rules.archive import load_project_archive

AS_OF = dt.date(2025, 7, 1)

_TEMPLATE = """---
title: {title}
date: {date}
severity: {severity}
status: published
services: [{services}]
tags: [{tag}]
authors: ["@dana"]
timestamps:
{timestamps}
impact:
  summary: {impact}
contributing_factors:
{factors}
---

## Summary

{summary}

## Impact

- {impact}

## Timeline

- 00:00 The incident starts.

## Root cause

A limit nobody watched.

## Contributing factors

- The factors above.

## What went well

- The alert fired.

## What went badly

- The runbook was old.

## Action items

| Action | Category | Owner | Due | Ticket | Status |
|---|---|---|---|---|---|
{actions}

## Lessons learned

Limits need alerts.
"""


def _postmortem(
    *,
    title: str,
    date: str,
    severity: str,
    services: str,
    timestamps: dict[str, str],
    factors: list[tuple[str, str, str | None]],
    summary: str,
    impact: str,
    actions: list[str],
) -> str:
    return _TEMPLATE.format(
        title=title,
        date=date,
        severity=severity,
        services=services,
        tag="capacity",
        timestamps="\n".join(f"  {name}: {value}" for name, value in timestamps.items()),
        impact=impact,
        factors="\n".join(
            f"  - category: {category}\n    description: {description}"
            + (f"\n    key: {key}" if key else "")
            for category, description, key in factors
        ),
        summary=summary,
        actions="\n".join(actions),
    )


A = "2025-01-10-a-db-pool"
B = "2025-02-20-b-flag-crash"
C = "2025-04-05-c-pool-again"
D = "2024-03-01-d-search-old"
E = "2025-04-20-e-disk-full"

FILES = {
    f"{A}.md": _postmortem(
        title="Orders failed overnight when the database pool ran out",
        date="2025-01-10",
        severity="SEV2",
        services="api, db",
        timestamps={
            "started": "2025-01-10T23:50:00Z",
            "detected": "2025-01-11T00:05:00Z",
            "mitigated": "2025-01-11T01:20:00+01:00",
            "resolved": "2025-01-11T02:50:00Z",
        },
        factors=[
            ("technical", "No alert on connection pool saturation", "no-pool-alert"),
            ("process", "Config-only deploys skip the canary stage", None),
        ],
        summary="The `api` pool filled up just before midnight.\n"
        "Requests queued and timed out.\n\n"
        "!!! internal\n    The on-call was paged twice.\n\n"
        "<!-- internal -->\n\nThe customer's name was Fernhill.\n\n<!-- /internal -->\n\n"
        "We raised the pool limit and the queue drained.\n\n"
        "A third paragraph the digest leaves out.",
        impact="Orders failed for 30 minutes.",
        actions=[
            "| Alert on pool saturation | Detection | @dana | 2025-01-31 | OPS-1 | done 2025-01-25 |",
            "| Capacity check in CI | Prevention | @marco | 2025-02-28 | OPS-2 | done 2025-03-10 |",
            "| Per-node connection proxy | Prevention | @jonas | 2025-03-31 | OPS-3 | not-doing |",
            "| Update the pool runbook | Process | @dana | 2025-02-15 | OPS-4 | done |",
        ],
    ),
    f"{B}.md": _postmortem(
        title="Flag service crash on a targeting rule",
        date="2025-02-20",
        severity="SEV1",
        services="flags",
        timestamps={
            "started": "2025-02-20T10:00:00-05:00",
            "detected": "2025-02-20T15:20:00Z",
            "resolved": "2025-02-20T12:00:00-05:00",
        },
        factors=[
            ("process", "Config-only deploys bypass the canary stage", None),
            ("technical", "Flag SDK throws on unknown rules", None),
        ],
        summary="A rule with an empty segment crashed every SDK.",
        impact="Every feature flag served its default for two hours.",
        actions=[
            "| Serve defaults on unknown rules | Prevention | @kim | 2025-03-15 | FLAG-1 | open |",
            "| Canary for flag changes | Prevention | @jonas | 2025-08-31 | FLAG-2 | open |",
            "| Alert on SDK errors | Detection | @kim | 2025-03-01 | FLAG-3 | done 2025-03-01 |",
        ],
    ),
    f"{C}.md": _postmortem(
        title="The api pool ran out again",
        date="2025-04-05",
        severity="SEV2",
        services="api",
        timestamps={
            "started": "2025-04-05T08:00:00Z",
            "detected": "2025-04-05T08:10:00Z",
            "mitigated": "2025-04-05T08:40:00Z",
            "resolved": "2025-04-05T10:00:00Z",
        },
        factors=[
            ("technical", "No alert on connection pool saturation", "no-pool-alert"),
            ("process", "Config-only deploys skip the canary stage", "config-skip-canary"),
            ("technical", "Flag rule schema allows null segments", None),
        ],
        summary="A config-only deploy doubled the pool size per pod.",
        impact="Checkout failed for 40 minutes.",
        actions=[
            "| Pool alerts for every PgBouncer | Detection | @dana | 2025-05-01 | OPS-5 | done 2025-05-20 |",
            "| Route config deploys through the canary | Prevention | @jonas | 2025-06-30 | OPS-6 | open |",
            "| Failover game day | Process | @marco | 2025-07-01 | OPS-7 | open |",
        ],
    ),
    f"{D}.md": _postmortem(
        title="Search was slow after a settings push",
        date="2024-03-01",
        severity="SEV3",
        services="search",
        timestamps={"started": "2024-03-01T12:00:00Z"},
        factors=[
            ("process", "Config-only deploys skip the canary stage", None),
            ("organizational", "No alert on connection pool saturation", None),
        ],
        summary="A settings push slowed search.",
        impact="Search was slow for an hour.",
        actions=[
            "| Review settings pushes | Process | @lee | 2024-04-01 | SRCH-1 | done 2024-03-28 |",
        ],
    ),
    f"{E}.md": _postmortem(
        title="Disk full on the reporting database",
        date="2025-04-20",
        severity="SEV3",
        services="db",
        timestamps={
            "started": "2025-04-20T09:00:00+02:00",
            "detected": "2025-04-20T07:30:00Z",
            "mitigated": "2025-04-20T10:00:00+02:00",
            "resolved": "2025-04-20T08:30:00Z",
        },
        factors=[("technical", "Disk alerts fire too late", None)],
        summary="WAL filled the disk.",
        impact="Reports were late by an hour.",
        actions=[
            "| Lower the disk alert threshold | Detection | @lee | 2025-06-01 | DB-1 | done 2025-05-30 |",
            "| Bigger disks | Prevention | @dana | 2025-09-01 | DB-2 | done 2025-06-15 |",
        ],
    ),
}


def write_kb(root: Path) -> Path:
    """The knowledge base in `root` (mkdocs.yml, kb/, postmortems/); returns mkdocs.yml."""
    (root / "kb").mkdir(parents=True, exist_ok=True)
    (root / "kb" / "index.md").write_text("# Home\n", encoding="utf-8")
    (root / "postmortems").mkdir(exist_ok=True)
    for name, text in FILES.items():
        (root / "postmortems" / name).write_text(text, encoding="utf-8")
    config = root / "mkdocs.yml"
    config.write_text(
        "site_name: Learning KB\ndocs_dir: kb\ntheme:\n  name: material\n"
        "plugins:\n  - postmortems\n",
        encoding="utf-8",
    )
    return config


def load_kb(root: Path) -> list[PostMortem]:
    """The fixture's post-mortems, parsed and checked as `pmkb` does."""
    config = write_kb(root)
    return load_project_archive(load_project(config)).postmortems
