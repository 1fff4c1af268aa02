"""Full-text search over post-mortems, backed by a Whoosh index kept in a cache directory.

Usage::

    with SearchIndex(cache_dir) as index:
        stats = index.update(documents)   # SearchDocument: plain text, from the caller
        hits = index.search('pool "connection reset" service:payments-api date:2024')

The index is a cache: it can always be rebuilt from the post-mortem files, so an index
written with another ``SCHEMA_VERSION`` (or an unreadable one) is simply replaced.

Query language::

    connection pool           words: all must match, in any text; if no post-mortem has
                              them all, those having any of them are listed instead
    "connection pool"         a phrase (stop words count: "root cause of the outage")
    payments-api              a hyphenated word is a phrase: payments followed by api
    service:payments-api      filters, each keyword matched whole: service(s), tag(s),
    tag:config-change         severity (any case), status, factor(s) (words or a phrase
    severity:SEV1,SEV2        of the contributing factors); a comma means "any of"
    status:published
    factor:"pool size"
    date:2024  date:2024-11  date:2024-11-15  date:2023..2024  date:2024-06..  date:..2023
    -tag:config-change        a leading minus excludes (a filter, a word or a phrase)

Words are stemmed ("timeouts" finds "timeout"); stop words alone in a query are kept,
otherwise dropped. Without words, filters list the newest post-mortems first.

Why AND with an OR fallback: post-mortem queries are short and specific ("redis
failover", "certificate expired"), and OR ranks documents having one very common word
among those having all of them. AND gives precise lists; the fallback keeps a typo or an
extra word from returning nothing, and ranks documents by how many of the words, and
how rare ones, they have.

Choices made for speed (pure-Python Whoosh, 10,000 documents, p95 under 50 ms):

* One ``content`` field holds all the text (title, summary, body, factors, services,
  tags) to match against; ``title`` (x3) and ``summary`` (x2) only add score, as an
  optional part of the query (see ``SearchIndex._ranked``).
* Phrases are pairs of consecutive terms indexed as single terms (see ``_WithPairs``),
  not positions: no position lists to read, and whoosh-ng 5.4 misreads some of them
  (a position list ending in the byte 46 is taken for a legacy pickle).
* Scoring is BM25 without length normalization (see ``_SaturatedTfIdf``): no length
  to read for each document scored.
* Dates are also indexed as ``year`` and ``month`` terms (see ``_date_range``).
* Snippets are made only for the hits returned, without running the analyzer over the
  body (see ``_match_spans``); the body is stored, not indexed.
"""

from __future__ import annotations

import datetime
import heapq
import itertools
import math
import re
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from whoosh import query as wq
from whoosh import scoring
from whoosh.analysis import (
    STOP_WORDS,
    Analyzer,
    Filter,
    IDTokenizer,
    LowercaseFilter,
    StemmingAnalyzer,
    Token,
)
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, TEXT, Schema

# whoosh/index.py opts out of type checking ("# type: ignore" on its first line).
from whoosh.index import Index, LockError, create_in, open_dir  # type: ignore[attr-defined]
from whoosh.matching import Matcher
from whoosh.searching import Hit as WhooshHit
from whoosh.searching import Results, Searcher
from whoosh.writing import IndexWriter

# Bump whenever the schema or the analysis changes: existing indexes are then rebuilt.
SCHEMA_VERSION = 2
_INDEX_PREFIX = "pmkb_v"

LOCK_TIMEOUT = 10.0  # seconds to wait for another process's update to finish
# Postings buffered before spilling to sorted runs on disk (Whoosh's default is 128): a full
# build of 2,000 post-mortems takes 30% less time, for about 200 MB more at its peak.
WRITER_MEMORY_MB = 256
MAX_QUERY_CHARS = 1000
MAX_QUERY_CLAUSES = 32
STATUSES = ("draft", "in-review", "published")

# A word or phrase must be in the content (title, summary, body, factors, services and
# tags); found in the title or summary too, it scores more: a title match ranks first.
BOOSTS = {"title": 3.0, "summary": 2.0}
USELESS_BOOST_FRACTION = 0.8  # see SearchIndex._boosts

SNIPPET_MARKS = ("«", "»")
# A word for the text analyzer: Whoosh's default pattern, less "*" (kept there for
# wildcards, which this query language does not have): "v1.2" and "example.com" are words.
_WORD = re.compile(r"\w+(?:\.\w+)*")
_SNIPPET_FRAGMENTS = 2
_SNIPPET_CHARS = 160


