"""The site's pure modules, without MkDocs: durations, badges, slugs, grouping, pagination,
the page header's data and the Markdown of the generated pages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from postmortem_kb.config import KBConfig, SeverityLevel
from postmortem_kb.format.durations import NOT_RECORDED, format_duration
from postmortem_kb.format.model import ActionItem, PostMortem
from postmortem_kb.format.parser import parse_text
from postmortem_kb.learning.ledger import ResolvedStatus
from postmortem_kb.site.index_pages import INCIDENT_TABLE_MARKER, IndexPages, escape, relative
from postmortem_kb.site.kb_site import KBSite, runbook_uris
from postmortem_kb.site.listings import (
    action_summary,
    build_listings,
    paged_uri,
    paginate,
    reverse_related,
    slugify,
    unique_slugs,
)
from postmortem_kb.site.page_header import build_header
from postmortem_kb.site.severity import BLACK, WHITE, badge, contrast_ratio, text_color

CONFIG = KBConfig()
TODAY = dt.date(2025, 1, 1)


def incident(
    pm_id: str,
    *,
    severity: str | None = "SEV2",
    services: Sequence[str] = ("payments-api",),
    tags: Sequence[str] = ("config-change",),
    factors: Sequence[str] = ("technical",),
    runbooks: Sequence[str] = (),
    related: Sequence[str] = (),
    status: str = "published",
    title: str | None = None,
    timestamps: dict[str, str] | None = None,
    actions: Sequence[tuple[str, str]] = (),  # (due, status)
) -> PostMortem:
    """A parsed post-mortem with just the fields the site uses."""
    day = pm_id[:10]
    stamps = timestamps or {
        "started": f"{day}T14:02:00Z",
        "detected": f"{day}T14:09:00Z",
        "mitigated": f"{day}T14:51:00Z",
        "resolved": f"{day}T16:20:00Z",
    }
    lines = [
        "---",
        f"title: {json.dumps(title or pm_id)}",
        f"date: {day}",
        *([f"severity: {severity}"] if severity else []),
        f"status: {status}",
        f"services: {json.dumps(list(services))}",
        f"tags: {json.dumps(list(tags))}",
        "timestamps:",
        *(f"  {name}: {value}" for name, value in stamps.items()),
        "contributing_factors:",
        *(f"  - {{category: {c}, description: x}}" for c in factors),
        f"runbooks: {json.dumps(list(runbooks))}",
        f"related: {json.dumps(list(related))}",
        'roles: {incident_commander: "@sam", scribe: "@lee"}',
        "---",
        "## Action items",
        "",
        "| Action | Category | Owner | Due | Ticket | Status |",
        "|---|---|---|---|---|---|",
        *(f"| Fix | Detection | @dana | {due} | T-1 | {state} |" for due, state in actions),
        "",
    ]
    result = parse_text("\n".join(lines), Path(f"{pm_id}.md"), f"{pm_id}.md")
    assert result.postmortem is not None and not result.diagnostics, result.diagnostics
    return result.postmortem


def newest_first(*incidents: PostMortem) -> list[PostMortem]:
    return sorted(incidents, key=lambda pm: pm.id, reverse=True)


# --- durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "shown"),
    [
        (dt.timedelta(0), "0 min"),
        (dt.timedelta(seconds=30), "< 1 min"),
        (dt.timedelta(minutes=7), "7 min"),
        (dt.timedelta(minutes=59, seconds=59), "59 min"),
        (dt.timedelta(hours=1), "1 h"),
        (dt.timedelta(hours=1, minutes=18), "1 h 18 min"),
        (dt.timedelta(hours=23, minutes=59, seconds=59), "23 h 59 min"),
        (dt.timedelta(days=1), "1 d"),
        (dt.timedelta(days=2, hours=4, minutes=50), "2 d 4 h"),
        (dt.timedelta(days=40, hours=1), "40 d 1 h"),
        (None, NOT_RECORDED),
        (dt.timedelta(minutes=-5), NOT_RECORDED),
    ],
)
def test_format_duration(duration: dt.timedelta | None, shown: str) -> None:
    assert format_duration(duration) == shown


# --- badges -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("background", "expected"),
    [("#b71c1c", WHITE), ("#1565c0", WHITE), ("#f9a825", BLACK), ("#fff", BLACK), ("red", WHITE)],
)
def test_badge_text_colour_is_the_more_readable_one(background: str, expected: str) -> None:
    assert text_color(background) == expected


def test_default_levels_have_readable_badges() -> None:
    for level in CONFIG.severity_levels:
        shown = badge(CONFIG, level.name)
        assert shown.background == level.color
        assert contrast_ratio(shown.background, shown.foreground) >= 4.5, level.name


def test_badge_html_escapes_the_level_and_colour() -> None:
    config = KBConfig(severity_levels=[SeverityLevel(name="P<1>", color='#fff" onclick="x')])
    html = badge(config, "P<1>").html()
    assert "P&lt;1&gt;" in html and '" onclick' not in html


# --- slugs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("payments-api", "payments-api"),
        ("Payments API", "payments-api"),
        ("payments/api v2", "payments-api-v2"),
        ("Zürich Gateway", "zurich-gateway"),
        ("C++ service", "c-service"),
        ("--edge--", "edge"),
        ("a.b_c", "a-b-c"),
        ("2024", "2024"),
        ("SEV1", "sev1"),
    ],
)
def test_slugify(name: str, slug: str) -> None:
    assert slugify(name) == slug


def test_slugify_a_name_without_ascii_gets_a_stable_hash() -> None:
    assert slugify("日本") == slugify("日本")
    assert slugify("日本").startswith("x-") and slugify("日本") != slugify("中国")
    assert slugify("+++").startswith("x-")


def test_clashing_slugs_are_made_unique_and_a_tidy_name_keeps_its_own() -> None:
    slugs = unique_slugs(["Payments API", "payments api", "payments-api", "payments-api-2"])
    assert slugs == {
        "payments-api": "payments-api",
        "payments-api-2": "payments-api-2",
        "Payments API": "payments-api-3",
        "payments api": "payments-api-4",
    }


# --- grouping ---------------------------------------------------------------------------


def test_grouping_counts_each_incident_once_per_value_newest_first() -> None:
    old = incident("2023-06-02-old", severity="SEV1", services=["payments-api", "orders-db"])
    new = incident(
        "2024-11-15-new",
        services=["payments-api", "payments-api"],
        tags=["connection-pool-exhaustion", "config-change"],
        factors=["technical", "technical", "process"],
    )
    listings = build_listings(newest_first(old, new), CONFIG)
    services = listings.groups["services"]
    assert [(v.name, v.count) for v in services.values] == [("orders-db", 1), ("payments-api", 2)]
    assert [pm.id for pm in services.value("payments-api").incidents] == [new.id, old.id]
    assert services.value("payments-api").latest == dt.date(2024, 11, 15)
    factors = listings.groups["factors"]
    assert factors.value("technical").count == 2
    assert factors.value("process").count == 1


def test_configured_values_always_have_a_group_in_their_order() -> None:
    listings = build_listings([incident("2024-01-01-a", severity="SEV3")], CONFIG)
    severity = listings.groups["severity"]
    assert [v.name for v in severity.values] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert [v.count for v in severity.values] == [0, 0, 1, 0]
    assert [v.name for v in listings.groups["factors"].values] == CONFIG.factor_categories


def test_years_are_newest_first_and_a_draft_without_severity_is_listed_but_not_rated() -> None:
    incidents = newest_first(
        incident("2022-03-01-a"),
        incident("2024-03-01-b"),
        incident("2023-03-01-c", severity=None, status="draft"),
    )
    listings = build_listings(incidents, CONFIG)
    assert [v.name for v in listings.groups["years"].values] == ["2024", "2023", "2022"]
    assert len(listings.incidents) == 3
    assert sum(v.count for v in listings.groups["severity"].values) == 2


def test_reverse_related_maps_each_id_to_the_incidents_that_list_it() -> None:
    a = incident("2023-01-01-a")
    b = incident("2024-01-01-b", related=["2023-01-01-a"])
    c = incident("2025-01-01-c", related=["2023-01-01-a", "2024-01-01-b", "2025-01-01-c"])
    assert reverse_related(newest_first(a, b, c)) == {
        "2023-01-01-a": ("2025-01-01-c", "2024-01-01-b"),
        "2024-01-01-b": ("2025-01-01-c",),
    }


@pytest.mark.parametrize(
    ("count", "sizes"), [(0, [0]), (1, [1]), (200, [200]), (201, [200, 1]), (450, [200, 200, 50])]
)
def test_paginate(count: int, sizes: list[int]) -> None:
    assert [len(page) for page in paginate(list(range(count)))] == sizes


def test_paged_uris() -> None:
    assert paged_uri("incidents/index.md", 1) == "incidents/index.md"
    assert paged_uri("incidents/index.md", 2) == "incidents/page/2.md"
    assert paged_uri("incidents/services/a/index.md", 3) == "incidents/services/a/page/3.md"


def test_action_summary_counts_open_and_overdue_items_as_of_a_date() -> None:
    incidents = [
        incident("2024-01-01-a", actions=[("2024-12-01", "open"), ("2025-02-01", "open")]),
        incident("2024-02-01-b", actions=[("2024-06-01", "done"), ("2024-06-01", "not-doing")]),
        incident("2024-03-01-c", actions=[("2024-12-31", "open")]),
    ]
    summary = action_summary(incidents, TODAY)
    assert (summary.open, summary.overdue, summary.incidents_with_open) == (3, 2, 2)


def test_action_summary_takes_the_status_the_ledger_resolves() -> None:
    """A tracker that says an item is closed (a status source) outranks its open Status cell,
    on the home page's summary as in the ledger."""
    incidents = [
        incident("2024-01-01-a", actions=[("2024-12-01", "open"), ("2025-02-01", "open")]),
        incident("2024-03-01-c", actions=[("2024-12-31", "open")]),
    ]

    def tracker(pm: PostMortem, item: ActionItem) -> ResolvedStatus | None:
        closed = pm.id == "2024-01-01-a" and item.due == dt.date(2024, 12, 1)
        return ResolvedStatus("done", dt.date(2024, 11, 30), "jira") if closed else None

    summary = action_summary(incidents, TODAY, [tracker])
    assert (summary.open, summary.overdue, summary.incidents_with_open) == (2, 1, 2)


