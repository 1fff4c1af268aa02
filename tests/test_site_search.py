"""The site search: each page's search markup and text, the index files (`site_index`),
the index of the example site, the header override's drift from Material's, and
`mkdocs serve`.

The search in a real browser (queries, filters, keyboard) is tested in
tests/browser/test_site_search.py.
"""

from __future__ import annotations

import datetime as dt
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
from postmortem_kb.format.parser import parse_text
from postmortem_kb.plugin import TEMPLATES
from postmortem_kb.search.site.index_writer import (
    BLOCK_SIZE,
    OUTPUT_SUBDIR,
    SHARD_BYTES,
    SearchDoc,
    SearchMarkup,
    encode_postings,
    impacts,
    normalise,
    ordered,
    tokens,
    write_index,
)
from postmortem_kb.site.kb_site import KBSite
from postmortem_kb.site.search_markup import (
    HANDBOOK,
    page_text,
    postmortem_markup,
    search_doc,
    unindexed,
)

from .conftest import GOOD_NAME, REPO, build_site
from .shards import decode_postings, read_shard

MATERIAL = Path(__import__("material").__file__).parent / "templates"
GOOD_ID = GOOD_NAME.removesuffix(".md")
GOOD_TITLE = "Checkout errors after payments connection pool exhaustion"


def parse(text: str, name: str = GOOD_NAME):  # type: ignore[no-untyped-def]
    return parse_text(text, Path(name), name).postmortem


# --- markup ------------------------------------------------------------------------------------


def test_a_postmortem_carries_its_facets_labels_impact_and_result_data(good_text: str) -> None:
    markup = postmortem_markup(parse(good_text), KBConfig())
    assert markup.kind == "incident"
    assert markup.facets == (
        ("severity", "SEV2"),
        ("service", "payments-api"),
        ("service", "checkout-web"),
        ("tag", "connection-pool-exhaustion"),
        ("tag", "config-change"),
        ("year", "2024"),
        ("status", "Published"),
    )
    assert markup.labels == (
        "payments-api",
        "checkout-web",
        "connection-pool-exhaustion",
        "config-change",
    )
    assert markup.lead == "About 7% of checkout attempts failed for 49 minutes."
    assert markup.shown == {
        "s": "SEV2",
        "b": "background-color: #e65100; color: #000000",  # the level's colours
        "d": "2024-11-15",
        "v": "payments-api, checkout-web",
    }
    assert markup.date == "2024-11-15"


def test_a_draft_without_severity_or_date_has_no_such_facet(good_text: str) -> None:
    draft = re.sub(r"^(severity|date|status): .*\n", "", good_text, flags=re.MULTILINE)
    markup = postmortem_markup(parse(draft), KBConfig())
    keys = {key for key, _ in markup.facets}
    assert "severity" not in keys and "year" not in keys and "status" not in keys
    assert {"service", "tag"} <= keys
    assert "d" not in markup.shown and "s" not in markup.shown and markup.date == ""


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


# --- a page's text -------------------------------------------------------------------------------


def test_page_text_keeps_what_people_read_and_leaves_out_permalinks_and_unindexed_blocks() -> None:
    html = (
        '<h2 id="x">Root cause<a class="headerlink" href="#x">¶</a></h2>'
        "<p>The pool <code>max_connections</code> was&nbsp;20.<br>Then</p>"
        '<div class="pmkb-unindexed"><ul><li><a href="/a/">Another incident</a></li></ul>'
        "<div>nested</div></div><script>var secret = 1;</script><p>After &amp; more</p>"
    )
    assert page_text(html) == "Root cause The pool max_connections was 20. Then After & more"


def test_search_doc_takes_the_markup_of_its_page(good_text: str) -> None:
    markup = postmortem_markup(parse(good_text), KBConfig())
    doc = search_doc("postmortems/x/", "Title", "<p>Body text</p>", markup)
    assert (doc.url, doc.title, doc.body) == ("postmortems/x/", "Title", "Body text")
    assert doc.markup is markup


# --- the index files ---------------------------------------------------------------------------


