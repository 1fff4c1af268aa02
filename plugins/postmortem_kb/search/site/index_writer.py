"""The site search's index: static files the browser fetches a few at a time.

Written into `<site>/pmkb-search/` after each build, read by `assets/engine.js`:

- `manifest.json`: the number of documents, the stop words, the facets, and the first term
  of each term shard. Small (a few KB at 10,000 incidents); the only file every search needs.
- `terms/<i>.bin`: the postings of a run of consecutive terms (sorted), cut at about
  `SHARD_BYTES`. A 4-byte little-endian header length, a JSON header (`terms`, `df`,
  `offsets` into the postings), then each term's postings: (document id delta as a
  varint, impact as one byte) in document order. A typed word fetches only the shards
  its prefix spans.
- `docs/<i>.json`: what a result shows (URL, title, kind, date, severity and its badge
  style, services, excerpt), `BLOCK_SIZE` documents per file: five results fetch at most
  five small files.
- `facets/<name>.json`: for each value of a facet (severity, service, tag, year, status),
  the ids of its documents, delta-coded. Fetched when a filter is first used.
- `text/<id>.txt`: a page's text, for the excerpt around the words typed. Fetched for the
  results shown, after they are shown (the record's excerpt stands in until then).

**Why not Pagefind** (the previous index): its search returns every matching page with
every word position, serialised through JSON and a web worker, so a keystroke costs time
in proportion to the matches: 100 ms to 2 s for common words at 10,000 incidents. Here
the work per keystroke is adding up the postings of the typed words in a typed array
(a few ms), because the scoring (BM25) was done at build time and stored as one byte per
posting ("impact"). ARCHITECTURE.md ("Site search") has the figures.

Scoring: BM25 (k1 = 1.2, b = 0.75) over a document's weighted term frequencies (title
x3, labels such as services and failure modes x2, impact statement x1.5, body x1),
quantised to 1..255 on one scale for the whole index, so impacts of different terms add
up as BM25 scores do. Terms are `tokens()`: lower-cased runs of letters and digits, with
a plural "s" dropped (`normalise`); `assets/engine.js` applies the same two rules to what
is typed, and `tests/test_search_engine_js.py` checks that they agree (the engine in Node
on an index written here).

Document ids: incidents newest first, then the other pages by URL, so a filter-only
search sorts by date by listing ids in order.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import shutil
import struct
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path
from typing import NamedTuple

import numpy as np

OUTPUT_SUBDIR = "pmkb-search"
FORMAT_VERSION = 1
SHARD_BYTES = 24 * 1024  # a term shard's size at which it is cut, header included
BLOCK_SIZE = 16  # documents per docs/ file
MAX_TERM_LENGTH = 40  # longer runs (hashes, base64) are not words anyone types
K1, B = 1.2, 0.75
FIELD_WEIGHTS = {"title": 3.0, "labels": 2.0, "lead": 1.5, "body": 1.0}

_STOP_WORDS = """
a an and are as at be been but by for from had has have he her his i if in into is it its no
not of on or our she so that the their them then there these they this to was we were which
while will with after before during
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())
"""Left out of the index: every page has them, so they rank nothing and their postings
would be the largest. The browser drops them from a query too (the manifest lists them)."""

_WORD = re.compile(r"[^\W_]+")


def normalise(word: str) -> str:
    """A lower-cased word without its plural "s" ("timeouts" -> "timeout"; "status",
    "class" and "redis" keep theirs). Deliberately no stemmer: the browser must apply the
    same rule, and a typed word matches every term it starts anyway."""
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


class _Terms(dict[str, str]):
    """Word -> its index term (`normalise`; "" for a word longer than `MAX_TERM_LENGTH`),
    kept for every word met: the words of an archive are a few thousand, its text millions."""

    def __missing__(self, word: str) -> str:
        self[word] = term = normalise(word) if len(word) <= MAX_TERM_LENGTH else ""
        return term


_TERMS = _Terms()


def tokens(text: str) -> Iterator[str]:
    """The index terms of `text`, in order, stop words included."""
    for word in _WORD.findall(text.lower()):
        if term := _TERMS[word]:
            yield term


