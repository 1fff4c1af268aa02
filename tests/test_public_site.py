"""The public site, built for real: the example knowledge base (both variants, built once per
session with `pmkb build`), and a project with secrets planted wherever one can hide.

Every check of "not on the public site" reads every file of the site folder, recursively:
HTML, the sitemap (and its gzip), the search index (JSON records, binary term shards),
scripts and stylesheets, after decoding HTML entities and JSON escapes. It does not use the
leak check's code, so it also checks the leak check.
"""

from __future__ import annotations

import gzip
import html
import json
import re
import shutil
from functools import cache
from pathlib import Path

import pytest
from postmortem_kb.project import load_project
from postmortem_kb.public.deny_list import is_vendor_file
from postmortem_kb.public.publish import is_public, public_archive
from postmortem_kb.rules.archive import load_project_archive

from .conftest import GOOD_NAME, PUBLIC_IDS, RELATED_NAME, REPO, pmkb, related_text

# --- reading a built site -------------------------------------------------------------------

_JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def _file_text(path: Path) -> str:
    """A site file as searchable text: gunzipped, entities and JSON escapes decoded, case
    folded, whitespace collapsed."""
    data = path.read_bytes()
    if data.startswith(b"\x1f\x8b"):
        data = gzip.decompress(data)
    text = data.decode("utf-8", errors="replace").replace("\\/", "/")
    text = _JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), html.unescape(text))
    return " ".join(text.split()).casefold()


@cache
def site_texts(site: Path) -> tuple[tuple[str, bool, str], ...]:
    """(path relative to the site, is a vendor bundle, searchable text) of every file of
    `site`, read once: the sites are not changed after they are built."""
    return tuple(
        (rel, is_vendor_file(rel), _file_text(path))
        for path in sorted(site.rglob("*"))
        if path.is_file() and (rel := path.relative_to(site).as_posix())
    )


def found_in(site: Path, needle: str, *, skip_vendor: bool = False) -> list[str]:
    """The files of `site` that contain `needle` (case-insensitive, whole word)."""
    wanted = " ".join(needle.split()).casefold()
    pattern = re.compile(rf"(?<![\w]){re.escape(wanted)}(?![\w-])")
    return [
        relative
        for relative, vendor, text in site_texts(site)
        if not (skip_vendor and vendor) and wanted in text and pattern.search(text)
    ]


def absent(
    site: Path, needles: set[str], *, plain_words_in_vendor: bool = True
) -> dict[str, list[str]]:
    """Each needle found somewhere in `site`, with its files. A single plain word (`kafka`)
    is not looked for in the theme's bundles, which contain English words of their own."""
    leaks = {}
    for needle in sorted(needles):
        skip = plain_words_in_vendor and needle.isalpha()
        if hits := found_in(site, needle, skip_vendor=skip):
            leaks[needle] = hits
    return leaks


