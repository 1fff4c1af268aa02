"""`pmkb import`: small hand-written sources of each shape, the CLI, and the placeholder rule."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.importers.draft import Draft, build_draft
from postmortem_kb.importers.report import heading_counts, lost_lines
from postmortem_kb.importers.section_map import MapError, load_section_map
from postmortem_kb.importers.source_doc import find_sources, parse_source
from postmortem_kb.importers.timeline import parse_duration
from postmortem_kb.rules.archive import load_archive

from .conftest import GOOD_NAME

CONFIG = KBConfig()
TODAY = dt.date(2026, 1, 1)
FALLBACK = dt.date(2020, 2, 2)


def draft_of(text: str, name: str = "incident.md", map_file: Path | None = None) -> Draft:
    section_map = load_section_map(CONFIG, map_file)
    source = parse_source(text, Path(name), section_map.names_section)
    return build_draft(source, section_map, CONFIG, FALLBACK)


def checked(tmp_path: Path, draft: Draft) -> list[Diagnostic]:
    path = tmp_path / draft.name
    path.write_text(draft.text, encoding="utf-8")
    return load_archive([path], CONFIG, root=tmp_path, today=TODAY).diagnostics


def section(draft: Draft, name: str) -> str:
    """The text of the draft's H2 section `name` (up to the next H2)."""
    body = draft.text.split(f"\n## {name}\n", 1)[1]
    return body.split("\n## ", 1)[0]


def assert_nothing_lost(text: str, draft: Draft) -> None:
    for line in text.splitlines():
        if line.strip() and set(line.strip()) not in ({"="}, {"-"}):
            assert line.strip() in draft.text, line
    assert lost_lines(text.split("\n"), draft.text) == []


SETEXT = """Database failover
=================

Summary
-------

The primary database failed over at 14:02.

What went wrong
---------------

- The replica was behind.

Odd extras
----------

Kept as they are.
"""


def test_setext_headings(tmp_path: Path) -> None:
    draft = draft_of(SETEXT, "2024-03-01-db.md")
    assert draft.title == "Database failover"
    assert draft.date == dt.date(2024, 3, 1)
    assert draft.name == "2024-03-01-database-failover.md"
    targets = {b.heading.text: b.target.name for b in draft.blocks if b.heading}
    assert targets == {
        "Summary": "Summary",
        "What went wrong": "What went badly",
        "Odd extras": None,
    }
    assert "The primary database failed over at 14:02." in section(draft, "Summary")
    assert "### Odd extras\n\nKept as they are." in section(draft, "Notes (imported)")
    counts = heading_counts(draft)
    assert (counts.headings, counts.mapped) == (3, 2)
    assert_nothing_lost(SETEXT, draft)
    assert not [d for d in checked(tmp_path, draft) if d.is_error]


BOLD_LABELS = """---
title: Incident on 2023-06-06 - User services down
weight: 9
---

# Incident on 2023-06-06 - User services down

- **Key events**
  - First detected: 2023-06-06 10:26
  - Incident declared: 2023-06-06 11:00
  - Repaired: 2023-06-06 11:21
  - Resolved 2023-06-06 11:40

- **Time to repair**: 0h 55m

- **Impact**: User services were down for a few minutes

- **Review actions**:
  - Add a runbook for changing the node instance type
"""


def test_erb_front_matter_and_bold_label_bullets(tmp_path: Path) -> None:
    draft = draft_of(BOLD_LABELS, "2023-06-06-user-services-down.html.md.erb")
    assert draft.title == "Incident on 2023-06-06 - User services down"
    assert draft.name == "2023-06-06-user-services-down.md"
    labels = {b.heading.text: b.target.name for b in draft.blocks if b.heading}
    assert labels == {
        "Key events": "Timeline",
        "Time to repair": "Impact",
        "Impact": "Impact",
        "Review actions": "Action items",
    }
    assert "- **Impact**: User services were down for a few minutes" in section(draft, "Impact")
    # no zone stated: the times stay as written, without timestamps
    assert "- 2023-06-06 10:26 First detected" in section(draft, "Timeline")
    assert "timestamps:" not in draft.text.split("---")[1]
    assert any("does not state its time zone" in todo for todo in draft.todos)
    assert [row.action for row in draft.actions] == [
        "Add a runbook for changing the node instance type"
    ]
    assert "weight: 9" in section(draft, "Notes (imported)")  # the source's front matter
    assert_nothing_lost(BOLD_LABELS, draft)
    assert not [d for d in checked(tmp_path, draft) if d.is_error]


