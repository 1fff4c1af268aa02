"""How search scales: `pmkb search`, similar incidents, and the site search in a browser.

    python benchmarks/search_scale.py N [--seed S] [--queries Q] [--rounds R]
        [--no-similar] [--no-site]
    python benchmarks/search_scale.py N --first-index [--project DIR] [--baseline PLUGINS]
        [--runs R] [--phases]

Runs, for N synthetic post-mortems, the three measurements the search issue asks for:

1. `pmkb search` (here): index time and size, incremental update, query p50/p95;
2. all-pairs similar incidents: ``similarity_scale.py N`` (time, peak memory);
3. the site search in Chromium: ``site_search_scale.py N --no-lunr --throttle none``
   (bytes transferred to the first result, latency per keystroke; builds the site, so it
   is the longest part; ``--no-site`` skips it). Its own options (lunr, a slow network,
   ``--keep``/``--reuse``) are for running it on its own.

For `pmkb search`, generates N synthetic post-mortems (``synthetic.write_postmortems``) in a temporary
directory, indexes them with ``postmortem_kb.search.archive`` and reports:

* the time of a full build and the size of the index on disk;
* the time of an incremental update after 1% of the files changed (and of a no-op one);
* p50/p95/max latency of ~200 realistic queries (words, phrases, filters, mixes) on a
  warm index: every query runs once untimed, then ``--rounds`` timed passes; wall clock
  and CPU time, which other load on the machine disturbs less;
* the latency of one query on a freshly opened index (what ``pmkb search`` does, less
  the interpreter's start and imports).

The Markdown parsing here is deliberately minimal (front matter through yaml, markup
stripped by regexes): it measures the index, not a parser.

``--first-index`` measures instead what an engineer waits for: the first ``pmkb search``
of a project of N synthetic post-mortems (``build_scale.make_project``; kept in
``--project DIR`` and reused when DIR exists), its ``.pmkb/search`` removed before each
run: the real command in a child process, with its wall time, CPU seconds (user + system,
of the child and the processes it waits for) and peak memory (``os.wait4``). With
``--baseline PLUGINS`` (e.g. a clone of an older commit's ``plugins`` folder) the same runs
alternate with that code, side by side. ``--phases`` also times, in another child of each
code, parsing every file into search documents and then indexing them, apart.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "plugins"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import build_scale  # noqa: E402
import similarity_scale  # noqa: E402
import site_search_scale  # noqa: E402
from postmortem_kb.search.archive.analysis import SearchDocument  # noqa: E402
from postmortem_kb.search.archive.index import Hit, SearchIndex  # noqa: E402
from synthetic import write_postmortems  # noqa: E402

# yaml.safe_load's loader, in C when libyaml is there (the pure-Python one takes ~5 ms a file).
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.DOTALL)
_SECTION = re.compile(r"^## +(.+?)\s*$", re.MULTILINE)
_MARKUP = (
    (re.compile(r"<!--.*?-->", re.DOTALL), " "),
    (re.compile(r"^!!! *\w+.*$", re.MULTILINE), " "),  # admonition markers
    (re.compile(r"^\|?[\s:|-]+\|?$", re.MULTILINE), " "),  # table separator rows
    (re.compile(r"!?\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links and images
    (re.compile(r"^\s{0,3}(?:#{1,6}|[-*+]|\d+\.)\s+", re.MULTILINE), ""),  # headings, lists
    (re.compile(r"[`*_|]+"), " "),  # code, emphasis, table cells
    (re.compile(r"[ \t]+"), " "),
)


def strip_markdown(text: str) -> str:
    for pattern, replacement in _MARKUP:
        text = pattern.sub(replacement, text)
    return text.strip()


def to_document(path: Path) -> SearchDocument:
    raw = path.read_bytes()
    text = raw.decode("utf-8")
    match = _FRONT_MATTER.match(text)
    if match is None:
        raise ValueError(f"{path}: no front matter")
    meta = yaml.load(match[1], Loader=_LOADER)
    body = text[match.end() :]
    impact = meta.get("impact") or {}
    return SearchDocument(
        id=path.stem,
        path=str(path),
        title=str(meta.get("title", "")),
        summary=str(impact.get("summary") or strip_markdown(_section(body, "Summary"))),
        body=strip_markdown(body),
        services=tuple(meta.get("services") or ()),
        tags=tuple(meta.get("tags") or ()),
        severity=str(meta.get("severity", "")),
        status=str(meta.get("status", "")),
        date=meta["date"],
        factors=tuple(f["description"] for f in meta.get("contributing_factors") or ()),
        fingerprint=hashlib.sha1(raw).hexdigest(),
    )


def _section(body: str, name: str) -> str:
    parts = _SECTION.split(body)
    for title, content in zip(parts[1::2], parts[2::2], strict=True):
        if title == name:
            return content
    return ""


# --------------------------------------------------------------------------- queries

_WORDS = (
    "timeout",
    "timeouts",
    "latency",
    "outage",
    "rollback",
    "deploy",
    "certificate",
    "expired",
    "dns",
    "failover",
    "replication",
    "lag",
    "memory",
    "leak",
    "disk",
    "full",
    "retry",
    "storm",
    "throttling",
    "cache",
    "eviction",
    "kafka",
    "consumer",
    "autoscaling",
    "pool",
    "exhaustion",
    "saturation",
    "corruption",
    "backfill",
    "alert",
    "paging",
    "runbook",
    "misconfiguration",
    "feature",
    "flag",
    "migration",
)
_PHRASES = (
    "connection pool",
    "retry storm",
    "root cause",
    "status page",
    "feature flag",
    "memory leak",
    "certificate expired",
    "disk full",
    "rolled back",
    "first alert",
)


def make_queries(docs: list[SearchDocument], count: int, seed: int) -> list[tuple[str, str]]:
    """``count`` (kind, query) pairs drawn from the corpus vocabulary, as people type them."""
    rng = random.Random(seed)
    makers: dict[str, Callable[[], str]] = {
        "words": lambda: " ".join(rng.sample(_WORDS, rng.randint(1, 3))),
        "title": lambda: " ".join(rng.sample(_title_words(rng.choice(docs)), 2)),
        "phrase": lambda: f'"{_phrase(rng, rng.choice(docs))}"',
        "filters": lambda: " ".join(_filters(rng, rng.choice(docs), rng.randint(1, 2))),
        "mixed": lambda: " ".join(
            [rng.choice(_WORDS), f'"{rng.choice(_PHRASES)}"', *_filters(rng, rng.choice(docs), 1)]
        ),
    }
    kinds = list(makers)
    return [(kind, makers[kind]()) for kind in (kinds[i % len(kinds)] for i in range(count))]


def _title_words(doc: SearchDocument) -> list[str]:
    words = [w for w in re.findall(r"[\w-]+", doc.title.lower()) if len(w) > 3]
    return words if len(words) >= 2 else ["incident", "outage"]


def _phrase(rng: random.Random, doc: SearchDocument) -> str:
    words = re.findall(r"[a-z]{4,}", doc.body.lower())
    start = rng.randrange(len(words) - 2)
    return " ".join(words[start : start + rng.randint(2, 3)])


def _filters(rng: random.Random, doc: SearchDocument, count: int) -> list[str]:
    year = doc.date.year
    options = [
        f"service:{rng.choice(doc.services)}",
        f"severity:{doc.severity}",
        f"date:{year}",
        f"date:{doc.date:%Y-%m}",
        f"date:{year - 1}..{year}",
        f"status:{doc.status}",
    ]
    if doc.tags:
        options.append(f"tag:{rng.choice(doc.tags)}")
    if doc.factors:
        options.append(f"factor:{rng.choice(re.findall(r'[a-z]{5,}', doc.factors[0].lower()))}")
    return rng.sample(options, count)


# --------------------------------------------------------------------------- measuring

T = TypeVar("T")


@dataclass(frozen=True)
class Timing:
    wall: float  # seconds
    cpu: float  # seconds of this process: less disturbed by other load on the machine

    def __str__(self) -> str:
        return f"{self.wall:.2f} s (CPU {self.cpu:.2f} s)"


@dataclass(frozen=True)
class Sample:
    kind: str
    query: str
    timing: Timing
    hits: int


def measure(action: Callable[[], T]) -> tuple[Timing, T]:
    wall, cpu = time.perf_counter(), time.process_time()
    result = action()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu), result


def index_size(directory: Path) -> int:
    return sum(p.stat().st_size for p in directory.iterdir() if p.is_file())


def touch(paths: list[Path], fraction: float, seed: int) -> list[Path]:
    """Append a sentence to ``fraction`` of the files, as an edit would."""
    chosen = random.Random(seed).sample(paths, max(1, round(len(paths) * fraction)))
    for path in chosen:
        with path.open("a", encoding="utf-8") as f:
            f.write("\n- A reviewer added a note about the follow-up meeting.\n")
    return chosen


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def warm_samples(index: SearchIndex, queries: list[tuple[str, str]], rounds: int) -> list[Sample]:
    """Every query once untimed (page cache, stem cache), then ``rounds`` timed passes."""
    for _, query in queries:
        index.search(query)
    samples = []
    for _ in range(rounds):
        for kind, query in queries:
            timing, hits = measure(lambda q=query: index.search(q))
            samples.append(Sample(kind, query, timing, len(hits)))
    return samples


def cold_samples(cache: Path, queries: list[tuple[str, str]]) -> list[Sample]:
    """Open the index, search once, close: what one ``pmkb search`` does (imports aside)."""
    samples = []
    for kind, query in queries:

        def once(q: str = query) -> list[Hit]:
            with SearchIndex(cache) as index:
                return index.search(q)

        timing, hits = measure(once)
        samples.append(Sample(kind, query, timing, len(hits)))
    return samples


def report(title: str, samples: list[Sample], details: bool) -> None:
    wall = [s.timing.wall * 1000 for s in samples]
    cpu = [s.timing.cpu * 1000 for s in samples]
    print(
        f"{title}: {len(samples)} runs; p50 {percentile(wall, 50):.1f} ms, "
        f"p95 {percentile(wall, 95):.1f} ms, max {max(wall):.1f} ms "
        f"(CPU p50 {percentile(cpu, 50):.1f} ms, p95 {percentile(cpu, 95):.1f} ms)"
    )
    if not details:
        return
    by_kind: dict[str, list[float]] = defaultdict(list)
    for sample in samples:
        by_kind[sample.kind].append(sample.timing.wall * 1000)
    for kind, values in by_kind.items():
        print(
            f"  {kind:8} p50 {percentile(values, 50):5.1f} ms  p95 {percentile(values, 95):5.1f} ms"
        )
    empty = sum(1 for s in samples if s.hits == 0) / len(samples)
    print(f"  queries with no hit: {empty:.0%}; slowest:")
    for s in sorted(samples, key=lambda s: -s.timing.wall)[:5]:
        print(f"    {s.timing.wall * 1000:6.1f} ms  {s.hits:2} hits  [{s.kind}] {s.query}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, help="number of post-mortems")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--no-similar", dest="similar", action="store_false")
    parser.add_argument("--no-site", dest="site", action="store_false")
    first = parser.add_argument_group("the first `pmkb search` index (--first-index)")
    first.add_argument("--first-index", action="store_true")
    first.add_argument("--project", type=Path, help="where the project is kept (and reused)")
    first.add_argument("--baseline", type=Path, help="a `plugins` folder of the code to compare")
    first.add_argument("--runs", type=int, default=1, help="runs of each code")
    first.add_argument("--phases", action="store_true", help="also time parsing and indexing")
    args = parser.parse_args()
    if args.first_index:
        first_index(args)
        return

    print(f"== pmkb search (Whoosh), N = {args.n:,}", flush=True)
    pmkb_search(args)
    if args.similar:
        print(f"\n== similar incidents, all pairs, N = {args.n:,}", flush=True)
        similarity_scale.main([str(args.n), "--seed", str(args.seed)])
    if args.site:
        print(f"\n== site search in Chromium, N = {args.n:,}", flush=True)
        site_search_scale.main(
            [str(args.n), "--seed", str(args.seed), "--no-lunr", "--throttle", "none"]
        )


def pmkb_search(args: argparse.Namespace) -> None:

    with tempfile.TemporaryDirectory(prefix="pmkb-search-") as tmp:
        source, cache = Path(tmp, "postmortems"), Path(tmp, "index")
        timing, paths = measure(lambda: write_postmortems(source, args.n, args.seed))
        print(f"generated {args.n} post-mortems in {timing}")
        timing, docs = measure(lambda: [to_document(p) for p in paths])
        body_kb = statistics.mean(len(d.body) for d in docs) / 1000
        print(f"parsed in {timing}; mean body {body_kb:.1f} kB of plain text")

        with SearchIndex(cache) as index:
            timing, stats = measure(lambda: index.update(docs))
            size = index_size(cache)
            print(f"full build: {timing}; {stats}")
            print(f"index size: {size / 1e6:.1f} MB ({size / args.n / 1000:.1f} kB per document)")

            touched = touch(paths, 0.01, args.seed)
            docs = [to_document(p) for p in paths]
            timing, stats = measure(lambda: index.update(docs))
            print(f"incremental update, {len(touched)} files changed: {timing}; {stats}")
            timing, stats = measure(lambda: index.update(docs))
            print(f"no-op update: {timing}; {stats}")

            queries = make_queries(docs, args.queries, args.seed)
            report("warm queries", warm_samples(index, queries, args.rounds), details=True)
        report("cold (open, search, close)", cold_samples(cache, queries[::10]), details=False)
    # Wall-clock figures suffer when other processes compete for the CPUs; CPU time less.
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (last minute)")


# --------------------------------------------------------------------------- first index

OURS = Path(__file__).resolve().parents[1] / "plugins"
# Run in a child with the code under test on its path: parsing, then indexing, timed apart.
_PHASES = """
import json, sys, tempfile, time
from pathlib import Path
from postmortem_kb.format.archive import display_path, find_postmortem_files
from postmortem_kb.format.parser import parse_file
from postmortem_kb.search.archive import refresh
from postmortem_kb.search.archive.index import SearchIndex
root = Path(sys.argv[1])
times = {}
clock = lambda: (time.perf_counter(), time.process_time())
start = clock()
docs = []
for path in find_postmortem_files([root / "postmortems"]):
    pm = parse_file(path, display_path(path, root)).postmortem
    docs.append(refresh.search_document(pm, refresh.fingerprint(path.read_bytes())))
