"""The Learning pages, the feed and the footer's open action items, on a fixture knowledge
base whose figures are computed by hand below.

As of 2025-07-01 (SOURCE_DATE_EPOCH), four incidents:

| id | date | sev | services | detect | mitigate | resolve | actions (due: status) |
|---|---|---|---|---|---|---|---|
| D 2024-11-02-d-delta | 2024-11-02 | SEV3 | db | 30 min | 2 h | 4 h | d1 12-01 done 11-20 (on time), d2 12-15 done 12-20 (late), d3 2025-01-10 open |
| A 2025-01-10-a-alpha | 2025-01-10 | SEV1 | api | 5 min | 30 min | 2 h | a1 02-01 done 01-25, a2 02-15 done 03-01 (late), a3 03-01 not-doing |
| B 2025-02-20-b-beta | 2025-02-20 | SEV2 | api, web | 20 min | 45 min | 3 h 30 min | b1 03-01 open, b2 08-01 open, b3 03-10 done (no date) |
| C 2025-04-05-c-gamma (draft) | 2025-04-05 | SEV2 | web | not recorded | 2 h | not recorded | c1 05-01 done 04-30, c2 06-01 open, c3 09-01 open |

B starts at 23:30 +01:00 (22:30 UTC), is mitigated at 01:15 +02:00 the next day (23:15
UTC: 45 min) and resolved at 02:00 UTC (3 h 30 min): over midnight and across zones.

Ledger: done 6 (a1 a2 b3 c1 d1 d2), open 5 (b1 b2 c2 c3 d3), not doing 1 (a3); overdue
3 (b1 c2 d3). Completion 6/11 = 55%. On time: due by 2025-07-01, without a3 and b3 (done,
no date): a1 a2 b1 c1 c2 d1 d2 d3 = 8, on time a1 c1 d1 = 3: 38%.

Factors: "No alert on queue depth" (technical; key no-queue-alert in A and C, no key in
B: the same words, so B joins the key) in A, B, C: 3 incidents within 6 months, an alert;
"Config-only deploys skip the canary stage" (process, no key) in D and B. Recurrence
rate: 2024Q4 D 0/1, 2025Q1 A no, B yes (A's factor, 41 days before): 1/2, 2025Q2 C yes:
1/1; overall 2/4 = 50%.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import feedparser
import pytest
from click.testing import CliRunner

from tests.conftest import REPO, build_site

AS_OF = dt.datetime(2025, 7, 1, tzinfo=dt.UTC)
SITE_URL = "https://kb.example.test/"

BODY = """
## Summary

{summary}

## Impact

Some requests failed for a while.

## Timeline

- 10:00 The first errors show in the dashboards.
- 10:20 The on-call rolls the change back.

## Root cause

A setting multiplied with the number of replicas.

## Contributing factors

The factors in the front matter.

## What went well

- The alert paged quickly.

## What went badly

- The dashboard hid the saturation.

## Action items

| Action | Category | Owner | Due | Ticket | Status |
|---|---|---|---|---|---|
{actions}

## Lessons learned