TABLE = """# Services returning 503

## Summary

Target groups were detached from the load balancer.

## Timeline

All times in UTC.

| Time             | Event                       |
| :--------------- | --------------------------- |
| 2021-06-22 08:21 | VPC CNI replaced            |
| 2021-06-22 08:29 | Issue detected by alerts    |
| 2021-06-22 08:46 | Target groups back (resolved) |

## Stats

- Category: Kubernetes
- Time to detection: 8 minutes
- Time to recovery: 20 minutes
"""


def test_time_event_table_and_stated_durations(tmp_path: Path) -> None:
    draft = draft_of(TABLE, "PM2021-005 - Services returning 503.md")
    timeline = section(draft, "Timeline")
    assert timeline.startswith(
        "\n- 2021-06-22 08:21 VPC CNI replaced\n"
        "- 2021-06-22 08:29 Issue detected by alerts\n"
        "- 2021-06-22 08:46 Target groups back (resolved)\n"
    )
    assert "| 2021-06-22 08:21 | VPC CNI replaced            |" in timeline  # as written
    # started: the first entry; detected: its wording; mitigated: 08:21 + 20 min (stated)
    assert "  started: 2021-06-22T08:21:00Z" in draft.text
    assert "  detected: 2021-06-22T08:29:00Z" in draft.text
    assert "  mitigated: 2021-06-22T08:41:00Z" in draft.text
    assert "  resolved: 2021-06-22T08:46:00Z" in draft.text
    assert 'tags: ["kubernetes"]' in draft.text
    assert draft.name == "2021-06-22-services-returning-503.md"
    assert_nothing_lost(TABLE, draft)
    diagnostics = checked(tmp_path, draft)
    assert not [d for d in diagnostics if d.is_error]


HEADING_TIMES = """# 2021-06-03: Database Full

## Summary

The table filled the disk.

## Timeline

*(All times US/Pacific, 24-hour clock.)*

### 2021-06-03 9:00

@dev notices an e-mail from Sentry.
Checking the console shows the disk is full.

### 2021-06-03 13:18

Alarms added ([#171][issue-171]).

[issue-171]: https://github.com/example/repo/issues/171
"""


def test_time_subheadings_convert_a_stated_region_to_utc(tmp_path: Path) -> None:
    draft = draft_of(HEADING_TIMES, "2021-06-03--database-full.md")
    timeline = section(draft, "Timeline")
    # US/Pacific is UTC-7 in June (daylight time)
    assert (
        "- 2021-06-03 16:00 @dev notices an e-mail from Sentry. "
        "Checking the console shows the disk is full.\n"
        "- 2021-06-03 20:18 Alarms added ([#171][issue-171]).\n"
    ) in timeline
    assert "  started: 2021-06-03T16:00:00Z" in draft.text
    assert any("converted from US/Pacific (UTC-07:00)" in todo for todo in draft.todos)
    assert_nothing_lost(HEADING_TIMES, draft)
    assert not [d for d in checked(tmp_path, draft) if d.is_error]


PST = """# Negative values allowed

## Issue Summary

A fix was incomplete.

## Timeline (all times PST)

- 01/31/2023 22:30 - A researcher submitted a report
- 02/01/2023 09:00 - Engineers confirmed it
- 02/15/2023 - Version 1.7.0 was released
"""


def test_all_times_pst_is_converted_and_dates_without_time_are_no_entries(
    tmp_path: Path,
) -> None:
    draft = draft_of(PST, "2023-01-31-negative-values.md")
    timeline = section(draft, "Timeline")
    assert "- 2023-02-01 06:30 A researcher submitted a report\n" in timeline  # 22:30 -08:00
    assert "- 2023-02-01 17:00 Engineers confirmed it\n" in timeline
    assert "\n- 02/15/2023" not in timeline  # no time of day: only in the source block
    assert "    - 02/15/2023 - Version 1.7.0 was released" in timeline
    assert draft.date == dt.date(2023, 2, 1)  # the start, in UTC
    assert any("1 source line(s) give a date but no time" in todo for todo in draft.todos)
    mapped = {b.heading.text: (b.target.name, b.target.how) for b in draft.blocks if b.heading}
    assert mapped["Timeline (all times PST)"] == ("Timeline", "synonym")  # (...) aside
    assert mapped["Issue Summary"] == ("Summary", "synonym")
    assert_nothing_lost(PST, draft)
    assert not [d for d in checked(tmp_path, draft) if d.is_error]


