"""The Atom feed of new post-mortems (`feed.xml`), written with the standard library.

Pure and deterministic: the same post-mortems give the same bytes (no build time in it).

- Entry ids are tag URIs (RFC 4151) made from the incident id and date,
  `tag:kb.example.com,2024-11-15:2024-11-15-payments-pool-exhaustion`, so an entry keeps
  its id when the post-mortem is edited, retitled or moved; the authority is the host of
  `site_url` (`postmortem-kb.invalid` without one, a name reserved never to resolve).
- An entry's `published` and `updated` are the latest timestamp the post-mortem records
  (resolved, else mitigated, detected, started), else its date at 00:00 UTC: the files
  carry no publication date, and git dates are wrong in shallow clones.
- Newest first (by that time, then id), at most `FEED_LIMIT` entries.
- Links carry `rel` and `type`: the feed's `self` (`application/atom+xml`) and each
  entry's page (`alternate`, `text/html`). They are absolute when `site_url` is set,
  else relative to the feed.

Which post-mortems: whatever the caller passes, i.e. the site's (all of them on the
internal site, the public archive on the public site, already redacted). An entry holds
the title, the impact summary and the severity, services and failure modes as
categories (their scheme: the listing page of that grouping): no owners, authors or action items.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from urllib.parse import urljoin, urlsplit

from postmortem_kb.format.model import PostMortem

ATOM = "http://www.w3.org/2005/Atom"
FEED_URI = "feed.xml"
FEED_TYPE = "application/atom+xml"
FEED_LIMIT = 50
NO_HOST = "postmortem-kb.invalid"
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def entry_time(pm: PostMortem) -> dt.datetime:
    """When the entry says the post-mortem appeared: see the module docstring."""
    ts = pm.meta.timestamps
    for value in (ts.resolved, ts.mitigated, ts.detected, ts.started):
        if value is not None:
            return value.astimezone(dt.UTC)
    if pm.meta.date is not None:
        return dt.datetime.combine(pm.meta.date, dt.time(), tzinfo=dt.UTC)
    return EPOCH


def entry_id(pm: PostMortem, site_url: str | None) -> str:
    """The entry's stable id: `tag:<host>,<incident date>:<incident id>`."""
    host = urlsplit(site_url or "").hostname or NO_HOST
    day = pm.meta.date or entry_time(pm).date()
    return f"tag:{host},{day.isoformat()}:{pm.id}"


def atom_feed(
    incidents: Sequence[PostMortem],
    *,
    title: str,
    site_url: str | None,
    page_url: Callable[[PostMortem], str],
    home_url: str = "incidents/",
    feed_path: str = FEED_URI,
    limit: int = FEED_LIMIT,
) -> bytes:
    """The Atom document for `incidents`. `page_url` gives a post-mortem page's URL
    relative to the site's root (`postmortems/<id>/`); `home_url` is the page the feed
    stands for (all incidents); `feed_path` is where the feed is, from the site's root."""
    base = site_url if site_url and site_url.endswith("/") else f"{site_url or ''}/"
    folder = posixpath.dirname(feed_path)

    def absolute(path: str) -> str:
        if site_url:
            return urljoin(base, path)
        link = posixpath.relpath(path, folder or ".")
        return f"{link}/" if path.endswith("/") and not link.endswith("/") else link

    chosen = sorted(incidents, key=lambda pm: (entry_time(pm), pm.id), reverse=True)[:limit]
    feed = ET.Element("feed", {"xmlns": ATOM})
    _child(feed, "id", f"tag:{urlsplit(site_url or '').hostname or NO_HOST},1970:{feed_path}")
    _child(feed, "title", f"{title}: new post-mortems")
    _child(feed, "updated", _time(entry_time(chosen[0]) if chosen else EPOCH))
    ET.SubElement(feed, "link", {"rel": "self", "type": FEED_TYPE, "href": absolute(feed_path)})
    ET.SubElement(
        feed, "link", {"rel": "alternate", "type": "text/html", "href": absolute(home_url)}
    )
    author = ET.SubElement(feed, "author")
    _child(author, "name", title)
    _child(feed, "generator", "postmortem-kb")
    for pm in chosen:
        entry = ET.SubElement(feed, "entry")
        _child(entry, "id", entry_id(pm, site_url))
        _child(entry, "title", pm.title)
        link = {"rel": "alternate", "type": "text/html", "href": absolute(page_url(pm))}
        ET.SubElement(entry, "link", link)
        when = _time(entry_time(pm))
        _child(entry, "published", when)
        _child(entry, "updated", when)
        if pm.meta.impact.summary:
            _child(entry, "summary", " ".join(pm.meta.impact.summary.split()))
        for scheme, terms in (
            ("severity", [pm.meta.severity] if pm.meta.severity else []),
            ("services", pm.meta.services),
            ("tags", pm.meta.tags),
        ):
            for term in dict.fromkeys(terms):
                category = {"term": term, "scheme": absolute(f"incidents/{scheme}/")}
                ET.SubElement(entry, "category", category)
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _child(parent: ET.Element, tag: str, text: str) -> ET.Element:
    element = ET.SubElement(parent, tag)
    element.text = text
    return element


def _time(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
