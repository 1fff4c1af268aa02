"""A reader's walk through the example knowledge base, in a real headless Chromium.

Pages are reached the way a reader reaches them: from the home page, through the navigation
and the links on each page, by clicking. Selectors are what the reader sees (roles, names,
headings, column headers), not CSS classes. On every page visited, every link of the site
must answer 200, and no request for a page or asset may fail.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Locator, Page, Request, Response, expect
from postmortem_kb.format.durations import format_duration
from postmortem_kb.format.model import PostMortem
from postmortem_kb.project import load_project
from postmortem_kb.rules.archive import load_project_archive

from ..conftest import GOOD_NAME
from .conftest import REPO, ServedSite, broken_links


@functools.cache
def example_postmortems() -> dict[str, PostMortem]:
    """The example knowledge base's post-mortems by id, as the plugin reads them."""
    archive = load_project_archive(load_project(REPO / "mkdocs.yml"))
    return {pm.id: pm for pm in archive.postmortems}


def postmortem_at(url: str) -> PostMortem:
    match = re.search(r"/postmortems/([^/]+)/$", url)
    assert match, f"not a post-mortem page: {url}"
    return example_postmortems()[match.group(1)]


def expected_timings(pm: PostMortem) -> dict[str, str]:
    """The header's timings of `pm`, from its front matter's timestamps."""
    return {
        "Duration": format_duration(pm.duration()),
        "Time to detect": format_duration(pm.time_to("detected")),
        "Time to mitigate": format_duration(pm.time_to("mitigated")),
        "Time to resolve": format_duration(pm.time_to("resolved")),
    }


@pytest.fixture
def failed_requests(page: Page, base_url: str) -> Iterator[list[str]]:
    """Requests to the site (documents, styles, scripts, search index) that failed or got
    >= 400. Other hosts are left out: the tests run offline (Material asks Google Fonts)."""
    failed: list[str] = []

    def ours(url: str) -> bool:
        return urlsplit(url).netloc == urlsplit(base_url).netloc

    def on_response(response: Response) -> None:
        if response.status >= 400 and ours(response.url):
            failed.append(f"{response.status} {response.url}")

    def on_failure(request: Request) -> None:
        if ours(request.url):
            failed.append(f"{request.failure} {request.url}")

    page.on("response", on_response)
    page.on("requestfailed", on_failure)
    yield failed


