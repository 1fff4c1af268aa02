"""The plugin added to an existing Material site (tests/fixtures/existing-site/): the archive
under `url_prefix`, the site's own severity page and runbooks folder, and nothing of the
site's own pages replaced, duplicated or moved. Real `mkdocs build --strict` runs; the
site is built as it is and with the plugin, and every page of the first is compared with
the same page of the second."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from postmortem_kb.config import KBConfig
from postmortem_kb.format.parser import parse_text
from postmortem_kb.site.index_pages import INCIDENT_TABLE_MARKER, IndexPages
from postmortem_kb.site.listings import SiteLayout, build_listings

from .conftest import FIXTURES, GOOD_NAME, RELATED_NAME, build_site

EXISTING_SITE = FIXTURES / "existing-site"
GOOD_ID = GOOD_NAME[:-3]
RELATED_ID = RELATED_NAME[:-3]
PLUGIN = """  - postmortems:
      url_prefix: incident-kb/
      severity_page: handbook/severity.md
      runbooks_dir: operations/runbooks
"""
NAV_ENTRY = "  - Incidents: incident-kb/incidents/index.md\n"
ARTICLE = re.compile(r'<article class="md-content__inner md-typeset">(.*?)</article>', re.S)
BACKLINKS = re.compile(r'<div class="pmkb-unindexed">.*?</div>', re.S)


# --- helpers ----------------------------------------------------------------------------


def copy_site(tmp_path: Path) -> Path:
    project = tmp_path / "existing-site"
    shutil.copytree(EXISTING_SITE, project)
    return project


def add_plugin(project: Path, plugin: str = PLUGIN, nav: str = NAV_ENTRY) -> Path:
    """The site's mkdocs.yml with the plugin after `search`, and a nav entry for it."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "plugins:\n  - search\n" in text
    text = text.replace("plugins:\n  - search\n", "plugins:\n  - search\n" + plugin)
    config.write_text(text + nav, encoding="utf-8")
    return project


def html_pages(site: Path) -> dict[str, str]:
    """Every HTML page of a built site by its path, but the 404 page."""
    return {
        str(path.relative_to(site)): path.read_text(encoding="utf-8")
        for path in sorted(site.rglob("*.html"))
        if path.name != "404.html"
    }


def article(html: str) -> str:
    """The page's `<article>`, whitespace between and around tags evened out (the plugin's
    main.html renders the same blocks with other blank lines)."""
    found = ARTICLE.search(html)
    assert found is not None, "no <article>"
    return re.sub(r">\s+<", "><", " ".join(found.group(1).split()))


def build_into(project: Path, site: Path, *args: str) -> None:
    result = build_site(project, "-d", str(site), *args)
    assert result.returncode == 0, result.stderr[-4000:]


# --- the done-when: an existing site gains the archive, and keeps every page ------------


