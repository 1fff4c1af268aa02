"""The site search: each page's search markup, the Pagefind index of a built site, the
theme override's drift from Material's templates, and `mkdocs serve`.

The search in a real browser (queries, filters, keyboard) is tested in
tests/browser/test_site_search.py.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from postmortem_kb.config import KBConfig
from postmortem_kb.kb_site import KBSite
from postmortem_kb.parser import parse_text
from postmortem_kb.site_search import (
    EXCLUDE_SELECTORS,
    HANDBOOK,
    UNUSED_BUNDLE_FILES,
    SiteSearchError,
    fragment_texts,
    index_site,
    postmortem_markup,
    unindexed,
)

from .conftest import GOOD_NAME, REPO, build_site

MATERIAL = Path(__import__("material").__file__).parent / "templates"
GOOD_ID = GOOD_NAME.removesuffix(".md")
GOOD_TITLE = "Checkout errors after payments connection pool exhaustion"


def parse(text: str, name: str = GOOD_NAME):  # type: ignore[no-untyped-def]
    return parse_text(text, Path(name), name).postmortem


# --- markup ------------------------------------------------------------------------------------


def test_a_postmortem_carries_its_facets_result_metadata_and_date(good_text: str) -> None:
    markup = postmortem_markup(parse(good_text), KBConfig())
    assert markup.kind == "incident"
    assert markup.filters == (
        ("severity", "SEV2"),
        ("service", "payments-api"),
        ("service", "checkout-web"),
        ("tag", "connection-pool-exhaustion"),
        ("tag", "config-change"),
        ("year", "2024"),
        ("status", "Published"),
    )
    meta = dict(markup.meta)
    assert meta["kind"] == "incident"
    assert meta["severity"] == "SEV2" and meta["date"] == "2024-11-15"
    assert meta["badge"] == "background-color: #e65100; color: #000000"  # the level's colours
    assert meta["services"] == "payments-api, checkout-web"
    assert meta["impact"] == "About 7% of checkout attempts failed for 49 minutes."
    assert markup.sort == (("date", "2024-11-15"),)


def test_a_draft_without_severity_or_date_has_no_such_facet(good_text: str) -> None:
    draft = re.sub(r"^(severity|date|status): .*\n", "", good_text, flags=re.MULTILINE)
    markup = postmortem_markup(parse(draft), KBConfig())
    keys = {key for key, _ in markup.filters}
    assert "severity" not in keys and "year" not in keys and "status" not in keys
    assert {"service", "tag"} <= keys
    assert "date" not in dict(markup.meta) and markup.sort == ()


def test_post_mortems_and_handbook_pages_are_indexed_listings_and_home_are_not(
    good_text: str,
) -> None:
    site = KBSite(
        [parse(good_text)],
        KBConfig(),
        runbook_uris={"db": "runbooks/db.md"},
        today=dt.date(2025, 1, 1),
    )
    assert site.search_markup(f"postmortems/{GOOD_ID}.md").kind == "incident"  # type: ignore[union-attr]
    for handbook in (
        "how-to-write.md",
        "runbooks/db.md",
        "runbooks/index.md",
        "severity-levels.md",
    ):
        assert site.search_markup(handbook) == HANDBOOK, handbook
    for listing in ("index.md", "incidents/index.md", "incidents/services/payments-api/index.md"):
        assert site.search_markup(listing) is None, listing


def test_a_runbooks_list_of_incidents_is_left_out_of_the_index(good_text: str) -> None:
    site = KBSite(
        [parse(good_text)],
        KBConfig(),
        runbook_uris={"database-connection-saturation": "runbooks/db.md"},
        today=dt.date(2025, 1, 1),
    )
    markdown = site.page_markdown("# DB\n\nSteps.\n", "runbooks/db.md")
    before, wrapped = markdown.split('<div class="pmkb-unindexed" markdown>\n')
    assert before == "# DB\n\nSteps.\n\n"
    assert "## Incidents that used this runbook" in wrapped and GOOD_TITLE in wrapped
    assert wrapped.rstrip().endswith("</div>")
    assert unindexed("text\n") == '<div class="pmkb-unindexed" markdown>\n\ntext\n\n</div>\n'


# --- indexing a site folder ----------------------------------------------------------------------

PAGE = """<!doctype html><html lang="en"><head><title>{title}</title></head><body>
<nav>Navigation boilerplate</nav>
<article {body}><h1>{title}<a class="headerlink" href="#">¶</a></h1><p>{text}</p>
<div hidden><span data-pagefind-filter="severity:{severity}"></span>
<span data-pagefind-meta="date:2024-01-02"></span></div>
<section class="pmkb-footer"><p>Related: another incident's title</p></section>
</article></body></html>"""


def write_site(root: Path) -> Path:
    pages = {
        "a/index.html": PAGE.format(
            title="Pool exhaustion",
            body="data-pagefind-body",
            text="pgbouncer refused",
            severity="SEV1",
        ),
        "b/index.html": PAGE.format(
            title="Disk full", body="data-pagefind-body", text="the disk filled", severity="SEV3"
        ),
        "incidents/index.html": PAGE.format(
            title="All incidents", body="", text="Pool exhaustion Disk full", severity="SEV2"
        ),
    }
    for path, html in pages.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(html, encoding="utf-8")
    return root


def fragments(site: Path) -> dict[str, dict]:  # type: ignore[type-arg]
    return {
        data["url"]: data
        for data in (json.loads(text) for _, text in fragment_texts(site / "pagefind"))
    }


def test_index_site_indexes_marked_pages_with_their_filters_and_meta(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    stats = index_site(site)
    assert stats.pages == 2 and stats.output == site / "pagefind"
    assert stats.files == len([f for f in stats.output.rglob("*") if f.is_file()])
    found = fragments(site)
    assert set(found) == {"/a/", "/b/"}  # the page without data-pagefind-body is left out
    page = found["/a/"]
    assert page["meta"] == {"title": "Pool exhaustion", "date": "2024-01-02"}
    assert page["filters"] == {"severity": ["SEV1"]}
    # the article only, without the excluded boilerplate
    assert page["content"] == "Pool exhaustion. pgbouncer refused."
    assert ".pmkb-footer" in EXCLUDE_SELECTORS and ".headerlink" in EXCLUDE_SELECTORS


def test_index_site_replaces_the_previous_index_and_ships_no_unused_ui(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    stale = site / "pagefind" / "index" / "en_stale.pf_index"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    index_site(site)
    assert not stale.exists()
    assert (site / "pagefind" / "pagefind.js").is_file()
    assert not any((site / "pagefind" / name).exists() for name in UNUSED_BUNDLE_FILES)


def test_fragments_are_gzipped_json_that_fragment_texts_decodes(tmp_path: Path) -> None:
    site = write_site(tmp_path / "site")
    index_site(site)
    raw = next((site / "pagefind" / "fragment").iterdir()).read_bytes()
    assert raw[:2] == b"\x1f\x8b" and gzip.decompress(raw).startswith(b"pagefind_dcd{")
    assert all(text.startswith("{") for _, text in fragment_texts(site / "pagefind"))


def test_a_failing_indexer_raises_with_its_output(tmp_path: Path) -> None:
    with pytest.raises(SiteSearchError, match="exit 1"):
        index_site(write_site(tmp_path), command=[sys.executable, "-c", "raise SystemExit(1)"])
    with pytest.raises(SiteSearchError, match="could not run"):
        index_site(write_site(tmp_path), command=[str(tmp_path / "no-such-pagefind")])


# --- the example knowledge base, built -------------------------------------------------------


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("example") / "site"
    result = build_site(REPO, "-d", str(site))
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stderr[-6000:]}")
    return site


def test_the_example_site_has_a_pagefind_index_and_no_lunr_index(example_site: Path) -> None:
    assert (example_site / "pagefind" / "pagefind.js").is_file()
    assert not (example_site / "search" / "search_index.json").exists()
    html = (example_site / "index.html").read_text(encoding="utf-8")
    assert 'aria-controls="pmkb-search"' in html and 'role="combobox"' in html
    assert "assets/pmkb/search.js" in html and "assets/pmkb/search.css" in html
    assert (example_site / "assets" / "pmkb" / "search.js").is_file()
    # Material fetches its own index whenever a form named "search" exists
    assert 'name="search"' not in html


def test_the_example_index_holds_post_mortems_and_handbook_pages_only(example_site: Path) -> None:
    urls = set(fragments(example_site))
    postmortems = {p.stem for p in (REPO / "postmortems").glob("*.md")}
    assert {u for u in urls if u.startswith("/postmortems/")} == {
        f"/postmortems/{pm}/" for pm in postmortems
    }
    assert {"/how-to-write/", "/severity-levels/", "/runbooks/certificate-rotation/"} <= urls
    assert not {u for u in urls if u.startswith("/incidents/")}
    assert "/" not in urls  # the home page lists recent incidents
    home = (example_site / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in home


def test_a_post_mortems_fragment_has_header_and_body_but_no_footer(example_site: Path) -> None:
    page = fragments(example_site)["/postmortems/2023-02-14-payments-db-pool-exhaustion/"]
    assert page["meta"]["title"].startswith("Checkout failures on Valentine's Day")
    assert page["meta"]["severity"] == "SEV2" and page["meta"]["date"] == "2023-02-14"
    assert page["filters"]["severity"] == ["SEV2"] and page["filters"]["year"] == ["2023"]
    assert "payments-api" in page["filters"]["service"]
    content = page["content"]
    assert "Up to 31% of checkout attempts failed" in content  # the header's impact
    assert "PgBouncer" in content  # the body
    for footer in ("Related incidents", "Similar incidents", "Runbooks used", "¶"):
        assert footer not in content, footer


def test_a_runbooks_backlinks_are_on_the_page_but_not_in_the_index(example_site: Path) -> None:
    runbook = "runbooks/database-connection-saturation"
    html = (example_site / runbook / "index.html").read_text(encoding="utf-8")
    assert 'class="pmkb-unindexed"' in html and "Valentine" in html
    content = fragments(example_site)[f"/{runbook}/"]["content"]
    assert "Incidents that used this runbook" not in content and "Valentine" not in content


def test_site_search_false_builds_without_index_or_dialog(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project(
        {GOOD_NAME: good_text.replace("related: [2023-06-02-payments-db-failover]", "related: []")}
    )
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        .replace("  - postmortems\n", "  - postmortems:\n      site_search: false\n")
        .replace(
            "theme:\n  name: material\n",
            f"theme:\n  name: material\n  custom_dir: {REPO / 'overrides'}\n",
        ),
        encoding="utf-8",
    )
    result = build_site(project)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    assert not (site / "pagefind").exists()
    assert (site / "search" / "search_index.json").is_file()  # Material's search is on here
    html = (site / "postmortems" / GOOD_ID / "index.html").read_text(encoding="utf-8")
    assert "data-pagefind-body" not in html and "pmkb-search" not in html
    assert 'class="md-search"' in html  # Material's search box instead


# --- the theme override against Material's templates -------------------------------------------


def _without_comments(template: str) -> str:
    return re.sub(r"\{#.*?#\}", "", template, flags=re.DOTALL).strip()


def test_the_header_override_is_materials_header_but_for_the_search() -> None:
    ours = (REPO / "overrides" / "partials" / "header.html").read_text(encoding="utf-8")
    material = (MATERIAL / "partials" / "header.html").read_text(encoding="utf-8")
    start, end = ours.index("{#- pmkb:search -#}"), ours.index("{#- /pmkb:search -#}")
    restored = (
        ours[:start]
        + '{% if "material/search" in config.plugins %}'
        + ours[end + len("{#- /pmkb:search -#}") :]
    )
    assert "partials/pmkb/search.html" in ours[start:end]
    assert _without_comments(restored).split() == _without_comments(material).split()


def _block(template: str, name: str) -> str:
    """The body of `{% block name %}` in `template`, nested blocks included."""
    opening = f"{{% block {name} %}}"
    start = template.index(opening) + len(opening)
    depth = 1
    for tag in re.finditer(r"\{%-?\s*(block|endblock)\b.*?%\}", template[start:]):
        depth += 1 if tag[1] == "block" else -1
        if depth == 0:
            return template[start : start + tag.start()]
    raise ValueError(f"block {name} is not closed")


def test_the_container_override_is_materials_but_for_the_search_markup() -> None:
    main = (REPO / "overrides" / "main.html").read_text(encoding="utf-8")
    base = (MATERIAL / "base.html").read_text(encoding="utf-8")
    ours = (
        _block(main, "container")
        .replace("{% if pmkb_search %} data-pagefind-body{% endif %}", "")
        .replace(
            '{% if pmkb_search %}{% include "partials/pmkb/search-data.html" %}{% endif %}', ""
        )
        .replace(
            "{{ self.content() }}",
            '{% block content %}{% include "partials/content.html" %}{% endblock %}',
        )
    )
    assert "".join(ours.split()) == "".join(_block(base, "container").split())


# --- mkdocs serve ------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def served_example() -> Iterator[str]:
    """`mkdocs serve` on the example knowledge base, on a free port."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--no-livereload", "-a", f"127.0.0.1:{port}"],
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        process.terminate()
        process.wait(timeout=30)


def test_mkdocs_serve_serves_the_index_it_builds(served_example: str) -> None:
    deadline = time.monotonic() + 120
    while True:
        try:
            with urllib.request.urlopen(served_example + "pagefind/pagefind-entry.json") as r:
                entry = json.load(r)
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("mkdocs serve did not serve pagefind/pagefind-entry.json in 120 s")
            time.sleep(0.5)
    assert entry["languages"]["en"]["page_count"] >= len(list((REPO / "postmortems").glob("*.md")))
    with urllib.request.urlopen(served_example + "pagefind/pagefind.js") as r:
        assert r.status == 200