Settings that multiply with replicas need a budget.
"""


def postmortem(
    pm_id: str,
    *,
    severity: str,
    services: str,
    timestamps: dict[str, str],
    factors: list[tuple[str, str, str | None]],
    actions: list[tuple[str, str, str, str, str]],  # action, category, owner, due, status
    status: str = "published",
    visibility: str = "internal",
    related: str = "[]",
    summary: str = "",
) -> str:
    stamps = "\n".join(f"  {k}: {v}" for k, v in timestamps.items())
    factor_lines = "\n".join(
        f"  - category: {category}\n    description: {description}"
        + (f"\n    key: {key}" if key else "")
        for category, description, key in factors
    )
    rows = "\n".join(
        f"| {a} | {c} | {o} | {d} | TIX-{i} | {s} |" for i, (a, c, o, d, s) in enumerate(actions)
    )
    return (
        f"---\ntitle: Incident {pm_id[11:]}\ndate: {pm_id[:10]}\nseverity: {severity}\n"
        f"status: {status}\nvisibility: {visibility}\nservices: {services}\n"
        f'tags: [config-change]\nauthors: ["@writer"]\ntimestamps:\n{stamps}\n'
        f"impact:\n  summary: Requests failed during incident {pm_id[11:]}.\n"
        f"contributing_factors:\n{factor_lines}\nrelated: {related}\n---\n"
        + BODY.format(summary=f"What happened in {pm_id[11:]}.{summary}", actions=rows)
    )


QUEUE = ("technical", "No alert on queue depth", "no-queue-alert")
CANARY = ("process", "Config-only deploys skip the canary stage", None)

FILES = {
    "2024-11-02-d-delta.md": postmortem(
        "2024-11-02-d-delta",
        severity="SEV3",
        services="[db]",
        visibility="public",
        timestamps={
            "started": "2024-11-02T09:00:00Z",
            "detected": "2024-11-02T09:30:00Z",
            "mitigated": "2024-11-02T11:00:00Z",
            "resolved": "2024-11-02T13:00:00Z",
        },
        factors=[CANARY],
        actions=[
            ("Delta one gate the deploys", "Prevention", "@dan", "2024-12-01", "done 2024-11-20"),
            ("Delta two add a pool panel", "Detection", "@dan", "2024-12-15", "done 2024-12-20"),
            ("Delta three budget the connections", "Process", "@ann", "2025-01-10", "open"),
        ],
    ),
    "2025-01-10-a-alpha.md": postmortem(
        "2025-01-10-a-alpha",
        severity="SEV1",
        services="[api]",
        visibility="public",
        timestamps={
            "started": "2025-01-10T10:00:00Z",
            "detected": "2025-01-10T10:05:00Z",
            "mitigated": "2025-01-10T10:30:00Z",
            "resolved": "2025-01-10T12:00:00Z",
        },
        factors=[QUEUE],
        actions=[
            (
                "Alpha one alert on queue depth",
                "Detection",
                "@ann",
                "2025-02-01",
                "done 2025-01-25",
            ),
            ("Alpha two cap the retries", "Prevention", "@bob", "2025-02-15", "done 2025-03-01"),
            ("Alpha three rewrite the queue", "Process", "@ann", "2025-03-01", "not-doing"),
        ],
    ),
    "2025-02-20-b-beta.md": postmortem(
        "2025-02-20-b-beta",
        severity="SEV2",
        services="[api, web]",
        related="[2024-11-02-d-delta]",
        summary=" Like [the delta incident](2024-11-02-d-delta.md#root-cause).",
        timestamps={
            "started": "2025-02-20T23:30:00+01:00",
            "detected": "2025-02-20T23:50:00+01:00",
            "mitigated": "2025-02-21T01:15:00+02:00",
            "resolved": "2025-02-21T02:00:00Z",
        },
        factors=[(QUEUE[0], QUEUE[1], None), CANARY],
        actions=[
            ("Beta one page on queue age", "Detection", "@bob", "2025-03-01", "open"),
            ("Beta two shed load early", "Mitigation", "@cy", "2025-08-01", "open"),
            ("Beta three drain faster", "Prevention", "@ann", "2025-03-10", "done"),
        ],
    ),
    "2025-04-05-c-gamma.md": postmortem(
        "2025-04-05-c-gamma",
        severity="SEV2",
        services="[web]",
        status="draft",
        related="[2025-01-10-a-alpha]",
        timestamps={"started": "2025-04-05T08:00:00Z", "mitigated": "2025-04-05T10:00:00Z"},
        factors=[QUEUE],
        actions=[
            ("Gamma one alert earlier", "Detection", "@cy", "2025-05-01", "done 2025-04-30"),
            ("Gamma two review the runbook", "Process", "@bob", "2025-06-01", "open"),
            ("Gamma three split the queue", "Prevention", "@cy", "2025-09-01", "open"),
        ],
    ),
}
ACTIONS = {
    name[11:15]: re.findall(r"^\| ((?:Alpha|Beta|Gamma|Delta) [^|]+?) \|", body, re.M)
    for name, body in FILES.items()
}
INTERNAL_ACTIONS = ACTIONS["b-be"] + ACTIONS["c-ga"]  # of the internal post-mortems
PUBLIC_ACTIONS = ACTIONS["a-al"] + ACTIONS["d-de"]  # published on their own pages only
OWNERS = ["@ann", "@bob", "@cy", "@dan"]

MKDOCS = f"""site_name: Learning KB
site_url: {SITE_URL}
docs_dir: kb
theme:
  name: material