# --- the page header --------------------------------------------------------------------


def test_header_has_timings_links_and_roles() -> None:
    pm = incident("2024-11-15-a", services=["payments-api", "Orders DB"], runbooks=["db-sat"])
    listings = build_listings([pm], CONFIG)
    header = build_header(pm, CONFIG, listings, {"db-sat": "runbooks/db-sat.md"})
    assert [(t.label, t.value) for t in header.timings] == [
        ("Duration", "2 h 18 min"),
        ("Time to detect", "7 min"),
        ("Time to mitigate", "49 min"),
        ("Time to resolve", "2 h 18 min"),
    ]
    assert header.severity is not None and header.severity.background == "#e65100"
    assert header.severity_uri == "incidents/severity/sev2/index.md"
    assert [(s.label, s.src_uri) for s in header.services] == [
        ("payments-api", "incidents/services/payments-api/index.md"),
        ("Orders DB", "incidents/services/orders-db/index.md"),
    ]
    assert header.roles == (("Incident commander", "@sam"), ("Scribe", "@lee"))
    assert header.started == "14:02 UTC"
    assert [(r.label, r.src_uri) for r in header.runbooks] == [("db-sat", "runbooks/db-sat.md")]


def test_a_missing_timestamp_is_not_recorded_never_a_number() -> None:
    pm = incident(
        "2024-11-15-a",
        status="draft",
        timestamps={"started": "2024-11-15T14:02:00Z", "detected": "2024-11-15T14:09:00Z"},
    )
    header = build_header(pm, CONFIG, build_listings([pm], CONFIG), {})
    shown = {t.label: (t.value, t.recorded) for t in header.timings}
    assert shown == {
        "Duration": (NOT_RECORDED, False),
        "Time to detect": ("7 min", True),
        "Time to mitigate": (NOT_RECORDED, False),
        "Time to resolve": (NOT_RECORDED, False),
    }


