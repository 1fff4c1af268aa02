"""`pmkb search`: keeps the Whoosh index in step with the post-mortems folder.

Only files whose bytes changed since the last search are parsed again: hashing 10,000
small files takes a fraction of a second, parsing them takes seconds. The index lives in
a cache folder (`.pmkb/search` beside mkdocs.yml) and can always be rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path

from postmortem_kb.format.archive import display_path
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import parse_file
from postmortem_kb.format.plaintext import markdown_to_text
from postmortem_kb.search.archive.analysis import SearchDocument
from postmortem_kb.search.archive.index import SearchIndex, UpdateStats
from postmortem_kb.similarity.profiles import section_text

CACHE_DIR = Path(".pmkb") / "search"

ProgressOf = Callable[[int], AbstractContextManager[Callable[[int], None] | None]]
"""Given how many files are to be parsed, a context yielding a callback to call with 1 as
each is done, or None (the CLI's `progress.progress_bar`: a bar on a terminal only)."""


def fingerprint(data: bytes) -> str:
    return hashlib.sha1(data).hexdigest()


def search_document(pm: PostMortem, file_fingerprint: str) -> SearchDocument:
    return SearchDocument(
        id=pm.id,
        path=pm.source_path,
        title=pm.title,
        summary=pm.meta.impact.summary or section_text(pm, "Summary"),
        body=markdown_to_text(pm.markdown),
        services=tuple(pm.meta.services),
        tags=tuple(pm.meta.tags),
        severity=pm.meta.severity or "",
        status=pm.meta.status or "",
        date=pm.meta.date or dt.date(1970, 1, 1),
        factors=tuple(f.description for f in pm.meta.contributing_factors),
        fingerprint=file_fingerprint,
    )


def refresh(
    index: SearchIndex, files: Sequence[Path], root: Path, progress: ProgressOf | None = None
) -> UpdateStats:
    """Make `index` hold `files` (post-mortem paths), parsing only the changed ones (their
    count goes to `progress`, which is told of each one parsed).

    A file that cannot be read or parsed is left out of the index; `pmkb check` says why.
    """
    indexed = index.fingerprints()
    unchanged: list[str] = []
    changed: list[tuple[Path, str]] = []
    for path in files:
        try:
            current = fingerprint(path.read_bytes())
        except OSError:
            continue
        if indexed.get(path.stem) == current:
            unchanged.append(path.stem)
        else:
            changed.append((path, current))
    documents = []
    with progress(len(changed)) if progress else nullcontext() as advance:
        for path, current in changed:
            pm = parse_file(path, display_path(path, root)).postmortem
            if pm is not None:
                documents.append(search_document(pm, current))
            if advance is not None:
                advance(1)
    return index.update(documents, unchanged=unchanged)