class QueryError(ValueError):
    """The search query is malformed; the message says why, in terms of the query syntax."""


class IndexLockedError(RuntimeError):
    """Another process kept the index locked for writing longer than ``LOCK_TIMEOUT``."""


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
class SnippetFragment:
    """A plain-text extract of a body with the ``[start, end)`` offsets of the matches."""

    text: str
    matches: tuple[tuple[int, int], ...]
    leading_cut: bool
    trailing_cut: bool

    def marked(self, start: str = SNIPPET_MARKS[0], end: str = SNIPPET_MARKS[1]) -> str:
        """The fragment with each match wrapped in ``start``/``end`` (e.g. ANSI codes)."""
        out, pos = [], 0
        for a, b in self.matches:
            out += [self.text[pos:a], start, self.text[a:b], end]
            pos = b
        out.append(self.text[pos:])
        return ("…" if self.leading_cut else "") + "".join(out) + ("…" if self.trailing_cut else "")


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
    snippet: str  # the fragments joined, matches marked with «»
    fragments: tuple[SnippetFragment, ...]  # to style matches otherwise (a body may hold «»)


# --------------------------------------------------------------------------- schema


class _WithPairs(Filter):
    """Emits each term, then the pair it forms with the term before: ``connect pool``.

    A phrase is searched as its consecutive pairs, each a single term: no positions to
    store or read, which makes phrase queries many times faster than Whoosh's positional
    ones. Words and pairs share one field (a pair holds a space, a word never does), so
    the text is analyzed once.
    """

    def __call__(self, tokens: Iterable[Token]) -> Iterator[Token]:
        previous = None
        for token in tokens:
            text = token.text
            yield token
            if previous is not None:
                token.text = f"{previous} {text}"  # Whoosh reuses one token object
                yield token
            previous = text


def _terms(analyzer: Analyzer, stored: bool = False) -> TEXT:
    """A text field of terms only, without positions.

    (Lengths are still stored, although _SaturatedTfIdf does not use them: without them,
    whoosh-ng 5.4 looks for the length file on disk for every posting it writes.)
    """
    return TEXT(analyzer=analyzer, phrase=False, stored=stored)


def _words() -> Analyzer:
    # No stop list, so that phrases such as "root cause of the outage" match exactly; stop
    # words are dropped from the words of a query instead (see _parse_query).
    return StemmingAnalyzer(expression=_WORD, stoplist=None)


def _schema() -> Schema:
    with_pairs = _words() | _WithPairs()
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


def _revision(doc: SearchDocument) -> bytes:
    """What must change for a document to be re-indexed: its content or where it lives."""
    return f"{doc.fingerprint}\0{doc.path}".encode()


def _fields(doc: SearchDocument) -> dict[str, object]:
    content = "\n".join([doc.title, doc.summary, doc.body, *doc.factors, *doc.services, *doc.tags])
    return {
        "id": doc.id,
        "revision": _revision(doc),
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
        "month": _month(doc.date),
        "year": _year(doc.date),
    }


# --------------------------------------------------------------------------- scoring


class _SaturatedTfIdf(scoring.WeightingModel):
    """BM25 without document-length normalization (b = 0): idf × tf·(k1+1)/(tf+k1).

    Whoosh's BM25F reads every matching document's field length from a column, which
    made it the largest cost of a query: p95 52 ms against 33 ms over the benchmark's
    queries at 10,000 documents. Post-mortems follow one template, so their lengths vary
    much less than web pages'; the saturation of the term frequency still keeps a long
    document from winning by repetition alone.

    The idf is BM25's: near zero for a word found in nearly every post-mortem (Whoosh's
    never goes below 1), so such a word hardly moves the ranking.
    """

    K1 = 1.2

    def scorer(
        self, searcher: Searcher, fieldname: str, text: bytes, qf: int = 1
    ) -> scoring.BaseScorer:
        top = searcher.get_parent()
        n, df = top.doc_count_all(), top.doc_frequency(fieldname, text)
        idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
        return _SaturatedScorer(idf, searcher.term_info(fieldname, text).max_weight())