def test_header_timestamps_with_an_offset_are_shown_in_utc() -> None:
    pm = incident(
        "2024-11-15-a",
        timestamps={"started": "2024-11-15T16:02:00+02:00", "resolved": "2024-11-15T17:00:00Z"},
    )
    header = build_header(pm, CONFIG, build_listings([pm], CONFIG), {})
    assert header.started == "14:02 UTC"
    assert header.timings[0].value == "2 h 58 min"


def test_related_incidents_are_shown_in_both_directions_newest_first() -> None:
    a = incident("2023-01-01-a", title="First")
    b = incident("2024-01-01-b", related=["2023-01-01-a"])
    c = incident("2025-01-01-c", related=["2023-01-01-a"])
    listings = build_listings(newest_first(a, b, c), CONFIG)
    related_a = build_header(a, CONFIG, listings, {}).related
    assert [r.id for r in related_a] == ["2025-01-01-c", "2024-01-01-b"]
    related_b = build_header(b, CONFIG, listings, {}).related
    assert [(r.id, r.title, r.src_uri) for r in related_b] == [
        ("2023-01-01-a", "First", "postmortems/2023-01-01-a.md")
    ]


# --- generated pages --------------------------------------------------------------------


def test_escape_keeps_titles_literal() -> None:
    assert escape("a | b *c* <d> [e](f) `g` #1 & _h_") == (
        r"a &#124; b \*c\* &lt;d&gt; \[e\]\(f\) \`g\` \#1 &amp; \_h\_"
    )


