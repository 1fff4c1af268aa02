"""How the site build scales with the number of post-mortems.

    python benchmarks/build_scale.py N [N ...] [--runs K] [--seed S] [--keep DIR]
                                     [--strict] [--profile FILE] [--learning]

For each N: writes N synthetic post-mortems (``synthetic.write_postmortems``) into a temp
project made like the repository's (its ``mkdocs.yml``, ``custom_dir`` and docs folder;
``postmortems/`` replaced by the generated files; a stub page for any runbook the
generator names that the docs folder lacks), runs ``mkdocs build`` in a child process
``--runs`` times and reports:

* build wall-clock seconds (median), seconds per HTML page and per post-mortem, and the
  build's CPU seconds (user + system; steadier than wall time on a shared machine);
* peak memory of the build (the child's max RSS, from ``os.wait4``'s rusage: the same
  figure as ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``, but for that build only; on
  Linux it covers the processes the build itself ran and waited for, and so do the CPU
  seconds);
* the largest HTML page and which it is, and separately the largest post-mortem page
  (``postmortems/<id>/``), the largest index page (``incidents/...``) and the largest
  other page (home, severity, runbooks...);
* total site size, Material's ``search/search_index.json`` and the site search's index
  (``pmkb-search/``).

With several N it also prints the growth from the smallest to the largest N: the build-time
ratio (linear growth: the ratio of the Ns; target 5,000/1,000 below 6) and how the largest
post-mortem and "other" pages grew (target: no page grows with N except index pages, which
paginate). A readable table goes to stdout, then one JSON line per N (and one for the
growth, one for the provenance: commit, dirty tree, plugin folder, versions), prefixed
``JSON``.

The plugin is imported from wherever ``postmortem_kb`` resolves (the editable install
points at this checkout's ``plugins/``). To measure a commit while others edit the tree,
clone it and run the clone's script with ``PYTHONPATH=<clone>/plugins``.

``--learning`` builds each N also with the option ``learning_pages: false`` (through a
``mkdocs.off.yml`` that INHERITs the project's), the two alternating run by run, and reports
the cost of the Learning pages (dashboard, ledger, recurrence, digests, feed) side by side:
wall and CPU seconds with and without them, and how many pages and bytes they add. Target:
at most +10% at 3,000 post-mortems.

``--profile FILE`` runs the (last) build of the largest N under ``cProfile`` and writes
the stats to FILE (read them with ``python -m pstats FILE``); its timings are then not
representative, so the profiled run is not counted.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml
from synthetic import write_postmortems

REPO = Path(__file__).resolve().parent.parent
MB = 1024 * 1024


# --- the temp project ------------------------------------------------------------------------


class _AnyTagLoader(yaml.SafeLoader):
    """Reads mkdocs.yml even when it holds `!!python/name:` or `!ENV` tags."""


def _any_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_AnyTagLoader.add_multi_constructor("", _any_tag)


def _plugin_options(config: dict[str, Any]) -> dict[str, Any]:
    for entry in config.get("plugins") or []:
        if isinstance(entry, dict) and "postmortems" in entry:
            return dict(entry["postmortems"] or {})
    return {}


def snapshot_inputs(dest: Path) -> Path:
    """Copy the repository's mkdocs.yml (and INHERIT), docs folder, overrides and hooks.

    Taken once per invocation, so every N builds the same pages even while the repository's
    content is being edited.
    """
    config_text = (REPO / "mkdocs.yml").read_text(encoding="utf-8")
    config = yaml.load(config_text, Loader=_AnyTagLoader) or {}
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "mkdocs.yml").write_text(config_text, encoding="utf-8")
    if "INHERIT" in config:
        shutil.copy2(REPO / config["INHERIT"], dest / config["INHERIT"])
    docs_dir = config.get("docs_dir", "docs")
    if (REPO / docs_dir).is_dir():
        shutil.copytree(REPO / docs_dir, dest / docs_dir)
    else:
        (dest / docs_dir).mkdir()
        (dest / docs_dir / "index.md").write_text("# Home\n", encoding="utf-8")
    custom_dir = (config.get("theme") or {}).get("custom_dir")
    if custom_dir and (REPO / custom_dir).is_dir():
        shutil.copytree(REPO / custom_dir, dest / custom_dir)
    for hook in config.get("hooks") or []:
        (dest / hook).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / hook, dest / hook)
    return dest


def make_project(root: Path, inputs: Path, n: int, seed: int) -> tuple[Path, list[str]]:
    """A copy of `inputs` (see `snapshot_inputs`) with N synthetic post-mortems.

    Returns the post-mortems folder and the runbooks for which a stub page was written.
    """
    shutil.copytree(inputs, root, dirs_exist_ok=True)
    config = yaml.load((root / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    options = _plugin_options(config or {})
    postmortems = root / options.get("postmortems_dir", "postmortems")
    paths = write_postmortems(postmortems, n, seed)
    docs_dir = (config or {}).get("docs_dir", "docs")
    runbooks_dir = root / docs_dir / options.get("runbooks_dir", "runbooks")
    return postmortems, _stub_missing_runbooks(paths, runbooks_dir)


_RUNBOOKS_LINE = re.compile(r"^runbooks:\s*\[(.*)\]\s*$", re.MULTILINE)


def _stub_missing_runbooks(paths: list[Path], runbooks_dir: Path) -> list[str]:
    wanted: set[str] = set()
    for path in paths:
        front_matter = path.read_text(encoding="utf-8").split("\n---\n", 1)[0]
        for match in _RUNBOOKS_LINE.finditer(front_matter):
            wanted.update(x.strip().strip("'\"") for x in match.group(1).split(",") if x.strip())
    missing = sorted(rb for rb in wanted if not (runbooks_dir / f"{rb}.md").exists())
    runbooks_dir.mkdir(parents=True, exist_ok=True)
    for runbook in missing:
        title = runbook.replace("-", " ").capitalize()
        (runbooks_dir / f"{runbook}.md").write_text(
            f"# {title}\n\nA stub runbook written by the build benchmark.\n", encoding="utf-8"
        )
    return missing


# --- one build -------------------------------------------------------------------------------


@dataclass
class Build:
    seconds: float
    cpu_seconds: float
    mkdocs_seconds: float | None
    peak_mb: float
    warnings: int
    warning_lines: list[str]
    log: str  # what the build printed


def run_build(
    project: Path,
    site: Path,
    *,
    strict: bool,
    profile: Path | None = None,
    config_file: str | None = None,
) -> Build:
    """`mkdocs build` in a child process (of `config_file` if given); wall time and that
    child's peak RSS."""
    if site.exists():
        shutil.rmtree(site)
    command = [sys.executable]
    if profile is not None:
        command += ["-m", "cProfile", "-o", str(profile)]
    command += ["-m", "mkdocs", "build", "-d", str(site)]
    if config_file:
        command += ["-f", config_file]
    if strict:
        command.append("--strict")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=project, stdout=log, stderr=log, env=env)
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.perf_counter() - start
        child.returncode = os.waitstatus_to_exitcode(status)
        log.seek(0)
        output = log.read()
    if child.returncode != 0:
        sys.exit(f"mkdocs build failed (exit {child.returncode}) in {project}:\n{output[-5000:]}")
    reported = re.search(r"Documentation built in ([\d.]+) seconds", output)
    return Build(
        seconds=seconds,
        cpu_seconds=usage.ru_utime + usage.ru_stime,
        mkdocs_seconds=float(reported.group(1)) if reported else None,
        peak_mb=usage.ru_maxrss / 1024,  # kilobytes on Linux
        warnings=output.count("WARNING"),
        warning_lines=[line for line in output.splitlines() if "WARNING" in line][:5],
        log=output,
    )


