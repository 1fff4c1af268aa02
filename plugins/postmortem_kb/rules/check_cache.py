"""Each post-mortem's parse and own checks kept on disk, under `.pmkb/checks/`, so a build or
`pmkb check` parses and checks again only the files whose bytes changed.

One file per fingerprint (`fingerprint`: the plugin's options, where the project is, the
code of `rules` and the layers below it, the versions of Python, PyYAML and pydantic), read
whole at the start and written whole at the end when something changed: one pickle of every
entry loads several times faster than thousands of small files. An entry is a file's display
path -> (SHA-1 of its bytes, its `ParseResult`, its own checks), as `rules.archive.FileChecks`.
The checks depend on the build date too (overdue actions); the date is kept beside the
entries, and on another date the parses are kept and only the checks run again.

Safe to delete; a file that cannot be read or unpickled, or holds another fingerprint, is an
empty cache (never an error). Writes are atomic (a temporary file, then `os.replace`): two
builds at once at worst both write a whole file, and a reader never sees half of one. The
folder keeps the `KEEP` most recently written fingerprints (a public and an internal build,
a few dates of code), older ones are removed. The files are pickles, read only from the
project's own `.pmkb/` folder: whoever can write there can already change `mkdocs.yml`.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
import json
import os
import pickle
import platform
import tempfile
from collections.abc import Iterator, MutableMapping, Sequence
from contextlib import contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.format.archive import Archive
from postmortem_kb.format.parser import ParseResult
from postmortem_kb.learning.periods import today_utc
from postmortem_kb.project import Project
from postmortem_kb.rules.archive import ProgressOf, load_project_archive

CACHE_DIR = Path(".pmkb") / "checks"
FORMAT = 1  # the file's layout; a new one misses every old file
KEEP = 8  # fingerprints kept in the folder
_PACKAGE = Path(__file__).resolve().parent.parent  # postmortem_kb/
# What a parse and its checks are made of: `rules` and every layer below it (pyproject's
# import-linter contract keeps `rules` from importing anything above).
_CODE = (
    "rules", "trackers", "learning", "similarity", "public", "format", "diagnostics",
    "project.py", "config.py",
)  # fmt: skip
_VERSIONED = ("postmortem-kb", "pyyaml", "pydantic", "pydantic-core")

Entry = tuple[str, ParseResult, list[Diagnostic] | None]


def fingerprint(config: KBConfig, root: Path) -> str:
    """What a file's parse and checks depend on besides its bytes and the build date."""
    digest = hashlib.sha256(f"check-cache {FORMAT} {platform.python_version()}".encode())
    digest.update(json.dumps(config.model_dump(mode="json"), sort_keys=True).encode())
    digest.update(str(root.resolve()).encode())
    for name in _VERSIONED:
        try:
            digest.update(f"\0{name} {version(name)}".encode())
        except PackageNotFoundError:
            digest.update(f"\0{name} -".encode())
    for path in _code_files():  # a checkout changes without a new version
        digest.update(b"\0" + path.relative_to(_PACKAGE).as_posix().encode() + path.read_bytes())
    return digest.hexdigest()


def _code_files() -> list[Path]:
    found = []
    for name in _CODE:
        path = _PACKAGE / name
        found += sorted(path.rglob("*.py")) if path.is_dir() else [path]
    return found


class CheckCache(MutableMapping[str, Entry]):
    """The entries of one fingerprint, a `rules.archive.FileChecks`: `open` reads them,
    `save` writes them back if any changed."""

    def __init__(self, path: Path, today: dt.date, entries: dict[str, Entry]) -> None:
        self.path = path
        self.today = today
        self._entries = entries
        self.changed = False

    @classmethod
    def open(cls, root: Path, config: KBConfig, today: dt.date) -> CheckCache:
        path = root / CACHE_DIR / f"{fingerprint(config, root)[:40]}.pickle"
        return cls(path, today, _read(path, today))

    def __getitem__(self, key: str) -> Entry:
        return self._entries[key]

    def __setitem__(self, key: str, value: Entry) -> None:
        self._entries[key] = value
        self.changed = True

    def __delitem__(self, key: str) -> None:
        del self._entries[key]
        self.changed = True

    def __iter__(self) -> Iterator[str]:
        return iter(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def save(self, root: Path) -> None:
        """Write the entries (those of files still under `root`) if any changed; a
        read-only checkout builds without the cache."""
        if not self.changed:
            return
        entries = {k: v for k, v in self._entries.items() if (root / k).is_file()}
        data = {"format": FORMAT, "today": self.today.isoformat(), "entries": entries}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with (
                tempfile.NamedTemporaryFile(
                    "wb", dir=self.path.parent, suffix=".tmp", delete=False
                ) as out,
                _no_gc(),
            ):
                pickle.dump(data, out, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(out.name, self.path)
        except (OSError, pickle.PicklingError):
            return
        self.changed = False
        _prune(self.path.parent)


def _read(path: Path, today: dt.date) -> dict[str, Entry]:
    """The entries in `path`, their checks dropped when made on another date; {} for a
    file absent, unreadable, corrupt or of another layout."""
    try:
        with path.open("rb") as source, _no_gc():
            data = pickle.load(source)
        entries = data["entries"]
        checked_on = data["today"]
        if data["format"] != FORMAT or not isinstance(entries, dict):
            return {}
    except Exception:  # noqa: BLE001 - whatever a damaged pickle raises, it is a miss
        return {}
    if checked_on != today.isoformat():
        return {key: (digest, result, None) for key, (digest, result, _) in entries.items()}
    return entries


@contextmanager
def _no_gc() -> Iterator[None]:
    """The cyclic garbage collector off while (un)pickling: the many small objects of an
    archive otherwise trigger it hundreds of times, for no garbage (3x faster at 3,000)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _prune(folder: Path) -> None:
    """Keep the `KEEP` most recently written cache files."""
    try:
        files = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in files[KEEP:]:
            old.unlink(missing_ok=True)
    except OSError:
        return


def open_check_cache(project: Project, today: dt.date) -> CheckCache | None:
    """The project's cache for this configuration and date; None when `check_cache` is off."""
    if not project.config.check_cache:
        return None
    return CheckCache.open(project.root, project.config, today)


def load_cached_archive(
    project: Project,
    paths: Sequence[Path] = (),
    today: dt.date | None = None,
    progress: ProgressOf | None = None,
) -> Archive:
    """`rules.archive.load_project_archive` through the project's cache: only the files
    changed since the cache was written are parsed and checked; the cache is written back."""
    today = today or today_utc()
    cache = open_check_cache(project, today)
    archive = load_project_archive(project, paths, today, memo=cache, progress=progress)
    if cache is not None:
        cache.save(project.root)
    return archive
