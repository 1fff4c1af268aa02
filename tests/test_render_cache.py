"""The render cache (`site.render_cache`, `.pmkb/render/`): a build renders only the pages
whose Markdown, place or settings changed, and the site it writes is the same."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from postmortem_kb.site.render_cache import (
    RenderCache,
    RenderedPage,
    link_targets,
    links_exist,
    site_paths,
)

from .conftest import GOOD_NAME, build_site

_COUNTS = re.compile(r"render cache: (\d+) pages from it, (\d+) rendered")


def _counts(result: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    assert result.returncode == 0, result.stderr
    match = _COUNTS.search(result.stderr)
    assert match, result.stderr
    return int(match.group(1)), int(match.group(2))


def _pages(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*.html")}


def test_link_targets_are_site_paths_from_the_root() -> None:
    html = (
        '<a href="../../runbooks/db/#steps">x</a> <img src="img/a.png"> <a href="#top">t</a>'
        ' <a href="https://example.com/">e</a> <a href="/abs/">a</a> <a href="../../../up/">u</a>'
        ' <a href="../b/?q=1&amp;r=2">b</a>'
    )
    assert link_targets(html, "postmortems/x/") == [
        "postmortems/b",
        "postmortems/x/img/a.png",
        "runbooks/db",
    ]
    assert link_targets('<a href="db.html">d</a>', "runbooks/index.html") == ["runbooks/db.html"]
    assert link_targets('<a href="runbooks/">r</a>', "") == ["runbooks"]


def test_an_entry_is_used_only_while_its_links_exist(tmp_path: Path) -> None:
    cache = RenderCache(tmp_path / "render", "settings-1")
    key = cache.key("a.md", "a/", "# A\n")
    assert cache.key("a.md", "a/", "# A\n") == key
    assert len({key, cache.key("b.md", "a/", "# A\n"), cache.key("a.md", "a/", "# B\n")}) == 3
    assert RenderCache(tmp_path / "render", "settings-2").key("a.md", "a/", "# A\n") != key
    page = RenderedPage("<h1>A</h1>", [], "A", ["a"], ["runbooks/db"])
    cache.put(key, page)
    assert list((tmp_path / "render").rglob("*.tmp")) == []  # written whole, then renamed
    assert RenderCache(tmp_path / "render", "settings-1").get(key) == page  # from the disk
    assert links_exist(page, site_paths(["runbooks/db/", "runbooks/db/index.html"]))
    assert not links_exist(page, site_paths(["other/"]))
    (tmp_path / "render" / key[:2] / f"{key}.json").write_text("{not json", encoding="utf-8")
    assert RenderCache(tmp_path / "render", "settings-1").get(key) is None


def test_a_second_build_renders_nothing_and_writes_the_same_pages(good_project: Path) -> None:
    (good_project / "kb" / "guide.md").write_text(
        "# Guide\n\nSee [the runbook](runbooks/database-connection-saturation.md).\n",
        encoding="utf-8",
    )
    hits, rendered = _counts(build_site(good_project))
    assert hits == 0 and rendered > 10
    first = _pages(good_project / "site")
    assert _counts(build_site(good_project)) == (rendered, 0)
    assert _pages(good_project / "site") == first

    postmortem = good_project / "postmortems" / GOOD_NAME
    postmortem.write_text(
        postmortem.read_text(encoding="utf-8") + "\nA sentence added for the cache test.\n",
        encoding="utf-8",
    )
    assert _counts(build_site(good_project)) == (rendered - 1, 1)
    page = good_project / "site" / "postmortems" / GOOD_NAME.removesuffix(".md") / "index.html"
    assert "A sentence added for the cache test." in page.read_text(encoding="utf-8")

    # another configuration never gets a page of the old one
    config = good_project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "markdown_extensions:\n  - toc:\n      permalink: true\n",
        encoding="utf-8",
    )
    assert _counts(build_site(good_project)) == (0, rendered)
    assert 'class="headerlink"' in page.read_text(encoding="utf-8")

    # a page whose link target is gone renders again, and MkDocs warns as the first time
    (good_project / "kb" / "runbooks" / "other.md").write_text("# Other\n", encoding="utf-8")
    (good_project / "kb" / "guide.md").write_text(
        "# Guide\n\nSee [the other runbook](runbooks/other.md).\n", encoding="utf-8"
    )
    _counts(build_site(good_project))
    (good_project / "kb" / "runbooks" / "other.md").unlink()
    result = build_site(good_project, strict=False)
    hits, rendered_now = _counts(result)
    assert (
        rendered_now >= 1 and "guide.md" in result.stderr and "runbooks/other.md" in result.stderr
    )

    # safe to delete
    shutil.rmtree(good_project / ".pmkb" / "render")
    assert _counts(build_site(good_project, strict=False))[0] == 0


def test_two_builds_at_once_share_the_cache(good_project: Path) -> None:
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "-d"]
    builds = [
        subprocess.Popen(
            [*command, f"site-{n}"], cwd=good_project, stderr=subprocess.PIPE, text=True
        )
        for n in (1, 2)
    ]
    for build in builds:
        _, stderr = build.communicate(timeout=600)
        assert build.returncode == 0, stderr
    assert _pages(good_project / "site-1") == _pages(good_project / "site-2")
    assert list((good_project / ".pmkb" / "render").rglob("*.tmp")) == []
    third = build_site(good_project, "-d", "site-3")
    assert _counts(third)[1] == 0
    assert _pages(good_project / "site-3") == _pages(good_project / "site-1")


def test_a_broken_anchor_is_reported_by_a_cached_build_too(good_project: Path) -> None:
    config = good_project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "validation:\n  anchors: warn\n", encoding="utf-8"
    )
    (good_project / "kb" / "guide.md").write_text(
        "# Guide\n\nSee [the steps](runbooks/database-connection-saturation.md#no-such-part).\n",
        encoding="utf-8",
    )
    first, second = build_site(good_project, strict=False), build_site(good_project, strict=False)
    assert _counts(second)[1] == 0  # every page from the cache
    for result in (first, second):
        assert "does not contain an anchor '#no-such-part'" in result.stderr, result.stderr
    assert build_site(good_project).returncode != 0  # --strict fails on it, cached or not
