"""Accessibility in a real headless Chromium: axe-core, the two palettes, print.

- axe-core (bundled by `axe-playwright-python`, nothing fetched) runs the WCAG 2.0/2.1 A and
  AA rules on every page kind of the example sites (internal and public), with the search
  dialog open on results and on filters, in the light and in the dark palette (the reader's
  system preference, which Material follows). Any serious or critical violation fails,
  except those in `EXCLUSIONS` (Material's own chrome, each with its reason).
- The palette toggle switches light and dark; in both, the post-mortem header's labels and
  the severity badges have at least 4.5:1 contrast, computed here from the colours Chromium
  computes (`getComputedStyle`), alpha-blended over what is behind them.
- In print, the navigation and the search are gone and the header box is there, whole.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect
from postmortem_kb.site.severity import contrast_ratio

from .conftest import ServedSite, serve_directory

AXE_TAGS = ("wcag2a", "wcag2aa", "wcag21a", "wcag21aa")
BLOCKING = ("serious", "critical")
SCHEMES = {"light": "default", "dark": "slate"}  # the reader's preference -> Material's scheme
AA_TEXT = 4.5


@dataclass(frozen=True)
class Exclusion:
    """Violations of `rule` on an element inside `selector` (or matching it) are not ours."""

    rule: str
    selector: str
    reason: str


EXCLUSIONS: tuple[Exclusion, ...] = ()

PM_ID = "2023-02-14-payments-db-pool-exhaustion"  # public and published: on both sites
INTERNAL_PAGES = {
    "home": "",
    "postmortem": f"postmortems/{PM_ID}/",
    "all-incidents": "incidents/",
    "by-severity": "incidents/severity/",
    "by-service": "incidents/services/",
    "by-failure-mode": "incidents/tags/",
    "by-factor": "incidents/factors/",
    "by-year": "incidents/years/",
    "by-runbook": "incidents/runbooks/",
    "one-service": "incidents/services/payments-api/",
    "severity-levels": "severity-levels/",
    "runbook": "runbooks/database-connection-saturation/",
    "how-to-write": "how-to-write/",
    "dashboard": "learning/",
    "action-ledger": "learning/actions/",
    "recurring-factors": "learning/recurrence/",
    "digest": "learning/digest/",
}
PUBLIC_PAGES = {"public-home": "", "public-postmortem": f"postmortems/{PM_ID}/"}
SEARCH_STATES = ("search-results", "search-filters")
PAGE_KINDS = [*INTERNAL_PAGES, *PUBLIC_PAGES, *SEARCH_STATES]


@pytest.fixture(scope="module")
def public_site(example_sites: dict[str, Path]) -> Iterator[ServedSite]:
    site = serve_directory(example_sites["public"])
    yield site
    site.stop()


def open_in_scheme(browser: Browser, site: ServedSite, path: str, scheme: str) -> Page:
    """`path` of `site` in a fresh context whose system preference is `scheme`; checks that
    Material chose the matching palette, so a dark run really is dark."""
    page = site.new_page(browser, color_scheme=scheme)
    page.goto(path)
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", SCHEMES[scheme])
    return page


def open_search(page: Page, state: str) -> None:
    """The search dialog open on the results of a query, or on a severity filter alone."""
    page.keyboard.press("/")
    dialog = page.get_by_role("dialog", name="Search post-mortems and runbooks")
    expect(dialog).to_be_visible()
    if state == "search-results":
        dialog.get_by_role("combobox", name="Search").press_sequentially("connection pool")
    else:
        dialog.get_by_label("Severity").select_option("SEV1")
    expect(dialog.get_by_role("status")).to_contain_text(re.compile(r"\d"))
    page.wait_for_timeout(400)  # the passages of the results shown (fetched on a pause)


def axe_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's WCAG 2.1 A/AA violations on `page`, each node as its own entry."""
    options = {"runOnly": {"type": "tag", "values": list(AXE_TAGS)}, "resultTypes": ["violations"]}
    response = Axe().run(page, options=options).response
    return [
        {"rule": v["id"], "impact": v["impact"], "help": v["help"], "node": node}
        for v in response["violations"]
        for node in v["nodes"]
    ]


