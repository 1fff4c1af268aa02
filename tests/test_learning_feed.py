"""The Atom feed writer on its own: ids, order, times, links without a site_url, the limit."""

from __future__ import annotations

import feedparser
from postmortem_kb.learning.feed import atom_feed, entry_id

from tests.test_site_pages import incident


def _feed(*incidents, site_url=None, limit=50):  # type: ignore[no-untyped-def]
    raw = atom_feed(
        list(incidents),
        title="KB",
        site_url=site_url,
        page_url=lambda pm: f"postmortems/{pm.id}/",
        feed_path="kb/feed.xml",
        home_url="kb/incidents/",
        limit=limit,
    )
    parsed = feedparser.parse(raw)
    assert not parsed.bozo, parsed.bozo_exception
    return raw, parsed


def test_entries_newest_first_by_their_latest_timestamp_then_id() -> None:
    early = incident("2024-01-05-early")
    late = incident(
        "2024-01-03-late",  # started before `early` but resolved after it
        timestamps={"started": "2024-01-03T10:00:00Z", "resolved": "2024-01-09T10:00:00Z"},
        status="draft",
    )
    tie_a = incident("2024-01-01-a", timestamps={"started": "2024-01-01T10:00:00Z"}, status="draft")
    tie_b = incident("2024-01-01-b", timestamps={"started": "2024-01-01T10:00:00Z"}, status="draft")
    _, feed = _feed(early, tie_a, late, tie_b)
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == [
        "2024-01-03-late",
        "2024-01-05-early",
        "2024-01-01-b",
        "2024-01-01-a",
    ]
    assert feed.entries[0].updated == "2024-01-09T10:00:00Z"
    assert feed.feed.updated == "2024-01-09T10:00:00Z"


def test_without_a_site_url_links_are_relative_to_the_feed_and_ids_still_stable() -> None:
    pm = incident("2024-11-15-pool")
    raw, feed = _feed(pm)
    assert entry_id(pm, None) == "tag:postmortem-kb.invalid,2024-11-15:2024-11-15-pool"
    assert b'href="../postmortems/2024-11-15-pool/"' in raw
    assert b'rel="self" type="application/atom+xml" href="feed.xml"' in raw
    assert b'rel="alternate" type="text/html" href="incidents/"' in raw
    assert feed.entries[0].id == entry_id(pm, None)


def test_the_same_incident_keeps_its_id_when_retitled() -> None:
    before = incident("2024-11-15-pool", title="Pool exhaustion")
    after = incident("2024-11-15-pool", title="Checkout errors after pool exhaustion")
    site = "https://kb.example.com/"
    assert (
        entry_id(before, site)
        == entry_id(after, site)
        == ("tag:kb.example.com,2024-11-15:2024-11-15-pool")
    )


def test_the_limit_keeps_the_newest() -> None:
    incidents = [incident(f"2024-02-{day:02d}-day") for day in range(1, 11)]
    _, feed = _feed(*incidents, site_url="https://kb.example.com/", limit=3)
    assert [e.link for e in feed.entries] == [
        "https://kb.example.com/postmortems/2024-02-10-day/",
        "https://kb.example.com/postmortems/2024-02-09-day/",
        "https://kb.example.com/postmortems/2024-02-08-day/",
    ]
