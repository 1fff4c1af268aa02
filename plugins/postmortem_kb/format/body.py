"""The Markdown body of a post-mortem: its H2 sections, timeline entries and action items.

Only the structure the checks and the site need is parsed, line by line; everything keeps
the file line it came from. Rendering the Markdown is left to MkDocs.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

_FENCE = re.compile(r"^ {0,3}(`{3,}|~{3,})")
_H2 = re.compile(r"^## +(?P<name>.+?)(?: +#+)? *$")
_LIST_ITEM = re.compile(r"^[-*+] +(?P<text>.*)$")
_TABLE_ROW = re.compile(r"^ {0,3}\|?.*\|.*$")
_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_SEPARATOR_CELL = re.compile(r"^:?-{1,}:?$")
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
    content: tuple[str, ...]  # the lines after the heading, up to the next H2

    @property
    def first_content_line(self) -> int:
        return self.line + 1

    @property
    def text(self) -> str:
        return "\n".join(self.content).strip()

    def is_empty(self) -> bool:
        return not self.text


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

    def column_index(self, name: str) -> int | None:
        names = [cell.text.strip().lower() for cell in self.header]
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

    def section(self, name: str) -> Section | None:
        wanted = normalise_heading(name)
        return next((s for s in self.sections if normalise_heading(s.name) == wanted), None)


def normalise_heading(name: str) -> str:
    return " ".join(name.replace("*", "").replace("_", " ").split()).lower()


def code_fence_mask(lines: list[str] | tuple[str, ...]) -> list[bool]:
    """True for each line inside (or opening/closing) a fenced code block."""
    mask: list[bool] = []
    fence: str | None = None
    for line in lines:
        match = _FENCE.match(line)
        if fence is None and match:
            fence = match.group(1)
            mask.append(True)
        elif fence is not None:
            stripped = line.strip()
            if stripped.startswith(fence[0] * len(fence)) and set(stripped) == {fence[0]}:
                fence = None
            mask.append(True)
        else:
            mask.append(False)
    return mask


def parse_body(body: str, first_line: int) -> Body:
    """Split the body at its H2 headings (outside code blocks)."""
    lines = body.split("\n")
    in_code = code_fence_mask(lines)
    sections: list[Section] = []
    name: str | None = None
    start = 0
    for index, line in enumerate(lines):
        match = None if in_code[index] else _H2.match(line)
        if not match:
            continue
        if name is not None:
            sections.append(Section(name, first_line + start, tuple(lines[start + 1 : index])))
        name, start = match.group("name").strip(), index
    if name is not None:
        sections.append(Section(name, first_line + start, tuple(lines[start + 1 :])))
    return Body(tuple(sections), first_line, tuple(lines))


def parse_timeline(section: Section) -> list[TimelineEntry]:
    """Top-level list items of the Timeline section; nested items and prose are skipped."""
    entries = []
    in_code = code_fence_mask(section.content)
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


def split_row(line: str, line_number: int) -> tuple[Cell, ...]:
    """Cells of a pipe-table row, honouring `\\|` escapes; columns are 1-based."""
    stripped_left = len(line) - len(line.lstrip())
    body = line.strip()
    offset = stripped_left
    if body.startswith("|"):
        body, offset = body[1:], offset + 1
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    cells = []
    for raw in _CELL_SEPARATOR.split(body):
        column = offset + (len(raw) - len(raw.lstrip())) + 1
        cells.append(Cell(raw.strip().replace("\\|", "|"), line_number, column))
        offset += len(raw) + 1
    return tuple(cells)


def find_table(section: Section) -> Table | None:
    """The first pipe table in the section: a header row followed by a separator row."""
    lines = section.content
    in_code = code_fence_mask(lines)
    for offset in range(len(lines) - 1):
        if in_code[offset] or not _TABLE_ROW.match(lines[offset]):
            continue
        separator = split_row(lines[offset + 1], 0)
        if not separator or not all(
            _SEPARATOR_CELL.match(c.text.replace(" ", "")) for c in separator
        ):
            continue
        line = section.first_content_line + offset
        header = split_row(lines[offset], line)
        rows = []
        for row_offset in range(offset + 2, len(lines)):
            if not lines[row_offset].strip() or "|" not in lines[row_offset]:
                break
            rows.append(split_row(lines[row_offset], section.first_content_line + row_offset))
        return Table(line, header, tuple(rows))
    return None


def has_list_items(section: Section) -> bool:
    return any(_LIST_ITEM.match(line) for line in section.content)