parsed = clock()
with tempfile.TemporaryDirectory() as cache, SearchIndex(Path(cache)) as index:
    index.update(docs)
end = clock()
print(json.dumps({"parse": [parsed[0] - start[0], parsed[1] - start[1]],
                  "index": [end[0] - parsed[0], end[1] - parsed[1]]}))
"""


@dataclass(frozen=True)
class ChildRun:
    wall: float  # seconds
    cpu: float  # user + system seconds of the child and what it waited for
    peak_mb: float  # the largest resident set of the child (or of one it waited for)
    output: str


def run_child(command: list[str], plugins: Path, cwd: Path) -> ChildRun:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    env |= {"PYTHONPATH": str(plugins), "NO_MKDOCS_2_WARNING": "1"}
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    assert child.stdout is not None
    output = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: `pmkb search` found nothing
        sys.exit(f"{command} failed in {cwd}")
    return ChildRun(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024, output)


def first_search(project: Path, plugins: Path) -> ChildRun:
    """The first `pmkb search` of `project`, with the code in `plugins`."""
    shutil.rmtree(project / ".pmkb" / "search", ignore_errors=True)
    code = "from postmortem_kb.cli import main; main()"
    command = [sys.executable, "-c", code, "search", "connection", "pool", "-f", "mkdocs.yml"]
    return run_child(command, plugins, project)


def first_index_project(n: int, seed: int, keep: Path | None) -> Path:
    root = keep or Path(tempfile.mkdtemp(prefix="pmkb-first-index-"))
    if not (root / "ours" / "mkdocs.yml").exists():
        inputs = build_scale.snapshot_inputs(root / "inputs")
        build_scale.make_project(root / "ours", inputs, n, seed)
    return root / "ours"


def first_index(args: argparse.Namespace) -> None:
    project = first_index_project(args.n, args.seed, args.project)
    count = len(list((project / "postmortems").glob("*.md")))
    sides = {"ours": OURS} | ({"baseline": args.baseline.resolve()} if args.baseline else {})
    print(f"== first `pmkb search` index, {count:,} post-mortems in {project}", flush=True)
    runs: dict[str, list[ChildRun]] = {name: [] for name in sides}
    for _ in range(args.runs):
        for name, plugins in sides.items():  # alternating, so load hits both alike
            run = first_search(project, plugins)
            runs[name].append(run)
            print(
                f"{name:9} wall {run.wall:7.1f} s  CPU {run.cpu:7.1f} s  "
                f"peak {run.peak_mb:6.0f} MB  (load {os.getloadavg()[0]:.1f})",
                flush=True,
            )
            if args.phases:
                phases = run_child([sys.executable, "-c", _PHASES, str(project)], plugins, project)
                times = json.loads(phases.output)
                print(
                    "          "
                    + "; ".join(f"{k} {w:.1f} s (CPU {c:.1f} s)" for k, (w, c) in times.items()),
                    flush=True,
                )
    for name, done in runs.items():
        wall, cpu = statistics.median(r.wall for r in done), statistics.median(r.cpu for r in done)
        print(
            f"{name:9} median wall {wall:.1f} s, CPU {cpu:.1f} s, peak {max(r.peak_mb for r in done):.0f} MB"
        )
    print(f"machine: {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f} (last minute)")


if __name__ == "__main__":
    main()
