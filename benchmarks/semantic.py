"""Static word embeddings as a semantic text block, for the evaluation only (`--cv`).

Measured with `eval_similarity.py --cv` and not adopted (see ARCHITECTURE.md, "Similar
incidents"): cross-validation does not choose it. It needs `pip install wordllama`.

wordllama (MIT) ships a 32,000 × 256 token-embedding matrix (`l2_supercat_256`, float16) and
its tokenizer inside the wheel, so nothing is downloaded: this module reads those two files
itself with `tokenizers` and `safetensors` and never calls wordllama's loader, which falls
back to a download when it looks in the wrong folder (0.4.0 looks for `tokenizer/`, the
wheel has `tokenizers/`).

A document's vector is a weighted mean of its tokens' vectors, L2-normalised: `Pooling.IDF`
weighs each token (1 + ln tf) · idf (idf over the documents embedded together, so tokens
every document has weigh little); `Pooling.MEAN` is the plain mean wordllama was trained
with (each occurrence counts once). Everything is
a sum in a fixed order over fixed weights: the same documents always give the same vectors.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

MODEL = "l2_supercat"
DIMENSIONS = 256


class Pooling(StrEnum):
    IDF = "idf"
    MEAN = "mean"


class EmbeddingsUnavailable(RuntimeError):
    """wordllama (the package that ships the weights) is not installed."""


@lru_cache(maxsize=1)
def _model() -> tuple[Any, np.ndarray]:
    """wordllama's tokenizer and token vectors (float32), read once from its wheel's files."""
    spec = find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise EmbeddingsUnavailable("the semantic block needs wordllama (pip install wordllama)")
    from safetensors import safe_open
    from tokenizers import Tokenizer

    root = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / f"{MODEL}_tokenizer_config.json"))
    tokenizer.no_padding()
    tokenizer.no_truncation()
    with safe_open(str(root / "weights" / f"{MODEL}_{DIMENSIONS}.safetensors"), "np") as f:
        vectors = f.get_tensor("embedding.weight").astype(np.float32)
    return tokenizer, vectors


def available() -> bool:
    """Whether the weights are installed."""
    return find_spec("wordllama") is not None


@dataclass(frozen=True)
class EmbeddingBlock:
    """Documents' pooled vectors and the token idf they were weighted with; `transform` embeds
    a new document as `SimilarityIndex.query` would need."""

    idf: np.ndarray | None  # None: plain mean
    matrix: np.ndarray  # documents × DIMENSIONS, rows L2-normalised (zero for no tokens)

    @classmethod
    def build(cls, texts: Sequence[str], pooling: Pooling = Pooling.IDF) -> EmbeddingBlock:
        """Embed ``texts``; with `Pooling.IDF`, the idf of the tokens among them."""
        counts = _token_counts(texts)
        idf = None
        if pooling is Pooling.IDF:
            df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float64)
            idf = np.log1p((len(texts) - df + 0.5) / (df + 0.5))
        return cls(idf, _pool(counts, idf))

    def transform(self, text: str) -> np.ndarray:
        """One new document's row (1 × DIMENSIONS), weighted as at build time."""
        return _pool(_token_counts([text]), self.idf)


def _token_counts(texts: Sequence[str]) -> sparse.csr_array:
    """Documents × vocabulary token counts (the tokenizer lowercases nothing, we do)."""
    tokenizer, vectors = _model()
    encoded = tokenizer.encode_batch([text.lower() for text in texts], add_special_tokens=False)
    ids = [np.asarray(e.ids, np.int64) for e in encoded]
    indptr = np.concatenate(([0], np.cumsum([len(i) for i in ids])))
    counts = sparse.csr_array(
        (np.ones(int(indptr[-1])), np.concatenate([np.empty(0, np.int64), *ids]), indptr),
        shape=(len(texts), vectors.shape[0]),
    )
    counts.sum_duplicates()
    return counts


def _pool(counts: sparse.csr_array, idf: np.ndarray | None) -> np.ndarray:
    """Weighted mean of the token vectors ((1 + ln tf) · idf, or tf without ``idf``),
    L2-normalised, float32."""
    _, vectors = _model()
    data = counts.data if idf is None else (1.0 + np.log(counts.data)) * idf[counts.indices]
    weights = sparse.csr_array((data, counts.indices, counts.indptr), shape=counts.shape)
    pooled = np.asarray(weights @ vectors, dtype=np.float64)
    norms = np.linalg.norm(pooled, axis=1, keepdims=True)
    return (pooled / np.where(norms > 0, norms, 1.0)).astype(np.float32)
