"""Reading Markdown as the site renders it: line endings, fenced code, headings, table rows.

Every part that reads a post-mortem's body (the checks, the redactor, the leak check, the
search text, similarity) finds code, headings and table cells through this module, so they
all see the structure Python-Markdown renders with the knowledge base's extensions:
`pymdownx.superfences` for fenced code and `tables` for pipe tables. `tests/test_markdown.py`
holds a property test that they agree with the rendered HTML.

Lines are given without their line ends; indices are 0-based. The text is normalised to
`\\n` line ends once, when a file is read (`normalise_newlines`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

TAB_SIZE = 4


def normalise_newlines(text: str) -> str:
    """CRLF and lone CR to LF: the one line-end rule of everything that reads Markdown."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --- fenced code (pymdownx.superfences) ------------------------------------------------

_FENCE_PREFIX = re.compile(r"[ \t>]*")
_FENCE_OPEN = re.compile(
    r"(?P<fence>~{3,}|`{3,})"
    r"(?:[ \t]*\.?[\w#.+-]+(?=[ \t]|$))?"  # a language
    r"(?:[ \t]*\{[^\n]*\}"  # {attributes}
    r"|(?:[ \t]*[a-zA-Z][a-zA-Z0-9_]*(?:=(?P<quote>[\"']).*?(?P=quote))?(?=[ \t]|$))+)?"  # options
    r"[ \t]*$"
)


@dataclass(frozen=True)
class FencedBlock:
    """A fenced code block: `start` is the opening fence's line, `end` the closing one's."""

    start: int
    end: int


@dataclass(frozen=True)
class FenceScan:
    blocks: tuple[FencedBlock, ...]
    unclosed: tuple[int, ...]  # the line of an opening fence that never closes (not code)

    def mask(self, length: int) -> list[bool]:
        """True for each of `length` lines that is code or a fence of a closed block."""
        inside = [False] * length
        for block in self.blocks:
            inside[block.start : block.end + 1] = [True] * (block.end + 1 - block.start)
        return inside


def _width(prefix: str) -> int:
    return len(prefix.expandtabs(TAB_SIZE))


def scan_fences(lines: Sequence[str]) -> FenceScan:
    """The fenced code blocks of `lines`, as superfences finds them (in one pass).

    A fence opens with three or more backticks or tildes (after any indentation or `>`),
    followed only by a language, `{attributes}` or `key="value"` options. Content lines must
    be indented at least as far as the opening; a less indented line abandons the block and
    the search goes on after that line. The block closes on a line at the same indentation
    holding exactly the same fence. A fence never closed is not code (Python-Markdown
    renders its lines as text), and no block opens after it.
    """
    blocks: list[FencedBlock] = []
    index = 0
    while index < len(lines):
        prefix = _FENCE_PREFIX.match(lines[index])
        assert prefix is not None  # the pattern matches the empty string
        opening = _FENCE_OPEN.match(lines[index], prefix.end())
        if opening is None:
            index += 1
            continue
        end, closed = _fence_end(lines, index, _width(prefix.group()), opening["fence"])
        if end is None:
            return FenceScan(tuple(blocks), (index,))
        if closed:
            blocks.append(FencedBlock(index, end))
        index = end + 1
    return FenceScan(tuple(blocks), ())


def _fence_end(
    lines: Sequence[str], start: int, indent: int, fence: str
) -> tuple[int | None, bool]:
    """(the closing line, True), (the line that abandons the block, False), or (None, False)
    when the file ends first."""
    closing = re.compile(re.escape(fence) + r"[ \t]*$")
    for index in range(start + 1, len(lines)):
        line = lines[index]
        if not line.strip():
            continue
        prefix = _FENCE_PREFIX.match(line)
        assert prefix is not None
        if _width(prefix.group()) < indent:
            return index, False
        if _width(prefix.group()) == indent and closing.match(line, prefix.end()):
            return index, True
    return None, False


def code_mask(lines: Sequence[str]) -> list[bool]:
    """True for each line inside (or opening/closing) a closed fenced code block."""
    return scan_fences(lines).mask(len(lines))


