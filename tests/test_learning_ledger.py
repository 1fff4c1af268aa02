"""The action-item ledger on the fixture KB (tests/learning_kb.py), every figure by hand."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest
from postmortem_kb.format.action_status import parse_status_cell
from postmortem_kb.format.model import ActionItem, PostMortem
from postmortem_kb.format.vocabulary import ACTION_STATUSES
from postmortem_kb.learning.ledger import (
    Rates,
    ResolvedStatus,
    build_ledger,
    rates,
    rates_by,
    review_order,
)

from .conftest import REPO
from .learning_kb import AS_OF, A, B, C, D, E, load_kb


@pytest.fixture
def postmortems(tmp_path: Path) -> list[PostMortem]:
    return load_kb(tmp_path)


def _figures(r: Rates) -> tuple[int, int, int, int, int, int, int]:
    return (r.done, r.open, r.not_doing, r.overdue, r.due, r.on_time, r.done_undated)


def test_every_item_is_in_the_ledger_with_its_incident_and_status(
    postmortems: list[PostMortem],
) -> None:
    ledger = build_ledger(postmortems)
    assert len(ledger.entries) == 13
    assert [e.incident for e in ledger.entries[:2]] == [D, A]  # oldest incident first
    first_a = ledger.entries[1]
    assert (first_a.action, first_a.category, first_a.owner, first_a.ticket) == (
        "Alert on pool saturation",
        "Detection",
        "@dana",
        "OPS-1",
    )
    assert (first_a.due, first_a.status, first_a.done_on) == (
        dt.date(2025, 1, 31),
        "done",
        dt.date(2025, 1, 25),
    )
    assert first_a.services == ("api", "db")
    assert first_a.source == f"postmortems/{A}.md"
    assert first_a.status_source == "markdown"
    undated = next(e for e in ledger.entries if e.ticket == "OPS-4")
    assert (undated.status, undated.done_on) == ("done", None)
    assert next(e for e in ledger.entries if e.ticket == "OPS-3").status == "not-doing"


def test_overdue_is_open_and_due_before_the_as_of_date(postmortems: list[PostMortem]) -> None:
    ledger = build_ledger(postmortems)
    # FLAG-1 due 03-15 and OPS-6 due 06-30; OPS-7 is due on the as-of date: not overdue yet
    assert [e.ticket for e in ledger.overdue(AS_OF)] == ["FLAG-1", "OPS-6"]
    assert [e.ticket for e in ledger.overdue(dt.date(2025, 7, 2))] == ["FLAG-1", "OPS-6", "OPS-7"]
    assert ledger.overdue(dt.date(2025, 3, 15)) == []


def test_overall_rates(postmortems: list[PostMortem]) -> None:
    overall = rates(build_ledger(postmortems).entries, AS_OF, 0.70)
    # done: OPS-1, OPS-2, OPS-4, FLAG-3, OPS-5, SRCH-1, DB-1, DB-2; open: FLAG-1, FLAG-2,
    # OPS-6, OPS-7; not-doing: OPS-3. Due by 07-01, minus OPS-4 (no done date): OPS-1, OPS-2,
    # FLAG-1, FLAG-3, OPS-5, OPS-6, OPS-7, SRCH-1, DB-1 = 9; on time: OPS-1, FLAG-3 (on its
    # due date), SRCH-1, DB-1 = 4. DB-2 was done early but is not due yet: in neither.
    assert _figures(overall) == (8, 4, 1, 2, 9, 4, 1)
    assert overall.completion_rate == pytest.approx(8 / 12)
    assert overall.on_time_rate == pytest.approx(4 / 9)
    assert overall.completion_warning and overall.on_time_warning
    assert not rates(build_ledger(postmortems).entries, AS_OF, 0.40).on_time_warning


def test_rates_per_quarter_of_the_due_date(postmortems: list[PostMortem]) -> None:
    per_quarter = rates_by(build_ledger(postmortems).entries, "quarter", AS_OF, 0.70)
    assert list(per_quarter) == ["2024Q2", "2025Q1", "2025Q2", "2025Q3"]
    assert _figures(per_quarter["2024Q2"]) == (1, 0, 0, 0, 1, 1, 0)
    assert _figures(per_quarter["2025Q1"]) == (4, 1, 1, 1, 4, 2, 1)
    assert _figures(per_quarter["2025Q2"]) == (2, 1, 0, 1, 3, 1, 0)
    assert _figures(per_quarter["2025Q3"]) == (1, 2, 0, 0, 1, 0, 0)
    assert per_quarter["2025Q1"].completion_rate == pytest.approx(0.8)
    assert per_quarter["2025Q1"].on_time_rate == pytest.approx(0.5)
    assert per_quarter["2025Q3"].on_time_rate == 0.0
    assert not per_quarter["2024Q2"].on_time_warning


def test_rates_per_owner(postmortems: list[PostMortem]) -> None:
    per_owner = rates_by(build_ledger(postmortems).entries, "owner", AS_OF, 0.70)
    assert list(per_owner) == ["@dana", "@jonas", "@kim", "@lee", "@marco"]
    assert _figures(per_owner["@dana"]) == (4, 0, 0, 0, 2, 1, 1)
    assert _figures(per_owner["@jonas"]) == (0, 2, 1, 1, 1, 0, 0)
    assert _figures(per_owner["@kim"]) == (1, 1, 0, 1, 2, 1, 0)
    assert _figures(per_owner["@lee"]) == (2, 0, 0, 0, 2, 2, 0)
    assert _figures(per_owner["@marco"]) == (1, 1, 0, 0, 2, 0, 0)
    assert per_owner["@dana"].completion_rate == 1.0
    assert per_owner["@jonas"].completion_rate == 0.0


def test_rates_per_service_count_an_item_under_each_service(
    postmortems: list[PostMortem],
) -> None:
    per_service = rates_by(build_ledger(postmortems).entries, "service", AS_OF, 0.70)
    assert list(per_service) == ["api", "db", "flags", "search"]
    assert _figures(per_service["api"]) == (4, 2, 1, 1, 5, 1, 1)
    assert _figures(per_service["db"]) == (5, 0, 1, 0, 3, 2, 1)
    assert _figures(per_service["flags"]) == (1, 2, 0, 1, 2, 1, 0)
    assert per_service["db"].on_time_rate == pytest.approx(2 / 3)


def test_rates_without_items_are_none_and_warn_about_nothing() -> None:
    empty = rates([], AS_OF, 0.70)
    assert (empty.completion_rate, empty.on_time_rate) == (None, None)
    assert not empty.completion_warning and not empty.on_time_warning


def test_select_filters_combine(postmortems: list[PostMortem]) -> None:
    ledger = build_ledger(postmortems)
    assert [e.ticket for e in ledger.select(owner="jonas")] == ["OPS-3", "FLAG-2", "OPS-6"]
    assert [e.ticket for e in ledger.select(owner="@JONAS", statuses=["open"])] == [
        "FLAG-2",
        "OPS-6",
    ]
    assert [e.ticket for e in ledger.select(service="db", statuses=["done"])] == [
        "OPS-1",
        "OPS-2",
        "OPS-4",
        "DB-1",
        "DB-2",
    ]
    assert [e.ticket for e in ledger.select(service="api", overdue_as_of=AS_OF)] == ["OPS-6"]


def test_review_order_puts_overdue_first_then_open_then_the_rest(
    postmortems: list[PostMortem],
) -> None:
    ordered = review_order(build_ledger(postmortems).entries, AS_OF)
    assert [e.ticket for e in ordered[:4]] == ["FLAG-1", "OPS-6", "OPS-7", "FLAG-2"]
    assert {e.status for e in ordered[4:]} == {"done", "not-doing"}


def test_a_status_source_overrides_the_markdown(postmortems: list[PostMortem]) -> None:
    def tracker(pm: PostMortem, item: ActionItem) -> ResolvedStatus | None:
        if item.ticket == "FLAG-1":
            return ResolvedStatus("done", dt.date(2025, 3, 14), "jira")
        return None

    ledger = build_ledger(postmortems, sources=[tracker])
    flag = next(e for e in ledger.entries if e.ticket == "FLAG-1")
    assert (flag.status, flag.done_on, flag.status_source) == (
        "done",
        dt.date(2025, 3, 14),
        "jira",
    )
    assert rates(ledger.entries, AS_OF, 0.7).on_time == 5


def test_to_json_has_exactly_the_documented_keys(postmortems: list[PostMortem]) -> None:
    entry = next(e for e in build_ledger(postmortems).entries if e.ticket == "FLAG-1")
    assert entry.to_json(AS_OF) == {
        "incident": B,
        "action": "Serve defaults on unknown rules",
        "category": "Prevention",
        "owner": "@kim",
        "due": "2025-03-15",
        "status": "open",
        "done_on": None,
        "ticket": "FLAG-1",
        "overdue": True,
    }


@pytest.mark.parametrize(
    ("cell", "status", "date_text", "done_on"),
    [
        ("", "open", "", None),
        ("done", "done", "", None),
        ("Done 2024-06-05", "done", "2024-06-05", dt.date(2024, 6, 5)),
        ("  done   2024-06-05 ", "done", "2024-06-05", dt.date(2024, 6, 5)),
        ("done 2024-02-31", "done", "2024-02-31", None),
        ("done 5 June", "done", "5 June", None),
        ("not-doing", "not-doing", "", None),
        ("open 2024-06-05", "open", "2024-06-05", dt.date(2024, 6, 5)),
    ],
)
def test_status_cell(cell: str, status: str, date_text: str, done_on: dt.date | None) -> None:
    parsed = parse_status_cell(cell)
    assert (parsed.status, parsed.date_text, parsed.done_on) == (status, date_text, done_on)


def test_only_done_items_keep_a_done_date(postmortems: list[PostMortem]) -> None:
    items = {i.ticket: i for pm in postmortems for i in pm.action_items}
    assert items["OPS-2"].done_on == dt.date(2025, 3, 10)
    assert items["OPS-6"].done_on is None
    assert {pm.id for pm in postmortems} == {A, B, C, D, E}


@pytest.mark.parametrize(
    "cell",
    ["", "open", "done", "done 2024-06-05", "not-doing", "wip", "open 2024-06-05", "done 5 June"],
)
def test_the_json_schema_pattern_agrees_with_the_checks(cell: str) -> None:
    """`$defs.ActionItemStatus` in schema/postmortem.schema.json accepts exactly the cells
    whose shape `pmkb check` accepts (PM407)."""
    schema = json.loads((REPO / "schema" / "postmortem.schema.json").read_text(encoding="utf-8"))
    pattern = schema["$defs"]["ActionItemStatus"]["pattern"]
    parsed = parse_status_cell(cell)
    valid = parsed.status in ACTION_STATUSES and not (
        parsed.date_text and (parsed.status != "done" or parsed.has_bad_date)
    )
    assert bool(re.fullmatch(pattern, cell)) is valid
