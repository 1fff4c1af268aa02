"""The site search in a real headless Chromium, on the example knowledge base.

The reader's point of view: the search opens from the keyboard, the right post-mortem comes
first, a severity filter leaves only that severity, arrows and Enter open a result, and it
all works when the site is served from a sub-path. Selectors are roles and names (the
dialog's combobox "Search", its listbox "Results", the filter selects by label).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Locator, Page, Response, expect

from ..conftest import GOOD_NAME
from .conftest import ServedSite, serve_directory

VALENTINE_ID = "2023-02-14-payments-db-pool-exhaustion"
VALENTINE_TITLE = (
    "Checkout failures on Valentine's Day evening from payments database connection exhaustion"
)
POOL_EXHAUSTION_IDS = {
    VALENTINE_ID,
    "2024-05-30-orders-db-pool-exhaustion",
    "2025-03-04-orders-db-failover-pool-exhaustion",
}


def dialog(page: Page) -> Locator:
    return page.get_by_role("dialog", name="Search post-mortems and runbooks")


def search_field(page: Page) -> Locator:
    return dialog(page).get_by_role("combobox", name="Search")


def results(page: Page) -> Locator:
    return dialog(page).get_by_role("listbox", name="Results").get_by_role("option")


def status(page: Page) -> Locator:
    return dialog(page).get_by_role("status")


def result_ids(page: Page) -> list[str]:
    hrefs = results(page).evaluate_all("links => links.map(a => a.href)")  # each option a link
    return [m[1] for h in hrefs if (m := re.search(r"/postmortems/([^/?#]+)/", h))]


def search(page: Page, query: str) -> None:
    """Open the search with `/` and type `query` key by key, as a reader does."""
    page.keyboard.press("/")
    expect(search_field(page)).to_be_focused()
    search_field(page).press_sequentially(query, delay=20)
    expect(status(page)).to_contain_text(f"“{query}”")


@pytest.fixture
def site_requests(page: Page, base_url: str) -> Iterator[list[str]]:
    """Every request the page makes to the site, with its status."""
    seen: list[str] = []

    def on_response(response: Response) -> None:
        if urlsplit(response.url).netloc == urlsplit(base_url).netloc:
            seen.append(f"{response.status} {response.url}")

    page.on("response", on_response)
    yield seen


def test_a_distinctive_phrase_finds_its_post_mortem_first(
    page: Page, site_requests: list[str]
) -> None:
    page.goto("/")
    search(page, "Valentine")
    first = results(page).first
    expect(first).to_contain_text(VALENTINE_TITLE)
    expect(first).to_contain_text("SEV2")  # the severity badge
    expect(first).to_contain_text("2023-02-14")
    expect(first.locator("mark").first).to_have_text(re.compile("valentine", re.IGNORECASE))
    assert result_ids(page)[0] == VALENTINE_ID
    assert not [r for r in site_requests if not r.startswith(("200", "304"))]
    assert not [r for r in site_requests if "search_index.json" in r]  # no lunr index


def test_the_excerpt_shows_the_passage_with_the_words_typed(page: Page) -> None:
    """Valentine's record excerpt (its impact statement) does not name PgBouncer; once the
    results are shown, the excerpt becomes the passage of its text that does."""
    page.goto("/")
    search(page, "Valentine pgbouncer")
    excerpt = results(page).first.locator(".pmkb-search__excerpt")
    expect(excerpt.locator("mark").first).to_have_text(re.compile("^pgbouncer", re.I))
    expect(excerpt).to_contain_text("…")


def test_passages_fill_every_result_shown_also_after_show_more(page: Page) -> None:
    """ "commander" is in the text of most post-mortems but in no title or impact statement:
    only passages mark it. "Show more" right after typing must not lose the first five."""
    page.goto("/")
    search(page, "commander")
    dialog(page).get_by_role("button", name=re.compile("^Show 5 more")).click()
    expect(results(page)).to_have_count(10)
    for index in (0, 4, 5, 9):
        excerpt = results(page).nth(index).locator(".pmkb-search__excerpt mark")
        expect(excerpt.first).to_have_text(re.compile("^commander", re.I))


def test_connection_pool_brings_the_three_pool_exhaustions_to_the_top(page: Page) -> None:
    page.goto("/")
    search(page, "connection pool")
    expect(results(page).nth(3)).to_be_visible()
    top = results(page).evaluate_all("links => links.slice(0, 4).map(a => a.href)")
    incidents = {m[1] for h in top if (m := re.search(r"/postmortems/([^/?#]+)/", h))}
    assert incidents == POOL_EXHAUSTION_IDS, top  # the fourth is the matching runbook


def test_a_severity_filter_leaves_only_that_severity(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("/")
    severity = dialog(page).get_by_label("Severity")
    severity.select_option("SEV1")
    expect(status(page)).to_contain_text("3 results for these filters")
    expect(results(page)).to_have_count(3)
    for badge in results(page).locator(".pmkb-badge").all():
        expect(badge).to_have_text("SEV1")
    expect(severity.locator("option[value=SEV1]")).to_have_text("SEV1 (3)")  # facet counts

    search_field(page).press_sequentially("payments", delay=20)
    expect(status(page)).to_contain_text("“payments”")
    expect(results(page).first).to_be_visible()
    badges = results(page).locator(".pmkb-badge").all_inner_texts()
    assert badges and set(badges) == {"SEV1"}, badges


def test_the_keyboard_opens_the_search_and_a_result(page: Page) -> None:
    page.goto("/")
    expect(dialog(page)).to_be_hidden()
    search(page, "Valentine")
    page.keyboard.press("ArrowDown")
    expect(results(page).first).to_have_attribute("aria-selected", "true")
    expect(search_field(page)).to_be_focused()  # the focus stays in the field
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/postmortems/{VALENTINE_ID}/\?h=Valentine$"))
    heading = page.locator("article").get_by_role("heading", level=1)
    expect(heading).to_contain_text(VALENTINE_TITLE)
    expect(page.locator("article mark").first).to_have_text("Valentine")  # search.highlight


def test_escape_closes_the_search_and_s_or_ctrl_k_reopen_it(page: Page) -> None:
    page.goto("/")
    page.keyboard.press("s")
    expect(search_field(page)).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog(page)).to_be_hidden()
    page.keyboard.press("Control+k")
    expect(search_field(page)).to_be_focused()
    page.keyboard.press("Escape")
    page.get_by_role("button", name="Search").click()
    expect(search_field(page)).to_be_focused()


def test_a_query_no_page_fully_matches_falls_back_to_any_word(page: Page) -> None:
    page.goto("/")
    search(page, "Valentine zebra")
    expect(status(page)).to_contain_text("No page has all of")
    expect(results(page).first).to_contain_text(VALENTINE_TITLE)


def test_the_search_works_from_a_sub_path(kb_site: ServedSite, browser: Browser) -> None:
    """The built site served at /site/ (as under https://host/kb/): the index and the
    result links are found relative to the page."""
    parent = serve_directory(kb_site.root.parent)
    try:
        page = parent.new_page(browser)
        page.goto(f"{kb_site.root.name}/runbooks/")
        search(page, "Valentine")
        link = results(page).first  # the option is the result's link
        expect(link).to_have_attribute(
            "href", re.compile(rf"^/{kb_site.root.name}/postmortems/{VALENTINE_ID}/")
        )
        link.click()
        expect(page.locator("article").get_by_role("heading", level=1)).to_contain_text(
            VALENTINE_TITLE
        )
    finally:
        parent.stop()


CERT_EXPIRIES = {"2023-05-22-auth-mtls-cert-expiry", "2024-08-05-idp-saml-cert-expiry"}


def test_plurals_and_word_beginnings_match_as_the_index_wrote_them(page: Page) -> None:
    """The browser splits and normalises what is typed as site_index.tokens() did the
    pages: a plural finds the singular, and a word's beginning finds the whole word."""
    page.goto("/")
    search(page, "certificates expired")
    expect(results(page).nth(1)).to_be_visible()
    assert set(result_ids(page)[:2]) == CERT_EXPIRIES
    search_field(page).fill("")
    search_field(page).press_sequentially("pgbounc", delay=20)
    expect(status(page)).to_contain_text("“pgbounc”")
    expect(results(page).first).to_be_visible()
    assert set(result_ids(page)) <= POOL_EXHAUSTION_IDS | {""}
    expect(results(page).first.locator("mark").first).to_have_text(
        re.compile("^pgbounc", re.IGNORECASE)
    )


def test_a_quoted_phrase_matches_whole_words_only(page: Page) -> None:
    page.goto("/")
    search(page, '"pgbounc"')  # a word's beginning is not a whole word
    expect(status(page)).to_contain_text("No results")
    search_field(page).fill("")
    search_field(page).press_sequentially('"PgBouncer"', delay=20)
    expect(status(page)).to_contain_text('for “"PgBouncer"”')
    expect(results(page).first).to_be_visible()
    assert set(result_ids(page)) <= POOL_EXHAUSTION_IDS


HOSTILE_TITLE = (
    'Zebra <img src=x onerror="window.__pwned=1"> & </mark><script>window.__pwned=2</script>'
)


def test_hostile_titles_and_impacts_are_shown_as_text(
    make_project: Callable[..., Path],
    good_text: str,
    serve_project: Callable[..., ServedSite],
    browser: Browser,
) -> None:
    """A title and impact statement full of markup come back from the index as text: the
    dialog builds results from text nodes, never from the index's strings as HTML."""
    hostile = good_text.replace(
        "title: Checkout errors after payments connection pool exhaustion",
        f"title: '{HOSTILE_TITLE}'",
    ).replace("  summary: About 7%", "  summary: <b onmouseover=alert(1)>Zebra</b> About 7%")
    hostile = hostile.replace("related: [2023-06-02-payments-db-failover]", "related: []")
    site = serve_project(make_project({GOOD_NAME: hostile}), "--no-strict")
    page = site.new_page(browser)
    page.goto("")
    search(page, "zebra")
    first = results(page).first
    expect(first.locator(".pmkb-search__title")).to_have_text(HOSTILE_TITLE)
    expect(first.locator(".pmkb-search__excerpt")).to_contain_text("<b onmouseover=alert(1)>")
    assert first.locator("img, script, b").count() == 0
    assert first.locator("mark").all_inner_texts() == ["Zebra", "Zebra"]
    assert page.evaluate("window.__pwned") is None
