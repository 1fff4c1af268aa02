"""How the site search scales in the browser: its own index against Material's lunr search.

    python benchmarks/site_search_scale.py N [N ...] [--seed S] [--no-lunr]
        [--throttle none,vpn] [--queries "connection pool" ...] [--delay MS]
        [--keep DIR | --reuse DIR]

For each N: a synthetic N-incident project made as ``build_scale.py`` makes it (its
``snapshot_inputs``, ``make_project`` and ``run_build``), then

1. **pmkb** (the site as this repository builds it): the build (wall time, peak memory),
   the time the plugin took to write the search index (from the build's log), and the
   index's size and file count. (The figures of Pagefind, the index before this one, are
   in ARCHITECTURE.md.)
2. **lunr** (unless ``--no-lunr``): the same project with Material's ``search`` plugin on
   and ``site_search: false``: build time and ``search/search_index.json``'s size (and
   gzipped); and a **trimmed lunr** index made from it: one entry per page (no section
   entries), no listing pages, post-mortem text cut to its first 300 characters, the most
   Material's ``search.exclude`` options could trim.
3. **In Chromium** (Debian's, with the launch arguments of ``tests/browser/conftest.py``),
   each site served on 127.0.0.1 under its own sub-path: for each query, in a fresh
   context (cold cache), open a post-mortem page, press ``/`` and type the query one key
   every ``--delay`` ms. In the page, a keydown listener and a MutationObserver on the
   results list record when each key went down and when the results list changed (the
   DOM updated); the server logs every response it sends, with its size (headers and
   body) and when it was asked for and finished (the page's Resource Timing would miss
   what a web worker fetches, e.g. lunr's). From them:

   * bytes from opening the search to the first result rendered, by kind of file;
   * time from the first key typed to the first result rendered;
   * per keystroke: time from the key to the results of the text typed so far, and the
     bytes fetched until the next key.

   Then one warm session per site types every query in the same page: per-keystroke
   latency and bytes once the search runtime is loaded. With ``--throttle vpn`` the cold
   runs are repeated with the server emulating a slow VPN: 100 ms before each response
   and 2 Mbit/s shared by all responses; lunr is not run throttled (its bytes say enough).

A table goes to stdout, then one JSON line per N, prefixed ``JSON``. ``--keep DIR`` copies
the built sites into DIR; ``--reuse DIR`` measures those again without building (with this
checkout's search script and stylesheet), e.g. after changing the search dialog.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import build_scale
import yaml
from build_scale import make_project, provenance, run_build, snapshot_inputs
from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from postmortem_kb.plugin import SEARCH_ASSETS  # noqa: E402
from postmortem_kb.search.site.index_writer import OUTPUT_SUBDIR  # noqa: E402

from tests.browser.conftest import CHROMIUM_ARGS, find_chromium  # noqa: E402

KB = 1024
MB = 1024 * 1024
DEFAULT_QUERIES = (
    "connection pool",
    "stripe timeout",
    "kafka consumer lag",
    "certificate expired",
    "pgbouncer",
)
THROTTLES: dict[str, tuple[float, float] | None] = {
    "none": None,
    "vpn": (100, 2_000_000 / 8),  # ms added before each response, bytes/s shared by all
}
FIRST_RESULT_TIMEOUT_S = {"pmkb": 60, "lunr": 240, "lunr-trimmed": 240}


# --- the sites -------------------------------------------------------------------------------


@dataclass
class Index:
    build_seconds: float
    build_peak_mb: float
    index_seconds: float | None  # writing the search index; None for lunr
    index_peak_mb: float | None
    pages: int | None
    files: int
    bytes: int
    gzip_bytes: int | None = None  # lunr's JSON, as a compressing server would send it


INDEXED = re.compile(r"site search: (\d+) pages indexed in ([\d.]+) s")


def build_pmkb(project: Path, site: Path) -> Index:
    """Build the site as this repository does (the plugin writes the search index at the
    end of the build, in the same process: its time is read from the build's log)."""
    build = run_build(project, site, strict=False)
    indexed = INDEXED.search(build.log)
    seconds = float(indexed[2]) if indexed else None
    return index_of(site, build.seconds, build.peak_mb, seconds)


def index_of(
    site: Path,
    build_seconds: float = 0,
    build_peak_mb: float = 0,
    index_seconds: float | None = None,
) -> Index:
    """The size of the search index in `site`, with the build's figures (none for a site
    an earlier run kept)."""
    output = site / OUTPUT_SUBDIR
    files = [f for f in output.rglob("*") if f.is_file()]
    manifest = json.loads((output / "manifest.json").read_text(encoding="utf-8"))
    return Index(
        build_seconds=build_seconds,
        build_peak_mb=build_peak_mb,
        index_seconds=index_seconds,
        index_peak_mb=None,
        pages=manifest["documents"],
        files=len(files),
        bytes=sum(f.stat().st_size for f in files),
    )


def use_lunr(project: Path) -> None:
    """Rewrite the project's mkdocs.yml: Material's `search` plugin on, `site_search` off."""
    path = project / "mkdocs.yml"
    config = yaml.load(path.read_text(encoding="utf-8"), Loader=build_scale._AnyTagLoader)
    plugins = config.get("plugins") or []
    if isinstance(plugins, dict):  # the mapping form: {name: options}
        options = dict(plugins.get("postmortems") or {})
        others = {k: v for k, v in plugins.items() if k not in ("search", "postmortems")}
        config["plugins"] = {"search": {}, "postmortems": {**options, "site_search": False}}
        config["plugins"].update(others)
    else:
        options = build_scale._plugin_options(config)
        others = [
            p
            for p in plugins
            if p not in ("search", "postmortems")
            and not (isinstance(p, dict) and ("postmortems" in p or "search" in p))
        ]
        config["plugins"] = ["search", {"postmortems": {**options, "site_search": False}}, *others]
    path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def build_lunr(project: Path, site: Path) -> tuple[Index, Index, Path]:
    """The full and trimmed lunr indexes; the trimmed one is written next to the site."""
    use_lunr(project)
    build = run_build(project, site, strict=False)
    full_path = site / "search" / "search_index.json"
    raw = full_path.read_bytes()
    trimmed_raw = json.dumps(trim_lunr(json.loads(raw)), separators=(",", ":")).encode()
    trimmed_path = site.parent / "search_index.trimmed.json"
    trimmed_path.write_bytes(trimmed_raw)
    full = Index(
        build.seconds, build.peak_mb, None, None, None, 1, len(raw), len(gzip.compress(raw, 6))
    )
    trimmed = Index(
        build.seconds,
        build.peak_mb,
        None,
        None,
        None,
        1,
        len(trimmed_raw),
        len(gzip.compress(trimmed_raw, 6)),
    )
    return full, trimmed, trimmed_path


def trim_lunr(index: dict[str, Any], text_chars: int = 300) -> dict[str, Any]:
    """One entry per page, no listing pages, post-mortem text cut to `text_chars`."""
    docs = []
    for doc in index["docs"]:
        location = doc["location"]
        if "#" in location or location.startswith("incidents/"):
            continue
        text = doc.get("text", "")
        if location.startswith("postmortems/"):
            text = text[:text_chars]
        docs.append({**doc, "text": text})
    return {**index, "docs": docs}


# --- serving ---------------------------------------------------------------------------------


class Link:
    """A slow network, emulated by the server for every response (the page's and a web
    worker's alike, which Chromium's own throttling would not both cover): `latency_ms`
    before each response, and `rate` bytes per second shared by all responses at once."""

    def __init__(self, latency_ms: float, rate: float) -> None:
        self.latency = latency_ms / 1000
        self.rate = rate
        self._free_at = 0.0
        self._lock = threading.Lock()

    def send(self, size: int) -> None:
        """Wait until `size` more bytes have gone through the link."""
        with self._lock:
            start = max(time.monotonic(), self._free_at)
            self._free_at = start + size / self.rate
            done = self._free_at
        time.sleep(max(0.0, done - time.monotonic()))


class _Counter:
    """A response stream that counts the bytes written to it (and paces them on a `Link`)."""

    CHUNK = 16 * 1024

    def __init__(self, stream: Any, link: Link | None) -> None:
        self.stream = stream
        self.link = link
        self.bytes = 0

    def write(self, data: bytes) -> int:
        view = memoryview(data)
        for offset in range(0, len(view), self.CHUNK):
            chunk = view[offset : offset + self.CHUNK]
            if self.link is not None:
                self.link.send(len(chunk))
            self.stream.write(chunk)
        self.bytes += len(data)
        return len(data)

    def __getattr__(self, name: str) -> Any:  # flush, closed, ...: the stream's
        return getattr(self.stream, name)


@dataclass
class Served:
    """One response of the server: its path, bytes sent (headers and body) and when it was
    asked for and finished, in epoch milliseconds (the page's clock, `performance.timeOrigin
    + performance.now()`, is the same machine's)."""

    path: str
    bytes: int
    start: float
    end: float


class _Handler(SimpleHTTPRequestHandler):
    """Serves each site under its own prefix (`/pmkb/`, `/lunr/`, `/lunr-trimmed/`);
    `/lunr-trimmed/` is the lunr site with the trimmed search_index.json. Every response is
    logged (`Served`): the page's own Resource Timing does not see what a web worker
    fetches, the server sees everything."""

    roots: dict[str, Path] = {}
    overrides: dict[str, Path] = {}
    served: list[Served] = []
    link: list[Link | None] = [None]  # the network profile of the current run

    def setup(self) -> None:
        super().setup()
        self.wfile = _Counter(self.wfile, self.link[0])  # type: ignore[assignment]

    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        start = time.time() * 1000
        if self.link[0] is not None:
            time.sleep(self.link[0].latency)
        before = self.wfile.bytes  # type: ignore[attr-defined]
        super().do_GET()
        self.wfile.flush()
        sent = self.wfile.bytes - before  # type: ignore[attr-defined]
        self.served.append(Served(self.path, sent, start, time.time() * 1000))

    def translate_path(self, path: str) -> str:
        clean = path.split("?", 1)[0].split("#", 1)[0]
        for prefix, root in self.roots.items():
            if clean.startswith(f"/{prefix}/"):
                rest = clean[len(prefix) + 2 :]
                override = self.overrides.get(f"{prefix}/{rest}")
                if override is not None:
                    return str(override)
                return str(root / rest) + ("/" if clean.endswith("/") else "")
        return str(Path(os.devnull))

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass
class Site:
    """The server of the sites being measured: its base URL, the responses it sent, and
    the network profile it emulates (set per run)."""

    server: _Server
    url: str
    served: list[Served]
    link: list[Link | None]

    def emulate(self, throttle: str) -> None:
        profile = THROTTLES[throttle]
        self.link[0] = Link(*profile) if profile else None


def serve(roots: dict[str, Path], overrides: dict[str, Path]) -> Site:
    served: list[Served] = []
    link: list[Link | None] = [None]
    attributes = {"roots": roots, "overrides": overrides, "served": served, "link": link}
    handler = type("Handler", (_Handler,), attributes)
    server = _Server(("127.0.0.1", 0), functools.partial(handler))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, port = server.server_address[:2]
    return Site(server, f"http://{host}:{port}/", served, link)


# --- the browser -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UI:
    input: str
    results: str  # the element whose children are the results
    item: str


UIS = {
    "pmkb": UI(".pmkb-search__input", "#pmkb-search-results", "[role=option]"),
    "lunr": UI(".md-search__input", ".md-search-result__list", ".md-search-result__item"),
}

RECORDER = """
(ui) => {
  const now = () => performance.timeOrigin + performance.now();  // epoch ms, as the server's
  const log = { keys: [], renders: [] };
  window.__searchLog = log;
  document.addEventListener("keydown", (e) => log.keys.push({ t: now(), key: e.key }), true);
  const start = () => {
    const list = document.querySelector(ui.results);
    const input = document.querySelector(ui.input);
    if (!list || !input) { return false; }
    new MutationObserver(() => {
      log.renders.push({ t: now(), value: input.value.trim(),
                         count: list.querySelectorAll(ui.item).length });
    }).observe(list, { childList: true, subtree: true, attributeFilter: ["data-pmkb-query"] });
    return true;
  };
  if (!start()) { document.addEventListener("DOMContentLoaded", start); }
}
"""

READ_LOG = "() => ({ keys: window.__searchLog.keys, renders: window.__searchLog.renders })"


def file_kind(url: str) -> str:
    """What a fetched file is: a part of the search index, the search's code, or other."""
    path = url.split("?", 1)[0]
    if f"/{OUTPUT_SUBDIR}/" in path:  # manifest.json, terms/, docs/, facets/
        return path.split(f"/{OUTPUT_SUBDIR}/", 1)[1].split("/", 1)[0].removesuffix(".json")
    if path.endswith("search_index.json"):
        return "search_index.json"
    if "/workers/search." in path:  # lunr's worker
        return "runtime"
    return "other"


@dataclass
class Keystroke:
    text: str
    latency_ms: float | None  # None: superseded (the next key came first) or no answer
    bytes: int


@dataclass
class QueryRun:
    query: str
    throttle: str
    first_result_ms: float | None  # from the first key typed; None: none in time
    open_to_first_result_ms: float | None
    bytes_to_first_result: int
    bytes_by_kind: dict[str, int]
    total_bytes: int  # everything the search fetched until the end of the run
    page_bytes: int  # the landing page itself (HTML, CSS, JS), before the search opened
    keystrokes: list[Keystroke] = field(default_factory=list)
    results: int = 0


def run_query(
    browser: Any,
    site: Site,
    path: str,
    ui: UI,
    queries: list[str],
    *,
    delay_ms: int,
    throttle: str,
    timeout_s: float,
) -> list[QueryRun]:
    """Open `path` on `site` (a fresh context: cold cache), press `/`, type each query
    (clearing the field in between) in that one page."""
    site.emulate(throttle)
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    first_response = len(site.served)
    try:
        page.add_init_script(f"({RECORDER})({json.dumps(asdict(ui))})")
        page.goto(site.url + path, wait_until="load", timeout=300_000)
        page.wait_for_timeout(300)
        page.keyboard.press("/")
        page.wait_for_selector(ui.input, state="visible")
        runs = []
        for number, query in enumerate(queries):
            input_box = page.locator(ui.input)
            if input_box.input_value():
                input_box.fill("")
                page.wait_for_timeout(300)
            # the first query counts from the "/" that opened the search, the others from
            # their first key
            marker = 0 if number == 0 else len(page.evaluate("() => window.__searchLog.keys"))
            for char in query:
                page.keyboard.type(char)
                page.wait_for_timeout(delay_ms)
            with contextlib.suppress(PlaywrightTimeout):  # no answer in time: a result
                page.wait_for_function(
                    """([ui, q]) => window.__searchLog.renders.some(
                        (r) => r.value === q && r.count > 0) ||
                        (document.querySelector(ui.input).value.trim() === q &&
                         window.__searchLog.renders.some((r) => r.value === q))""",
                    arg=[asdict(ui), query],
                    timeout=timeout_s * 1000,
                )
            page.wait_for_timeout(1500)  # late fetches (facets, more fragments)
            log = page.evaluate(READ_LOG)
            count = page.locator(f"{ui.results} {ui.item}").count()
            served = site.served[first_response:]
            runs.append(analyse(log, served, query, marker, throttle, count))
        return runs
    finally:
        context.close()
        site.emulate("none")


def analyse(
    log: dict[str, Any],
    served: list[Served],
    query: str,
    marker: int,
    throttle: str,
    count: int,
) -> QueryRun:
    keys = log["keys"][marker:]
    typed = [k for k in keys if len(k["key"]) == 1][-len(query) :]
    opened = log["keys"][0]["t"] if marker == 0 else typed[0]["t"]
    renders = [r for r in log["renders"] if r["t"] >= typed[0]["t"]]
    page_bytes = sum(
        r.bytes for r in served if r.start < log["keys"][0]["t"] and file_kind(r.path) == "other"
    )
    first = next((r for r in renders if r["count"] > 0), None)
    end = first["t"] if first else float("inf")
    # the search's files (Material fetches its whole index with the page, before any key)
    # and anything else sent between opening the search and the first result
    before = [
        r for r in served if r.end <= end and (r.start >= opened or file_kind(r.path) != "other")
    ]
    if marker:  # a later query in the same page: what the earlier ones fetched is not its cost
        before = [r for r in before if r.start >= opened]
    by_kind: dict[str, int] = defaultdict(int)
    for r in before:
        by_kind[file_kind(r.path)] += r.bytes
    after_open = [r for r in served if r.start >= opened]
    keystrokes = []
    for i, key in enumerate(typed):
        text = query[: i + 1].strip()
        upto = typed[i + 1]["t"] if i + 1 < len(typed) else float("inf")
        answer = next(
            (r for r in renders if r["t"] >= key["t"] and r["value"] == text and r["t"] < upto),
            None,
        )
        if answer is None and i + 1 == len(typed):
            answer = next((r for r in renders if r["t"] >= key["t"] and r["value"] == text), None)
        fetched = sum(r.bytes for r in after_open if key["t"] <= r.start < upto)
        latency = answer["t"] - key["t"] if answer else None
        keystrokes.append(Keystroke(query[: i + 1], latency, fetched))
    return QueryRun(
        query=query,
        throttle=throttle,
        first_result_ms=first["t"] - typed[0]["t"] if first else None,
        open_to_first_result_ms=first["t"] - opened if first else None,
        bytes_to_first_result=sum(by_kind.values()),
        bytes_by_kind=dict(by_kind),
        total_bytes=sum(r.bytes for r in after_open),
        page_bytes=page_bytes,
        keystrokes=keystrokes,
        results=count,
    )


@dataclass
class Variant:
    name: str
    index: Index
    cold: list[QueryRun]
    warm: list[QueryRun]


@dataclass
class Result:
    n: int
    variants: list[Variant]
    load_average: tuple[float, float, float]


def reused(
    n: int, args: argparse.Namespace, tmp: Path
) -> tuple[dict[str, Path], dict[str, Index], dict[str, Path]]:
    """The sites an earlier `--keep` run left in `args.reuse` (no build times then); the
    site search's script and stylesheet are refreshed from this checkout."""
    sites = {"pmkb": args.reuse / f"{n}-pmkb"}
    for uri, source in SEARCH_ASSETS.items():
        (sites["pmkb"] / uri).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, sites["pmkb"] / uri)
    indexes = {"pmkb": index_of(sites["pmkb"])}
    overrides: dict[str, Path] = {}
    if args.lunr and (args.reuse / f"{n}-lunr").is_dir():
        sites["lunr"] = sites["lunr-trimmed"] = args.reuse / f"{n}-lunr"
        raw = (sites["lunr"] / "search" / "search_index.json").read_bytes()
        trimmed_raw = json.dumps(trim_lunr(json.loads(raw)), separators=(",", ":")).encode()
        trimmed_path = tmp / "search_index.trimmed.json"
        trimmed_path.write_bytes(trimmed_raw)
        for name, data in (("lunr", raw), ("lunr-trimmed", trimmed_raw)):
            indexes[name] = Index(0, 0, None, None, None, 1, len(data), len(gzip.compress(data, 6)))
        overrides["lunr-trimmed/search/search_index.json"] = trimmed_path
    return sites, indexes, overrides