plugins:
  postmortems: {{}}
"""


class _Text(HTMLParser):
    """The text of a page's article (`<article>`), whitespace collapsed."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "article" or self.depth:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.parts.append(data)


def text(site: Path, url: str) -> str:
    parser = _Text()
    parser.feed((site / url / "index.html").read_text(encoding="utf-8"))
    return " ".join("".join(parser.parts).split())


def rows(site: Path, url: str, table_class: str | None = None) -> list[list[str]]:
    """The cells of every table row of the page (or of its tables of `table_class`)."""
    html = (site / url / "index.html").read_text(encoding="utf-8")
    if table_class:
        html = "".join(re.findall(rf'<table class="{table_class}">.*?</table>', html, re.S))
    found = []
    for row in re.findall(r"<tr[^>]*>(.*?)</tr>", html, re.S):
        cells = re.findall(r"<t[dh][^>]*>(.*?)</t[dh]>", row, re.S)
        found.append([" ".join(re.sub(r"<[^>]+>", "", c).split()) for c in cells])
    return found


def _make(tmp_path: Path, files: dict[str, str], options: str = "") -> Path:
    (tmp_path / "kb").mkdir(parents=True, exist_ok=True)
    (tmp_path / "kb" / "index.md").write_text("# Home\n\nWelcome.\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        MKDOCS.replace("postmortems: {}", "postmortems: {" + options + "}"), encoding="utf-8"
    )
    (tmp_path / "mkdocs.public.yml").write_text(
        "INHERIT: mkdocs.yml\nsite_dir: site-public\nplugins:\n  postmortems:\n    public: true\n",
        encoding="utf-8",
    )
    folder = tmp_path / "postmortems"
    folder.mkdir(exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(content, encoding="utf-8")
    return tmp_path


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture KB built (not strict: C is a draft missing timestamps, a warning)."""
    mp = pytest.MonkeyPatch()
    mp.setenv("SOURCE_DATE_EPOCH", str(int(AS_OF.timestamp())))
    project = _make(tmp_path_factory.mktemp("learning"), FILES)
    result = build_site(project, strict=False)
    mp.undo()
    assert result.returncode == 0, result.stderr[-4000:]
    return project / "site"


def test_dashboard_key_figures(built: Path) -> None:
    page = text(built, "learning")
    assert "As of 2025-07-01, from 4 post-mortems." in page
    assert (
        "On-time rate: 38%: 3 of 8 action items due by 2025-07-01 were done by their due date."
        in page
    )
    assert "Completion rate: 55%: 6 done of 11 done or open (1 not doing, left out)." in page
    assert "3 overdue of 5 open action items as of 2025-07-01." in page
    assert "Recurrence rate: 50%: 2 of 4 incidents had a contributing factor" in page
    assert "The on-time rate is 38%, under the 70% threshold" in page
    assert "The completion rate is 55%, under the 70% threshold" in page


def test_dashboard_chart_tables(built: Path) -> None:
    table = rows(built, "learning")
    assert ["Month", "SEV1", "SEV2", "SEV3", "All"] in table
    months = [r for r in table if r and re.fullmatch(r"\d{4}-\d{2}", r[0])]
    assert months == [
        ["2024-11", "0", "0", "1", "1"],
        ["2024-12", "0", "0", "0", "0"],
        ["2025-01", "1", "0", "0", "1"],
        ["2025-02", "0", "1", "0", "1"],
        ["2025-03", "0", "0", "0", "0"],
        ["2025-04", "0", "1", "0", "1"],
    ]
    quarters = [r for r in table if r and re.fullmatch(r"\d{4}Q\d", r[0])]
    mitigate = [r for r in quarters if len(r) == 7 and r[6] in ("0", "1")][:3]
    assert mitigate == [
        ["2024Q4", "1", "2 h", "2 h", "2 h", "2 h", "0"],
        ["2025Q1", "2", "37 min", "45 min", "30 min", "45 min", "0"],
        ["2025Q2", "1", "2 h", "2 h", "2 h", "2 h", "0"],
    ]
    on_time = [r for r in quarters if r[3].endswith("%") or r[3].endswith("⚠") or r[3] == "–"]
    assert on_time == [
        ["2024Q4", "2", "1", "50% ⚠", "2", "0", "100%"],
        ["2025Q1", "4", "1", "25% ⚠", "3", "2", "60% ⚠"],
        ["2025Q2", "2", "1", "50% ⚠", "1", "1", "50% ⚠"],
        ["2025Q3", "0", "0", "–", "0", "2", "0% ⚠"],
    ]
    factors = [r for r in table if len(r) == 4 and r[1] in ("technical", "process")]
    assert factors == [
        ["no-queue-alert", "technical", "3", "2025-04-05"],
        ["Config-only deploys skip the canary stage", "process", "2", "2025-02-20"],
    ]


def test_dashboard_durations_by_severity_and_trend(built: Path) -> None:
    table = [
        r
        for r in rows(built, "learning")
        if len(r) == 8 and r[1] in ("detect", "mitigate", "resolve")
    ]
    assert ["SEV1", "detect", "1", "5 min", "5 min", "5 min", "5 min", "0"] in table
    assert ["SEV2", "detect", "1", "20 min", "20 min", "20 min", "20 min", "1"] in table
    assert ["SEV2", "mitigate", "2", "1 h 22 min", "2 h", "45 min", "2 h", "0"] in table
    assert [
        "SEV2",
        "resolve",
        "1",
        "3 h 30 min",
        "3 h 30 min",
        "3 h 30 min",
        "3 h 30 min",
        "1",
    ] in table
    assert ["SEV3", "resolve", "1", "4 h", "4 h", "4 h", "4 h", "0"] in table
    page = text(built, "learning")
    assert (
        "Last 12 months (since 2024-07-01): median 1 h 22 min (n = 4) against – (n = 0) "
        "in the 12 months before; the sample is too small to tell whether it changed."
    ) in page


def test_ledger_lists_overdue_then_open_then_the_rest(built: Path) -> None:
    page = text(built, "learning/actions")
    assert "15 open" not in page
    assert (
        "As of 2025-07-01: 5 open (3 overdue), 6 done, 1 not doing; on-time rate 38% "
        "(3 of 8 due), completion rate 55% ⚠ under the threshold."
    ) in page
    assert "All (12) · Overdue (3) · Open (5) · Done (6) · Not doing (1)" in page
    table = rows(built, "learning/actions", "pmkb-ledger")
    assert table[0] == ["Due", "Status", "Action", "Owner", "Category", "Incident", "Ticket"]
    assert [(r[0], r[1]) for r in table[1:]] == [
        ("2025-01-10", "overdue 172 d"),
        ("2025-03-01", "overdue 122 d"),
        ("2025-06-01", "overdue 30 d"),
        ("2025-08-01", "open"),
        ("2025-09-01", "open"),
        ("2024-12-01", "done 2024-11-20"),
        ("2024-12-15", "done 2024-12-20 (5 d late)"),
        ("2025-02-01", "done 2025-01-25"),
        ("2025-02-15", "done 2025-03-01 (14 d late)"),
        ("2025-03-01", "not doing"),
        ("2025-03-10", "done"),
        ("2025-05-01", "done 2025-04-30"),
    ]
    overdue = rows(built, "learning/actions/overdue", "pmkb-ledger")[1:]
    assert [r[2] for r in overdue] == [
        "Delta three budget the connections",
        "Beta one page on queue age",
        "Gamma two review the runbook",
    ]
    assert len(rows(built, "learning/actions/not-doing", "pmkb-ledger")) == 2


def test_ledger_per_owner_and_service(built: Path) -> None:
    owners = {r[0]: r[1:] for r in rows(built, "learning/actions/owners")[1:]}
    assert owners == {  # open, overdue, done, not doing, on-time rate, completion rate
        "@ann": ["1", "1", "2", "1", "50% ⚠", "67% ⚠"],
        "@bob": ["2", "2", "1", "0", "0% ⚠", "33% ⚠"],
        "@cy": ["2", "0", "1", "0", "100%", "33% ⚠"],
        "@dan": ["0", "0", "2", "0", "50% ⚠", "100%"],
    }
    bob = rows(built, "learning/actions/owners/bob", "pmkb-ledger")[1:]
    assert [r[2] for r in bob] == [
        "Beta one page on queue age",
        "Gamma two review the runbook",
        "Alpha two cap the retries",
    ]
    services = {r[0]: r[1:4] for r in rows(built, "learning/actions/services")[1:]}
    assert services == {"api": ["2", "1", "3"], "db": ["1", "1", "2"], "web": ["4", "2", "2"]}


def test_ledger_links_resolve(built: Path) -> None:
    for page in built.glob("learning/actions/**/index.html"):
        html = page.read_text(encoding="utf-8")
        for target in re.findall(r'<td><a href="([^"]+)"', html):
            resolved = (page.parent / target).resolve()
            assert (resolved / "index.html").is_file(), (page, target)


def test_recurrence_page(built: Path) -> None:
    page = text(built, "learning/recurrence")
    assert "no-queue-alert recurred 3 times within 6 months" in page
    assert "Incidents on 2025-01-10, 2025-02-20, 2025-04-05." in page
    assert (
        "50% of incidents had a factor already seen in another incident of the previous 12 months (2 of 4)."
        in page
    )
    assert rows(built, "learning/recurrence")[1:] == [
        ["2024Q4", "1", "0", "0%"],
        ["2025Q1", "2", "1", "50%"],
        ["2025Q2", "1", "1", "100%"],
    ]
    assert "Factors seen in 2 or more incidents (2)" in page
    assert "technical, key no-queue-alert · 3 incidents · recurring alert" in page
    assert "process · 2 incidents" in page


def test_digest_pages(built: Path) -> None:
    index = rows(built, "learning/digest")
    assert index[1:] == [["2025-04", "1"], ["2025-02", "1"], ["2025-01", "1"], ["2024-11", "1"]]
    page = text(built, "learning/digest/2025-02")
    assert page.startswith("Post-mortem digest, February 2025")
    assert "What happened in b-beta." in page
    assert "Impact: Requests failed during incident b-beta." in page
    assert "No alert on queue depth (technical)" in page
    table = rows(built, "learning/digest/2025-02")
    assert table[1:] == [
        ["Beta one page on queue age", "@bob", "2025-03-01", "overdue 122 d"],
        ["Beta two shed load early", "@cy", "2025-08-01", "open"],
        ["Beta three drain faster", "@ann", "2025-03-10", "done"],
    ]
    assert "## " not in page and "Timeline" not in page  # no detailed timeline
    html = (built / "learning/digest/2025-02/index.html").read_text(encoding="utf-8")
    assert 'href="../../../postmortems/2024-11-02-d-delta/#root-cause"' in html  # relinked


def test_footer_shows_the_related_incidents_open_action_items(built: Path) -> None:
    beta = (built / "postmortems/2025-02-20-b-beta/index.html").read_text(encoding="utf-8")
    section = beta.split('id="pmkb-related-actions"', 1)[1].split("</ul>", 1)[0]
    assert "Overdue" in section and "Delta three budget the connections" in section
    assert "Delta one" not in section  # done
    delta = (built / "postmortems/2024-11-02-d-delta/index.html").read_text(encoding="utf-8")
    section = delta.split('id="pmkb-related-actions"', 1)[1].split("</ul>", 1)[0]
    assert "Beta one page on queue age" in section and "Beta two shed load early" in section
    assert "Beta three" not in section
    gamma = (built / "postmortems/2025-04-05-c-gamma/index.html").read_text(encoding="utf-8")
    assert "The related incidents have no open action items." in gamma


def test_learning_pages_are_not_in_the_search_index(built: Path) -> None:
    manifest = (built / "pmkb-search" / "manifest.json").read_text(encoding="utf-8")
    assert "learning/" not in manifest


def test_feed_is_valid_atom_newest_first_with_stable_ids(built: Path) -> None:
    raw = (built / "feed.xml").read_bytes()
    feed = feedparser.parse(raw)
    assert not feed.bozo, feed.bozo_exception
    assert feed.version == "atom10"
    ids = [entry.id for entry in feed.entries]
    assert ids == [
        "tag:kb.example.test,2025-04-05:2025-04-05-c-gamma",
        "tag:kb.example.test,2025-02-20:2025-02-20-b-beta",
        "tag:kb.example.test,2025-01-10:2025-01-10-a-alpha",
        "tag:kb.example.test,2024-11-02:2024-11-02-d-delta",
    ]
    first = feed.entries[0]
    assert first.link == "https://kb.example.test/postmortems/2025-04-05-c-gamma/"
    assert first.links[0].rel == "alternate" and first.links[0].type == "text/html"
    assert first.summary == "Requests failed during incident c-gamma."
    assert first.published == "2025-04-05T10:00:00Z"  # mitigated: not resolved yet
    assert feed.entries[1].updated == "2025-02-21T02:00:00Z"
    self_link = next(link for link in feed.feed.links if link.rel == "self")
    assert self_link.href == "https://kb.example.test/feed.xml"
    assert self_link.type == "application/atom+xml"
    assert not any("@" in str(entry) for entry in feed.entries)  # no owners, no authors
    home = (built / "index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml"' in home and 'href="feed.xml"' in home


def test_the_site_holds_incidents_json_as_pmkb_export_writes_it(built: Path) -> None:
    """`incidents.json` in the built site is the export object, as of the build date, valid
    against the committed schema, and the same data `pmkb export` gives for that date."""
    import jsonschema
    from postmortem_kb.cli import main

    data = json.loads((built / "incidents.json").read_text(encoding="utf-8"))
    schema = json.loads((REPO / "schema" / "incidents.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    assert data["as_of"] == AS_OF.date().isoformat()
    project = built.parent
    result = CliRunner().invoke(
        main, ["export", "--as-of", data["as_of"], "-f", str(project / "mkdocs.yml")]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == data


def test_two_builds_give_the_same_bytes(
    built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(AS_OF.timestamp())))
    project = _make(tmp_path, FILES)
    assert build_site(project, strict=False).returncode == 0
    again = project / "site"
    html = (built / "learning/index.html").read_text(encoding="utf-8")
    svgs = re.findall(CHART, html, re.S)
    assert len(svgs) == 4
    for svg in svgs:
        ET.fromstring(svg)  # well-formed XML
    again_html = (again / "learning/index.html").read_text(encoding="utf-8")
    assert re.findall(CHART, again_html, re.S) == svgs
    for name in ("learning/index.html", "learning/actions/index.html", "feed.xml"):
        assert (built / name).read_bytes() == (again / name).read_bytes(), name


CHART = r'<svg [^>]*class="pmkb-chart".*?</svg>'


def _public_files(site: Path) -> dict[str, str]:
    return {
        str(path.relative_to(site)): path.read_bytes().decode("utf-8", "replace")
        for path in site.rglob("*")
        if path.is_file() and path.suffix in (".html", ".xml", ".json", ".txt", ".css")
    }


def _no_owner_or_action_text(files: dict[str, str]) -> None:
    """No owner anywhere; the internal post-mortems' action items nowhere; the public ones'
    only on their own post-mortem pages (and in the search index's text of those pages)."""
    assert len(INTERNAL_ACTIONS) == len(PUBLIC_ACTIONS) == 6
    for needle in [*OWNERS, *INTERNAL_ACTIONS]:
        assert not [name for name, body in files.items() if needle in body], needle
    for needle in PUBLIC_ACTIONS:
        found = [name for name, body in files.items() if needle in body]
        pages = [name for name in found if not name.startswith("pmkb-search/text/")]
        assert pages and all(name.startswith("postmortems/") for name in pages), (needle, found)


def test_public_site_has_no_learning_pages_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(AS_OF.timestamp())))
    project = _make(tmp_path, FILES)
    result = build_site(project, "-f", "mkdocs.public.yml", strict=False)
    assert result.returncode == 0, result.stderr[-4000:]
    site = project / "site-public"
    assert not (site / "learning").exists()
    assert not (site / "incidents.json").exists()  # it names owners and actions
    files = _public_files(site)
    assert not [
        name
        for name, body in files.items()
        if "learning/" in body and name != "assets/pmkb/learning.css"
    ]
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert [e.id.rsplit(":", 1)[1] for e in feed.entries] == [
        "2025-01-10-a-alpha",
        "2024-11-02-d-delta",
    ]
    _no_owner_or_action_text(files)


