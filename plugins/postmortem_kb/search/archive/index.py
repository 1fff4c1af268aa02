"""Full-text search over post-mortems, backed by a Whoosh index kept in a cache directory.

Usage::

    with SearchIndex(cache_dir) as index:
        stats = index.update(documents)   # SearchDocument: plain text, from the caller
        hits = index.search('pool "connection reset" service:payments-api date:2024')

The index is a cache: it can always be rebuilt from the post-mortem files, so an index
written with another ``SCHEMA_VERSION`` (or an unreadable one) is simply replaced.

The parts: ``analysis`` (the schema, and how a document's text becomes terms), ``scoring``
(the weighting), ``query`` (the query language), ``snippets`` (a hit's fragments), and
here the index itself: updating it, and running a parsed query.

Why AND with an OR fallback: post-mortem queries are short and specific ("redis
failover", "certificate expired"), and OR ranks documents having one very common word
among those having all of them. AND gives precise lists; the fallback keeps a typo or an
extra word from returning nothing, and ranks documents by how many of the words, and
how rare ones, they have.

Choices made for speed (pure-Python Whoosh, 10,000 documents, p95 under 50 ms):

* One ``content`` field holds all the text to match against; ``title`` (x3) and
  ``summary`` (x2) only add score, as an optional part of the query (see
  ``SearchIndex._ranked``).
* Phrases are pairs of consecutive terms indexed as single terms (see
  ``analysis._WordsWithPairs``), not positions.
* Scoring is BM25 without length normalization (see ``scoring.SaturatedTfIdf``): no
  length to read for each document scored.
* Dates are also indexed as ``year`` and ``month`` terms (see ``query._date_range``).
* Snippets are made only for the hits returned, without running the analyzer over the
  body (see ``snippets._match_spans``); the body is stored, not indexed.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq

# whoosh/index.py opts out of type checking ("# type: ignore" on its first line).
from whoosh.index import Index, LockError, create_in, open_dir  # type: ignore[attr-defined]
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results, Searcher
from whoosh.writing import IndexWriter

from postmortem_kb.search.archive.analysis import (
    SearchDocument,
    fields,
    revision,
    schema,
    word_analyzer,
)
from postmortem_kb.search.archive.query import ParsedQuery, containing, parse_query
from postmortem_kb.search.archive.scoring import SaturatedTfIdf
from postmortem_kb.search.archive.snippets import SnippetFragment, Stems, fragments
from postmortem_kb.search.archive.writer import ArchiveWriter, in_units

# Bump whenever the schema or the analysis changes (analysis.py): existing indexes are then
# rebuilt.
SCHEMA_VERSION = 3
_INDEX_PREFIX = "pmkb_v"

LOCK_TIMEOUT = 10.0  # seconds to wait for another process's update to finish

ProgressOf = Callable[[int, str], AbstractContextManager[Callable[[int], None] | None]]
"""Given how many items a step has and its label, a context yielding a callback to call
with how many more are done, or None (the CLI's `progress.progress_bar`: a bar on a
terminal only)."""
WRITING = "Writing the index"

# A word or phrase must be in the content (title, summary, body, factors, services and
# tags); found in the title or summary too, it scores more: a title match ranks first.
BOOSTS = {"title": 3.0, "summary": 2.0}
USELESS_BOOST_FRACTION = 0.8  # see SearchIndex._boosts


class IndexLockedError(RuntimeError):
    """Another process kept the index locked for writing longer than ``LOCK_TIMEOUT``."""


@dataclass(frozen=True)
class UpdateStats:
    """What ``SearchIndex.update`` did, in documents."""

    added: int = 0
    updated: int = 0
    removed: int = 0
    unchanged: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


@dataclass(frozen=True)
class Hit:
    """One result; ``score`` is 0 when the query had only filters (newest first)."""

    id: str
    path: str
    title: str
    severity: str
    date: datetime.date
    services: tuple[str, ...]
    score: float
    fragments: tuple[SnippetFragment, ...]  # the snippet: `marked()` each (a body may hold «»)


class SearchIndex:
    """A Whoosh index of post-mortems in ``cache_dir``; use as a context manager or ``close()``."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._ix, self._searcher = _open_or_create(cache_dir)
        self._analyzer = word_analyzer()
        self._stems = Stems(self._analyzer)

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def update(
        self,
        documents: Iterable[SearchDocument],
        *,
        unchanged: Collection[str] = (),
        progress: ProgressOf | None = None,
    ) -> UpdateStats:
        """Make the index hold exactly ``documents``, re-indexing only changed ones.

        ``unchanged`` names indexed documents the caller knows are current (see
        `fingerprints`) and does not pass, so it need not rebuild them. Everything happens in
        one writer commit, so readers never see half an update. ``documents`` are read as
        they come (an iterator can parse them meanwhile); the commit, which writes them,
        goes to ``progress`` counted in documents.
        """
        if not self._searcher.up_to_date():  # another process updated the index
            self._reopen()
        existing = self._revisions()
        try:
            writer = ArchiveWriter(self._ix, timeout=LOCK_TIMEOUT)
        except LockError:
            raise IndexLockedError("the search index is being updated by another process") from None
        try:
            stats = _apply(writer, documents, existing, unchanged)
        except BaseException:
            writer.cancel()
            raise
        if stats.changed:
            written = stats.added + stats.updated
            with progress(written, WRITING) if progress else nullcontext() as advance:
                if advance is not None:
                    writer.pool.progress = in_units(advance, written)
                writer.commit()
            self._reopen()
        else:
            writer.cancel()
        return stats

    def _reopen(self) -> None:
        # Not Searcher.refresh(): in whoosh-ng 5.4 it fails on an empty index and keeps
        # segments that a merge has replaced.
        self._searcher.close()
        self._searcher = self._ix.searcher(weighting=SaturatedTfIdf())

    def fingerprints(self) -> dict[str, str]:
        """Document id -> the fingerprint it was indexed with."""
        return {
            doc_id: rev.split(b"\0", 1)[0].decode() for doc_id, rev in self._revisions().items()
        }

    def _revisions(self) -> dict[str, bytes]:
        reader = self._searcher.reader()
        if reader.doc_count() == 0:  # an empty index has no column readers
            return {}
        ids, revisions = reader.column_reader("id"), reader.column_reader("revision")
        return {ids[n]: revisions[n] for n in reader.all_doc_ids()}

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        """Best matches first; a query of filters only lists the newest first.

        Words and phrases must all match. If no document has them all, documents matching
        any of them are returned instead, ranked by how many and how well they match: a
        typo or one word too many then still finds something.
        """
        if limit < 1:
            raise ValueError("limit must be at least 1")
        parsed = parse_query(query, self._analyzer)
        if not parsed.clauses:
            results = self._searcher.search(
                parsed.selection(),
                limit=limit,
                mask=parsed.mask(),
                sortedby="date",
                reverse=True,
            )
            return [self._hit(r, parsed, 0.0) for r in results]
        results = self._ranked(wq.And, parsed, limit)
        if results.is_empty() and len(parsed.clauses) > 1:
            results = self._ranked(wq.Or, parsed, limit)
        return [self._hit(r, parsed, r.score) for r in results]

    def _ranked(self, combine: type[wq.CompoundQuery], parsed: ParsedQuery, limit: int) -> Results:
        """The words and phrases, all (``And``) or any (``Or``), found in the content.

        The title and summary boosts only add score (they are part of the content), so
        they are an optional part of the query: far cheaper than a union of the three
        fields for each word, which the intersection would have to walk. Filters are
        part of the query too (``Require``: they select but do not score), so a narrow
        filter drives the intersection; as ``filter=``, Whoosh would walk every match.
        """
        ranked: wq.Query = combine([containing(c) for c in parsed.clauses])
        boosts = [b for c in parsed.clauses for b in self._boosts(c)]
        if boosts:
            ranked = wq.AndMaybe(ranked, wq.Or(boosts))
        if parsed.filters:
            ranked = wq.Require(ranked, parsed.selection())
        # optimize=False: Whoosh's block skipping over an intersection can miss the best
        # hit, and it saved no time here.
        return self._searcher.search(ranked, limit=limit, mask=parsed.mask(), optimize=False)

    def _boosts(self, terms: tuple[str, ...]) -> list[wq.Query]:
        """Extra score for a word or phrase in the title (x3) or the summary (x2).

        A boost on a term found in (nearly) every title, such as "after" in "X after Y",
        would add almost nothing (its idf is near zero) and cost a walk over all the
        documents, so it is left out.
        """
        reader = self._searcher.reader()
        most = USELESS_BOOST_FRACTION * reader.doc_count()
        boosts = [containing(terms, field, boost) for field, boost in BOOSTS.items()]
        return [b for b in boosts if 0 < b.estimate_size(reader) <= most]

    def _hit(self, result: WhooshHit, parsed: ParsedQuery, score: float) -> Hit:
        stored = result.fields()
        lead = stored["summary"] or stored["body"]
        return Hit(
            id=stored["id"],
            path=stored["path"],
            title=stored["title"],
            severity=stored["severity"],
            date=datetime.date.fromisoformat(stored["date"]),
            services=tuple(s for s in stored["services"].split(",") if s),
            score=float(score),
            fragments=fragments(stored["body"], parsed.terms, self._stems, lead),
        )


