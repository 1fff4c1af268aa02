"""Jira (Cloud, Server, Data Center): `GET /rest/api/2/issue/{key}?fields=...`.

A ticket is closed when its status is in the "done" category (whatever the workflow calls
the status); its resolution ("Done", "Won't Do") and `resolutiondate` say how and when.
Errors come as `{"errorMessages": [...], "errors": {...}}`.
"""

from __future__ import annotations

import base64
from typing import Any

from postmortem_kb.trackers.answers import MalformedAnswer, field, text
from postmortem_kb.trackers.keys import TicketRef
from postmortem_kb.trackers.settings import TrackerSettings
from postmortem_kb.trackers.state import CLOSED, OPEN, TicketState, parse_timestamp

FIELDS = "status,resolution,resolutiondate,assignee,summary"


class JiraApi:
    def request(self, tracker: TrackerSettings, ref: TicketRef) -> tuple[str, dict[str, str]]:
        return f"{tracker.api_url}/rest/api/2/issue/{ref.key}", {"fields": FIELDS}

    def headers(self, token: str | None, user: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token and user:  # Jira Cloud: e-mail and API token
            pair = base64.b64encode(f"{user}:{token}".encode()).decode()
            headers["Authorization"] = f"Basic {pair}"
        elif token:  # Server / Data Center personal access token
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def parse(self, tracker: TrackerSettings, ref: TicketRef, payload: Any) -> TicketState:
        if not isinstance(payload, dict) or not isinstance(payload.get("fields"), dict):
            raise MalformedAnswer("no `fields` object")
        category = text(payload, "fields", "status", "statusCategory", "key")
        if category is None:
            raise MalformedAnswer("no fields.status.statusCategory.key")
        try:
            closed_at = parse_timestamp(field(payload, "fields", "resolutiondate"))
        except (TypeError, ValueError) as err:
            raise MalformedAnswer(f"fields.resolutiondate: {err}") from err
        assignee = field(payload, "fields", "assignee")
        return TicketState(
            state=CLOSED if category == "done" else OPEN,
            resolution=text(payload, "fields", "resolution", "name"),
            closed_at=closed_at if category == "done" else None,
            assignee=(
                text(payload, "fields", "assignee", "displayName")
                or text(payload, "fields", "assignee", "name")
                if assignee
                else None
            ),
            title=text(payload, "fields", "summary") or "",
            url=f"{tracker.browse_url}/browse/{ref.key}",
        )

    def error_text(self, payload: Any) -> str:
        if not isinstance(payload, dict):
            return ""
        messages = payload.get("errorMessages")
        parts = [str(m) for m in messages] if isinstance(messages, list) else []
        errors = payload.get("errors")
        if isinstance(errors, dict):
            parts += [f"{name}: {message}" for name, message in errors.items()]
        return "; ".join(parts)
