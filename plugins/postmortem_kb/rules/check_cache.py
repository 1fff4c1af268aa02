"""Each post-mortem's parse and own checks kept on disk, under `.pmkb/checks/`, so a build or
`pmkb check` parses and checks again only the files whose bytes changed.

A folder per fingerprint (`fingerprint`: the plugin's options, where the project is, the
code of `rules` and the layers below it, the versions of Python, PyYAML and pydantic), a
file per post-mortem in it, named by its display path: the SHA-1 of the file's bytes, its
`ParseResult`, its own checks and the build date they were made on (the checks depend on
it: overdue actions). On another date the parse is kept and only the checks run again. An
entry is written when it changes, so an edit rewrites one small file. Measured at 3,000
(`benchmarks/check_scale.py`): reading 3,000 small files costs less CPU than one pickle of
them all (1.4 s against 2.0 s), and one file of everything had to be written whole again
for every edit (3 s).

Safe to delete; an entry that cannot be read or unpickled, or is of another layout, is a
miss (never an error). Writes are atomic (a temporary file, then `os.replace`): two builds
at once at worst both write an entry, and a reader never sees half of one. The `KEEP` most
recently written fingerprints are kept, older folders removed. The files are pickles, read
only from the project's own `.pmkb/` folder: whoever can write there can already change
`mkdocs.yml`.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import pickle
import platform
import shutil
from collections.abc import Iterator, MutableMapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from urllib.parse import quote, unquote

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.format.archive import Archive
from postmortem_kb.format.parser import ParseResult
from postmortem_kb.learning.periods import today_utc
from postmortem_kb.project import Project
from postmortem_kb.rules.archive import ProgressOf, load_project_archive
from postmortem_kb.storage import write_atomically

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
    """The entries of one fingerprint, a `rules.archive.FileChecks` by display path: each
    read from its file when first asked for, written when set, and kept in memory (`mkdocs
    serve` keeps the instance across rebuilds)."""

    def __init__(self, folder: Path, today: dt.date) -> None:
        self.folder = folder
        self.today = today
        self._memory: dict[str, Entry] = {}

    @classmethod
    def open(cls, root: Path, config: KBConfig, today: dt.date) -> CheckCache:
        return cls(root / CACHE_DIR / fingerprint(config, root)[:40], today)

    def _path(self, key: str) -> Path:
        return self.folder / (quote(key, safe="") + ".pickle")

    def __getitem__(self, key: str) -> Entry:
        if key not in self._memory:
            entry = _read(self._path(key), self.today)
            if entry is None:
                raise KeyError(key)
            self._memory[key] = entry
        return self._memory[key]

    def __setitem__(self, key: str, value: Entry) -> None:
        self._memory[key] = value
        _write(self._path(key), {"format": FORMAT, "today": self.today.isoformat(), "entry": value})

    def __delitem__(self, key: str) -> None:
        del self._memory[key]
        self._path(key).unlink(missing_ok=True)

    def __iter__(self) -> Iterator[str]:
        try:
            names = sorted(p.name for p in self.folder.glob("*.pickle"))
        except OSError:
            names = []
        return iter({*self._memory, *(unquote(name.removesuffix(".pickle")) for name in names)})

    def __len__(self) -> int:
        return sum(1 for _ in self)


def _read(path: Path, today: dt.date) -> Entry | None:
    """The entry in `path`, its checks dropped when made on another date; None for a file
    absent, unreadable, corrupt or of another layout."""
    try:
        data = pickle.loads(path.read_bytes())  # the garbage collector is off meanwhile
        digest, result, checked = data["entry"]
        if data["format"] != FORMAT or not isinstance(result, ParseResult):
            return None
        checked_on = data["today"]
    except Exception:  # noqa: BLE001 - whatever a damaged pickle raises, it is a miss
        return None
    return (digest, result, checked if checked_on == today.isoformat() else None)


def _write(path: Path, data: object) -> None:
    """`data` pickled to `path` whole; a read-only checkout builds without the cache."""
    try:
        pickled = pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)
    except pickle.PicklingError:
        return
    if not path.parent.is_dir():
        with contextlib.suppress(OSError):
            path.parent.mkdir(parents=True, exist_ok=True)
            _prune(path.parent.parent)
    write_atomically(path, pickled)


def _prune(folder: Path) -> None:
    """Keep the `KEEP` most recently written fingerprints' folders."""
    try:
        folders = sorted(
            (p for p in folder.iterdir() if p.is_dir()), key=lambda p: p.stat().st_mtime
        )
        for old in folders[: max(len(folders) - KEEP, 0)]:
            shutil.rmtree(old, ignore_errors=True)
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
    changed since their entry was written are parsed and checked (and written)."""
    today = today or today_utc()
    cache = open_check_cache(project, today)
    return load_project_archive(project, paths, today, memo=cache, progress=progress)