def term_counts(text: str) -> Counter[str]:
    """How often each of the `tokens` of `text` occurs."""
    counts = Counter(map(_TERMS.__getitem__, _WORD.findall(text.lower())))
    del counts[""]
    return counts


class WeightedTerms(NamedTuple):
    """A document's terms (stop words out, each once), their weighted frequencies, and the
    document's length in terms (stop words in)."""

    terms: list[str]
    frequencies: list[float]
    length: int


@dataclass(frozen=True)
class SearchMarkup:
    """What the index records about a page besides its URL, title and text."""

    kind: str = "handbook"  # "incident" or "handbook": a result's label
    facets: tuple[tuple[str, str], ...] = ()  # (facet, value); a facet may repeat
    labels: tuple[str, ...] = ()  # services, failure modes: searched with extra weight
    lead: str = ""  # the impact statement: searched, and the result's excerpt
    shown: Mapping[str, str] = field(default_factory=dict)  # date, severity, badge, services
    date: str = ""  # ISO date, for the order of ids


@dataclass(frozen=True)
class SearchDoc:
    """One page of the site as the search knows it."""

    url: str  # relative to the site root, e.g. "postmortems/2024-01-02-x/"
    title: str
    body: str  # the page's text
    markup: SearchMarkup = field(default_factory=SearchMarkup)

    def fields(self) -> tuple[tuple[str, str], ...]:
        """The searched text by field (`FIELD_WEIGHTS`): all the index reads of a page."""
        return (
            ("title", self.title),
            ("labels", " ".join(self.markup.labels)),
            ("lead", self.markup.lead),
            ("body", self.body),
        )

    def weighted_terms(self) -> WeightedTerms:
        """Weighted term frequencies (stop words out) and the document's length in terms.
        A frequency is a sum of field weights times counts, exact in floating point (the
        weights are halves), so the order of the additions does not matter."""
        counts: dict[str, float] = {}
        length = 0
        for name, text in reversed(self.fields()):  # the body first: the most terms
            weight = FIELD_WEIGHTS[name]
            found = term_counts(text)
            length += sum(found.values())
            for stop_word in STOP_WORDS.intersection(found):
                del found[stop_word]
            if not counts:
                counts = {term: weight * count for term, count in found.items()}
                continue
            for term, count in found.items():
                counts[term] = counts.get(term, 0.0) + weight * count
        return WeightedTerms(list(counts), list(counts.values()), length)

    def excerpt(self, words: int = 40) -> str:
        """The lead, or the first `words` words of the body."""
        text = self.markup.lead or self.body
        parts = text.split()
        return " ".join(parts[:words]) + (" …" if len(parts) > words else "")


@dataclass(frozen=True)
class IndexStats:
    documents: int
    terms: int
    files: int  # files written
    bytes: int  # their total size


def ordered(docs: Iterable[SearchDoc]) -> list[SearchDoc]:
    """Documents in id order: incidents newest first, then the rest by URL."""
    docs = list(docs)
    incidents = sorted(
        (d for d in docs if d.markup.kind == "incident"),
        key=lambda d: (d.markup.date, d.url),
        reverse=True,
    )
    others = sorted((d for d in docs if d.markup.kind != "incident"), key=lambda d: d.url)
    return incidents + others


@dataclass(frozen=True)
class Postings:
    """Every term's postings, in arrays: term `i`'s are `docs[starts[i]:starts[i + 1]]`
    (ids ascending) with their `impacts` (1..255)."""

    terms: list[str]  # by term id: in the order the documents first have them
    starts: np.ndarray  # len(terms) + 1 offsets into docs and impacts
    docs: np.ndarray  # int64
    impacts: np.ndarray  # uint8


class _TermIds(dict[str, int]):
    """Term -> id, a new term taking the next id when first looked up."""

    def __missing__(self, term: str) -> int:
        self[term] = value = len(self)
        return value


