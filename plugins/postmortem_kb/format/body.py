"""The Markdown body of a post-mortem: its H2 sections, timeline entries and action items.

Only the structure the checks and the site need is parsed, line by line, through
`format.markdown` (fences, headings, table rows as the site renders them); everything keeps
the file line it came from. Rendering the Markdown is left to MkDocs.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property

from postmortem_kb.format.markdown import code_mask, sections, split_row, tables

_LIST_ITEM = re.compile(r"^[-*+] +(?P<text>.*)$")
_TIME = re.compile(
    r"^(?:\*\*|__)?"
    r"(?:(?P<date>\d{4}-\d{2}-\d{2})[ T])?"
    r"(?P<time>\d{1,2}:\d{2})(?::(?P<seconds>\d{2}))?"
    r"(?:\.\d+)?(?P<zone>Z| ?UTC|[+-]\d{2}:?\d{2})?"
    r"(?:\*\*|__)?(?=$|[\s:,.\u2013\u2014-])"
)


@dataclass(frozen=True)
class Section:
    name: str
    line: int  # the heading's file line
    content: tuple[str, ...]  # the lines after the heading, up to the next H1 or H2
    in_code: tuple[bool, ...] = field(default=(), repr=False)  # per content line: fenced code
    height: int = 1  # the heading's lines (2 when underlined, setext style)

    @property
    def first_content_line(self) -> int:
        return self.line + self.height

    @property
    def text(self) -> str:
        return "\n".join(self.content).strip()

    def is_empty(self) -> bool:
        return not self.text

    @cached_property
    def first_table(self) -> Table | None:
        return _first_table(self)


@dataclass(frozen=True)
class TimelineEntry:
    line: int
    text: str  # the item's text after the time
    time: dt.time | None
    date: dt.date | None  # when the entry gives its date
    raw: str


@dataclass(frozen=True)
class Cell:
    text: str
    line: int
    column: int


@dataclass(frozen=True)
class Table:
    line: int
    header: tuple[Cell, ...]
    rows: tuple[tuple[Cell, ...], ...]

    @cached_property
    def _names(self) -> list[str]:
        return [cell.text.strip().lower() for cell in self.header]

    def column_index(self, name: str) -> int | None:
        names = self._names
        return names.index(name.lower()) if name.lower() in names else None

    def cell(self, row: tuple[Cell, ...], name: str) -> Cell | None:
        """The row's cell in column `name`: None without that column, blank if the row is short."""
        index = self.column_index(name)
        if index is None:
            return None
        if index < len(row):
            return row[index]
        return Cell("", row[0].line if row else self.line, 1)


@dataclass(frozen=True)
class Body:
    sections: tuple[Section, ...]
    line: int  # the file line of the body's first line
    lines: tuple[str, ...] = field(repr=False)
    in_code: tuple[bool, ...] = field(default=(), repr=False)  # per line: fenced code

    def section(self, name: str) -> Section | None:
        return self._by_name.get(normalise_heading(name))

    @cached_property
    def _by_name(self) -> dict[str, Section]:
        """The first section of each normalised name (the checks ask for a few, often)."""
        found: dict[str, Section] = {}
        for section in self.sections:
            found.setdefault(normalise_heading(section.name), section)
        return found


def normalise_heading(name: str) -> str:
    return " ".join(name.replace("*", "").replace("_", " ").split()).lower()


def parse_body(body: str, first_line: int) -> Body:
    """Split the body at its H2 headings (outside code blocks); an H1 ends a section too."""
    lines = body.split("\n")
    in_code = code_mask(lines)
    found: list[Section] = []
    for heading, stop in sections(lines, in_code):
        first = heading.line + heading.height
        content, code = tuple(lines[first:stop]), tuple(in_code[first:stop])
        found.append(
            Section(heading.title, first_line + heading.line, content, code, heading.height)
        )
    return Body(tuple(found), first_line, tuple(lines), tuple(in_code))


def parse_timeline(section: Section) -> list[TimelineEntry]:
    """Top-level list items of the Timeline section; nested items and prose are skipped."""
    entries = []
    in_code = _code_lines(section)
    for offset, line in enumerate(section.content):
        item = None if in_code[offset] else _LIST_ITEM.match(line)
        if not item:
            continue
        text = item.group("text").strip()
        entries.append(_timeline_entry(text, section.first_content_line + offset))
    return entries


def _timeline_entry(text: str, line: int) -> TimelineEntry:
    match = _TIME.match(text)
    if not match:
        return TimelineEntry(line, text, None, None, text)
    try:
        hours, minutes = (int(part) for part in match.group("time").split(":"))
        time = dt.time(hours, minutes, int(match.group("seconds") or 0))
        date = dt.date.fromisoformat(match.group("date")) if match.group("date") else None
    except ValueError:  # 25:70 or 2024-02-31: a time-like string that is no time
        return TimelineEntry(line, text, None, None, text)
    rest = text[match.end() :].lstrip(" :,.\u2013\u2014-").strip()
    return TimelineEntry(line, rest, time, date, text)


def _code_lines(section: Section) -> Sequence[bool]:
    """Which content lines are fenced code (from the body when it was parsed whole)."""
    if len(section.in_code) == len(section.content):
        return section.in_code
    return code_mask(section.content)


def find_table(section: Section) -> Table | None:
    """The first pipe table in the section, cell by cell, as the site renders it (found once
    a section: the parser, the action-item and the public checks all ask)."""
    return section.first_table


def _first_table(section: Section) -> Table | None:
    lines = section.content
    table = next(tables(lines, _code_lines(section)), None)
    if table is None:
        return None
    first = section.first_content_line

    def cells(offset: int) -> tuple[Cell, ...]:
        return tuple(
            Cell(span.text, first + offset, span.column)
            for span in split_row(lines[offset], table.border)
        )

    header = cells(table.start)
    rows = tuple(cells(offset) for offset in table.row_lines)
    return Table(first + table.start, header, rows)


def has_list_items(section: Section) -> bool:
    return any(_LIST_ITEM.match(line) for line in section.content)
