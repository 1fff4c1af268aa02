"""The documentation stays true to the code."""

from __future__ import annotations

from postmortem_kb.diagnostics.codes import CODES

from .conftest import REPO


def test_readme_documents_every_diagnostic_code() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for spec in CODES.values():
        assert f"| {spec.code} | {spec.level} | {spec.summary} |" in readme, spec.code


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (REPO / "README.md").read_text(encoding="utf-8")
    assert "make test" in (REPO / ".ci" / "run").read_text(encoding="utf-8")