def postings(weighted: Sequence[WeightedTerms]) -> Postings | None:
    """BM25 (see the module docstring) of each document's terms (`weighted`, in id order),
    quantised; None if no document has a term. The arithmetic is that of one posting at a
    time in Python floats (the same operations in the same order on float64 arrays, `log`
    from `math`), so the impacts are the same bytes whatever the number of documents."""
    n = len(weighted)
    ids_of = _TermIds()
    ids = np.fromiter(
        chain.from_iterable(map(ids_of.__getitem__, w.terms) for w in weighted), np.int64
    )
    if not len(ids):
        return None
    tf = np.fromiter(chain.from_iterable(w.frequencies for w in weighted), np.float64, len(ids))
    docs = np.repeat(np.arange(n, dtype=np.int64), [len(w.terms) for w in weighted])
    lengths = np.array([w.length for w in weighted], dtype=np.float64)
    average = sum(w.length for w in weighted) / n or 1.0
    norm = K1 * (1 - B + B * lengths / average)
    df = np.bincount(ids, minlength=len(ids_of))
    idf = np.array([math.log(1 + (n - d + 0.5) / (d + 0.5)) for d in df.tolist()])
    scores = idf[ids] * tf * (K1 + 1) / (tf + norm[docs])
    quantised = np.clip(np.rint(scores / scores.max() * 255), 1, 255).astype(np.uint8)
    order = np.argsort(ids, kind="stable")  # by term, each term's documents in id order
    starts = np.concatenate(([0], np.cumsum(df)))
    return Postings(list(ids_of), starts, docs[order], quantised[order])


def impacts(docs: Sequence[SearchDoc]) -> dict[str, list[tuple[int, int]]]:
    """Each term's postings: (document id, impact 1..255), in id order."""
    found = postings([doc.weighted_terms() for doc in docs])
    if found is None:
        return {}  # no documents, or nothing but stop words
    pairs = list(zip(found.docs.tolist(), found.impacts.tolist(), strict=True))
    bounds = found.starts.tolist()
    return {term: pairs[bounds[i] : bounds[i + 1]] for i, term in enumerate(found.terms)}


def encoded(found: Postings) -> tuple[bytes, list[int]]:
    """Every term's postings encoded as `encode_postings` does, term after term, and where
    each term's bytes start (and the last ends), computed on the arrays at once."""
    deltas = np.diff(found.docs, prepend=0)
    firsts = found.starts[:-1]
    deltas[firsts] = found.docs[firsts]  # a term's first posting: its document id
    widths = np.ones(len(deltas), dtype=np.int64)  # the varint's bytes: 7 bits each
    for bits in (7, 14, 21, 28, 35, 42, 49, 56):
        widths += deltas >= (1 << bits)
    sizes = widths + 1  # and the impact byte
    ends = np.cumsum(sizes)
    begins = ends - sizes
    out = np.zeros(int(ends[-1]), dtype=np.uint8)
    for byte in range(int(widths.max())):
        has = widths > byte
        value = (deltas[has] >> (7 * byte)) & 0x7F
        more = widths[has] > byte + 1
        out[begins[has] + byte] = value | (more.astype(np.int64) << 7)
    out[begins + widths] = found.impacts
    bounds = np.concatenate(([0], ends))[found.starts]
    return out.tobytes(), bounds.tolist()