def measure(n: int, inputs: Path, args: argparse.Namespace) -> Result:
    with tempfile.TemporaryDirectory(prefix=f"pmkb-site-search-{n}-") as tmp:
        if args.reuse:
            sites, indexes, overrides = reused(n, args, Path(tmp))
            return Result(n, browse_all(sites, indexes, overrides, args), os.getloadavg())
        project = Path(tmp) / "project"
        make_project(project, inputs, n, args.seed)
        sites = {"pmkb": Path(tmp) / "site-pmkb"}
        print(f"N={n:,}: building with the site's own search index...", file=sys.stderr)
        indexes = {"pmkb": build_pmkb(project, sites["pmkb"])}
        overrides: dict[str, Path] = {}
        if args.lunr:
            print(f"N={n:,}: building with Material's search (lunr)...", file=sys.stderr)
            sites["lunr"] = sites["lunr-trimmed"] = Path(tmp) / "site-lunr"
            full, trimmed, trimmed_path = build_lunr(project, sites["lunr"])
            indexes["lunr"], indexes["lunr-trimmed"] = full, trimmed
            overrides["lunr-trimmed/search/search_index.json"] = trimmed_path
        if args.keep:
            for name in ("pmkb", "lunr"):
                if name in sites:
                    shutil.rmtree(args.keep / f"{n}-{name}", ignore_errors=True)
                    shutil.copytree(sites[name], args.keep / f"{n}-{name}")
        variants = browse_all(sites, indexes, overrides, args)
    return Result(n, variants, os.getloadavg())


