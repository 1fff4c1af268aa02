"""The public site in a real headless Chromium: its search knows the public post-mortems only.

The public site is the example knowledge base built with `pmkb build --public` (the
session's `example_sites`), served over HTTP. The search is the site's own dialog over its
index, which the plugin writes from the public site's (redacted) pages, or Material's
search when the site has that instead (its index is built from the same pages).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from ..conftest import PUBLIC_IDS
from .conftest import ServedSite, serve_directory

PUBLIC_ID = "2023-02-14-payments-db-pool-exhaustion"
INTERNAL_ID = "2023-12-12-billing-batch-clock-skew"
INTERNAL_TITLE = "Duplicate invoice emails to merchants after clock drift on a billing batch host"


def results(page: Page) -> Locator:
    """The results: options of the site's own search dialog, or Material's result items."""
    return (
        page.get_by_role("listbox", name="Results")
        .get_by_role("option")
        .or_(page.locator(".md-search-result__item"))
    )


def result_ids(page: Page) -> list[str]:
    hrefs = results(page).evaluate_all(
        "items => items.map(e => (e.matches('a') ? e : e.querySelector('a')).href)"
    )  # the dialog's options are links; Material's items hold one
    return [m[1] for h in hrefs if (m := re.search(r"/postmortems/([^/?#]+)/", h))]


def search(page: Page, query: str) -> Locator:
    """Open the search with `/`, type `query` key by key, wait for its outcome and return
    the line that states it (the dialog's status, or Material's result count)."""
    page.keyboard.press("/")
    field = page.get_by_role("combobox", name="Search").or_(
        page.get_by_role("textbox", name="Search")
    )
    expect(field).to_be_focused()
    field.press_sequentially(query, delay=10)
    outcome = page.get_by_role("status").or_(page.locator(".md-search-result__meta"))
    # The site's dialog names the query searched (without stop words): wait for its last
    # word; Material's count has no query, so wait for the results to settle.
    last = re.escape(query.split()[-1])
    expect(outcome).to_contain_text(
        re.compile(rf"“.*{last}”|matching document|No matching", re.IGNORECASE)
    )
    return outcome


@pytest.fixture(scope="module")
def public_site(example_sites: dict[str, Path]) -> Iterator[ServedSite]:
    site = serve_directory(example_sites["public"])
    yield site
    site.stop()


@pytest.fixture
def public_page(public_site: ServedSite, browser: Browser) -> Page:
    page = public_site.new_page(browser)
    page.goto("/")
    expect(page).to_have_title(re.compile("Bramble incident history"))
    return page


def test_an_internal_title_finds_nothing(public_page: Page) -> None:
    search(public_page, INTERNAL_TITLE)
    # No page has all the words; the pages with some of them (if any) are public ones.
    found = result_ids(public_page)
    assert INTERNAL_ID not in found
    assert set(found) <= PUBLIC_IDS


def test_internal_block_words_find_nothing(public_page: Page) -> None:
    outcome = search(public_page, "Fernhill")  # a merchant named only in internal blocks
    expect(outcome).to_contain_text(re.compile("No results|No matching"))
    expect(results(public_page)).to_have_count(0)


def test_a_public_post_mortem_is_found(public_page: Page) -> None:
    search(public_page, "Valentine")
    first = results(public_page).first
    expect(first).to_contain_text("Checkout failures on Valentine's Day evening")
    assert result_ids(public_page)[0] == PUBLIC_ID
    first.click()
    expect(public_page).to_have_url(re.compile(f"/postmortems/{PUBLIC_ID}/([?#].*)?$"))
    expect(public_page.locator(".pmkb-lead")).to_contain_text("some customers could not complete")
