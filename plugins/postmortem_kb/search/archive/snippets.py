"""Snippets of the archive search's hits: the fragments of a body around the query's terms.

Snippets are made only for the hits returned, without running the analyzer over the
body (see ``_match_spans``): the body is stored, not indexed.
"""

from __future__ import annotations

import heapq
import itertools
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from whoosh.analysis import Analyzer

from postmortem_kb.search.archive.analysis import WORD

SNIPPET_MARKS = ("«", "»")
_SNIPPET_FRAGMENTS = 2
_SNIPPET_CHARS = 160


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


def fragments(
    body: str, terms: frozenset[str], stems: Stems, lead: str
) -> tuple[SnippetFragment, ...]:
    """The snippet of a hit: the best fragments of ``body`` holding the (analyzed) query
    ``terms``, or without any, the start of ``lead`` (the summary, or the body)."""
    return _best_fragments(body, terms, stems) or _lead(lead)


def _best_fragments(body: str, terms: frozenset[str], stems: Stems) -> tuple[SnippetFragment, ...]:
    """The best fragments of ``body`` containing the (analyzed) query ``terms``, in order.

    Fragments are ranked by how many different terms they show, then how many matches.
    """
    spans = _match_spans(body, terms, stems) if terms else []
    windows = list(_windows(body, spans))
    best = heapq.nlargest(_SNIPPET_FRAGMENTS, windows, key=_window_score)
    return tuple(_fragment(body, w) for w in sorted(best, key=lambda w: w.start))


class Stems:
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


def _match_spans(body: str, terms: frozenset[str], stems: Stems) -> list[_Span]:
    """Where the words of ``body`` analyze to one of ``terms``.

    Scanning the body word by word in Python is slow, so the distinct words are found
    with one ``findall``, and the matching ones located with one regular expression.
    """
    matching = {w: t for w, t in stems.of(set(WORD.findall(body.lower()))).items() if t in terms}
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