# --- the built site --------------------------------------------------------------------------


@dataclass
class Page:
    path: str
    bytes: int


@dataclass
class SiteSizes:
    html_pages: int
    total_bytes: int
    largest: Page | None
    largest_postmortem: Page | None
    largest_index: Page | None
    largest_other: Page | None
    search_index_bytes: int | None
    site_index_bytes: int | None  # pmkb-search/
    site_index_files: int | None


def page_kind(path: str) -> str:
    """`postmortem` (postmortems/...), `index` (incidents/...) or `other`."""
    first = path.split("/", 1)[0]
    return {"postmortems": "postmortem", "incidents": "index"}.get(first, "other")


def measure_site(site: Path) -> SiteSizes:
    total = 0
    largest: dict[str, Page] = {}
    pages = 0
    for dirpath, _, filenames in os.walk(site):
        here = Path(dirpath)
        for name in filenames:
            size = (here / name).stat().st_size
            total += size
            if not name.endswith(".html") or name == "404.html":
                continue
            pages += 1
            rel = (here / name).relative_to(site).as_posix()
            for kind in ("all", page_kind(rel)):
                if kind not in largest or size > largest[kind].bytes:
                    largest[kind] = Page(rel, size)
    search_index = site / "search" / "search_index.json"
    site_index_bytes = site_index_files = None
    if (site / "pmkb-search").is_dir():
        files = [f for f in (site / "pmkb-search").rglob("*") if f.is_file()]
        site_index_bytes, site_index_files = sum(f.stat().st_size for f in files), len(files)
    return SiteSizes(
        html_pages=pages,
        total_bytes=total,
        largest=largest.get("all"),
        largest_postmortem=largest.get("postmortem"),
        largest_index=largest.get("index"),
        largest_other=largest.get("other"),
        search_index_bytes=search_index.stat().st_size if search_index.exists() else None,
        site_index_bytes=site_index_bytes,
        site_index_files=site_index_files,
    )


