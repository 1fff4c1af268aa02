"""Served from the intranet, working offline: no page of the site asks any host but the
site's own. During an incident the internet, or the SaaS tools, may be what is down.

Every request of every page is routed (`**/*`): those to the site's host go on, any other
is recorded and aborted, and the test fails naming it. One page of each kind of the example
site is loaded (home, each listing and overview, a post-mortem, the severity page, a
runbook, the handbook and whatever else the site has), and the search dialog is opened and
shows results. A site that keeps Material's web fonts (`offline: false`) is the control:
the same recording sees its requests to Google Fonts.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from playwright.sync_api import Browser, Page, Route, expect

from ..conftest import GOOD_NAME, RELATED_NAME, related_text
from .conftest import ServedSite


def record_other_hosts(page: Page, site_url: str) -> list[str]:
    """Route every request of `page`: the site's own go on, the others are aborted and
    listed (in the returned list, as they happen)."""
    own = urlsplit(site_url).netloc
    elsewhere: list[str] = []

    def handle(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == own:
            route.continue_()
        else:
            elsewhere.append(url)
            route.abort()

    page.route("**/*", handle)
    return elsewhere


def page_kinds(site: Path) -> list[str]:
    """One URL path (`incidents/services/`) per kind of page of a built site: every page
    at the top and every overview of a folder (`incidents/<group>/`, `learning/<page>/`),
    and the first of the pages below one (a group's value, a post-mortem, a runbook)."""
    chosen: dict[str, str] = {}
    for index in sorted(site.rglob("index.html")):
        folder = index.parent.relative_to(site).as_posix()
        parts = [] if folder == "." else folder.split("/")
        if parts[:1] in (["postmortems"], ["runbooks"]) and len(parts) > 1:
            kind = f"{parts[0]}/*"
        elif len(parts) > 2:
            kind = "/".join(parts[:2]) + "/*"
        else:
            kind = folder
        chosen.setdefault(kind, "" if not parts else folder + "/")
    return sorted(chosen.values())


def test_every_kind_of_page_and_the_search_stay_on_the_sites_host(
    page: Page, kb_site: ServedSite
) -> None:
    elsewhere = record_other_hosts(page, kb_site.url)
    paths = page_kinds(kb_site.root)
    for wanted in (
        "",
        "incidents/",
        "incidents/severity/",
        "incidents/services/",
        "incidents/tags/",
        "incidents/factors/",
        "incidents/years/",
        "incidents/runbooks/",
        "severity-levels/",
        "how-to-write/",
        "runbooks/",
    ):
        assert wanted in paths, wanted
    for prefix in ("postmortems/", "runbooks/", "incidents/services/"):  # and one below each
        assert any(p.startswith(prefix) and p != prefix for p in paths), prefix
    for path in paths:
        response = page.goto(kb_site.url_for(path), wait_until="load")
        assert response is not None and response.status == 200, path
        page.wait_for_load_state("networkidle")
        assert elsewhere == [], f"{path or 'home'} asked other hosts: {elsewhere}"

    page.goto(kb_site.url)
    page.keyboard.press("/")
    field = page.get_by_role("dialog", name="Search post-mortems and runbooks").get_by_role(
        "combobox", name="Search"
    )
    expect(field).to_be_focused()
    field.press_sequentially("connection pool", delay=20)
    options = page.get_by_role("listbox", name="Results").get_by_role("option")
    expect(options.first).to_be_visible()
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)  # the passages load when typing pauses (300 ms)
    assert elsewhere == [], f"the search asked other hosts: {elsewhere}"


def test_a_site_that_keeps_materials_web_fonts_is_caught(
    browser: Browser,
    make_project: Callable[..., Path],
    good_text: str,
    serve_project: Callable[..., ServedSite],
) -> None:
    """The control: with `offline: false` Material asks Google Fonts, and the recording
    sees it; without the option (the default), the same site asks no other host."""
    files = {GOOD_NAME: good_text, RELATED_NAME: related_text(good_text)}
    project = make_project(files)
    config = project / "mkdocs.yml"
    default = config.read_text(encoding="utf-8")
    assert "font" not in default  # Material's default: Roboto from Google Fonts
    config.write_text(
        default.replace("  - postmortems\n", "  - postmortems:\n      offline: false\n"),
        encoding="utf-8",
    )
    online = serve_project(project)
    config.write_text(default, encoding="utf-8")
    offline = serve_project(project)

    asked: dict[str, list[str]] = {}
    for name, site in (("online", online), ("offline", offline)):
        page = site.new_page(browser)
        asked[name] = record_other_hosts(page, site.url)
        page.goto(site.url_for(f"postmortems/{GOOD_NAME[:-3]}/"), wait_until="load")
        page.wait_for_load_state("networkidle")
    hosts = {urlsplit(url).netloc for url in asked["online"]}
    assert "fonts.googleapis.com" in hosts, asked["online"]
    assert asked["offline"] == []
