"""What a tracker says about one ticket, whatever the tracker: `TicketState`."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

OPEN: Literal["open"] = "open"
CLOSED: Literal["closed"] = "closed"


@dataclass(frozen=True)
class TicketState:
    """A ticket as its tracker answered: open or closed, why, when, whose, and its title."""

    state: Literal["open", "closed"]
    resolution: str | None  # Jira's resolution, GitHub's state_reason; None for GitLab
    closed_at: dt.datetime | None  # aware; None while open (or when the tracker has none)
    assignee: str | None
    title: str
    url: str | None = None  # the web page, when the tracker says

    @property
    def is_closed(self) -> bool:
        return self.state == CLOSED

    @property
    def closed_on(self) -> dt.date | None:
        """The day it was closed, in UTC (the archive's dates are UTC)."""
        return self.closed_at.astimezone(dt.UTC).date() if self.closed_at else None

    def to_json(self) -> dict[str, Any]:
        return {
            "state": self.state,
            "resolution": self.resolution,
            "closed_at": self.closed_at.isoformat() if self.closed_at else None,
            "assignee": self.assignee,
            "title": self.title,
            "url": self.url,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TicketState:
        """The inverse of `to_json`; KeyError, TypeError or ValueError on anything else."""
        state = data["state"]
        if state not in (OPEN, CLOSED):
            raise ValueError(f"state {state!r} is not open or closed")
        return cls(
            state=state,
            resolution=_optional_text(data.get("resolution")),
            closed_at=parse_timestamp(data.get("closed_at")),
            assignee=_optional_text(data.get("assignee")),
            title=str(data.get("title") or ""),
            url=_optional_text(data.get("url")),
        )


def parse_timestamp(value: object) -> dt.datetime | None:
    """An ISO 8601 timestamp as the trackers write them (`2024-06-05T10:00:00Z`, Jira's
    `2024-06-05T10:00:00.000+0000`), made aware (UTC when it has no offset)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise TypeError(f"timestamp {value!r} is not a string")
    moment = dt.datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _optional_text(value: object) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise TypeError(f"{value!r} is not a string")
    return value