def test_public_metrics_publish_aggregates_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", str(int(AS_OF.timestamp())))
    project = _make(tmp_path, FILES, "public_metrics: true")
    result = build_site(project, "-f", "mkdocs.public.yml", strict=False)
    assert result.returncode == 0, result.stderr[-4000:]
    site = project / "site-public"
    assert sorted(p.parent.name for p in (site / "learning").rglob("index.html")) == ["learning"]
    page = text(site, "learning")
    assert "from 2 post-mortems (public post-mortems only)" in page
    # A and D: done a1 a2 d1 d2, open d3, not doing a3; due a1 a2 d1 d2 d3, on time a1 d1
    assert "Completion rate: 80%: 4 done of 5 done or open" in page
    assert "On-time rate: 40%: 2 of 5 action items" in page
    assert "Top recurring" not in page and "Config-only" not in page and "queue" not in page
    sitemap = (site / "sitemap.xml").read_text(encoding="utf-8")
    assert "learning/" in sitemap
    files = _public_files(site)
    _no_owner_or_action_text(files)


def test_learning_pages_off_leaves_them_all_out(tmp_path: Path) -> None:
    project = _make(tmp_path, FILES, "learning_pages: false")
    result = build_site(project, strict=False)
    assert result.returncode == 0, result.stderr[-4000:]
    site = project / "site"
    assert not (site / "learning").exists() and not (site / "feed.xml").exists()
    beta = (site / "postmortems/2025-02-20-b-beta/index.html").read_text(encoding="utf-8")
    assert "pmkb-related-actions" not in beta
    assert "application/atom+xml" not in (site / "index.html").read_text(encoding="utf-8")


def test_ledger_links_resolve_without_directory_urls(tmp_path: Path) -> None:
    project = _make(tmp_path, FILES)
    config = project / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + "use_directory_urls: false\n")
    result = build_site(project, strict=False)
    assert result.returncode == 0, result.stderr[-4000:]
    pages = list((project / "site" / "learning" / "actions").rglob("*.html"))
    assert len(pages) > 10
    for page in pages:
        html = page.read_text(encoding="utf-8")
        targets = re.findall(r'<td><a href="([^"]+)"', html)
        assert targets or "No action items." in html, page
        for target in targets:
            assert target.endswith(".html") and (page.parent / target).is_file(), (page, target)
