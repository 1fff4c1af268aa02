"""What `pmkb tickets` prints: one row per action item with a ticket, the file's status
beside the tracker's, and how old the tracker's word is."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from postmortem_kb.format.durations import format_duration
from postmortem_kb.format.model import PostMortem
from postmortem_kb.trackers.lookup import TicketLookup

NO_TRACKER = "(no tracker)"
NOT_CACHED = "(not fetched)"


@dataclass(frozen=True)
class TicketRow:
    incident: str
    path: str
    line: int
    ticket: str  # the cell as written
    tracker: str | None
    key: str | None
    file_status: str
    file_done_on: dt.date | None
    status: str | None  # by the tracker; None when not cached
    done_on: dt.date | None
    resolution: str | None
    assignee: str | None
    title: str | None
    fetched_at: dt.datetime | None
    not_found_since: dt.datetime | None

    def to_json(self) -> dict[str, Any]:
        def iso(value: dt.date | None) -> str | None:
            return value.isoformat() if value else None

        return {
            "incident": self.incident,
            "path": self.path,
            "line": self.line,
            "ticket": self.ticket,
            "tracker": self.tracker,
            "key": self.key,
            "file_status": self.file_status,
            "file_done_on": iso(self.file_done_on),
            "status": self.status,
            "done_on": iso(self.done_on),
            "resolution": self.resolution,
            "assignee": self.assignee,
            "title": self.title,
            "fetched_at": iso(self.fetched_at),
            "not_found_since": iso(self.not_found_since),
        }


def ticket_rows(postmortems: Iterable[PostMortem], lookup: TicketLookup) -> list[TicketRow]:
    rows = []
    for pm in sorted(postmortems, key=lambda p: p.id):
        for item in pm.action_items:
            if not item.ticket.strip():
                continue
            ref = lookup.ref(item.ticket)
            cached = lookup.cached(item.ticket)
            status = lookup.status(item.ticket)
            rows.append(
                TicketRow(
                    incident=pm.id,
                    path=pm.source_path,
                    line=item.line,
                    ticket=item.ticket,
                    tracker=ref.tracker if ref else None,
                    key=ref.key if ref else None,
                    file_status=item.status,
                    file_done_on=item.done_on,
                    status=status.status if status else None,
                    done_on=status.done_on if status else None,
                    resolution=cached.state.resolution if cached else None,
                    assignee=cached.state.assignee if cached else None,
                    title=cached.state.title if cached else None,
                    fetched_at=cached.fetched_at if cached else None,
                    not_found_since=lookup.missing_since(item.ticket),
                )
            )
    return rows


def rows_table(rows: Iterable[TicketRow], now: dt.datetime) -> str:
    header = ("incident", "ticket", "file", "tracker", "closed", "assignee", "fetched")
    lines = [header]
    for row in rows:
        if row.tracker is None:
            tracker, fetched = NO_TRACKER, ""
        elif row.status is None:
            tracker, fetched = ("not found" if row.not_found_since else NOT_CACHED), ""
        else:
            tracker = row.status + (f" ({row.resolution})" if row.resolution else "")
            fetched = f"{format_duration(now - row.fetched_at)} ago" if row.fetched_at else ""
        file_status = row.file_status + (f" {row.file_done_on}" if row.file_done_on else "")
        lines.append(
            (
                row.incident,
                row.key or row.ticket,
                file_status,
                tracker,
                row.done_on.isoformat() if row.done_on else "",
                row.assignee or "",
                fetched,
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join(
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in lines
    )
