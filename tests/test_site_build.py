"""The knowledge-base site, in real `mkdocs build` runs: the generated index pages, the
post-mortem header and footer (theme override), runbook backlinks, the home page markers,
the nav, and pagination past 200 rows. Assertions are on the produced HTML."""

from __future__ import annotations

import datetime as dt
import importlib.util
import re
import subprocess
import sys
from collections.abc import Callable
from html.parser import HTMLParser
from pathlib import Path

from .conftest import GOOD_NAME, RELATED_NAME, REPO, build_site, related_text

GOOD_ID = GOOD_NAME[:-3]
RELATED_ID = RELATED_NAME[:-3]
GOOD_TITLE = "Checkout errors after payments connection pool exhaustion"
RELATED_TITLE = "Payments database failover"


# --- helpers ----------------------------------------------------------------------------


def with_config(project: Path, extra: str) -> Path:
    """`project` with `extra` appended to its mkdocs.yml."""
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return project


def build_relaxed(project: Path) -> subprocess.CompletedProcess[str]:
    """`mkdocs build` without `--strict`, for projects whose files have warnings."""
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build"],
        cwd=project,
        capture_output=True,
        text=True,
        check=False,
    )


def page(project: Path, url: str) -> str:
    return (project / "site" / url / "index.html").read_text(encoding="utf-8")


class _Tables(HTMLParser):
    """The rows of the content's tables: each row a list of (cell text, first link)."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[list[tuple[str, str | None]]] = []
        self._cell: list[str] | None = None
        self._link: str | None = None
        self._in_body = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tbody":
            self._in_body = True
        elif tag == "tr" and self._in_body:
            self.rows.append([])
        elif tag == "td" and self._in_body:
            self._cell, self._link = [], None
        elif tag == "a" and self._cell is not None and self._link is None:
            self._link = dict(attrs).get("href")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tbody":
            self._in_body = False
        elif tag == "td" and self._cell is not None:
            self.rows[-1].append((" ".join("".join(self._cell).split()), self._link))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def rows(html: str) -> list[list[str]]:
    """Cell texts of every body row of every table on the page."""
    return [[text for text, _ in row] for row in _table_rows(html)]


def links(html: str, column: int) -> list[str | None]:
    return [row[column][1] for row in _table_rows(html)]


def _table_rows(html: str) -> list[list[tuple[str, str | None]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.rows


def fact(html: str, label: str) -> str:
    """The text of the header's `<dd>` after `<dt>label</dt>`."""
    match = re.search(rf"<dt>{re.escape(label)}</dt>\s*<dd>(.*?)</dd>", html, re.S)
    assert match, f"no {label!r} in the header"
    return " ".join(re.sub(r"<[^>]+>", "", match.group(1)).split())


# --- index pages ------------------------------------------------------------------------


def test_every_index_page_kind_lists_its_incidents_with_counts(good_project: Path) -> None:
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    assert not (good_project / "kb" / "incidents").exists()  # generated, never written there

    everything = rows(page(good_project, "incidents"))
    assert [row[1] for row in everything] == [GOOD_TITLE, RELATED_TITLE]  # newest first
    assert everything[0] == [
        "2024-11-15",
        GOOD_TITLE,
        "SEV2",
        "payments-api, checkout-web",
        "2 h 18 min",
        "Published",
    ]
    assert links(page(good_project, "incidents"), 1) == [
        f"../postmortems/{GOOD_ID}/",
        f"../postmortems/{RELATED_ID}/",
    ]

    overviews = {
        "severity": [["SEV1", "Critical", "0", "–"], ["SEV2", "Major", "2", "2024-11-15"]],
        "services": [["checkout-web", "2", "2024-11-15"], ["payments-api", "2", "2024-11-15"]],
        "tags": [
            ["config-change", "2", "2024-11-15"],
            ["connection-pool-exhaustion", "2", "2024-11-15"],
        ],
        "factors": [["technical", "2", "2024-11-15"], ["process", "2", "2024-11-15"]],
        "years": [["2024", "1", "2024-11-15"], ["2023", "1", "2023-06-02"]],
        "runbooks": [["database-connection-saturation", "2", "2024-11-15"]],
    }
    for group, expected in overviews.items():
        shown = rows(page(good_project, f"incidents/{group}"))
        if group == "severity":
            shown = [[row[0], row[1].split(":")[0], *row[2:]] for row in shown[:2]]
        elif group == "factors":
            assert ["organizational", "0", "–"] in shown
            shown = shown[:2]
        assert shown == expected, group

    per_value = {
        "incidents/severity/sev2": [GOOD_TITLE, RELATED_TITLE],
        "incidents/severity/sev1": [],
        "incidents/services/payments-api": [GOOD_TITLE, RELATED_TITLE],
        "incidents/tags/connection-pool-exhaustion": [GOOD_TITLE, RELATED_TITLE],
        "incidents/factors/process": [GOOD_TITLE, RELATED_TITLE],
        "incidents/years/2023": [RELATED_TITLE],
        "incidents/runbooks/database-connection-saturation": [GOOD_TITLE, RELATED_TITLE],
    }
    for url, titles in per_value.items():
        assert [row[1] for row in rows(page(good_project, url))] == titles, url
    assert "No incidents yet." in page(good_project, "incidents/severity/sev1")
    assert links(page(good_project, "incidents/services/payments-api"), 1)[0] == (
        f"../../../postmortems/{GOOD_ID}/"
    )