def browse_all(
    sites: dict[str, Path],
    indexes: dict[str, Index],
    overrides: dict[str, Path],
    args: argparse.Namespace,
) -> list[Variant]:
    landing = sorted(p.name for p in (sites["pmkb"] / "postmortems").iterdir())[-1]
    site = serve(sites, overrides)
    try:
        return [browse(name, site, landing, index, args) for name, index in indexes.items()]
    finally:
        site.server.shutdown()
        site.server.server_close()


def browse(name: str, site: Site, landing: str, index: Index, args: argparse.Namespace) -> Variant:
    ui = UIS["lunr" if name.startswith("lunr") else "pmkb"]
    path = f"{name}/postmortems/{landing}/"
    timeout = FIRST_RESULT_TIMEOUT_S[name]
    cold: list[QueryRun] = []
    warm: list[QueryRun] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=find_chromium(), args=list(CHROMIUM_ARGS))
        try:
            throttles = args.throttle if name == "pmkb" else ["none"]
            # lunr's first result waits for the whole index whatever the query: two suffice
            queries = args.queries if name == "pmkb" else args.queries[:2]
            for throttle in throttles:
                for query in queries:
                    print(f"  {name} [{throttle}] {query!r}", file=sys.stderr)
                    cold += run_query(
                        browser,
                        site,
                        path,
                        ui,
                        [query],
                        delay_ms=args.delay,
                        throttle=throttle,
                        timeout_s=timeout,
                    )
            print(f"  {name} warm session", file=sys.stderr)
            warm = run_query(
                browser,
                site,
                path,
                ui,
                list(args.queries),
                delay_ms=args.delay,
                throttle="none",
                timeout_s=timeout,
            )[1:]
        finally:
            browser.close()
    return Variant(name, index, cold, warm)


