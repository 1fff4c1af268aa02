"""The archive search's text analysis and Whoosh schema: how a `SearchDocument` becomes the
fields of the index.

* One ``content`` field holds all the text (title, summary, body, factors, services,
  tags) to match against; ``title`` and ``summary`` are indexed again, to add score
  (see ``index.SearchIndex._ranked``).
* Phrases are pairs of consecutive terms indexed as single terms (see ``_WordsWithPairs``),
  not positions: no position lists to read, and whoosh-ng 5.4 misreads some of them
  (a position list ending in the byte 46 is taken for a legacy pickle).
* Dates are also indexed as ``year`` and ``month`` terms (see ``query._date_range``).
* The body is stored, not indexed: it is only read for snippets (see ``snippets``).

Any change here needs ``index.SCHEMA_VERSION`` bumped: existing indexes are then rebuilt.
"""

from __future__ import annotations

import datetime
import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass

from whoosh.analysis import (
    Analyzer,
    Composable,
    IDTokenizer,
    LowercaseFilter,
    StemmingAnalyzer,
    Token,
    Tokenizer,
)
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema
from whoosh.lang import porter

# A word for the text analyzer: Whoosh's default pattern, less "*" (kept there for
# wildcards, which this query language does not have): "v1.2" and "example.com" are words.
WORD = re.compile(r"\w+(?:\.\w+)*")


@dataclass(frozen=True)
class SearchDocument:
    """One post-mortem, already reduced to plain text by the caller."""

    id: str  # the file stem, e.g. 2024-11-15-payments-pool-exhaustion
    path: str
    title: str
    summary: str  # the impact summary or the Summary section
    body: str  # the whole body, Markdown markup stripped
    services: tuple[str, ...]
    tags: tuple[str, ...]
    severity: str  # SEV1...
    status: str
    date: datetime.date
    factors: tuple[str, ...]  # contributing-factor descriptions
    fingerprint: str  # changes when the source file changes, e.g. a hash of its bytes


class _WordsWithPairs(Tokenizer):
    """The terms of `word_analyzer`, each followed by the pair it forms with the term
    before: ``connect pool``.

    A phrase is searched as its consecutive pairs, each a single term: no positions to
    store or read, which makes phrase queries many times faster than Whoosh's positional
    ones. Words and pairs share one field (a pair holds a space, a word never does), so
    the text is analyzed once.

    One pass (match, lowercase, stem, pair) rather than Whoosh's chain of a tokenizer and
    three filters, one generator each: indexing spends a third of its time analyzing
    text. Only for indexing (no positions or offsets: the fields have none); queries and
    snippets use `word_analyzer`, and a test keeps the two in step.
    """

    def __call__(
        self, value: str, *, removestops: bool = True, mode: str = "", **kwargs: object
    ) -> Iterator[Token]:
        token = Token(removestops=removestops, mode=mode, **kwargs)
        token.boost = 1.0
        previous = None
        for match in WORD.finditer(value):
            term = _stem(match.group().lower())
            token.text = term
            yield token
            if previous is not None:
                token.text = f"{previous} {term}"  # Whoosh reuses one token object too
                yield token
            previous = term


# Whoosh's StemFilter caches stems too, behind a slower, pure-Python cache.
_stem = functools.lru_cache(maxsize=1 << 16)(porter.stem)


def _terms(analyzer: Composable, stored: bool = False) -> TEXT:
    """A text field of terms only, without positions.

    (Lengths are still stored, although _SaturatedTfIdf does not use them: without them,
    whoosh-ng 5.4 looks for the length file on disk for every posting it writes.)
    """
    return TEXT(analyzer=analyzer, phrase=False, stored=stored)


def word_analyzer() -> Analyzer:
    """The analyzer of the text fields, less the pairs: also the one queries are analyzed
    with, and snippets match words with."""
    # No stop list, so that phrases such as "root cause of the outage" match exactly; stop
    # words are dropped from the words of a query instead (see query.parse_query).
    return StemmingAnalyzer(expression=WORD, stoplist=None)


def schema() -> Schema:
    """The index's fields; `fields` fills them for one document."""
    with_pairs = _WordsWithPairs()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        revision=COLUMN(),
        path=STORED(),
        title=_terms(with_pairs, stored=True),
        summary=_terms(with_pairs, stored=True),
        body=STORED(),
        content=_terms(with_pairs),
        factors=_terms(with_pairs),
        services=KEYWORD(stored=True, commas=True, lowercase=True),
        tags=KEYWORD(commas=True, lowercase=True),
        severity=ID(stored=True, analyzer=_lowercase_id()),
        status=ID(analyzer=_lowercase_id()),
        date=ID(stored=True, sortable=True),
        month=ID(),
        year=ID(),
    )


def _lowercase_id() -> Analyzer:
    return IDTokenizer() | LowercaseFilter()


def revision(doc: SearchDocument) -> bytes:
    """What must change for a document to be re-indexed: its content or where it lives."""
    return f"{doc.fingerprint}\0{doc.path}".encode()


def fields(doc: SearchDocument) -> dict[str, object]:
    content = "\n".join([doc.title, doc.summary, doc.body, *doc.factors, *doc.services, *doc.tags])
    return {
        "id": doc.id,
        "revision": revision(doc),
        "path": doc.path,
        "title": doc.title,
        "summary": doc.summary,
        "body": doc.body,
        "content": content,
        "factors": "\n".join(doc.factors),
        "services": ",".join(doc.services),
        "tags": ",".join(doc.tags),
        "severity": doc.severity,
        "status": doc.status,
        "date": doc.date.isoformat(),
        "month": month_term(doc.date),
        "year": year_term(doc.date),
    }


def year_term(day: datetime.date) -> str:
    return f"{day.year:04d}"  # strftime's %Y does not pad years before 1000


def month_term(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"
