"""Time similar-incident computation on N synthetic post-mortems.

    python benchmarks/similarity_scale.py N [--k 5] [--seed 0]

Writes N documents with `synthetic.write_postmortems` into a temporary directory, reads
them back with a minimal parser (front matter through the safe YAML loader, body split on
``## `` headings; the project's real parser is not used so this benchmark measures
similarity only), then times vectorising and the all-pairs top k separately (wall clock, and CPU
time, which other load on the machine disturbs less) and reports peak memory
(``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from postmortem_kb.similarity.vectors import IncidentProfile, SimilarityIndex  # noqa: E402
from synthetic import write_postmortems  # noqa: E402

TEXT_SECTIONS = ("Summary", "Timeline", "Root cause", "Contributing factors")
# yaml.safe_load's loader, in C when libyaml is there (the pure-Python one takes ~5 ms a file).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_profile(path: Path) -> IncidentProfile:
    """Profile of one synthetic post-mortem (front matter + the sections similarity uses)."""
    _, front, body = path.read_text(encoding="utf-8").split("---\n", 2)
    meta = yaml.load(front, Loader=_LOADER)
    sections = {}
    for chunk in body.split("\n## ")[1:]:
        heading, _, text = chunk.partition("\n")
        sections[heading.strip()] = text
    factors = meta.get("contributing_factors") or []
    return IncidentProfile(
        id=path.stem,
        title=meta["title"],
        text="\n".join(sections.get(name, "") for name in TEXT_SECTIONS),
        services=tuple(meta.get("services") or ()),
        tags=tuple(meta.get("tags") or ()),
        factor_categories=tuple(f["category"] for f in factors),
        factors=tuple(f["description"] for f in factors),
    )


def peak_memory_mb() -> float:
    """Peak resident set size of this process (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Time similar incidents on synthetic data.")
    parser.add_argument("n", type=int)
    parser.add_argument("--k", type=int, default=5)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        paths = write_postmortems(Path(tmp), args.n, args.seed)
        generated = time.perf_counter()
        profiles = [read_profile(path) for path in paths]
        parsed = time.perf_counter()
    memory_before = peak_memory_mb()
    cpu_began = time.process_time()
    index = SimilarityIndex.build(profiles)
    built, cpu_built = time.perf_counter(), time.process_time()
    similar = index.top_k(k=args.k)
    done, cpu_done = time.perf_counter(), time.process_time()

    print(f"documents:          {args.n}")
    print(f"generate:           {generated - began:7.2f} s")
    print(f"parse:              {parsed - generated:7.2f} s")
    print(f"vectorise:          {built - parsed:7.2f} s   ({cpu_built - cpu_began:.2f} s CPU)")
    print(f"all-pairs top-{args.k}:    {done - built:7.2f} s   ({cpu_done - cpu_built:.2f} s CPU)")
    print(f"vectorise + top-k:  {done - parsed:7.2f} s   ({cpu_done - cpu_began:.2f} s CPU)")
    print(
        f"peak memory:        {peak_memory_mb():7.0f} MB (before indexing {memory_before:.0f} MB)"
    )
    sample = profiles[len(profiles) // 2].id
    print(f"\nexample: {sample}")
    for hit in similar[sample]:
        print(f"  {hit.score:.3f} {hit.id}\n        {hit.describe()}")


if __name__ == "__main__":
    main()