@pytest.mark.parametrize(
    ("here", "target", "link"),
    [
        ("incidents/index.md", "postmortems/a.md", "../postmortems/a.md"),
        ("incidents/services/x/index.md", "postmortems/a.md", "../../../postmortems/a.md"),
        ("incidents/services/x/page/2.md", "incidents/services/x/index.md", "../index.md"),
        ("index.md", "incidents/index.md", "incidents/index.md"),
        ("runbooks/db.md", "incidents/runbooks/db/index.md", "../incidents/runbooks/db/index.md"),
        ("incidents/page/2.md", "incidents/page/3.md", "3.md"),
        ("incidents/services/page/index.md", "incidents/services/page/page/2.md", "page/2.md"),
    ],
)
def test_relative_links(here: str, target: str, link: str) -> None:
    assert relative(here, target) == link


def test_generated_pages_cover_every_group_value_and_the_severity_page() -> None:
    pm = incident("2024-11-15-a", runbooks=["db-sat"])
    pages = {p.src_uri: p for p in IndexPages(build_listings([pm], CONFIG), CONFIG).pages()}
    for uri in [
        "incidents/index.md",
        "incidents/severity/index.md",
        "incidents/severity/sev2/index.md",
        "incidents/severity/sev1/index.md",  # configured, no incident
        "incidents/services/index.md",
        "incidents/services/payments-api/index.md",
        "incidents/tags/config-change/index.md",
        "incidents/factors/technical/index.md",
        "incidents/years/2024/index.md",
        "incidents/runbooks/db-sat/index.md",
        "severity-levels.md",
    ]:
        assert uri in pages, uri
    in_nav = sorted(uri for uri, page in pages.items() if page.in_nav)
    assert in_nav == sorted(
        ["incidents/index.md", "severity-levels.md"]
        + [f"incidents/{g}/index.md" for g in ("severity", "services", "tags", "factors")]
        + ["incidents/years/index.md", "incidents/runbooks/index.md"]
    )
    assert "No incidents yet." in pages["incidents/severity/sev1/index.md"].markdown


def _listing_html(renderer: IndexPages, here: str) -> str:
    """The rendered listing at `here` once its table is put in (as the plugin does)."""
    pages = {p.src_uri: p for p in renderer.pages()}
    assert INCIDENT_TABLE_MARKER in pages[here].markdown  # no Markdown row: the table is HTML
    return renderer.page_html(f"<p>Lead.</p>\n{INCIDENT_TABLE_MARKER}\n", here)


def test_listing_rows_link_titles_and_services_with_escaped_text() -> None:
    pm = incident("2024-11-15-a", title="Pool | exhaustion <b>", services=["a/b"])
    html = _listing_html(
        IndexPages(build_listings([pm], CONFIG), CONFIG), "incidents/services/a-b/index.md"
    )
    assert INCIDENT_TABLE_MARKER not in html
    row = next(line for line in html.splitlines() if "2024-11-15-a" in line)
    assert '<a href="../../../postmortems/2024-11-15-a/">Pool | exhaustion &lt;b&gt;</a>' in row
    assert '<a href="../../../incidents/services/a-b/">a/b</a>' in row
    assert "<td>2 h 18 min</td><td>Published</td>" in row and "#e65100" in row
    assert "<th>Date</th><th>Incident</th><th>Severity</th><th>Services</th>" in html