# --- a run for one N -------------------------------------------------------------------------


@dataclass
class Result:
    n: int
    runs: int
    seconds: float
    seconds_all: list[float]
    cpu_seconds: float
    mkdocs_seconds: float | None
    seconds_per_page: float
    seconds_per_postmortem: float
    peak_mb: float
    warnings: int
    warning_sample: list[str]
    stub_runbooks: list[str]
    sizes: SiteSizes
    profile: str | None = None
    load_average: tuple[float, float, float] = (0.0, 0.0, 0.0)
    learning: LearningCost | None = None


@dataclass
class LearningCost:
    """The same N built without the Learning pages (`learning_pages: false`), beside it."""

    seconds_off: float  # median wall seconds without them
    cpu_seconds_off: float
    seconds_all_off: list[float]
    added_seconds_percent: float  # (with - without) / without
    added_cpu_percent: float
    pages: int  # HTML pages under learning/
    bytes: int  # learning/ and feed.xml


LEARNING_OFF_CONFIG = "mkdocs.off.yml"


def write_learning_off_config(project: Path) -> str:
    """A config that is the project's with `learning_pages: false` (MkDocs merges the
    INHERITed `plugins` mapping key by key)."""
    (project / LEARNING_OFF_CONFIG).write_text(
        "INHERIT: mkdocs.yml\nplugins:\n  postmortems:\n    learning_pages: false\n",
        encoding="utf-8",
    )
    return LEARNING_OFF_CONFIG


def learning_size(site: Path) -> tuple[int, int]:
    """HTML pages under `learning/`, and the bytes of `learning/` and `feed.xml`."""
    files = [f for f in (site / "learning").rglob("*") if f.is_file()]
    feed = site / "feed.xml"
    extra = feed.stat().st_size if feed.exists() else 0
    return sum(f.suffix == ".html" for f in files), sum(f.stat().st_size for f in files) + extra


def measure(
    n: int,
    inputs: Path,
    *,
    runs: int,
    seed: int,
    strict: bool,
    keep: Path | None,
    profile: Path | None,
    learning: bool = False,
) -> Result:
    with tempfile.TemporaryDirectory(prefix=f"pmkb-build-{n}-") as tmp:
        project = Path(tmp) / "project"
        _, stubs = make_project(project, inputs, n, seed)
        site = project / "site-out"
        off_config = write_learning_off_config(project) if learning else None
        builds, builds_off = [], []
        for _ in range(runs):  # alternating, so both see the same load on a shared machine
            builds.append(run_build(project, site, strict=strict))
            if off_config:
                off_site = project / "site-off"
                builds_off.append(
                    run_build(project, off_site, strict=strict, config_file=off_config)
                )
        sizes = measure_site(site)
        if builds_off and (project / "site-off" / "learning").exists():
            sys.exit(f"{off_config} did not turn the Learning pages off")
        cost = _learning_cost(builds, builds_off, site) if builds_off else None
        if keep is not None:
            if keep.exists():
                shutil.rmtree(keep)
            shutil.copytree(site, keep)
        if profile is not None:
            run_build(project, project / "site-profile", strict=strict, profile=profile)
    seconds = statistics.median(b.seconds for b in builds)
    reported = [b.mkdocs_seconds for b in builds if b.mkdocs_seconds is not None]
    return Result(
        n=n,
        runs=runs,
        seconds=seconds,
        seconds_all=[round(b.seconds, 3) for b in builds],
        cpu_seconds=statistics.median(b.cpu_seconds for b in builds),
        mkdocs_seconds=statistics.median(reported) if reported else None,
        seconds_per_page=seconds / max(sizes.html_pages, 1),
        seconds_per_postmortem=seconds / n if n else 0.0,
        peak_mb=max(b.peak_mb for b in builds),
        warnings=max(b.warnings for b in builds),
        warning_sample=max((b.warning_lines for b in builds), key=len),
        stub_runbooks=stubs,
        sizes=sizes,
        profile=str(profile) if profile else None,
        load_average=os.getloadavg(),
        learning=cost,
    )