def test_tokens_are_lower_case_words_and_numbers_without_a_plural_s() -> None:
    text = "Timeouts on PgBouncer's pools: p99 503s, status/class OK; Redis_cache naïve"
    assert list(tokens(text)) == [
        "timeout", "on", "pgbouncer", "s", "pool", "p99", "503", "status", "class", "ok",
        "redis", "cache", "naïve",
    ]  # fmt: skip
    assert normalise("redis") == "redis" and normalise("gas") == "gas"  # is, 3 letters
    assert list(tokens("x" * 41 + " kept")) == ["kept"]  # a hash is not a word


def doc(url: str, title: str, body: str, **fields: object) -> SearchDoc:
    return SearchDoc(url, title, body, SearchMarkup(**fields))  # type: ignore[arg-type]


def test_ids_put_incidents_newest_first_then_other_pages_by_url() -> None:
    docs = [
        doc("runbooks/b/", "B", ""),
        doc("postmortems/old/", "Old", "", kind="incident", date="2023-01-01"),
        doc("how-to/", "How", ""),
        doc("postmortems/new/", "New", "", kind="incident", date="2024-05-01"),
    ]
    assert [d.url for d in ordered(docs)] == [
        "postmortems/new/",
        "postmortems/old/",
        "how-to/",
        "runbooks/b/",
    ]


def test_a_title_word_outranks_the_same_word_in_a_body_and_stop_words_are_not_indexed() -> None:
    docs = [
        doc("a/", "Disk full on the database", "nothing else"),
        doc("b/", "Unrelated", "the database disk was mentioned once in a long body " * 3),
        doc("c/", "Other", "more text about queues"),
    ]
    postings = impacts(docs)
    assert "the" not in postings and "a" not in postings
    disk = dict(postings["disk"])
    assert set(disk) == {0, 1} and disk[0] > disk[1]
    assert all(1 <= impact <= 255 for p in postings.values() for _, impact in p)
    assert max(impact for p in postings.values() for _, impact in p) == 255
    assert impacts([doc("d/", "The", "of the")]) == {} == impacts([])


def test_postings_round_trip_through_varints() -> None:
    postings = [(0, 7), (1, 255), (200, 1), (70_000, 30)]
    data = encode_postings(postings)
    assert len(data) == 1 + 1 + 1 + 1 + 2 + 1 + 3 + 1  # 70,000 - 200 takes 3 bytes
    assert decode_postings(data) == postings


def test_write_index_writes_manifest_shards_result_blocks_and_facets(tmp_path: Path) -> None:
    docs = [
        doc(
            f"postmortems/{i:03}/",
            f"Incident {i}",
            f"word{i} shared " + " ".join(f"filler{i}x{j}" for j in range(600)),
            kind="incident",
            date=f"2024-01-{1 + i % 28:02}",
            facets=(("severity", "SEV1" if i % 3 == 0 else "SEV2"), ("year", "2024")),
            shown={"s": "SEV1" if i % 3 == 0 else "SEV2"},
        )
        for i in range(40)
    ]
    stale = tmp_path / OUTPUT_SUBDIR / "terms" / "999.bin"
    stale.parent.mkdir(parents=True)
    stale.write_bytes(b"old")
    stats = write_index(tmp_path, docs)
    output = tmp_path / OUTPUT_SUBDIR
    assert not stale.exists()  # the previous index is replaced
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["documents"] == 40 == stats.documents
    assert "the" in manifest["stopWords"] and manifest["blockSize"] == BLOCK_SIZE
    shards = sorted((output / "terms").glob("*.bin"), key=lambda p: int(p.stem))
    assert len(shards) == len(manifest["shards"]) > 1  # 24,000 distinct filler terms
    merged: dict[str, list[tuple[int, int]]] = {}
    for path, first in zip(shards, manifest["shards"], strict=True):
        shard = read_shard(path.read_bytes())
        assert min(shard) == first and list(shard) == sorted(shard)
        assert path.stat().st_size < SHARD_BYTES * 2
        merged.update(shard)
    assert len(merged) == stats.terms
    assert [doc_id for doc_id, _ in merged["shared"]] == list(range(40))
    records = json.loads((output / "docs" / "0.json").read_text(encoding="utf-8"))
    assert len(records) == BLOCK_SIZE and {"u", "t", "k", "x", "s"} <= set(records[0])
    newest = records[0]["u"]
    assert [d for d in docs if d.url == newest][0].markup.date == max(d.markup.date for d in docs)
    newest_doc = [d for d in docs if d.url == newest][0]
    assert (output / "text" / "0.txt").read_text(encoding="utf-8") == newest_doc.body
    assert len(list((output / "text").iterdir())) == 40
    severity = json.loads((output / "facets" / "severity.json").read_text(encoding="utf-8"))
    ids = [sum(severity["SEV1"][: i + 1]) for i in range(len(severity["SEV1"]))]  # deltas
    assert len(ids) == 14 and all(records[i]["s"] == "SEV1" for i in ids if i < BLOCK_SIZE)


