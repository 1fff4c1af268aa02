"""GitLab: `GET /api/v4/projects/{url-encoded path}/issues/{iid}`.

`state` is `opened` or `closed`, with `closed_at`; GitLab has no resolution, so a closed
issue is done unless it carries a label named in the tracker's `not_doing`. Errors come as
`{"message": "404 Not found"}` (or `{"error": ...}` for authentication).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from postmortem_kb.trackers.answers import MalformedAnswer, field, text
from postmortem_kb.trackers.keys import TicketRef
from postmortem_kb.trackers.settings import TrackerSettings
from postmortem_kb.trackers.state import CLOSED, OPEN, TicketState, parse_timestamp


class GitLabApi:
    def request(self, tracker: TrackerSettings, ref: TicketRef) -> tuple[str, dict[str, str]]:
        project = quote(ref.project, safe="")
        return f"{tracker.api_url}/projects/{project}/issues/{ref.number}", {}

    def headers(self, token: str | None, user: str | None) -> dict[str, str]:
        headers = {"Accept": "application/json"}
        if token:  # not PRIVATE-TOKEN: httpx drops Authorization on a redirect to another host
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def parse(self, tracker: TrackerSettings, ref: TicketRef, payload: Any) -> TicketState:
        if not isinstance(payload, dict):
            raise MalformedAnswer("not an object")
        state = payload.get("state")
        if state not in ("opened", CLOSED):
            raise MalformedAnswer(f"state {state!r} is not opened or closed")
        try:
            closed_at = parse_timestamp(payload.get("closed_at"))
        except (TypeError, ValueError) as err:
            raise MalformedAnswer(f"closed_at: {err}") from err
        labels = field(payload, "labels") or []
        if not isinstance(labels, list):
            raise MalformedAnswer("labels is not a list")
        not_doing = [str(label) for label in labels if tracker.is_not_doing(str(label))]
        closed = state == CLOSED
        return TicketState(
            state=CLOSED if closed else OPEN,
            resolution=not_doing[0] if closed and not_doing else None,
            closed_at=closed_at if closed else None,
            assignee=text(payload, "assignee", "username"),
            title=text(payload, "title") or "",
            url=text(payload, "web_url"),
        )

    def error_text(self, payload: Any) -> str:
        if not isinstance(payload, dict):
            return ""
        message = payload.get("message") or payload.get("error_description") or payload.get("error")
        return str(message or "")
