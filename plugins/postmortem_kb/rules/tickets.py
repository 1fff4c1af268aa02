"""The rules between the action items and their tickets (PM801-PM804): a file and its
tracker that disagree, a ticket that does not exist, a ticket closed after its due date.

They read the tickets cache only (`trackers.lookup`), so `pmkb check` stays offline; without
trackers or a cache they report nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.model import ActionItem, PostMortem
from postmortem_kb.learning.ledger import DONE, NOT_DOING, OPEN
from postmortem_kb.project import Project
from postmortem_kb.trackers.lookup import TicketLookup, load_lookup


def tracker_diagnostics(project: Project, postmortems: Iterable[PostMortem]) -> list[Diagnostic]:
    """PM801-PM804 for `postmortems`, from the project's tickets cache (`CacheError` when
    the cache is broken)."""
    lookup = load_lookup(project.root, project.config.trackers)
    if lookup is None:
        return []
    return [
        d for pm in postmortems for item in pm.action_items for d in check_ticket(pm, item, lookup)
    ]


def check_ticket(pm: PostMortem, item: ActionItem, lookup: TicketLookup) -> Iterator[Diagnostic]:
    ref = lookup.ref(item.ticket)
    if ref is None:
        return
    if (since := lookup.missing_since(item.ticket)) is not None:
        yield make(
            pm.source_path,
            item.line,
            "PM803",
            f"{ref.tracker} answered that {ref.key} does not exist (on {since:%Y-%m-%d})",
        )
        return
    tracked = lookup.status(item.ticket)
    if tracked is None:
        return
    cached = lookup.cached(item.ticket)
    resolution = cached.state.resolution if cached else None
    if item.status == OPEN and tracked.status != OPEN:
        closed = f" on {tracked.done_on}" if tracked.done_on else ""
        why = f" as {resolution!r}" if resolution else ""
        word = f"done {tracked.done_on}" if tracked.done_on else tracked.status
        yield make(
            pm.source_path,
            item.line,
            "PM801",
            f"the file says open, but {ref.key} was closed{closed}{why} in {ref.tracker}",
            hint=f"Write `{word}` in the Status column, or reopen {ref.key} if the work is not done.",
        )
    elif item.status in (DONE, NOT_DOING) and tracked.status == OPEN:
        yield make(
            pm.source_path,
            item.line,
            "PM802",
            f"the file says {item.status}, but {ref.key} is open in {ref.tracker}",
            hint=f"Close {ref.key} in {ref.tracker}, or set the Status back to `open`.",
        )
    if (
        tracked.status == DONE
        and tracked.done_on is not None
        and item.due is not None
        and tracked.done_on > item.due
    ):
        late = (tracked.done_on - item.due).days
        yield make(
            pm.source_path,
            item.line,
            "PM804",
            f"{ref.key} was closed on {tracked.done_on}, {late} day(s) after its due date {item.due}",
        )
