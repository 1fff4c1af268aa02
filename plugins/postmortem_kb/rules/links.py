"""Rules across files: duplicate ids, and `related` and `runbooks` entries that name nothing."""

from __future__ import annotations

import difflib

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.model import PostMortem


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
    close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.6)
    return f"Did you mean {close[0]!r}?" if close else None