def excluded(page: Page, violation: dict[str, Any]) -> Exclusion | None:
    target = violation["node"]["target"]
    for exclusion in EXCLUSIONS:
        if exclusion.rule == violation["rule"] and page.evaluate(
            "([target, selector]) => !!document.querySelector(target)?.closest(selector)",
            [target[-1], exclusion.selector],
        ):
            return exclusion
    return None


def describe(violation: dict[str, Any]) -> str:
    node = violation["node"]
    summary = (node.get("failureSummary") or "").splitlines()
    return (
        f"{violation['rule']} ({violation['impact']}): {violation['help']}\n"
        f"    at {' '.join(node['target'])}: {node['html'][:160]}\n"
        f"    {' '.join(line.strip() for line in summary[1:3])}"
    )


@pytest.mark.parametrize("scheme", list(SCHEMES))
@pytest.mark.parametrize("kind", PAGE_KINDS)
def test_axe_finds_no_serious_violation_of_ours(
    kind: str, scheme: str, browser: Browser, kb_site: ServedSite, request: pytest.FixtureRequest
) -> None:
    if kind in PUBLIC_PAGES:
        site: ServedSite = request.getfixturevalue("public_site")
        page = open_in_scheme(browser, site, PUBLIC_PAGES[kind], scheme)
    else:
        page = open_in_scheme(browser, kb_site, INTERNAL_PAGES.get(kind, ""), scheme)
    if kind in SEARCH_STATES:
        open_search(page, kind)
    found = [v for v in axe_violations(page) if v["impact"] in BLOCKING]
    ours = [v for v in found if excluded(page, v) is None]
    assert not ours, f"{kind} ({scheme}): {len(ours)} serious or critical:\n" + "\n".join(
        describe(v) for v in ours
    )


# --- the palettes and their contrast ---------------------------------------------------------

# Text whose contrast the header and badges must keep, and what it is drawn on.
CONTRAST_PAIRS_JS = """
() => {
  const header = document.querySelector(".pmkb-header");
  const backgroundOf = (element) => {
    const layers = [];
    for (let e = element; e; e = e.parentElement) {
      const bg = getComputedStyle(e).backgroundColor;
      layers.push(bg);
      if (!bg.startsWith("rgba")) break;  // opaque: nothing behind it shows
    }
    return layers;
  };
  const labels = header.querySelectorAll(
    ".pmkb-timings dt, .pmkb-rows dt, .pmkb-time, .pmkb-role__label, .pmkb-chip"
  );
  const badges = document.querySelectorAll(".pmkb-badge");
  const pair = (e, kind) => ({
    kind, text: e.textContent.trim(), color: getComputedStyle(e).color,
    behind: backgroundOf(e),
  });
  return [...[...labels].map((e) => pair(e, "label")), ...[...badges].map((e) => pair(e, "badge"))];
}
"""


def _rgba(css: str) -> tuple[float, float, float, float]:
    match = re.fullmatch(r"rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)", css)
    assert match, f"not an rgb() colour: {css}"
    r, g, b, a = match.groups()
    return float(r), float(g), float(b), float(a) if a is not None else 1.0


def _over(top: tuple[float, ...], bottom: tuple[float, ...]) -> tuple[float, float, float, float]:
    """`top` alpha-blended over the opaque `bottom`."""
    alpha = top[3]
    r, g, b = (top[i] * alpha + bottom[i] * (1 - alpha) for i in range(3))
    return r, g, b, 1.0


def _hex(color: tuple[float, ...]) -> str:
    return "#" + "".join(f"{round(c):02x}" for c in color[:3])


