"""Progress bars (`postmortem_kb.progress`): `pmkb search`'s first index shows one on a
terminal, none when stderr is piped or in CI, and none when nothing is to be parsed."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from .conftest import FIXTURES, GOOD_NAME, PMKB, stderr_on_a_terminal

FILES = 12  # above progress.PROGRESS_FROM


def _kb(tmp_path: Path) -> Path:
    (tmp_path / "kb").mkdir()
    (tmp_path / "kb" / "index.md").write_text("# Home\n", encoding="utf-8")
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: KB\ndocs_dir: kb\nplugins:\n  - postmortems\n", encoding="utf-8"
    )
    folder = tmp_path / "postmortems"
    folder.mkdir()
    text = (FIXTURES / GOOD_NAME).read_text(encoding="utf-8")
    for number in range(1, FILES + 1):
        (folder / f"2024-11-{number:02d}-pool-{number}.md").write_text(text, encoding="utf-8")
    return tmp_path


def _search_on_a_terminal(project: Path, **env: str) -> str:
    """`pmkb search` with its stderr on a pseudo-terminal, as in a shell."""
    return stderr_on_a_terminal(["search", "pool", "-f", str(project / "mkdocs.yml")], env)


def test_the_first_index_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    project = _kb(tmp_path)
    in_ci = _search_on_a_terminal(project, CI="true")
    assert "Indexing" not in in_ci
    for path in (project / "postmortems").iterdir():  # all changed: parsed again
        path.write_text(path.read_text(encoding="utf-8") + "\nMore.\n", encoding="utf-8")
    shown = _search_on_a_terminal(project)
    assert "Indexing" in shown and "100%" in shown
    assert "Indexing" not in _search_on_a_terminal(project)  # nothing changed: no bar
    (project / "postmortems" / "2024-11-01-pool-1.md").write_text(
        (FIXTURES / GOOD_NAME).read_text(encoding="utf-8") + "\nOther.\n", encoding="utf-8"
    )
    piped = subprocess.run(
        [str(PMKB), "search", "pool", "-f", str(project / "mkdocs.yml")],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "CI"},
    )
    assert piped.returncode == 0 and "Indexing" not in piped.stderr


def test_writing_the_first_index_shows_progress_too(tmp_path: Path) -> None:
    shown = _search_on_a_terminal(_kb(tmp_path))
    parsing, _, writing = shown.partition("Writing the index")
    assert "Indexing" in parsing and "100%" in parsing
    assert "100%" in writing and "Indexing" not in writing


def test_a_large_check_shows_progress_on_a_terminal_only(tmp_path: Path) -> None:
    project = _kb(tmp_path)  # made clean below, so `pmkb check` exits 0
    (project / "kb" / "runbooks").mkdir()
    (project / "kb" / "runbooks" / "database-connection-saturation.md").write_text("# Steps\n")
    text = (FIXTURES / GOOD_NAME).read_text(encoding="utf-8")
    for path in (project / "postmortems").iterdir():
        path.unlink()
        clean = text.replace("related: [2023-06-02-payments-db-failover]", "related: []")
        (path.parent / path.name.replace("2024-11-", "2024-11-15-")).write_text(clean)
    args = ["check", "-f", str(project / "mkdocs.yml")]
    shown = stderr_on_a_terminal(args, {})
    assert "Checking" in shown and "100%" in shown
    assert f"{FILES} files checked" in shown
    assert "Checking" not in stderr_on_a_terminal(args, {"CI": "true"})
    one = str(project / "postmortems" / "2024-11-15-01-pool-1.md")  # one file: too few for a bar
    assert "Checking" not in stderr_on_a_terminal([*args, one], {})
    piped = subprocess.run(
        [str(PMKB), *args],
        capture_output=True,
        text=True,
        check=False,
        env={k: v for k, v in os.environ.items() if k != "CI"},
    )
    assert piped.returncode == 0 and "Checking" not in piped.stderr
    assert f"{FILES} files checked" in piped.stderr
