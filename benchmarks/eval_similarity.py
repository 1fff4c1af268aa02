"""Evaluate similar incidents on real post-mortems that refer to earlier ones.

    python benchmarks/eval_similarity.py [CORPUS_DIR]
    python benchmarks/eval_similarity.py --cv [--lexical] [CORPUS_DIR]
    python benchmarks/eval_similarity.py --titles [CORPUS_DIR]

Ground truth: the (later, earlier) pairs `corpus.find_references` detects. The index is
built over the whole corpus; for each pair we report the rank of the earlier document among
the later one's similar incidents, then recall@3 and the mean reciprocal rank.

The referring links, quoted titles and dates are cut out of the later document before it
is profiled: otherwise the link text or the shared title alone would make the pair look
similar, and the evaluation would measure the reference rather than the content.

`--cv` adds weaker positives and chooses parameters without looking at the pairs it scores:

* Groups (`GROUPS`): reports of one organisation about the same failure, found by listing
  the titles (repeated or near-identical titles: dfds' three "All services returning 503 in
  Kubernetes", MoJ's "Prometheus ... DOWN"). Each member is a query; a hit is any other
  member ranked in its top 3, the reciprocal rank that of the first other member. The titles
  of group members are cut from their profiles: the title is what made the group, so
  keeping it would measure the grouping rule, not the content.
* Parameters (`GRID`: terms kept per incident, share of the semantic block of
  `semantic.py`, which needs wordllama; `--lexical` leaves those points out) are chosen by
  leave-one-organisation-out cross-validation: for each organisation, the grid point with
  the best mean of pair MRR and group MRR on the *other* organisations' queries (ties: the
  first in `GRID`, the present defaults first) ranks the held-out organisation's queries.
  The figures reported for "chosen by CV" are those held-out ranks only. Ranking is always
  among all documents of the corpus. Everything is sorted, so the output is deterministic.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from importlib.util import find_spec
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import (  # noqa: E402
    Document,
    Reference,
    corpus_dir,
    find_references,
    load_documents,
    profile,
)
from postmortem_kb.similarity.vectors import (  # noqa: E402
    MAX_TERMS,
    IncidentProfile,
    Similar,
    SimilarityIndex,
    Weights,
)

CUTOFF = 3
_DFDS = "dfds__postmortems/"
_CHIA = "Chia-Network__post-mortem/"
_MOJ = "ministryofjustice__cloud-platform/source/incidents/"
# Same organisation, same failure, by title (listed with `--titles`). Left out on purpose:
# dfds' "returning 404" and "returning 504" (other failures than the 503s), ADSync
# "migration issues" vs "service accounts", Chia's mempool and unfinished_blocks reports
# (one release, different bugs), MoJ's Kibana vs Elasticsearch logging (different titles).
GROUPS: tuple[tuple[str, ...], ...] = (
    tuple(_DFDS + f"PM2021-00{n} - All services returning 503 in Kubernetes" for n in (5, 6, 7)),
    (
        _DFDS + "PM2021-001 - Logs from Kubernetes not shipped to CWL",
        _DFDS + "PM2022-002 -  Logs not shipped to CloudWatch",
        _DFDS + "PM2023-002 - Logs not shipped to CloudWatch",
    ),
    (
        _DFDS + "PM2021-002 - Flux version bump causing component downtime",
        _DFDS + "PM2021-003 - Flux version bump causing component downtime",
    ),
    (
        _DFDS + "PM2020-002 - KIAM service disruption on Hellman",
        _DFDS + "PM2020-009 - KIAM service disruption due to upgrade",
    ),
    (
        _DFDS + "PM2022-004 - Kafka metrics missing from Prometheus",
        _DFDS + "PM2022-007 - Kafka metrics stopped being exported to Prometheus",
    ),
    (
        _DFDS + "PM2022-003 - Two Kuberneste nodes were down",
        _DFDS + "PM2024-001 - Two Kubernetes nodes went into NotReady state",
    ),
    tuple(
        _CHIA + f"{day[:7]}/{day}-EmployeeCompromise"
        for day in ("2021-10-31", "2021-12-15", "2022-01-20")
    ),
    tuple(
        _CHIA + f"{day[:7]}/{day}-Negative-values-allowed-in-settlement_payments"
        for day in ("2023-01-31", "2023-05-08")
    ),
    (
        _MOJ + "2020-09-07-all-users-unable-create-new-ingress-rules",
        _MOJ + "2021-06-09-unable-to-create-new-ingress-rules",
    ),
    (
        _MOJ + "2021-09-04-pingdom-check-prometheus-down",
        _MOJ + "2022-11-15-prometheus-ekslive-down",
        _MOJ + "2023-07-25-prometheus-on-live-cluster-down",
    ),
    (_MOJ + "2023-11-01-prometheus-restarted", _MOJ + "2024-04-15-prometheus"),
    (
        _MOJ + "2021-07-12-all-ingress-apps-live1-stop-working",
        _MOJ + "2022-03-10-all-ingress-resource-certificate-issue",
    ),
    (
        "usdigitalresponse__univaf/docs/incidents/2021-06-03--database-full",
        "usdigitalresponse__univaf/docs/incidents/2021-06-11--database-low",
    ),
)


@dataclass(frozen=True)
class PairResult:
    reference: Reference
    rank: int | None  # 1-based; None when the earlier document scores 0
    found: Similar | None
    neighbours: tuple[Similar, ...]  # the later document's top CUTOFF


@dataclass(frozen=True)
class Evaluation:
    documents: int
    pairs: tuple[PairResult, ...]

    @property
    def recall(self) -> float:
        """Share of pairs whose earlier document is in the later one's top ``CUTOFF``."""
        hits = sum(1 for p in self.pairs if p.rank is not None and p.rank <= CUTOFF)
        return hits / len(self.pairs) if self.pairs else 0.0

    @property
    def mrr(self) -> float:
        ranks = [1 / p.rank if p.rank else 0.0 for p in self.pairs]
        return sum(ranks) / len(ranks) if ranks else 0.0


