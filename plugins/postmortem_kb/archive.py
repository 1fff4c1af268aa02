"""The archive: every post-mortem of a folder, loaded and checked together.

One broken file never stops the others: each file yields its diagnostics, and every file
that could be read stays in the archive. Rules across files (ids, `related`, `runbooks`)
are checked here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .checks import check_postmortem
from .config import KBConfig
from .diagnostics import Diagnostic, make, sort_diagnostics
from .model import PostMortem
from .parser import parse_file


@dataclass
class Archive:
    postmortems: list[PostMortem]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    files_checked: int = 0

    def by_id(self) -> dict[str, PostMortem]:
        return {pm.id: pm for pm in self.postmortems}

    def newest_first(self) -> list[PostMortem]:
        return sorted(self.postmortems, key=_start_key, reverse=True)

    @property
    def has_errors(self) -> bool:
        return any(d.is_error for d in self.diagnostics)


def _start_key(pm: PostMortem) -> tuple[str, str]:
    started = pm.meta.timestamps.started
    return (
        pm.meta.date.isoformat() if pm.meta.date else "",
        started.isoformat() if started else "",
    )


def find_postmortem_files(paths: Iterable[Path]) -> list[Path]:
    """Markdown files named by `paths` (files, or folders searched recursively), sorted."""
    found: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found.update(
                p for p in path.rglob("*.md") if p.is_file() and not p.name.startswith(".")
            )
        else:
            found.add(path)
    return sorted(found)


def display_path(path: Path, root: Path) -> str:
    try:
        return path.resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return str(path)


def load_archive(
    files: Iterable[Path],
    config: KBConfig,
    *,
    root: Path,
    runbook_ids: set[str] | None = None,
    today: dt.date | None = None,
    known_ids: set[str] | None = None,
) -> Archive:
    """Parse and check `files`. `runbook_ids` None skips the runbook check (no docs at hand);
    `known_ids` adds post-mortem ids that exist outside `files` (when checking a subset)."""
    today = today or dt.datetime.now(dt.UTC).date()
    postmortems: list[PostMortem] = []
    diagnostics: list[Diagnostic] = []
    count = 0
    for path in files:
        count += 1
        result = parse_file(path, display_path(path, root))
        diagnostics += result.diagnostics
        if result.postmortem is None:
            continue
        pm = result.postmortem
        checked = check_postmortem(pm, config, today)
        diagnostics += checked
        pm.has_errors = any(d.is_error for d in [*result.diagnostics, *checked])
        postmortems.append(pm)
    diagnostics += check_links(postmortems, runbook_ids, known_ids or set())
    return Archive(postmortems, sort_diagnostics(diagnostics), count)


def check_links(
    postmortems: list[PostMortem], runbook_ids: set[str] | None, known_ids: set[str]
) -> list[Diagnostic]:
    """Duplicate ids, and `related`/`runbooks` entries that name nothing."""
    diagnostics = []
    first_seen: dict[str, PostMortem] = {}
    for pm in postmortems:
        if pm.id in first_seen:
            diagnostics.append(
                make(
                    pm.source_path,
                    1,
                    "PM603",
                    f"id {pm.id!r} is also used by {first_seen[pm.id].source_path}",
                )
            )
        first_seen.setdefault(pm.id, pm)
    ids = set(first_seen) | known_ids
    for pm in postmortems:
        for index, related in enumerate(pm.meta.related):
            if related not in ids or related == pm.id:
                reason = (
                    "is this post-mortem itself" if related == pm.id else "is not a post-mortem id"
                )
                diagnostics.append(
                    make(
                        pm.source_path,
                        pm.field_line("related", index),
                        "PM602",
                        f"related {related!r} {reason}",
                        hint=_suggest(related, ids),
                    )
                )
        if runbook_ids is None:
            continue
        for index, runbook in enumerate(pm.meta.runbooks):
            if runbook not in runbook_ids:
                diagnostics.append(
                    make(
                        pm.source_path,
                        pm.field_line("runbooks", index),
                        "PM601",
                        f"runbook {runbook!r} does not exist",
                        hint=_suggest(runbook, runbook_ids),
                    )
                )
    return diagnostics


def _suggest(name: str, candidates: set[str]) -> str | None:
    import difflib

    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"Did you mean {close[0]!r}?" if close else None


def runbook_ids(runbooks_dir: Path) -> set[str]:
    """Ids (file stems) of the runbook pages, `index.md` excepted."""
    if not runbooks_dir.is_dir():
        return set()
    return {p.stem for p in runbooks_dir.rglob("*.md") if p.stem not in ("index", "README")}