def _varint(value: int) -> bytes:
    out = bytearray()
    while value >= 0x80:
        out.append(value & 0x7F | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def encode_postings(postings: Sequence[tuple[int, int]]) -> bytes:
    """(doc id delta as varint, impact byte) per posting, ids ascending."""
    out = bytearray()
    previous = 0
    for doc_id, impact in postings:
        out += _varint(doc_id - previous)
        out.append(impact)
        previous = doc_id
    return bytes(out)


def _utf16(term: str) -> bytes:
    """The sort key of the browser's `<` on strings (UTF-16 code units), which differs from
    Python's for characters beyond U+FFFF; the browser binary-searches the sorted terms."""
    return term.encode("utf-16-be")


_HEADER_BYTES_PER_TERM = 12  # about: quotes and commas, its df and offset in the header


def shards(found: Postings) -> Iterator[tuple[str, bytes]]:
    """Term shards (see the module docstring), terms in sorted order, each with its first
    term (the manifest lists them)."""
    data, bounds = encoded(found)
    df = np.diff(found.starts).tolist()
    terms: list[str] = []
    blobs: list[bytes] = []
    counts: list[int] = []
    size = 0
    for i in sorted(range(len(found.terms)), key=lambda i: _utf16(found.terms[i])):
        term, blob = found.terms[i], data[bounds[i] : bounds[i + 1]]
        terms.append(term)
        blobs.append(blob)
        counts.append(df[i])
        size += len(blob) + len(term.encode("utf-8")) + _HEADER_BYTES_PER_TERM
        if size >= SHARD_BYTES:
            yield terms[0], _shard(terms, counts, blobs)
            terms, counts, blobs, size = [], [], [], 0
    if terms:
        yield terms[0], _shard(terms, counts, blobs)


def _shard(terms: list[str], df: list[int], blobs: list[bytes]) -> bytes:
    offsets = [0]
    for blob in blobs[:-1]:
        offsets.append(offsets[-1] + len(blob))
    header = {"terms": terms, "df": df, "offsets": offsets}
    head = json.dumps(header, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return struct.pack("<I", len(head)) + head + b"".join(blobs)


def _delta(ids: Iterable[int]) -> list[int]:
    out, previous = [], 0
    for doc_id in ids:
        out.append(doc_id - previous)
        previous = doc_id
    return out


def facet_files(docs: Sequence[SearchDoc]) -> dict[str, dict[str, list[int]]]:
    """For each facet, each value's document ids, delta-coded."""
    ids: dict[str, dict[str, list[int]]] = defaultdict(lambda: defaultdict(list))
    for doc_id, doc in enumerate(docs):
        for facet, value in dict.fromkeys(doc.markup.facets):
            ids[facet][value].append(doc_id)
    return {facet: {v: _delta(i) for v, i in values.items()} for facet, values in ids.items()}


def doc_record(doc: SearchDoc) -> dict[str, str]:
    """What a result shows: only non-empty values, short keys."""
    record = {"u": doc.url, "t": doc.title, "k": doc.markup.kind, "x": doc.excerpt()}
    record |= doc.markup.shown
    return {key: value for key, value in record.items() if value}


def write_index(
    site_dir: Path,
    docs: Iterable[SearchDoc],
    *,
    output_subdir: str = OUTPUT_SUBDIR,
    weighted_terms: Callable[[SearchDoc], WeightedTerms] = SearchDoc.weighted_terms,
) -> IndexStats:
    """Write the index of `docs` into `site_dir/output_subdir`, replacing any previous one.
    `weighted_terms` gives a document's terms: `terms_cache.TermsCache.weighted_terms`
    keeps them from one build to the next."""
    output = Path(site_dir) / output_subdir
    if output.exists():
        shutil.rmtree(output)
    docs = ordered(docs)
    files: dict[str, bytes] = {}
    found = postings([weighted_terms(doc) for doc in docs])
    first_terms = []
    for i, (first, shard) in enumerate(shards(found) if found else ()):
        files[f"terms/{i}.bin"] = shard
        first_terms.append(first)
    for start in range(0, len(docs), BLOCK_SIZE):
        block = [doc_record(doc) for doc in docs[start : start + BLOCK_SIZE]]
        files[f"docs/{start // BLOCK_SIZE}.json"] = _json(block)
    for doc_id, doc in enumerate(docs):
        files[f"text/{doc_id}.txt"] = doc.body.encode("utf-8")
    facets = facet_files(docs)
    for facet, values in facets.items():
        files[f"facets/{facet}.json"] = _json(values)
    digest = hashlib.sha256()
    for name in sorted(files):
        digest.update(name.encode() + files[name])
    manifest = {
        "version": FORMAT_VERSION,
        "build": digest.hexdigest()[:12],  # fetched as ?v=<build>: no stale shard from a cache
        "documents": len(docs),
        "blockSize": BLOCK_SIZE,
        "maxTermLength": MAX_TERM_LENGTH,
        "stopWords": sorted(STOP_WORDS),
        "shards": first_terms,
        "facets": sorted(facets),
    }
    files["manifest.json"] = _json(manifest)
    for folder in {name.rpartition("/")[0] for name in files}:
        (output / folder).mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (output / name).write_bytes(data)
    return IndexStats(
        documents=len(docs),
        terms=len(found.terms) if found else 0,
        files=len(files),
        bytes=sum(len(data) for data in files.values()),
    )


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