def page_text(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


# --- the example knowledge base ---------------------------------------------------------------


@pytest.fixture(scope="module")
def example_archive():  # type: ignore[no-untyped-def]
    return load_project_archive(load_project(REPO / "mkdocs.yml"))


def test_public_site_has_the_public_published_post_mortems_only(
    example_sites: dict[str, Path], example_archive
) -> None:  # type: ignore[no-untyped-def]
    site = example_sites["public"]
    assert {pm.id for pm in example_archive.postmortems if is_public(pm)} == PUBLIC_IDS
    assert {p.name for p in (site / "postmortems").iterdir()} == PUBLIC_IDS
    internal = example_sites["internal"]
    assert len(list((internal / "postmortems").iterdir())) == len(example_archive.postmortems)


def test_public_site_pages(example_sites: dict[str, Path]) -> None:
    site = example_sites["public"]
    top = {path.name for path in site.iterdir()}
    assert {"index.html", "404.html", "incidents", "postmortems", "severity-levels"} <= top
    assert {"runbooks", "how-to-write", "public-index"}.isdisjoint(top)
    groups = {path.name for path in (site / "incidents").iterdir() if path.is_dir()}
    assert groups == {"severity", "services", "tags", "factors", "years"}  # no runbooks
    home = page_text(site, "")
    assert "<h1" in home and "Incident history" in home
    assert "This site is internal" not in home
    rows = re.findall(r'href="(postmortems/[^"/]+)/"', home)
    assert rows and {row.split("/")[1] for row in rows} <= PUBLIC_IDS
    assert "open action item" not in home  # the public home shows no action-item counts


def test_no_internal_title_tag_service_handle_ticket_or_id_anywhere(
    example_sites: dict[str, Path], example_archive
) -> None:  # type: ignore[no-untyped-def]
    """The acceptance check: a recursive search of the public site for everything internal."""
    public = [pm for pm in example_archive.postmortems if is_public(pm)]
    internal = [pm for pm in example_archive.postmortems if not is_public(pm)]
    public_services = {s for pm in public for s in pm.meta.services}
    public_tags = {t for pm in public for t in pm.meta.tags}
    needles = {pm.title for pm in internal} | {pm.id for pm in internal}
    needles |= {s for pm in internal for s in pm.meta.services} - public_services
    needles |= {t for pm in internal for t in pm.meta.tags} - public_tags
    for pm in example_archive.postmortems:
        roles = [h for h in pm.meta.roles.model_dump().values() if h]
        needles |= {*pm.meta.authors, *roles, *(a.owner for a in pm.action_items)}
        needles |= {a.ticket for a in pm.action_items}
        needles |= {pm.meta.channel.lstrip("#")} if pm.meta.channel else set()
    # Runbook ids: links and the footer are cut; some public bodies name a runbook in prose
    # ("the certificate-rotation runbook"), which is the authors' public text.
    published = " ".join(pm.markdown for pm in public_archive(example_archive).postmortems)
    needles |= {r for pm in public for r in pm.meta.runbooks if r not in published}
    assert len(needles) > 150
    assert absent(example_sites["public"], needles) == {}
    # ... and the search finds them on the internal site, so it would have seen them.
    found = [n for n in needles if found_in(example_sites["internal"], n, skip_vendor=True)]
    assert len(found) > 0.9 * len(needles)


def test_no_internal_block_text_anywhere(example_sites: dict[str, Path]) -> None:
    secrets = {
        "pgbouncer-pay-01.corp.example.net",
        "10.20.3.14",
        "Fernhill Florists",
        "Northgate Hotels",
        "bramble.slack.com",
        "egress-pay-01",
        "db-ord-01",
        "cloud-root@bramble.example",
        "Paynova",
    }
    assert absent(example_sites["public"], secrets) == {}
    internal = example_sites["internal"]
    assert all(found_in(internal, secret) for secret in secrets)


def test_public_post_mortem_page(example_sites: dict[str, Path]) -> None:
    page = page_text(example_sites["public"], "postmortems/2023-02-14-payments-db-pool-exhaustion")
    lead = re.search(r'<div class="pmkb-lead">(.*?)</div>', page, re.S)
    assert lead and "between 18:42 and 19:37 UTC" in lead.group(1)
    assert 'id="public-summary"' not in page  # the section became the lead
    for hidden in ("<dt>Roles</dt>", "<dt>Authors</dt>", "<dt>Channel</dt>", "Runbooks used"):
        assert hidden not in page
    assert 'title="Visibility"' not in page
    assert "<th>Owner</th>" not in page and "<th>Ticket</th>" not in page
    assert "<th>Action</th>" in page and "Internal only" not in page
    links = set(re.findall(r'href="\.\./([^"#]+)/"', page))
    incidents = {link for link in links if link.startswith("20")}
    assert incidents <= PUBLIC_IDS


def test_public_lead_from_the_field(example_sites: dict[str, Path]) -> None:
    page = page_text(example_sites["public"], "postmortems/2023-05-22-auth-mtls-cert-expiry")
    assert '<div class="pmkb-lead">\n    <p>On 22 May 2023 customers could not sign in' in page


def test_internal_site_marks_internal_blocks_and_shows_the_public_summary(
    example_sites: dict[str, Path],
) -> None:
    site = example_sites["internal"]
    page = page_text(site, "postmortems/2023-02-14-payments-db-pool-exhaustion")
    assert page.count('<p class="admonition-title">Internal only</p>') == 2  # both syntaxes
    assert 'id="public-summary"' in page and "pmkb-lead" not in page
    assert "<dt>Authors</dt>" in page and "Runbooks used" in page
    field = page_text(site, "postmortems/2023-05-22-auth-mtls-cert-expiry")
    assert '<dt>Public summary</dt>\n      <dd class="pmkb-public-summary">On 22 May' in field
    assert (site / "runbooks").is_dir() and not (site / "public-index").exists()


def search_index_urls(site: Path) -> set[str]:
    """The page URLs in the site's search index: its result records (pmkb-search/docs/) or,
    with Material's search plugin instead, its search_index.json."""
    urls = set()
    for block in site.glob("pmkb-search/docs/*.json"):
        urls |= {record["u"].strip("/") for record in json.loads(block.read_text())}
    material = site / "search" / "search_index.json"
    if material.is_file():
        docs = json.loads(material.read_text())["docs"]
        urls |= {doc["location"].split("#")[0].strip("/") for doc in docs}
    return urls


def test_sitemap_and_search_index_have_public_pages_only(example_sites: dict[str, Path]) -> None:
    site = example_sites["public"]
    locs = re.findall(r"<loc>([^<]+)</loc>", (site / "sitemap.xml").read_text())
    ids = {loc.split("/postmortems/")[1].strip("/") for loc in locs if "/postmortems/" in loc}
    assert ids == PUBLIC_IDS
    assert not any("runbooks" in loc or "how-to-write" in loc for loc in locs)
    urls = search_index_urls(site)
    assert urls, "the public site has a search index"
    assert {u.split("/")[1] for u in urls if u.startswith("postmortems/")} == PUBLIC_IDS
    assert not any("runbooks" in url or "how-to-write" in url for url in urls)


def test_pmkb_build_public_reports_the_leak_check(example_sites: dict[str, Path]) -> None:
    """`pmkb build --public` built the fixture's public site (see conftest): its leak check
    passed. Here: the CLI refuses a missing public configuration."""
    result = pmkb("build", "--public", "-f", "nowhere/mkdocs.yml")
    assert result.returncode == 1 and "mkdocs.public.yml does not exist" in result.stderr


def test_pmkb_leaks_passes_on_the_public_site_and_fails_on_a_planted_leak(
    example_sites: dict[str, Path], tmp_path: Path
) -> None:
    result = pmkb("leaks", str(example_sites["public"]))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "leak check: no leaks in" in result.stderr
    site = tmp_path / "site-public"
    shutil.copytree(example_sites["public"], site)
    (site / "extra").mkdir()
    (site / "extra" / "notes.html").write_text(
        "<p>Failover from db-ord-01.corp.example.net; see "
        "Stale search results after OpenSearch data nodes hit the flood-stage disk watermark.</p>"
    )
    result = pmkb("leaks", str(site))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert any(
        line.startswith("site-public/extra/notes.html:1:")
        and 'internal-domain "db-ord-01.corp.example.net"' in line
        and "from postmortems/2025-03-04-orders-db-failover-pool-exhaustion.md" in line
        for line in lines
    ), lines
    assert any(
        'internal-term "Stale search results after OpenSearch' in line
        and "from postmortems/2023-04-03-search-index-disk-full.md" in line
        for line in lines
    ), lines


# --- a project with planted secrets -------------------------------------------------------------

PUBLIC_ID = GOOD_NAME[:-3]
INTERNAL_ID = RELATED_NAME[:-3]
REVIEW_NAME = "2024-12-01-payments-review.md"

INTERNAL_TITLE = "Zircon quasar payments database failover"
REVIEW_TITLE = "Nebula pending review incident"

# Everything that must not reach the public site, by where it hides in the sources.
SECRETS = {
    "the title of an internal post-mortem": INTERNAL_TITLE,
    "the id of an internal post-mortem (related, links)": INTERNAL_ID,
    "a service of internal post-mortems only": "zq-ledger-internal",
    "a tag of internal post-mortems only": "zq-secret-failure-mode",
    "an internal block (admonition)": "db-zq-07.corp.example.net",
    "a customer in an internal block": "Zephyr Quartz Logistics",
    "an internal block (comment)": "Obsidian Harbour Freight",
    "the Owner column": "@owner-zq",
    "the Ticket column": "ZQSEC-4242",
    "authors": "@author-zq",
    "roles": "@commander-zq",
    "channel": "inc-zq-war-room-7",
    "a runbook link and the runbooks field": "database-connection-saturation",
    "a public post-mortem still in review": REVIEW_TITLE,
    "a tag of that one only": "zq-review-only-tag",
    "the internal home page": "sre-zq-help",
    "the handbook": "vault-zq-01",
    "a runbook page": "pgb-zq-01",
}


def planted_files(good: str) -> dict[str, str]:
    public = (
        good.replace("visibility: internal", "visibility: public")
        .replace('authors: ["@dana", "@lee"]', 'authors: ["@author-zq"]')
        .replace('incident_commander: "@sam"', 'incident_commander: "@commander-zq"')
        .replace("#inc-2024-11-15-payments-pool-exhaustion", "#inc-zq-war-room-7")
        .replace("| @dana | 2024-12-01 | PAY-1432 |", "| @owner-zq | 2024-12-01 | ZQSEC-4242 |")
        .replace(
            "## Summary\n",
            "## Public summary\n\nCheckout failed for some customers; we fixed the pool size.\n\n"
            "## Summary\n",
        )
        .replace(
            "## Root cause\n\n",
            "## Root cause\n\n!!! internal\n    The pool ran on db-zq-07.corp.example.net;"
            " Zephyr Quartz Logistics escalated.\n\n<!-- internal -->\n"
            "Obsidian Harbour Freight lost orders.\n<!-- /internal -->\n\n",
        )
        .replace(
            "- The database dashboard did not show connection saturation.",
            "- The database dashboard did not show connection saturation, and\n"
            "  [the pool runbook](../runbooks/database-connection-saturation.md) and\n"
            f"  [the earlier failover]({INTERNAL_ID}.md) did not cover PgBouncer.",
        )
    )
    internal = (
        related_text(good)
        .replace("title: Payments database failover", f"title: {INTERNAL_TITLE}")
        .replace("services: [payments-api, checkout-web]", "services: [zq-ledger-internal]")
        .replace("config-change]", "zq-secret-failure-mode]")
    )
    review = (
        good.replace("2024-11-15", "2024-12-01")
        .replace("related: [2023-06-02-payments-db-failover]", "related: []")
        .replace("status: published", "status: in-review")
        .replace("visibility: internal", "visibility: public")
        .replace("Checkout errors after payments connection pool exhaustion", REVIEW_TITLE)
        .replace("config-change]", "zq-review-only-tag]")
    )
    return {GOOD_NAME: public, RELATED_NAME: internal, REVIEW_NAME: review}


def make_planted(root: Path, good: str) -> Path:
    kb = root / "kb"
    (kb / "runbooks").mkdir(parents=True)
    (kb / "index.md").write_text("# Home\n\nInternal. Ask in #sre-zq-help.\n")
    (kb / "public-index.md").write_text("# Public history\n\n<!-- pmkb:recent-incidents -->\n")
    (kb / "how-to-write.md").write_text("# How to write\n\nNever paste `vault-zq-01` hosts.\n")
    (kb / "runbooks" / "database-connection-saturation.md").write_text(
        "# Database connection saturation\n\nSSH to `pgb-zq-01` first.\n"
    )
    (root / "mkdocs.yml").write_text(
        "site_name: Test KB\ndocs_dir: kb\n"
        "theme:\n  name: material\n"
        "plugins:\n  postmortems:\n    public_home: public-index.md\n    public_pages: []\n"
        "    deny_patterns: ['zq-codename-\\w+']\n"
        "markdown_extensions: [admonition, tables, attr_list]\n"
    )
    (root / "mkdocs.public.yml").write_text(
        "INHERIT: mkdocs.yml\nsite_name: Test public history\nsite_dir: site-public\n"
        "plugins:\n  postmortems:\n    public: true\n"
    )
    (root / "postmortems").mkdir()
    for name, text in planted_files(good).items():
        (root / "postmortems" / name).write_text(text)
    return root


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The planted project, built both ways with `pmkb build` (strict)."""
    good = (Path(__file__).parent / "fixtures" / GOOD_NAME).read_text()
    root = make_planted(tmp_path_factory.mktemp("planted"), good)
    for flags in ([], ["--public"]):
        result = pmkb("build", *flags, cwd=root)
        assert result.returncode == 0, result.stderr[-6000:]
    return root


def test_planted_secrets_never_reach_the_public_site(planted: Path) -> None:
    site = planted / "site-public"
    assert {p.name for p in (site / "postmortems").iterdir()} == {PUBLIC_ID}
    assert absent(site, set(SECRETS.values()), plain_words_in_vendor=False) == {}
    page = page_text(site, f"postmortems/{PUBLIC_ID}")
    assert "Checkout failed for some customers; we fixed the pool size." in page
    assert "the pool runbook and\n  the earlier failover did not cover PgBouncer." in page


def test_planted_secrets_are_on_the_internal_site(planted: Path) -> None:
    """So the test above could see them: each is in some file of the internal build."""
    site = planted / "site"
    missing = {where for where, secret in SECRETS.items() if not found_in(site, secret)}
    assert missing == set()
    assert "Internal only" in page_text(site, f"postmortems/{PUBLIC_ID}")


# (where the leak is planted, file, old, new, the text reported, output file, source files)
PLANTED_LEAKS = [
    (
        "an internal host name in the public body, outside any block",
        f"postmortems/{GOOD_NAME}",
        "doubling the pods doubled the",
        "doubling the pods on db-zq-07.corp.example.net doubled the",
        'internal-domain "db-zq-07.corp.example.net"',
        f"postmortems/{PUBLIC_ID}/index.html",
        [f"postmortems/{GOOD_NAME}"],
    ),
    (
        "a handle in the public body",
        f"postmortems/{GOOD_NAME}",
        "- The error-rate alert paged",
        "- The alert paged @oncall-zq, which paged",
        'handle "@oncall-zq"',
        f"postmortems/{PUBLIC_ID}/index.html",
        [f"postmortems/{GOOD_NAME}"],
    ),
    (
        "a configured deny pattern in the public body",
        f"postmortems/{GOOD_NAME}",
        "need a budget owned by the database.",
        "need a budget (zq-codename-falcon) owned by the database.",
        'deny-pattern-1 "zq-codename-falcon"',
        f"postmortems/{PUBLIC_ID}/index.html",
        [f"postmortems/{GOOD_NAME}"],
    ),
    (
        "an internal incident's title on the public home page",
        "kb/public-index.md",
        "# Public history\n",
        f"# Public history\n\nNot like the {INTERNAL_TITLE}.\n",
        f'internal-term "{INTERNAL_TITLE}"',
        "index.html",
        ["kb/public-index.md", f"postmortems/{RELATED_NAME}"],
    ),
    (
        "an internal-only failure mode in the public configuration",
        "mkdocs.public.yml",
        "site_dir: site-public\n",
        "site_dir: site-public\ncopyright: Lessons from zq-secret-failure-mode\n",
        'internal-term "zq-secret-failure-mode"',
        "index.html",
        ["mkdocs.public.yml", f"postmortems/{RELATED_NAME}"],
    ),
]


@pytest.mark.parametrize(
    ("where", "file", "old", "new", "reported", "output", "sources"),
    PLANTED_LEAKS,
    ids=[case[0] for case in PLANTED_LEAKS],
)
def test_a_planted_leak_fails_the_public_build(
    tmp_path: Path,
    where: str,
    file: str,
    old: str,
    new: str,
    reported: str,
    output: str,
    sources: list[str],
) -> None:
    good = (Path(__file__).parent / "fixtures" / GOOD_NAME).read_text()
    root = make_planted(tmp_path, good)
    text = (root / file).read_text()
    assert old in text
    (root / file).write_text(text.replace(old, new, 1))
    result = pmkb("build", "--public", "--no-strict", cwd=root)  # PM701 would warn first
    assert result.returncode == 1
    lines = [line for line in result.stderr.splitlines() if reported in line]
    assert any(f"site-public/{output}:" in line for line in lines), result.stderr[-4000:]
    line = next(line for line in lines if f"site-public/{output}:" in line)
    assert f"from {', '.join(sorted(sources))} …" in line, line
    assert "the site folder was emptied, nothing may be published" in result.stderr
    assert not any((root / "site-public").iterdir())


def test_a_string_in_leak_allow_is_published(tmp_path: Path) -> None:
    """The planted handle fails the public build (see above) until `leak_allow` names it."""
    good = (Path(__file__).parent / "fixtures" / GOOD_NAME).read_text()
    root = make_planted(tmp_path, good)
    source = root / "postmortems" / GOOD_NAME
    text = source.read_text()
    source.write_text(
        text.replace("- The error-rate alert paged", "- The alert paged @support-desk, which paged")
    )
    config = root / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "    public_pages: []\n", "    public_pages: []\n    leak_allow: ['@Support-Desk']\n"
        )
    )
    result = pmkb("build", "--public", cwd=root)  # strict: no PM701 warning either
    assert result.returncode == 0, result.stderr[-4000:]
    page = (root / "site-public" / "postmortems" / PUBLIC_ID / "index.html").read_text()
    assert "@support-desk" in page


def test_a_pipe_in_a_code_span_is_one_cell_for_check_and_public_build(tmp_path: Path) -> None:
    """The row renders as one row of six cells; `pmkb check` reads the same cells, and the
    public build drops that row's Owner and Ticket cells, not the wrong columns."""
    good = (Path(__file__).parent / "fixtures" / GOOD_NAME).read_text()
    root = make_planted(tmp_path, good)
    source = root / "postmortems" / GOOD_NAME
    text = source.read_text()
    row = next(
        line for line in text.splitlines() if "| @owner-zq | 2024-12-01 | ZQSEC-4242 |" in line
    )
    action = row.split("|")[1].strip()
    piped = row.replace(action, "Alert when `active|waiting` connections exceed 80%", 1)
    source.write_text(text.replace(row, piped))
    check = pmkb("check", "--strict", cwd=root)
    assert check.returncode == 0, check.stdout + check.stderr
    result = pmkb("build", "--public", cwd=root)
    assert result.returncode == 0, result.stderr[-4000:]
    page = (root / "site-public" / "postmortems" / PUBLIC_ID / "index.html").read_text()
    assert "<code>active|waiting</code>" in page
    assert "@owner-zq" not in page and "ZQSEC-4242" not in page
    cells = re.search(r"<tr>\s*<td>Alert when <code>active\|waiting</code>.*?</tr>", page, re.S)
    assert cells is not None
    assert cells.group().count("<td") == 4  # Action, Category, Due, Status
    assert "2024-12-01" in cells.group()
