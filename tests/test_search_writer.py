"""The archive search's index writer (`search/archive/writer.py`): the index it writes holds
the same postings and stored fields as one written by Whoosh's own writer, after a first
index and after updates that merge segments, and it tells how far its commit is; and text
is analyzed for indexing into the terms that queries are analyzed into."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from postmortem_kb.search.archive import index as search_index
from postmortem_kb.search.archive.analysis import SearchDocument, revision, schema, word_analyzer
from postmortem_kb.search.archive.index import SearchIndex
from postmortem_kb.search.archive.writer import TermPool, in_units
from whoosh.index import create_in

from .test_search_index import CORPUS

BATCHES = (CORPUS[:2], CORPUS[:4], CORPUS)  # each update adds documents: Whoosh merges


def _whoosh_written(folder: Path, batches: tuple[tuple[SearchDocument, ...], ...]):
    """An index of the same schema, written by Whoosh's default `SegmentWriter`."""
    ix = create_in(str(folder), schema(), indexname="plain")
    indexed: tuple[SearchDocument, ...] = ()
    for batch in batches:  # each holds the one before, unchanged
        writer = ix.writer()
        search_index._apply(writer, batch, {doc.id: revision(doc) for doc in indexed})
        writer.commit()
        indexed = batch
    return ix


def _contents(reader) -> tuple[list[tuple[object, ...]], list[dict[str, object]]]:
    postings = [(f, t, d, round(w, 4), v) for f, t, d, w, v in reader.iter_postings()]
    return postings, [dict(fields) for fields in reader.all_stored_fields()]


def test_the_index_holds_what_whooshs_own_writer_writes(tmp_path: Path) -> None:
    ours = tmp_path / "ours"
    with SearchIndex(ours) as index:
        for batch in BATCHES:
            index.update(batch)
    plain = _whoosh_written(tmp_path, BATCHES)
    ix_ours = search_index._open_or_create(ours)[0]
    with ix_ours.reader() as mine, plain.reader() as theirs:
        our_postings, our_stored = _contents(mine)
        assert (our_postings, our_stored) == _contents(theirs)
        assert mine.doc_count() == len(CORPUS)
    assert len(our_postings) > 300  # words, pairs and filters of the documents


def test_an_update_rewrites_only_what_changed(tmp_path: Path) -> None:
    changed = dataclasses.replace(
        CORPUS[0], body="A ledger database ran out of disk.", fingerprint="v2"
    )
    with SearchIndex(tmp_path) as index:
        index.update(CORPUS)
        old_body = '"requests to the database timed out"'
        assert [hit.id for hit in index.search(old_body)] == [CORPUS[0].id]
        stats = index.update([changed, *CORPUS[1:]])
        assert (stats.updated, stats.unchanged) == (1, len(CORPUS) - 1)
        assert [hit.id for hit in index.search('"ledger database"')] == [CORPUS[0].id]
        assert index.search(old_body) == []


def test_the_pool_reports_every_posting_written_in_whole_units() -> None:
    pool = TermPool()
    for docnum in range(3):
        for term in (b"pool", b"connect pool", bytes([ord("a") + docnum])):
            pool.add(("content", term, docnum, 1.0, None))
    told: list[int] = []
    pool.progress = in_units(told.append, 2)  # two documents' worth of writing
    postings = list(pool.iter_postings())
    assert [p[:3] for p in postings] == [
        ("content", b"a", 0),
        ("content", b"b", 1),
        ("content", b"c", 2),
        ("content", b"connect pool", 0),
        ("content", b"connect pool", 1),
        ("content", b"connect pool", 2),
        ("content", b"pool", 0),
        ("content", b"pool", 1),
        ("content", b"pool", 2),
    ]
    assert postings[0][4] == b"" and sum(told) == 2


def _words_and_pairs(text: str) -> list[str]:
    """What the text fields index, from the analyzer that queries and snippets use."""
    words = [token.text for token in word_analyzer()(text)]
    terms = []
    for number, word in enumerate(words):
        terms.append(word)
        if number:
            terms.append(f"{words[number - 1]} {word}")
    return terms


@pytest.mark.parametrize(
    "text",
    [
        "The connection pool of payments-api was EXHAUSTED after v1.2.3 shipped.",
        "Straße ÉCOLE naïve 東京 café_au_lait max_connections 10.0.0.1 example.com.",
        "",
        "one",
        "Timeouts, timed out; retrying... retried! 49 minutes (p95) — 7% of requests.",
    ],
)
def test_indexing_analyzes_text_as_queries_do(text: str) -> None:
    field = schema()["content"]
    assert [token.text for token in field.analyzer(text, mode="index")] == _words_and_pairs(text)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_indexing_analyzes_any_text_as_queries_do(text: str) -> None:
    field = schema()["content"]
    assert [token.text for token in field.analyzer(text, mode="index")] == _words_and_pairs(text)