# --- reporting -------------------------------------------------------------------------------


def _size(n: float | None) -> str:
    if n is None:
        return "-"
    return f"{n / MB:.1f} MB" if n >= MB else f"{n / KB:.0f} KB"


def _ms(values: list[float]) -> str:
    if not values:
        return "-"
    values = sorted(values)
    p95 = values[min(len(values) - 1, round(0.95 * (len(values) - 1)))]
    return f"{statistics.median(values):.0f} / {p95:.0f} / {values[-1]:.0f}"


MIN_TYPED = 3
"""Keystroke latencies count from the third character: the site's dialog searches from 3
letters (below, its "answer" is an empty list), and so should a fair comparison."""


def summary(variant: Variant, throttle: str) -> dict[str, Any]:
    cold = [r for r in variant.cold if r.throttle == throttle]
    firsts = [r.first_result_ms for r in cold if r.first_result_ms is not None]

    def typed(k: Keystroke) -> bool:
        return len(k.text.strip()) >= MIN_TYPED

    latencies = [
        k.latency_ms
        for r in variant.warm
        for k in r.keystrokes
        if k.latency_ms is not None and typed(k)
    ]
    cold_latencies = [
        k.latency_ms for r in cold for k in r.keystrokes if k.latency_ms is not None and typed(k)
    ]
    unanswered = sum(1 for r in variant.warm for k in r.keystrokes if typed(k)) - len(latencies)
    per_key = [k.bytes for r in variant.warm for k in r.keystrokes]
    return {
        "queries": len(cold),
        "answered": len(firsts),
        "bytes_to_first_result_median": statistics.median([r.bytes_to_first_result for r in cold])
        if cold
        else None,
        "bytes_to_first_result_max": max((r.bytes_to_first_result for r in cold), default=None),
        "first_result_ms": _ms(firsts) if firsts else "none",
        "keystroke_ms_warm": _ms(latencies),
        "keystrokes_warm_under_100_ms": f"{sum(1 for x in latencies if x < 100)}/"
        f"{len(latencies) + unanswered}",
        "keystroke_ms_cold_after_first": _ms(cold_latencies),
        "keystroke_bytes_warm_median": statistics.median(per_key) if per_key else None,
        "keystroke_bytes_warm_max": max(per_key, default=None),
        "page_bytes": statistics.median([r.page_bytes for r in cold]) if cold else None,
    }


