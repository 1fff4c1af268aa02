"""The archive: every post-mortem of a folder, loaded and checked together.

One broken file never stops the others: each file yields its diagnostics, and every file
that could be read stays in the archive. Rules across files (ids, `related`, `runbooks`)
are checked here.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.format.model import PostMortem


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


def runbook_ids(runbooks_dir: Path) -> set[str]:
    """Ids (file stems) of the runbook pages, `index.md` excepted."""
    if not runbooks_dir.is_dir():
        return set()
    return {p.stem for p in runbooks_dir.rglob("*.md") if p.stem not in ("index", "README")}
