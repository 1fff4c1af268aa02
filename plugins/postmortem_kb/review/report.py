"""The review of a set of post-mortems against the archive: one `PostMortemReview` each.

The files under review are checked as `pmkb check FILES` checks them (against every id of
the archive); similarity and the related incidents come from the whole archive, so a
reviewer sees what the pull request's author could not: which past incidents look alike,
and which of the related incidents' action items are still open.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from postmortem_kb.diagnostics.diagnostic import Diagnostic
from postmortem_kb.format.archive import display_path
from postmortem_kb.format.model import PostMortem
from postmortem_kb.learning.ledger import ActionEntry, StatusSource, entries_of
from postmortem_kb.project import Project
from postmortem_kb.rules.archive import load_project_archive
from postmortem_kb.similarity.profiles import SIMILAR_COUNT, similar_to_draft
from postmortem_kb.similarity.vectors import Similar
from postmortem_kb.site.listings import reverse_related


@dataclass(frozen=True)
class SimilarIncident:
    match: Similar
    incident: PostMortem


@dataclass(frozen=True)
class RelatedActions:
    """The open action items of one incident the reviewed post-mortem relates to."""

    incident: PostMortem
    items: tuple[ActionEntry, ...]


@dataclass(frozen=True)
class PostMortemReview:
    path: str  # as diagnostics show it
    postmortem: PostMortem | None  # None when the file could not be read at all
    diagnostics: tuple[Diagnostic, ...]
    similar: tuple[SimilarIncident, ...]
    related_actions: tuple[RelatedActions, ...]
    today: dt.date

    @property
    def errors(self) -> int:
        return sum(d.is_error for d in self.diagnostics)

    @property
    def warnings(self) -> int:
        return len(self.diagnostics) - self.errors


def review_files(
    project: Project,
    files: Sequence[Path],
    *,
    count: int = SIMILAR_COUNT,
    today: dt.date | None = None,
    status_sources: Sequence[StatusSource] = (),
) -> list[PostMortemReview]:
    """One review per file of `files`, in their order. As on a post-mortem's page, the
    similar incidents leave out those already linked to it, in either direction."""
    today = today or dt.datetime.now(dt.UTC).date()
    if not files:
        return []
    checked = load_project_archive(project, files, today=today)
    archive = load_project_archive(project, today=today).postmortems
    by_id = {pm.id: pm for pm in archive}
    parsed = {pm.source_path: pm for pm in checked.postmortems}
    backlinks = reverse_related(archive)
    reviews = []
    for file in files:
        path = display_path(file, project.root)
        pm = parsed.get(path)
        similar: tuple[SimilarIncident, ...] = ()
        related: tuple[RelatedActions, ...] = ()
        if pm is not None:
            linked = set(backlinks.get(pm.id, ()))  # its `related` are left out already
            matches = similar_to_draft(pm, archive, count + len(linked))
            similar = tuple(SimilarIncident(m, by_id[m.id]) for m in matches if m.id not in linked)
            similar = similar[:count]
            related = _related_actions(pm, by_id, backlinks.get(pm.id, ()), status_sources)
        diagnostics = tuple(d for d in checked.diagnostics if d.path == path)
        reviews.append(PostMortemReview(path, pm, diagnostics, similar, related, today))
    return reviews


def _related_actions(
    pm: PostMortem,
    by_id: dict[str, PostMortem],
    backlinks: Sequence[str],
    sources: Sequence[StatusSource],
) -> tuple[RelatedActions, ...]:
    """Incidents `pm` names in `related` and those that name it, with open action items
    (each item's status as the ledger resolves it: the tracker cache first)."""
    ids = dict.fromkeys([*pm.meta.related, *backlinks])
    found = []
    for other_id in ids:
        other = by_id.get(other_id)
        if other is None or other.id == pm.id:
            continue
        items = tuple(entry for entry in entries_of(other, sources) if entry.is_open)
        if items:
            found.append(RelatedActions(other, items))
    return tuple(found)
