"""`pmkb import` on every real post-mortem of ../shared/corpus (or $PMKB_CORPUS).

The corpus is data beside the checkout, not part of it: the module is skipped when absent.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from postmortem_kb.format.parser import parse_file

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str) -> ModuleType:
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))  # import_corpus imports corpus
    spec = importlib.util.spec_from_file_location(name, BENCHMARKS / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


corpus = _load("corpus")
import_corpus = _load("import_corpus")
ROOT = corpus.corpus_dir()
pytestmark = pytest.mark.skipif(ROOT is None, reason="no corpus at ../shared/corpus or PMKB_CORPUS")
MIN_MAPPED = 0.9


@pytest.fixture(scope="module")
def results(tmp_path_factory: pytest.TempPathFactory) -> list[Any]:
    assert ROOT is not None
    return import_corpus.import_corpus(ROOT, tmp_path_factory.mktemp("imported"))


def test_every_document_imports(results: list[Any]) -> None:
    # the similarity benchmark's own reading of the corpus says which files are post-mortems
    expected: dict[str, int] = {}
    for document in corpus.load_documents(ROOT):
        expected[document.archive] = expected.get(document.archive, 0) + 1
    assert {r.folder: r.documents for r in results} == expected
    assert all(o.written and not o.error for r in results for o in r.outcomes)


def test_drafts_pass_check_with_warnings_only(results: list[Any]) -> None:
    errors = [str(d) for r in results for d in r.errors]
    assert errors == []
    for result in results:
        for outcome in result.outcomes:
            pm = parse_file(outcome.target).postmortem
            assert pm is not None and pm.meta.status == "draft", outcome.target


def test_no_source_line_is_lost(results: list[Any]) -> None:
    lost = []
    for result in results:
        for outcome in result.outcomes:
            draft = outcome.target.read_text(encoding="utf-8")
            for number, line in enumerate(outcome.source.read_text(encoding="utf-8").split("\n")):
                text = line.strip()
                if text and not re.fullmatch(r"=+|-{3,}|\*{3,}|_{3,}", text) and text not in draft:
                    lost.append(f"{outcome.source}:{number + 1}: {text}")
    assert lost == []


def test_headings_map_to_the_format(results: list[Any]) -> None:
    headings = sections = 0
    for result in results:
        total, to_sections, mapped = result.counts()
        assert mapped >= MIN_MAPPED * total, result.folder
        headings, sections = headings + total, sections + to_sections
    assert sections >= MIN_MAPPED * headings
