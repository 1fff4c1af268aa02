"""Diagnostics printed for people and tools: terminal text (`path:line:col: level code
message`), GitHub Actions annotations, JSON, and a GitLab code quality report
(`diagnostics.code_quality`). One formatter per output; `FORMATS` names them."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict

from postmortem_kb.diagnostics.code_quality import format_code_quality
from postmortem_kb.diagnostics.diagnostic import Diagnostic


def format_text(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(str(d) for d in diagnostics)


def format_json(diagnostics: Sequence[Diagnostic]) -> str:
    return json.dumps([asdict(d) for d in diagnostics], indent=2, ensure_ascii=False)


def format_github_annotations(diagnostics: Sequence[Diagnostic]) -> str:
    return "\n".join(format_github(d) for d in diagnostics)


def _github_escape(text: str, *, property_value: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if property_value:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


def format_github(diagnostic: Diagnostic) -> str:
    """A GitHub Actions workflow command, shown as an annotation on the pull request."""
    kind = "error" if diagnostic.is_error else "warning"
    props = ",".join(
        [
            f"file={_github_escape(diagnostic.path, property_value=True)}",
            f"line={max(diagnostic.line, 1)}",
            f"col={max(diagnostic.column, 1)}",
            f"title={_github_escape(diagnostic.code, property_value=True)}",
        ]
    )
    message = diagnostic.message + (f"\n{diagnostic.hint}" if diagnostic.hint else "")
    return f"::{kind} {props}::{_github_escape(message)}"


FORMATS: dict[str, Callable[[Sequence[Diagnostic]], str]] = {
    "text": format_text,
    "github": format_github_annotations,
    "json": format_json,
    "gitlab": format_code_quality,
}


def format_diagnostics(diagnostics: Sequence[Diagnostic], output_format: str = "text") -> str:
    """Render diagnostics in one of `FORMATS`."""
    try:
        formatter = FORMATS[output_format]
    except KeyError:
        raise ValueError(f"unknown output format {output_format!r}") from None
    return formatter(diagnostics)
