"""`pmkb search`: keeps the Whoosh index in step with the post-mortems folder.

Only files whose bytes changed since the last search are parsed again: hashing 10,000
small files takes a fraction of a second, parsing them takes seconds. The index lives in
a cache folder (`.pmkb/search` beside mkdocs.yml) and can always be rebuilt.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path

from postmortem_kb.format.archive import display_path
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.parser import parse_file
from postmortem_kb.format.plaintext import markdown_to_text
from postmortem_kb.search.archive.analysis import SearchDocument
from postmortem_kb.search.archive.index import ProgressOf, SearchIndex, UpdateStats
from postmortem_kb.similarity.profiles import section_text

CACHE_DIR = Path(".pmkb") / "search"
INDEXING = "Indexing"


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
    """Make `index` hold `files` (post-mortem paths), parsing only the changed ones.

    `progress` is told of two steps: the changed files, each parsed and added to the
    index's writer, then the writing of the index (see `SearchIndex.update`).

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
    documents = _parsed(changed, root, progress)
    return index.update(documents, unchanged=unchanged, progress=progress)


def _parsed(
    changed: list[tuple[Path, str]], root: Path, progress: ProgressOf | None
) -> Iterator[SearchDocument]:
    """The changed files' documents, parsed one at a time as the index's writer asks for
    them (the first step of `refresh`'s progress; it ends with the last one)."""
    with progress(len(changed), INDEXING) if progress else nullcontext() as advance:
        for path, current in changed:
            pm = parse_file(path, display_path(path, root)).postmortem
            if pm is not None:
                yield search_document(pm, current)
            if advance is not None:
                advance(1)