def _learning_cost(on: list[Build], off: list[Build], site: Path) -> LearningCost:
    seconds, cpu = (
        statistics.median(b.seconds for b in on),
        statistics.median(b.cpu_seconds for b in on),
    )
    seconds_off = statistics.median(b.seconds for b in off)
    cpu_off = statistics.median(b.cpu_seconds for b in off)
    pages, size = learning_size(site)
    return LearningCost(
        seconds_off=seconds_off,
        cpu_seconds_off=cpu_off,
        seconds_all_off=[round(b.seconds, 3) for b in off],
        added_seconds_percent=round((seconds - seconds_off) / seconds_off * 100, 1),
        added_cpu_percent=round((cpu - cpu_off) / cpu_off * 100, 1),
        pages=pages,
        bytes=size,
    )


# --- reporting -------------------------------------------------------------------------------


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    if n >= MB:
        return f"{n / MB:.1f} MB"
    return f"{n / 1024:.1f} KB"


def _page(page: Page | None) -> str:
    return "-" if page is None else f"{_size(page.bytes)}  {page.path}"


def print_table(results: list[Result]) -> None:
    rows: list[tuple[str, ...]] = [("", *(f"N={r.n:,}" for r in results))]

    def row(label: str, fn: Any) -> None:
        rows.append((label, *(fn(r) for r in results)))

    row("runs", lambda r: str(r.runs))
    row("build (median wall s)", lambda r: f"{r.seconds:.2f}")
    row("build (median CPU s)", lambda r: f"{r.cpu_seconds:.2f}")
    row("build (mkdocs' own s)", lambda r: f"{r.mkdocs_seconds:.2f}" if r.mkdocs_seconds else "-")
    row("HTML pages", lambda r: f"{r.sizes.html_pages:,}")
    row("ms per HTML page", lambda r: f"{r.seconds_per_page * 1000:.2f}")
    row("ms per post-mortem", lambda r: f"{r.seconds_per_postmortem * 1000:.2f}")
    row("peak memory", lambda r: f"{r.peak_mb:.0f} MB")
    row("warnings", lambda r: str(r.warnings))
    row("load average (1 min)", lambda r: f"{r.load_average[0]:.1f} on {os.cpu_count()} CPUs")
    row("largest page", lambda r: _page(r.sizes.largest))
    row("largest post-mortem", lambda r: _page(r.sizes.largest_postmortem))
    row("largest index page", lambda r: _page(r.sizes.largest_index))
    row("largest other page", lambda r: _page(r.sizes.largest_other))
    row("site size", lambda r: _size(r.sizes.total_bytes))
    row("search_index.json", lambda r: _size(r.sizes.search_index_bytes))
    row(
        "pmkb-search/",
        lambda r: (
            "-"
            if r.sizes.site_index_bytes is None
            else f"{_size(r.sizes.site_index_bytes)} in {r.sizes.site_index_files} files"
        ),
    )
    row("stub runbooks", lambda r: ", ".join(r.stub_runbooks) or "-")
    if any(r.learning for r in results):

        def cost(r: Result, text: Any) -> str:
            return text(r.learning) if r.learning else "-"

        row("without Learning (wall s)", lambda r: cost(r, lambda c: f"{c.seconds_off:.2f}"))
        row("without Learning (CPU s)", lambda r: cost(r, lambda c: f"{c.cpu_seconds_off:.2f}"))
        row(
            "Learning adds (wall / CPU)",
            lambda r: cost(
                r, lambda c: f"{c.added_seconds_percent:+.1f}% / {c.added_cpu_percent:+.1f}%"
            ),
        )
        row(
            "Learning pages",
            lambda r: cost(r, lambda c: f"{c.pages:,} pages, {_size(c.bytes)} (with feed.xml)"),
        )
    widths = [max(len(cells[i]) for cells in rows) for i in range(len(rows[0]))]
    for cells in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)))


