"""The site search index's terms cache (`search/site/terms_cache.py`, `.pmkb/search/`) and
the array arithmetic of `index_writer`: the index written is the same bytes with and
without the cache, cold and warm; a rebuild tokenizes only the changed pages; the cache is
safe to delete, to corrupt and to share between two builds at once."""

from __future__ import annotations

import dataclasses
import json
import math
import random
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np
import pytest
from postmortem_kb.search.site.index_writer import (
    FIELD_WEIGHTS,
    K1,
    OUTPUT_SUBDIR,
    STOP_WORDS,
    B,
    Postings,
    SearchDoc,
    SearchMarkup,
    encode_postings,
    encoded,
    impacts,
    tokens,
    write_index,
)
from postmortem_kb.search.site.terms_cache import FORMAT, TermsCache
from postmortem_kb.site.search_markup import page_text

from .conftest import GOOD_NAME, build_site

_WORDS = [
    *("database", "databases", "timeout", "timeouts", "status", "redis", "class", "pool"),
    *("the", "and", "of", "deploy", "deployment", "rollback", "dns", "kafka", "lag", "é"),
    *("naïve", "日本", "𝔘nicode", "x" * 41, "v1", "2024", "under_score", "café", "ÉCLAIR"),
]


def _docs(n: int, seed: int = 0) -> list[SearchDoc]:
    rng = random.Random(seed)

    def text(words: int) -> str:
        return " ".join(rng.choice(_WORDS) for _ in range(words))

    docs = []
    for i in range(n):
        incident = i % 3 != 0
        markup = SearchMarkup(
            "incident" if incident else "handbook",
            facets=(("severity", f"SEV{i % 3 + 1}"), ("year", str(2020 + i % 4))),
            labels=tuple(rng.sample(["payments", "auth", "dns"], k=i % 3)),
            lead=text(i % 7),
            shown={"d": f"202{i % 4}-01-0{i % 9 + 1}"} if incident else {},
            date=f"202{i % 4}-01-0{i % 9 + 1}" if incident else "",
        )
        docs.append(SearchDoc(f"p/{i:03}/", text(1 + i % 5), text(rng.randint(0, 300)), markup))
    return docs


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _write(site: Path, docs: list[SearchDoc], cache: TermsCache | None) -> dict[str, bytes]:
    if cache is None:
        write_index(site, docs)
    else:
        write_index(site, docs, weighted_terms=cache.weighted_terms)
        cache.save()
    return _tree(site / OUTPUT_SUBDIR)


def test_the_index_is_the_same_bytes_with_and_without_the_cache(tmp_path: Path) -> None:
    docs = _docs(120)
    plain = _write(tmp_path / "plain", docs, None)
    cold = TermsCache(tmp_path / "cache")
    assert _write(tmp_path / "cold", docs, cold) == plain
    assert (cold.hits, cold.misses) == (0, 120)
    warm = TermsCache(tmp_path / "cache")
    assert _write(tmp_path / "warm", docs, warm) == plain
    assert (warm.hits, warm.misses) == (120, 0)

    changed = [dataclasses.replace(docs[7], body=docs[7].body + " kafka lag"), *docs[8:]]
    changed += docs[:7]  # the order documents come in does not matter either
    one = TermsCache(tmp_path / "cache")
    assert _write(tmp_path / "one", changed, one) == _write(tmp_path / "p2", changed, None)
    assert (one.hits, one.misses) == (119, 1)


def test_a_page_whose_label_or_title_changed_is_tokenized_again(tmp_path: Path) -> None:
    docs = _docs(10)
    _write(tmp_path / "a", docs, TermsCache(tmp_path / "cache"))
    relabelled = dataclasses.replace(
        docs[1], markup=dataclasses.replace(docs[1].markup, labels=("kafka",))
    )
    retitled = dataclasses.replace(docs[2], title="Another title")
    cache = TermsCache(tmp_path / "cache")
    changed = [docs[0], relabelled, retitled, *docs[3:]]
    assert _write(tmp_path / "b", changed, cache) == _write(tmp_path / "c", changed, None)
    assert (cache.hits, cache.misses) == (8, 2)


