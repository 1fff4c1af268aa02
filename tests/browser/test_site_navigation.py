"""A reader's walk through the built site, in a real headless Chromium."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ..conftest import GOOD_NAME
from .conftest import ServedSite, broken_links


@pytest.mark.parametrize("key", ["/", "s"])
def test_home_page_has_the_title_and_search_opens_from_the_keyboard(page: Page, key: str) -> None:
    page.goto("/")
    expect(page).to_have_title(re.compile("Incident Knowledge Base"))
    search = page.get_by_role("textbox", name="Search")
    expect(search).not_to_be_focused()
    page.keyboard.press(key)
    expect(search).to_be_focused()
    search.fill("pool")
    expect(page.locator(".md-search-result__item").first).to_be_visible()


def test_a_postmortem_of_a_temp_project_is_served(
    good_project: Path, serve_project: Callable[..., ServedSite], browser: Any
) -> None:
    site = serve_project(good_project)
    page = site.new_page(browser)
    page.goto(f"postmortems/{GOOD_NAME[:-3]}/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Checkout errors")
    assert broken_links(page) == {}