def shown_contrast(pair: dict[str, Any]) -> float:
    """The contrast of `pair`'s text colour with the colour it is drawn on: its ancestors'
    backgrounds, innermost first, composed up to the first opaque one (white below all)."""
    background: tuple[float, ...] = (255.0, 255.0, 255.0, 1.0)
    for layer in reversed(pair["behind"]):
        background = _over(_rgba(layer), background)
    text = _over(_rgba(pair["color"]), background)
    return contrast_ratio(_hex(text), _hex(background))


def test_the_toggle_switches_palettes_and_both_keep_the_header_and_badges_readable(
    browser: Browser, kb_site: ServedSite
) -> None:
    page = open_in_scheme(browser, kb_site, f"postmortems/{PM_ID}/", "light")
    seen: dict[str, list[dict[str, Any]]] = {}
    for scheme, toggle in (("default", "Switch to dark mode"), ("slate", "Switch to light mode")):
        expect(page.locator("body")).to_have_attribute("data-md-color-scheme", scheme)
        pairs = page.evaluate(CONTRAST_PAIRS_JS)
        assert {p["kind"] for p in pairs} == {"label", "badge"}
        assert len([p for p in pairs if p["kind"] == "label"]) >= 6  # Date, Duration, ...
        low = [
            (p["kind"], p["text"], round(ratio, 2))
            for p in pairs
            if (ratio := shown_contrast(p)) < AA_TEXT
        ]
        assert not low, f"{scheme}: below {AA_TEXT}:1: {low}"
        seen[scheme] = pairs
        page.get_by_role("button", name=toggle).or_(page.get_by_title(toggle)).first.click()
    expect(page.locator("body")).to_have_attribute("data-md-color-scheme", "default")
    # The two palettes really differ where the header is drawn.
    assert seen["default"][0]["behind"] != seen["slate"][0]["behind"]
    # Badges keep their level's colours in both: the same meaning everywhere.
    badge_colours = {
        scheme: [(p["text"], p["behind"][0]) for p in pairs if p["kind"] == "badge"]
        for scheme, pairs in seen.items()
    }
    assert badge_colours["default"] == badge_colours["slate"]


# --- print -------------------------------------------------------------------------------------


def test_a_post_mortem_prints_without_navigation_or_search_and_with_its_header(
    browser: Browser, kb_site: ServedSite
) -> None:
    page = open_in_scheme(browser, kb_site, f"postmortems/{PM_ID}/", "dark")
    for hidden in (".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer"):
        expect(page.locator(hidden).first).to_be_visible()  # on screen they are there
    page.emulate_media(media="print")
    for hidden in (".md-header", ".md-sidebar--primary", ".md-sidebar--secondary", ".md-footer"):
        expect(page.locator(hidden).first).to_be_hidden()
    expect(page.get_by_role("button", name="Search")).to_be_hidden()
    header = page.get_by_role("region", name="Incident at a glance")
    expect(header).to_be_visible()
    expect(header.get_by_role("term").filter(has_text="Duration")).to_be_visible()
    style = header.evaluate(
        "e => [getComputedStyle(e).breakInside, getComputedStyle(document.body).backgroundColor]"
    )
    assert style == ["avoid", "rgb(255, 255, 255)"]  # whole, and on white even from dark mode
    # An external link in the body prints its address after it.
    printed = page.evaluate(
        """() => {
          const link = Object.assign(document.createElement("a"), {href: "https://status.example.com/x"});
          link.textContent = "status page";
          document.querySelector("article p").append(" ", link);
          return getComputedStyle(link, "::after").content;
        }"""
    )
    assert printed == '" (https://status.example.com/x)"'
    table = page.locator("article table").filter(has_text="Owner").first
    assert table.evaluate("t => getComputedStyle(t.querySelector('tr')).breakInside") == "avoid"
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(re.findall(rb"/Type\s*/Page\b", pdf)) >= 2


# --- keyboard and screen readers ----------------------------------------------------------------