class _SaturatedScorer(scoring.BaseScorer):
    # No block-quality methods, as searches run with optimize=False (see
    # SearchIndex._ranked); Whoosh still asks for max_quality() to simplify matchers.

    def __init__(self, idf: float, max_weight: float) -> None:
        self._idf = idf
        self._max_weight = max_weight

    def _score(self, tf: float) -> float:
        k1 = _SaturatedTfIdf.K1
        return self._idf * tf * (k1 + 1) / (tf + k1)

    def score(self, matcher: Matcher) -> float:
        return self._score(matcher.weight())

    def max_quality(self) -> float:
        return self._score(self._max_weight)


# --------------------------------------------------------------------------- queries


@dataclass(frozen=True)
class _ParsedQuery:
    """A query split into what is ranked (words and phrases) and what only selects."""

    clauses: tuple[tuple[str, ...], ...]  # words and phrases, as analyzed terms
    filters: tuple[wq.Query, ...]
    excluded: tuple[wq.Query, ...]

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(t for clause in self.clauses for t in clause)


_TOKEN = re.compile(
    r"""
    (?P<neg>-)?
    (?:
        (?P<field>[A-Za-z_]+):(?:"(?P<quoted>[^"]*)"|(?P<value>[^\s"]*))
      | "(?P<phrase>[^"]*)"
      | (?P<word>[^\s"]+)
    )
    """,
    re.VERBOSE,
)

_FIELD_ALIASES = {
    "service": "services",
    "services": "services",
    "tag": "tags",
    "tags": "tags",
    "severity": "severity",
    "status": "status",
    "date": "date",
    "factor": "factors",
    "factors": "factors",
}


def _parse_query(query: str, analyzer: Analyzer) -> _ParsedQuery:
    """Parse the query language into Whoosh queries; any problem raises ``QueryError``.

    ``analyzer`` must be the one the text fields were indexed with, less the pairs.
    """
    _check_text(query)
    clauses: list[tuple[str, ...]] = []
    filters: list[wq.Query] = []
    excluded: list[wq.Query] = []
    matches = list(_TOKEN.finditer(query))
    if len(matches) > MAX_QUERY_CLAUSES:
        raise QueryError(f"query has too many terms (at most {MAX_QUERY_CLAUSES})")
    only_stop_words = all(_is_stop_word(m["word"]) for m in matches)
    for m in matches:
        negated = bool(m["neg"])
        if m["field"] is not None:
            value = m["value"] if m["quoted"] is None else m["quoted"]
            clause = _filter_clause(m["field"], value, analyzer)
            (excluded if negated else filters).append(clause)
            continue
        raw = m["phrase"] if m["phrase"] is not None else m["word"]
        if m["word"] is not None and _is_stop_word(raw) and not only_stop_words:
            continue
        tokens = tuple(_analyze(raw, analyzer))
        if not tokens:
            continue
        if negated:
            excluded.append(_containing(tokens))
        else:
            clauses.append(tokens)
    if not (clauses or filters or excluded):
        raise QueryError("the query has nothing to search for: give words, a phrase or a filter")
    return _ParsedQuery(tuple(clauses), tuple(filters), tuple(excluded))


def _check_text(query: str) -> None:
    if not query.strip():
        raise QueryError("empty query")
    if len(query) > MAX_QUERY_CHARS:
        raise QueryError(f"query is too long (at most {MAX_QUERY_CHARS} characters)")
    try:
        query.encode("utf-8")
    except UnicodeEncodeError:
        raise QueryError("query is not valid text (undecodable characters)") from None
    if query.count('"') % 2:
        raise QueryError('unbalanced quote: close every phrase with "')


def _is_stop_word(word: str | None) -> bool:
    return word is not None and word.lower() in STOP_WORDS


def _analyze(text: str, analyzer: Analyzer) -> list[str]:
    return [t.text for t in analyzer(text, mode="query")]


def _containing(terms: tuple[str, ...], field: str = "content", boost: float = 1.0) -> wq.Query:
    """Documents having a word, or a phrase, in ``field``.

    A phrase (or a hyphenated word such as ``payments-api``, which analyzes into several
    terms) is looked up as its consecutive pairs of terms (see _WithPairs). A phrase of
    three words or more can then match a document that has its pairs apart; rare.
    """
    if len(terms) == 1:
        return wq.Term(field, terms[0], boost=boost)
    pairs = [wq.Term(field, f"{a} {b}") for a, b in itertools.pairwise(terms)]
    return wq.And(pairs, boost=boost)


