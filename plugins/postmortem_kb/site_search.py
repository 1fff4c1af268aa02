"""Site search: what each page tells the search index, and the index itself (Pagefind).

Two halves, neither of which knows MkDocs:

- **Markup.** `postmortem_markup` and `HANDBOOK` say how a page takes part in the search:
  which filters it carries (severity, service, tag, year, status), which metadata a result
  shows (date, severity and its badge colours, services, impact) and how filter-only
  results sort (date).
  The theme override writes them as `data-pagefind-*` attributes around the article
  (`overrides/partials/pmkb/search-data.html`); pages without markup (the generated
  listings, the home page) have no `data-pagefind-body` and are left out of the index.
- **Indexing.** `index_site` runs Pagefind's CLI over a built site folder and returns
  `IndexStats`. Pagefind writes a chunked index to `<site>/pagefind/`: the browser fetches
  `pagefind.js`, the WASM search, a small metadata file, then only the index chunks of the
  words typed and one fragment per result shown.

Decisions and figures are in ARCHITECTURE.md ("Site search").
"""

from __future__ import annotations

import gzip
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .config import KBConfig
from .model import PostMortem
from .severity import badge

OUTPUT_SUBDIR = "pagefind"
FRAGMENT_PREFIX = b"pagefind_dcd"  # what a decompressed .pf_fragment starts with

UNINDEXED_CLASS = "pmkb-unindexed"

EXCLUDE_SELECTORS = (
    ".pmkb-footer",  # a post-mortem's related and similar incidents: other incidents' titles
    f".{UNINDEXED_CLASS}",  # generated lists of incidents inside indexed pages (`unindexed`)
    ".headerlink",  # the permalink sign after every heading
    ".pmkb-chip",  # a post-mortem's status and visibility chips (filters, not words)
    ".md-source-file",  # "Last update" dates
    ".md-content__button",  # edit / view source
)
"""Inside the indexed part of a page, elements whose text is boilerplate."""

UNUSED_BUNDLE_FILES = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
)
"""Pagefind's own UIs: the site uses its own (overrides/partials/pmkb/search.html and
assets/search.js), so these are removed from the output rather than shipped unused."""

FILTERS = ("severity", "service", "tag", "year", "status")
STATUS_LABELS = {"draft": "Draft", "in-review": "In review", "published": "Published"}


class SiteSearchError(Exception):
    """Pagefind could not be run, or failed; the message says why."""


# --- markup ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SearchMarkup:
    """How one page takes part in the site search.

    Each pair is written as one `data-pagefind-filter` / `-meta` / `-sort` attribute in the
    inline `key:value` form; a key may repeat (an incident with two services).
    """

    kind: str  # "incident" or "handbook": a result's label
    filters: tuple[tuple[str, str], ...] = ()
    meta: tuple[tuple[str, str], ...] = ()
    sort: tuple[tuple[str, str], ...] = ()


HANDBOOK = SearchMarkup("handbook", meta=(("kind", "handbook"),))
"""Runbooks, the handbook and the severity levels: indexed, with no facets."""


def postmortem_markup(pm: PostMortem, config: KBConfig) -> SearchMarkup:
    """Filters, result metadata and sort key of a post-mortem's page."""
    meta = pm.meta
    filters: list[tuple[str, str]] = []
    shown: list[tuple[str, str]] = [("kind", "incident")]
    if meta.severity:
        level = badge(config, meta.severity)
        filters.append(("severity", meta.severity))
        shown += [("severity", meta.severity), ("badge", level.style)]
    filters += [("service", service) for service in dict.fromkeys(meta.services)]
    filters += [("tag", tag) for tag in dict.fromkeys(meta.tags)]
    if meta.date:
        filters.append(("year", str(meta.date.year)))
        shown.append(("date", meta.date.isoformat()))
    if meta.status:
        filters.append(("status", STATUS_LABELS.get(meta.status, meta.status)))
    if meta.services:
        shown.append(("services", ", ".join(dict.fromkeys(meta.services))))
    if meta.impact.summary:
        shown.append(("impact", " ".join(meta.impact.summary.split())))
    sort = (("date", meta.date.isoformat()),) if meta.date else ()
    return SearchMarkup("incident", tuple(filters), tuple(shown), sort)


