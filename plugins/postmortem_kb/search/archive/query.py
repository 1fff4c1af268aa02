"""The archive search's query language, parsed into Whoosh queries (``parse_query``).

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
"""

from __future__ import annotations

import datetime
import itertools
import re
from dataclasses import dataclass

from whoosh import query as wq
from whoosh.analysis import STOP_WORDS, Analyzer

from postmortem_kb.format.vocabulary import STATUSES
from postmortem_kb.search.archive.analysis import month_term, year_term

MAX_QUERY_CHARS = 1000
MAX_QUERY_CLAUSES = 32


class QueryError(ValueError):
    """The search query is malformed; the message says why, in terms of the query syntax."""


@dataclass(frozen=True)
class ParsedQuery:
    """A query split into what is ranked (words and phrases) and what only selects."""

    clauses: tuple[tuple[str, ...], ...]  # words and phrases, as analyzed terms
    filters: tuple[wq.Query, ...]
    excluded: tuple[wq.Query, ...]

    @property
    def terms(self) -> frozenset[str]:
        return frozenset(t for clause in self.clauses for t in clause)

    def selection(self) -> wq.Query:
        """The documents every filter allows (all of them without filters)."""
        return wq.And(self.filters) if self.filters else wq.Every()

    def mask(self) -> wq.Query | None:
        """The documents an excluded filter, word or phrase leaves out; None: none."""
        return wq.Or(self.excluded) if self.excluded else None


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


def parse_query(query: str, analyzer: Analyzer) -> ParsedQuery:
    """Parse the query language into Whoosh queries; any problem raises ``QueryError``.

    ``analyzer`` must be the one the text fields were indexed with, less the pairs
    (``analysis.word_analyzer()``).
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
            excluded.append(containing(tokens))
        else:
            clauses.append(tokens)
    if not (clauses or filters or excluded):
        raise QueryError("the query has nothing to search for: give words, a phrase or a filter")
    return ParsedQuery(tuple(clauses), tuple(filters), tuple(excluded))


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


def containing(terms: tuple[str, ...], field: str = "content", boost: float = 1.0) -> wq.Query:
    """Documents having a word, or a phrase, in ``field``.

    A phrase (or a hyphenated word such as ``payments-api``, which analyzes into several
    terms) is looked up as its consecutive pairs of terms (see analysis._WordsWithPairs). A phrase of
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
        return containing(tokens, field)
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
        parts.append(wq.TermRange("month", month_term(lo), month_term(end)))
        lo = end + _DAY
    if hi is not None and (lo is None or lo <= hi) and hi.month != 12:  # and after
        start = (
            datetime.date(hi.year, 1, 1) if lo is None else max(datetime.date(hi.year, 1, 1), lo)
        )
        parts.append(wq.TermRange("month", month_term(start), month_term(hi)))
        hi = start - _DAY
    if lo is None or hi is None or lo <= hi:  # whole years
        parts.append(wq.TermRange("year", lo and year_term(lo), hi and year_term(hi)))
    return parts[0] if len(parts) == 1 else wq.Or(parts)
