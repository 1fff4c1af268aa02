"""The learning commands through the real CLI (CliRunner), and the Status cell's checks."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from postmortem_kb.cli import main
from postmortem_kb.project import load_project
from postmortem_kb.rules.archive import load_project_archive

from .conftest import GOOD_NAME, RELATED_NAME, related_text
from .learning_kb import A, B, C, D, E, write_kb

ACTION_KEYS = ["incident", "action", "category", "owner", "due", "status", "done_on", "ticket"]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return write_kb(tmp_path)


def run(config: Path, *args: str) -> Result:
    return CliRunner().invoke(main, [*args, "-f", str(config)])


def test_actions_json_lists_every_item_with_the_documented_keys(config: Path) -> None:
    result = run(config, "actions", "--format", "json", "--as-of", "2025-07-01")
    assert result.exit_code == 0, result.output
    items = json.loads(result.stdout)
    assert len(items) == 13
    assert all(list(item) == [*ACTION_KEYS, "overdue"] for item in items)
    assert [i["ticket"] for i in items if i["overdue"]] == ["FLAG-1", "OPS-6"]
    late = next(i for i in items if i["ticket"] == "OPS-2")
    assert (late["status"], late["done_on"], late["due"]) == ("done", "2025-03-10", "2025-02-28")


def test_actions_filters(config: Path) -> None:
    def tickets(*args: str) -> list[str]:
        result = run(config, "actions", "--format", "json", "--as-of", "2025-07-01", *args)
        assert result.exit_code == 0, result.output
        return [item["ticket"] for item in json.loads(result.stdout)]

    assert tickets("--owner", "@jonas") == ["OPS-3", "FLAG-2", "OPS-6"]
    assert tickets("--owner", "jonas", "--status", "open") == ["FLAG-2", "OPS-6"]
    assert tickets("--service", "db", "--status", "not-doing,open") == ["OPS-3"]
    assert tickets("--overdue") == ["FLAG-1", "OPS-6"]
    assert tickets("--overdue", "--service", "flags") == ["FLAG-1"]
    assert tickets("--status", "done", "--owner", "@lee") == ["SRCH-1", "DB-1"]
    assert tickets("--owner", "@nobody") == []


def test_actions_rejects_an_unknown_status_in_one_line(config: Path) -> None:
    result = run(config, "actions", "--status", "open,finished")
    assert result.exit_code == 2
    assert "finished: not one of open, done, not-doing" in result.output
    assert "Traceback" not in result.output


def test_actions_table_shows_overdue_first_and_the_rates(config: Path) -> None:
    result = run(config, "actions", "--as-of", "2025-07-01")
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["Due", "Status", "Owner", "Ticket", "Incident", "Action"]
    assert lines[1].split()[:5] == ["2025-03-15", "overdue", "108", "d", "@kim"]
    assert lines[2].split()[:4] == ["2025-06-30", "overdue", "1", "d"]
    assert "done 2025-03-10" in result.stdout
    assert "4 open (2 overdue as of 2025-07-01), 8 done (1 without a done date), 1 not-doing" in (
        result.stderr
    )
    assert "completion rate 67% (done 8 / done + open 12) (below the 70% threshold)" in (
        result.stderr
    )
    assert "on-time rate 44% (done by the due date 4 / due by 2025-07-01 9)" in result.stderr


def test_actions_rates_follow_the_owner_filter_and_the_threshold(tmp_path: Path) -> None:
    config = write_kb(tmp_path)
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace(
            "  - postmortems\n", "  - postmortems:\n      action_completion_threshold: 0.5\n"
        ),
        encoding="utf-8",
    )
    result = run(config, "actions", "--as-of", "2025-07-01", "--owner", "@lee")
    assert "completion rate 100% (done 2 / done + open 2)\n" in result.stderr
    result = run(config, "actions", "--as-of", "2025-07-01")
    assert "completion rate 67% (done 8 / done + open 12)\n" in result.stderr
    assert "on-time rate 44% (done by the due date 4 / due by 2025-07-01 9) (below the 50%" in (
        result.stderr
    )


def test_actions_csv(config: Path) -> None:
    result = run(config, "actions", "--format", "csv", "--as-of", "2025-07-01", "--overdue")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [r["ticket"] for r in rows] == ["FLAG-1", "OPS-6"]
    assert rows[0]["overdue"] == "true" and rows[0]["done_on"] == ""
    assert list(rows[0]) == [*ACTION_KEYS, "overdue"]


def test_digest_formats(config: Path) -> None:
    markdown = run(config, "digest", "--month", "2025-04")
    assert markdown.exit_code == 0, markdown.output
    assert markdown.stdout.startswith("# Post-mortem digest, April 2025\n")
    assert markdown.stdout.index("The api pool ran out again") < markdown.stdout.index(
        "Disk full on the reporting database"
    )
    page = run(config, "digest", "--month", "2025-04", "--format", "html")
    assert "<h2>Disk full on the reporting database</h2>" in page.stdout
    data = json.loads(run(config, "digest", "--month", "2025-04", "--format", "json").stdout)
    assert [p["id"] for p in data["postmortems"]] == [C, E]
    bad = run(config, "digest", "--month", "04/2025")
    assert bad.exit_code == 2 and "'04/2025' is not a month written YYYY-MM" in bad.output


def test_digest_defaults_to_the_previous_month(config: Path) -> None:
    result = run(config, "digest", "--as-of", "2025-02-03", "--format", "json")
    assert json.loads(result.stdout)["month"] == "2025-01"


def test_export_json_and_csv(config: Path) -> None:
    data = json.loads(run(config, "export", "--as-of", "2025-07-01").stdout)
    assert data["as_of"] == "2025-07-01"
    assert [i["id"] for i in data["incidents"]] == [D, A, B, C, E]
    assert data["summary"]["on_time_rate"] == pytest.approx(4 / 9)
    rows = list(csv.DictReader(io.StringIO(run(config, "export", "--format", "csv").stdout)))
    assert [r["id"] for r in rows] == [D, A, B, C, E]


def test_new_related_copies_the_open_action_items(config: Path) -> None:
    result = run(config, "new", "Pool again", "--severity", "SEV2", "--date", "2025-08-01",
                 "--related", C, "--related", A)  # fmt: skip
    assert result.exit_code == 0, result.output
    draft = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert f'related: ["{C}", "{A}"]' in draft
    assert f"Open action items of the related incident {C}" in draft
    assert (
        "- Route config deploys through the canary (Prevention, @jonas, due 2025-06-30, OPS-6)"
        in draft
    )
    assert "- Failover game day (Process, @marco, due 2025-07-01, OPS-7)" in draft
    assert "Pool alerts for every PgBouncer" not in draft  # done
    assert f"related incident {A}" not in draft  # A has no open item
    assert run(config, "check", Path(result.stdout.strip()).as_posix()).exit_code == 0


def test_new_related_with_an_unknown_id_is_a_one_line_error(config: Path) -> None:
    result = run(config, "new", "X", "--severity", "SEV2", "--related", "2025-01-01-nope")
    assert result.exit_code == 2
    assert "no post-mortem with id 2025-01-01-nope" in result.output


STATUS_CASES = [
    ("done 2024-12-05", None, ""),
    ("done 2024-12-5", "PM407", "the done date '2024-12-5' is not YYYY-MM-DD"),
    ("open 2024-12-05", "PM407", "only a done item takes a date"),
    ("finished", "PM407", "is not one of open, done, not-doing (a done item may give its date"),
    ("done 2025-02-01", "PM409", "done date 2025-02-01 is in the future (today is 2025-01-20 UTC)"),
    ("done 2024-11-01", "PM410", "done date 2024-11-01 is before the incident (2024-11-15)"),
]


@pytest.mark.parametrize(("cell", "code", "message"), STATUS_CASES)
def test_status_cell_checks(
    make_project: Callable[..., Path], good_text: str, cell: str, code: str | None, message: str
) -> None:
    text = good_text.replace("| PAY-1432 | done |", f"| PAY-1432 | {cell} |")
    project = make_project({GOOD_NAME: text, RELATED_NAME: related_text(good_text)})
    archive = load_project_archive(load_project(project / "mkdocs.yml"), today=dt.date(2025, 1, 20))
    found = [(d.code, d.line, d.column, d.message) for d in archive.diagnostics]
    if code is None:
        assert found == []
        return
    (problem,) = found
    assert problem[:2] == (code, 71) and message in problem[3]
    assert problem[2] == text.splitlines()[70].index(cell) + 1
    level = next(d.level for d in archive.diagnostics)
    assert level == ("warning" if code == "PM410" else "error")
