"""Whatever the post-mortems say, the learning figures are computed without an exception, and
the export always matches its schema (random timestamps, statuses, due dates and factors)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.format.parser import parse_text
from postmortem_kb.learning.digest import digest_html, digest_json, digest_markdown, monthly_digests
from postmortem_kb.learning.export import export_csv, export_data
from postmortem_kb.learning.ledger import build_ledger, rates, rates_by
from postmortem_kb.learning.metrics import METRICS, aggregate_by, all_metrics
from postmortem_kb.learning.recurrence import analyse, key_suggestions

from .conftest import REPO

SCHEMA = json.loads((REPO / "schema" / "incidents.schema.json").read_text(encoding="utf-8"))
AS_OF = dt.date(2025, 7, 1)

moments = st.one_of(
    st.none(),
    st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2025, 12, 31)).map(
        lambda d: d.isoformat()  # naive: PM107
    ),
    st.datetimes(
        min_value=dt.datetime(2024, 1, 1),
        max_value=dt.datetime(2025, 12, 31),
        timezones=st.sampled_from([dt.UTC, dt.timezone(dt.timedelta(hours=-5))]),
    ).map(lambda d: d.isoformat()),
    st.sampled_from(["yesterday", "2025-02-30T10:00:00Z", "12"]),
)
statuses = st.sampled_from(
    ["", "open", "done", "not-doing", "done 2025-03-01", "done 2030-01-01", "wip", "DONE",
     "done 2025-13-01", "open 2025-01-01", "not-doing 2025-01-01"]
)  # fmt: skip
dues = st.sampled_from(["2025-01-31", "2025-07-01", "2026-01-01", "", "soon", "2025-02-30"])
descriptions = st.sampled_from(
    ["No alert on pool saturation", "No alert on connection pool saturation", "Runbook old",
     "", "the of a", "Config-only deploys skip the canary stage"]
)  # fmt: skip
keys = st.sampled_from([None, "pool-alert", "Bad Key", "canary"])


@st.composite
def postmortem(draw: st.DrawFn, index: int) -> str:
    day = draw(st.dates(min_value=dt.date(2024, 1, 1), max_value=dt.date(2025, 12, 31)))
    stamps = {
        name: value
        for name in ("started", "detected", "mitigated", "resolved")
        if (value := draw(moments)) is not None
    }
    factors = [
        (draw(st.sampled_from(["technical", "process", "other"])), draw(descriptions), draw(keys))
        for _ in range(draw(st.integers(0, 3)))
    ]
    rows = [
        f"| Do {i} | Prevention | @{draw(st.sampled_from(['a', 'b', '']))} | {draw(dues)} "
        f"| T-{i} | {draw(statuses)} |"
        for i in range(draw(st.integers(0, 4)))
    ]
    front = [f"title: Incident {index}", f"date: {day}", "severity: SEV2", "services: [api]"]
    front += ["timestamps:", *(f"  {k}: {v}" for k, v in stamps.items())] if stamps else []
    if factors:
        front.append("contributing_factors:")
        for category, description, key in factors:
            front.append(f"  - category: {category}\n    description: '{description}'")
            front += [f"    key: {key}"] if key else []
    table = "| Action | Category | Owner | Due | Ticket | Status |\n|---|---|---|---|---|---|\n"
    body = f"## Summary\n\nText {index}.\n\n## Action items\n\n{table}" + "\n".join(rows)
    return "---\n" + "\n".join(front) + "\n---\n\n" + body + "\n"


@given(st.lists(st.integers(0, 10**6), min_size=0, max_size=6, unique=True).flatmap(
    lambda ids: st.tuples(*(postmortem(i) for i in ids))
))  # fmt: skip
@settings(max_examples=60, deadline=None)
def test_learning_figures_never_raise_and_the_export_stays_valid(texts: tuple[str, ...]) -> None:
    postmortems = []
    for index, text in enumerate(texts):
        name = f"2024-01-{index + 1:02d}-fuzz-{index}"
        result = parse_text(text, Path(f"{name}.md"), f"{name}.md")
        if result.postmortem is not None:
            postmortems.append(result.postmortem)
    ledger = build_ledger(postmortems)
    overall = rates(ledger.entries, AS_OF, 0.7)
    for rate in (overall.completion_rate, overall.on_time_rate):
        assert rate is None or 0 <= rate <= 1
    for group in ("quarter", "service", "owner"):
        rates_by(ledger.entries, group, AS_OF, 0.7)
    rows = all_metrics(postmortems)
    for metric in METRICS:
        for group in ("severity", "service", "quarter"):
            for aggregate in aggregate_by(rows, metric, group).values():
                assert all(v >= 0 for v in aggregate.values)
    analyse(postmortems)
    key_suggestions(postmortems)
    data = export_data(postmortems, AS_OF)
    jsonschema.validate(data, SCHEMA)
    export_csv(data)
    for digest in monthly_digests(postmortems):
        digest_markdown(digest)
        digest_html(digest)
        json.dumps(digest_json(digest, AS_OF))
