"""PM604: a post-mortem's text names another incident that `related` does not list.

The page shows such an incident under related incidents anyway (`site.listings`); the
warning asks for it in `related` too, so the link is kept in the data (the learning pages,
`pmkb review` and the action items of related incidents read `related`). Its hint is the
line to write. An incident already linked by `related` in either direction is left alone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Sequence

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.references import ArchiveNames, find_references


def check_references(
    postmortems: Sequence[PostMortem], known_ids: Collection[str] = ()
) -> list[Diagnostic]:
    """PM604 for each incident a post-mortem names but is not linked with by `related`.

    `known_ids` are ids of post-mortems outside `postmortems` (checking a subset): their
    ids count as references, their titles are not known."""
    names = ArchiveNames.of(postmortems, known_ids)
    linked: dict[str, set[str]] = defaultdict(set)
    for pm in postmortems:
        for other in pm.meta.related:
            linked[pm.id].add(other)
            linked[other].add(pm.id)
    diagnostics = []
    for pm in postmortems:
        missing = [r for r in find_references(pm, names) if r.target not in linked[pm.id]]
        if not missing:
            continue
        wanted = list(dict.fromkeys([*pm.meta.related, *(r.target for r in missing)]))
        hint = f"related: [{', '.join(wanted)}]"
        for reference in missing:
            diagnostics.append(
                make(
                    pm.source_path,
                    reference.line,
                    "PM604",
                    f"the text names {reference.target} ({reference.kind}) but `related` "
                    "does not list it",
                    column=reference.column,
                    hint=hint,
                )
            )
    return diagnostics
