"""Similar incidents: for each post-mortem, the k most similar others and why.

Each incident becomes one sparse row vector made of five blocks, and the similarity of two
incidents is the dot product of their rows:

    score(a, b) = sum over blocks B of  w_B * cos_B(a, b)

with the default weights ``w`` (see `Weights`, they sum to 1, so scores lie in [0, 1]):

    text 0.50 | services 0.20 | tags (failure modes) 0.20 | factors 0.07 | factor categories 0.03

Within a block, an incident's features are weighted like a BM25/TF-IDF hybrid and the block
is L2-normalised, so ``cos_B`` is a cosine:

    weight(t, d) = (1 + ln tf(t, d)) * idf(t),   idf(t) = ln(1 + (N - df(t) + 0.5) / (df(t) + 0.5))

``N`` is the number of indexed incidents, ``df`` the number containing the feature. The BM25
idf stays positive in tiny archives (two incidents sharing a service still score) and tends
to 0 for features every incident has, so boilerplate words fade out. A block an incident
lacks (no services, say) is a zero vector and contributes nothing.

* text: terms of the title (each counted ``TITLE_WEIGHT`` times) and of the text; see
  `tokenize`. Two cuts keep the sparse product cheap, its cost being the sum over terms of
  df², while leaving the high-idf terms that carry the similarity:
  - boilerplate: a term in more than ``MAX_DF`` (20%) of the incidents, and in more than
    ``MAX_DF_MIN_COUNT`` of them (so small archives keep all their words), weighs 0; its
    idf would be below ln 5 anyway;
  - each incident keeps only its ``max_terms`` (default 120) heaviest terms before
    normalising.
* services, tags, factor categories: the labels themselves.
* factors: contributing-factor descriptions, normalised (lowercase, punctuation and spacing
  collapsed), so the same recurring factor matches across incidents.

Vectorising has no Python loop over tokens: raw tokens are counted per document in C, and
one sparse product with a tokens × terms matrix maps each distinct token to its terms.
Blocks are scaled by sqrt(w) and stacked into one CSR matrix ``X``; all pair scores are
``X @ X.T``, computed in row chunks so memory stays at about ``CHUNK_CELLS`` floats, and each
row's top k is taken with ``numpy.argpartition``. Ties are broken by id so results are
deterministic. Reasons are computed only for the chosen pairs: shared services, failure
modes and factors (set intersections), and the shared terms contributing most to the text
cosine. Factor categories count in the score but are never given as a reason: with four
categories, sharing one explains nothing.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import numpy as np
from scipy import sparse

TITLE_WEIGHT = 2
MAX_TERMS = 120
REASON_WORDS = 5
CHUNK_CELLS = 4_000_000
MAX_DF = 0.2
MAX_DF_MIN_COUNT = 20

_STOP_WORDS = """
    a about above after again against all also am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each etc
    few for from further had has have having he her here hers herself him himself his how i
    if in into is it its itself just may me might more most must my myself no nor not now of
    off on once only or other our ours ourselves out over own per same she should so some
    such than that the their theirs them themselves then there these they this those through
    to too under until up us very via was we were what when where which while who whom why
    will with would you your yours yourself yourselves
"""
# Calendar and clock words come from timestamps: they match incidents by date, not by content.
_CALENDAR_WORDS = """
    monday tuesday wednesday thursday friday saturday sunday mon tue tues wed thu thur thurs
    fri sat sun january february march april june july august september october november
    december jan feb mar apr jun jul aug sep sept oct nov dec pm utc gmt bst cet cest est edt
    pst pdt mst mdt