def test_severity_page_describes_each_configured_level_with_its_count(
    good_project: Path,
) -> None:
    assert build_site(good_project).returncode == 0
    html = page(good_project, "severity-levels")
    for level, colours in [
        ("SEV1", "#b71c1c; color: #ffffff"),
        ("SEV2", "#e65100; color: #000000"),
        ("SEV3", "#f9a825; color: #000000"),
        ("SEV4", "#1565c0; color: #ffffff"),
    ]:
        assert (
            f'<h2 id="{level.lower()}"><span class="pmkb-badge" '
            f'style="background-color: {colours}">{level}</span></h2>'
        ) in html
    assert '<a href="../incidents/severity/sev2/">2 incidents rated SEV2</a>' in html
    assert '<a href="../incidents/severity/sev1/">0 incidents rated SEV1</a>' in html
    assert "<strong>Paging:</strong> Pages the owning team" in html
    assert "<strong>Example:</strong> Checkout fails for all customers in a region." in html


def test_custom_levels_drive_validation_badges_and_the_severity_page(
    make_project: Callable[..., Path], good_text: str
) -> None:
    levels = (
        "  - postmortems:\n      severity_levels:\n"
        "        - {name: P1, meaning: Down., color: '#6a1b9a'}\n"
        "        - {name: P2, meaning: Degraded., color: '#ffeb3b'}\n"
    )
    project = make_project(
        {
            GOOD_NAME: good_text.replace("severity: SEV2", "severity: P2"),
            RELATED_NAME: related_text(good_text).replace("severity: SEV2", "severity: P1"),
        }
    )
    config = project / "mkdocs.yml"
    config.write_text(config.read_text().replace("  - postmortems\n", levels))
    result = build_site(project)
    assert result.returncode == 0, result.stderr
    html = page(project, "severity-levels")
    assert "background-color: #ffeb3b; color: #000000" in html
    assert "background-color: #6a1b9a; color: #ffffff" in html
    assert "SEV1" not in html
    assert [row[1] for row in rows(page(project, "incidents/severity/p1"))] == [RELATED_TITLE]


# --- the post-mortem page ---------------------------------------------------------------


def test_postmortem_page_has_its_header_body_and_footer(good_project: Path) -> None:
    """The project has no theme override of its own: the plugin brings its templates."""
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    html = page(good_project, f"postmortems/{GOOD_ID}")
    header = html[html.index('class="pmkb-header"') : html.index("</section>")]
    assert (
        'class="pmkb-badge" href="../../incidents/severity/sev2/" '
        'style="background-color: #e65100; color: #000000"'
    ) in header
    assert ">Published</span>" in header and ">Internal</span>" in header
    assert "About 7% of checkout attempts failed for 49 minutes." in header
    assert "(18,000 users affected)" in header
    assert fact(header, "Date") == "2024-11-15 14:02 UTC"
    assert fact(header, "Duration") == "2 h 18 min"
    assert fact(header, "Time to detect") == "7 min"
    assert fact(header, "Time to mitigate") == "49 min"
    assert fact(header, "Time to resolve") == "2 h 18 min"
    assert fact(header, "Services") == "payments-api, checkout-web"
    assert '<a href="../../incidents/services/payments-api/">payments-api</a>' in header
    assert '<a href="../../incidents/tags/config-change/">config-change</a>' in header
    assert fact(header, "Roles") == "Incident commander @sam · Technical lead @dana"
    assert fact(header, "Authors") == "@dana, @lee"
    assert fact(header, "Channel") == "#inc-2024-11-15-payments-pool-exhaustion"

    footer = html[html.index('class="pmkb-footer"') :]
    assert f'<a href="../{RELATED_ID}/">{RELATED_TITLE}</a>' in footer
    assert (
        '<a href="../../runbooks/database-connection-saturation/">'
        "Database connection saturation</a>"
    ) in footer
    # header, then the body as written, then the footer
    order = [
        html.index('class="pmkb-header"'),
        html.index('id="summary"'),
        html.index("too many connections"),
        html.index('id="lessons-learned"'),
        html.index('class="pmkb-footer"'),
    ]
    assert order == sorted(order)
    assert html.count("<h1") == 1


