"""No file brings the build down: what the renderer cannot handle is a diagnostic of that
file at its line (PM008-PM010; PM001 for binary data), never a traceback, and a draft's
problem leaves the rest of the site to build."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from postmortem_kb.format.limits import MAX_BYTES, MAX_LINES, limit_problems

from .conftest import GOOD_NAME, RELATED_NAME, build_site, pmkb, related_text

HOSTILE_NAME = "2024-12-02-hostile-input.md"


def _deep_list(depth: int) -> str:
    return "".join("    " * i + "- level\n" for i in range(depth))


# name: (body, code, the body line reported; None for the file's line MAX_LINES + 1)
HOSTILE: dict[str, tuple[str, str, int | None]] = {
    "deep lists": (_deep_list(200), "PM010", 18),
    "deep block quotes": ("".join("> " * i + "quoted\n\n" for i in range(1, 1000)), "PM010", 33),
    "emphasis run": ("Intro.\n\n" + "*" * 5000 + "x" + "*" * 5000 + "\n", "PM010", 3),
    "nested brackets": ("Intro.\n\n" + "[" * 5000 + "x" + "]" * 5000 + "\n", "PM010", 3),
    "huge table": ("| a | b |\n|---|---|\n" + "| x | y |\n" * 20_000, "PM008", None),
    "a 250 KB line": ("word " * 50_000 + "\n", "PM009", 1),
}


def _draft(good: str, body: str, status: str = "draft") -> str:
    front, _ = good.split("\n---\n", 1)
    front = front.replace("status: published", f"status: {status}").replace(
        "2024-11-15", "2024-12-02"
    )
    return f"{front}\n---\n{body}"


def _good(good: str) -> dict[str, str]:
    return {GOOD_NAME: good, RELATED_NAME: related_text(good)}


def _body_line(good: str) -> int:
    """The file line of the body's first line in a file made by `_draft`."""
    return good.split("\n---\n", 1)[0].count("\n") + 3


@pytest.mark.parametrize("name", list(HOSTILE))
def test_a_hostile_draft_is_a_warning_and_the_site_builds(
    name: str, make_project: Callable[..., Path], good_text: str
) -> None:
    body, code, line = HOSTILE[name]
    project = make_project({**_good(good_text), HOSTILE_NAME: _draft(good_text, body)})
    result = build_site(project, strict=False)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-3000:]
    assert "Traceback" not in output
    at = MAX_LINES + 1 if line is None else _body_line(good_text) + line - 1  # PM008: the file's
    expected = f"postmortems/{HOSTILE_NAME}:{at}:"
    assert expected in output and code in output, output[-3000:]
    site = project / "site"
    assert (site / "postmortems" / GOOD_NAME[:-3] / "index.html").is_file()
    assert not (site / "postmortems" / HOSTILE_NAME[:-3]).exists()


@pytest.mark.parametrize("name", ["deep block quotes", "emphasis run"])
def test_a_hostile_published_post_mortem_fails_the_build_with_its_line(
    name: str, make_project: Callable[..., Path], good_text: str
) -> None:
    body, code, line = HOSTILE[name]
    text = _draft(good_text, body, status="published")
    project = make_project({**_good(good_text), HOSTILE_NAME: text})
    result = build_site(project)
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert "Traceback" not in output
    assert f"postmortems/{HOSTILE_NAME}:{_body_line(good_text) + line - 1}:" in output
    check = pmkb("check", cwd=project)
    assert check.returncode == 1
    assert f"{HOSTILE_NAME}:{_body_line(good_text) + line - 1}:" in check.stdout
    assert f"error {code}" in check.stdout


def test_a_50_mb_file_and_binary_data_are_diagnostics(
    make_project: Callable[..., Path], good_text: str
) -> None:
    big = _draft(good_text, "Filler line of an enormous paste.\n" * (50 * 1024 * 1024 // 34))
    binary = bytes(range(256)) * 4096
    project = make_project({**_good(good_text), HOSTILE_NAME: big, "2024-12-03-binary.md": binary})
    check = pmkb("check", cwd=project)
    assert "Traceback" not in check.stdout + check.stderr
    assert f"postmortems/{HOSTILE_NAME}:1:1: warning PM008" in check.stdout
    assert "postmortems/2024-12-03-binary.md:2:118: error PM001 invalid UTF-8" in check.stdout
    result = build_site(project, strict=False)
    assert "Traceback" not in result.stdout + result.stderr
    assert result.returncode != 0  # binary data has no status: an error


def test_limits_leave_real_post_mortems_alone(good_text: str) -> None:
    assert limit_problems(good_text) == []
    code = "```json\n" + " " * 200 + '{"deep": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]}\n```\n'
    assert limit_problems(code) == []  # code is not parsed as Markdown
    assert limit_problems("x" * (MAX_BYTES + 1))[0].code == "PM008"
