"""The archive grouped for the index pages, and where each of those pages lives.

Pure data, no MkDocs: `build_listings` sorts the incidents newest first and groups them by
severity, service, failure mode (tag), contributing-factor category, year and runbook.
Each group value gets a URL-safe slug, unique within its group. `SiteLayout` gives the
source path (`src_uri`) of every page the site generates, so the index pages, the page
headers and the plugin all agree on the URL structure:

    <prefix>incidents/                  all incidents, newest first
    <prefix>incidents/page/2/           ... PAGE_SIZE rows per page
    <prefix>incidents/<group>/          one row per value, with its count
    <prefix>incidents/<group>/<slug>/   the incidents of one value (paginated the same way)
    <prefix>severity-levels/            the severity definitions (or the site's own page)
    <prefix>postmortems/<id>/           one post-mortem

`<prefix>` is the `url_prefix` option: empty by default, `incident-kb/` to put the archive
in a folder of an existing site.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import posixpath
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import TypeVar

from postmortem_kb.config import KBConfig
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.references import explicit_links
from postmortem_kb.learning.ledger import StatusSource, entries_of

PAGE_SIZE = 200  # rows per index page: no page's HTML grows with the archive

INCIDENTS_URI = "incidents"
POSTMORTEMS_URI = "postmortems"
SEVERITY_PAGE_URI = "severity-levels.md"

T = TypeVar("T")


# --- addresses -------------------------------------------------------------------------


@dataclass(frozen=True)
class SiteLayout:
    """Where the pages the plugin adds live: every listing, every post-mortem and the
    generated severity page under `prefix` (`KBConfig.url_prefix`), and which page says
    what the severity levels mean (`KBConfig.severity_page`)."""

    prefix: str = ""  # "" or a folder path ending with "/": "incident-kb/"
    severity_page: str | None = SEVERITY_PAGE_URI  # its source path; None: no such page
    generates_severity_page: bool = True  # False: `severity_page` is one of the site's

    @classmethod
    def of(cls, config: KBConfig) -> SiteLayout:
        prefix = config.url_prefix
        if config.severity_page is True:
            return cls(prefix, f"{prefix}{SEVERITY_PAGE_URI}", True)
        if config.severity_page is False:
            return cls(prefix, None, False)
        return cls(prefix, config.severity_page, False)

    def postmortem(self, postmortem_id: str) -> str:
        return f"{self.prefix}{POSTMORTEMS_URI}/{postmortem_id}.md"

    def all_incidents(self) -> str:
        return f"{self.prefix}{INCIDENTS_URI}/index.md"

    def group(self, group: str) -> str:
        return f"{self.prefix}{INCIDENTS_URI}/{group}/index.md"

    def value(self, group: str, slug: str) -> str:
        return f"{self.prefix}{INCIDENTS_URI}/{group}/{slug}/index.md"

    def is_listing(self, src_uri: str) -> bool:
        """Whether `src_uri` is in the folder of the generated listings."""
        return src_uri.startswith(f"{self.prefix}{INCIDENTS_URI}/")


def page_url(src_uri: str, directory_urls: bool = True) -> str:
    """The URL MkDocs gives the page at `src_uri`, relative to the site's root:
    `a/b.md` is `a/b/` (`a/b.html` without `use_directory_urls`), `a/index.md` is `a/`
    (`a/index.html`), `index.md` is `` (`index.html`). For the tables put into rendered
    pages as HTML (listings, ledger), whose links MkDocs does not rewrite."""
    stem = posixpath.splitext(src_uri)[0]
    if not directory_urls:
        return f"{stem}.html"
    if posixpath.basename(stem) in ("index", "README"):
        folder = posixpath.dirname(stem)
        return f"{folder}/" if folder else ""
    return f"{stem}/"


def to_root(here: str, directory_urls: bool = True) -> str:
    """The relative link from the page at source path `here` to the site's root folder
    (`../../` from `learning/actions/`): a table of links starts each from it, so that
    thousands of links cost a concatenation each rather than a path computation."""
    return "../" * page_url(here, directory_urls).count("/")


def paged_uri(base: str, number: int) -> str:
    """Page `number` (1-based) of the listing whose first page is `base` (`.../index.md`)."""
    if number == 1:
        return base
    folder = base.rsplit("/", 1)[0]
    return f"{folder}/page/{number}.md"


# --- slugs -----------------------------------------------------------------------------

_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """A URL path segment for `name`: lowercase ASCII letters, digits and single hyphens.

    Accents are dropped ("Zürich" -> "zurich"); anything else becomes a hyphen
    ("payments/API v2" -> "payments-api-v2"). A name with nothing left ("日本", "+++")
    gets a stable short hash ("x-1a2b3c4d").
    """
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    slug = _NOT_SLUG.sub("-", ascii_name.lower()).strip("-")
    if slug:
        return slug
    return "x-" + hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


def unique_slugs(names: Iterable[str]) -> dict[str, str]:
    """A slug for each name, unique among them. A name that is already a slug keeps it; on
    a clash, the other names get `-2`, `-3`... in sorted order ("payments-api" keeps
    "payments-api", then "Payments API" becomes "payments-api-2")."""
    unique = sorted(set(names))
    slugs = {name: name for name in unique if slugify(name) == name}
    taken = set(slugs.values())
    for name in unique:
        if name in slugs:
            continue
        base = slug = slugify(name)
        number = 1
        while slug in taken:
            number += 1
            slug = f"{base}-{number}"
        slugs[name] = slug
        taken.add(slug)
    return slugs


# --- grouping --------------------------------------------------------------------------


@dataclass(frozen=True)
class GroupValue:
    name: str
    slug: str
    incidents: tuple[PostMortem, ...]  # newest first

    @property
    def count(self) -> int:
        return len(self.incidents)

    @property
    def latest(self) -> dt.date | None:
        return self.incidents[0].meta.date if self.incidents else None


@dataclass(frozen=True)
class Group:
    """One way of grouping the archive, e.g. by service."""

    key: str  # the URL segment: "services"
    title: str  # "Incidents by service"
    noun: str  # "Service"
    values: tuple[GroupValue, ...]
    _by_name: dict[str, GroupValue] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update((value.name, value) for value in self.values)

    def value(self, name: str) -> GroupValue | None:
        return self._by_name.get(name)


@dataclass(frozen=True)
class Dimension:
    """How to group: the values of one incident, and which values always get a page."""

    key: str
    title: str
    noun: str
    values_of: Callable[[PostMortem], Iterable[str]]
    fixed: Callable[[KBConfig], Sequence[str]] = lambda config: ()  # in this order, even at 0
    newest_values_first: bool = False  # years: 2025 before 2024


DIMENSIONS: tuple[Dimension, ...] = (
    Dimension(
        "severity",
        "Incidents by severity",
        "Severity",
        lambda pm: [pm.meta.severity] if pm.meta.severity else [],
        fixed=lambda config: config.level_names,
    ),
    Dimension("services", "Incidents by service", "Service", lambda pm: pm.meta.services),
    Dimension("tags", "Incidents by failure mode", "Failure mode", lambda pm: pm.meta.tags),
    Dimension(
        "factors",
        "Incidents by contributing factor",
        "Contributing factor",
        lambda pm: [factor.category for factor in pm.meta.contributing_factors],
        fixed=lambda config: config.factor_categories,
    ),
    Dimension(
        "years",
        "Incidents by year",
        "Year",
        lambda pm: [str(pm.meta.date.year)] if pm.meta.date else [],
        newest_values_first=True,
    ),
    Dimension("runbooks", "Incidents by runbook", "Runbook", lambda pm: pm.meta.runbooks),
)
PUBLIC_DIMENSIONS = tuple(d for d in DIMENSIONS if d.key != "runbooks")
"""The public site's groupings: runbooks are internal pages."""