"""
STOP_WORDS = frozenset(_STOP_WORDS.split()) | frozenset(_CALENDAR_WORDS.split())
# Quantities and ordinals (30s, 0h, 55m, 500ms, 3x, 2nd) say as little as bare numbers.
_QUANTITY = re.compile(r"\d+(?:[hmsdwx]|ms|st|nd|rd|th)")

_TOKEN = re.compile(r"[^\W_]+(?:[-_.][^\W_]+)*")
_SEPARATOR = re.compile(r"[-_.]")
_NON_WORD = re.compile(r"[\W_]+")


@dataclass(frozen=True)
class IncidentProfile:
    """What similarity looks at in one incident; the caller extracts it from the document."""

    id: str
    title: str
    text: str
    services: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    factor_categories: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()


class ReasonKind(StrEnum):
    SERVICE = "same service"
    FAILURE_MODE = "same failure mode"
    FACTOR = "shared factor"
    WORDS = "words"


@dataclass(frozen=True)
class Reason:
    kind: ReasonKind
    items: tuple[str, ...]

    def describe(self) -> str:
        return f"{self.kind}: {', '.join(self.items)}"


@dataclass(frozen=True)
class Similar:
    """Another incident, its score in [0, 1] and the reasons it is similar."""

    id: str
    score: float
    reasons: tuple[Reason, ...]

    def describe(self) -> str:
        return "; ".join(reason.describe() for reason in self.reasons)


@dataclass(frozen=True)
class Weights:
    """Weight of each block in the score; the defaults sum to 1."""

    text: float = 0.5
    services: float = 0.2
    tags: float = 0.2
    factors: float = 0.07
    factor_categories: float = 0.03


def tokenize(text: str) -> list[str]:
    """Terms of ``text``: lowercase words minus stop and calendar words, plurals reduced.

    A joined token such as ``connection-pool-exhaustion`` or ``settlement_payments`` yields
    its parts and, when it has at most three parts and none is a bare number, itself too.
    Bare numbers are kept only with three digits (HTTP statuses such as 503); other numbers
    are times, dates and counts, which match by accident.
    """
    return [term for token in _TOKEN.findall(text.lower()) for term in _terms(token)]


def _terms(token: str) -> tuple[str, ...]:
    parts = _SEPARATOR.split(token)
    if len(parts) == 1:
        return _word(token)
    terms = tuple(term for part in parts for term in _word(part))
    if len(parts) <= 3 and not any(part.isdigit() for part in parts):
        return (token, *terms)
    return terms


def _word(word: str) -> tuple[str, ...]:
    if word.isdigit():
        return (word,) if len(word) == 3 else ()
    if len(word) < 2 or word in STOP_WORDS or _QUANTITY.fullmatch(word):
        return ()
    return (_stem(word),)


def _stem(word: str) -> str:
    """Reduce English plurals only; heavier stemming merges unrelated technical terms."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if word.endswith("sses"):
        return word[:-2]
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


@lru_cache(maxsize=4096)  # descriptions recur; reasons look them up once per pair
def normalise_factor(description: str) -> str:
    """The key under which two factor descriptions count as the same factor."""
    return _NON_WORD.sub(" ", description.lower()).strip()


def _idf(df: np.ndarray, n: int) -> np.ndarray:
    return np.log1p((n - df + 0.5) / (df + 0.5))


def _count_matrix(rows: Iterable[Mapping[str, float]]) -> tuple[sparse.csr_array, tuple[str, ...]]:
    """Documents × features count matrix, columns in sorted feature order, and the features.

    ``rows`` is consumed one at a time, so it can be a generator of short-lived counters.
    """
    columns: dict[str, int] = {}
    lengths, indices, data = [0], [], []
    for row in rows:
        for feature in set(row).difference(columns):
            columns[feature] = len(columns)
        lengths.append(len(row))
        indices.append(np.fromiter(map(columns.__getitem__, row), np.int64, len(row)))
        data.append(np.fromiter(row.values(), np.float64, len(row)))
    vocabulary = tuple(sorted(columns))
    rank = np.empty(len(columns), np.int64)
    rank[[columns[f] for f in vocabulary]] = np.arange(len(vocabulary))
    matrix = sparse.csr_array(
        (
            np.concatenate([np.empty(0), *data]),
            rank[np.concatenate([np.empty(0, np.int64), *indices])],
            np.cumsum(lengths),
        ),
        shape=(len(lengths) - 1, len(vocabulary)),
    )
    matrix.sort_indices()
    return matrix, vocabulary


