"""Loading the archive with every rule applied: each file parsed and checked, then the rules
across files. One broken file never stops the others.

`pmkb check` and the plugin both load through `load_project_archive`, so they report
exactly the same diagnostics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from pathlib import Path

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, sort_diagnostics
from postmortem_kb.format.archive import Archive, display_path, find_postmortem_files, runbook_ids
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import parse_file
from postmortem_kb.learning.recurrence import FactorOccurrence
from postmortem_kb.project import Project
from postmortem_kb.rules.factor_keys import check_factor_keys, keyed_factors
from postmortem_kb.rules.links import check_links
from postmortem_kb.rules.postmortem import check_postmortem
from postmortem_kb.rules.references import check_references


def load_project_archive(
    project: Project, paths: Sequence[Path] = (), today: dt.date | None = None
) -> Archive:
    """Check `paths` (default: the whole post-mortems folder) against the whole archive's ids."""
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
) -> Archive:
    """Parse and check `files`. `runbook_ids` None skips the runbook check (no docs at hand);
    `known_ids` adds post-mortem ids that exist outside `files` (when checking a subset), and
    `other_factors` the keyed contributing factors of those files (PM110)."""
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
    diagnostics += check_references(postmortems, known_ids or set())
    diagnostics += check_factor_keys(postmortems, other_factors)
    return Archive(postmortems, sort_diagnostics(diagnostics), count)