# A code span on one line: a run of backticks up to the next run of the same length.
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`).*?(?<!`)\1(?!`)")


def blank_code_spans(line: str) -> str:
    """`line` with each inline code span replaced by spaces (columns stay where they were)."""
    if "`" not in line:
        return line
    return _CODE_SPAN.sub(lambda match: " " * len(match.group()), line)


# --- headings ---------------------------------------------------------------------------

_ATX = re.compile(r"^(?P<level>#{1,6})(?P<title>(?:\\.|[^\\])*?)#*[ \t]*$")
_SETEXT_UNDERLINE = re.compile(r"^(?P<char>[=-])(?P=char)*[ ]*$")


@dataclass(frozen=True)
class Heading:
    line: int  # the heading's first line
    level: int
    title: str
    height: int = 1  # its lines: 2 for a setext heading (the title and its underline)


def headings(lines: Sequence[str], in_code: Sequence[bool] | None = None) -> Iterator[Heading]:
    """The headings outside fenced code, in order, as Python-Markdown reads them.

    ATX headings start at the line's first character (`## Impact`, `##Impact`, `## Impact ##`);
    a setext heading is a line of text at the start of a block underlined by `===` (level 1)
    or `---` (level 2).
    """
    mask = code_mask(lines) if in_code is None else in_code
    for index, line in enumerate(lines):
        if mask[index]:
            continue
        if atx := atx_heading(line):
            yield Heading(index, *atx)
        elif _is_setext_title(lines, mask, index):
            level = 1 if lines[index + 1].startswith("=") else 2
            yield Heading(index, level, line.strip(), height=2)


def atx_heading(line: str) -> tuple[int, str] | None:
    """(level, title) of a line that is an ATX heading (`## Impact`), else None."""
    match = _ATX.match(line)
    return (len(match["level"]), match["title"].strip()) if match else None


def sections(
    lines: Sequence[str], in_code: Sequence[bool] | None = None
) -> Iterator[tuple[Heading, int]]:
    """Each H2 with the end (exclusive) of its content: the next H1 or H2, or the end."""
    marks = [heading for heading in headings(lines, in_code) if heading.level <= 2]
    for index, mark in enumerate(marks):
        if mark.level == 2:
            yield mark, marks[index + 1].line if index + 1 < len(marks) else len(lines)


def _is_setext_title(lines: Sequence[str], mask: Sequence[bool], index: int) -> bool:
    if index + 1 >= len(lines) or mask[index + 1] or not lines[index].strip():
        return False
    if index > 0 and lines[index - 1].strip() and not _ATX.match(lines[index - 1]):
        return False  # not the first line of a block
    if lines[index].startswith((" " * TAB_SIZE, "\t")) or _ATX.match(lines[index]):
        return False
    return _SETEXT_UNDERLINE.match(lines[index + 1]) is not None


# --- pipe tables (Python-Markdown's `tables`) -------------------------------------------

_ROW_TOKEN = re.compile(r"(\\\\)|(\\`+)|(`+)|(\\\|)|(\|)")
_END_BORDER = re.compile(r"(?<!\\)(?:\\\\)*\|$")
_SEPARATOR_CHARS = frozenset("|:- ")


@dataclass(frozen=True)
class CellSpan:
    """One cell of a row: `text` stripped of spaces as written, `column` 1-based in the line."""

    text: str
    column: int


def has_border(header: str) -> bool:
    """Whether a table's rows have outer pipes; the header row decides for every row."""
    row = header.strip(" ")
    return row.startswith("|") or _END_BORDER.search(row) is not None


def split_row(line: str, border: bool) -> list[CellSpan]:
    """The cells of a table row, split where Python-Markdown splits them.

    A pipe separates cells unless it is escaped (`\\|`) or inside a code span (`` `a|b` ``,
    backtick runs paired by length). With a `border`, a leading pipe and an unescaped
    trailing pipe are the table's edge, not cells.
    """
    offset = len(line) - len(line.lstrip(" "))
    row = line.strip(" ")
    if border:
        if row.startswith("|"):
            row, offset = row[1:], offset + 1
        if trailing := _END_BORDER.search(row):
            row = row[: trailing.start()]
    cuts = [-1, *_separating_pipes(row), len(row)]
    cells = []
    for before, after in zip(cuts, cuts[1:], strict=False):
        raw = row[before + 1 : after]
        column = offset + before + 1 + (len(raw) - len(raw.lstrip(" "))) + 1
        cells.append(CellSpan(raw.strip(" "), column))
    return cells


def _separating_pipes(row: str) -> list[int]:
    pipes: list[int] = []
    runs: list[_Run] = []
    for token in _ROW_TOKEN.finditer(row):
        if token.group(2):  # a backslash, then a run whose first backtick it escapes
            runs.append(_Run(len(token.group(2)) - 1, 1, token.start(2), token.end(2) - 1))
        elif token.group(3):
            runs.append(_Run(len(token.group(3)), 0, token.start(3), token.end(3) - 1))
        elif token.group(5):
            pipes.append(token.start(5))
    spans = _code_spans(runs)
    return [pipe for pipe in pipes if not any(a <= pipe <= b for a, b in spans)]


@dataclass(frozen=True)
class _Run:
    """A run of backticks: its length (without a leading backslash), how many of them an
    escape takes away when it opens a span, and where it starts and ends."""

    length: int
    escaped: int
    first: int
    last: int


def _code_spans(runs: list[_Run]) -> list[tuple[int, int]]:
    """Pair each opening run with the next run of its (unescaped) length, as `tables` does."""
    spans = []
    index = 0
    while index < len(runs):
        size = runs[index].length - runs[index].escaped
        closing = next(
            (j for j in range(index + 1, len(runs)) if size and runs[j].length == size), None
        )
        if closing is None:
            index += 1
            continue
        spans.append((runs[index].first, runs[closing].last))
        index = closing + 1
    return spans


def is_separator_row(cells: Sequence[CellSpan], header_cells: int) -> bool:
    """A header's separator row: as many cells, made only of `-`, `:`, `|` and spaces."""
    text = "".join(cell.text for cell in cells)
    return len(cells) == header_cells and set(text) <= _SEPARATOR_CHARS


@dataclass(frozen=True)
class TableBlock:
    """A pipe table: the header at `start`, the separator after it, rows up to `end` (excl.)."""

    start: int
    end: int
    border: bool

    @property
    def row_lines(self) -> range:
        return range(self.start + 2, self.end)


def table_at(
    lines: Sequence[str], start: int, in_code: Sequence[bool] | None = None
) -> TableBlock | None:
    """The table whose header row is `lines[start]`, if it starts one.

    As in Python-Markdown, a table starts a block (after a blank line or a heading), its
    header has two cells or more (one with a border), its second line is a separator
    row, and every line up to the next blank line is one of its rows.
    """
    mask = code_mask(lines) if in_code is None else in_code
    if start + 1 >= len(lines) or mask[start] or mask[start + 1]:
        return None
    if start > 0 and lines[start - 1].strip() and not _ATX.match(lines[start - 1]):
        return None
    header = lines[start]
    border = has_border(header)
    cells = split_row(header, border)
    end = start + 1
    while end < len(lines) and lines[end].strip() and not mask[end]:
        end += 1
    if len(cells) == 1 and border:  # one column: every line needs a pipe at an edge
        if not all(_has_edge_pipe(line) for line in lines[start + 1 : end]):
            return None
    elif len(cells) < 2:
        return None
    if not is_separator_row(split_row(lines[start + 1], border), len(cells)):
        return None
    return TableBlock(start, end, border)


def _has_edge_pipe(line: str) -> bool:
    row = line.strip(" ")
    return row.startswith("|") or _END_BORDER.search(row) is not None


def tables(lines: Sequence[str], in_code: Sequence[bool] | None = None) -> Iterator[TableBlock]:
    """Every pipe table of `lines` outside fenced code, in order."""
    mask = code_mask(lines) if in_code is None else in_code
    index = 0
    while index < len(lines):
        table = table_at(lines, index, mask)
        if table is None:
            index += 1
        else:
            yield table
            index = table.end
