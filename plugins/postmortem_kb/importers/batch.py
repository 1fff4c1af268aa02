"""Importing many files: each source to a draft in the output folder, never overwriting.

Two sources that would get the same draft name (same date and title) get ``-2``, ``-3``...;
a draft whose id already exists in the output folder (at any depth, so the archive never holds
the id twice) is not written: the outcome says where it is.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from postmortem_kb.config import KBConfig
from postmortem_kb.format.archive import find_postmortem_files
from postmortem_kb.importers.draft import Draft, build_draft
from postmortem_kb.importers.report import format_report, lost_lines, summary_line, total_counts
from postmortem_kb.importers.section_map import SectionMap
from postmortem_kb.importers.source_doc import SourceError, read_source


@dataclass(frozen=True)
class Outcome:
    source: Path
    target: Path | None  # None when the source could not be read
    draft: Draft | None
    lost: tuple[tuple[int, str], ...] = ()
    error: str = ""  # why nothing was (or would be) written
    written: bool = False

    @property
    def failed(self) -> bool:
        """Nothing written (or, in a dry run, nothing could be), or a source line lost."""
        return bool(self.error or self.lost)

    def line(self) -> str:
        """One line for a run that writes: what was written, or why not."""
        if self.draft is None or self.target is None:
            return f"{self.source}: {self.error}"
        if self.error:
            return f"{self.source}: {self.error}"
        lost = f"; {len(self.lost)} source line(s) LOST" if self.lost else ""
        return f"{self.source} -> {self.target}{lost}"

    def report(self) -> str:
        if self.draft is None or self.target is None:
            return f"{self.source}: {self.error}"
        text = format_report(self.draft, str(self.target), self.lost)
        return f"{text}\n  NOT WRITTEN: {self.error}" if self.error else text


def import_sources(
    sources: Sequence[Path],
    out_dir: Path,
    section_map: SectionMap,
    config: KBConfig,
    *,
    dry_run: bool = False,
) -> Iterator[Outcome]:
    """Import each source in turn (a generator, so a caller can show progress)."""
    existing = {p.stem: p for p in find_postmortem_files([out_dir])} if out_dir.is_dir() else {}
    taken: set[str] = set()
    for path in sources:
        try:
            document = read_source(path, section_map.names_section)
        except SourceError as err:
            yield Outcome(path, None, None, error=str(err))
            continue
        draft = build_draft(document, section_map, config, _modified(path))
        name = _free_name(draft.name, taken)
        taken.add(name)
        draft.name = name
        target = out_dir / name
        lost = tuple(lost_lines(document.lines, draft.text))
        if target.exists() or target.stem in existing:
            there = existing.get(target.stem, target)
            yield Outcome(path, target, draft, lost, error=f"{there} exists; not overwriting it")
            continue
        if not dry_run:
            try:
                target.parent.mkdir(parents=True, exist_ok=True)
                with target.open("x", encoding="utf-8") as handle:  # never over an existing file
                    handle.write(draft.text)
            except OSError as err:
                yield Outcome(path, target, draft, lost, error=f"cannot write {target}: {err}")
                continue
        yield Outcome(path, target, draft, lost, written=not dry_run)


def _free_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    stem = name.removesuffix(".md")
    number = 2
    while f"{stem}-{number}.md" in taken:
        number += 1
    return f"{stem}-{number}.md"


def _modified(path: Path) -> dt.date:
    """The source file's modification date (UTC): names a draft whose text states no date."""
    try:
        return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC).date()
    except OSError:
        return dt.datetime.now(dt.UTC).date()


def batch_summary(outcomes: Sequence[Outcome], *, dry_run: bool) -> str:
    """One line for the whole run: files, drafts written, failures, headings mapped."""
    drafts = [o.draft for o in outcomes if o.draft is not None]
    verb = "would be written" if dry_run else "written"
    written = sum(o.draft is not None and not o.error for o in outcomes)
    failed = sum(o.failed for o in outcomes)
    return (
        f"{len(outcomes)} file(s): {written} draft(s) {verb}, {failed} with problems; "
        + summary_line(total_counts(drafts))
    )