def test_the_cache_is_safe_to_delete_and_to_corrupt(tmp_path: Path) -> None:
    docs = _docs(30)
    plain = _write(tmp_path / "plain", docs, None)
    _write(tmp_path / "a", docs, TermsCache(tmp_path / "cache"))
    (pack,) = (tmp_path / "cache").glob("terms-*.json")

    pack.write_bytes(pack.read_bytes()[:1000])  # cut short
    cache = TermsCache(tmp_path / "cache")
    assert _write(tmp_path / "b", docs, cache) == plain and cache.misses == 30
    assert json.loads(pack.read_bytes())["format"] == FORMAT  # written again, whole

    data = json.loads(pack.read_bytes())
    keys = sorted(data["entries"])
    data["entries"][keys[0]] = [12, "disk disk", [1.0, 2.0]]  # a term twice
    data["entries"][keys[1]] = [12, "disk", ["1.0"]]  # not a number
    data["entries"][keys[2]] = [12, "disk pool", [1.0]]  # lengths differ
    data["entries"][keys[3]] = {"length": 3}
    pack.write_text(json.dumps(data), encoding="utf-8")
    cache = TermsCache(tmp_path / "cache")
    assert _write(tmp_path / "c", docs, cache) == plain
    assert (cache.hits, cache.misses) == (26, 4)

    pack.write_bytes(b"\xff\xfe binary")
    assert _write(tmp_path / "d", docs, TermsCache(tmp_path / "cache")) == plain
    for path in (tmp_path / "cache").iterdir():
        path.unlink()
    (tmp_path / "cache").rmdir()
    cache = TermsCache(tmp_path / "cache")
    assert _write(tmp_path / "e", docs, cache) == plain and cache.misses == 30


def test_another_index_writer_reads_another_file_and_removes_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _docs(5)
    _write(tmp_path / "a", docs, TermsCache(tmp_path / "cache"))
    (old,) = (tmp_path / "cache").glob("terms-*.json")
    monkeypatch.setattr(
        "postmortem_kb.search.site.terms_cache.fingerprint", lambda: "another-version" * 4
    )
    cache = TermsCache(tmp_path / "cache")
    _write(tmp_path / "b", docs, cache)
    assert cache.misses == 5
    (new,) = (tmp_path / "cache").glob("terms-*.json")
    assert new != old and not old.exists()


def test_an_unchanged_build_does_not_write_the_cache_again(tmp_path: Path) -> None:
    docs = _docs(5)
    _write(tmp_path / "a", docs, TermsCache(tmp_path / "cache"))
    (pack,) = (tmp_path / "cache").glob("terms-*.json")
    pack.write_bytes(pack.read_bytes() + b" ")  # still the same entries, as JSON
    _write(tmp_path / "b", docs, TermsCache(tmp_path / "cache"))
    assert pack.read_bytes().endswith(b" ")
    _write(tmp_path / "c", docs[:4], TermsCache(tmp_path / "cache"))  # a page gone
    assert not pack.read_bytes().endswith(b" ")
    assert len(json.loads(pack.read_bytes())["entries"]) == 4


def test_page_texts_are_kept_by_their_html_and_the_extractor(tmp_path: Path) -> None:
    pages = [f"<p>page {i} <b>text</b></p>" for i in range(6)]
    first = TermsCache(tmp_path / "cache", page_text)
    texts = [first.page_text(html) for html in pages]
    assert texts[2] == "page 2 text" and first.texts_read == 6
    first.save()
    second = TermsCache(tmp_path / "cache", page_text)
    assert [second.page_text(html) for html in [*pages[:5], "<p>new</p>"]] == [*texts[:5], "new"]
    assert second.texts_read == 1
    second.save()
    third = TermsCache(tmp_path / "cache", lambda html: html.upper())  # another module's
    assert third.page_text(pages[0]) == pages[0].upper() and third.texts_read == 1
    fourth = TermsCache(tmp_path / "cache", page_text)
    fourth.page_text(pages[5])  # dropped from the file: not a page of the last build
    assert fourth.texts_read == 1


_TWO_WRITERS = """
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.test_terms_cache import _docs, _write
from postmortem_kb.search.site.terms_cache import FORMAT, TermsCache
from postmortem_kb.site.search_markup import page_text
for round_ in range(6):
    docs = _docs(60, seed=round_ % 2)
    _write(Path(sys.argv[2]) / f"site-{round_}", docs, TermsCache(Path(sys.argv[3])))
"""


