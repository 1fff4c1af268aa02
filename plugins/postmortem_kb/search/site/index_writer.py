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
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

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


def tokens(text: str) -> Iterator[str]:
    """The index terms of `text`, in order, stop words included."""
    for word in _WORD.findall(text.lower()):
        if len(word) <= MAX_TERM_LENGTH:
            yield normalise(word)


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

    def weighted_terms(self) -> tuple[dict[str, float], int]:
        """Weighted term frequencies (stop words out) and the document's length in terms."""
        counts: dict[str, float] = defaultdict(float)
        length = 0
        fields = (
            ("title", self.title),
            ("labels", " ".join(self.markup.labels)),
            ("lead", self.markup.lead),
            ("body", self.body),
        )
        for name, text in fields:
            weight = FIELD_WEIGHTS[name]
            for term in tokens(text):
                length += 1
                if term not in STOP_WORDS:
                    counts[term] += weight
        return counts, length

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


def impacts(docs: Sequence[SearchDoc]) -> dict[str, list[tuple[int, int]]]:
    """Each term's postings: (document id, impact 1..255), in id order."""
    weighted = [doc.weighted_terms() for doc in docs]
    if not weighted:
        return {}
    average = sum(length for _, length in weighted) / len(weighted) or 1.0
    df: Counter[str] = Counter()
    for counts, _ in weighted:
        df.update(counts.keys())
    n = len(docs)
    idf = {term: math.log(1 + (n - d + 0.5) / (d + 0.5)) for term, d in df.items()}
    scores: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for doc_id, (counts, length) in enumerate(weighted):
        norm = K1 * (1 - B + B * length / average)
        for term, tf in counts.items():
            scores[term].append((doc_id, idf[term] * tf * (K1 + 1) / (tf + norm)))
    if not scores:
        return {}  # nothing but stop words
    top = max(score for postings in scores.values() for _, score in postings)
    return {
        term: [(doc_id, max(1, min(255, round(score / top * 255)))) for doc_id, score in postings]
        for term, postings in scores.items()
    }


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


def shards(postings: Mapping[str, Sequence[tuple[int, int]]]) -> Iterator[bytes]:
    """Term shards (see the module docstring), terms in sorted order."""
    terms: list[str] = []
    blobs: list[bytes] = []
    size = 0
    for term in sorted(postings, key=_utf16):
        blob = encode_postings(postings[term])
        terms.append(term)
        blobs.append(blob)
        size += len(blob) + len(term.encode("utf-8")) + _HEADER_BYTES_PER_TERM
        if size >= SHARD_BYTES:
            yield _shard(terms, blobs, postings)
            terms, blobs, size = [], [], 0
    if terms:
        yield _shard(terms, blobs, postings)


def _shard(
    terms: list[str], blobs: list[bytes], postings: Mapping[str, Sequence[tuple[int, int]]]
) -> bytes:
    offsets = [0]
    for blob in blobs[:-1]:
        offsets.append(offsets[-1] + len(blob))
    header = {"terms": terms, "df": [len(postings[t]) for t in terms], "offsets": offsets}
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
    site_dir: Path, docs: Iterable[SearchDoc], *, output_subdir: str = OUTPUT_SUBDIR
) -> IndexStats:
    """Write the index of `docs` into `site_dir/output_subdir`, replacing any previous one."""
    output = Path(site_dir) / output_subdir
    if output.exists():
        shutil.rmtree(output)
    docs = ordered(docs)
    files: dict[str, bytes] = {}
    postings = impacts(docs)
    first_terms = []
    for i, shard in enumerate(shards(postings)):
        files[f"terms/{i}.bin"] = shard
        (length,) = struct.unpack_from("<I", shard)
        first_terms.append(json.loads(shard[4 : 4 + length])["terms"][0])
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
    for name, data in files.items():
        path = output / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return IndexStats(
        documents=len(docs),
        terms=len(postings),
        files=len(files),
        bytes=sum(len(data) for data in files.values()),
    )


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
