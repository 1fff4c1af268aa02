"""Recurring contributing factors: the same factor across incidents, and how often it returns.

Factors are grouped across post-mortems:

1. by `key` (front matter `contributing_factors[].key`): the same key is the same factor;
2. a factor without a key joins the group, in its category, holding the most similar
   description (a keyed group's descriptions count from the start, an unkeyed group's from
   its first occurrence), when that similarity is at least `SIMILARITY_THRESHOLD`; otherwise
   it starts a group of its own. Similarity is the cosine of the two descriptions' term sets, terms as
   `similarity.vectors.tokenize` makes them (lowercase, stop words out, plurals reduced):
   ``|A & B| / sqrt(|A| * |B|)``. At 0.5, "No alert on connection pool saturation" and
   "No alert on pool saturation" match (3 shared terms of 4 and 3: 0.87); "Load tests do
   not cover peak traffic" and "Load tests skip the new region" do not (2 of 5 and 5: 0.40).
   In the example knowledge base, the most similar two *different* factors score 0.27. On a
   tie, a keyed group wins over one without a key, then the group seen first.

Factors without a key are visited oldest first (date, id, position), so the grouping is
deterministic; groups are listed in order of their first occurrence.

- a **recurring** factor is a group seen in 2 or more incidents;
- an **alert**: a factor seen in `ALERT_COUNT` (3) or more incidents within `ALERT_MONTHS` (6)
  calendar months;
- the **recurrence rate** of a quarter: the share of its incidents with at least one factor
  already seen in another incident in the previous `LOOKBACK_MONTHS` (12) months (strictly
  earlier dates). Incidents without factors count in the denominator.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.periods import add_months, quarter_of
from postmortem_kb.similarity.vectors import normalise_factor, tokenize

SIMILARITY_THRESHOLD = 0.5
ALERT_COUNT = 3
ALERT_MONTHS = 6
LOOKBACK_MONTHS = 12


@dataclass(frozen=True)
class FactorOccurrence:
    """One contributing factor of one post-mortem (`index` in its `contributing_factors`)."""

    incident: str
    title: str
    date: dt.date | None
    category: str
    description: str
    key: str | None
    index: int
    source: str  # the post-mortem's path as diagnostics show it


@dataclass(frozen=True)
class FactorGroup:
    """Occurrences taken to be the same factor, oldest first.

    `id` is the key, or for a group without one `~` and the normalised first description;
    `label` is what a page shows: the key, or the first description.
    """

    id: str
    label: str
    category: str
    key: str | None
    occurrences: tuple[FactorOccurrence, ...]

    @property
    def incidents(self) -> tuple[str, ...]:
        """The distinct incident ids, oldest first."""
        return tuple(dict.fromkeys(o.incident for o in self.occurrences))

    @property
    def is_recurring(self) -> bool:
        return len(self.incidents) >= 2

    def first_per_incident(self) -> tuple[FactorOccurrence, ...]:
        """Each incident's first occurrence (an incident may list a factor twice), oldest first."""
        return tuple(_first_per_incident(self.occurrences))

    @property
    def last_seen(self) -> dt.date | None:
        """The latest date the factor was seen; None when no occurrence has a date."""
        return max((o.date for o in self.occurrences if o.date), default=None)

    def densest_window(self, months: int = ALERT_MONTHS) -> tuple[FactorOccurrence, ...]:
        """The most incidents (one occurrence each) within `months` calendar months; the
        latest such window on a tie."""
        firsts = [o for o in _first_per_incident(self.occurrences) if o.date is not None]
        best: tuple[FactorOccurrence, ...] = ()
        for start, first in enumerate(firsts):
            assert first.date is not None
            end = add_months(first.date, months)
            window = tuple(o for o in firsts[start:] if o.date is not None and o.date <= end)
            if len(window) >= len(best):
                best = window
        return best

    def alert(self, count: int = ALERT_COUNT, months: int = ALERT_MONTHS) -> bool:
        return len(self.densest_window(months)) >= count


@dataclass(frozen=True)
class QuarterRecurrence:
    quarter: str
    incidents: int
    recurring: int  # incidents with a factor seen in the previous LOOKBACK_MONTHS

    @property
    def rate(self) -> float | None:
        return self.recurring / self.incidents if self.incidents else None