CHECKLIST = """# Hub outage

## Summary

The hub was down.

## Follow-up actions

- [x] Detection: alert on pod restarts https://github.com/example/infra/issues/2126
- [ ] write an incident report
- [ ] [Process] hold a retrospective, see #2194
- Pin the image version ([PR](https://github.com/example/infra/pull/7))
"""


def test_checklist_with_issue_links_becomes_the_action_table(tmp_path: Path) -> None:
    draft = draft_of(CHECKLIST, "2025-05-12-hub-outage.md")
    rows = [(r.category, r.ticket, r.status) for r in draft.actions]
    assert rows == [
        ("Detection", "https://github.com/example/infra/issues/2126", "done"),
        ("TODO", "TODO", "open"),
        ("Process", "#2194", "open"),
        ("TODO", "https://github.com/example/infra/pull/7", "open"),
    ]
    actions = section(draft, "Action items")
    assert actions.startswith("\n| Action | Category | Owner | Due | Ticket | Status |\n")
    assert "| write an incident report | TODO | TODO | TODO | TODO | open |" in actions
    assert_nothing_lost(CHECKLIST, draft)
    diagnostics = checked(tmp_path, draft)
    assert not [d for d in diagnostics if d.is_error]
    placeholders = [d for d in diagnostics if "placeholder" in d.message]
    # Owner and Due of 4 rows, Category of 2, Ticket of 1: warnings in a draft
    assert sorted(d.code for d in placeholders) == sorted(
        ["PM404"] * 4 + ["PM405"] * 4 + ["PM403"] * 2 + ["PM406"]
    )
    assert {d.level for d in placeholders} == {"warning"}


def test_unmapped_text_goes_verbatim_to_the_notes() -> None:
    text = "# Outage\n\n## Summary\n\nShort.\n\n## Coffee rota\n\n- Alice\n- Bob\n"
    draft = draft_of(text, "2024-01-01-outage.md")
    notes = section(draft, "Notes (imported)")
    assert "### Coffee rota\n\n- Alice\n- Bob" in notes
    assert "section 'Impact': no heading of the source maps to it" in draft.todos


def test_fuzzy_match_has_its_confidence() -> None:
    smap = load_section_map(CONFIG)
    target = smap.target("Lesons Learnt")
    assert target.name == "Lessons learned"
    assert target.how == "fuzzy"
    assert 0.8 <= target.confidence < 1.0
    assert smap.target("Coffee rota").name is None


def test_map_file_overrides_the_synonyms(tmp_path: Path) -> None:
    map_file = tmp_path / "map.yaml"
    map_file.write_text("Root cause:\n  - coffee rota\n", encoding="utf-8")
    assert load_section_map(CONFIG, map_file).target("Coffee Rota").name == "Root cause"
    map_file.write_text("Breakfast:\n  - eggs\n", encoding="utf-8")
    with pytest.raises(MapError, match="'Breakfast' is not a section of the format"):
        load_section_map(CONFIG, map_file)


def test_durations() -> None:
    assert parse_duration("0h 55m") == dt.timedelta(minutes=55)
    assert parse_duration("30 min") == dt.timedelta(minutes=30)
    assert parse_duration("1 hour 20 minutes") == dt.timedelta(minutes=80)
    assert parse_duration("2 days") == dt.timedelta(days=2)
    assert parse_duration("soon") is None


def test_a_date_nowhere_in_the_text_names_the_file_by_the_fallback() -> None:
    draft = draft_of("# Something broke\n\n## Summary\n\nIt broke.\n", "notes")
    assert draft.date is None
    assert draft.name == "2020-02-02-something-broke.md"
    assert "date:" not in draft.text.split("---")[1]
    assert draft.todos[0].startswith("date: the source states no date")


def test_folders_skip_readme_licence_and_templates(tmp_path: Path) -> None:
    names = ("README.md", "LICENSE", "template.md", "a.md", "b.html.md.erb", "c", "d.txt")
    for name in (*names, "e.markdown", ".hidden.md"):
        (tmp_path / name).write_text("# x\n", encoding="utf-8")
    found = [p.name for p in find_sources([tmp_path])]
    assert found == ["a.md", "b.html.md.erb", "c", "e.markdown"]
    assert find_sources([tmp_path / "README.md"]) == [tmp_path / "README.md"]  # named: imported


