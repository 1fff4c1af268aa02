"""What the tickets cache says about an action item: its ticket, the cached state, and the
item's status by the tracker (a closed ticket is done on its close date, unless its
resolution is one of the tracker's `not_doing`).

`TicketLookup.status_source` is the ledger's status source (`learning.ledger.resolve_status`
asks it first, then the Markdown Status cell), so the tracker's word wins wherever a cache
exists, and the Markdown is used where it does not.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from postmortem_kb.format.model import ActionItem, PostMortem
from postmortem_kb.learning.ledger import DONE, NOT_DOING, OPEN, ResolvedStatus, StatusSource
from postmortem_kb.trackers.cache import CachedTicket, TicketCache, cache_path, load_cache
from postmortem_kb.trackers.keys import TicketRef, match_ticket
from postmortem_kb.trackers.settings import TrackerSettings


@dataclass(frozen=True)
class TrackerStatus:
    """An item's status as its tracker says, and when the tracker said it."""

    status: str  # open, done or not-doing
    done_on: dt.date | None
    tracker: str
    fetched_at: dt.datetime


class TicketLookup:
    """The trackers' settings and the cache, answering per Ticket cell."""

    def __init__(self, trackers: Sequence[TrackerSettings], cache: TicketCache) -> None:
        self.trackers = {tracker.label: tracker for tracker in trackers}
        self._settings = list(trackers)
        self.cache = cache
        self._refs: dict[str, TicketRef | None] = {}

    def ref(self, ticket_cell: str) -> TicketRef | None:
        if ticket_cell not in self._refs:
            self._refs[ticket_cell] = match_ticket(ticket_cell, self._settings)
        return self._refs[ticket_cell]

    def cached(self, ticket_cell: str) -> CachedTicket | None:
        ref = self.ref(ticket_cell)
        return self.cache.get(ref) if ref else None

    def missing_since(self, ticket_cell: str) -> dt.datetime | None:
        ref = self.ref(ticket_cell)
        return self.cache.missing_since(ref) if ref else None

    def status(self, ticket_cell: str) -> TrackerStatus | None:
        """The item's status by its tracker; None when no tracker has it cached."""
        cached = self.cached(ticket_cell)
        if cached is None:
            return None
        state = cached.state
        if not state.is_closed:
            status, done_on = OPEN, None
        elif self.trackers[cached.ref.tracker].is_not_doing(state.resolution):
            status, done_on = NOT_DOING, None
        else:
            status, done_on = DONE, state.closed_on
        return TrackerStatus(status, done_on, cached.ref.tracker, cached.fetched_at)

    def status_source(self, pm: PostMortem, item: ActionItem) -> ResolvedStatus | None:
        """A `learning.ledger.StatusSource`."""
        found = self.status(item.ticket)
        if found is None:
            return None
        return ResolvedStatus(found.status, found.done_on, found.tracker, found.fetched_at)


def load_lookup(root: Path, trackers: Sequence[TrackerSettings]) -> TicketLookup | None:
    """The lookup of the knowledge base in `root`; None without trackers or without a cache.
    `cache.CacheError` when the cache file is broken."""
    if not trackers:
        return None
    cache = load_cache(cache_path(root))
    return TicketLookup(trackers, cache) if cache is not None else None


def status_sources(root: Path, trackers: Sequence[TrackerSettings]) -> list[StatusSource]:
    """The ledger's status sources for the knowledge base in `root`: the tracker cache when
    there is one, else none (the Markdown Status column decides)."""
    lookup = load_lookup(root, trackers)
    return [lookup.status_source] if lookup else []
