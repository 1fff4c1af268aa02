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
import re
from collections.abc import Iterable, Iterator, Mapping
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
        "plugins": {name: plain(dict(p.config), loose=True) for name, p in config.plugins.items()},
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


def page_parts(page: Page, context: TemplateContext, files: Files, *, dated: bool) -> list[str]:
    """What of `context` the finished `page` depends on beyond the site's part, as strings
    for `PageCache.key`. Raises `Uncacheable`."""
    extras = {
        key: plain(value)
        for key, value in context.items()
        if key not in _MKDOCS_CONTEXT and not key.startswith("__")
    }
    named = sorted(_linked_pages(extras, files))
    neighbours = [
        [getattr(p, "url", None), p.title] if p is not None else None
        for p in (page.previous_page, page.next_page, page.parent)
    ]
    described = {
        "url": page.url,
        "src": page.file.src_uri,
        "title": page.title,
        "meta": plain(page.meta, loose=True),
        "toc": _toc(page.toc),
        "edit_url": page.edit_url,
        "canonical_url": page.canonical_url,
        "homepage": page.is_homepage,
        "neighbours": neighbours,
        "ancestors": [a.title for a in page.ancestors],
        "update_date": page.update_date if dated else None,
        "build_date": str(context.get("build_date_utc"))[:10] if dated else None,
        "extras": extras,
        "named": named,
    }
    return [json.dumps(described, sort_keys=True, ensure_ascii=False), page.content or ""]


def _toc(toc: Iterable[Any]) -> list[Any]:
    return [[a.level, a.id, a.title, _toc(a.children)] for a in toc]


def _linked_pages(extras: Any, files: Files) -> Iterator[tuple[str, str, str]]:
    """(source path, URL, title) of each page of the site that a string in `extras` names."""
    for text in set(_strings(extras)):
        file = files.get_file_from_path(text) if text.endswith(".md") else None
        if file is not None and file.page is not None:
            yield text, file.url, file.page.title or ""


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def plain(value: Any, *, loose: bool = False) -> Any:
    """`value` as JSON-able data: dataclasses, mappings, sequences, sets, dates and times,
    enums, paths and scalars. Anything else raises `Uncacheable`; with `loose` (the configuration, where
    MkDocs' own option types live) it stands for its type and, for a function or class,
    its qualified name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: plain(getattr(value, f.name), loose=loose) for f in dataclasses.fields(value)
        }
    if isinstance(value, Mapping):
        return {str(k): plain(v, loose=loose) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v, loose=loose) for v in value]
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(plain(v, loose=loose), sort_keys=True) for v in value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, enum.Enum):
        return plain(value.value, loose=loose)
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