def test_the_post_mortem_header_reads_as_labelled_facts_with_machine_readable_times(
    browser: Browser, kb_site: ServedSite
) -> None:
    page = open_in_scheme(browser, kb_site, f"postmortems/{PM_ID}/", "light")
    glance = page.get_by_role("region", name="Incident at a glance")
    terms = [t.strip() for t in glance.get_by_role("term").all_inner_texts()]
    # The first four are for screen readers only (the badge and chips speak for themselves).
    assert terms[:4] == ["Severity", "Status", "Visibility", "Impact"]
    assert terms[4:9] == [
        "Date",
        "Duration",
        "Time to detect",
        "Time to mitigate",
        "Time to resolve",
    ]
    expect(glance.get_by_role("term").filter(has_text="Severity")).to_have_class("pmkb-sr-only")
    definition = glance.get_by_role("term").filter(has_text="Status").locator("xpath=../dd")
    expect(definition).to_have_text("Published")
    times = glance.locator("time").evaluate_all(
        "ts => ts.map(t => [t.getAttribute('datetime'), t.textContent.trim()])"
    )
    # started 18:42Z, detected 18:51, mitigated 19:37, resolved 21:05 (the front matter)
    assert times == [
        ["2023-02-14T18:42Z", "2023-02-14 18:42 UTC"],
        ["PT2H23M", "2 h 23 min"],
        ["PT9M", "9 min"],
        ["PT55M", "55 min"],
        ["PT2H23M", "2 h 23 min"],
    ]


FOCUSED_AND_VISIBLE_JS = """
() => {
  const e = document.activeElement;
  const dialog = document.getElementById("pmkb-search");
  const style = getComputedStyle(e);
  const ring = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  const bar = e.closest(".pmkb-search__bar");
  const underline = !!bar && getComputedStyle(bar).boxShadow !== "none";
  return {inside: dialog.contains(e), visible: ring || underline,
          what: e.tagName + (e.dataset.pmkbFacet ? ":" + e.dataset.pmkbFacet : "")};
}
"""


def test_the_search_dialog_is_a_named_modal_that_keeps_and_returns_the_focus(
    browser: Browser, kb_site: ServedSite
) -> None:
    page = open_in_scheme(browser, kb_site, "runbooks/", "dark")
    opener = page.get_by_role("button", name="Search")
    opener.focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Search post-mortems and runbooks")
    expect(dialog).to_be_visible()
    field = dialog.get_by_role("combobox", name="Search")
    expect(field).to_be_focused()
    field.press_sequentially("customers")  # a word most post-mortems have: more than 5

    # The count, in the polite live region, and the results as a list of that many.
    status = dialog.get_by_role("status")
    expect(status).to_have_attribute("aria-live", "polite")
    expect(status).to_have_text(re.compile(r"^\d+ results for “customers”$"))
    total = int(status.inner_text().split()[0])
    assert total > 5
    options = dialog.get_by_role("listbox", name="Results").get_by_role("option")
    expect(options).to_have_count(5)
    positions = options.evaluate_all(
        "os => os.map(o => [o.getAttribute('aria-posinset'), o.getAttribute('aria-setsize')])"
    )
    assert positions == [[str(i), str(total)] for i in range(1, 6)]
    page.keyboard.press("ArrowDown")
    expect(field).to_have_attribute("aria-activedescendant", "pmkb-search-result-0")
    expect(options.first).to_have_attribute("aria-selected", "true")

    # Tab goes through every control of the dialog, each visibly focused, and around again;
    # Shift-Tab from the field goes to the last one: the focus never leaves the dialog.
    stops = []
    for _ in range(9):
        page.keyboard.press("Tab")
        state = page.evaluate(FOCUSED_AND_VISIBLE_JS)
        assert state["inside"] and state["visible"], state
        stops.append(state["what"])
    assert stops == [
        "BUTTON",  # close
        *(f"SELECT:{f}" for f in ("severity", "service", "tag", "year", "status")),
        "BUTTON",  # show more
        "INPUT",
        "BUTTON",
    ]
    page.keyboard.press("Shift+Tab")
    expect(field).to_be_focused()
    page.keyboard.press("Shift+Tab")
    expect(dialog.get_by_role("button", name=re.compile("^Show 5 more"))).to_be_focused()

    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()  # back where the reader was
