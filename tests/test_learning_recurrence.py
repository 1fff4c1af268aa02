"""Recurring contributing factors and PM110, on the fixture KB (tests/learning_kb.py)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.recurrence import (
    SIMILARITY_THRESHOLD,
    analyse,
    description_similarity,
    group_factors,
    key_suggestions,
)
from postmortem_kb.project import load_project
from postmortem_kb.rules.archive import load_project_archive

from .learning_kb import A, B, C, D, E, load_kb, write_kb


@pytest.fixture
def postmortems(tmp_path: Path) -> list[PostMortem]:
    return load_kb(tmp_path)


def test_similarity_threshold_separates_rewording_from_other_factors() -> None:
    assert SIMILARITY_THRESHOLD == 0.5
    assert description_similarity(
        "No alert on connection pool saturation", "No alert on pool saturation"
    ) == pytest.approx(3 / 12**0.5)
    # config-only, config, deploy, canary, stage shared; skip vs bypass ("only" is a stop word)
    assert description_similarity(
        "Config-only deploys skip the canary stage", "Config-only deploys bypass the canary stage"
    ) == pytest.approx(5 / 6)
    # shared: flag, rule (of 5 and 6 terms)
    assert description_similarity(
        "Flag SDK throws on unknown rules", "Flag rule schema allows null segments"
    ) == pytest.approx(2 / 30**0.5)
    assert description_similarity(
        "Load tests do not cover peak traffic", "Load tests skip the new region"
    ) == pytest.approx(0.4)
    assert description_similarity("the of", "a pool") == 0.0


def test_groups_by_key_then_by_similar_description_within_a_category(
    postmortems: list[PostMortem],
) -> None:
    groups = {g.id: g for g in group_factors(postmortems)}
    canary = groups["config-skip-canary"]
    # D and A say it without a key, B rewords it, C gives the key: one factor, 4 incidents
    assert canary.incidents == (D, A, B, C)
    assert canary.key == "config-skip-canary" and canary.label == "config-skip-canary"
    assert groups["no-pool-alert"].incidents == (A, C)
    # same words as no-pool-alert, other category: a factor of its own
    assert groups["~no alert on connection pool saturation"].incidents == (D,)
    assert groups["~flag sdk throws on unknown rules"].incidents == (B,)
    assert groups["~flag rule schema allows null segments"].incidents == (C,)
    assert groups["~disk alerts fire too late"].incidents == (E,)
    assert len(groups) == 6


def test_recurring_factors_alerts_and_windows(postmortems: list[PostMortem]) -> None:
    result = analyse(postmortems)
    assert [(g.id, len(g.incidents)) for g in result.recurring] == [
        ("config-skip-canary", 4),
        ("no-pool-alert", 2),
    ]
    # A 2025-01-10, B 2025-02-20, C 2025-04-05: 3 within 6 months (D is a year earlier)
    canary = result.recurring[0]
    assert [o.incident for o in canary.densest_window()] == [A, B, C]
    assert [g.id for g in result.alerts] == ["config-skip-canary"]
    assert not result.recurring[1].alert()
    assert canary.alert(count=4) is False
    assert [o.date for o in canary.occurrences][:1] == [dt.date(2024, 3, 1)]


def test_recurrence_rate_per_quarter_and_overall(postmortems: list[PostMortem]) -> None:
    result = analyse(postmortems)
    # D: nothing before. A: D's canary factor 10 months earlier. B: D and A. C: A and B
    # (D is 13 months earlier). E: a new factor.
    assert result.recurring_incidents == {A, B, C}
    quarters = {q.quarter: (q.incidents, q.recurring, q.rate) for q in result.by_quarter}
    assert quarters == {"2024Q1": (1, 0, 0.0), "2025Q1": (2, 2, 1.0), "2025Q2": (2, 1, 0.5)}
    assert result.rate == pytest.approx(3 / 5)


def test_a_factor_seen_more_than_twelve_months_earlier_does_not_recur(
    postmortems: list[PostMortem],
) -> None:
    only_c_and_d = [pm for pm in postmortems if pm.id in (C, D)]
    assert analyse(only_c_and_d).recurring_incidents == frozenset()


def test_key_suggestions_name_the_key_and_its_incidents(postmortems: list[PostMortem]) -> None:
    found = {(s.occurrence.incident, s.occurrence.index): s for s in key_suggestions(postmortems)}
    assert set(found) == {(D, 0), (A, 1), (B, 0)}
    assert found[(B, 0)].key == "config-skip-canary" and found[(B, 0)].incidents == (C,)


def test_pmkb_check_suggests_the_key_for_a_single_file(tmp_path: Path) -> None:
    project = load_project(write_kb(tmp_path))
    archive = load_project_archive(project, [tmp_path / "postmortems" / f"{B}.md"])
    pm110 = [d for d in archive.diagnostics if d.code == "PM110"]
    assert len(pm110) == 1
    assert pm110[0].path == f"postmortems/{B}.md" and pm110[0].line == 16
    assert "'config-skip-canary'" in pm110[0].message and C in pm110[0].message
    assert pm110[0].hint == "Add `key: config-skip-canary` to it if it is the same factor."