def test_related_incidents_show_in_both_directions(good_project: Path) -> None:
    assert build_site(good_project).returncode == 0
    # the earlier incident's `related` is empty; the later one names it
    earlier = page(good_project, f"postmortems/{RELATED_ID}")
    footer = earlier[earlier.index('class="pmkb-footer"') :]
    assert f'<a href="../{GOOD_ID}/">{GOOD_TITLE}</a>' in footer
    assert "No related incidents recorded." not in footer


def test_a_draft_without_mitigated_shows_not_recorded(
    make_project: Callable[..., Path], good_text: str
) -> None:
    draft = good_text.replace("status: published", "status: draft").replace(
        "  mitigated: 2024-11-15T14:51:00Z\n", ""
    )
    project = make_project({GOOD_NAME: draft, RELATED_NAME: related_text(good_text)})
    result = build_relaxed(project)  # the missing field is a warning for a draft
    assert result.returncode == 0, result.stderr
    assert "PM101" in result.stderr
    html = page(project, f"postmortems/{GOOD_ID}")
    assert fact(html, "Time to mitigate") == "not recorded"
    assert re.search(
        r"<dt>Time to mitigate</dt>\s*<dd><span class=\"pmkb-not-recorded\">not recorded</span>",
        html,
    )
    assert fact(html, "Time to detect") == "7 min"
    assert fact(html, "Duration") == "2 h 18 min"
    assert ">Draft</span>" in html


def test_pages_without_the_override_still_build_and_get_the_stylesheet(
    good_project: Path,
) -> None:
    assert build_site(good_project).returncode == 0
    assert (good_project / "site" / "assets" / "pmkb" / "pmkb.css").is_file()
    for url in ("", "incidents", f"postmortems/{GOOD_ID}"):
        assert "assets/pmkb/pmkb.css" in page(good_project, url), url
    css = (good_project / "site" / "assets" / "pmkb" / "pmkb.css").read_text()
    assert '.admonition[class~="internal"]' in css and ".pmkb-badge" in css


# --- runbooks and the home page ---------------------------------------------------------


def test_runbook_page_lists_the_incidents_that_used_it(good_project: Path) -> None:
    assert build_site(good_project).returncode == 0
    html = page(good_project, "runbooks/database-connection-saturation")
    assert "Incidents that used this runbook</h2>" in html
    assert html.index("Steps.") < html.index("Incidents that used this runbook</h2>")
    assert [row[1] for row in rows(html)] == [GOOD_TITLE, RELATED_TITLE]
    assert links(html, 1) == [f"../../postmortems/{GOOD_ID}/", f"../../postmortems/{RELATED_ID}/"]


def test_home_page_markers_show_recent_incidents_and_open_actions(good_project: Path) -> None:
    (good_project / "kb" / "index.md").write_text(
        "# Home\n\n<!-- pmkb:recent-incidents -->\n\n## Follow-up\n\n<!-- pmkb:open-actions -->\n",
        encoding="utf-8",
    )
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    html = page(good_project, "")
    assert [row[1] for row in rows(html)] == [GOOD_TITLE, RELATED_TITLE]
    assert links(html, 1)[0] == f"postmortems/{GOOD_ID}/"
    assert '<a href="incidents/">all 2 incidents</a>' in html
    # each fixture has one open item, due 2025-01-15
    today = dt.datetime.now(dt.UTC).date()
    overdue = 2 if today > dt.date(2025, 1, 15) else 0
    assert (
        f"<strong>2 open action items</strong> across 2 incidents; "
        f"<strong>{overdue} overdue</strong> as of {today.isoformat()}"
    ) in html
    assert "pmkb:" not in html


# --- the nav ----------------------------------------------------------------------------


