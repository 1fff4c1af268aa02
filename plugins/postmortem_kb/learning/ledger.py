"""The action-item ledger: every action item of every post-mortem, and how many get done.

Definitions (shown on the pages and in `pmkb actions`):

- **overdue** (as of a date): open, with a due date strictly before the as-of date;
- **completion rate** = done / (done + open); not-doing items are left out;
- **on-time rate** = items done on or before their due date / items due on or before the
  as-of date; not-doing items are left out of both, and so are done items whose done date is
  not recorded (`done` without a date: whether it was on time is not known; they are
  counted in `Rates.done_undated`). An item done early but not due yet counts in neither.
- a rate is None when its denominator is 0, and *under threshold* when below
  `KBConfig.action_completion_threshold` (default 0.70).

Groups: per quarter of the due date (`NO_DUE_DATE` without one), per service of the incident
(an incident with two services counts in both) and per owner.

Status resolution happens in one function, `resolve_status`: the status sources given to
`build_ledger` are asked in order (a tracker cache, say) and the first that knows the item
wins; otherwise the post-mortem's Markdown table says (`status_source` "markdown").
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from postmortem_kb.format.model import ActionItem, PostMortem
from postmortem_kb.format.vocabulary import ACTION_STATUSES
from postmortem_kb.learning.periods import quarter_of

OPEN, DONE, NOT_DOING = ACTION_STATUSES
MARKDOWN_SOURCE = "markdown"
NO_DUE_DATE = "(no due date)"
NO_SERVICE = "(no service)"
NO_OWNER = "(no owner)"
RateGroup = Literal["quarter", "service", "owner"]


@dataclass(frozen=True)
class ResolvedStatus:
    """An item's status, the date it was done (done items only, when known) and who said so."""

    status: str
    done_on: dt.date | None
    source: str
    fetched_at: dt.datetime | None = None  # when the source learnt it (a tracker's cache)


StatusSource = Callable[[PostMortem, ActionItem], ResolvedStatus | None]
"""Asked for an item's status; None when it does not know the item (e.g. no ticket cached)."""


def resolve_status(
    pm: PostMortem, item: ActionItem, sources: Sequence[StatusSource] = ()
) -> ResolvedStatus:
    """The item's status: the first source that knows it, else the Markdown Status cell."""
    for source in sources:
        if (resolved := source(pm, item)) is not None:
            return resolved
    return ResolvedStatus(item.status, item.done_on, MARKDOWN_SOURCE)


@dataclass(frozen=True)
class ActionEntry:
    """One action item in the ledger, with the incident it came from."""

    incident: str  # the post-mortem's id
    incident_title: str
    incident_date: dt.date | None
    services: tuple[str, ...]
    action: str
    category: str
    owner: str
    due: dt.date | None
    status: str  # open, done or not-doing (anything else: PM407, counted in no rate)
    done_on: dt.date | None  # done items only, when the Status cell gives the date
    ticket: str
    line: int  # the table row's line in `source`
    source: str  # the post-mortem's path as diagnostics show it
    status_source: str = MARKDOWN_SOURCE
    status_fetched_at: dt.datetime | None = None  # how old the source's word is; None: the file

    @property
    def is_open(self) -> bool:
        return self.status == OPEN

    @property
    def quarter(self) -> str:
        """The quarter of the due date, or `NO_DUE_DATE`."""
        return quarter_of(self.due) if self.due else NO_DUE_DATE

    def is_overdue(self, as_of: dt.date) -> bool:
        return self.is_open and self.due is not None and self.due < as_of

    def done_on_time(self) -> bool | None:
        """True/False for a done item with both dates; None when it cannot be told."""
        if self.status != DONE or self.done_on is None or self.due is None:
            return None
        return self.done_on <= self.due

    def to_json(self, as_of: dt.date) -> dict[str, Any]:
        """The object `pmkb actions --format json` prints and `incidents.json` holds."""
        return {
            "incident": self.incident,
            "action": self.action,
            "category": self.category,
            "owner": self.owner,
            "due": self.due.isoformat() if self.due else None,
            "status": self.status,
            "done_on": self.done_on.isoformat() if self.done_on else None,
            "ticket": self.ticket,
            "overdue": self.is_overdue(as_of),
        }


