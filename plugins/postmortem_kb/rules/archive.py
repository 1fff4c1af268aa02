"""Loading the archive with every rule applied: each file parsed and checked, then the rules
across files. One broken file never stops the others.

`pmkb check` and the plugin both load through `load_project_archive`, so they report
exactly the same diagnostics.
"""

from __future__ import annotations

import datetime as dt
import gc
import hashlib
from collections.abc import Callable, Iterable, Iterator, MutableMapping, Sequence
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, sort_diagnostics
from postmortem_kb.format.archive import Archive, display_path, find_postmortem_files, runbook_ids
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import ParseResult, parse_file
from postmortem_kb.learning.recurrence import FactorOccurrence
from postmortem_kb.project import Project
from postmortem_kb.rules.factor_keys import check_factor_keys, keyed_factors
from postmortem_kb.rules.links import check_links
from postmortem_kb.rules.postmortem import check_postmortem
from postmortem_kb.rules.references import check_references

FileChecks = MutableMapping[str, tuple[str, ParseResult, list[Diagnostic] | None]]
"""Display path -> (SHA-1 of the file's bytes, its parse, its own checks or None to check it
again): kept by a caller that loads the same archive again and again (`mkdocs serve`; on
disk, `rules.check_cache`), so only the files that changed are parsed and checked again. The
rules across files always run."""

Progress = Callable[[int], None]
ProgressOf = Callable[[int], AbstractContextManager[Progress | None]]
"""Given how many files are to be checked, a context yielding a callback told of each file
checked, or None (the CLI's `progress.progress_bar`: a bar on a terminal only)."""


def load_project_archive(
    project: Project,
    paths: Sequence[Path] = (),
    today: dt.date | None = None,
    memo: FileChecks | None = None,
    progress: ProgressOf | None = None,
) -> Archive:
    """Check `paths` (default: the whole post-mortems folder) against the whole archive's ids
    (`memo`: see `FileChecks`; `progress`: see `ProgressOf`)."""
    files = find_postmortem_files(paths or [project.postmortems_dir])
    every_file = find_postmortem_files([project.postmortems_dir])
    rest = [path for path in every_file if path not in set(files)] if paths else []
    return load_archive(
        files,
        project.config,
        root=project.root,
        runbook_ids=runbook_ids(project.runbooks_dir),
        today=today,
        known_ids={p.stem for p in every_file} - {p.stem for p in files},
        other_factors=keyed_factors(rest),
        memo=memo,
        progress=progress,
    )


def load_archive(
    files: Iterable[Path],
    config: KBConfig,
    *,
    root: Path,
    runbook_ids: set[str] | None = None,
    today: dt.date | None = None,
    known_ids: set[str] | None = None,
    other_factors: Sequence[FactorOccurrence] = (),
    memo: FileChecks | None = None,
    progress: ProgressOf | None = None,
) -> Archive:
    """Parse and check `files`. `runbook_ids` None skips the runbook check (no docs at hand);
    `known_ids` adds post-mortem ids that exist outside `files` (when checking a subset), and
    `other_factors` the keyed contributing factors of those files (PM110)."""
    today = today or dt.datetime.now(dt.UTC).date()
    postmortems: list[PostMortem] = []
    diagnostics: list[Diagnostic] = []
    files = list(files)
    with progress(len(files)) if progress else nullcontext() as advance, _without_gc():
        for path in files:
            shown = display_path(path, root)
            result, checked = _parse_and_check(path, shown, config, today, memo)
            if advance:
                advance(1)
            diagnostics += result.diagnostics
            if result.postmortem is None:
                continue
            pm = result.postmortem
            diagnostics += checked
            pm.has_errors = any(d.is_error for d in [*result.diagnostics, *checked])
            postmortems.append(pm)
    diagnostics += check_links(postmortems, runbook_ids, known_ids or set())
    diagnostics += check_references(postmortems, known_ids or set())
    diagnostics += check_factor_keys(postmortems, other_factors)
    return Archive(postmortems, sort_diagnostics(diagnostics), len(files))


def _parse_and_check(
    path: Path, shown: str, config: KBConfig, today: dt.date, memo: FileChecks | None
) -> tuple[ParseResult, list[Diagnostic]]:
    """The file's parse and its own checks, from `memo` when its bytes are the same (the
    memo belongs to one configuration, and its checks to one build date: its caller makes a
    new one when they change, or drops the checks)."""
    digest = None
    result = None
    if memo is not None:
        try:
            digest = hashlib.sha1(path.read_bytes()).hexdigest()
        except OSError:
            digest = None  # parse_file says why
        kept = memo.get(shown)
        if digest is not None and kept is not None and kept[0] == digest:
            if kept[2] is not None:
                return kept[1], kept[2]
            result = kept[1]
    if result is None:
        result = parse_file(path, shown)
    checked = check_postmortem(result.postmortem, config, today) if result.postmortem else []
    if memo is not None and digest is not None:
        memo[shown] = (digest, result, checked)
    return result, checked


@contextmanager
def _without_gc() -> Iterator[None]:
    """The cyclic garbage collector off while the files are read: the archive's millions of
    small objects (parsed, or unpickled from `rules.check_cache`) otherwise make each full
    collection walk them all, for next to no garbage; what there is goes once it is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