def print_table(results: list[Result], throttles: list[str]) -> None:
    rows: list[tuple[str, ...]] = [
        (
            "",
            "index",
            "files",
            "build s",
            "index s",
            "peak MB",
            "to 1st result",
            "1st result ms (med/p95/max)",
            "keystroke ms warm (med/p95/max)",
            "< 100 ms",
            "bytes/keystroke (med/max)",
        )
    ]
    for result in results:
        for variant in result.variants:
            ix = variant.index
            size = _size(ix.bytes) + (f" ({_size(ix.gzip_bytes)} gz)" if ix.gzip_bytes else "")
            for throttle in throttles if variant.name == "pmkb" else ["none"]:
                s = summary(variant, throttle)
                rows.append(
                    (
                        f"N={result.n:,} {variant.name} [{throttle}]",
                        size,
                        str(ix.files),
                        f"{ix.build_seconds:.0f}",
                        f"{ix.index_seconds:.1f}" if ix.index_seconds else "-",
                        f"{ix.index_peak_mb:.0f}" if ix.index_peak_mb else "-",
                        f"{_size(s['bytes_to_first_result_median'])} / "
                        f"{_size(s['bytes_to_first_result_max'])}",
                        f"{s['first_result_ms']} ({s['answered']}/{s['queries']})",
                        s["keystroke_ms_warm"],
                        s["keystrokes_warm_under_100_ms"],
                        f"{_size(s['keystroke_bytes_warm_median'])} / "
                        f"{_size(s['keystroke_bytes_warm_max'])}",
                    )
                )
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)))