def test_an_existing_site_gains_the_archive_under_the_prefix_and_keeps_every_page(
    tmp_path: Path,
) -> None:
    project = copy_site(tmp_path)
    build_into(project, tmp_path / "before")
    before = html_pages(tmp_path / "before")
    add_plugin(project)
    result = build_site(project, "-d", str(tmp_path / "after"))
    assert result.returncode == 0, result.stderr[-4000:]  # --strict: not one warning
    after = html_pages(tmp_path / "after")

    # every page of the site keeps its URL and its article
    assert len(before) == 11
    runbooks = {  # under runbooks_dir: "Incidents that used this runbook" is appended
        f"operations/runbooks/{name}/index.html"
        for name in ("database-connection-saturation", "certificate-rotation")
    }
    for path, html in before.items():
        assert path in after, f"{path} is gone"
        theirs = article(after[path])
        if path in runbooks:
            assert theirs.count('class="pmkb-unindexed"') == 1, path
            theirs = article(BACKLINKS.sub("", after[path]))
        assert theirs == article(html), f"{path} changed"
    unused = after["operations/runbooks/certificate-rotation/index.html"]
    assert "No post-mortem names this runbook yet." in unused

    # the archive lives under the prefix, and nothing of it outside
    added = set(after) - set(before)
    assert added, "nothing was added"
    outside = sorted(p for p in added if not p.startswith("incident-kb/"))
    assert outside == [], outside
    for page in (
        f"incident-kb/postmortems/{GOOD_ID}/index.html",
        f"incident-kb/postmortems/{RELATED_ID}/index.html",
        "incident-kb/incidents/index.html",
        "incident-kb/incidents/severity/sev2/index.html",
        "incident-kb/incidents/services/payments-api/index.html",
        "incident-kb/incidents/runbooks/database-connection-saturation/index.html",
    ):
        assert page in after, page
    assert not (tmp_path / "after" / "incident-kb" / "severity-levels").exists()

    # links go to the site's own severity page and runbooks
    sev2 = after["incident-kb/incidents/severity/sev2/index.html"]
    assert 'href="../../../../handbook/severity/">what it means</a>' in sev2
    listing = after["incident-kb/incidents/index.html"]
    assert 'href="../../handbook/severity/">severity levels</a>' in listing
    pm = after[f"incident-kb/postmortems/{GOOD_ID}/index.html"]
    assert 'href="../../../operations/runbooks/database-connection-saturation/"' in pm
    assert 'href="../../incidents/services/payments-api/"' in pm
    assert f'href="../{RELATED_ID}/"' in pm
    runbook = after["operations/runbooks/database-connection-saturation/index.html"]
    assert f'href="../../../incident-kb/postmortems/{GOOD_ID}/"' in runbook

    # the nav entry the site added, and the search over the site's own pages too
    home = after["index.html"]
    assert 'href="incident-kb/incidents/"' in home
    docs = json.loads((tmp_path / "after" / "pmkb-search" / "docs" / "0.json").read_text())
    indexed = {doc["u"] for doc in docs}
    assert f"incident-kb/postmortems/{GOOD_ID}/" in indexed
    assert {"guides/deploying/", "handbook/severity/", "incidents/"} <= indexed
    assert "" not in indexed and "incident-kb/incidents/" not in indexed  # home, listings


# --- clashes ----------------------------------------------------------------------------


def test_without_a_prefix_the_sites_incidents_page_wins_and_strict_fails(tmp_path: Path) -> None:
    """incidents.md is written to incidents/index.html, where the listing would go."""
    project = add_plugin(
        copy_site(tmp_path),
        "  - postmortems:\n      severity_page: handbook/severity.md\n"
        "      runbooks_dir: operations/runbooks\n",
        nav="",
    )
    strict = build_site(project)
    assert strict.returncode == 1
    assert (
        "postmortems: incidents.md exists in the docs, so the generated incidents/index.md "
        "is not added" in strict.stderr
    )
    relaxed = build_site(project, strict=False)
    assert relaxed.returncode == 0, relaxed.stderr[-4000:]
    page = (project / "site" / "incidents" / "index.html").read_text(encoding="utf-8")
    assert "How we run incidents" in page and "All incidents" not in page


def test_a_site_file_at_a_postmortem_path_fails_the_build_naming_it(tmp_path: Path) -> None:
    project = add_plugin(copy_site(tmp_path))
    theirs = project / "docs" / "incident-kb" / "postmortems" / f"{GOOD_ID}.md"
    theirs.parent.mkdir(parents=True)
    theirs.write_text("# Our own notes\n", encoding="utf-8")
    result = build_site(project, strict=False)
    assert result.returncode == 1
    assert (
        f"the site already has a file where a post-mortem page goes: "
        f"incident-kb/postmortems/{GOOD_ID}.md (post-mortem page "
        f"incident-kb/postmortems/{GOOD_ID}.md); set `url_prefix`" in result.stderr
    )
    assert "Traceback" not in result.stderr