def growth(results: list[Result]) -> dict[str, Any] | None:
    """From the smallest to the largest N: time ratio and per-page size growth."""
    if len(results) < 2:
        return None
    small, large = min(results, key=lambda r: r.n), max(results, key=lambda r: r.n)

    def ratio(a: Page | None, b: Page | None) -> float | None:
        return round(b.bytes / a.bytes, 3) if a and b else None

    return {
        "n_ratio": large.n / small.n,
        "time_ratio": round(large.seconds / small.seconds, 3),
        "time_target": "below 6 for 5,000/1,000 (linear: the N ratio)",
        "cpu_time_ratio": round(large.cpu_seconds / small.cpu_seconds, 3),
        "seconds_per_postmortem_ratio": round(
            large.seconds_per_postmortem / small.seconds_per_postmortem, 3
        ),
        "largest_postmortem_ratio": ratio(
            small.sizes.largest_postmortem, large.sizes.largest_postmortem
        ),
        "largest_other_ratio": ratio(small.sizes.largest_other, large.sizes.largest_other),
        "largest_index_ratio": ratio(small.sizes.largest_index, large.sizes.largest_index),
        "peak_memory_ratio": round(large.peak_mb / small.peak_mb, 3),
    }


def print_growth(g: dict[str, Any], small: int, large: int) -> None:
    print(f"\ngrowth N={small:,} -> N={large:,} (x{g['n_ratio']:g}):")
    print(f"  build time x{g['time_ratio']}  (target below 6 for x5; linear = x{g['n_ratio']:g})")
    print(f"  build CPU time x{g['cpu_time_ratio']}  (steadier than wall time on a busy machine)")
    print(f"  time per post-mortem x{g['seconds_per_postmortem_ratio']}  (linear = x1)")
    print(f"  largest post-mortem page x{g['largest_postmortem_ratio']}  (target x1)")
    print(f"  largest other page x{g['largest_other_ratio']}  (target x1)")
    print(f"  largest index page x{g['largest_index_ratio']}  (paginated: should stay bounded)")
    print(f"  peak memory x{g['peak_memory_ratio']}")


def provenance() -> dict[str, Any]:
    """What was measured: the repository's commit (and whether its tree is dirty), the
    plugin's source folder, and the versions that matter."""
    from importlib.metadata import version

    import postmortem_kb

    def git(*args: str) -> str:
        result = subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, check=False
        )
        return result.stdout.strip()

    return {
        "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        "plugin": str(Path(postmortem_kb.__file__).parent),
        "mkdocs": version("mkdocs"),
        "mkdocs-material": version("mkdocs-material"),
        "python": sys.version.split()[0],
        "cpus": os.cpu_count(),
    }


# --- side by side with plain Material (--compare) --------------------------------------------

PLAIN_DOCS = "docs"
EDIT_MARKER = "Edited by the build benchmark"


def make_plain_project(project: Path, postmortems: Path, plain: Path) -> None:
    """Plain Material over the same files: the project's docs folder with the post-mortems
    in `docs/postmortems/`, Material's own `search` plugin, the same `markdown_extensions`
    (with `md_in_html`, which the plugin adds), the same theme features, no `custom_dir`,
    the post-mortems kept out of the nav (`not_in_nav`), the nav's pages that exist."""
    config = yaml.load((project / "mkdocs.yml").read_text(encoding="utf-8"), Loader=_AnyTagLoader)
    docs = plain / PLAIN_DOCS
    shutil.copytree(project / config.get("docs_dir", "docs"), docs)
    shutil.copytree(postmortems, docs / "postmortems")
    extensions = list(config.get("markdown_extensions") or [])
    if "md_in_html" not in extensions:
        extensions.append("md_in_html")
    theme = {k: v for k, v in (config.get("theme") or {}).items() if k != "custom_dir"}
    plain_config = {
        "site_name": config.get("site_name", "Plain Material"),
        "site_url": config.get("site_url"),
        "docs_dir": PLAIN_DOCS,
        "theme": theme,
        "plugins": ["search"],
        "markdown_extensions": extensions,
        "not_in_nav": "/postmortems/",
        "nav": _existing_nav(config.get("nav") or [], docs),
    }
    (plain / "mkdocs.yml").write_text(yaml.safe_dump(plain_config, sort_keys=False), "utf-8")


