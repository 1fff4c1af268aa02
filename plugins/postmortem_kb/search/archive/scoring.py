"""The archive search's scoring: BM25 without length normalization (``SaturatedTfIdf``), so
that no length is read for each document scored."""

from __future__ import annotations

import math

from whoosh import scoring
from whoosh.matching import Matcher
from whoosh.searching import Searcher


class SaturatedTfIdf(scoring.WeightingModel):
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
    # index.SearchIndex._ranked); Whoosh still asks for max_quality() to simplify matchers.

    def __init__(self, idf: float, max_weight: float) -> None:
        self._idf = idf
        self._max_weight = max_weight

    def _score(self, tf: float) -> float:
        k1 = SaturatedTfIdf.K1
        return self._idf * tf * (k1 + 1) / (tf + k1)

    def score(self, matcher: Matcher) -> float:
        return self._score(matcher.weight())

    def max_quality(self) -> float:
        return self._score(self._max_weight)