@dataclass(frozen=True)
class Rates:
    """Counts and rates of a set of entries as of a date (see the module docstring)."""

    done: int
    open: int
    not_doing: int
    overdue: int
    due: int  # the on-time denominator
    on_time: int  # the on-time numerator
    done_undated: int
    threshold: float

    @property
    def completion_rate(self) -> float | None:
        total = self.done + self.open
        return self.done / total if total else None

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def completion_warning(self) -> bool:
        rate = self.completion_rate
        return rate is not None and rate < self.threshold

    @property
    def on_time_warning(self) -> bool:
        rate = self.on_time_rate
        return rate is not None and rate < self.threshold


def rates(entries: Iterable[ActionEntry], as_of: dt.date, threshold: float) -> Rates:
    counts = {"done": 0, "open": 0, "not_doing": 0, "overdue": 0}
    due = on_time = undated = 0
    for entry in entries:
        if entry.status == NOT_DOING:
            counts["not_doing"] += 1
            continue
        if entry.status not in (OPEN, DONE):
            continue
        counts["done" if entry.status == DONE else "open"] += 1
        counts["overdue"] += entry.is_overdue(as_of)
        if entry.status == DONE and entry.done_on is None:
            undated += 1
            continue
        if entry.due is not None and entry.due <= as_of:
            due += 1
            on_time += entry.done_on_time() is True
    return Rates(**counts, due=due, on_time=on_time, done_undated=undated, threshold=threshold)


def group_keys(entry: ActionEntry, by: RateGroup) -> tuple[str, ...]:
    if by == "quarter":
        return (entry.quarter,)
    if by == "service":
        return entry.services or (NO_SERVICE,)
    return (entry.owner or NO_OWNER,)


def rates_by(
    entries: Iterable[ActionEntry], by: RateGroup, as_of: dt.date, threshold: float
) -> dict[str, Rates]:
    """Rates per quarter of the due date, service or owner, in sorted order of the group."""
    groups: dict[str, list[ActionEntry]] = defaultdict(list)
    for entry in entries:
        for key in group_keys(entry, by):
            groups[key].append(entry)
    return {key: rates(groups[key], as_of, threshold) for key in sorted(groups)}


def _same_owner(owner: str, wanted: str) -> bool:
    return owner.lstrip("@").lower() == wanted.strip().lstrip("@").lower()


@dataclass(frozen=True)
class Ledger:
    """Every action item, in the order of the incidents (oldest first) and their tables."""

    entries: tuple[ActionEntry, ...]

    def select(
        self,
        *,
        owner: str | None = None,
        service: str | None = None,
        statuses: Collection[str] | None = None,
        overdue_as_of: dt.date | None = None,
    ) -> list[ActionEntry]:
        """Entries matching every filter given: the owner (`@h` or `h`, any case), a
        service of the incident, a status, and overdue as of a date."""
        return [
            entry
            for entry in self.entries
            if (owner is None or _same_owner(entry.owner, owner))
            and (service is None or service in entry.services)
            and (statuses is None or entry.status in statuses)
            and (overdue_as_of is None or entry.is_overdue(overdue_as_of))
        ]

    def overdue(self, as_of: dt.date) -> list[ActionEntry]:
        return self.select(overdue_as_of=as_of)


def review_order(entries: Iterable[ActionEntry], as_of: dt.date) -> list[ActionEntry]:
    """Overdue first (longest overdue first), then other open items by due date, then done
    and not-doing items; items without a due date last within their group."""

    def key(entry: ActionEntry) -> tuple[int, dt.date, str, int]:
        rank = 0 if entry.is_overdue(as_of) else 1 if entry.is_open else 2
        return (rank, entry.due or dt.date.max, entry.incident, entry.line)

    return sorted(entries, key=key)


def entries_of(pm: PostMortem, sources: Sequence[StatusSource] = ()) -> list[ActionEntry]:
    """The ledger entries of one post-mortem, in table order."""
    entries = []
    for item in pm.action_items:
        resolved = resolve_status(pm, item, sources)
        entries.append(
            ActionEntry(
                incident=pm.id,
                incident_title=pm.title,
                incident_date=pm.meta.date,
                services=tuple(pm.meta.services),
                action=item.action,
                category=item.category,
                owner=item.owner,
                due=item.due,
                status=resolved.status,
                done_on=resolved.done_on if resolved.status == DONE else None,
                ticket=item.ticket,
                line=item.line,
                source=pm.source_path,
                status_source=resolved.source,
                status_fetched_at=resolved.fetched_at,
            )
        )
    return entries


def build_ledger(postmortems: Iterable[PostMortem], sources: Sequence[StatusSource] = ()) -> Ledger:
    ordered = sorted(postmortems, key=lambda pm: (pm.meta.date or dt.date.min, pm.id))
    return Ledger(tuple(entry for pm in ordered for entry in entries_of(pm, sources)))
