"""Served offline: the plugin turns Material's web fonts off and reports stylesheets and
scripts on other hosts (`offline`, default true). Real `mkdocs build` runs; the browser's
view of it (every request of every kind of page) is tests/browser/test_offline.py."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from postmortem_kb.site.offline import other_hosts, uses_web_fonts

from .conftest import GOOD_NAME, RELATED_NAME, build_site, related_text

GOOD_PAGE = Path("site") / "postmortems" / GOOD_NAME[:-3] / "index.html"
CDN_SCRIPT = "https://cdn.example.com/widget.js"


@pytest.fixture
def project(make_project: Callable[..., Path], good_text: str) -> Path:
    return make_project({GOOD_NAME: good_text, RELATED_NAME: related_text(good_text)})


def with_options(project: Path, options: str, extra: str = "") -> Path:
    config = project / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    text = text.replace("  - postmortems\n", f"  - postmortems:\n{options}")
    config.write_text(text + extra, encoding="utf-8")
    return project


def test_other_hosts_are_urls_with_a_host() -> None:
    urls = [CDN_SCRIPT, "//fonts.example.net/a.css", "assets/x.css", "/abs.js", "http://x/y"]
    assert other_hosts(urls) == [CDN_SCRIPT, "//fonts.example.net/a.css", "http://x/y"]
    assert uses_web_fonts({"text": "Roboto"}) and not uses_web_fonts(False)


def test_by_default_materials_web_fonts_are_off(project: Path) -> None:
    assert "font" not in (project / "mkdocs.yml").read_text(encoding="utf-8")
    result = build_site(project)
    assert result.returncode == 0, result.stderr[-4000:]
    assert "offline: theme.font set to false" in result.stderr  # information, not a warning
    html = (project / GOOD_PAGE).read_text(encoding="utf-8")
    assert "fonts.googleapis.com" not in html and "fonts.gstatic.com" not in html


def test_offline_false_leaves_the_fonts_alone(project: Path) -> None:
    result = build_site(with_options(project, "      offline: false\n"))
    assert result.returncode == 0, result.stderr[-4000:]
    assert "offline:" not in result.stderr
    assert "fonts.googleapis.com" in (project / GOOD_PAGE).read_text(encoding="utf-8")


def test_a_script_from_another_host_is_a_warning_naming_it(project: Path) -> None:
    extra = f"extra_javascript:\n  - {CDN_SCRIPT}\n  - local.js\n"
    (project / "kb" / "local.js").write_text("// ours\n", encoding="utf-8")
    strict = build_site(with_options(project, "      offline: true\n", extra))
    assert strict.returncode == 1
    assert (
        f"WARNING -  postmortems: offline: {CDN_SCRIPT} is loaded from another host"
        in strict.stderr
    )
    assert "local.js is loaded" not in strict.stderr
    config = project / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("offline: true", "offline: false"),
        encoding="utf-8",
    )
    assert build_site(project).returncode == 0