def main_nav(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Navigation")


def content(page: Page) -> Locator:
    return page.locator("article")


def table_with_column(page: Page, column: str) -> Locator:
    """The content's (last) table that has a column headed `column`."""
    return (
        content(page)
        .get_by_role("table")
        .filter(has=page.get_by_role("columnheader", name=column, exact=True))
        .last
    )


def cell_link(table: Locator, row: int, column: int) -> Locator:
    """The link in body row `row` (0-based), cell `column`, of `table`."""
    return table.get_by_role("row").nth(row + 1).get_by_role("cell").nth(column).get_by_role("link")


def section_after(heading: Locator) -> Locator:
    """What follows `heading` up to the next heading: its list, table or paragraph."""
    return heading.locator("xpath=following-sibling::*[1]")


def related_incidents(page: Page) -> Locator:
    """The links listed under "Related incidents" in a post-mortem's footer."""
    footer = page.get_by_role("region", name="Related incidents and runbooks")
    title = footer.get_by_role("heading", name="Related incidents", exact=True)
    expect(title).to_be_visible()
    return section_after(title).get_by_role("link")


def assert_no_broken_links(page: Page) -> None:
    assert broken_links(page) == {}, f"broken links on {page.url}"


def heading(page: Page) -> Locator:
    return content(page).get_by_role("heading", level=1)


def expect_heading(page: Page, text: str) -> None:
    """The page's H1 reads `text` (its permalink sign, if any, aside)."""
    name = re.compile(rf"^{re.escape(text.strip())}\s*¶?$")
    expect(content(page).get_by_role("heading", level=1, name=name)).to_be_visible()


# --- home and search -------------------------------------------------------------------------


def search_field(page: Page, *, include_hidden: bool = False) -> Locator:
    """The search field: the site's own dialog (a combobox) or Material's (a textbox)."""
    return page.get_by_role("combobox", name="Search", include_hidden=include_hidden).or_(
        page.get_by_role("textbox", name="Search", include_hidden=include_hidden)
    )


def search_results(page: Page) -> Locator:
    """The results: options of the site's own listbox, or Material's result items."""
    return (
        page.get_by_role("listbox", name="Results")
        .get_by_role("option")
        .or_(page.locator(".md-search-result__item"))  # Material's results have no role
    )


@pytest.mark.parametrize("key", ["/", "s"])
def test_home_page_has_the_title_and_search_opens_from_the_keyboard(page: Page, key: str) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Incident Knowledge Base"))
    expect(search_field(page, include_hidden=True)).not_to_be_focused()
    search = search_field(page)
    page.keyboard.press(key)
    expect(search).to_be_focused()
    search.press_sequentially("pgbouncer")  # real keystrokes: searches run on key events
    results = search_results(page)
    expect(results.first).to_be_visible()
    expect(results.first).to_contain_text(re.compile("pool|connection", re.IGNORECASE))


def test_home_page_lists_the_newest_incidents_and_links_to_all(
    page: Page, failed_requests: list[str]
) -> None:
    page.goto("/")
    expect_heading(page, "Incident knowledge base")
    newest_first = sorted(example_postmortems().values(), key=lambda pm: pm.meta.date)[::-1]
    recent = table_with_column(page, "Incident")
    rows = recent.get_by_role("row")
    expect(rows).to_have_count(1 + min(10, len(newest_first)))
    expect(cell_link(recent, 0, 1)).to_have_text(newest_first[0].title)
    assert_no_broken_links(page)

    content(page).get_by_role("link", name=f"All {len(newest_first)} incidents").click()
    expect_heading(page, "All incidents")
    expect(table_with_column(page, "Incident").get_by_role("row")).to_have_count(
        1 + len(newest_first)
    )
    assert failed_requests == []


# --- from a service to an incident, and to a related one -------------------------------------


def test_from_the_home_page_to_a_service_to_an_incident_and_a_related_one(
    page: Page, failed_requests: list[str]
) -> None:
    page.goto("/")
    main_nav(page).get_by_role("link", name="By service").click()
    expect_heading(page, "Incidents by service")
    assert_no_broken_links(page)

    services = table_with_column(page, "Service")
    services.get_by_role("link", name="orders-db", exact=True).click()
    expect_heading(page, "Service: orders-db")
    assert_no_broken_links(page)

    incidents = table_with_column(page, "Incident")
    newest = cell_link(incidents, 0, 1)
    title = newest.inner_text()
    newest.click()
    expect(page).to_have_url(re.compile(r"/postmortems/\d{4}-\d\d-\d\d-[a-z0-9-]+/$"))
    expect_heading(page, title)

    pm = postmortem_at(page.url)
    glance = page.get_by_role("region", name="Incident at a glance")
    expect(glance.get_by_role("link", name=pm.meta.severity, exact=True)).to_be_visible()
    for label, value in expected_timings(pm).items():
        assert value != "not recorded", (pm.id, label)
        term = glance.get_by_role("term").filter(has_text=re.compile(f"^{label}$"))
        expect(term).to_have_count(1)
        expect(term.locator("xpath=following-sibling::dd[1]")).to_have_text(value)
    expect(glance.get_by_role("link", name="orders-db", exact=True)).to_be_visible()
    assert_no_broken_links(page)

    related = related_incidents(page)
    expect(related.first).to_be_visible()
    other_title = related.first.inner_text()
    here = page.url
    related.first.click()
    expect_heading(page, other_title)
    assert page.url != here
    # Related links go both ways: the incident we came from is listed here too.
    back = related_incidents(page).filter(has_text=re.compile(f"^{re.escape(title)}$"))
    expect(back).to_be_visible()
    assert_no_broken_links(page)
    assert failed_requests == []


def test_the_severity_badge_leads_to_the_incidents_of_that_severity(page: Page) -> None:
    page.goto("/")
    main_nav(page).get_by_role("link", name="All incidents").click()
    expect_heading(page, "All incidents")
    assert_no_broken_links(page)
    cell_link(table_with_column(page, "Incident"), 0, 1).click()
    badge = page.get_by_role("region", name="Incident at a glance").get_by_role(
        "link", name=re.compile(r"^SEV\d$")
    )
    level = badge.inner_text().strip()
    badge.click()
    expect_heading(page, f"{level} incidents")
    assert_no_broken_links(page)


# --- runbooks and their backlinks ------------------------------------------------------------


def test_a_runbook_lists_the_incidents_that_used_it_and_links_to_them(
    page: Page, failed_requests: list[str]
) -> None:
    page.goto("/")
    main_nav(page).get_by_role("link", name="Runbooks").click()
    expect_heading(page, "Runbooks")
    assert_no_broken_links(page)

    content(page).get_by_role("link", name="Database connection saturation").click()
    expect(heading(page)).to_contain_text("connection saturation")
    runbook_url = page.url
    runbook_title = heading(page).inner_text().rstrip("¶ \n")
    expect(page.get_by_role("heading", name="Incidents that used this runbook")).to_be_visible()
    assert_no_broken_links(page)

    incident = cell_link(table_with_column(page, "Incident"), 0, 1)
    title = incident.inner_text()
    incident.click()
    expect_heading(page, title)
    footer = page.get_by_role("region", name="Related incidents and runbooks")
    runbook = footer.get_by_role("link", name=runbook_title, exact=True)
    expect(runbook).to_be_visible()
    runbook.click()
    assert page.url == runbook_url
    assert failed_requests == []


# --- any project, through the factory ---------------------------------------------------------


def test_a_postmortem_of_a_temp_project_is_served(
    good_project: Path, serve_project: Callable[..., ServedSite], browser: Any
) -> None:
    site = serve_project(good_project)
    page = site.new_page(browser)
    page.goto(f"postmortems/{GOOD_NAME[:-3]}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout errors")
    assert broken_links(page) == {}


# --- similar incidents -----------------------------------------------------------------------


def test_a_similar_incident_is_listed_with_its_reasons_and_opens(
    page: Page, failed_requests: list[str]
) -> None:
    page.goto("/postmortems/2024-05-30-orders-db-pool-exhaustion/")
    footer = page.get_by_role("region", name="Related incidents and runbooks")
    title = footer.get_by_role("heading", name="Similar incidents", exact=True)
    similar = section_after(title).get_by_role("listitem")
    expect(similar.first).to_be_visible()
    related_titles = set(related_incidents(page).all_inner_texts())
    first = similar.first.get_by_role("link")
    other_title = first.inner_text()
    assert other_title not in related_titles  # similar never repeats related
    expect(similar.first).to_contain_text("same service: ")
    first.click()
    expect_heading(page, other_title)
    assert_no_broken_links(page)
    assert failed_requests == []
