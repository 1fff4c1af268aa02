"""The ledger as text for terminals and tools: the `pmkb actions` table, CSV and rate lines.

JSON is `ActionEntry.to_json`; CSV has the same columns in the same order. Rates are
printed with their counts, so a reader sees "3 / 4", not only "75%".
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Sequence

from postmortem_kb.learning.ledger import MARKDOWN_SOURCE, ActionEntry, Rates

CSV_COLUMNS = (
    "incident",
    "action",
    "category",
    "owner",
    "due",
    "status",
    "done_on",
    "ticket",
    "overdue",
)
_ACTION_WIDTH = 60


def actions_json(entries: Sequence[ActionEntry], as_of: dt.date) -> str:
    return json.dumps([e.to_json(as_of) for e in entries], indent=2, ensure_ascii=False) + "\n"


def actions_csv(entries: Sequence[ActionEntry], as_of: dt.date) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for entry in entries:
        row = entry.to_json(as_of)
        writer.writerow(
            [
                "" if row[c] is None else str(row[c]).lower() if c == "overdue" else row[c]
                for c in CSV_COLUMNS
            ]
        )
    return out.getvalue()


def status_text(entry: ActionEntry, as_of: dt.date) -> str:
    """`overdue 12 d`, `open`, `done 2024-06-05`, `done`, `not-doing`."""
    if entry.is_overdue(as_of) and entry.due is not None:
        return f"overdue {(as_of - entry.due).days} d"
    if entry.done_on:
        return f"done {entry.done_on.isoformat()}"
    return entry.status


def source_text(entry: ActionEntry) -> str:
    """Where the status came from and when: `jira 2026-12-01 21:30Z`, or `markdown`."""
    if entry.status_fetched_at is None:
        return entry.status_source
    return f"{entry.status_source} {entry.status_fetched_at.astimezone(dt.UTC):%Y-%m-%d %H:%MZ}"


def actions_table(entries: Sequence[ActionEntry], as_of: dt.date) -> str:
    """One line per item: due, status, owner, ticket, incident, action (shortened); with a
    Source column (`source_text`) after the status when any status is not the file's."""
    sourced = any(e.status_source != MARKDOWN_SOURCE for e in entries)
    header = (
        "Due",
        "Status",
        *(("Source",) if sourced else ()),
        "Owner",
        "Ticket",
        "Incident",
        "Action",
    )
    rows = [
        (
            e.due.isoformat() if e.due else "-",
            status_text(e, as_of),
            *((source_text(e),) if sourced else ()),
            e.owner or "-",
            e.ticket or "-",
            e.incident,
            _shorten(e.action),
        )
        for e in entries
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header) - 1)]
    lines = []
    for row in [header, *rows]:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    return "\n".join(lines)


def _shorten(text: str) -> str:
    return text if len(text) <= _ACTION_WIDTH else text[: _ACTION_WIDTH - 1] + "\u2026"


def percent(rate: float | None) -> str:
    return "n/a" if rate is None else f"{rate:.0%}"


def rates_lines(rates: Rates, as_of: dt.date) -> list[str]:
    """The counts and both rates, with a warning under the threshold."""
    below = f" (below the {rates.threshold:.0%} threshold)"
    completion = (
        f"completion rate {percent(rates.completion_rate)} "
        f"(done {rates.done} / done + open {rates.done + rates.open})"
        + (below if rates.completion_warning else "")
    )
    on_time = (
        f"on-time rate {percent(rates.on_time_rate)} "
        f"(done by the due date {rates.on_time} / due by {as_of} {rates.due})"
        + (below if rates.on_time_warning else "")
    )
    counts = (
        f"{rates.open} open ({rates.overdue} overdue as of {as_of}), {rates.done} done"
        f"{f' ({rates.done_undated} without a done date)' if rates.done_undated else ''}, "
        f"{rates.not_doing} not-doing"
    )
    return [counts, completion, on_time]