def _filter_clause(name: str, value: str, analyzer: Analyzer) -> wq.Query:
    field = _FIELD_ALIASES.get(name.lower())
    if field is None:
        known = ", ".join(sorted(_FIELD_ALIASES))
        raise QueryError(
            f"unknown field {name!r} (known: {known}); quote the text to search for it literally"
        )
    if not value.strip():
        raise QueryError(f"{name}: needs a value, e.g. {name}:{_EXAMPLES[field]}")
    if field == "date":
        return _date_clause(value)
    if field == "factors":
        tokens = tuple(_analyze(value, analyzer))
        if not tokens:
            raise QueryError(f"{name}:{value} has no words to search for")
        return _containing(tokens, field)
    return _any_of(field, name, value)


_EXAMPLES = {
    "services": "payments-api",
    "tags": "config-change",
    "severity": "SEV1",
    "status": "published",
    "date": "2024-11",
    "factors": '"pool size"',
}


def _any_of(field: str, name: str, value: str) -> wq.Query:
    """``a,b`` matches either keyword, each as a whole (``payments`` ≠ ``payments-api``)."""
    values = [v.strip().lower() for v in value.split(",") if v.strip()]
    if not values:
        raise QueryError(f"{name}:{value} has no value, e.g. {name}:{_EXAMPLES[field]}")
    if field == "status":
        for v in values:
            if v not in STATUSES:
                raise QueryError(f"unknown status {v!r} (one of: {', '.join(STATUSES)})")
    terms = [wq.Term(field, v) for v in values]
    return terms[0] if len(terms) == 1 else wq.Or(terms)


_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")
_DAY = datetime.timedelta(days=1)


def _date_clause(value: str) -> wq.Query:
    """``2024``, ``2024-11``, ``2024-11-15`` or a range ``A..B`` (either end may be open)."""
    if ".." in value:
        lo_text, _, hi_text = value.partition("..")
        if not lo_text and not hi_text:
            raise QueryError("date:.. needs at least one end, e.g. date:2023..2024")
        lo = _date_bounds(lo_text)[0] if lo_text else None
        hi = _date_bounds(hi_text)[1] if hi_text else None
        if lo is not None and hi is not None and lo > hi:
            raise QueryError(f"date:{value} is an empty range (start after end)")
    else:
        lo, hi = _date_bounds(value)
    return _date_range(lo, hi)


