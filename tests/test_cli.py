"""The `pmkb` command, run for real: exit codes, output formats, `new` and `schema`."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from postmortem_kb.cli import main
from postmortem_kb.config import KBConfig
from postmortem_kb.format.schema import schema_json

from .conftest import GOOD_NAME, REPO


def run(project: Path, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main, [*args, "-f", str(project / "mkdocs.yml")], catch_exceptions=False
    )
    return result.exit_code, result.stdout, result.stderr


def test_check_passes_on_a_clean_archive(good_project: Path) -> None:
    code, out, err = run(good_project, "check")
    assert code == 0, out
    assert "2 files checked: 0 error(s), 0 warning(s)" in err


def test_check_reports_file_line_code_and_exits_1(good_project: Path) -> None:
    target = good_project / "postmortems" / GOOD_NAME
    target.write_text(target.read_text().replace("severity: SEV2", "severity: SEV7"))
    code, out, _ = run(good_project, "check")
    assert code == 1
    assert (
        f"postmortems/{GOOD_NAME}:4:1: error PM104 severity 'SEV7' is not one of SEV1, SEV2, SEV3, SEV4"
        in out
    )


def test_warnings_pass_unless_strict(good_project: Path) -> None:
    target = good_project / "postmortems" / GOOD_NAME
    target.write_text(
        target.read_text().replace(
            "The connection pool size", "Human error: the connection pool size"
        )
    )
    assert run(good_project, "check")[0] == 0
    assert run(good_project, "check", "--strict")[0] == 1


def test_check_one_file_knows_the_other_ids(good_project: Path) -> None:
    code, out, _ = run(good_project, "check", str(good_project / "postmortems" / GOOD_NAME))
    assert code == 0, out


def test_github_and_json_formats(good_project: Path) -> None:
    target = good_project / "postmortems" / GOOD_NAME
    target.write_text(target.read_text().replace("| @lee |", "| Lee, maybe |"))
    _, out, _ = run(good_project, "check", "--format", "github")
    assert out.startswith(f"::error file=postmortems/{GOOD_NAME},line=72,col=")
    assert (
        "title=PM404::owner 'Lee%2C maybe' is not an @handle" not in out
    )  # commas only escaped in properties
    assert "::owner 'Lee, maybe' is not an @handle%0A" in out
    code, out, _ = run(good_project, "check", "--format", "json")
    [item] = json.loads(out)
    assert (code, item["code"], item["line"], item["level"]) == (1, "PM404", 72, "error")


def test_new_writes_a_template_that_checks_without_errors(good_project: Path) -> None:
    code, out, _ = run(
        good_project,
        "new",
        'Search "latency": spike',
        "--severity",
        "SEV3",
        "--date",
        "2025-03-04",
        "--services",
        "search-api, cdn-edge",
        "--tags",
        "capacity",
    )
    assert code == 0
    path = Path(out.strip())
    assert path.name == "2025-03-04-search-latency-spike.md"
    text = path.read_text()
    assert 'channel: "#inc-2025-03-04-search-latency-spike"' in text
    assert 'services: ["search-api", "cdn-edge"]' in text
    code, out, _ = run(good_project, "check", str(path))
    assert code == 0 and "error" not in out
    assert "PM101" in out  # the draft still lacks timestamps: warned, not failed
    code, _, err = run(
        good_project, "new", 'Search "latency": spike', "--severity", "SEV3", "--date", "2025-03-04"
    )
    assert code == 1 and "already exists" in err


def test_new_rejects_unknown_severity(good_project: Path) -> None:
    code, _, err = run(good_project, "new", "Outage", "--severity", "P1")
    assert code == 2 and "'P1' is not one of SEV1" in err


def test_schema_is_valid_json_with_configured_levels(good_project: Path) -> None:
    code, out, _ = run(good_project, "schema")
    schema = json.loads(out)
    assert code == 0
    assert schema["properties"]["severity"]["enum"] == ["SEV1", "SEV2", "SEV3", "SEV4"]
    assert "timestamps" in schema["required"]
    assert schema["$defs"]["Timestamps"]["required"] == [
        "started",
        "detected",
        "mitigated",
        "resolved",
    ]


def test_committed_schema_is_current() -> None:
    from postmortem_kb.config import load_config

    committed = (REPO / "schema" / "postmortem.schema.json").read_text(encoding="utf-8")
    assert committed == schema_json(load_config(REPO / "mkdocs.yml")), (
        "run `pmkb schema > schema/postmortem.schema.json`"
    )
    assert committed == schema_json(KBConfig())


def test_the_installed_console_script_runs(good_project: Path) -> None:
    pmkb = Path(sys.executable).parent / "pmkb"
    result = subprocess.run(
        [str(pmkb), "check", "-f", str(good_project / "mkdocs.yml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_broken_mkdocs_yml_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("plugins:\n  - postmortems:\n      severity_levels: 3\n")
    code, _, err = run(tmp_path, "check")
    assert code == 1 and "cannot read the configuration" in err and "Traceback" not in err