def _existing_nav(nav: list[Any], docs: Path) -> list[Any]:
    """`nav` without the entries whose page is not in `docs` (the plugin's generated pages)."""
    kept: list[Any] = []
    for entry in nav:
        title, target = next(iter(entry.items())) if isinstance(entry, dict) else (None, entry)
        if isinstance(target, list):
            target = _existing_nav(target, docs)
            if not target:
                continue
        elif not (docs / str(target)).is_file():
            continue
        kept.append({title: target} if title is not None else target)
    return kept


def edit_postmortem(path: Path, token: str) -> None:
    """Append a paragraph holding `token` to the post-mortem at `path` (its last section)."""
    text = path.read_text(encoding="utf-8").rstrip("\n")
    path.write_text(f"{text}\n\n{EDIT_MARKER}: {token}.\n", encoding="utf-8")


@dataclass
class Preview:
    """`mkdocs serve`: the first build, then the time from saving a post-mortem to its page
    being served with the new text (each edit), and the server's peak memory."""

    dirty: bool
    first_build_seconds: float
    loop_seconds: list[float]
    peak_mb: float
    loop_cpu_seconds: list[float] = field(default_factory=list)  # the server's, each loop

    @property
    def loop(self) -> float:
        return statistics.median(self.loop_seconds)

    @property
    def loop_cpu(self) -> float | None:
        return statistics.median(self.loop_cpu_seconds) if self.loop_cpu_seconds else None


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process `pid` so far, its threads included (Linux
    /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=900) as response:
            return str(response.read().decode("utf-8", "replace"))
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return None


LOGS_VARIABLE = "PMKB_BENCH_LOGS"  # a folder: each `mkdocs serve`'s log is kept there


def preview_loop(project: Path, source: Path, page: str, *, dirty: bool, edits: int = 2) -> Preview:
    """Start `mkdocs serve` in `project`, wait for its first build, then `edits` times:
    append a new sentence to `source`, and poll the page at URL path `page` until it is
    served with it (the server answers a request only once a rebuild is over)."""
    port = _free_port()
    command = [sys.executable, "-m", "mkdocs", "serve", "-a", f"127.0.0.1:{port}"]
    command += ["--dirty"] if dirty else []
    url = f"http://127.0.0.1:{port}/{page}"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        start = time.perf_counter()
        child = subprocess.Popen(command, cwd=project, stdout=log, stderr=log, env=env)
        try:
            while _get(url) is None:
                if child.poll() is not None:
                    log.seek(0)
                    sys.exit(f"mkdocs serve exited in {project}:\n{log.read()[-5000:]}")
                time.sleep(0.2)
            first = time.perf_counter() - start
            loops, cpu = [], []
            for number in range(edits):
                token = f"preview-{number}-{time.time_ns()}"
                edit_postmortem(source, token)
                saved, cpu_before = time.perf_counter(), _cpu_seconds(child.pid)
                while token not in (_get(url) or ""):
                    if time.perf_counter() - saved > 1800:
                        sys.exit(f"{url} did not show the edit within 30 minutes")
                    time.sleep(0.05)
                loops.append(time.perf_counter() - saved)
                cpu.append(_cpu_seconds(child.pid) - cpu_before)
                time.sleep(1.0)  # let the watcher settle before the next edit
        finally:
            child.send_signal(signal.SIGINT)
            try:
                _, _, usage = os.wait4(child.pid, 0)
            except ChildProcessError:
                usage = None
            if os.environ.get(LOGS_VARIABLE):  # the server's log, to see where a rebuild went
                log.seek(0)
                kind = "dirty" if dirty else "clean"
                out = Path(os.environ[LOGS_VARIABLE]) / f"serve-{project.name}-{kind}.log"
                out.write_text(log.read(), encoding="utf-8")
    return Preview(dirty, first, loops, usage.ru_maxrss / 1024 if usage else 0.0, cpu)


@dataclass
class SearchIndexRun:
    seconds: float
    peak_mb: float


