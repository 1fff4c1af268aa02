"""Which tracker a Ticket cell belongs to, and the ticket's canonical key there.

A cell may be a key (`PAY-1432`), `owner/repo#123`, `group/sub/project#12`, a full issue
URL, or a Markdown link (`[PAY-1432](https://jira.example.com/browse/PAY-1432)`, `<url>`)
to one. A URL goes to the tracker whose web address it is under; anything else to the
first tracker whose `keys` pattern matches it whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from postmortem_kb.trackers.settings import TrackerSettings

_MARKDOWN_LINK = re.compile(r"^\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)$")
_AUTOLINK = re.compile(r"^<(?P<url>https?://[^>]+)>$")

# The issue part of a web URL, after the tracker's web address.
_URL_PATHS: dict[str, re.Pattern[str]] = {
    "jira": re.compile(r"^/browse/(?P<key>[A-Za-z][A-Za-z0-9_]*-\d+)/?$"),
    "github": re.compile(r"^/(?P<project>[\w.-]+/[\w.-]+)/(?:issues|pull)/(?P<number>\d+)/?$"),
    "gitlab": re.compile(
        r"^/(?P<project>[\w.-]+(?:/[\w.-]+)+?)(?:/-)?/(?:issues|work_items)/(?P<number>\d+)/?$"
    ),
}


@dataclass(frozen=True, order=True)
class TicketRef:
    """A ticket in one tracker: `key` is `PAY-1432` (Jira) or `project#number`."""

    tracker: str  # the tracker's label
    key: str

    @property
    def cache_key(self) -> str:
        return f"{self.tracker}:{self.key}"

    @property
    def project(self) -> str:
        """GitHub's owner/repo or GitLab's group/project (empty for Jira)."""
        return self.key.rpartition("#")[0]

    @property
    def number(self) -> str:
        return self.key.rpartition("#")[2]

    def __str__(self) -> str:
        return f"{self.tracker} {self.key}"


def match_ticket(cell: str, trackers: Sequence[TrackerSettings]) -> TicketRef | None:
    """The ticket a Ticket cell names, or None when no tracker claims it."""
    for candidate in _candidates(cell):
        if not candidate:
            continue
        if candidate.startswith(("http://", "https://")):
            ref = _match_url(candidate, trackers)
        else:
            ref = _match_key(candidate, trackers)
        if ref is not None:
            return ref
    return None


def _candidates(cell: str) -> Iterator[str]:
    text = cell.strip()
    if link := _MARKDOWN_LINK.match(text):
        yield link.group("url")
        yield link.group("text").strip().strip("`")
    elif autolink := _AUTOLINK.match(text):
        yield autolink.group("url")
    else:
        yield text.strip("`")


def _match_key(text: str, trackers: Sequence[TrackerSettings]) -> TicketRef | None:
    for tracker in trackers:
        if tracker.key_pattern.fullmatch(text):
            return TicketRef(tracker.label, text)
    return None


def _match_url(url: str, trackers: Sequence[TrackerSettings]) -> TicketRef | None:
    for tracker in trackers:
        base = tracker.browse_url
        if not url.lower().startswith(base.lower() + "/"):
            continue
        path = url[len(base) :].split("?", 1)[0].split("#", 1)[0]
        found = _URL_PATHS[tracker.kind].match(path)
        if found is None:
            continue
        if tracker.kind == "jira":
            return TicketRef(tracker.label, found.group("key").upper())
        return TicketRef(tracker.label, f"{found.group('project')}#{found.group('number')}")
    return None
