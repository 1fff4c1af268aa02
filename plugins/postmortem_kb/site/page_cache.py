"""A content-addressed cache of finished pages (what the theme's template made of a page),
under `.pmkb/pages/`.

The render cache (`render_cache.py`) spares Python-Markdown; the template is the other half
of a page's cost: Material's `main.html` renders the header, the nav, the table of contents
and the footer of every page, tens of milliseconds each, even when nothing of the page
changed. A finished page depends only on what its template sees: the page (its HTML, title,
table of contents, metadata, URL), the nav, the configuration, the templates themselves and
what plugins put into the context. The adapter (`template_inputs.py`) turns exactly that into
plain data; an entry's key is the SHA-256 of it, under a folder named for the site's part
(`site_fingerprint`: the configuration, the nav, the templates, the versions and this
package's code). So a changed page, title, nav, template or setting misses; nothing is ever
invalidated by hand, and the folder is always safe to delete.

Entries are zlib-compressed HTML written atomically (a temporary file, then `os.replace`):
two builds at once at worst both write the same entry, and a reader never sees half a file;
an entry that does not decompress is a miss. `prune` keeps the folder to what the last
build used, and drops the folders of site fingerprints not used for a week.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import zlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from postmortem_kb.site.render_cache import versions
from postmortem_kb.storage import write_atomically

CACHE_DIR = Path(".pmkb") / "pages"
FORMAT = 1  # the entries' layout; a new one misses every old entry
KEEP_OTHER_SITES = 7 * 24 * 3600  # seconds a folder of another site fingerprint is kept
_PACKAGE = Path(__file__).resolve().parent.parent  # postmortem_kb
_CODE_SUFFIXES = (".py", ".html", ".js", ".css")
_VERSIONED = ("postmortem-kb", "mkdocs", "mkdocs-material", "jinja2", "markupsafe")
_SUFFIX = ".html.z"


class PageCache:
    """Finished pages by key, in the folder of one site fingerprint."""

    def __init__(self, root: Path, site_fingerprint: str) -> None:
        self.root = root
        self.folder = root / site_fingerprint[:32]
        self.site_fingerprint = site_fingerprint
        self.hits = self.misses = 0
        self._used: set[str] = set()

    def key(self, parts: Iterable[str]) -> str:
        digest = hashlib.sha256(self.site_fingerprint.encode())
        for part in parts:
            digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.folder / key[:2] / f"{key}{_SUFFIX}"

    def get(self, key: str) -> str | None:
        try:
            page = zlib.decompress(self._path(key).read_bytes()).decode("utf-8")
        except (OSError, zlib.error, UnicodeDecodeError):
            return None  # absent or damaged: the template renders the page
        self._used.add(key)
        self.hits += 1
        return page

    def put(self, key: str, page: str) -> None:
        data = zlib.compress(page.encode("utf-8", "surrogatepass"), 1)
        if write_atomically(self._path(key), data):
            self._used.add(key)
        self.misses += 1

    def prune(self, *, now: float | None = None) -> int:
        """Delete this fingerprint's entries the build did not use, and the folders of other
        site fingerprints untouched for `KEEP_OTHER_SITES` (the public and internal sites
        share `.pmkb/`, each with its own folder). How many entries were deleted."""
        now = time.time() if now is None else now
        deleted = 0
        for entry in self.folder.glob(f"*/*{_SUFFIX}"):
            if entry.name.removesuffix(_SUFFIX) not in self._used:
                entry.unlink(missing_ok=True)
                deleted += 1
        if self.folder.is_dir():
            os.utime(self.folder)
        for other in self.root.iterdir() if self.root.is_dir() else ():
            if other != self.folder and other.is_dir():
                try:
                    stale = now - other.stat().st_mtime > KEEP_OTHER_SITES
                except OSError:
                    continue
                if stale:
                    shutil.rmtree(other, ignore_errors=True)
        return deleted


def site_fingerprint(inputs: object) -> str:
    """The digest of the site's part of every page (`inputs`: JSON-able data, from
    `template_inputs.site_inputs`), this package's code and the versions that render it."""
    digest = hashlib.sha256(f"page-cache {FORMAT} {package_digest()}".encode())
    digest.update(json.dumps(inputs, sort_keys=True, ensure_ascii=False).encode())
    digest.update(versions(_VERSIONED).encode())
    return digest.hexdigest()


@cache
def package_digest() -> str:
    """The digest of this package's code and templates: a checkout changes without a new
    version (computed once per process)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*")):
        if path.suffix in _CODE_SUFFIXES and path.is_file():
            digest.update(str(path.relative_to(_PACKAGE)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def folder_digest(folder: Path) -> str:
    """The digest of every file under `folder` (names and bytes): a `custom_dir`."""
    digest = hashlib.sha256()
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            try:
                data = path.read_bytes()
            except OSError:
                data = b"\xff unreadable"
            digest.update(str(path.relative_to(folder)).encode() + b"\0" + data)
    return digest.hexdigest()
