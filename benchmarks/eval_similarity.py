"""Evaluate similar incidents on real post-mortems that refer to earlier ones.

    python benchmarks/eval_similarity.py [CORPUS_DIR]

Ground truth: the (later, earlier) pairs `corpus.find_references` detects. The index is
built over the whole corpus; for each pair we report the rank of the earlier document among
the later one's similar incidents, then recall@3 and the mean reciprocal rank.

The referring links, quoted titles and dates are cut out of the later document before it
is profiled: otherwise the link text or the shared title alone would make the pair look
similar, and the evaluation would measure the reference rather than the content.
"""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from corpus import Reference, corpus_dir, find_references, load_documents, profile  # noqa: E402
from postmortem_kb.similarity.vectors import Similar, SimilarityIndex  # noqa: E402

CUTOFF = 3


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


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    root = Path(args[0]) if args else corpus_dir()
    if root is None:
        raise SystemExit("corpus not found: pass its directory or set PMKB_CORPUS")
    print(report(evaluate(root)))


if __name__ == "__main__":
    main()
