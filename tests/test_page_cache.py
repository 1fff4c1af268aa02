"""The page cache (`site.page_cache`, `.pmkb/pages/`): a build renders the template only for
the pages whose context changed, and the site it writes is byte for byte the one a build
without the cache writes."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from postmortem_kb.site.page_cache import KEEP_OTHER_SITES, PageCache

from .conftest import GOOD_NAME, RELATED_NAME, build_site

_COUNTS = re.compile(r"page cache: (\d+) finished pages from it, (\d+) rendered")


def _counts(result: subprocess.CompletedProcess[str]) -> tuple[int, int]:
    assert result.returncode == 0, result.stderr
    match = _COUNTS.search(result.stderr)
    assert match, result.stderr
    return int(match.group(1)), int(match.group(2))


def _files(site: Path) -> dict[str, bytes]:
    return {p.relative_to(site).as_posix(): p.read_bytes() for p in site.rglob("*") if p.is_file()}


def _page(project: Path, name: str) -> str:
    path = project / "site" / "postmortems" / name.removesuffix(".md") / "index.html"
    return path.read_text(encoding="utf-8")


def _without_caches(project: Path) -> dict[str, bytes]:
    """The site a build with `render_cache: false` writes (into `site-plain`)."""
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    off = project / "mkdocs.nocache.yml"
    off.write_text(
        text.replace("  - postmortems\n", "  - postmortems:\n      render_cache: false\n")
    )
    result = build_site(project, "-f", str(off), "-d", str(project / "site-plain"))
    assert result.returncode == 0, result.stderr
    assert "page cache:" not in result.stderr
    return _files(project / "site-plain")


def test_a_second_build_renders_no_template_and_writes_the_same_site(good_project: Path) -> None:
    hits, rendered = _counts(build_site(good_project))
    assert hits == 0 and rendered > 10
    first = _files(good_project / "site")
    assert _counts(build_site(good_project)) == (rendered, 0)
    assert _files(good_project / "site") == first
    uncached = _without_caches(good_project)
    assert {k: v for k, v in first.items() if k.endswith(".html")} == {
        k: v for k, v in uncached.items() if k.endswith(".html")
    }


def test_what_a_page_shows_of_another_page_renders_it_again(good_project: Path) -> None:
    _, rendered = _counts(build_site(good_project))
    # the earlier incident's new title: its page, the later one's "Related incidents" footer
    # and the listings that name it render again; nothing else
    related = good_project / "postmortems" / RELATED_NAME
    related.write_text(
        related.read_text(encoding="utf-8").replace(
            "title: Payments database failover", "title: Payments primary failover"
        ),
        encoding="utf-8",
    )
    hits, again = _counts(build_site(good_project))
    assert 2 <= again < rendered and hits == rendered - again
    assert "Payments primary failover" in _page(good_project, GOOD_NAME)
    assert "Payments database failover" not in _page(good_project, GOOD_NAME)
    assert _files(good_project / "site") == _without_caches(good_project) | {
        k: v for k, v in _files(good_project / "site").items() if not k.endswith(".html")
    }


def test_another_configuration_never_gets_a_page_of_the_old_one(good_project: Path) -> None:
    _, rendered = _counts(build_site(good_project))
    config = good_project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("site_name: Test KB", "site_name: Other KB")
    )
    assert _counts(build_site(good_project)) == (0, rendered)
    assert "Other KB" in _page(good_project, GOOD_NAME)
    # the template is part of the key: a custom_dir of the site's own is read
    overrides = good_project / "overrides" / "partials"
    overrides.mkdir(parents=True)
    shutil.copy(
        Path(__import__("material").__file__).parent / "templates" / "partials" / "copyright.html",
        overrides / "copyright.html",
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  name: material\n", "  name: material\n  custom_dir: overrides\n"
        )
    )
    _counts(build_site(good_project))
    copyright_html = overrides / "copyright.html"
    copyright_html.write_text(
        copyright_html.read_text(encoding="utf-8") + "<p>Changed footer 4711</p>\n"
    )
    assert _counts(build_site(good_project)) == (0, rendered)
    assert "Changed footer 4711" in _page(good_project, GOOD_NAME)


def test_a_damaged_or_deleted_cache_is_a_miss(good_project: Path) -> None:
    _, rendered = _counts(build_site(good_project))
    first = _files(good_project / "site")
    entries = sorted((good_project / ".pmkb" / "pages").rglob("*.html.z"))
    assert len(entries) == rendered
    entries[0].write_bytes(b"not zlib")
    entries[1].write_bytes(entries[1].read_bytes()[:20])
    assert _counts(build_site(good_project)) == (rendered - 2, 2)
    assert _files(good_project / "site") == first
    shutil.rmtree(good_project / ".pmkb")
    assert _counts(build_site(good_project)) == (0, rendered)
    assert _files(good_project / "site") == first


def test_a_build_drops_the_entries_it_did_not_use(good_project: Path) -> None:
    _counts(build_site(good_project))
    folder = good_project / ".pmkb" / "pages"
    before = {p.name for p in folder.rglob("*.html.z")}
    page = good_project / "postmortems" / GOOD_NAME
    page.write_text(page.read_text(encoding="utf-8") + "\nOne more sentence.\n")
    result = build_site(good_project)
    after = {p.name for p in folder.rglob("*.html.z")}
    assert len(after) == len(before) and len(after - before) >= 1
    assert "unused dropped" in result.stderr
    assert list(folder.rglob("*.tmp")) == []


def test_a_template_or_plugin_the_key_cannot_see_turns_the_cache_off(
    good_project: Path,
) -> None:
    # a custom_dir with its own main.html: pages do not render through the plugin's
    (good_project / "overrides").mkdir()
    (good_project / "overrides" / "main.html").write_text(
        '{% extends "base.html" %}\n{% block content %}<p>own main {{ page.title }}</p>'
        "{{ page.content }}{% endblock %}\n"
    )
    config = good_project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  name: material\n", "  name: material\n  custom_dir: overrides\n")
    )
    for _ in range(2):
        result = build_site(good_project)
        assert result.returncode == 0 and "page cache:" not in result.stderr
    assert "own main" in _page(good_project, GOOD_NAME)
    # a hook that changes the context in its own way
    (good_project / "hooks.py").write_text(
        "import random\n\ndef on_page_context(context, page, config, nav):\n"
        "    page.meta['x'] = random.random()\n    return context\n"
    )
    config.write_text(text + "hooks:\n  - hooks.py\n")
    result = build_site(good_project)
    assert result.returncode == 0 and "page cache:" not in result.stderr


def test_prune_keeps_other_sites_for_a_week(tmp_path: Path) -> None:
    root = tmp_path / "pages"
    internal, public = PageCache(root, "a" * 64), PageCache(root, "b" * 64)
    internal.put(internal.key(["x"]), "<p>internal</p>")
    public.put(public.key(["x"]), "<p>public</p>")
    stale = PageCache(root, "c" * 64)
    stale.put(stale.key(["x"]), "<p>old</p>")
    again = PageCache(root, "a" * 64)
    assert again.get(again.key(["x"])) == "<p>internal</p>"
    now = stale.folder.stat().st_mtime + KEEP_OTHER_SITES + 60
    assert again.prune(now=now - 120) == 0
    assert public.folder.is_dir() and stale.folder.is_dir()
    again.prune(now=now)
    assert again.folder.is_dir() and not stale.folder.is_dir() and not public.folder.is_dir()


def test_a_plugin_reading_pages_late_gets_their_html(good_project: Path) -> None:
    """Between its Markdown and its template a page's HTML is held compressed, and let go
    once written (`PostmortemsPlugin._hold_content`); not when another plugin reads pages
    after that: a hook's `on_post_page` and `on_post_build` still see every page's HTML."""
    _counts(build_site(good_project))
    held = _files(good_project / "site")
    (good_project / "hooks.py").write_text(
        "from pathlib import Path\n\nPAGES = []\n\n"
        "def on_post_page(output, page, config):\n"
        "    PAGES.append(page)\n    return output\n\n"
        "def on_post_build(config):\n"
        "    empty = [p.file.src_uri for p in PAGES if not p.content]\n"
        "    Path(config.config_file_path).with_name('empty.txt').write_text(\n"
        "        f'{len(PAGES)} {empty}')\n"
    )
    config = good_project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "hooks:\n  - hooks.py\n")
    fresh = _without_caches(good_project)  # every page rendered again, none held
    count, empty = (good_project / "empty.txt").read_text().split(" ", 1)
    assert int(count) > 10 and empty == "[]"
    assert {k: v for k, v in fresh.items() if k.endswith(".html")} == {
        k: v for k, v in held.items() if k.endswith(".html")
    }


def test_the_nav_rendered_once_per_folder_is_the_nav_rendered_for_each_page(
    good_project: Path,
) -> None:
    """`partials/nav.html` renders Material's nav once per folder for the pages outside
    the nav (`template_inputs.shared_nav_key`); the site is the one where every page
    renders it (a custom_dir nav.html that always includes Material's), also for a page
    outside the nav with a nav page inside its own folder (`guide/` and `guide/sub/`)."""
    kb = good_project / "kb"
    (kb / "guide").mkdir()
    (kb / "guide" / "index.md").write_text("# Guide\n\nNot in the nav.\n")
    (kb / "guide" / "sub.md").write_text("# Sub\n\nIn the nav.\n")
    (kb / "other.md").write_text("# Other\n\nNot in the nav either.\n")
    config = good_project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8")
        + "nav:\n  - Home: index.md\n  - Sub: guide/sub.md\n"
        + "  - Runbook: runbooks/database-connection-saturation.md\n"
    )
    shared = _without_caches(good_project)
    (good_project / "overrides" / "partials").mkdir(parents=True)
    (good_project / "overrides" / "partials" / "nav.html").write_text(
        '{% include "material/partials/nav.html" %}'
    )
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "  name: material\n", "  name: material\n  custom_dir: overrides\n"
        )
    )
    each = _without_caches(good_project)
    pages = sorted(k for k in shared if k.endswith(".html"))
    assert "guide/index.html" in pages and "other/index.html" in pages
    assert len([p for p in pages if p.startswith("postmortems/")]) == 2
    assert {k: shared[k] for k in pages} == {k: each[k] for k in pages}
    guide = shared["guide/index.html"].decode()
    assert 'href="sub/"' in guide and 'href="../guide/sub/"' in shared["other/index.html"].decode()
