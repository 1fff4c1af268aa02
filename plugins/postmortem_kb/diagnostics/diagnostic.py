"""One diagnostic type for every problem the checks find.

A diagnostic is data: it is made in one place (the parser or a check) and printed by one
formatter per output (`diagnostics.formats`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from postmortem_kb.diagnostics.codes import CODES


class Level(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, order=True)
class Diagnostic:
    """A problem in a source file. `line` and `column` are 1-based; 0 means "the whole file"."""

    path: str
    line: int
    column: int
    level: Level
    code: str
    message: str
    hint: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"undocumented diagnostic code {self.code}")

    @property
    def is_error(self) -> bool:
        return self.level is Level.ERROR

    def location(self) -> str:
        return f"{self.path}:{max(self.line, 1)}:{max(self.column, 1)}"

    def __str__(self) -> str:
        text = f"{self.location()}: {self.level} {self.code} {self.message}"
        return f"{text}\n    hint: {self.hint}" if self.hint else text


def make(
    path: str | Path,
    line: int,
    code: str,
    message: str,
    *,
    column: int = 1,
    level: Level | None = None,
    hint: str | None = None,
) -> Diagnostic:
    """Build a diagnostic with the level and hint its code documents, unless overridden."""
    spec = CODES[code]
    return Diagnostic(
        path=str(path),
        line=line,
        column=column,
        level=level or Level(spec.level),
        code=code,
        message=message,
        hint=spec.hint if hint is None else hint,
    )


def sort_diagnostics(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """By file and position; diagnostics at the same place keep the order the checks made them."""
    return sorted(diagnostics, key=lambda d: (d.path, d.line, d.column))


def has_errors(diagnostics: Iterable[Diagnostic], *, strict: bool = False) -> bool:
    return any(d.is_error or strict for d in diagnostics)


def summary_line(diagnostics: Sequence[Diagnostic], files: int) -> str:
    errors = sum(d.is_error for d in diagnostics)
    warnings = len(diagnostics) - errors
    noun = "file" if files == 1 else "files"
    return f"{files} {noun} checked: {errors} error(s), {warnings} warning(s)"