def test_two_writers_at_once_share_the_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                _TWO_WRITERS,
                str(Path(__file__).parents[1]),
                str(site),
                str(cache),
            ],
            stderr=subprocess.PIPE,
            text=True,
        )
        for site in (tmp_path / "one", tmp_path / "two")
    ]
    for writer in writers:
        _, stderr = writer.communicate(timeout=300)
        assert writer.returncode == 0, stderr
    assert list(cache.glob("*.tmp")) == []
    for round_ in range(6):
        expected = _write(tmp_path / f"plain-{round_}", _docs(60, seed=round_ % 2), None)
        for site in ("one", "two"):
            assert _tree(tmp_path / site / f"site-{round_}" / OUTPUT_SUBDIR) == expected
    warm = TermsCache(cache)
    _write(tmp_path / "warm", _docs(60, seed=1), warm)
    assert warm.misses == 0


# --- the arithmetic on arrays against one posting at a time ------------------------------------


def _reference_impacts(docs: list[SearchDoc]) -> dict[str, list[tuple[int, int]]]:
    """BM25 impacts as `index_writer` computed them one posting at a time (before arrays)."""
    weighted = []
    for doc in docs:
        counts: dict[str, float] = defaultdict(float)
        length = 0
        for name, text in doc.fields():
            for term in tokens(text):
                length += 1
                if term not in STOP_WORDS:
                    counts[term] += FIELD_WEIGHTS[name]
        weighted.append((counts, length))
    average = sum(length for _, length in weighted) / len(weighted) or 1.0
    df: dict[str, int] = defaultdict(int)
    for counts, _ in weighted:
        for term in counts:
            df[term] += 1
    n = len(docs)
    scores: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for doc_id, (counts, length) in enumerate(weighted):
        norm = K1 * (1 - B + B * length / average)
        for term, tf in counts.items():
            idf = math.log(1 + (n - df[term] + 0.5) / (df[term] + 0.5))
            scores[term].append((doc_id, idf * tf * (K1 + 1) / (tf + norm)))
    top = max(score for postings in scores.values() for _, score in postings)
    return {
        term: [(d, max(1, min(255, round(score / top * 255)))) for d, score in postings]
        for term, postings in scores.items()
    }


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_impacts_on_arrays_are_those_of_one_posting_at_a_time(seed: int) -> None:
    docs = _docs(200, seed)
    assert impacts(docs) == _reference_impacts(docs)


def test_postings_are_encoded_on_arrays_as_one_term_at_a_time() -> None:
    lists = [[(0, 7), (1, 255), (200, 1), (70_000, 30), (2**21 + 5, 9), (2**35, 4)], [(3, 1)]]
    found = Postings(
        terms=["a", "b"],
        starts=np.array([0, len(lists[0]), len(lists[0]) + 1]),
        docs=np.array([d for postings in lists for d, _ in postings], dtype=np.int64),
        impacts=np.array([i for postings in lists for _, i in postings], dtype=np.uint8),
    )
    data, bounds = encoded(found)
    assert data == encode_postings(lists[0]) + encode_postings(lists[1])
    assert bounds == [0, len(encode_postings(lists[0])), len(data)]


# --- a real build ---------------------------------------------------------------------------------


def test_a_second_build_tokenizes_no_page_and_writes_the_same_index(good_project: Path) -> None:
    first = build_site(good_project)
    assert first.returncode == 0, first.stderr[-3000:]
    assert "pages tokenized, 0 from the cache" in first.stderr
    index = _tree(good_project / "site" / OUTPUT_SUBDIR)
    assert list((good_project / ".pmkb" / "search").glob("terms-*.json"))
    second = build_site(good_project)
    assert " 0 pages tokenized" in second.stderr, second.stderr[-3000:]
    assert " 0 texts read from HTML" in second.stderr
    assert _tree(good_project / "site" / OUTPUT_SUBDIR) == index

    postmortem = good_project / "postmortems" / GOOD_NAME
    postmortem.write_text(
        postmortem.read_text(encoding="utf-8") + "\nA zanzibar sentence for the cache.\n",
        encoding="utf-8",
    )
    third = build_site(good_project)
    assert " 1 pages tokenized" in third.stderr, third.stderr[-3000:]
    manifest = json.loads((good_project / "site" / OUTPUT_SUBDIR / "manifest.json").read_text())
    assert manifest["documents"] == json.loads(index["manifest.json"])["documents"]
