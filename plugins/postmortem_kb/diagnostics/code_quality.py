"""Diagnostics as a GitLab code quality report (the Code Climate JSON subset GitLab reads),
shown in the merge request's widget and diff."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from postmortem_kb.diagnostics.diagnostic import Diagnostic

SEVERITY = {"error": "major", "warning": "minor"}  # GitLab: info, minor, major, critical, blocker


def fingerprint(diagnostic: Diagnostic) -> str:
    """Stable across runs, unique per problem: GitLab compares reports of two pipelines by it."""
    key = "\0".join(
        [diagnostic.path, str(diagnostic.line), str(diagnostic.column), diagnostic.code]
        + [diagnostic.message]
    )
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def format_code_quality(diagnostics: Sequence[Diagnostic]) -> str:
    issues = [
        {
            "type": "issue",
            "check_name": d.code,
            "description": f"{d.code} {d.message}" + (f" ({d.hint})" if d.hint else ""),
            "categories": ["Style"],
            "severity": SEVERITY[str(d.level)],
            "fingerprint": fingerprint(d),
            "location": {"path": d.path, "lines": {"begin": max(d.line, 1)}},
        }
        for d in diagnostics
    ]
    return json.dumps(issues, indent=2, ensure_ascii=False)
