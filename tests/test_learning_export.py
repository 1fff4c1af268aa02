"""The monthly digest and the export, on the fixture KB (tests/learning_kb.py)."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser
from pathlib import Path

import jsonschema
import pytest
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.digest import (
    digest_html,
    digest_json,
    digest_markdown,
    digest_months,
    monthly_digest,
)
from postmortem_kb.learning.export import SCHEMA_VERSION, export_csv, export_data

from .conftest import REPO
from .learning_kb import AS_OF, A, B, C, D, E, load_kb

SCHEMA = json.loads((REPO / "schema" / "incidents.schema.json").read_text(encoding="utf-8"))


@pytest.fixture
def postmortems(tmp_path: Path) -> list[PostMortem]:
    return load_kb(tmp_path)


def test_digest_months_and_entries(postmortems: list[PostMortem]) -> None:
    assert digest_months(postmortems) == ["2024-03", "2025-01", "2025-02", "2025-04"]
    april = monthly_digest(postmortems, "2025-04")
    assert april.title == "Post-mortem digest, April 2025"
    assert [e.id for e in april.entries] == [C, E]
    assert monthly_digest(postmortems, "2025-03").entries == ()
    with pytest.raises(ValueError, match="YYYY-MM"):
        monthly_digest(postmortems, "April")


def test_digest_paragraphs_skip_internal_blocks_and_stop_at_two(
    postmortems: list[PostMortem],
) -> None:
    (entry,) = monthly_digest(postmortems, "2025-01").entries
    assert entry.paragraphs == (
        "The `api` pool filled up just before midnight. Requests queued and timed out.",
        "We raised the pool limit and the queue drained.",
        "**Impact:** Orders failed for 30 minutes.",
    )
    assert [f.description for f in entry.factors] == [
        "No alert on connection pool saturation",
        "Config-only deploys skip the canary stage",
    ]
    assert [a.ticket for a in entry.actions] == ["OPS-1", "OPS-2", "OPS-3", "OPS-4"]


def test_digest_markdown(postmortems: list[PostMortem]) -> None:
    text = digest_markdown(monthly_digest(postmortems, "2025-01"))
    assert text.startswith("# Post-mortem digest, January 2025\n\n## Orders failed overnight")
    assert f"2025-01-10 · SEV2 · api, db · `{A}`" in text
    assert "- No alert on connection pool saturation (technical, key `no-pool-alert`)" in text
    assert "| Capacity check in CI | @marco | 2025-02-28 | done 2025-03-10 |" in text
    assert "| Update the pool runbook | @dana | 2025-02-15 | done |" in text
    assert "## Timeline" not in text and "00:00" not in text
    assert "on-call was paged" not in text and "Fernhill" not in text
    assert "No post-mortems this month." in digest_markdown(monthly_digest(postmortems, "2023-01"))


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_digest_html_escapes_and_renders_inline_markdown(
    postmortems: list[PostMortem], tmp_path: Path
) -> None:
    page = digest_html(monthly_digest(postmortems, "2025-01"))
    assert page.startswith("<!DOCTYPE html>")
    assert "<code>api</code>" in page and "<strong>Impact:</strong>" in page
    parser = _Text()
    parser.feed(page)
    assert parser.tags.count("article") == 1 and parser.tags.count("tr") == 5
    assert "Capacity check in CI" in "".join(parser.text)
    hostile = [pm for pm in postmortems if pm.id == B]
    hostile[0].meta.title = "<script>alert(1)</script>"
    assert "<script>" not in digest_html(monthly_digest(hostile, "2025-02"))


def test_digest_json(postmortems: list[PostMortem]) -> None:
    data = digest_json(monthly_digest(postmortems, "2025-02"), AS_OF)
    assert data["month"] == "2025-02"
    (entry,) = data["postmortems"]
    assert entry["id"] == B and entry["severity"] == "SEV1" and entry["status"] == "published"
    assert [a["ticket"] for a in entry["action_items"] if a["overdue"]] == ["FLAG-1"]
    assert entry["factors"][0] == {
        "category": "process",
        "description": "Config-only deploys bypass the canary stage",
        "key": None,
        "known_risk": False,
    }
    json.dumps(data)  # serialisable


def test_export_matches_the_hand_computed_figures(postmortems: list[PostMortem]) -> None:
    data = export_data(postmortems, AS_OF)
    jsonschema.validate(data, SCHEMA)
    assert data["schema_version"] == SCHEMA_VERSION and data["as_of"] == "2025-07-01"
    incidents = {i["id"]: i for i in data["incidents"]}
    assert [i["id"] for i in data["incidents"]] == [D, A, B, C, E]
    assert (
        incidents[B]["time_to_detect_s"],
        incidents[B]["time_to_mitigate_s"],
        incidents[B]["time_to_resolve_s"],
    ) == (1200, None, 7200)
    assert incidents[D]["time_to_resolve_s"] is None
    assert incidents[A]["services"] == ["api", "db"] and incidents[A]["tags"] == ["capacity"]
    assert incidents[C]["factors"][1]["key"] == "config-skip-canary"
    assert [a["ticket"] for a in incidents[C]["action_items"]] == ["OPS-5", "OPS-6", "OPS-7"]
    assert incidents[C]["action_items"][1]["overdue"] is True
    summary = data["summary"]
    assert summary["completion_rate"] == pytest.approx(8 / 12)
    assert summary["on_time_rate"] == pytest.approx(4 / 9)
    assert summary["recurrence_rate"] == pytest.approx(3 / 5)


def test_an_empty_export_is_valid_with_null_rates() -> None:
    data = export_data([], AS_OF)
    jsonschema.validate(data, SCHEMA)
    assert data["summary"] == {
        "completion_rate": None,
        "on_time_rate": None,
        "recurrence_rate": None,
    }


def test_the_schema_rejects_what_it_must() -> None:
    bad = {"schema_version": "1.0.0", "as_of": "2025-07-01", "incidents": [], "summary": {}}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, SCHEMA)
    rate = {"completion_rate": 1.5, "on_time_rate": None, "recurrence_rate": None}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({**bad, "summary": rate}, SCHEMA)


def test_export_csv_one_row_per_incident(postmortems: list[PostMortem]) -> None:
    rows = list(csv.DictReader(io.StringIO(export_csv(export_data(postmortems, AS_OF)))))
    assert [r["id"] for r in rows] == [D, A, B, C, E]
    a = rows[1]
    assert (a["services"], a["time_to_mitigate_s"], a["factor_keys"]) == (
        "api;db",
        "1800",
        "no-pool-alert",
    )
    assert (a["actions_open"], a["actions_done"], a["actions_not_doing"]) == ("0", "3", "1")
    assert rows[2]["time_to_mitigate_s"] == "" and rows[2]["actions_overdue"] == "1"
