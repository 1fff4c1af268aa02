"""What an import did to one file: where each source heading went, with what confidence,
what is missing, what is left to fill in, and whether any source line was lost."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from postmortem_kb.importers.draft import NOTES, Draft
from postmortem_kb.importers.section_map import FRONT_MATTER

# Lines that are only markup: setext underlines, thematic breaks, front matter fences.
_MARKUP_ONLY = re.compile(r"^(?:=+|-{3,}|\*{3,}|_{3,}|\.\.\.)$")


def lost_lines(source_lines: Sequence[str], draft_text: str) -> list[tuple[int, str]]:
    """Non-blank source lines (1-based number, text) that do not appear in the draft.

    A line counts as kept when its text, stripped of surrounding spaces, occurs in the draft
    (where it may be indented, inside a folded block or a comment). Underlines and rules,
    which are markup and no text, are not counted.
    """
    return [
        (number, line)
        for number, line in enumerate(source_lines, 1)
        if (text := line.strip()) and not _MARKUP_ONLY.match(text) and text not in draft_text
    ]


@dataclass(frozen=True)
class HeadingCounts:
    headings: int  # source headings (the title aside)
    to_sections: int  # mapped to a section of the format (directly or under a mapped parent)
    to_front_matter: int  # read into the front matter

    @property
    def mapped(self) -> int:
        return self.to_sections + self.to_front_matter

    @property
    def share(self) -> float:
        return self.mapped / self.headings if self.headings else 1.0


def heading_counts(draft: Draft) -> HeadingCounts:
    targets = [b.target.name for b in draft.blocks if b.heading is not None]
    return HeadingCounts(
        headings=len(targets),
        to_sections=sum(t not in (None, FRONT_MATTER) for t in targets),
        to_front_matter=sum(t == FRONT_MATTER for t in targets),
    )


def format_report(draft: Draft, target: str, lost: Sequence[tuple[int, str]]) -> str:
    """The report of one file, as lines of text for a terminal."""
    source = draft.source
    lines = [f"{source.path} -> {target}"]
    if draft.title_heading:
        lines.append(f"  title   {draft.title!r} (line {draft.title_heading.index + 1})")
    else:
        lines.append(f"  title   {draft.title!r}")
    lines.append(f"  date    {draft.date or 'not stated'}")
    for block in draft.blocks:
        if block.heading is None:
            continue
        heading = block.heading
        where = block.target.name or NOTES
        label = f"{'#' * heading.level} {heading.text}" if not heading.is_label else heading.text
        how = block.target.how
        confidence = f"{block.target.confidence:.2f}" if block.target.name else "-"
        lines.append(f"  line {heading.index + 1:>4}  {label!r} -> {where} ({how}, {confidence})")
    if draft.timeline is not None:
        zone = draft.timeline.zone.name if draft.timeline.zone else "not stated"
        lines.append(f"  timeline: {len(draft.timeline.entries)} entries, time zone {zone}")
    if draft.actions:
        lines.append(f"  action items: {len(draft.actions)} rows")
    if draft.missing:
        lines.append(f"  missing: {', '.join(draft.missing)}")
    lines += [f"  TODO: {todo}" for todo in draft.todos]
    lines += [f"  LOST line {number}: {text!r}" for number, text in lost]
    lines.append("  " + summary_line(heading_counts(draft)))
    return "\n".join(lines)


def summary_line(counts: HeadingCounts) -> str:
    return (
        f"{counts.mapped} of {counts.headings} source headings mapped ({counts.share:.0%}): "
        f"{counts.to_sections} to sections, {counts.to_front_matter} to the front matter"
    )


def total_counts(drafts: Sequence[Draft]) -> HeadingCounts:
    counts = [heading_counts(draft) for draft in drafts]
    return HeadingCounts(
        headings=sum(c.headings for c in counts),
        to_sections=sum(c.to_sections for c in counts),
        to_front_matter=sum(c.to_front_matter for c in counts),
    )