@dataclass(frozen=True)
class Recurrence:
    groups: tuple[FactorGroup, ...]
    by_quarter: tuple[QuarterRecurrence, ...]
    recurring_incidents: frozenset[str] = field(default_factory=frozenset)
    incidents: int = 0  # incidents with a date: the overall rate's denominator

    @property
    def recurring(self) -> list[FactorGroup]:
        """Groups seen in 2+ incidents, most incidents first, then by first date."""
        found = [g for g in self.groups if g.is_recurring]
        return sorted(found, key=lambda g: -len(g.incidents))

    @property
    def alerts(self) -> list[FactorGroup]:
        return [g for g in self.recurring if g.alert()]

    @property
    def rate(self) -> float | None:
        """The share of all (dated) incidents with a factor seen in the previous 12 months."""
        return len(self.recurring_incidents) / self.incidents if self.incidents else None


@lru_cache(maxsize=65536)
def description_terms(description: str) -> frozenset[str]:
    return frozenset(tokenize(description))


def description_similarity(a: str, b: str) -> float:
    """Cosine of the two descriptions' term sets; 0 when either has no terms."""
    return _cosine(description_terms(a), description_terms(b))


def _cosine(terms_a: frozenset[str], terms_b: frozenset[str]) -> float:
    if not terms_a or not terms_b:
        return 0.0
    return len(terms_a & terms_b) / math.sqrt(len(terms_a) * len(terms_b))


def occurrences(postmortems: Iterable[PostMortem]) -> list[FactorOccurrence]:
    """Every contributing factor of every post-mortem, oldest first."""
    found = [
        FactorOccurrence(
            incident=pm.id,
            title=pm.title,
            date=pm.meta.date,
            category=factor.category,
            description=factor.description,
            key=factor.key,
            index=index,
            source=pm.source_path,
        )
        for pm in postmortems
        for index, factor in enumerate(pm.meta.contributing_factors)
    ]
    return sorted(found, key=_order)


def _order(occurrence: FactorOccurrence) -> tuple[dt.date, str, int]:
    return (occurrence.date or dt.date.min, occurrence.incident, occurrence.index)


@dataclass
class _Entry:
    terms: frozenset[str]
    category: str
    group: str
    keyed: bool
    incidents: set[str]


class FactorMatcher:
    """The group holding the description most similar to a new one, in its category.

    An inverted index over the distinct descriptions seen (term -> entries) keeps this cheap
    at thousands of incidents: only descriptions sharing a term are scored. On a tie, a keyed
    group wins, then the one seen first.
    """

    def __init__(self, threshold: float = SIMILARITY_THRESHOLD) -> None:
        self.threshold = threshold
        self._entries: list[_Entry] = []
        self._by_text: dict[tuple[str, frozenset[str], str], _Entry] = {}
        self._postings: dict[str, list[int]] = defaultdict(list)

    def add(self, occurrence: FactorOccurrence, group: str, *, keyed: bool) -> None:
        terms = description_terms(occurrence.description)
        known = self._by_text.get((occurrence.category, terms, group))
        if known is not None:
            known.incidents.add(occurrence.incident)
            return
        entry = _Entry(terms, occurrence.category, group, keyed, {occurrence.incident})
        self._by_text[(occurrence.category, terms, group)] = entry
        for term in terms:
            self._postings[term].append(len(self._entries))
        self._entries.append(entry)

    def match(
        self,
        description: str,
        category: str,
        *,
        exclude_incident: str | None = None,
        keyed_only: bool = False,
    ) -> str | None:
        """The best group's id (similarity at least the threshold), or None. Entries seen
        only in `exclude_incident` are ignored."""
        terms = description_terms(description)
        shared: Counter[int] = Counter(i for term in terms for i in self._postings.get(term, ()))
        best: tuple[float, bool, int] | None = None
        for index, count in shared.items():
            entry = self._entries[index]
            if entry.category != category or (keyed_only and not entry.keyed):
                continue
            if exclude_incident is not None and entry.incidents == {exclude_incident}:
                continue
            score = count / math.sqrt(len(terms) * len(entry.terms))
            if score < self.threshold:
                continue
            candidate = (score, entry.keyed, -index)
            if best is None or candidate > best:
                best = candidate
        return self._entries[-best[2]].group if best else None


