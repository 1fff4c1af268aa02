"""What a post-mortem file may hold before the renderer cannot handle it, and how severe
a missing or oversized part is.

Python-Markdown recurses and backtracks on deep nesting: measured here, 1,000 nested
block quotes take 221 s to render, 1,000 nested brackets 1.6 s, a run of 5,000 emphasis
markers ends in a `RecursionError`. A file beyond these limits is reported (PM008-PM010) and
never reaches the renderer, the search or the site. The largest of the 132 real
post-mortems in `shared/corpus` is 26 KB, 328 lines, its longest line 1,599 characters,
its deepest nesting 3 list levels, 1 quote level and 2 emphasis markers in a row: the
limits leave a margin of ten times or more.
"""

from __future__ import annotations

import bisect
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from postmortem_kb.diagnostics.diagnostic import Level
from postmortem_kb.format.markdown import TAB_SIZE, code_mask

MAX_BYTES = 1024 * 1024  # the file, as UTF-8
MAX_FRONT_MATTER_BYTES = 64 * 1024
MAX_LINES = 5_000
MAX_LINE_LENGTH = 20_000  # characters
MAX_BLOCK_DEPTH = 16  # nested lists, block quotes and admonitions at one line
MAX_INLINE_DEPTH = 32  # nested brackets, or emphasis markers in a row, in one line

_PREFIX = re.compile(r"[ \t>]*")
_EMPHASIS_RUN = re.compile(rf"[*_~]{{{MAX_INLINE_DEPTH + 1},}}")


@dataclass(frozen=True)
class LimitProblem:
    code: str  # PM008 (size), PM009 (a long line), PM010 (deep nesting)
    line: int  # 1-based, in the file
    column: int
    message: str


def completeness_level(status: str | None) -> Level:
    """A draft may be incomplete or broken: what is missing is a warning there (the rest of
    the site still builds), an error once the post-mortem is in review or published."""
    return Level.WARNING if status in (None, "draft") else Level.ERROR


def limit_problems(text: str, first_line: int = 1) -> list[LimitProblem]:
    """The problems of `text` (its lines starting at file line `first_line`): the size
    first (then nothing else is looked at), else the first long line and the first line
    nested too deep."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > MAX_BYTES:
        return [
            LimitProblem(
                "PM008", first_line, 1, f"the file is {size:,} bytes; the limit is {MAX_BYTES:,}"
            )
        ]
    lines = text.split("\n")
    if len(lines) > MAX_LINES:
        return [
            LimitProblem(
                "PM008",
                first_line + MAX_LINES,
                1,
                f"the file has {len(lines):,} lines; the limit is {MAX_LINES:,}",
            )
        ]
    problems: dict[str, LimitProblem] = {}
    suspects = _suspect_lines(text, lines)
    in_code = code_mask(lines) if suspects else []
    for index in suspects:
        for problem in _line_problems(lines[index], first_line + index, in_code[index]):
            problems.setdefault(problem.code, problem)
        if len(problems) == 2:
            break
    return sorted(problems.values(), key=lambda p: p.line)


# A line that may break a limit: long, a deep prefix (each of its characters is at most one
# level), an emphasis run, or enough openers to nest too deep. None of these crosses a line.
_SUSPECT = re.compile(
    rf"^(?:.{{{MAX_LINE_LENGTH + 1}}}"
    rf"|[ \t>]{{{MAX_BLOCK_DEPTH + 1}}}"
    rf"|.*?[*_~]{{{MAX_INLINE_DEPTH + 1}}}"
    rf"|(?:[^\n\[(]*[\[(]){{{MAX_INLINE_DEPTH + 1}}})",
    re.MULTILINE,
)


def _suspect_lines(text: str, lines: list[str]) -> list[int]:
    """The indices of the lines `_line_problems` must look at, in order: a superset of the
    lines with a problem, found in one scan of the text (most files have none)."""
    matches = [match.start() for match in _SUSPECT.finditer(text)]
    if not matches:
        return []
    starts = list(itertools.accumulate((len(line) + 1 for line in lines), initial=0))
    return [bisect.bisect_right(starts, offset) - 1 for offset in matches]


def _line_problems(line: str, number: int, is_code: bool) -> Iterator[LimitProblem]:
    if len(line) > MAX_LINE_LENGTH:
        yield LimitProblem(
            "PM009",
            number,
            MAX_LINE_LENGTH + 1,
            f"the line is {len(line):,} characters; the limit is {MAX_LINE_LENGTH:,}",
        )
        return
    if is_code:  # code is not parsed as Markdown: its indentation and brackets are text
        return
    prefix = _PREFIX.match(line)
    assert prefix is not None  # matches the empty string
    text = prefix.group()
    indent = text.rsplit(">", 1)[-1] if ">" in text else text  # a quote's inner indentation
    depth = text.count(">") + len(indent.expandtabs(TAB_SIZE)) // TAB_SIZE
    if depth > MAX_BLOCK_DEPTH:
        yield _too_deep(number, 1, f"{depth} levels of lists, quotes or blocks")
    elif run := _EMPHASIS_RUN.search(line):
        yield _too_deep(number, run.start() + 1, f"{len(run.group())} emphasis markers in a row")
    elif (column := _bracket_overflow(line)) is not None:
        yield _too_deep(number, column, f"more than {MAX_INLINE_DEPTH} nested brackets")


def _too_deep(line: int, column: int, what: str) -> LimitProblem:
    return LimitProblem("PM010", line, column, f"Markdown nested too deep: {what}")


def _bracket_overflow(line: str) -> int | None:
    """The 1-based column where brackets or parentheses nest past the limit, if they do."""
    depth = 0
    for index, char in enumerate(line):
        if char in "[(":
            depth += 1
            if depth > MAX_INLINE_DEPTH:
                return index + 1
        elif char in "])" and depth:
            depth -= 1
    return None