@dataclass(frozen=True)
class _Tokens:
    """Raw token counts of each text an index was built from (documents' texts, then their
    titles): kept so that the next index of an archive that changed a little tokenises only
    the texts it has not seen (`SimilarityIndex.build`'s ``previous``)."""

    rows: dict[str, int]  # text -> its row of `matrix`
    matrix: sparse.csr_array  # texts × tokens counts
    tokens: tuple[str, ...]  # sorted

    @classmethod
    def count(cls, texts: Sequence[str], previous: _Tokens | None = None) -> _Tokens:
        """The token counts of ``texts``, rows of ``previous`` reused for the texts it has;
        the same matrix (tokens in sorted order, only those present) either way."""
        kept = previous.rows if previous is not None else {}
        new = list(dict.fromkeys(t for t in texts if t not in kept))
        fresh, fresh_tokens = _count_matrix(Counter(_TOKEN.findall(t.lower())) for t in new)
        rows = dict(zip(texts, range(len(texts)), strict=True))
        position = {t: i for i, t in enumerate(new)}
        if previous is None or not kept:
            if len(new) != len(texts):  # a text twice (two empty titles, say)
                fresh = fresh[np.array([position[t] for t in texts], np.int64)]
            return cls(rows, fresh, fresh_tokens)
        old = previous.matrix
        vocabulary = np.array(sorted({*previous.tokens, *fresh_tokens}), dtype=object)
        old_columns = np.searchsorted(vocabulary, np.array(previous.tokens, dtype=object))
        fresh_columns = np.searchsorted(vocabulary, np.array(fresh_tokens, dtype=object))
        width = len(vocabulary)
        remapped = [
            sparse.csr_array((m.data, columns[m.indices], m.indptr), shape=(m.shape[0], width))
            for m, columns in ((old, old_columns), (fresh, fresh_columns))
        ]
        stacked = sparse.vstack(remapped, format="csr")
        offset = old.shape[0]
        order = np.array([kept[t] if t in kept else offset + position[t] for t in texts], np.int64)
        chosen = stacked[order]
        present = np.unique(chosen.indices)  # tokens only texts no longer here had go
        rank = np.full(width, -1, np.int64)
        rank[present] = np.arange(len(present))
        matrix = sparse.csr_array(
            (chosen.data, rank[chosen.indices], chosen.indptr), shape=(len(texts), len(present))
        )
        matrix.sort_indices()
        return cls(rows, matrix, tuple(vocabulary[present].tolist()))


def _text_counts(
    profiles: Sequence[IncidentProfile], previous: _Tokens | None = None
) -> tuple[sparse.csr_array, tuple[str, ...], _Tokens]:
    """Documents × terms counts of title and text, without a Python loop over tokens.

    Raw tokens are counted per document (in C, or taken from ``previous``), then one sparse
    product with a tokens × terms expansion matrix turns each distinct token into its terms
    (see `_terms`) once.
    """
    n = len(profiles)
    counted = _Tokens.count([*(p.text for p in profiles), *(p.title for p in profiles)], previous)
    tokens_matrix = counted.matrix
    per_document = tokens_matrix[:n] + TITLE_WEIGHT * tokens_matrix[n:]
    expansion, terms = _count_matrix([Counter(_terms(token)) for token in counted.tokens])
    return (per_document @ expansion).tocsr(), terms, counted


def _text_row(profile: IncidentProfile) -> Counter[str]:
    """The same counts as `_text_counts`, for one document."""
    counts = Counter(tokenize(profile.text))
    for term, count in Counter(tokenize(profile.title)).items():
        counts[term] += TITLE_WEIGHT * count
    return counts


def _label_rows(profile: IncidentProfile) -> dict[str, Counter[str]]:
    """Features of the label blocks (each present once)."""
    return {
        "services": Counter(set(profile.services)),
        "tags": Counter(set(profile.tags)),
        "factors": Counter({normalise_factor(f) for f in profile.factors} - {""}),
        "factor_categories": Counter({c.lower() for c in profile.factor_categories}),
    }