@pytest.mark.parametrize(
    ("directory_urls", "prefix", "postmortem", "service"),
    [
        (True, "", "../../../postmortems/2024-11-15-a/", "../../../incidents/services/a-b/"),
        (
            False,
            "",
            "../../../postmortems/2024-11-15-a.html",
            "../../../incidents/services/a-b/index.html",
        ),
        (
            True,
            "kb/",
            "../../../../kb/postmortems/2024-11-15-a/",
            "../../../../kb/incidents/services/a-b/",
        ),
        (
            False,
            "kb/",
            "../../../../kb/postmortems/2024-11-15-a.html",
            "../../../../kb/incidents/services/a-b/index.html",
        ),
    ],
)
def test_listing_links_follow_use_directory_urls_and_the_url_prefix(
    directory_urls: bool, prefix: str, postmortem: str, service: str
) -> None:
    config = KBConfig(url_prefix=prefix)
    pm = incident("2024-11-15-a", services=["a/b"])
    renderer = IndexPages(build_listings([pm], config), config, directory_urls=directory_urls)
    html = _listing_html(renderer, f"{prefix}incidents/services/a-b/index.md")
    assert f'href="{postmortem}"' in html and f'href="{service}"' in html


def test_pages_split_past_the_page_size_with_newer_and_older_links() -> None:
    incidents = newest_first(*(incident(f"2024-01-{d:02d}-i{d}") for d in range(1, 8)))
    renderer = IndexPages(build_listings(incidents, CONFIG), CONFIG, page_size=3)
    pages = {p.src_uri: p.markdown for p in renderer.all_incidents()}
    assert list(pages) == ["incidents/index.md", "incidents/page/2.md", "incidents/page/3.md"]
    tables = {uri: renderer.page_html(INCIDENT_TABLE_MARKER, uri) for uri in pages}
    rows = {uri: table.count('href="../postmortems/') for uri, table in tables.items()}
    assert rows == {"incidents/index.md": 3, "incidents/page/2.md": 0, "incidents/page/3.md": 0}
    assert tables["incidents/page/2.md"].count('href="../../../postmortems/') == 3
    assert "[Older →](page/2.md)" in pages["incidents/index.md"]
    assert "Newer" not in pages["incidents/index.md"]
    assert "[← Newer](../index.md)" in pages["incidents/page/2.md"]
    assert "[Older →](3.md)" in pages["incidents/page/2.md"]
    assert "[← Newer](2.md)" in pages["incidents/page/3.md"]
    assert "Page 3 of 3" in pages["incidents/page/3.md"]
    assert "2024-01-01-i1" in tables["incidents/page/3.md"]


def test_overviews_paginate_too() -> None:
    pms = [incident("2024-01-01-a", services=[f"svc-{n}" for n in range(7)])]
    renderer = IndexPages(build_listings(pms, CONFIG), CONFIG, page_size=3)
    overview = list(renderer.group_overview(renderer.listings.groups["services"]))
    assert [p.src_uri for p in overview] == [
        "incidents/services/index.md",
        "incidents/services/page/2.md",
        "incidents/services/page/3.md",
    ]
    assert "[svc-3](../svc-3/index.md) | 1 | " in overview[1].markdown


def test_severity_page_comes_from_the_configured_levels() -> None:
    config = KBConfig(
        severity_levels=[
            SeverityLevel(name="P1", meaning="Everything is down.", paging="Everyone."),
            SeverityLevel(name="P2", meaning="Something is slow.", example="Search is slow."),
        ]
    )
    pms = [incident("2024-01-01-a", severity="P1"), incident("2024-02-01-b", severity="P1")]
    page = IndexPages(build_listings(newest_first(*pms), config), config).severity_page()
    assert page.src_uri == "severity-levels.md"
    assert "[2 incidents rated P1](incidents/severity/p1/index.md)" in page.markdown
    assert "[0 incidents rated P2](incidents/severity/p2/index.md)" in page.markdown
    assert "- **Meaning:** Everything is down." in page.markdown
    assert "- **Example:** Search is slow." in page.markdown
    assert "**Updates:**" not in page.markdown


# --- the site of a build ----------------------------------------------------------------