def evaluate(root: Path) -> Evaluation:
    """Index every document of ``root`` (mentions stripped) and rank each reference."""
    documents = load_documents(root)
    references = find_references(documents)
    mentions: dict[str, list[str]] = defaultdict(list)
    for reference in references:
        mentions[reference.later] += reference.mentions
    index = SimilarityIndex.build(profile(d, mentions.get(d.id, ())) for d in documents)
    ranked = index.top_k(k=len(documents))
    pairs = []
    for reference in references:
        similar = ranked[reference.later]
        position = next((i for i, s in enumerate(similar) if s.id == reference.earlier), None)
        pairs.append(
            PairResult(
                reference=reference,
                rank=None if position is None else position + 1,
                found=None if position is None else similar[position],
                neighbours=tuple(similar[:CUTOFF]),
            )
        )
    return Evaluation(documents=len(documents), pairs=tuple(pairs))


def report(evaluation: Evaluation) -> str:
    lines = [
        f"{evaluation.documents} documents, {len(evaluation.pairs)} reference pairs "
        "(referring links, titles and dates stripped from the later document)",
        "",
    ]
    for pair in evaluation.pairs:
        ref = pair.reference
        rank = "not ranked" if pair.rank is None else f"rank {pair.rank}"
        lines.append(f"{ref.later}\n  -> {ref.earlier}")
        lines.append(f"     found by: {', '.join(ref.kinds)}; {rank}")
        if pair.found:
            lines.append(f"     score {pair.found.score:.3f}: {pair.found.describe()}")
        if pair.rank != 1:
            for neighbour in pair.neighbours:
                lines.append(f"     above/near: {neighbour.score:.3f} {neighbour.id}")
        lines.append("")
    lines.append(f"recall@{CUTOFF}: {evaluation.recall:.3f}")
    lines.append(f"MRR:      {evaluation.mrr:.3f}")
    return "\n".join(lines)


@dataclass(frozen=True)
class Params:
    """What cross-validation chooses: terms kept per incident, share of the semantic block."""

    max_terms: int = MAX_TERMS
    semantic: float = 0.0
    pooling: str = "idf"  # semantic.Pooling: "idf" or "mean"

    def weights(self) -> Weights:
        # The corpus has no services, tags or factors: text and semantic share the score.
        return Weights(
            text=1.0 - self.semantic,
            services=0.0,
            tags=0.0,
            factors=0.0,
            factor_categories=0.0,
            semantic=self.semantic,
        )

    def describe(self) -> str:
        pooling = f" ({self.pooling})" if self.semantic else ""
        return f"max_terms={self.max_terms} semantic={self.semantic:g}{pooling}"


DEFAULT = Params()
GRID: tuple[Params, ...] = (
    DEFAULT,
    *(
        Params(terms, share, pooling)
        for terms in (60, 120, 240)
        for share in (0.0, 0.1, 0.2, 0.3, 0.5)
        for pooling in (("idf", "mean") if share else ("idf",))
        if Params(terms, share, pooling) != DEFAULT
    ),
)

LEXICAL_GRID = tuple(params for params in GRID if not params.semantic)