# --- the example knowledge base, built -------------------------------------------------------


@pytest.fixture(scope="module")
def example_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    site = tmp_path_factory.mktemp("example") / "site"
    result = build_site(REPO, "-d", str(site))
    if result.returncode != 0:
        pytest.fail(f"mkdocs build --strict failed:\n{result.stderr[-6000:]}")
    return site


def example_index(site: Path) -> tuple[list[dict[str, str]], dict[str, list[tuple[int, int]]]]:
    """The result records (in id order) and postings of the example site's index."""
    output = site / OUTPUT_SUBDIR
    blocks = sorted((output / "docs").glob("*.json"), key=lambda p: int(p.stem))
    records = [r for block in blocks for r in json.loads(block.read_text(encoding="utf-8"))]
    postings: dict[str, list[tuple[int, int]]] = {}
    for shard in (output / "terms").glob("*.bin"):
        postings.update(read_shard(shard.read_bytes()))
    return records, postings


def test_the_example_site_has_its_search_index_and_no_lunr_index(example_site: Path) -> None:
    assert (example_site / OUTPUT_SUBDIR / "manifest.json").is_file()
    assert not (example_site / "search" / "search_index.json").exists()
    html = (example_site / "index.html").read_text(encoding="utf-8")
    assert 'aria-controls="pmkb-search"' in html and 'role="combobox"' in html
    assert "assets/pmkb/search.css" in html
    engine, dialog = (
        html.find("assets/pmkb/search/engine.js"),
        html.find("assets/pmkb/search/dialog.js"),
    )
    assert 0 <= engine < dialog  # the dialog needs the engine loaded first
    for script in ("engine.js", "dialog.js"):
        assert (example_site / "assets" / "pmkb" / "search" / script).is_file()
    # Material fetches its own index whenever a form named "search" exists
    assert 'name="search"' not in html


def test_the_example_index_holds_post_mortems_and_handbook_pages_only(example_site: Path) -> None:
    urls = {record["u"] for record in example_index(example_site)[0]}
    postmortems = {p.stem for p in (REPO / "postmortems").glob("*.md")}
    assert {u for u in urls if u.startswith("postmortems/")} == {
        f"postmortems/{pm}/" for pm in postmortems
    }
    assert {"how-to-write/", "severity-levels/", "runbooks/certificate-rotation/"} <= urls
    assert not {u for u in urls if u.startswith("incidents/")}
    assert "" not in urls  # the home page lists recent incidents


def test_a_post_mortems_record_and_terms_come_from_its_header_and_body(example_site: Path) -> None:
    records, postings = example_index(example_site)
    ids = {record["u"]: i for i, record in enumerate(records)}
    valentine = ids["postmortems/2023-02-14-payments-db-pool-exhaustion/"]
    record = records[valentine]
    assert record["t"].startswith("Checkout failures on Valentine's Day")
    assert record["s"] == "SEV2" and record["d"] == "2023-02-14"
    assert "payments-api" in record["v"] and record["x"].startswith("Up to 31% of checkout")
    assert [r["d"] for r in records if "d" in r] == sorted(
        (r["d"] for r in records if "d" in r), reverse=True
    )  # incidents newest first
    for term in ("valentine", "pgbouncer", "payment"):  # title, body, service
        assert valentine in dict(postings[term]), term
    # the footer (related and similar incidents: other incidents' titles) is not indexed
    html = (example_site / record["u"] / "index.html").read_text(encoding="utf-8")
    footer = html[html.index('class="pmkb-footer"') :]
    source = (REPO / "postmortems" / "2023-02-14-payments-db-pool-exhaustion.md").read_text()
    footer_only = set(tokens(page_text(footer))) - set(tokens(source))
    assert footer_only  # e.g. words of the similar incidents' titles
    assert not [t for t in footer_only if valentine in dict(postings.get(t, []))]