@dataclass(frozen=True)
class _Block:
    """One block of features: vocabulary, idf and L2-normalised weighted document rows."""

    terms: tuple[str, ...]
    columns: dict[str, int]
    idf: np.ndarray
    matrix: sparse.csr_array
    max_terms: int | None

    @classmethod
    def build(
        cls, counts: sparse.csr_array, terms: tuple[str, ...], max_terms: int | None
    ) -> _Block:
        """Weigh ``counts``; with ``max_terms`` (text), drop boilerplate and prune each row."""
        n = counts.shape[0]
        df = np.bincount(counts.indices, minlength=len(terms)).astype(np.float64)
        idf = _idf(df, n)
        if max_terms is not None:
            idf[df > max(MAX_DF * n, MAX_DF_MIN_COUNT)] = 0.0
        data = (1.0 + np.log(counts.data)) * idf[counts.indices]
        matrix = sparse.csr_array((data, counts.indices, counts.indptr), shape=counts.shape)
        matrix.eliminate_zeros()
        if max_terms is not None:
            matrix = _keep_heaviest(matrix, max_terms)
        columns = dict(zip(terms, range(len(terms)), strict=True))
        return cls(terms, columns, idf, _normalise_rows(matrix), max_terms)

    def transform(self, row: Mapping[str, float]) -> sparse.csr_array:
        """A new document's row, weighted and pruned as at build time.

        Terms the index has never seen get the idf of df = 0: they count in the document's
        norm (a draft full of new words is not very similar to anything) but match nothing.
        """
        unseen_idf = float(_idf(np.zeros(1), self.matrix.shape[0])[0])
        weights = {
            term: (1.0 + math.log(count))
            * (float(self.idf[self.columns[term]]) if term in self.columns else unseen_idf)
            for term, count in row.items()
        }
        kept = sorted((t for t, w in weights.items() if w > 0), key=lambda t: (-weights[t], t))
        kept = kept[: self.max_terms]
        norm = math.sqrt(sum(weights[t] ** 2 for t in kept)) or 1.0
        seen = sorted((self.columns[t], weights[t] / norm) for t in kept if t in self.columns)
        data = np.array([w for _, w in seen], dtype=np.float64)
        indices = np.array([c for c, _ in seen], dtype=np.int64)
        shape = (1, len(self.terms))
        return sparse.csr_array((data, indices, np.array([0, len(seen)])), shape=shape)


def _row_ids(matrix: sparse.csr_array) -> np.ndarray:
    return np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))


def _keep_heaviest(matrix: sparse.csr_array, max_terms: int) -> sparse.csr_array:
    """Keep each row's ``max_terms`` largest entries (ties: lower column first)."""
    if matrix.nnz == 0 or np.diff(matrix.indptr).max() <= max_terms:
        return matrix
    rows = _row_ids(matrix)
    order = np.lexsort((-matrix.data, rows))
    rank = np.arange(matrix.nnz) - matrix.indptr[rows[order]]
    keep = np.sort(order[rank < max_terms])
    indptr = np.concatenate(([0], np.cumsum(np.bincount(rows[keep], minlength=matrix.shape[0]))))
    return sparse.csr_array((matrix.data[keep], matrix.indices[keep], indptr), shape=matrix.shape)


def _normalise_rows(matrix: sparse.csr_array) -> sparse.csr_array:
    rows = _row_ids(matrix)
    norms = np.sqrt(np.bincount(rows, weights=matrix.data**2, minlength=matrix.shape[0]))
    data = matrix.data / np.where(norms > 0, norms, 1.0)[rows]
    return sparse.csr_array((data, matrix.indices, matrix.indptr), shape=matrix.shape)