@dataclass(frozen=True)
class Query:
    """One ranking to score: ``source``'s similar incidents should list one of ``relevant``."""

    kind: str  # "pair" (author-linked) or "group" (same failure by title)
    archive: str
    source: str
    relevant: frozenset[str]


@dataclass(frozen=True)
class Figures:
    queries: int
    recall: float
    mrr: float

    @classmethod
    def of(cls, ranks: Sequence[int | None]) -> Figures:
        if not ranks:
            return cls(0, 0.0, 0.0)
        hits = sum(1 for rank in ranks if rank is not None and rank <= CUTOFF)
        mrr = sum(1 / rank if rank else 0.0 for rank in ranks) / len(ranks)
        return cls(len(ranks), hits / len(ranks), mrr)

    def describe(self) -> str:
        return f"recall@{CUTOFF} {self.recall:.3f}  MRR {self.mrr:.3f}  ({self.queries} queries)"


def queries(documents: Sequence[Document], references: Sequence[Reference]) -> list[Query]:
    """The author-linked pairs, then every member of every group."""
    archive = {d.id: d.archive for d in documents}
    found = [Query("pair", archive[r.later], r.later, frozenset({r.earlier})) for r in references]
    for group in GROUPS:
        missing = sorted(set(group) - set(archive))
        if missing:
            raise SystemExit(f"group member not in the corpus: {missing[0]}")
        for member in group:
            found.append(Query("group", archive[member], member, frozenset(group) - {member}))
    return found


def _profiles(
    documents: Sequence[Document], references: Sequence[Reference], without_titles: Iterable[str]
) -> list[IncidentProfile]:
    mentions: dict[str, list[str]] = defaultdict(list)
    for reference in references:
        mentions[reference.later] += reference.mentions
    untitled = set(without_titles)
    profiles = [profile(d, mentions.get(d.id, ())) for d in documents]
    return [replace(p, title="") if p.id in untitled else p for p in profiles]


def rank_all(
    documents: Sequence[Document],
    references: Sequence[Reference],
    found: Sequence[Query],
    grid: Sequence[Params],
) -> dict[Params, list[int | None]]:
    """For each grid point, each query's rank of its first relevant document (None: none
    scores above 0).

    Pairs are ranked in an index with the referring mentions cut; groups in one where the
    group members' titles are cut too. Per view, the text scores come from
    `SimilarityIndex` (text block only) once per ``max_terms``; the semantic block's cosines
    are added as ``(1 - s) text + s semantic``, as a sixth block of the index would be.
    """
    members = {member for group in GROUPS for member in group}
    table: dict[Params, list[int | None]] = {params: [None] * len(found) for params in grid}
    for kind, untitled in (("pair", set()), ("group", members)):
        profiles = sorted(_profiles(documents, references, untitled), key=lambda p: p.id)
        position = {p.id: i for i, p in enumerate(profiles)}
        semantic = {
            pooling: _semantic_scores(profiles, pooling)
            for pooling in sorted({params.pooling for params in grid if params.semantic})
        }
        text = {
            terms: _text_scores(profiles, position, terms)
            for terms in sorted({params.max_terms for params in grid})
        }
        for params in grid:
            scores = (1.0 - params.semantic) * text[params.max_terms]
            if params.semantic:
                scores = scores + params.semantic * semantic[params.pooling]
            np.fill_diagonal(scores, -np.inf)
            for i, query in enumerate(found):
                if query.kind == kind:
                    table[params][i] = _rank(scores[position[query.source]], query, position)
    return table


def _text_scores(
    profiles: Sequence[IncidentProfile], position: Mapping[str, int], max_terms: int
) -> np.ndarray:
    """All pair scores of the present method (text block), as a dense matrix."""
    weights = Weights(text=1.0, services=0.0, tags=0.0, factors=0.0, factor_categories=0.0)
    index = SimilarityIndex.build(profiles, weights, max_terms)
    scores = np.zeros((len(profiles), len(profiles)))
    for source, similar in index.top_k(k=len(profiles)).items():
        for hit in similar:
            scores[position[source], position[hit.id]] = hit.score
    return scores


def _semantic_scores(profiles: Sequence[IncidentProfile], pooling: str) -> np.ndarray:
    from semantic import EmbeddingBlock, Pooling

    texts = [f"{p.title}\n{p.text}" for p in profiles]
    matrix = EmbeddingBlock.build(texts, Pooling(pooling)).matrix
    return (matrix @ matrix.T).astype(np.float64)