def test_a_runbooks_backlinks_are_on_the_page_but_not_in_the_index(example_site: Path) -> None:
    runbook = "runbooks/database-connection-saturation"
    html = (example_site / runbook / "index.html").read_text(encoding="utf-8")
    assert 'class="pmkb-unindexed"' in html and "Valentine" in html
    records, postings = example_index(example_site)
    runbook_id = [r["u"] for r in records].index(f"{runbook}/")
    assert runbook_id not in dict(postings["valentine"])


def test_site_search_false_builds_without_index_or_dialog(
    make_project: Callable[..., Path], good_text: str
) -> None:
    project = make_project(
        {GOOD_NAME: good_text.replace("related: [2023-06-02-payments-db-failover]", "related: []")}
    )
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  - postmortems\n", "  - postmortems:\n      site_search: false\n"
        ),
        encoding="utf-8",
    )
    result = build_site(project)
    assert result.returncode == 0, result.stderr
    site = project / "site"
    assert not (site / OUTPUT_SUBDIR).exists()
    assert (site / "search" / "search_index.json").is_file()  # Material's search is on here
    html = (site / "postmortems" / GOOD_ID / "index.html").read_text(encoding="utf-8")
    assert "pmkb-search" not in html
    assert 'class="md-search"' in html  # Material's search box instead


# --- the theme override against Material's templates -------------------------------------------


def _without_comments(template: str) -> str:
    return re.sub(r"\{#.*?#\}", "", template, flags=re.DOTALL).strip()


def test_the_header_override_is_materials_header_but_for_the_search() -> None:
    ours = (TEMPLATES / "partials" / "header.html").read_text(encoding="utf-8")
    material = (MATERIAL / "partials" / "header.html").read_text(encoding="utf-8")
    start, end = ours.index("{#- pmkb:search -#}"), ours.index("{#- /pmkb:search -#}")
    restored = (
        ours[:start]
        + '{% if "material/search" in config.plugins %}'
        + ours[end + len("{#- /pmkb:search -#}") :]
    )
    assert "partials/pmkb/search.html" in ours[start:end]
    assert _without_comments(restored).split() == _without_comments(material).split()


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
            with urllib.request.urlopen(served_example + "pmkb-search/manifest.json") as r:
                manifest = json.load(r)
            break
        except OSError:
            if time.monotonic() > deadline:
                pytest.fail("mkdocs serve did not serve pmkb-search/manifest.json in 120 s")
            time.sleep(0.5)
    assert manifest["documents"] >= len(list((REPO / "postmortems").glob("*.md")))
    with urllib.request.urlopen(served_example + "pmkb-search/terms/0.bin") as r:
        assert r.status == 200


def test_a_dirty_rebuild_keeps_the_text_of_the_pages_it_does_not_render(
    good_project: Path,
) -> None:
    """`mkdocs serve --dirty` renders only the pages changed since the last build; the index
    still holds the others, as serve's rebuilds reuse the plugin instance."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    def rebuild(dirty: bool) -> tuple[list[dict[str, str]], dict[str, list[tuple[int, int]]]]:
        config = load_config(str(good_project / "mkdocs.yml"))  # as `mkdocs serve` does
        config.plugins.on_startup(command="serve", dirty=True)
        build(config, dirty=dirty)
        config.plugins.on_shutdown()  # as serve does: a rebuild's index is written meanwhile
        return example_index(Path(config.site_dir))

    records, postings = rebuild(dirty=False)
    runbook = good_project / "kb" / "runbooks" / "database-connection-saturation.md"
    time.sleep(1.1)  # the dirty build compares modification times
    runbook.write_text("# Database connection saturation\n\nSteps; zanzibar.\n", encoding="utf-8")
    records_after, postings_after = rebuild(dirty=True)
    assert [r["u"] for r in records_after] == [r["u"] for r in records]
    runbook_id = [r["u"] for r in records_after].index("runbooks/database-connection-saturation/")
    assert [doc for doc, _ in postings_after["zanzibar"]] == [runbook_id]
    assert postings_after["checkout"] == postings["checkout"]  # from pages not rendered