class SimilarityIndex:
    """All-pairs similarity over a fixed set of incidents. Build with `SimilarityIndex.build`."""

    def __init__(
        self,
        profiles: tuple[IncidentProfile, ...],
        blocks: dict[str, _Block],
        weights: Weights,
        tokens: _Tokens | None = None,
    ) -> None:
        self.profiles = profiles
        self.tokens = tokens  # the texts' token counts, for the next build (`build`)
        self._positions = {p.id: i for i, p in enumerate(profiles)}
        self._blocks = blocks
        self._weights = weights
        self._matrix = self._stack([block.matrix for block in blocks.values()])
        self._transposed = self._matrix.T.tocsr()
        self._factor_keys = [{normalise_factor(f) for f in p.factors} for p in profiles]
        text = blocks.get("text")
        self._parts = [_parts(term) for term in text.terms] if text else []

    @classmethod
    def build(
        cls,
        profiles: Iterable[IncidentProfile],
        weights: Weights | None = None,
        max_terms: int = MAX_TERMS,
        previous: SimilarityIndex | None = None,
    ) -> SimilarityIndex:
        """Vectorise ``profiles`` (ids must be unique; order does not matter). ``previous``:
        an index of almost the same profiles (the last build's, under `mkdocs serve`), whose
        token counts are reused for the texts it has; the index is the same without it."""
        weights = weights or Weights()
        if not _block_names(weights):
            raise ValueError("at least one weight must be positive")
        ordered = tuple(sorted(profiles, key=lambda p: p.id))
        if len({p.id for p in ordered}) != len(ordered):
            raise ValueError("incident ids must be unique")
        labels = [_label_rows(p) for p in ordered]
        blocks, tokens = {}, None
        for name in _block_names(weights):
            if name == "text":
                kept = previous.tokens if previous is not None else None
                counts, terms, tokens = _text_counts(ordered, kept)
                blocks[name] = _Block.build(counts, terms, max_terms)
            else:
                blocks[name] = _Block.build(*_count_matrix([r[name] for r in labels]), None)
        return cls(ordered, blocks, weights, tokens)

    def __len__(self) -> int:
        return len(self.profiles)

    def __contains__(self, incident_id: object) -> bool:
        return incident_id in self._positions

    def top_k(
        self,
        k: int = 5,
        exclude: Mapping[str, Collection[str]] | None = None,
        ids: Collection[str] | None = None,
    ) -> dict[str, list[Similar]]:
        """For every incident (or only those in ``ids``), up to ``k`` others with a positive
        score, best first.

        ``exclude`` maps an id to ids never to list for it (its ``related`` list, say).
        A row's result is the same whether it is asked alone or with all the others.
        """
        n = len(self)
        if ids is None:
            positions = np.arange(n)
        else:
            found = sorted(self._positions[i] for i in ids if i in self._positions)
            positions = np.array(found, dtype=np.int64)
        mask = self._exclusion_mask(exclude or {})
        result: dict[str, list[Similar]] = {}
        chunk = max(1, CHUNK_CELLS // max(n, 1))
        for start in range(0, len(positions), chunk):
            chosen = positions[start : start + chunk]
            scores = (self._matrix[chosen] @ self._transposed).toarray()
            scores[np.arange(len(chosen)), chosen] = -np.inf
            excluded = mask[chosen].tocoo()
            scores[excluded.row, excluded.col] = -np.inf
            best = _best(scores, k)
            rows = np.repeat(chosen, [len(c) for c, _ in best])
            words = iter(self._words(self._text_rows(rows), best))
            for position, (columns, values) in zip(chosen, best, strict=True):
                profile = self.profiles[position]
                result[profile.id] = self._similar(profile, columns, values, words)
        return result

    def query(
        self, profile: IncidentProfile, k: int = 5, exclude: Collection[str] = ()
    ) -> list[Similar]:
        """The ``k`` indexed incidents most similar to ``profile`` (a draft, say).

        ``profile`` itself is never returned, even when its id is in the index; neither are
        the ids in ``exclude``.
        """
        labels = _label_rows(profile)
        rows = {
            name: block.transform(_text_row(profile) if name == "text" else labels[name])
            for name, block in self._blocks.items()
        }
        scores = (self._stack(list(rows.values())) @ self._transposed).toarray()
        hidden = [self._positions[i] for i in {profile.id, *exclude} if i in self._positions]
        scores[0, hidden] = -np.inf
        best = _best(scores, k)
        text_rows = rows["text"][np.zeros(len(best[0][0]), np.int64)] if "text" in rows else None
        return self._similar(profile, *best[0], iter(self._words(text_rows, best)))

    def _stack(self, matrices: list[sparse.csr_array]) -> sparse.csr_array:
        scaled = [
            matrix * math.sqrt(getattr(self._weights, name))
            for name, matrix in zip(self._blocks, matrices, strict=True)
        ]
        return sparse.hstack(scaled, format="csr")

    def _text_rows(self, rows: np.ndarray) -> sparse.csr_array | None:
        return self._blocks["text"].matrix[rows] if "text" in self._blocks else None

    def _exclusion_mask(self, exclude: Mapping[str, Collection[str]]) -> sparse.csr_array:
        pairs = [
            (self._positions[a], self._positions[b])
            for a, others in exclude.items()
            if a in self._positions
            for b in others
            if b in self._positions
        ]
        rows = np.array([a for a, _ in pairs], dtype=np.int64)
        cols = np.array([b for _, b in pairs], dtype=np.int64)
        n = len(self)
        return sparse.csr_array((np.ones(len(pairs)), (rows, cols)), shape=(n, n))

    def _words(
        self, left: sparse.csr_array | None, best: list[tuple[np.ndarray, np.ndarray]]
    ) -> list[tuple[str, ...]]:
        """Top shared terms of each chosen pair; ``left`` holds the first incident's rows.

        One element-wise product of the pairs' text rows gives every term's contribution to
        the text cosine, and one sort ranks them within each pair.
        """
        columns = np.concatenate([c for c, _ in best]) if best else np.empty(0, np.int64)
        if left is None or not len(columns):
            return [() for _ in columns]
        contributions = left.multiply(self._blocks["text"].matrix[columns]).tocsr()
        order = np.lexsort((contributions.indices, -contributions.data, _row_ids(contributions)))
        ranked = contributions.indices[order].tolist()  # per pair, largest contribution first
        bounds = contributions.indptr.tolist()
        return [self._pick_words(ranked[bounds[p] : bounds[p + 1]]) for p in range(len(columns))]

    def _pick_words(self, ranked: list[int]) -> tuple[str, ...]:
        """The first ``REASON_WORDS`` of ``ranked`` terms; a compound term hides its parts."""
        terms = self._blocks["text"].terms
        chosen: list[str] = []
        hidden: set[str] = set()
        for index in ranked:
            term = terms[index]
            if term in hidden:
                continue
            if parts := self._parts[index]:
                hidden |= parts
                chosen = [shown for shown in chosen if shown not in parts]
            chosen.append(term)
            if len(chosen) == REASON_WORDS:
                break
        return tuple(chosen)

    def _similar(
        self,
        profile: IncidentProfile,
        columns: np.ndarray,
        values: np.ndarray,
        words: Iterator[tuple[str, ...]],
    ) -> list[Similar]:
        """``Similar`` for each chosen column, taking its shared words from ``words``."""
        similar = []
        for column, value in zip(columns, values, strict=True):
            other = int(column)
            reasons = self._reasons(profile, other, next(words))
            similar.append(Similar(self.profiles[other].id, round(float(value), 6), reasons))
        return similar

    def _reasons(
        self, profile: IncidentProfile, other: int, words: tuple[str, ...]
    ) -> tuple[Reason, ...]:
        """Why ``profile`` resembles indexed incident ``other``, in `ReasonKind` order."""
        target = self.profiles[other]
        reasons = []
        if services := _shared(profile.services, target.services):
            reasons.append(Reason(ReasonKind.SERVICE, services))
        if tags := _shared(profile.tags, target.tags):
            reasons.append(Reason(ReasonKind.FAILURE_MODE, tags))
        theirs = self._factor_keys[other]
        reasons += [
            Reason(ReasonKind.FACTOR, (factor,))
            for factor in dict.fromkeys(profile.factors)
            if normalise_factor(factor) in theirs
        ]
        if words:
            reasons.append(Reason(ReasonKind.WORDS, words))
        return tuple(reasons)


def _parts(term: str) -> frozenset[str]:
    """The words a compound term is made of, as written and as terms; empty for a word."""
    parts = _SEPARATOR.split(term)
    return frozenset((*parts, *map(_stem, parts))) if len(parts) > 1 else frozenset()


def _block_names(weights: Weights) -> list[str]:
    names = ("text", "services", "tags", "factors", "factor_categories")
    return [name for name in names if getattr(weights, name) > 0]


def _shared(mine: Sequence[str], theirs: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(item for item in mine if item in theirs))


def _best(scores: np.ndarray, k: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Per row, columns and values of the ``k`` highest positive scores: score desc, then column.

    ``argpartition`` finds the k-th best score of each row; only rows where several columns
    tie at that score, or with fewer than k positive scores, are resolved column by column.
    """
    k = min(k, scores.shape[1])
    if k <= 0:
        return [(np.empty(0, np.int64), np.empty(0)) for _ in range(scores.shape[0])]
    top = np.argpartition(-scores, k - 1, axis=1)[:, :k]
    threshold = np.take_along_axis(scores, top, axis=1).min(axis=1)
    ties = (scores >= threshold[:, None]).sum(axis=1) > k
    best = []
    for i, row in enumerate(scores):
        if threshold[i] <= 0:
            columns = np.flatnonzero(row > 0)
        elif ties[i]:
            columns = np.flatnonzero(row >= threshold[i])
        else:
            columns = top[i]
        columns = columns[np.lexsort((columns, -row[columns]))[:k]]
        best.append((columns, row[columns]))
    return best
