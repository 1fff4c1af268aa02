"""The export: every incident with its metrics, factors and action items, as one JSON object
(`incidents.json` on the site, `pmkb export`) or CSV (one row per incident).

The object's shape is `schema/incidents.schema.json`, versioned by `SCHEMA_VERSION`
(semantic: a new optional field is a minor version, anything else a major one):

    {"schema_version", "as_of", "incidents": [...], "summary": {"completion_rate",
     "on_time_rate", "recurrence_rate"}}

Durations are whole seconds, null when not recorded; rates are fractions in [0, 1], null
when there is nothing to divide by. Action items are the objects of `pmkb actions --format
json` (`ActionEntry.to_json`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from postmortem_kb.format.frontmatter import ContributingFactor
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.ledger import ActionEntry, Ledger, build_ledger, rates
from postmortem_kb.learning.metrics import incident_metrics
from postmortem_kb.learning.recurrence import Recurrence, analyse

SCHEMA_VERSION = "1.0.0"
CSV_COLUMNS = (
    "id",
    "title",
    "date",
    "severity",
    "services",
    "tags",
    "time_to_detect_s",
    "time_to_mitigate_s",
    "time_to_resolve_s",
    "factors",
    "factor_keys",
    "actions_open",
    "actions_done",
    "actions_not_doing",
    "actions_overdue",
)


EXPORT_URI = "incidents.json"  # where the built site holds the export


def factor_json(factor: ContributingFactor) -> dict[str, Any]:
    return {
        "category": factor.category,
        "description": factor.description,
        "key": factor.key,
        "known_risk": factor.known_risk,
    }


def _ordered(postmortems: Sequence[PostMortem]) -> list[PostMortem]:
    return sorted(postmortems, key=lambda pm: (pm.meta.date or dt.date.min, pm.id))


def incident_json(pm: PostMortem, actions: Sequence[ActionEntry], as_of: dt.date) -> dict[str, Any]:
    """One incident of the export; `actions` are its ledger entries."""
    metrics = incident_metrics(pm)
    return {
        "id": pm.id,
        "title": pm.title,
        "date": pm.meta.date.isoformat() if pm.meta.date else None,
        "severity": pm.meta.severity,
        "services": list(pm.meta.services),
        "tags": list(pm.meta.tags),
        "time_to_detect_s": metrics.time_to_detect_s,
        "time_to_mitigate_s": metrics.time_to_mitigate_s,
        "time_to_resolve_s": metrics.time_to_resolve_s,
        "factors": [factor_json(f) for f in pm.meta.contributing_factors],
        "action_items": [entry.to_json(as_of) for entry in actions],
    }


def export_data(
    postmortems: Sequence[PostMortem],
    as_of: dt.date,
    ledger: Ledger | None = None,
    found: Recurrence | None = None,
) -> dict[str, Any]:
    """The export object; `ledger` defaults to the Markdown statuses of `postmortems`,
    `found` to their recurrence (a site that has both already passes them)."""
    ledger = ledger or build_ledger(postmortems)
    found = found or analyse(postmortems)
    totals = rates(ledger.entries, as_of, threshold=0.0)
    by_incident: dict[str, list[ActionEntry]] = defaultdict(list)
    for entry in ledger.entries:
        by_incident[entry.incident].append(entry)
    return {
        "schema_version": SCHEMA_VERSION,
        "as_of": as_of.isoformat(),
        "incidents": [incident_json(pm, by_incident[pm.id], as_of) for pm in _ordered(postmortems)],
        "summary": {
            "completion_rate": totals.completion_rate,
            "on_time_rate": totals.on_time_rate,
            "recurrence_rate": found.rate,
        },
    }


def export_json(data: dict[str, Any], indent: int | None = 2) -> str:
    """The export as JSON text; `indent=None` is compact, and about 3x faster to write
    (Python's C encoder does not indent)."""
    return json.dumps(data, indent=indent, ensure_ascii=False) + "\n"


def export_csv(data: dict[str, Any]) -> str:
    """One row per incident of `export_data`'s object; lists joined with `;`, null empty."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for incident in data["incidents"]:
        actions = incident["action_items"]
        factors = incident["factors"]

        def count(status: str, items: list[dict[str, Any]] = actions) -> int:
            return sum(a["status"] == status for a in items)

        writer.writerow(
            [
                incident["id"],
                incident["title"],
                incident["date"] or "",
                incident["severity"] or "",
                ";".join(incident["services"]),
                ";".join(incident["tags"]),
                *(_blank(incident[f"time_to_{m}_s"]) for m in ("detect", "mitigate", "resolve")),
                len(factors),
                ";".join(f["key"] for f in factors if f["key"]),
                count("open"),
                count("done"),
                count("not-doing"),
                sum(a["overdue"] for a in actions),
            ]
        )
    return out.getvalue()


def _blank(value: int | None) -> str:
    return "" if value is None else str(value)
