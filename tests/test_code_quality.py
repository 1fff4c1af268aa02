"""`pmkb check --format gitlab`: the diagnostics as a GitLab code quality report."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from postmortem_kb.cli import main

from .conftest import GOOD_NAME


def check_gitlab(project: Path) -> tuple[int, list[dict[str, object]]]:
    result = CliRunner().invoke(
        main, ["check", "--format", "gitlab", "-f", str(project / "mkdocs.yml")]
    )
    return result.exit_code, json.loads(result.stdout)


def test_a_clean_archive_is_an_empty_report(good_project: Path) -> None:
    assert check_gitlab(good_project) == (0, [])


def test_each_diagnostic_is_an_issue_at_its_line(good_project: Path) -> None:
    target = good_project / "postmortems" / GOOD_NAME
    target.write_text(
        target.read_text()
        .replace("severity: SEV2", "severity: SEV7")
        .replace("The connection pool size", "Human error: the connection pool size")
    )
    code, issues = check_gitlab(good_project)
    assert code == 1
    path = f"postmortems/{GOOD_NAME}"
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("PM104", "major", {"path": path, "lines": {"begin": 4}}),
        ("PM501", "minor", {"path": path, "lines": {"begin": 52}}),
    ]
    assert str(issues[0]["description"]).startswith("PM104 severity 'SEV7' is not one of")
    assert len({i["fingerprint"] for i in issues}) == 2
    assert check_gitlab(good_project)[1] == issues  # fingerprints are stable across runs
