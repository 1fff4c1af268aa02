"""The REST API of each tracker kind behind one interface: what to ask for a ticket, how to
authenticate, how to read the answer into a `TicketState`, and the text of an error body.
The HTTP itself (timeouts, retries) is `fetch`'s."""

from __future__ import annotations

from typing import Any, Protocol

from postmortem_kb.trackers.github import GitHubApi
from postmortem_kb.trackers.gitlab import GitLabApi
from postmortem_kb.trackers.jira import JiraApi
from postmortem_kb.trackers.keys import TicketRef
from postmortem_kb.trackers.settings import TrackerSettings
from postmortem_kb.trackers.state import TicketState


class TrackerApi(Protocol):
    def request(self, tracker: TrackerSettings, ref: TicketRef) -> tuple[str, dict[str, str]]:
        """The URL and query parameters that fetch one ticket."""
        ...

    def headers(self, token: str | None, user: str | None) -> dict[str, str]:
        """Accept and authentication headers (none for a missing token)."""
        ...

    def parse(self, tracker: TrackerSettings, ref: TicketRef, payload: Any) -> TicketState:
        """The ticket in a 200 answer; `MalformedAnswer` when it is not one."""
        ...

    def error_text(self, payload: Any) -> str:
        """The message of an error answer's JSON body ('' when it has none)."""
        ...


_APIS: dict[str, TrackerApi] = {"jira": JiraApi(), "github": GitHubApi(), "gitlab": GitLabApi()}


def api_for(tracker: TrackerSettings) -> TrackerApi:
    return _APIS[tracker.kind]