def test_placeholder_is_a_warning_in_a_draft_and_an_error_in_review(
    tmp_path: Path, good_text: str
) -> None:
    row = (
        "| Alert on pool saturation above 80% | Detection | @dana | 2024-12-01 | PAY-1432 | done |"
    )
    placeholder = "| Alert on pool saturation above 80% | Detection | TODO | TODO | TODO | done |"
    text = good_text.replace(row, placeholder)
    for status, level in (("draft", "warning"), ("in-review", "error")):
        path = tmp_path / GOOD_NAME
        path.write_text(text.replace("status: published", f"status: {status}"), encoding="utf-8")
        found = load_archive(
            [path],
            CONFIG,
            root=tmp_path,
            today=TODAY,
            known_ids={"2023-06-02-payments-db-failover"},
        ).diagnostics
        codes = {d.code: d.level for d in found if d.code in ("PM404", "PM405", "PM406")}
        assert codes == {"PM404": level, "PM405": level, "PM406": level}, status


def test_cli_dry_run_writes_nothing_and_never_overwrites(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    (source / "PM2021-005 - Services returning 503.md").write_text(TABLE, encoding="utf-8")
    (source / "README.md").write_text("# About\n", encoding="utf-8")
    out = tmp_path / "postmortems"
    runner = CliRunner()
    config = ["-f", str(tmp_path / "mkdocs.yml")]
    dry = runner.invoke(main, ["import", str(source), "--out", str(out), "--dry-run", *config])
    assert dry.exit_code == 0, dry.output
    assert "'## Timeline' -> Timeline (synonym, 1.00)" in dry.output
    assert "3 of 3 source headings mapped (100%)" in dry.output
    assert not out.exists()
    first = runner.invoke(main, ["import", str(source), "--out", str(out), *config])
    assert first.exit_code == 0, first.output
    written = out / "2021-06-22-services-returning-503.md"
    assert [p.name for p in out.iterdir()] == [written.name]
    written.write_text("edited by a person\n", encoding="utf-8")
    again = runner.invoke(main, ["import", str(source), "--out", str(out), *config])
    assert again.exit_code == 1
    assert "exists; not overwriting it" in again.output
    assert written.read_text(encoding="utf-8") == "edited by a person\n"
    # moved into a sub-folder of the archive: still the same id, still not written again
    (out / "2021").mkdir()
    moved = written.rename(out / "2021" / written.name)
    again = runner.invoke(main, ["import", str(source), "--out", str(out), *config])
    assert again.exit_code == 1
    assert f"{moved} exists; not overwriting it" in again.output
    assert not written.exists()


def test_cli_reports_a_bad_map_file_in_one_line(tmp_path: Path) -> None:
    (tmp_path / "a.md").write_text("# A\n", encoding="utf-8")
    (tmp_path / "map.yaml").write_text("Summary: [unclosed\n", encoding="utf-8")
    result = CliRunner().invoke(
        main,
        [
            "import",
            str(tmp_path / "a.md"),
            "--out",
            str(tmp_path / "o"),
            "--map",
            str(tmp_path / "map.yaml"),
        ],
    )
    assert result.exit_code != 0
    assert "map.yaml" in result.output and "Traceback" not in result.output


DAY_HEADINGS = """# Incident report May 12 2025 - Hub provisioning

## Summary

Servers took more than 15 minutes to start.

## Timeline

_All times in EEST_

## May 12

### 20:15

A ticket is opened about slow servers.

### 23:00

Memory limits are set.

## May 13

### 00:40

The hub is healthy again.

## Resolution

Explicit memory limits.
"""


def test_day_and_time_subheadings_after_the_timeline(tmp_path: Path) -> None:
    draft = draft_of(DAY_HEADINGS, "2025-05-12-hub.md")
    targets = [(b.heading.text, b.target.name) for b in draft.blocks if b.heading]
    assert targets == [
        ("Summary", "Summary"),
        ("Timeline", "Timeline"),
        ("May 12", "Timeline"),
        ("20:15", "Timeline"),
        ("23:00", "Timeline"),
        ("May 13", "Timeline"),
        ("00:40", "Timeline"),
        ("Resolution", "Summary"),
    ]
    # EEST is UTC+03:00; the day headings give each time its date
    assert section(draft, "Timeline").startswith(
        "\n- 2025-05-12 17:15 A ticket is opened about slow servers.\n"
        "- 2025-05-12 20:00 Memory limits are set.\n"
        "- 2025-05-12 21:40 The hub is healthy again.\n"
    )
    assert "### Resolution\n\nExplicit memory limits." in section(draft, "Summary")
    assert_nothing_lost(DAY_HEADINGS, draft)
    assert not [d for d in checked(tmp_path, draft) if d.is_error]


def test_cli_names_an_unreadable_file_and_imports_the_others(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "bad.md").write_bytes(b"# Outage\n\nCaf\xe9\n")
    (tmp_path / "src" / "2024-02-02-good.md").write_text("# Good\n\n## Summary\n\nFine.\n")
    (tmp_path / "src" / "broken-front-matter.md").write_text("---\ntitle: [x\n---\n# Y\n")
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["import", str(tmp_path / "src"), "--out", str(out)])
    assert result.exit_code == 1
    assert f"{tmp_path / 'src' / 'bad.md'}:3: invalid UTF-8 byte 0xe9" in result.output
    assert "Traceback" not in result.output
    good, broken_name = sorted(p.name for p in out.iterdir())
    assert good == "2024-02-02-good.md"
    assert broken_name.endswith("-y.md")  # no date stated: the source file's date
    broken = (out / broken_name).read_text(encoding="utf-8")
    assert "front matter (line 2: the front matter is not valid YAML)" in broken
    assert "title: [x" in broken