def group_factors(
    postmortems: Iterable[PostMortem], threshold: float = SIMILARITY_THRESHOLD
) -> list[FactorGroup]:
    """The factor groups (see the module docstring), in order of first occurrence."""
    found = occurrences(postmortems)
    members: dict[str, list[FactorOccurrence]] = {}
    matcher = FactorMatcher(threshold)
    for occurrence in found:  # keyed factors first, so an earlier unkeyed one can join them
        if occurrence.key:
            matcher.add(occurrence, occurrence.key, keyed=True)
    for occurrence in found:
        if occurrence.key:
            group = occurrence.key
        else:
            match = matcher.match(occurrence.description, occurrence.category)
            group = match or "~" + normalise_factor(occurrence.description)
            matcher.add(occurrence, group, keyed=False)
        members.setdefault(group, []).append(occurrence)
    groups = [_group(group_id, items) for group_id, items in members.items()]
    return sorted(groups, key=lambda g: _order(g.occurrences[0]))


def _group(group_id: str, found: Sequence[FactorOccurrence]) -> FactorGroup:
    key = next((o.key for o in found if o.key), None)
    return FactorGroup(
        id=group_id,
        label=key or found[0].description,
        category=found[0].category,
        key=key,
        occurrences=tuple(found),
    )


def _first_per_incident(found: Sequence[FactorOccurrence]) -> list[FactorOccurrence]:
    seen: dict[str, FactorOccurrence] = {}
    for occurrence in found:
        seen.setdefault(occurrence.incident, occurrence)
    return list(seen.values())


def analyse(
    postmortems: Sequence[PostMortem], threshold: float = SIMILARITY_THRESHOLD
) -> Recurrence:
    """Groups, the recurrence rate per quarter and overall."""
    groups = group_factors(postmortems, threshold)
    recurring = {
        o.incident
        for group in groups
        for o in group.occurrences
        if o.date is not None and _seen_before(group, o.incident, o.date)
    }
    per_quarter: dict[str, list[str]] = {}
    for pm in sorted(postmortems, key=lambda pm: (pm.meta.date or dt.date.min, pm.id)):
        if pm.meta.date is not None:
            per_quarter.setdefault(quarter_of(pm.meta.date), []).append(pm.id)
    by_quarter = tuple(
        QuarterRecurrence(quarter, len(ids), sum(i in recurring for i in ids))
        for quarter, ids in sorted(per_quarter.items())
    )
    dated = sum(len(ids) for ids in per_quarter.values())
    return Recurrence(tuple(groups), by_quarter, frozenset(recurring), dated)


def _seen_before(group: FactorGroup, incident: str, day: dt.date) -> bool:
    since = add_months(day, -LOOKBACK_MONTHS)
    return any(
        o.incident != incident and o.date is not None and since <= o.date < day
        for o in group.occurrences
    )


@dataclass(frozen=True)
class KeySuggestion:
    """A factor without a key whose description matches a keyed factor of other incidents."""

    occurrence: FactorOccurrence
    key: str
    incidents: tuple[str, ...]  # the other incidents with that key, oldest first


def key_suggestions(
    postmortems: Iterable[PostMortem],
    others: Iterable[FactorOccurrence] = (),
    threshold: float = SIMILARITY_THRESHOLD,
) -> list[KeySuggestion]:
    """For each factor of `postmortems` without a key, the key of the most similar keyed
    factor of another incident, when there is one. `others` are factors of post-mortems not
    checked now (only their keyed ones matter; see `rules.factor_keys.keyed_factors`)."""
    checked = list(postmortems)
    mine = occurrences(checked)
    matcher = FactorMatcher(threshold)
    keyed: dict[str, list[FactorOccurrence]] = defaultdict(list)
    for occurrence in sorted([*mine, *others], key=_order):
        if occurrence.key:
            matcher.add(occurrence, occurrence.key, keyed=True)
            keyed[occurrence.key].append(occurrence)
    suggestions = []
    for occurrence in mine:
        if occurrence.key:
            continue
        key = matcher.match(
            occurrence.description,
            occurrence.category,
            exclude_incident=occurrence.incident,
            keyed_only=True,
        )
        if key:
            incidents = tuple(
                dict.fromkeys(o.incident for o in keyed[key] if o.incident != occurrence.incident)
            )
            suggestions.append(KeySuggestion(occurrence, key, incidents))
    return suggestions
