"""What the site search costs the build: each page's text (`search_markup.page_text`) and
writing the index (`index_writer.write_index`), cold and warm, for one or two checkouts.

    python benchmarks/site_index_scale.py N [N ...] --data DIR [--seed S] [--runs K]
        [--base CLONE]

For each N, once (kept in ``DIR/N/pages.jsonl``, reused by later runs): a synthetic
N-incident project made as ``build_scale.py`` makes it, built once with ``mkdocs build``
and a hook that records every page the site search indexes as the plugin hands it over
(URL, title, the page's HTML after the plugin's ``on_page_content``, its search markup).

Then, for this checkout and (``--base``) a clone of another commit, alternating, ``--runs``
times each, a child process (``PYTHONPATH=<checkout>/plugins``) that loads those pages and
measures each step in CPU seconds (user + system, ``os.times`` in the child) and wall seconds:

* **text cold**: ``page_text`` of every page, no cache; **text, filling the cache**: the
  same through the checkout's text cache, empty, if it has one (else: the text cold
  figure, what a cold build pays);
* **index cold**: ``write_index`` of every page into an empty folder, with an empty
  postings cache when the checkout has one (``terms_cache.TermsCache``);
* **text warm**: the pages' text with one page changed, from the cache filled by the pass
  before (``TermsCache(folder, page_text)``, or ``RenderCache.page_text``) where the
  checkout keeps them, else read anew;
* **index warm, one change**: ``write_index`` again with the cache filled by the cold run
  and one page's text changed; **index warm, no change**: the same with nothing changed.

Also checked in each child: the index written warm is byte-identical to one written with no
cache at all (``identical``), and the parent checks that both checkouts wrote the same
bytes (``same index in both``). A table goes to stdout, then one JSON line per N, prefixed
``JSON``. The pages are recorded by the plugin ``postmortem_kb`` resolves to (set
``PYTHONPATH`` to record with a clone); both checkouts measure the same pages.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import importlib.util
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import build_scale
import yaml
from build_scale import make_project, provenance, run_build, snapshot_inputs

REPO = Path(__file__).resolve().parent.parent

_HOOK = '''
"""Records each page the site search indexes, as the plugin hands it over."""
import dataclasses, json, os
from mkdocs.plugins import event_priority

_OUT = open(os.environ["PMKB_CAPTURE"], "w", encoding="utf-8")


@event_priority(-100)  # after the plugin's on_page_content
def on_page_content(html, page, config, files):
    plugin = config.plugins["postmortems"]
    markup = plugin.site.search_markup(page.file.src_uri) if plugin.site else None
    if markup is not None:
        record = {"url": page.url, "title": page.title or "", "html": html,
                  "markup": dataclasses.asdict(markup)}
        _OUT.write(json.dumps(record, ensure_ascii=False) + "\\n")
        _OUT.flush()
    return html
'''


def capture(n: int, data: Path, seed: int) -> Path:
    """`data/n/pages.jsonl`, recorded by building a synthetic n-incident project once."""
    pages = data / str(n) / "pages.jsonl"
    if pages.is_file():
        return pages
    root = Path(tempfile.mkdtemp(prefix=f"site-index-{n}-"))
    try:
        project = root / "project"
        make_project(project, snapshot_inputs(root / "inputs"), n, seed)
        config_path = project / "mkdocs.yml"
        config = yaml.load(config_path.read_text("utf-8"), Loader=build_scale._AnyTagLoader)
        hooks = [*(config.get("hooks") or []), "capture_hook.py"]
        (project / "capture_hook.py").write_text(_HOOK, encoding="utf-8")
        with config_path.open("a", encoding="utf-8") as out:
            if "hooks" in config:
                sys.exit("site_index_scale: the project already has hooks; add ours by hand")
            out.write(f"\nhooks: {json.dumps(hooks)}\n")
        pages.parent.mkdir(parents=True, exist_ok=True)
        partial = pages.with_suffix(".partial")
        os.environ["PMKB_CAPTURE"] = str(partial)
        build = run_build(project, root / "site", strict=False)
        os.replace(partial, pages)
        print(f"N={n}: recorded the pages in {build.seconds:.0f} s", file=sys.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return pages


# --- the child: one checkout's figures --------------------------------------------------------


def _cpu() -> float:
    usage = os.times()
    return usage.user + usage.system


class _Clock:
    def __init__(self) -> None:
        self.figures: dict[str, dict[str, float]] = {}

    def time(self, name: str, fn: Any, *args: Any, **kwargs: Any) -> Any:
        cpu, wall = _cpu(), time.perf_counter()
        result = fn(*args, **kwargs)
        self.figures[name] = {"cpu": _cpu() - cpu, "wall": time.perf_counter() - wall}
        return result


def _tree_digest(folder: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def child(pages_file: Path) -> None:
    """Measure the checkout `postmortem_kb` resolves to; print one JSON line."""
    import inspect

    from postmortem_kb.search.site import index_writer
    from postmortem_kb.search.site.index_writer import SearchDoc, SearchMarkup, write_index
    from postmortem_kb.site.render_cache import RenderCache
    from postmortem_kb.site.search_markup import page_text

    records = [json.loads(line) for line in pages_file.read_text("utf-8").splitlines()]
    for record in records:
        markup = record["markup"]
        markup["facets"] = tuple(tuple(pair) for pair in markup["facets"])
        markup["labels"] = tuple(markup["labels"])
        record["markup"] = SearchMarkup(**markup)
    cached = "weighted_terms" in inspect.signature(write_index).parameters
    text_cache: Any = None  # TermsCache, where it keeps texts too
    if importlib.util.find_spec("postmortem_kb.search.site.terms_cache"):
        from postmortem_kb.search.site import terms_cache

        if "extract" in inspect.signature(terms_cache.TermsCache).parameters:
            text_cache = terms_cache.TermsCache
    clock = _Clock()
    work = Path(tempfile.mkdtemp(prefix="site-index-child-"))
    try:
        texts = clock.time("text cold", lambda: [page_text(r["html"]) for r in records])
        docs = [
            SearchDoc(r["url"], r["title"], t, r["markup"])
            for r, t in zip(records, texts, strict=True)
        ]
        changed = dataclasses.replace(docs[0], body=docs[0].body + " a changed sentence")

        def index(site: Path, docs: list[SearchDoc], cache: Path | None) -> Any:
            if cache is None or not cached:
                return write_index(site, docs)
            from postmortem_kb.search.site.terms_cache import TermsCache

            terms = TermsCache(cache)
            stats = write_index(site, docs, weighted_terms=terms.weighted_terms)
            terms.save()
            return stats

        stats = clock.time("index cold", index, work / "cold", docs, work / "cache")
        htmls = [r["html"] for r in records]
        htmls[0] = htmls[0] + "<p>a changed sentence</p>"
        if text_cache is not None:  # the texts kept with the terms (.pmkb/search/)

            def kept_texts(pages: list[str]) -> list[str]:
                cache = text_cache(work / "texts", page_text)
                texts = [cache.page_text(h) for h in pages]
                cache.save()
                return texts

            clock.time("text, filling the cache", kept_texts, htmls[1:])
            clock.time("text warm", kept_texts, htmls)
        elif hasattr(RenderCache, "page_text"):  # the texts kept in the render cache
            render = RenderCache(work / "render", "bench")
            fill = htmls[1:]
            clock.time(
                "text, filling the cache", lambda: [render.page_text(h, page_text) for h in fill]
            )
            clock.time("text warm", lambda: [render.page_text(h, page_text) for h in htmls])
        else:  # read anew each build
            clock.figures["text, filling the cache"] = clock.figures["text cold"]
            clock.time("text warm", lambda: [page_text(h) for h in htmls])
        changed_docs = [changed, *docs[1:]]
        clock.time("index warm, one change", index, work / "one", changed_docs, work / "cache")
        clock.time("index warm, no change", index, work / "none", docs, work / "cache")
        write_index(work / "plain", changed_docs)
        identical = _tree_digest(work / "one") == _tree_digest(work / "plain")
        digest = _tree_digest(work / "cold")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(
        "JSON "
        + json.dumps(
            {
                "code": str(Path(index_writer.__file__).parents[3]),
                "pages": len(records),
                "terms": stats.terms,
                "postings cache": cached,
                "identical": identical,
                "digest": digest,
                "figures": clock.figures,
            }
        )
    )


# --- the parent -----------------------------------------------------------------------------


def run_child(checkout: Path, pages: Path) -> dict[str, Any]:
    env = {**os.environ, "PYTHONPATH": str(checkout / "plugins")}
    command = [sys.executable, __file__, "--child", str(pages)]
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        sys.exit(f"child for {checkout} failed:\n{result.stderr[-4000:]}")
    line = next(x for x in result.stdout.splitlines() if x.startswith("JSON "))
    return json.loads(line[5:])


STEPS = (
    "text cold",
    "text, filling the cache",
    "text warm",
    "index cold",
    "index warm, one change",
    "index warm, no change",
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("ns", type=int, nargs="*")
    parser.add_argument("--data", type=Path, default=Path(tempfile.gettempdir()) / "site-index")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--base", type=Path, help="a clone of the commit to compare with")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child)
        return
    checkouts = {"this": REPO, **({"base": args.base} if args.base else {})}
    for n in args.ns:
        pages = capture(n, args.data, args.seed)
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in checkouts}
        for _ in range(args.runs):
            for name, checkout in checkouts.items():
                runs[name].append(run_child(checkout, pages))
        summary: dict[str, Any] = {"n": n}
        print(f"\nN={n} ({runs['this'][0]['pages']} pages indexed), medians of {args.runs} runs")
        print(f"{'':26}" + "".join(f"{name + ' cpu':>12}{name + ' wall':>12}" for name in runs))
        for step in STEPS:
            cells, row = "", {}
            for name, results in runs.items():
                cpu = statistics.median(r["figures"][step]["cpu"] for r in results)
                wall = statistics.median(r["figures"][step]["wall"] for r in results)
                cells += f"{cpu:>12.2f}{wall:>12.2f}"
                row[name] = {"cpu": round(cpu, 3), "wall": round(wall, 3)}
            summary[step] = row
            print(f"{step:26}{cells}")
        for name, results in runs.items():
            summary[f"{name} identical"] = all(r["identical"] for r in results)
            summary[f"{name} postings cache"] = results[0]["postings cache"]
            print(f"{name}: warm index identical to uncached: {summary[f'{name} identical']}")
        digests = {r["digest"] for results in runs.values() for r in results}
        summary["same index in both"] = len(digests) == 1
        print(f"same index in both: {summary['same index in both']}")
        print("JSON " + json.dumps(summary))
    print("JSON " + json.dumps({"provenance": provenance()}))


if __name__ == "__main__":
    main()