def unindexed(markdown: str) -> str:
    """`markdown` in a block the index leaves out, for generated lists of incidents inside
    an indexed page (a runbook's "Incidents that used this runbook"), which would otherwise
    make the page match every title it lists. Needs the `md_in_html` extension, which the
    plugin enables."""
    return f'<div class="{UNINDEXED_CLASS}" markdown>\n\n{markdown.strip()}\n\n</div>\n'


def facet_order(config: KBConfig) -> dict[str, list[str]]:
    """The order of the values of the facets whose values the settings fix (the severity
    levels, the statuses); the others (services, tags, years) are sorted in the browser."""
    return {"severity": config.level_names, "status": list(STATUS_LABELS.values())}


# --- indexing --------------------------------------------------------------------------------


@dataclass(frozen=True)
class IndexStats:
    pages: int  # pages indexed
    seconds: float  # wall time of the indexer
    files: int  # files in the output folder
    bytes: int  # their total size
    output: Path


def index_site(
    site_dir: Path,
    *,
    output_subdir: str = OUTPUT_SUBDIR,
    exclude_selectors: Sequence[str] = EXCLUDE_SELECTORS,
    command: Sequence[str] | None = None,
) -> IndexStats:
    """Index the HTML pages of the built site at `site_dir` into `site_dir/output_subdir`.

    The previous output folder is removed first (index files have hashed names, so a
    rebuild under `mkdocs serve` would otherwise leave stale ones behind). `command` is
    the Pagefind command line without arguments; default: this Python's `-m pagefind`
    (the `pagefind[bin]` package). Raises `SiteSearchError` when Pagefind fails.
    """
    site_dir = Path(site_dir)
    output = site_dir / output_subdir
    if output.exists():
        shutil.rmtree(output)
    args = pagefind_command(site_dir, output_subdir, exclude_selectors, command)
    start = time.perf_counter()
    try:
        result = subprocess.run(args, capture_output=True, text=True, check=False)
    except OSError as err:
        raise SiteSearchError(f"could not run Pagefind ({args[0]}): {err}") from err
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        output_text = (result.stderr or result.stdout).strip()[-2000:]
        raise SiteSearchError(f"Pagefind failed (exit {result.returncode}): {output_text}")
    for name in UNUSED_BUNDLE_FILES:
        (output / name).unlink(missing_ok=True)
    files = [f for f in output.rglob("*") if f.is_file()]
    return IndexStats(
        pages=indexed_pages(output),
        seconds=seconds,
        files=len(files),
        bytes=sum(f.stat().st_size for f in files),
        output=output,
    )


def pagefind_command(
    site_dir: Path,
    output_subdir: str = OUTPUT_SUBDIR,
    exclude_selectors: Sequence[str] = EXCLUDE_SELECTORS,
    command: Sequence[str] | None = None,
) -> list[str]:
    """The command line that indexes `site_dir` (see `index_site`)."""
    args = [
        *(command or (sys.executable, "-m", "pagefind")),
        *("--site", str(site_dir), "--output-subdir", output_subdir, "--quiet"),
    ]
    if exclude_selectors:
        args += ["--exclude-selectors", ", ".join(exclude_selectors)]
    return args


def indexed_pages(output: Path) -> int:
    """Pages in the Pagefind index at `output`, from its `pagefind-entry.json` (0 if none)."""
    entry = output / "pagefind-entry.json"
    if not entry.is_file():
        return 0
    languages = json.loads(entry.read_text(encoding="utf-8")).get("languages", {})
    return sum(int(language.get("page_count", 0)) for language in languages.values())


def fragment_texts(output: Path) -> Iterator[tuple[Path, str]]:
    """Each page's fragment in the index at `output` (its URL, title, metadata, filters
    and full indexed text, as JSON), decompressed: what a check of the published text
    (e.g. the public leak check) must read, since `.pf_fragment` files are gzipped."""
    for path in sorted((output / "fragment").glob("*.pf_fragment")):
        data = gzip.decompress(path.read_bytes())
        yield path, data.removeprefix(FRAGMENT_PREFIX).decode("utf-8")