def first_search_index(project: Path) -> SearchIndexRun:
    """`pmkb search` with no index yet (`.pmkb/search` removed): the first index's time."""
    shutil.rmtree(project / ".pmkb" / "search", ignore_errors=True)
    pmkb = Path(sys.executable).with_name("pmkb")
    command = [str(pmkb), "search", "connection", "pool"]
    start = time.perf_counter()
    child = subprocess.Popen(
        command, cwd=project, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    _, status, usage = os.wait4(child.pid, 0)
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # 1: no result
        sys.exit(f"pmkb search failed in {project}")
    return SearchIndexRun(time.perf_counter() - start, usage.ru_maxrss / 1024)


@dataclass
class Side:
    """One site (ours or plain Material) through the comparison's steps."""

    cold: list[float]
    cold_cpu: list[float]
    one_change: float
    no_change: float
    peak_mb: float
    previews: list[Preview]

    @property
    def cold_median(self) -> float:
        return statistics.median(self.cold)


@dataclass
class Comparison:
    n: int
    ours: Side
    plain: Side
    search_index: SearchIndexRun | None
    load_average: tuple[float, float, float]


def compare(n: int, inputs: Path, *, runs: int, seed: int, preview: bool) -> Comparison:
    """Ours and plain Material over the same N post-mortems, step by step, alternating so
    both see the same load: cold builds (no `.pmkb/`, no site folder), a build after one
    post-mortem changed, a build with nothing changed, then `mkdocs serve` (plain and
    `--dirty`) with an edit, and the first `pmkb search` index."""
    with tempfile.TemporaryDirectory(prefix=f"pmkb-compare-{n}-") as tmp:
        ours_dir, plain_dir = Path(tmp) / "ours", Path(tmp) / "plain"
        postmortems, _ = make_project(ours_dir, inputs, n, seed)
        make_plain_project(ours_dir, postmortems, plain_dir)
        edited = sorted(postmortems.glob("*.md"))[n // 2]
        sources = {"ours": edited, "plain": plain_dir / PLAIN_DOCS / "postmortems" / edited.name}
        dirs = {"ours": ours_dir, "plain": plain_dir}
        builds: dict[str, list[Build]] = {"ours": [], "plain": []}
        for _ in range(runs):
            for side in ("ours", "plain"):
                shutil.rmtree(dirs[side] / ".pmkb", ignore_errors=True)
                builds[side].append(run_build(dirs[side], dirs[side] / "site-out", strict=False))
        rebuilds: dict[str, list[Build]] = {"ours": [], "plain": []}
        for side in ("ours", "plain"):
            edit_postmortem(sources[side], "one change")
        for side in ("ours", "plain"):
            rebuilds[side].append(run_build(dirs[side], dirs[side] / "site-out", strict=False))
        for side in ("ours", "plain"):
            rebuilds[side].append(run_build(dirs[side], dirs[side] / "site-out", strict=False))
        previews: dict[str, list[Preview]] = {"ours": [], "plain": []}
        for dirty in (False, True) if preview else ():
            for side in ("ours", "plain"):
                page = f"postmortems/{edited.stem}/"
                previews[side].append(preview_loop(dirs[side], sources[side], page, dirty=dirty))
        search = first_search_index(ours_dir)

        def side(name: str) -> Side:
            every = builds[name] + rebuilds[name]
            return Side(
                cold=[round(b.seconds, 2) for b in builds[name]],
                cold_cpu=[round(b.cpu_seconds, 2) for b in builds[name]],
                one_change=rebuilds[name][0].seconds,
                no_change=rebuilds[name][1].seconds,
                peak_mb=max(b.peak_mb for b in every),
                previews=previews[name],
            )

        return Comparison(n, side("ours"), side("plain"), search, os.getloadavg())


def _cell(value: float | None, unit: str) -> str:
    return "-" if value is None else f"{value:.{0 if unit == 'MB' else 2}f} {unit}".strip()


def comparison_rows(c: Comparison) -> list[tuple[str, str, str, str]]:
    """The table of one N: each figure for ours, plain Material, and ours / plain."""
    rows = [(f"N={c.n:,}", "ours", "plain Material", "ours / plain")]

    def row(label: str, ours: float | None, plain: float | None, unit: str = "s") -> None:
        ratio = f"{ours / plain:.2f}x" if ours is not None and plain else "-"
        rows.append((label, _cell(ours, unit), _cell(plain, unit), ratio))

    o, p = c.ours, c.plain
    row("cold build (median)", o.cold_median, p.cold_median)
    row("cold build CPU (median)", statistics.median(o.cold_cpu), statistics.median(p.cold_cpu))
    row("one-change rebuild", o.one_change, p.one_change)
    row("  share of cold", o.one_change / o.cold_median, p.one_change / p.cold_median, "")
    row("no-change rebuild", o.no_change, p.no_change)
    row("  share of cold", o.no_change / o.cold_median, p.no_change / p.cold_median, "")
    row("peak memory (builds)", o.peak_mb, p.peak_mb, "MB")
    for ours, plain in zip(o.previews, p.previews, strict=True):
        flag = " --dirty" if ours.dirty else ""
        row(f"serve{flag}: first build", ours.first_build_seconds, plain.first_build_seconds)
        row(f"serve{flag}: preview loop", ours.loop, plain.loop)
        row(f"serve{flag}: preview loop, server CPU", ours.loop_cpu, plain.loop_cpu)
        row(f"serve{flag}: peak memory", ours.peak_mb, plain.peak_mb, "MB")
    if c.search_index:
        row("first pmkb search index", c.search_index.seconds, None)
        row("  its peak memory", c.search_index.peak_mb, None, "MB")
    return rows


def print_comparison(results: list[Comparison]) -> None:
    for c in results:
        rows = comparison_rows(c)
        widths = [max(len(r[i]) for r in rows) for i in range(4)]
        print()
        for r in rows:
            print("  ".join(cell.ljust(width) for cell, width in zip(r, widths, strict=True)))
        print(f"load average (1 min) {c.load_average[0]:.1f} on {os.cpu_count()} CPUs")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="+", help="number(s) of post-mortems")
    parser.add_argument("--runs", type=int, default=1, help="builds per N; the median is kept")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--keep", type=Path, help="copy the built site here (the last N's)")
    parser.add_argument("--strict", action="store_true", help="build with --strict")
    parser.add_argument("--profile", type=Path, help="cProfile stats of the largest N's build")
    parser.add_argument(
        "--learning",
        action="store_true",
        help="also build without the Learning pages (learning_pages: false), side by side",
    )
    parser.add_argument(
        "--compare",
        action="store_true",
        help="side by side with plain Material: cold, one-change and no-change builds, "
        "memory, the mkdocs serve preview loop, the first pmkb search index",
    )
    parser.add_argument(
        "--no-preview", action="store_true", help="with --compare: leave out mkdocs serve"
    )
    args = parser.parse_args(argv)

    ns = sorted(set(args.n))
    if args.compare:
        main_compare(ns, args)
        return
    results = []
    with tempfile.TemporaryDirectory(prefix="pmkb-inputs-") as tmp:
        inputs = snapshot_inputs(Path(tmp) / "inputs")
        for n in ns:
            print(f"N={n:,}: generating and building ({args.runs} run(s))...", file=sys.stderr)
            results.append(
                measure(
                    n,
                    inputs,
                    runs=args.runs,
                    seed=args.seed,
                    strict=args.strict,
                    keep=args.keep if n == ns[-1] else None,
                    profile=args.profile if n == ns[-1] else None,
                    learning=args.learning,
                )
            )
    about = provenance()
    print(
        f"commit {about['commit']}{' (dirty tree)' if about['dirty'] else ''}, "
        f"plugin from {about['plugin']}, mkdocs {about['mkdocs']}, "
        f"material {about['mkdocs-material']}, Python {about['python']}, {about['cpus']} CPUs"
    )
    print_table(results)
    for result in results:
        for line in result.warning_sample:
            print(f"  N={result.n:,} warning: {line}")
    g = growth(results)
    if g is not None:
        print_growth(g, ns[0], ns[-1])
    for result in results:
        print("JSON " + json.dumps(asdict(result), sort_keys=True))
    if g is not None:
        print("JSON " + json.dumps({"growth": g}, sort_keys=True))
    print("JSON " + json.dumps({"provenance": about}, sort_keys=True))


def main_compare(ns: list[int], args: argparse.Namespace) -> None:
    comparisons = []
    with tempfile.TemporaryDirectory(prefix="pmkb-inputs-") as tmp:
        inputs = snapshot_inputs(Path(tmp) / "inputs")
        for n in ns:
            print(f"N={n:,}: ours beside plain Material...", file=sys.stderr)
            comparisons.append(
                compare(n, inputs, runs=args.runs, seed=args.seed, preview=not args.no_preview)
            )
            print_comparison(comparisons[-1:])  # as soon as it is known: 3,000 takes long
            sys.stdout.flush()
    about = provenance()
    print(
        f"\ncommit {about['commit']}{' (dirty tree)' if about['dirty'] else ''}, "
        f"mkdocs {about['mkdocs']}, material {about['mkdocs-material']}"
    )
    for c in comparisons:
        print("JSON " + json.dumps(asdict(c), sort_keys=True))
    print("JSON " + json.dumps({"provenance": about}, sort_keys=True))


if __name__ == "__main__":
    main()
