"""CPU seconds of the site the plugin computes around the files, cold and after one edit.

    python benchmarks/site_generation.py PROJECT [--edits K]
    python benchmarks/site_generation.py --n N [--edits K]

Loads the archive of PROJECT (a knowledge base: mkdocs.yml, postmortems/; or, with
``--n``, a temp project of N synthetic post-mortems made as ``build_scale.py`` makes it)
once, then, in this process, times what the plugin's ``on_files`` and ``on_page_context``
compute from it (``site.kb_site.KBSite``), step by step, in CPU seconds of this thread:

* cold: the site, its generated pages (listings, Learning pages), their tables put in
  after Markdown (``page_html``, every page), every post-mortem's header (similar incidents
  included), the export and the feed;
* then K times, as a ``mkdocs serve --dirty`` rebuild does after one post-mortem was saved
  (the archive is loaded once: its parse is not part of the figure): the new site built
  with the last one as ``previous``, its generated pages, what ``--dirty`` compares
  (``page_inputs`` of every generated page), the edited post-mortem's header, the export.
  Edits alternate between the end of the file (what no generated page and no similarity
  reads) and the Summary (what the digest and similarity read).

The plugin is imported from wherever ``postmortem_kb`` resolves; to compare two commits,
clone one and run with ``PYTHONPATH=<clone>/plugins`` (the script needs nothing from the
plugin but ``KBSite``'s constructor and methods as of then: a ``previous`` argument and
``page_inputs`` are used when they exist).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import inspect
import json
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from postmortem_kb.config import KBConfig
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import parse_text
from postmortem_kb.project import Project
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.site.kb_site import KBSite, runbook_uris

TODAY = dt.date(2026, 12, 1)


class _AnyTag(yaml.SafeLoader):
    """mkdocs.yml may hold `!ENV` and `!!python/name:` tags; their values do not matter here."""


_AnyTag.add_multi_constructor("", lambda loader, suffix, node: None)


def load(project: Path) -> tuple[list[PostMortem], KBConfig, dict[str, str]]:
    config = yaml.load((project / "mkdocs.yml").read_text(encoding="utf-8"), _AnyTag)
    plugins = config.get("plugins") or {}
    options = plugins.get("postmortems") if isinstance(plugins, dict) else None
    kb = KBConfig.model_validate(options or {})
    docs = project / config.get("docs_dir", "docs")
    archive = load_project_archive(Project(project, kb, docs), today=TODAY)
    uris = [p.relative_to(docs).as_posix() for p in docs.rglob("*.md")]
    return archive.newest_first(), kb, runbook_uris(uris, kb.runbooks_dir)


def cpu(step: Callable[[], Any]) -> tuple[float, Any]:
    start = time.thread_time()
    value = step()
    return time.thread_time() - start, value


def site_of(
    incidents: list[PostMortem], kb: KBConfig, runbooks: dict[str, str], previous: Any = None
) -> KBSite:
    extra = {"previous": previous} if "previous" in inspect.signature(KBSite).parameters else {}
    return KBSite(incidents, kb, runbook_uris=runbooks, today=TODAY, **extra)


def cold(incidents: list[PostMortem], kb: KBConfig, runbooks: dict[str, str]) -> dict[str, Any]:
    steps: dict[str, float] = {}
    steps["site"], site = cpu(lambda: site_of(incidents, kb, runbooks))
    steps["generated pages"], pages = cpu(site.generated_pages)
    steps["page_html (all)"], _ = cpu(
        lambda: [site.page_html(p.markdown, p.src_uri) for p in pages]
    )
    uris = [site.layout.postmortem(pm.id) for pm in incidents]
    steps["headers (all)"], _ = cpu(lambda: [site.header(uri) for uri in uris])
    steps["export"], _ = cpu(site.export)
    steps["feed"], _ = cpu(lambda: site.feed("KB", "https://kb.example.com/", lambda u: u))
    return {"steps": steps, "total": sum(steps.values()), "pages": len(pages), "site": site}


def edited(pm: PostMortem, text: str, number: int) -> tuple[PostMortem, str]:
    """`pm` parsed again from `text` with one more edit: at the end of the file (even
    `number`) or at the start of its Summary (odd); and the edited text."""
    if number % 2 == 0:
        text = f"{text.rstrip()}\n\nEdit {number} while serving.\n"
    else:
        text = text.replace("## Summary\n\n", f"## Summary\n\nEdit {number}: rollback.\n\n", 1)
    result = parse_text(text, pm.path, pm.source_path)
    assert result.postmortem is not None
    return dataclasses.replace(result.postmortem, has_errors=pm.has_errors), text


def rebuild(
    incidents: list[PostMortem], kb: KBConfig, runbooks: dict[str, str], last: KBSite, i: int
) -> tuple[dict[str, Any], KBSite]:
    steps: dict[str, float] = {}
    steps["site"], site = cpu(lambda: site_of(incidents, kb, runbooks, last))
    steps["generated pages"], pages = cpu(site.generated_pages)
    if hasattr(site, "page_inputs"):
        steps["--dirty comparison"], _ = cpu(lambda: [site.page_inputs(p.src_uri) for p in pages])
    else:  # before page_inputs: every generated page's HTML, as the plugin compared it
        steps["--dirty comparison"], _ = cpu(
            lambda: [site.page_html(p.markdown, p.src_uri) for p in pages]
        )
    uri = site.layout.postmortem(incidents[i].id)
    steps["edited page's header"], _ = cpu(lambda: site.header(uri))
    steps["export"], _ = cpu(site.export)
    return {"steps": steps, "total": sum(steps.values())}, site


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("project", type=Path, nargs="?")
    parser.add_argument("--n", type=int, help="a temp project of N synthetic post-mortems")
    parser.add_argument("--edits", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pmkb-site-generation-") as tmp:
        project = args.project
        if project is None:
            if not args.n:
                parser.error("give a PROJECT or --n N")
            sys.path.insert(0, str(Path(__file__).parent))
            import build_scale

            inputs = build_scale.snapshot_inputs(Path(tmp) / "inputs")
            build_scale.make_project(Path(tmp) / "ours", inputs, args.n, 0)
            project = Path(tmp) / "ours"
        incidents, kb, runbooks = load(project)
        first = cold(incidents, kb, runbooks)
        print(f"{len(incidents):,} post-mortems, {first['pages']} generated pages")
        print(f"cold: {first['total']:.2f} s CPU  " + _steps(first["steps"]))
        last, middle, results = first["site"], len(incidents) // 2, []
        text = incidents[middle].path.read_text(encoding="utf-8")
        for number in range(args.edits):  # each edit on top of the last, as in an editor
            incidents = list(incidents)
            incidents[middle], text = edited(incidents[middle], text, number)
            result, last = rebuild(incidents, kb, runbooks, last, middle)
            where = "end" if number % 2 == 0 else "summary"
            print(
                f"edit {number} ({where}): {result['total']:.2f} s CPU  " + _steps(result["steps"])
            )
            results.append({"where": where, **result})
        cold_figures = {k: v for k, v in first.items() if k != "site"}
        print("JSON " + json.dumps({"n": len(incidents), "cold": cold_figures, "edits": results}))


def _steps(steps: dict[str, float]) -> str:
    return ", ".join(f"{name} {seconds:.2f}" for name, seconds in steps.items())


if __name__ == "__main__":
    main()