LONE_LINE = """# Certificate expired

## Detection
People told us it was down.

Action Items
- Alert on expiring certificates

- Document the renewal

## Lessons Learned
- Know your certificates.
"""


def test_a_lone_line_naming_a_section_over_a_list_is_a_heading(tmp_path: Path) -> None:
    draft = draft_of(LONE_LINE, "2018-08-22-cert.md")
    targets = [(b.heading.text, b.heading.kind, b.target.name) for b in draft.blocks if b.heading]
    assert targets == [
        ("Detection", "atx", "Detection"),
        ("Action Items", "line", "Action items"),
        ("Lessons Learned", "atx", "Lessons learned"),
    ]
    assert [row.action for row in draft.actions] == [
        "Alert on expiring certificates",
        "Document the renewal",
    ]
    assert section(draft, "Detection").strip() == "People told us it was down."
    assert_nothing_lost(LONE_LINE, draft)
    assert not [d for d in checked(tmp_path, draft) if d.is_error]
    # a line that names no section stays text
    other = draft_of(LONE_LINE.replace("Action Items", "Some thoughts"), "2018-08-22-cert.md")
    assert "Some thoughts" in section(other, "Detection")


def test_cli_without_files_to_import_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not markdown\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["import", str(tmp_path), "--out", str(tmp_path / "o")])
    assert result.exit_code == 1
    assert "no files to import" in result.output


def test_cli_map_file_maps_a_team_heading(tmp_path: Path) -> None:
    (tmp_path / "2024-05-01-outage.md").write_text(
        "# Outage\n\n## Coffee rota\n\nThe cause, in this team's words.\n", encoding="utf-8"
    )
    (tmp_path / "map.yaml").write_text("Root cause:\n  - coffee rota\n", encoding="utf-8")
    args = ["import", str(tmp_path / "2024-05-01-outage.md"), "--out", str(tmp_path / "o")]
    result = CliRunner().invoke(main, [*args, "--dry-run", "--map", str(tmp_path / "map.yaml")])
    assert result.exit_code == 0, result.output
    assert "'## Coffee rota' -> Root cause (synonym, 1.00)" in result.output
    without = CliRunner().invoke(main, [*args, "--dry-run"])
    assert "'## Coffee rota' -> Notes (imported) (unmapped, -)" in without.output


def test_a_zone_in_parentheses_of_the_timeline_heading_is_stated() -> None:
    draft = draft_of(PST.replace("(all times PST)", "(PST) 01/31/2023"), "2023-01-31-neg.md")
    assert draft.timeline is not None and draft.timeline.zone is not None
    assert draft.timeline.zone.name == "PST"
    assert "- 2023-02-01 06:30 A researcher submitted a report\n" in section(draft, "Timeline")
    # in running text, "(UTC)" alone states nothing: only the timeline's heading counts
    plain = draft_of(PST.replace(" (all times PST)", "") + "\nSee the dashboard (UTC).\n")
    assert plain.timeline is not None and plain.timeline.zone is None
