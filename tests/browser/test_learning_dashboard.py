"""The Learning dashboard in a real headless Chromium: the four inline SVG charts render
with visible text in the light palette and, after the header's toggle, in the dark one;
without JavaScript they are still there; each has its data table."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import Browser, Page, expect

from .conftest import ServedSite

CHARTS = (
    "Incidents per month by severity",
    "Time to mitigate per quarter",
    "On-time completion per quarter",
    "Top recurring contributing factors",
)

# Each chart's size, how many of its <text> are drawn, and the colours they are drawn in,
# next to the page's own text and background colours.
CHART_FACTS_JS = """
() => [...document.querySelectorAll("svg.pmkb-chart")].map(svg => {
  const box = svg.getBoundingClientRect();
  const texts = [...svg.querySelectorAll("text")].filter(t => {
    const b = t.getBoundingClientRect();
    return b.width > 0 && b.height > 0 && t.textContent.trim();
  });
  return {
    title: svg.querySelector("title").textContent,
    width: box.width, height: box.height,
    texts: texts.length,
    fills: [...new Set(texts.map(t => getComputedStyle(t).fill))],
    marks: svg.querySelectorAll("rect > title, circle > title, g > title").length,
    page: getComputedStyle(document.querySelector(".md-content")).color,
    background: getComputedStyle(document.body).backgroundColor,
  };
})
"""


def _open(browser: Browser, site: ServedSite, scheme: str, **options: Any) -> Page:
    context = browser.new_context(base_url=site.url, color_scheme=scheme, **options)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto("learning/")
    return page


def _facts(page: Page) -> list[dict[str, Any]]:
    facts: list[dict[str, Any]] = page.evaluate(CHART_FACTS_JS)
    assert [f["title"] for f in facts] == list(CHARTS)
    for fact in facts:
        assert fact["width"] > 400 and fact["height"] > 100, fact
        assert fact["texts"] >= 4, fact  # axis labels, legend, values
        assert fact["marks"] >= 1, fact
        assert fact["page"] in fact["fills"], fact  # the text is drawn in the page's colour
        assert fact["background"] not in fact["fills"], fact
    return facts


def test_dashboard_charts_follow_the_palette_toggle(browser: Browser, kb_site: ServedSite) -> None:
    page = _open(browser, kb_site, "light")
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "default")
    for title in CHARTS:
        expect(page.get_by_role("img", name=title)).to_be_visible()
    light = _facts(page)
    page.get_by_role("button", name="Switch to dark mode").or_(
        page.get_by_title("Switch to dark mode")
    ).first.click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "slate")
    dark = _facts(page)
    assert light[0]["page"] != dark[0]["page"]  # the charts' text changed with the page's
    assert light[0]["background"] != dark[0]["background"]


def test_each_chart_has_its_data_table(browser: Browser, kb_site: ServedSite) -> None:
    page = _open(browser, kb_site, "dark")
    for title in CHARTS:
        summary = page.get_by_text(f"{title}: the data", exact=True)
        summary.click()
        table = page.locator("details", has=summary).locator("table")
        expect(table).to_be_visible()
        assert table.locator("tbody tr").count() >= 1


def test_charts_render_without_javascript(browser: Browser, kb_site: ServedSite) -> None:
    page = _open(browser, kb_site, "light", java_script_enabled=False)
    for title in CHARTS:
        expect(page.get_by_role("img", name=title)).to_be_visible()
    _facts(page)


def test_the_ledger_filter_box_narrows_the_rows(browser: Browser, kb_site: ServedSite) -> None:
    page = browser.new_context(base_url=kb_site.url).new_page()
    page.goto("learning/actions/")
    rows = page.locator("table.pmkb-ledger tbody tr")
    total = rows.count()
    owners = page.locator("table.pmkb-ledger tbody tr td:nth-child(4)").all_inner_texts()
    owner = owners[0]
    page.get_by_label("Filter this page").fill(owner)
    expect(page.get_by_role("status").filter(has_text="rows")).to_have_text(
        f"{owners.count(owner)} of {total} rows"
    )
    assert page.locator("table.pmkb-ledger tbody tr:visible").count() == owners.count(owner)
    page.get_by_label("Filter this page").fill("")
    assert page.locator("table.pmkb-ledger tbody tr:visible").count() == total