def test_runbook_uris_skip_indexes_and_other_folders() -> None:
    uris = [
        "runbooks/index.md",
        "runbooks/a.md",
        "runbooks/deep/b.md",
        "other/c.md",
        "runbooks/x.png",
    ]
    assert runbook_uris(uris, "runbooks") == {"a": "runbooks/a.md", "b": "runbooks/deep/b.md"}


def test_home_markers_and_runbook_backlinks() -> None:
    pms = newest_first(
        *(
            incident(f"2024-01-{d:02d}-i{d}", runbooks=["db"], actions=[("2024-06-01", "open")])
            for d in range(1, 13)
        )
    )
    site = KBSite(pms, CONFIG, runbook_uris={"db": "runbooks/db.md"}, today=TODAY)
    home = site.page_markdown(
        "# Home\n\n<!-- pmkb:recent-incidents -->\n\n<!-- pmkb:open-actions -->\n", "index.md"
    )
    assert home.count("](postmortems/") == 10
    assert "2024-01-12-i12" in home and "2024-01-02-i2" not in home
    assert "[all 12 incidents](incidents/index.md)" in home
    assert "**12 open action items** across 12 incidents; **12 overdue** as of 2025-01-01" in home
    runbook = site.page_markdown("# DB\n\nSteps.\n", "runbooks/db.md")
    assert "## Incidents that used this runbook" in runbook
    assert runbook.count("](../postmortems/") == 12
    assert runbook.index("2024-01-12-i12") < runbook.index("2024-01-11-i11")
    assert site.page_markdown("# Other\n", "runbooks/other.md") == "# Other\n"


def test_runbook_backlinks_are_capped_with_a_link_to_the_full_list() -> None:
    pms = newest_first(*(incident(f"2024-02-{d:02d}-i{d}", runbooks=["db"]) for d in range(1, 26)))
    site = KBSite(pms, CONFIG, runbook_uris={"db": "runbooks/db.md"}, today=TODAY)
    runbook = site.page_markdown("# DB\n", "runbooks/db.md")
    assert runbook.count("](../postmortems/") == 20
    assert "[All 25 incidents that used this runbook](../incidents/runbooks/db/index.md)" in runbook


def test_a_runbook_nobody_used_says_so() -> None:
    site = KBSite([], CONFIG, runbook_uris={"db": "runbooks/db.md"}, today=TODAY)
    assert "No post-mortem names this runbook yet." in site.page_markdown(
        "# DB\n", "runbooks/db.md"
    )
    assert site.header("postmortems/nothing.md") is None


def test_a_rebuild_takes_the_last_sites_pages_only_when_they_read_the_same() -> None:
    """`mkdocs serve` hands the last build's `KBSite` to the next: its generated pages (and
    export) are taken when the incidents show the same `generated_view`, and made again
    otherwise, then equal to those of a site built from scratch."""
    good = (
        Path(__file__).parent / "fixtures" / "2024-11-15-payments-pool-exhaustion.md"
    ).read_text(encoding="utf-8")

    def site(text: str, previous: KBSite | None = None, today: dt.date = TODAY) -> KBSite:
        pm = parse_text(text, Path("postmortems/a.md"), "postmortems/a.md").postmortem
        assert pm is not None
        other = incident("2024-01-02-other", actions=[("2024-06-01", "open")])
        return KBSite(
            newest_first(pm, other), CONFIG, runbook_uris={}, today=today, previous=previous
        )

    def shown(s: KBSite) -> list[tuple[str, str, str]]:
        return [
            (p.src_uri, p.markdown, s.page_html(p.markdown, p.src_uri)) for p in s.generated_pages()
        ]

    first = site(good)
    pages, export = first.generated_pages(), first.export()
    lessons = site(good.rstrip() + "\n\nOne more lesson, written while serving.\n", first)
    assert lessons.generated_pages() is pages and lessons.export() is export
    assert site(good, first, today=TODAY + dt.timedelta(days=1)).generated_pages() is not pages
    changes = [
        good.replace("severity: SEV2", "severity: SEV1"),
        good.replace("## Summary\n\n", "## Summary\n\nThe pool ran dry at peak.\n\n", 1),
        good.replace("| PLAT-881 | open |", "| PLAT-881 | done 2025-01-10 |"),
    ]
    for changed in changes:
        assert changed != good
        again = site(changed, first)
        assert again.generated_pages() is not pages
        assert shown(again) == shown(site(changed)) != shown(first)
        assert again.export() == site(changed).export()
