"""No input produces a traceback: random bytes, random YAML and real post-mortems in other formats."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from postmortem_kb.config import KBConfig
from postmortem_kb.format.archive import find_postmortem_files
from postmortem_kb.format.parser import parse_text
from postmortem_kb.format.source import decode
from postmortem_kb.rules.archive import load_archive, load_project_archive
from postmortem_kb.rules.postmortem import check_postmortem

from .conftest import REPO

CONFIG = KBConfig()
TODAY = dt.date(2026, 1, 1)


def parse_and_check(text: str) -> list:
    result = parse_text(text, Path("2024-01-01-fuzz.md"), "2024-01-01-fuzz.md")
    diagnostics = list(result.diagnostics)
    if result.postmortem is not None:
        diagnostics += check_postmortem(result.postmortem, CONFIG, TODAY)
    return diagnostics


@given(st.binary(max_size=2000))
@settings(max_examples=300, deadline=None)
def test_random_bytes_never_raise(data: bytes) -> None:
    text, diagnostics = decode(data, "f.md")
    if text is not None:
        parse_and_check(text)
    else:
        assert diagnostics and diagnostics[0].code == "PM001"


yaml_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True)
    | st.text(max_size=30)
    | st.dates().map(str)
    | st.datetimes().map(lambda d: d.isoformat()),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=20,
)
field_names = st.sampled_from(
    [
        "title",
        "date",
        "severity",
        "status",
        "visibility",
        "services",
        "tags",
        "authors",
        "timestamps",
        "impact",
        "roles",
        "contributing_factors",
        "runbooks",
        "related",
        "channel",
        "public_summary",
    ]
) | st.text(max_size=10)


@given(st.dictionaries(field_names, yaml_values, max_size=12), st.text(max_size=300))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_random_front_matter_never_raises(fields: dict, body: str) -> None:
    front = yaml.safe_dump(fields, allow_unicode=True)
    parse_and_check(f"---\n{front}---\n{body}")


@given(st.text(alphabet=st.sampled_from(list("-:|#*`[]{}!&*@\n \t'\"ab01\\>%~")), max_size=400))
@settings(max_examples=300, deadline=None)
def test_random_markdown_and_yaml_syntax_never_raises(text: str) -> None:
    parse_and_check(text)
    parse_and_check("---\n" + text)


HOSTILE = [
    "---\na: &a [*a]\n---\n",
    "---\n"
    + "a: &a [x,x,x,x,x,x,x,x,x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]\n"
        for i in range(8)
    )
    + "---\n",
    "---\ntitle: !!python/object/apply:os.system [echo pwned]\n---\n",
    "---\n" + "[" * 5000 + "\n---\n",
    "---\ntitle: \u202eevil\u202c\x1b[31m\n---\n## Summary\n\x1b[2J",
    "---\ndate: 2024-02-31\n---\n",
    "## Timeline\n- 99:99 nope\n- 2024-13-01 10:00 nope\n",
    "## Action items\n| a |\n|---|\n| \\| | | | | | | |\n",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_inputs_give_diagnostics_not_tracebacks(text: str) -> None:
    parse_and_check(text)


def corpus_dir() -> Path | None:
    candidates = [os.environ.get("PMKB_CORPUS"), REPO.parent / "shared" / "corpus"]
    return next((Path(c) for c in candidates if c and Path(c).is_dir()), None)


def test_real_postmortems_in_other_formats_yield_diagnostics_never_exceptions(
    tmp_path: Path,
) -> None:
    corpus = corpus_dir()
    if corpus is None:
        pytest.skip("the shared corpus of real post-mortems is not beside this checkout")
    files = [p for p in corpus.rglob("*") if p.is_file() and p.name not in ("LICENSE", "README.md")]
    assert len(files) > 100
    archive = load_archive(files, CONFIG, root=corpus, runbook_ids=set(), today=TODAY)
    assert archive.files_checked == len(files)
    reported = {d.path for d in archive.diagnostics}
    assert len(reported) == len(files), "every foreign-format file has something to report"


def test_example_knowledge_base_is_clean() -> None:
    files = find_postmortem_files([REPO / "postmortems"])
    assert len(files) >= 20
    from postmortem_kb.project import load_project

    archive = load_project_archive(load_project(REPO / "mkdocs.yml"))
    assert [str(d) for d in archive.diagnostics] == []
