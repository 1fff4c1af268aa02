"""GitHub and GitHub Enterprise: `GET /repos/{owner}/{repo}/issues/{number}`.

`state` is open or closed; `state_reason` (completed, not_planned, duplicate, reopened) is
the resolution; `closed_at` the date. Errors come as `{"message": ..., "documentation_url": ...}`.
A repository that moved answers 301, which is followed.
"""

from __future__ import annotations

from typing import Any

from postmortem_kb.trackers.answers import MalformedAnswer, text
from postmortem_kb.trackers.keys import TicketRef
from postmortem_kb.trackers.settings import TrackerSettings
from postmortem_kb.trackers.state import CLOSED, OPEN, TicketState, parse_timestamp


class GitHubApi:
    def request(self, tracker: TrackerSettings, ref: TicketRef) -> tuple[str, dict[str, str]]:
        return f"{tracker.api_url}/repos/{ref.project}/issues/{ref.number}", {}

    def headers(self, token: str | None, user: str | None) -> dict[str, str]:
        headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": "2022-11-28"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    def parse(self, tracker: TrackerSettings, ref: TicketRef, payload: Any) -> TicketState:
        if not isinstance(payload, dict):
            raise MalformedAnswer("not an object")
        state = payload.get("state")
        if state not in (OPEN, CLOSED):
            raise MalformedAnswer(f"state {state!r} is not open or closed")
        try:
            closed_at = parse_timestamp(payload.get("closed_at"))
        except (TypeError, ValueError) as err:
            raise MalformedAnswer(f"closed_at: {err}") from err
        return TicketState(
            state=state,
            resolution=text(payload, "state_reason") if state == CLOSED else None,
            closed_at=closed_at if state == CLOSED else None,
            assignee=text(payload, "assignee", "login"),
            title=text(payload, "title") or "",
            url=text(payload, "html_url"),
        )

    def error_text(self, payload: Any) -> str:
        return str(payload.get("message") or "") if isinstance(payload, dict) else ""
