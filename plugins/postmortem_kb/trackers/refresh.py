"""`pmkb tickets --refresh`: the tickets the action items name, fetched, merged into the
cache, and one line for each that could not be fetched.

A good answer replaces the ticket's cached state; a 404 is recorded beside it (PM803);
any other failure changes nothing in the cache. The cache file is written once, at the end.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from postmortem_kb.format.model import PostMortem
from postmortem_kb.trackers.cache import CacheError, TicketCache, load_cache, save_cache
from postmortem_kb.trackers.fetch import Failure, Fetched, FetchFailed, Progress, fetch_tickets
from postmortem_kb.trackers.keys import TicketRef, match_ticket
from postmortem_kb.trackers.settings import TrackerSettings


@dataclass(frozen=True)
class TicketPlan:
    """The distinct tickets the action items name, in the order first named, and the
    Ticket cells no tracker claims."""

    refs: list[TicketRef]
    unmatched: list[str]


def referenced_tickets(
    postmortems: Iterable[PostMortem], trackers: Sequence[TrackerSettings]
) -> TicketPlan:
    refs: dict[TicketRef, None] = {}
    unmatched: dict[str, None] = {}
    for pm in postmortems:
        for item in pm.action_items:
            if not item.ticket.strip():
                continue
            ref = match_ticket(item.ticket, trackers)
            if ref is None:
                unmatched[item.ticket] = None
            else:
                refs[ref] = None
    return TicketPlan(list(refs), list(unmatched))


@dataclass
class RefreshReport:
    fetched: list[Fetched] = field(default_factory=list)
    failed: list[FetchFailed] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # one per failure, and a broken cache

    def summary(self, path: str) -> str:
        total = len(self.fetched) + len(self.failed)
        text = f"{len(self.fetched)} of {total} ticket(s) fetched into {path}"
        return text + (
            f"; {len(self.failed)} not (their cached state is kept)" if self.failed else ""
        )


def refresh_tickets(
    path: Path,
    refs: Sequence[TicketRef],
    trackers: Sequence[TrackerSettings],
    env: Mapping[str, str],
    *,
    progress: Progress | None = None,
) -> RefreshReport:
    """Fetch `refs` and merge the answers into the cache at `path`."""
    report = RefreshReport()
    try:
        cache = load_cache(path) or TicketCache()
    except CacheError as err:  # unreadable: nothing in it to keep; rebuilt from the answers
        report.lines.append(f"{err}; writing a new one")
        cache = TicketCache()
    for result in fetch_tickets(refs, trackers, env, progress=progress):
        if isinstance(result, Fetched):
            cache.record(result.ref, result.state, result.at)
            report.fetched.append(result)
            continue
        report.failed.append(result)
        report.lines.append(_failure_line(result, cache))
        if result.failure is Failure.NOT_FOUND:
            cache.record_not_found(result.ref, result.at)
    if report.fetched or any(f.failure is Failure.NOT_FOUND for f in report.failed):
        save_cache(path, cache)
    return report


def _failure_line(failed: FetchFailed, cache: TicketCache) -> str:
    previous = cache.get(failed.ref)
    kept = (
        f"kept the state fetched {previous.fetched_at:%Y-%m-%d %H:%M} UTC"
        if previous
        else "nothing cached for it"
    )
    return f"{failed.ref.tracker} {failed.ref.key}: {failed.reason}; {kept}"
