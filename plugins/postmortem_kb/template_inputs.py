"""What of MkDocs' template context a finished page depends on, as plain data: the key of
the page cache (`site.page_cache`). An adapter module: it reads MkDocs' objects, so it sits
beside `plugin.py` above the domain.

Two parts. `site_inputs`, once per build: the configuration, the theme and its template
folders, the nav (titles and URLs, as every page renders it). `page_parts`, for each page:
the page itself and what plugins added to its context (the post-mortem header), with the
title and URL of every page that data names by source path (a related incident's new title
is this page's new footer). A value that has no plain-data form makes the page uncacheable
(`Uncacheable`), never a key that misses a change.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import json
import posixpath
import re
from collections.abc import Iterable, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.structure.files import Files
from mkdocs.structure.nav import Navigation
from mkdocs.structure.pages import Page
from mkdocs.utils.templates import TemplateContext

from postmortem_kb.site.page_cache import folder_digest

# The configuration's entries that say where files are, not what a page holds.
_MACHINE_KEYS = frozenset(
    {"config_file_path", "site_dir", "docs_dir", "dev_addr", "watch", "strict", "validation"}
)
# MkDocs' own context entries (`commands.build.get_context`); the rest came from plugins.
# `pages` is for the sitemap; `build_date_utc` only counts if a template names it.
_MKDOCS_CONTEXT = frozenset(
    {"nav", "pages", "base_url", "extra_css", "extra_javascript", "mkdocs_version", "config"}
    | {"page", "build_date_utc"}
)
_DATES = re.compile(rb"build_date_utc|update_date")


class Uncacheable(Exception):
    """A value of the context has no plain-data form."""


def site_inputs(
    config: MkDocsConfig, nav: Navigation, theme_package: Path, own: object
) -> dict[str, Any]:
    """The part of every page's template context that is the same for the whole site;
    `own`: the plugin's settings and what it adds to the templates' globals. Template
    folders inside `theme_package` (the theme's own) are represented by the theme's
    version (`page_cache.site_fingerprint`); the others by their files' bytes."""
    theme = config.theme
    folders = [d for d in theme.dirs if not Path(d).resolve().is_relative_to(theme_package)]
    return {
        "config": plain(
            {k: v for k, v in config.items() if k not in _MACHINE_KEYS | {"theme", "plugins"}},
            loose=True,
        ),
        "plugins": {  # a hook is a module, without options
            name: plain(dict(getattr(p, "config", None) or {}), loose=True)
            for name, p in config.plugins.items()
        },
        "theme": {
            "name": theme.name,
            "options": plain(dict(theme), loose=True),
            "folders": [folder_digest(Path(d)) for d in folders],
        },
        "nav": nav_inputs(nav.items),
        "dates": any(_names_dates(Path(d)) for d in folders),
        "own": plain(own),
    }


def _names_dates(folder: Path) -> bool:
    """Whether a template under `folder` shows the build date (then every key has it)."""
    return any(_DATES.search(p.read_bytes()) for p in folder.rglob("*.html") if p.is_file())


def nav_inputs(items: Iterable[Any]) -> list[Any]:
    """The nav as every page renders it: each item's kind, title, URL and children."""
    return [
        [
            type(item).__name__,
            item.title,
            getattr(item, "url", None),
            nav_inputs(item.children or ()) if getattr(item, "children", None) else [],
        ]
        for item in items
    ]


def page_index(files: Files) -> dict[str, tuple[str, str]]:
    """Each page's source path -> its URL and title (once every page is read)."""
    return {f.src_uri: (f.url, f.page.title or "") for f in files.documentation_pages() if f.page}


def page_parts(
    page: Page,
    context: TemplateContext,
    pages: Mapping[str, tuple[str, str]],
    *,
    dated: bool,
) -> list[str]:
    """What of `context` the finished `page` depends on beyond the site's part, as strings
    for `PageCache.key`; `pages`: `page_index`. Raises `Uncacheable`."""
    extras = to_json(
        {k: v for k, v in context.items() if k not in _MKDOCS_CONTEXT and not k.startswith("__")}
    )
    named = sorted(
        [name, *pages[name]]
        for name in {json.loads(m) for m in _MD_STRING.findall(extras)}
        if name in pages
    )
    neighbours = [
        [getattr(p, "url", None), p.title] if p is not None else None
        for p in (page.previous_page, page.next_page, page.parent)
    ]
    described = {
        "url": page.url,
        "src": page.file.src_uri,
        "title": page.title,
        "toc": _toc(page.toc),
        "edit_url": page.edit_url,
        "canonical_url": page.canonical_url,
        "homepage": page.is_homepage,
        "neighbours": neighbours,
        "ancestors": [a.title for a in page.ancestors],
        "update_date": page.update_date if dated else None,
        "build_date": str(context.get("build_date_utc"))[:10] if dated else None,
        "named": named,
    }
    return [
        to_json(described),
        to_json(page.meta, loose=True),
        extras,
        page.content or "",
    ]


_MD_STRING = re.compile(r'"(?:[^"\\]|\\.)*\.md"')  # a JSON string naming a Markdown file


def _toc(toc: Iterable[Any]) -> list[Any]:
    return [[a.level, a.id, a.title, _toc(a.children)] for a in toc]


def to_json(value: Any, *, loose: bool = False) -> str:
    """`value` as canonical JSON (`_plain_object` for what JSON has no form of). Raises
    `Uncacheable`, also for keys JSON cannot sort or a value that contains itself."""
    try:
        return json.dumps(
            value,
            sort_keys=True,
            ensure_ascii=False,
            default=lambda v: _plain_object(v, loose=loose),
        )
    except (TypeError, ValueError) as err:
        raise Uncacheable(str(err)) from err


def plain(value: Any, *, loose: bool = False) -> Any:
    """`value` as JSON-able data (see `_plain_object`)."""
    return json.loads(to_json(value, loose=loose))


@cache
def _field_names(kind: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(kind))


def _plain_object(value: Any, *, loose: bool) -> Any:
    """What JSON has no form of, as what it has: dataclasses, mappings, sets, dates and
    times, enums, paths. Anything else raises `Uncacheable`; with `loose` (the
    configuration, where MkDocs' own option types live) it stands for its type and, for a
    function or class, its qualified name."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: getattr(value, name) for name in _field_names(type(value))}
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted(to_json(v, loose=loose) for v in value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, Path):
        return str(value)
    if isinstance(value, re.Pattern):
        return value.pattern
    if not loose:
        raise Uncacheable(type(value).__qualname__)
    name = getattr(value, "__qualname__", None)
    module = getattr(value, "__module__", None)
    if name and module:
        return f"{module}.{name}"
    return f"<{type(value).__module__}.{type(value).__qualname__}>"


def shared_nav_key(page: Page | None, nav: Navigation) -> str | None:
    """For a page outside the nav, what its rendering of the nav depends on: the folder its
    URL is in (the nav's links are relative to the page, so the same from every page in
    one folder), unless a page of the nav is inside its own folder (then from there its
    links differ). None for a page in the nav (an item of it is active)."""
    if page is None or page in nav.pages:
        return None
    url = page.url
    if url.endswith("/") and any(p.url.startswith(url) for p in nav.pages if url):
        return None
    return posixpath.dirname(url.rstrip("/"))
