"""`format.limits.limit_problems` looks only at the lines a one-pass scan finds suspect; on
generated texts it reports exactly what checking every line reports."""

from __future__ import annotations

import random

from postmortem_kb.format import limits
from postmortem_kb.format.limits import LimitProblem, limit_problems
from postmortem_kb.format.markdown import code_mask

PIECES = (
    "plain words",
    "(a (b) [c])",
    "[" * 31,
    "(" * 20,
    "*" * 32,
    "_" * 33,
    "~" * 40,
    "> " * 17,
    ">" * 16,
    "\t" * 17,
    " " * 68,
    " " * 67,
    "```",
    "~~~",
    "    code",
    "x" * 7000,
    "|a|b|",
)


def _every_line(text: str) -> list[LimitProblem]:
    """What `limit_problems` reports, from every line: the first problem of each code."""
    lines = text.split("\n")
    in_code = code_mask(lines)
    problems: dict[str, LimitProblem] = {}
    for index, line in enumerate(lines):
        for problem in limits._line_problems(line, 1 + index, in_code[index]):
            problems.setdefault(problem.code, problem)
    return sorted(problems.values(), key=lambda p: p.line)


def test_the_suspect_lines_scan_reports_what_every_line_reports() -> None:
    rng = random.Random(13)
    found: set[str] = set()
    for _ in range(3000):
        lines = ["".join(rng.choices(PIECES, k=rng.randint(0, 4))) for _ in range(8)]
        text = "\n".join(lines)
        expected = _every_line(text)
        assert limit_problems(text) == expected, text
        found.update(p.message for p in expected)
    for kind in ("the line is", "emphasis markers", "nested brackets", "levels of lists"):
        assert any(kind in message for message in found), kind  # every kind was generated


def test_a_line_of_exactly_the_limits_is_no_problem() -> None:
    at_limits = "\n".join(
        [
            "x" * limits.MAX_LINE_LENGTH,
            "> " * 8 + " " * 32 + "text",  # 8 quotes + 8 indents: 16 levels
            "*" * limits.MAX_INLINE_DEPTH,
            "[" * limits.MAX_INLINE_DEPTH + "]" * limits.MAX_INLINE_DEPTH,
        ]
    )
    assert limit_problems(at_limits) == []
    assert [p.code for p in limit_problems(at_limits + "\n" + "(" * 33)] == ["PM010"]