NAV = """nav:
  - Home: index.md
  - Incidents:
      - All incidents: incidents/index.md
      - By severity: incidents/severity/index.md
      - By service: incidents/services/index.md
      - By failure mode: incidents/tags/index.md
      - By contributing factor: incidents/factors/index.md
      - By year: incidents/years/index.md
      - By runbook: incidents/runbooks/index.md
  - Learning:
      - learning/index.md
      - learning/actions/index.md
      - learning/recurrence/index.md
      - learning/digest/index.md
  - Severity levels: severity-levels.md
  - Runbooks:
      - runbooks/database-connection-saturation.md
"""


def test_nav_names_generated_pages_and_never_lists_postmortems(good_project: Path) -> None:
    with_config(good_project, NAV)
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    assert "not included in the" not in result.stderr  # no INFO flood for post-mortems
    assert "postmortems/" not in result.stderr
    home = page(good_project, "")
    nav = home[home.index('class="md-nav md-nav--primary"') : home.index('class="md-content"')]
    assert 'href="incidents/severity/"' in nav and 'href="severity-levels/"' in nav
    assert "postmortems/" not in home


def test_without_a_nav_the_automatic_one_leaves_postmortems_out(good_project: Path) -> None:
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    home = page(good_project, "")
    assert 'href="incidents/"' in home
    assert "postmortems/" not in home
    assert "incidents/services/payments-api/" not in home  # value pages stay out too


def test_a_docs_page_at_a_generated_path_wins_with_a_warning(good_project: Path) -> None:
    (good_project / "kb" / "severity-levels.md").write_text("# Our levels\n", encoding="utf-8")
    strict = build_site(good_project)
    assert strict.returncode == 1
    assert "severity-levels.md exists in the docs" in strict.stderr
    assert build_relaxed(good_project).returncode == 0
    assert "Our levels" in page(good_project, "severity-levels")


# --- pagination -------------------------------------------------------------------------


def _synthetic():  # type: ignore[no-untyped-def]
    path = REPO / "benchmarks" / "synthetic.py"
    spec = importlib.util.spec_from_file_location("pmkb_synthetic_site", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_listings_paginate_past_200_rows(make_project: Callable[..., Path]) -> None:
    synthetic = _synthetic()
    project = make_project({})
    synthetic.write_postmortems(project / "postmortems", 230, seed=3)
    for runbook in synthetic.RUNBOOKS:
        (project / "kb" / "runbooks" / f"{runbook}.md").write_text(
            f"# {runbook}\n\nSteps.\n", encoding="utf-8"
        )
    result = build_site(project)
    assert result.returncode == 0, result.stderr

    first, second = page(project, "incidents"), page(project, "incidents/page/2")
    assert len(rows(first)) == 200 and len(rows(second)) == 30
    assert not (project / "site" / "incidents" / "page" / "3").exists()
    assert '<a href="page/2/">Older →</a>' in first and "Newer" not in first
    assert '<a href="../../">← Newer</a>' in second and "Older" not in second
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    dates = [row[0] for row in rows(first) + rows(second)]
    assert dates == sorted(dates, reverse=True)  # newest first across pages
    assert len({link for link in links(first, 1) + links(second, 1)}) == 230
    assert all(link.startswith("../../../postmortems/") for link in links(second, 1))  # type: ignore[union-attr]


def test_a_partial_in_the_sites_custom_dir_replaces_the_plugins(good_project: Path) -> None:
    overrides = good_project / "overrides" / "partials" / "pmkb"
    overrides.mkdir(parents=True)
    (overrides / "postmortem-footer.html").write_text(
        '<p class="our-footer">Ask #sre about {{ page.title | e }}</p>\n'
    )
    config = good_project / "mkdocs.yml"
    config.write_text(
        config.read_text().replace(
            "theme:\n  name: material\n", "theme:\n  name: material\n  custom_dir: overrides\n"
        )
    )
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    html = page(good_project, f"postmortems/{GOOD_ID}")
    assert f'<p class="our-footer">Ask #sre about {GOOD_TITLE}</p>' in html
    assert 'class="pmkb-header"' in html  # the plugin's other templates still apply
    assert 'class="pmkb-footer"' not in html


def test_another_theme_gets_the_pages_without_materials_templates(good_project: Path) -> None:
    config = good_project / "mkdocs.yml"
    config.write_text(
        config.read_text()
        .replace("theme:\n  name: material\n", "theme:\n  name: mkdocs\n")
        .replace("  - search\n", "")
    )
    result = build_site(good_project)
    assert result.returncode == 0, result.stderr
    html = page(good_project, f"postmortems/{GOOD_ID}")
    assert GOOD_TITLE in html and 'class="pmkb-header"' not in html