def test_a_severity_page_that_is_not_in_the_docs_is_a_clear_error(tmp_path: Path) -> None:
    project = add_plugin(copy_site(tmp_path), PLUGIN.replace("handbook/severity.md", "sev.md"))
    result = build_site(project)
    assert result.returncode == 1
    assert "severity_page: sev.md is not a page of docs_dir" in result.stderr
    assert "Traceback" not in result.stderr


def test_severity_page_false_builds_no_page_and_no_link_to_one(tmp_path: Path) -> None:
    project = add_plugin(copy_site(tmp_path), PLUGIN.replace("handbook/severity.md", "false"))
    build_into(project, tmp_path / "site")
    site = tmp_path / "site" / "incident-kb"
    assert not (site / "severity-levels").exists()
    listing = article((site / "incidents" / "index.html").read_text(encoding="utf-8"))
    assert "Browse by" in listing
    assert "severity levels</a>" not in listing and "handbook/severity" not in listing
    sev2 = article((site / "incidents/severity/sev2/index.html").read_text(encoding="utf-8"))
    assert "Incidents rated" in sev2 and "what it means" not in sev2


@pytest.mark.parametrize("prefix", ["../up", "a b/", "a//b", "./x"])
def test_a_prefix_that_is_not_a_folder_path_is_a_config_error(tmp_path: Path, prefix: str) -> None:
    project = add_plugin(copy_site(tmp_path), PLUGIN.replace("incident-kb/", prefix))
    result = build_site(project)
    assert result.returncode == 1
    assert f"option 'url_prefix': Value error, '{prefix}' is not a folder path" in result.stderr
    assert "Traceback" not in result.stderr


# --- the layout, without MkDocs -------------------------------------------------------------


def test_the_layout_puts_every_path_under_the_prefix() -> None:
    layout = SiteLayout.of(KBConfig(url_prefix="/incident-kb"))
    assert layout.prefix == "incident-kb/"
    assert layout.postmortem("2024-11-15-a") == "incident-kb/postmortems/2024-11-15-a.md"
    assert layout.all_incidents() == "incident-kb/incidents/index.md"
    assert layout.group("services") == "incident-kb/incidents/services/index.md"
    assert layout.value("tags", "dns") == "incident-kb/incidents/tags/dns/index.md"
    assert layout.severity_page == "incident-kb/severity-levels.md"
    assert layout.is_listing("incident-kb/incidents/tags/index.md")
    assert not layout.is_listing("incidents/index.md")
    default = SiteLayout.of(KBConfig())
    assert (default.prefix, default.severity_page) == ("", "severity-levels.md")
    assert default.postmortem("x") == "postmortems/x.md"
    own = SiteLayout.of(KBConfig(severity_page="handbook/severity.md"))
    assert (own.severity_page, own.generates_severity_page) == ("handbook/severity.md", False)
    none = SiteLayout.of(KBConfig(severity_page=False))
    assert (none.severity_page, none.generates_severity_page) == (None, False)


def test_generated_pages_under_a_prefix_link_each_other_relatively(good_text: str) -> None:
    pm = parse_text(good_text, Path(GOOD_NAME), GOOD_NAME).postmortem
    assert pm is not None
    config = KBConfig(url_prefix="kb/archive/", severity_page="handbook/severity.md")
    renderer = IndexPages(build_listings([pm], config), config)
    pages = {p.src_uri: p for p in renderer.pages()}
    assert all(uri.startswith("kb/archive/incidents/") for uri in pages), sorted(pages)
    listing = pages["kb/archive/incidents/index.md"].markdown
    table = renderer.page_html(INCIDENT_TABLE_MARKER, "kb/archive/incidents/index.md")
    assert f'href="../../../kb/archive/postmortems/{GOOD_ID}/"' in table  # HTML: from the root
    assert "[severity levels](../../../handbook/severity.md)" in listing
    sev2 = pages["kb/archive/incidents/severity/sev2/index.md"].markdown
    assert "([what it means](../../../../../handbook/severity.md))" in sev2
