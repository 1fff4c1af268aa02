"""A content-addressed cache of rendered pages (Markdown to HTML), under `.pmkb/render/`.

Python-Markdown is about half of a build, and a page's HTML depends only on its Markdown
(as MkDocs is about to convert it: after every plugin's `on_page_markdown`), where the page
is (its source path and URL) and how the site converts Markdown. An entry is keyed by the
SHA-256 of exactly those: the Markdown, the source path, the URL and the build's
`fingerprint` (the plugin's version and the code of this module; the versions of MkDocs,
Python-Markdown, pymdown-extensions and Material; `markdown_extensions` with their options,
`use_directory_urls`, the plugin's options). The rest of the plugin's code only decides the
Markdown, which is in the key. A changed page, a changed configuration or another version of
the plugin misses; nothing is ever invalidated by hand, and the folder is always safe to
delete.

An entry records the site paths its links point to (`link_targets`); it is used only while
each of them is still a file of the site (`links_exist`), so a page linking to a deleted
runbook renders again and MkDocs warns of the broken link as it did the first time.
Writes are atomic (a temporary file, then `os.replace`): two builds at once at worst both
write the same entry, and a reader never sees half a file.
"""

from __future__ import annotations

import hashlib
import html
import json
import posixpath
import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from postmortem_kb.storage import write_atomically

CACHE_DIR = Path(".pmkb") / "render"
FORMAT = 1  # the entries' layout; a new one misses every old entry
_VERSIONED = ("postmortem-kb", "mkdocs", "markdown", "pymdown-extensions", "mkdocs-material")
_CODE = (Path(__file__).resolve(),)  # what turns a page into what is cached


@dataclass(frozen=True)
class RenderedPage:
    """What MkDocs' `Page.render` leaves on a page, as plain data."""

    html: str
    toc: list[dict[str, Any]]  # MkDocs' toc tokens: level, id, name, children
    title: str | None  # the first H1's text (`Page._title_from_render`)
    anchors: list[str]  # the ids in the page (`Page.present_anchor_ids`)
    links: list[str] = field(default_factory=list)  # site paths the HTML links to
    # links to anchors of pages: source path -> {anchor: link as written}, which MkDocs
    # checks once every page is rendered (`Page.links_to_anchors`)
    anchor_links: dict[str, dict[str, str]] = field(default_factory=dict)


class RenderCache:
    """Rendered pages by key; kept in memory too with `keep_in_memory` (`mkdocs serve`,
    whose plugin instance lives across rebuilds)."""

    def __init__(self, folder: Path, fingerprint: str, *, keep_in_memory: bool = False) -> None:
        self.folder = folder
        self.fingerprint = fingerprint
        self.keep_in_memory = keep_in_memory
        self._memory: dict[str, RenderedPage] = {}
        self.hits = self.misses = 0

    def key(self, src_uri: str, url: str, markdown: str) -> str:
        digest = hashlib.sha256(self.fingerprint.encode())
        for part in (src_uri, url, markdown):
            digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, key: str, suffix: str = ".json") -> Path:
        return self.folder / key[:2] / f"{key}{suffix}"

    def get(self, key: str) -> RenderedPage | None:
        page = self._memory.get(key)
        if page is None:
            try:
                data = json.loads(self._path(key).read_text(encoding="utf-8"))
                page = RenderedPage(**data)
            except (OSError, ValueError, TypeError):
                return None  # absent, or not an entry of this layout: render the page
            if self.keep_in_memory:
                self._memory[key] = page
        return page

    def put(self, key: str, page: RenderedPage) -> None:
        if self.keep_in_memory:
            self._memory[key] = page
        self._write(self._path(key), json.dumps(asdict(page), ensure_ascii=False))

    @staticmethod
    def _write(path: Path, text: str) -> None:
        write_atomically(path, text.encode("utf-8", "surrogatepass"))


def fingerprint(*parts: object) -> str:
    """A stable digest of the build's settings (`parts`: JSON-able values; a function or
    class stands for its qualified name), the cached output's code and the versions."""
    digest = hashlib.sha256(f"render-cache {FORMAT}".encode())
    digest.update(json.dumps(parts, sort_keys=True, default=_stable).encode())
    digest.update(versions(_VERSIONED).encode())
    for path in _CODE:  # a checkout changes without a new version
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()


def versions(names: tuple[str, ...]) -> str:
    """The installed version of each distribution in `names` ("-" when absent), for a
    cache's fingerprint."""
    found = []
    for name in names:
        try:
            found.append(f"{name} {version(name)}")
        except PackageNotFoundError:
            found.append(f"{name} -")
    return "\n".join(found)


def _stable(value: object) -> str:
    name = getattr(value, "__qualname__", None)
    module = getattr(value, "__module__", None)
    if name and module:
        return f"{module}.{name}"
    return f"{type(value).__module__}.{type(value).__qualname__}"


_LINK = re.compile(r"""\s(?:href|src)="([^"]*)\"""")
_SCHEME = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


def link_targets(rendered: str, page_url: str) -> list[str]:
    """The site paths (normalised, from the site's root) that `rendered`, the HTML of the
    page at `page_url`, links to: relative links only (no URL, fragment or absolute path),
    without their query and fragment."""
    base = page_url if page_url.endswith("/") or not page_url else posixpath.dirname(page_url)
    found = set()
    for match in _LINK.finditer(rendered):
        target = html.unescape(match.group(1)).split("#", 1)[0].split("?", 1)[0]
        if not target or target.startswith("/") or _SCHEME.match(target):
            continue
        path = posixpath.normpath(posixpath.join(base, target))
        if not path.startswith(".."):
            found.add(path)
    return sorted(found)


def site_paths(paths: Iterable[str]) -> frozenset[str]:
    """The site's files as `link_targets` gives them: pass each file's URL and output path."""
    return frozenset(posixpath.normpath(path) for path in paths)


def links_exist(page: RenderedPage, paths: frozenset[str]) -> bool:
    return all(link in paths for link in page.links)
