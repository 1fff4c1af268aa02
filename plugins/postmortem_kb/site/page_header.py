"""What a post-mortem page shows around its body: the header and the footer, as data.

`build_header` turns a `PostMortem`, the KB settings and the archive's listings into a
`PostMortemHeader`; the plugin's templates (`templates/partials/pmkb/`) only lay it out. Links
are given as source paths (`src_uri`) of pages in the site, which the template turns into
URLs, so this module knows nothing of MkDocs. A missing value is `None` or
`durations.NOT_RECORDED`, never a made-up number.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from postmortem_kb.config import KBConfig
from postmortem_kb.format.durations import NOT_RECORDED, format_duration, iso_duration
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.vocabulary import STATUS_LABELS
from postmortem_kb.public.publish import public_lead
from postmortem_kb.similarity.vectors import Similar
from postmortem_kb.site.listings import Listings, SiteLayout
from postmortem_kb.site.severity import Badge, badge

NAMED_IN_TEXT = "named in the text, not in related"
ROLE_LABELS = {
    "incident_commander": "Incident commander",
    "technical_lead": "Technical lead",
    "communications_lead": "Communications lead",
    "scribe": "Scribe",
}


@dataclass(frozen=True)
class Link:
    label: str
    src_uri: str | None  # a page of the site; None for plain text


@dataclass(frozen=True)
class Timing:
    label: str
    value: str  # "1 h 18 min" or durations.NOT_RECORDED
    recorded: bool
    datetime: str | None = None  # "PT1H18M": the <time datetime> of a recorded duration


@dataclass(frozen=True)
class IncidentLink:
    """Another incident, as listed in the footer."""

    id: str
    title: str
    date: str
    badge: Badge | None
    src_uri: str
    # similar incidents: "same service: payments-api", ...; related ones: NAMED_IN_TEXT or ()
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class OpenAction:
    """An open action item of a related incident, as the footer lists it."""

    action: str
    owner: str
    due: str | None  # "2024-06-01"
    overdue: bool
    incident: IncidentLink


@dataclass(frozen=True)
class PostMortemHeader:
    id: str
    severity: Badge | None
    severity_uri: str | None
    status: str  # draft | in-review | published ("" when not recorded)
    status_label: str
    visibility: str
    date: str | None
    started: str | None  # "14:02 UTC"
    timings: tuple[Timing, ...]  # duration, time to detect, mitigate, resolve
    impact: str | None
    users_affected: str | None  # "18,000"
    services: tuple[Link, ...]
    tags: tuple[Link, ...]
    roles: tuple[tuple[str, str], ...]  # (label, handle)
    authors: tuple[str, ...]
    channel: str | None
    related: tuple[IncidentLink, ...]  # both directions, newest first
    runbooks: tuple[Link, ...]
    similar: tuple[IncidentLink, ...] = ()  # most similar first, never one of `related`
    public: bool = False  # the public site's page: no roles, authors, channel or runbooks
    lead: tuple[str, ...] = ()  # public page: the public summary, as plain-text paragraphs
    public_summary: str | None = None  # internal page: the `public_summary` field, to review
    started_datetime: str | None = None  # "2024-11-15T14:02Z": the <time datetime> of `started`
    # the open action items of the `related` incidents (learning_pages.LearningPages);
    # None when the site does not show them (public site, `learning_pages: false`)
    open_actions: tuple[OpenAction, ...] | None = None


def build_header(
    pm: PostMortem,
    config: KBConfig,
    listings: Listings,
    runbook_uris: dict[str, str],
    similar: Sequence[Similar] = (),
    *,
    public: bool = False,
) -> PostMortemHeader:
    """The header and footer data of `pm`'s page. `runbook_uris` maps runbook ids to their
    pages' source paths; a runbook without a page is shown as plain text. `similar` are the
    incidents most like `pm` (see `profiles.similar_incidents`).

    `public` builds the public site's variant (pass the redacted `public.public_postmortem`
    and listings of public post-mortems): no roles, authors, channel or runbooks, whatever
    `pm` holds, and the public summary as the lead (`public.public_lead`)."""
    meta = pm.meta
    severity = listings.groups["severity"].value(meta.severity) if meta.severity else None
    layout = SiteLayout.of(config)
    timings = (
        _timing("Duration", pm.duration()),
        _timing("Time to detect", pm.time_to("detected")),
        _timing("Time to mitigate", pm.time_to("mitigated")),
        _timing("Time to resolve", pm.time_to("resolved")),
    )
    roles = tuple(
        (label, handle)
        for name, label in ROLE_LABELS.items()
        if (handle := getattr(meta.roles, name, None))
    )
    started = meta.timestamps.started
    header = PostMortemHeader(
        id=pm.id,
        severity=badge(config, meta.severity) if meta.severity else None,
        severity_uri=layout.value("severity", severity.slug) if severity else None,
        status=meta.status or "",
        status_label=STATUS_LABELS.get(meta.status or "", "Status not recorded"),
        visibility=meta.visibility,
        date=meta.date.isoformat() if meta.date else None,
        started=started.astimezone(dt.UTC).strftime("%H:%M UTC") if started else None,
        started_datetime=started.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%MZ")
        if started
        else None,
        timings=timings,
        impact=meta.impact.summary,
        users_affected=(
            f"{meta.impact.users_affected:,}" if meta.impact.users_affected is not None else None
        ),
        services=_links(listings, layout, "services", meta.services),
        tags=_links(listings, layout, "tags", meta.tags),
        roles=roles,
        authors=tuple(meta.authors),
        channel=meta.channel,
        related=_related(pm, config, listings),
        runbooks=tuple(Link(r, runbook_uris.get(r)) for r in dict.fromkeys(meta.runbooks)),
        similar=tuple(
            _incident_link(listings.by_id[s.id], config, tuple(r.describe() for r in s.reasons))
            for s in similar
            if s.id in listings.by_id
        ),
    )
    if public:
        return dataclasses.replace(
            header,
            roles=(),
            authors=(),
            channel=None,
            runbooks=(),
            public=True,
            lead=public_lead(pm),
        )
    return dataclasses.replace(header, public_summary=meta.public_summary)


def _timing(label: str, value: dt.timedelta | None) -> Timing:
    text = format_duration(value)
    return Timing(label, text, text != NOT_RECORDED, iso_duration(value))


def _links(
    listings: Listings, layout: SiteLayout, group: str, names: list[str]
) -> tuple[Link, ...]:
    links = []
    for name in dict.fromkeys(names):
        value = listings.groups[group].value(name)
        links.append(Link(name, layout.value(group, value.slug) if value else None))
    return tuple(links)


def _related(pm: PostMortem, config: KBConfig, listings: Listings) -> tuple[IncidentLink, ...]:
    """Incidents `pm` lists in `related`, incidents that list `pm`, and incidents named in
    the text of either (`format.references`), newest first. Those linked only by the text
    say so in their reasons."""
    listed = {*pm.meta.related, *listings.referenced_by.get(pm.id, ())}
    wanted = (listed | set(listings.named.get(pm.id, ()))) - {pm.id}
    others = sorted(
        (listings.by_id[other] for other in wanted if other in listings.by_id),
        key=lambda other: listings.position[other.id],
    )
    return tuple(
        _incident_link(other, config, () if other.id in listed else (NAMED_IN_TEXT,))
        for other in others
    )


def _incident_link(
    other: PostMortem, config: KBConfig, reasons: tuple[str, ...] = ()
) -> IncidentLink:
    return IncidentLink(
        other.id,
        other.title,
        other.meta.date.isoformat() if other.meta.date else "",
        badge(config, other.meta.severity) if other.meta.severity else None,
        SiteLayout.of(config).postmortem(other.id),
        reasons,
    )