def group_by(dimension: Dimension, incidents: Sequence[PostMortem], config: KBConfig) -> Group:
    """`incidents` (newest first) grouped by `dimension`; each value keeps that order."""
    members: dict[str, list[PostMortem]] = defaultdict(list)
    for pm in incidents:
        for name in dict.fromkeys(dimension.values_of(pm)):  # once per incident
            members[name].append(pm)
    fixed = list(dict.fromkeys(dimension.fixed(config)))
    others = sorted((name for name in members if name not in fixed), key=str.casefold)
    if dimension.newest_values_first:
        others.reverse()
    names = fixed + others
    slugs = unique_slugs(names)
    values = tuple(GroupValue(name, slugs[name], tuple(members.get(name, ()))) for name in names)
    return Group(dimension.key, dimension.title, dimension.noun, values)


@dataclass(frozen=True)
class Listings:
    incidents: tuple[PostMortem, ...]  # newest first
    groups: dict[str, Group]
    referenced_by: dict[str, tuple[str, ...]]  # id -> ids of the incidents that list it
    # id -> ids its text names or whose text names it (`format.references.explicit_links`)
    named: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def by_id(self) -> dict[str, PostMortem]:
        return {pm.id: pm for pm in self.incidents}

    @cached_property
    def position(self) -> dict[str, int]:
        """Each id's rank, newest first: sorting by it keeps the listings' order."""
        return {pm.id: index for index, pm in enumerate(self.incidents)}


def build_listings(
    incidents: Sequence[PostMortem],
    config: KBConfig,
    dimensions: Sequence[Dimension] = DIMENSIONS,
) -> Listings:
    """Every grouping of `incidents` (sorted newest first) along `dimensions`."""
    ordered = tuple(incidents)
    groups = {d.key: group_by(d, ordered, config) for d in dimensions}
    return Listings(ordered, groups, reverse_related(ordered), explicit_links(ordered))


def reverse_related(incidents: Iterable[PostMortem]) -> dict[str, tuple[str, ...]]:
    """For each id, the incidents whose `related` names it (in `incidents`' order)."""
    backlinks: dict[str, list[str]] = defaultdict(list)
    for pm in incidents:
        for other in dict.fromkeys(pm.meta.related):
            if other != pm.id:
                backlinks[other].append(pm.id)
    return {key: tuple(value) for key, value in backlinks.items()}


def paginate(items: Sequence[T], size: int = PAGE_SIZE) -> list[Sequence[T]]:
    """`items` in pages of `size`; an empty sequence is one empty page."""
    if size < 1:
        raise ValueError("page size must be at least 1")
    return [items[start : start + size] for start in range(0, len(items), size)] or [items[:0]]


# --- action items ----------------------------------------------------------------------


@dataclass(frozen=True)
class ActionSummary:
    open: int
    overdue: int
    incidents_with_open: int
    as_of: dt.date


def action_summary(
    incidents: Iterable[PostMortem], today: dt.date, sources: Sequence[StatusSource] = ()
) -> ActionSummary:
    """Open action items across the archive, and how many are past their due date `today`;
    each item's status as the ledger resolves it (the tracker cache first, in `sources`)."""
    open_items = overdue = incidents_with_open = 0
    for pm in incidents:
        opened = [entry for entry in entries_of(pm, sources) if entry.is_open]
        open_items += len(opened)
        overdue += sum(item.is_overdue(today) for item in opened)
        incidents_with_open += bool(opened)
    return ActionSummary(open_items, overdue, incidents_with_open, today)