def _apply(
    writer: IndexWriter,
    documents: Iterable[SearchDocument],
    existing: dict[str, bytes],
    kept: Collection[str] = (),
) -> UpdateStats:
    added = updated = 0
    seen: set[str] = set(kept) & existing.keys()
    unchanged = len(seen)
    for doc in documents:
        if doc.id in seen:
            raise ValueError(f"duplicate document id {doc.id!r}")
        seen.add(doc.id)
        old = existing.get(doc.id)
        if old == revision(doc):
            unchanged += 1
        elif old is None:
            writer.add_document(**fields(doc))
            added += 1
        else:
            writer.update_document(**fields(doc))
            updated += 1
    gone = existing.keys() - seen
    for doc_id in gone:
        writer.delete_by_term("id", doc_id)
    return UpdateStats(added, updated, len(gone), unchanged)


def _open_or_create(cache_dir: Path) -> tuple[Index, Searcher]:
    name = f"{_INDEX_PREFIX}{SCHEMA_VERSION}"
    try:
        ix = open_dir(str(cache_dir), indexname=name)
        return ix, ix.searcher(weighting=SaturatedTfIdf())  # reads the TOC and the segments
    except Exception:  # none yet, or unreadable: it is a cache, so (re)build it
        _remove_index_files(cache_dir)
        ix = create_in(str(cache_dir), schema(), indexname=name)
        return ix, ix.searcher(weighting=SaturatedTfIdf())


def _remove_index_files(cache_dir: Path) -> None:
    """Delete every version of our index, and nothing else the directory may hold."""
    for path in _index_files(cache_dir):
        path.unlink(missing_ok=True)


def _index_files(cache_dir: Path) -> Iterator[Path]:
    pattern = re.compile(rf"_?{_INDEX_PREFIX}\d+_")
    return (p for p in cache_dir.iterdir() if p.is_file() and pattern.match(p.name))