def _rank(row: np.ndarray, query: Query, position: Mapping[str, int]) -> int | None:
    """1-based rank of the best relevant document in ``row`` (ties: lower position first)."""
    best = max(query.relevant, key=lambda i: (row[position[i]], -position[i]))
    value, column = row[position[best]], position[best]
    if value <= 0:
        return None
    ahead = np.flatnonzero(row > value).size + np.flatnonzero(row[:column] == value).size
    return int(ahead) + 1


def _objective(ranks: Sequence[int | None], found: Sequence[Query], keep: Callable) -> float:
    """Mean of pair MRR and group MRR over the queries ``keep`` accepts (those present)."""
    mrrs = []
    for kind in ("pair", "group"):
        chosen = [r for r, q in zip(ranks, found, strict=True) if q.kind == kind and keep(q)]
        if chosen:
            mrrs.append(Figures.of(chosen).mrr)
    return sum(mrrs) / len(mrrs) if mrrs else 0.0


@dataclass(frozen=True)
class CrossValidation:
    queries: tuple[Query, ...]
    default_ranks: tuple[int | None, ...]
    held_out_ranks: tuple[int | None, ...]
    chosen: Mapping[str, Params]  # held-out organisation -> parameters chosen without it
    overall: Params  # chosen on every organisation: what a default would be
    table: Mapping[Params, Sequence[int | None]]  # every grid point's ranks

    def figures(self, kind: str, ranks: Sequence[int | None]) -> Figures:
        return Figures.of([r for r, q in zip(ranks, self.queries, strict=True) if q.kind == kind])


def cross_validate(root: Path, grid: Sequence[Params] = GRID) -> CrossValidation:
    """Leave-one-organisation-out choice of ``grid`` parameters, scored on held-out queries."""
    documents = load_documents(root)
    references = find_references(documents)
    found = queries(documents, references)
    table = rank_all(documents, references, found, grid)
    archives = sorted({q.archive for q in found})

    def best(keep: Callable[[Query], bool]) -> Params:
        scores = [_objective(table[params], found, keep) for params in grid]
        return grid[scores.index(max(scores))]

    chosen = {held: best(_other_than(held)) for held in archives}
    held_out = tuple(table[chosen[q.archive]][i] for i, q in enumerate(found))
    return CrossValidation(
        queries=tuple(found),
        default_ranks=tuple(table[DEFAULT]),
        held_out_ranks=held_out,
        chosen=chosen,
        overall=best(lambda q: True),
        table=table,
    )


def _other_than(archive: str) -> Callable[[Query], bool]:
    return lambda query: query.archive != archive


def cv_report(result: CrossValidation) -> str:
    lines = [f"grid: {len(result.table)} parameter sets; default {DEFAULT.describe()}", ""]
    for held, params in result.chosen.items():
        lines.append(f"without {held}: {params.describe()}")
    lines.append(f"on every organisation: {result.overall.describe()}")
    lines.append("")
    for kind, label in (("pair", "author-linked pairs"), ("group", "same-failure groups")):
        lines.append(f"{label}:")
        lines.append(f"  present defaults: {result.figures(kind, result.default_ranks).describe()}")
        lines.append(
            f"  chosen by CV:     {result.figures(kind, result.held_out_ranks).describe()}"
        )
    lines.append("")
    lines.append("every grid point on every query (in-sample, for reference only):")
    for params, ranks in result.table.items():
        pairs, groups = result.figures("pair", ranks), result.figures("group", ranks)
        lines.append(
            f"  {params.describe():28} pairs {pairs.recall:.3f}/{pairs.mrr:.3f}"
            f"  groups {groups.recall:.3f}/{groups.mrr:.3f}"
        )
    lines.append("")
    lines.append("misses (held-out rank > 3):")
    for query, before, after in zip(
        result.queries, result.default_ranks, result.held_out_ranks, strict=True
    ):
        if after is None or after > CUTOFF:
            lines.append(f"  {query.kind} {query.source}: default {before}, CV {after}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    flags = {a for a in args if a.startswith("--")}
    args = [a for a in args if not a.startswith("--")]
    root = Path(args[0]) if args else corpus_dir()
    if root is None:
        raise SystemExit("corpus not found: pass its directory or set PMKB_CORPUS")
    if "--titles" in flags:
        for document in load_documents(root):
            print(f"{document.date}  {document.title}  [{document.id}]")
    elif "--cv" in flags:
        grid = LEXICAL_GRID if "--lexical" in flags else GRID
        if grid is GRID and find_spec("wordllama") is None:
            raise SystemExit(
                "the semantic grid points need wordllama: pip install it or pass --lexical"
            )
        print(cv_report(cross_validate(root, grid)))
    else:
        print(report(evaluate(root)))


if __name__ == "__main__":
    main()