def print_details(results: list[Result]) -> None:
    for result in results:
        for variant in result.variants:
            for run in variant.cold:
                kinds = ", ".join(f"{k} {_size(v)}" for k, v in sorted(run.bytes_by_kind.items()))
                first = f"{run.first_result_ms:.0f} ms" if run.first_result_ms else "none"
                print(
                    f"N={result.n:,} {variant.name} [{run.throttle}] {run.query!r}: first "
                    f"result {first}, {_size(run.bytes_to_first_result)} ({kinds}); "
                    f"{run.results} shown; {_size(run.total_bytes)} in all"
                )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("n", type=int, nargs="+", help="number(s) of post-mortems")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--no-lunr", dest="lunr", action="store_false", help="the site's own search only"
    )
    parser.add_argument(
        "--throttle",
        type=lambda s: s.split(","),
        default=["none", "vpn"],
        help="network profiles for the cold runs of the site's search: none, vpn (default both)",
    )
    parser.add_argument("--queries", nargs="+", default=list(DEFAULT_QUERIES))
    parser.add_argument("--delay", type=int, default=150, help="ms between keys (default 150)")
    parser.add_argument("--keep", type=Path, help="copy the built sites into this folder")
    parser.add_argument(
        "--reuse",
        type=Path,
        help="measure the sites a --keep run left in this folder instead of building",
    )
    args = parser.parse_args(argv)
    if find_chromium() is None:
        sys.exit("Chromium not found: apt-get install chromium (see BROWSER-TESTS)")
    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)

    results = []
    with tempfile.TemporaryDirectory(prefix="pmkb-inputs-") as tmp:
        inputs = snapshot_inputs(Path(tmp) / "inputs")
        for n in sorted(set(args.n)):
            results.append(measure(n, inputs, args))
    about = provenance()
    print(
        f"commit {about['commit']}{' (dirty tree)' if about['dirty'] else ''}, "
        f"mkdocs-material {about['mkdocs-material']}, {about['cpus']} CPUs; "
        f"{args.delay} ms between keys; queries: {', '.join(args.queries)}"
    )
    print_table(results, args.throttle)
    print()
    print_details(results)
    for result in results:
        record = asdict(result)
        record["summaries"] = {
            v.name: {t: summary(v, t) for t in args.throttle} for v in result.variants
        }
        print("JSON " + json.dumps(record, sort_keys=True))
    print("JSON " + json.dumps({"provenance": about}, sort_keys=True))


if __name__ == "__main__":
    main()