def _date_bounds(text: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day of a year, a month or a day."""
    m = _DATE.fullmatch(text)
    if m is None:
        raise QueryError(f"bad date {text!r}: use YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m[1]), int(m[2] or 1), int(m[3] or 1)
    try:
        first = datetime.date(year, month, day)
        if year == datetime.MAXYEAR:
            raise ValueError(f"year must be before {datetime.MAXYEAR}")
    except ValueError as exc:
        raise QueryError(f"bad date {text!r}: {exc}") from None
    if m[3]:
        return first, first
    if m[2]:
        return first, _month_end(first)
    return first, datetime.date(year, 12, 31)


def _month_end(day: datetime.date) -> datetime.date:
    return (day.replace(day=28) + 4 * _DAY).replace(day=1) - _DAY


def _date_range(lo: datetime.date | None, hi: datetime.date | None) -> wq.Query:
    """Documents dated from ``lo`` to ``hi`` (inclusive; None leaves that end open).

    A range of ``date`` terms expands to one term per day, which is slow to search (about
    100 ms for a year at 10,000 documents), so the range is cut into whole years (``year``
    terms), whole months (``month``) and the days left over at either end (``date``).
    """
    parts: list[wq.Query] = []
    if lo is not None and lo.day != 1:  # days before the first whole month
        end = _month_end(lo) if hi is None else min(_month_end(lo), hi)
        parts.append(wq.TermRange("date", lo.isoformat(), end.isoformat()))
        lo = end + _DAY
    if hi is not None and (lo is None or lo <= hi) and hi != _month_end(hi):  # and after
        start = hi.replace(day=1) if lo is None else max(hi.replace(day=1), lo)
        parts.append(wq.TermRange("date", start.isoformat(), hi.isoformat()))
        hi = start - _DAY
    if lo is not None and (hi is None or lo <= hi) and lo.month != 1:  # months before a year
        end = (
            datetime.date(lo.year, 12, 31)
            if hi is None
            else min(hi, datetime.date(lo.year, 12, 31))
        )
        parts.append(wq.TermRange("month", _month(lo), _month(end)))
        lo = end + _DAY
    if hi is not None and (lo is None or lo <= hi) and hi.month != 12:  # and after
        start = (
            datetime.date(hi.year, 1, 1) if lo is None else max(datetime.date(hi.year, 1, 1), lo)
        )
        parts.append(wq.TermRange("month", _month(start), _month(hi)))
        hi = start - _DAY
    if lo is None or hi is None or lo <= hi:  # whole years
        parts.append(wq.TermRange("year", lo and _year(lo), hi and _year(hi)))
    return parts[0] if len(parts) == 1 else wq.Or(parts)


def _year(day: datetime.date) -> str:
    return f"{day.year:04d}"  # strftime's %Y does not pad years before 1000


def _month(day: datetime.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


# --------------------------------------------------------------------------- snippets


def _make_snippet(body: str, terms: frozenset[str], stems: _Stems) -> tuple[SnippetFragment, ...]:
    """The best fragments of ``body`` containing the (analyzed) query ``terms``, in order.

    Fragments are ranked by how many different terms they show, then how many matches.
    """
    spans = _match_spans(body, terms, stems) if terms else []
    windows = list(_windows(body, spans))
    best = heapq.nlargest(_SNIPPET_FRAGMENTS, windows, key=_window_score)
    return tuple(_fragment(body, w) for w in sorted(best, key=lambda w: w.start))


class _Stems:
    """What the text analyzer makes of single words, remembered.

    Snippets need to know which words of a body analyze to a query term. Running the
    analyzer over every hit's body dominated the search time; the vocabulary of a
    knowledge base is small, so each distinct word is analyzed once.
    """

    _MAX_WORDS = 200_000

    def __init__(self, analyzer: Analyzer) -> None:
        self._analyzer = analyzer
        self._stems: dict[str, str | None] = {}

    def of(self, words: Iterable[str]) -> dict[str, str | None]:
        """The term of each (lowercase) word, or None if it yields no single term."""
        words = list(words)
        missing = [w for w in words if w not in self._stems]
        if missing:
            if len(self._stems) + len(missing) > self._MAX_WORDS:
                self._stems.clear()
            self._stems.update(self._analyze(missing))
        return {w: self._stems[w] for w in words}

    def _analyze(self, words: list[str]) -> dict[str, str | None]:
        # One analyzer call for all the words; a token maps back to its word by offset.
        offsets = itertools.accumulate((len(w) + 1 for w in words[:-1]), initial=0)
        tokens = {t.startchar: t.text for t in self._analyzer(" ".join(words), chars=True)}
        return {w: tokens.get(o) for w, o in zip(words, offsets, strict=True)}


@dataclass(frozen=True)
class _Span:
    start: int
    end: int
    term: str


@dataclass(frozen=True)
class _Window:
    start: int
    end: int
    spans: tuple[_Span, ...]


def _match_spans(body: str, terms: frozenset[str], stems: _Stems) -> list[_Span]:
    """Where the words of ``body`` analyze to one of ``terms``.

    Scanning the body word by word in Python is slow, so the distinct words are found
    with one ``findall``, and the matching ones located with one regular expression.
    """
    matching = {w: t for w, t in stems.of(set(_WORD.findall(body.lower()))).items() if t in terms}
    if not matching:
        return []
    alternatives = "|".join(re.escape(w) for w in sorted(matching, key=len, reverse=True))
    # Whole words only, as the tokenizer cuts them: "api" is not found in "example.api".
    pattern = rf"(?<!\w)(?<!\w\.)(?:{alternatives})(?!\w)(?!\.\w)"
    return [
        _Span(m.start(), m.end(), matching[m[0].lower()])
        for m in re.finditer(pattern, body, re.IGNORECASE)
        if m[0].lower() in matching
    ]


def _windows(body: str, spans: list[_Span]) -> Iterator[_Window]:
    """Group matches that fit in one fragment, with context around them.

    Windows do not overlap, and a window never shows a match it does not mark.
    """
    i, previous_end = 0, 0
    while i < len(spans):
        j = i
        while j + 1 < len(spans) and spans[j + 1].end - spans[i].start <= _SNIPPET_CHARS - 40:
            j += 1
        room = _SNIPPET_CHARS - (spans[j].end - spans[i].start)
        lowest = max(previous_end, spans[i].start - room // 3)
        start = _word_start(body, lowest, spans[i].start)
        highest = spans[j + 1].start if j + 1 < len(spans) else len(body)
        end = _word_end(body, min(highest, spans[j].end + room - (spans[i].start - start)))
        end = max(end, spans[j].end)
        yield _Window(start, end, tuple(spans[i : j + 1]))
        i, previous_end = j + 1, end


def _word_start(text: str, pos: int, limit: int) -> int:
    """``pos`` moved forward to the start of a word, not past ``limit``."""
    if pos == 0 or text[pos - 1].isspace():
        return pos
    blank = text.find(" ", pos, limit)
    return limit if blank == -1 else blank + 1


def _word_end(text: str, pos: int) -> int:
    """``pos`` moved back to the end of a word (the cut falls on a blank)."""
    if pos >= len(text) or text[pos].isspace():
        return pos
    blank = text.rfind(" ", 0, pos)
    return pos if blank == -1 else blank


def _window_score(window: _Window) -> tuple[int, int, int]:
    return len({s.term for s in window.spans}), len(window.spans), -window.start


_JOINER = re.compile(r"\s*-?\s*")
_BLANKS = str.maketrans("\n\r\t", "   ")


def _fragment(body: str, window: _Window) -> SnippetFragment:
    start = window.start
    matches: list[tuple[int, int]] = []
    for span in window.spans:
        a, b = span.start - start, span.end - start
        # Join matches split only by blanks or a hyphen: «connection pool», «payments-api».
        if matches and _JOINER.fullmatch(body[start + matches[-1][1] : span.start]):
            matches[-1] = (matches[-1][0], b)
        else:
            matches.append((a, b))
    text = body[start : window.end].translate(_BLANKS)  # one line; same length, same offsets
    return SnippetFragment(text, tuple(matches), start > 0, window.end < len(body))


def _lead(text: str) -> tuple[SnippetFragment, ...]:
    """The start of ``text``, cut at a word boundary: the snippet when the body has no match."""
    if len(text) <= _SNIPPET_CHARS:
        return (SnippetFragment(text, (), False, False),) if text else ()
    cut = text.rfind(" ", 0, _SNIPPET_CHARS)
    cut = cut if cut > 0 else _SNIPPET_CHARS
    return (SnippetFragment(text[:cut], (), False, True),)


# --------------------------------------------------------------------------- index


class SearchIndex:
    """A Whoosh index of post-mortems in ``cache_dir``; use as a context manager or ``close()``."""

    def __init__(self, cache_dir: Path) -> None:
        cache_dir.mkdir(parents=True, exist_ok=True)
        self._ix, self._searcher = _open_or_create(cache_dir)
        self._analyzer = _words()
        self._stems = _Stems(self._analyzer)

    def __enter__(self) -> SearchIndex:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._searcher.close()
        self._ix.close()

    def __len__(self) -> int:
        """The number of documents indexed."""
        return self._searcher.doc_count()

    def update(
        self, documents: Iterable[SearchDocument], *, unchanged: Collection[str] = ()
    ) -> UpdateStats:
        """Make the index hold exactly ``documents``, re-indexing only changed ones.

        ``unchanged`` names indexed documents the caller knows are current (see
        `fingerprints`) and does not pass, so it need not rebuild them. Everything happens in
        one writer commit, so readers never see half an update.
        """
        if not self._searcher.up_to_date():  # another process updated the index
            self._reopen()
        existing = self._revisions()
        try:
            writer = self._ix.writer(timeout=LOCK_TIMEOUT, limitmb=WRITER_MEMORY_MB)
        except LockError:
            raise IndexLockedError("the search index is being updated by another process") from None
        try:
            stats = _apply(writer, documents, existing, unchanged)
        except BaseException:
            writer.cancel()
            raise
        if stats.changed:
            writer.commit()
            self._reopen()
        else:
            writer.cancel()
        return stats

    def _reopen(self) -> None:
        # Not Searcher.refresh(): in whoosh-ng 5.4 it fails on an empty index and keeps
        # segments that a merge has replaced.
        self._searcher.close()
        self._searcher = self._ix.searcher(weighting=_SaturatedTfIdf())

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
        parsed = _parse_query(query, self._analyzer)
        if not parsed.clauses:
            results = self._searcher.search(
                _all_of(parsed.filters),
                limit=limit,
                mask=_mask(parsed),
                sortedby="date",
                reverse=True,
            )
            return [self._hit(r, parsed, 0.0) for r in results]
        results = self._ranked(wq.And, parsed, limit)
        if results.is_empty() and len(parsed.clauses) > 1:
            results = self._ranked(wq.Or, parsed, limit)
        return [self._hit(r, parsed, r.score) for r in results]

    def _ranked(self, combine: type[wq.CompoundQuery], parsed: _ParsedQuery, limit: int) -> Results:
        """The words and phrases, all (``And``) or any (``Or``), found in the content.

        The title and summary boosts only add score (they are part of the content), so
        they are an optional part of the query: far cheaper than a union of the three
        fields for each word, which the intersection would have to walk. Filters are
        part of the query too (``Require``: they select but do not score), so a narrow
        filter drives the intersection; as ``filter=``, Whoosh would walk every match.
        """
        ranked: wq.Query = combine([_containing(c) for c in parsed.clauses])
        boosts = [b for c in parsed.clauses for b in self._boosts(c)]
        if boosts:
            ranked = wq.AndMaybe(ranked, wq.Or(boosts))
        if parsed.filters:
            ranked = wq.Require(ranked, _all_of(parsed.filters))
        # optimize=False: Whoosh's block skipping over an intersection can miss the best
        # hit, and it saved no time here.
        return self._searcher.search(ranked, limit=limit, mask=_mask(parsed), optimize=False)

    def _boosts(self, terms: tuple[str, ...]) -> list[wq.Query]:
        """Extra score for a word or phrase in the title (x3) or the summary (x2).

        A boost on a term found in (nearly) every title, such as "after" in "X after Y",
        would add almost nothing (its idf is near zero) and cost a walk over all the
        documents, so it is left out.
        """
        reader = self._searcher.reader()
        most = USELESS_BOOST_FRACTION * reader.doc_count()
        boosts = [_containing(terms, field, boost) for field, boost in BOOSTS.items()]
        return [b for b in boosts if 0 < b.estimate_size(reader) <= most]

    def _hit(self, result: WhooshHit, parsed: _ParsedQuery, score: float) -> Hit:
        stored = result.fields()
        fragments = _make_snippet(stored["body"], parsed.terms, self._stems)
        fragments = fragments or _lead(stored["summary"] or stored["body"])
        return Hit(
            id=stored["id"],
            path=stored["path"],
            title=stored["title"],
            severity=stored["severity"],
            date=datetime.date.fromisoformat(stored["date"]),
            services=tuple(s for s in stored["services"].split(",") if s),
            score=float(score),
            snippet=" ".join(f.marked() for f in fragments),
            fragments=fragments,
        )


def _all_of(queries: tuple[wq.Query, ...]) -> wq.Query:
    return wq.And(queries) if queries else wq.Every()


def _mask(parsed: _ParsedQuery) -> wq.Query | None:
    return wq.Or(parsed.excluded) if parsed.excluded else None


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
        if old == _revision(doc):
            unchanged += 1
        elif old is None:
            writer.add_document(**_fields(doc))
            added += 1
        else:
            writer.update_document(**_fields(doc))
            updated += 1
    gone = existing.keys() - seen
    for doc_id in gone:
        writer.delete_by_term("id", doc_id)
    return UpdateStats(added, updated, len(gone), unchanged)


def _open_or_create(cache_dir: Path) -> tuple[Index, Searcher]:
    name = f"{_INDEX_PREFIX}{SCHEMA_VERSION}"
    try:
        ix = open_dir(str(cache_dir), indexname=name)
        return ix, ix.searcher(weighting=_SaturatedTfIdf())  # reads the TOC and the segments
    except Exception:  # none yet, or unreadable: it is a cache, so (re)build it
        _remove_index_files(cache_dir)
        ix = create_in(str(cache_dir), _schema(), indexname=name)
        return ix, ix.searcher(weighting=_SaturatedTfIdf())


def _remove_index_files(cache_dir: Path) -> None:
    """Delete every version of our index, and nothing else the directory may hold."""
    for path in _index_files(cache_dir):
        path.unlink(missing_ok=True)


def _index_files(cache_dir: Path) -> Iterator[Path]:
    pattern = re.compile(rf"_?{_INDEX_PREFIX}\d+_")
    return (p for p in cache_dir.iterdir() if p.is_file() and pattern.match(p.name))
