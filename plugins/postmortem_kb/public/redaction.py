"""Find, redact and mark internal-only content in the Markdown body of a post-mortem.

Every function takes the body (front matter already removed) as one string with ``"\\n"``
line endings: the caller normalises CRLF. A ``"\\r"`` raises ``ValueError`` rather than being
tolerated, because a marker line ending in ``"\\r"`` would silently stop matching and its
internal content would reach the public site.

Two syntaxes mark internal content (FORMAT.md, "Internal-only content"):

* an ``!!! internal`` admonition (or the collapsible ``??? internal`` / ``???+ internal``),
  optionally titled, whose content is the following lines indented by 4 columns more than
  the marker (blank lines inside included);
* a ``<!-- internal -->`` ... ``<!-- /internal -->`` pair, each marker alone on its line
  (spacing and case inside the comment do not matter).

Markers are recognised at any indentation (inside list items or other admonitions too) but
never inside a closed fenced code block. Fences, headings and table cells are found by
`format.markdown`, as the validator and the site find them. The scanner fails closed: an unclosed
``<!-- internal -->`` runs to the end of the body, and an unclosed code fence does not hide
the markers after it; both are reported as problems for the validator.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from postmortem_kb.format.body import normalise_heading
from postmortem_kb.format.markdown import scan_fences, sections, split_row, tables
from postmortem_kb.format.vocabulary import INTERNAL_ACTION_COLUMNS

INTERNAL_TITLE = "Internal only"

_TAB = 4
_ADMONITION_RE = re.compile(
    r"^(?P<indent>[ \t]*)(?P<marker>!!!|\?\?\?\+?)[ \t]*internal(?![\w-])(?P<rest>.*)$",
    re.IGNORECASE,
)
_ADMONITION_REST_RE = re.compile(
    r'^(?P<classes>(?:[ \t]+[\w-]+)*)(?:[ \t]+"(?P<title>.*)")?[ \t]*$'
)
_OPEN_RE = re.compile(r"^(?P<indent>[ \t]*)<!--\s*internal\s*-->[ \t]*$", re.IGNORECASE)
_CLOSE_RE = re.compile(r"^[ \t]*<!--\s*/\s*internal\s*-->[ \t]*$", re.IGNORECASE)
_ANY_MARKER_RE = re.compile(r"<!--\s*/?\s*internal\s*-->", re.IGNORECASE)
_INTERNAL_WORD = re.compile("internal", re.IGNORECASE)  # in every marker above
_CODE_SPAN_RE = re.compile(r"(`+).*?(?<!`)\1(?!`)")
_HIDDEN = frozenset(name.casefold() for name in INTERNAL_ACTION_COLUMNS)
ACTION_ITEMS = "Action items"
_REF_DEF_RE = re.compile(
    r"^ {0,3}\[(?P<label>[^\]^][^\]]*)\]:[ \t]*(?P<dest><[^>]*>|\S+)(?:[ \t].*)?$"
)
_AUTOLINK_RE = re.compile(
    r"<(?:[A-Za-z][A-Za-z0-9+.-]{1,31}:[^\s<>]*|[\w.+-]+@[\w-]+(?:\.[\w-]+)+)>"
)
_INLINE_SPECIAL_RE = re.compile(r"[\\`<!\[]")
_INLINE_TITLE_RE = re.compile(
    r"^(?P<dest>.*?)(?:\s+(?:\"[^\"]*\"|'[^']*'|\([^)]*\)))?\s*$", re.DOTALL
)


@dataclass(frozen=True)
class InternalBlock:
    """One internal block. Lines are 1-based and relative to the body, both inclusive.

    ``start`` is the opening marker's line; ``end`` is the closing marker's line (comment
    syntax) or the last non-blank content line (admonition syntax). ``text`` is the content
    without markers; admonition content is dedented to the marker's level.
    """

    start: int
    end: int
    text: str
    syntax: Literal["admonition", "comment"]
    title: str | None = None
    closed: bool = True


@dataclass(frozen=True)
class MarkerProblem:
    """Something the validator should report: a marker that is misplaced or unbalanced."""

    line: int
    message: str


@dataclass(frozen=True)
class InternalScan:
    """The result of :func:`find_internal_blocks`."""

    blocks: tuple[InternalBlock, ...]
    problems: tuple[MarkerProblem, ...]


@dataclass(frozen=True)
class _Link:
    """A link or image: ``text[start:text_start]`` is ``[`` or ``![``, then the link text,
    then everything up to ``end`` (the destination or reference label)."""

    start: int
    text_start: int
    text_end: int
    end: int
    target: str


def find_internal_blocks(markdown: str) -> InternalScan:
    """All top-level internal blocks (nested ones are part of their outer block) and problems."""
    lines, _ = _split(markdown)
    return _scan(lines)


def redact_for_public(markdown: str, is_public_link: Callable[[str], bool]) -> str:
    """The body as the public site may show it.

    Removes internal blocks entirely, drops the Owner and Ticket columns of the tables under
    ``## Action items`` and turns links and images whose target ``is_public_link`` rejects
    into their plain text (autolinks are left alone). Fenced code outside internal blocks is
    untouched. Idempotent: redacting twice gives the same text.
    """
    lines, tail = _split(markdown)
    lines = _remove_blocks(lines, _scan(lines).blocks)
    lines = _strip_action_item_columns(lines)
    lines = _rewrite_links(lines, is_public_link)
    return _join(lines, tail)


def mark_internal_for_site(markdown: str) -> str:
    """The body for the internal site, with every internal block shown as an admonition.

    A ``<!-- internal -->`` pair becomes ``!!! internal "Internal only"`` with its content
    re-indented, so both syntaxes render alike; an admonition without a title (or with the
    empty title ``""``, which would hide the title bar) gets the title "Internal only".
    An unclosed pair is shown as running to the end of the body, as it is redacted.
    """
    lines, tail = _split(markdown)
    return _join(_mark_lines(lines), tail)


# --- lines ---------------------------------------------------------------------------


def _split(markdown: str) -> tuple[list[str], str]:
    if "\r" in markdown:
        raise ValueError("Markdown must use \\n line endings; normalise CRLF/CR before calling")
    if markdown.endswith("\n"):
        return markdown[:-1].split("\n"), "\n"
    return markdown.split("\n"), ""


def _join(lines: list[str], tail: str) -> str:
    return "\n".join(lines) + tail if lines else ""


def _is_blank(line: str) -> bool:
    return not line.strip()


def _leading(line: str) -> str:
    return line[: len(line) - len(line.lstrip(" \t"))]


def _width(whitespace: str) -> int:
    return len(whitespace.expandtabs(_TAB))


def _dedent(line: str, columns: int) -> str:
    whitespace = _leading(line)
    return whitespace.expandtabs(_TAB)[columns:] + line[len(whitespace) :]


def _fenced_lines(lines: list[str]) -> tuple[list[bool], list[MarkerProblem]]:
    """Which lines belong to a closed fenced code block (fence lines included).

    An unclosed fence is not code (Python-Markdown does not render it as code either), so
    markers after it still count; it is reported.
    """
    scan = scan_fences(lines)
    problems = [MarkerProblem(line + 1, "unclosed code fence") for line in scan.unclosed]
    return scan.mask(len(lines)), problems


# --- finding blocks ------------------------------------------------------------------


def _scan(lines: list[str]) -> InternalScan:
    fenced, problems = _fenced_lines(lines)
    if not _INTERNAL_WORD.search("\n".join(lines)):  # no marker of any kind: most bodies
        return InternalScan((), tuple(problems))
    blocks: list[InternalBlock] = []
    i = 0
    while i < len(lines):
        block = None if fenced[i] else _block_at(lines, fenced, i)
        if block is None:
            if not fenced[i] and (message := _marker_problem(lines[i])):
                problems.append(MarkerProblem(i + 1, message))
            i += 1
            continue
        if not block.closed:
            problems.append(MarkerProblem(i + 1, "unclosed <!-- internal --> (runs to the end)"))
        blocks.append(block)
        i = block.end
    problems.sort(key=lambda problem: problem.line)
    return InternalScan(tuple(blocks), tuple(problems))


def _block_at(lines: list[str], fenced: list[bool], i: int) -> InternalBlock | None:
    if head := _ADMONITION_RE.match(lines[i]):
        return _admonition_block(lines, i, head)
    if _OPEN_RE.match(lines[i]):
        return _comment_block(lines, fenced, i)
    return None


def _marker_problem(line: str) -> str | None:
    if _CLOSE_RE.match(line):
        return "<!-- /internal --> without an opening marker"
    if _ANY_MARKER_RE.search(_CODE_SPAN_RE.sub("", line)):
        return "internal marker must be alone on its line; it is ignored"
    return None


def _admonition_block(lines: list[str], start: int, head: re.Match[str]) -> InternalBlock:
    columns = _width(head["indent"]) + _TAB
    end = start
    for j in range(start + 1, len(lines)):
        if _is_blank(lines[j]):
            continue
        if _width(_leading(lines[j])) < columns:
            break
        end = j
    content = [_dedent(line, columns) for line in lines[start + 1 : end + 1]]
    rest = _ADMONITION_REST_RE.match(head["rest"])
    title = rest["title"] if rest else None
    return InternalBlock(start + 1, end + 1, "\n".join(content), "admonition", title)


def _comment_block(lines: list[str], fenced: list[bool], start: int) -> InternalBlock:
    depth = 1
    for j in range(start + 1, len(lines)):
        if fenced[j]:
            continue
        if _OPEN_RE.match(lines[j]):
            depth += 1
        elif _CLOSE_RE.match(lines[j]):
            depth -= 1
            if depth == 0:
                return InternalBlock(start + 1, j + 1, "\n".join(lines[start + 1 : j]), "comment")
    text = "\n".join(lines[start + 1 :])
    return InternalBlock(start + 1, len(lines), text, "comment", closed=False)


# --- redaction -----------------------------------------------------------------------


def _remove_blocks(lines: list[str], blocks: tuple[InternalBlock, ...]) -> list[str]:
    """Drop the blocks' lines, and the blank line after a block that had one before it."""
    out: list[str] = []
    skip_blank = False
    ends = {block.start - 1: block.end for block in blocks}
    i = 0
    while i < len(lines):
        if i in ends:
            skip_blank = not out or _is_blank(out[-1])
            i = ends[i]
            continue
        if not (skip_blank and _is_blank(lines[i])):
            out.append(lines[i])
        skip_blank = False
        i += 1
    return out


def _strip_action_item_columns(lines: list[str]) -> list[str]:
    fenced, _ = _fenced_lines(lines)
    section = _action_items_section(lines, fenced)
    if section is None:
        return lines
    start, stop = section
    out = lines[:start]
    index = start
    for table in tables(lines[start:stop], fenced[start:stop]):
        out += lines[index : start + table.start]
        out += _without_hidden_columns(lines[start + table.start : start + table.end], table.border)
        index = start + table.end
    return out + lines[index:]


def _action_items_section(lines: list[str], fenced: list[bool]) -> tuple[int, int] | None:
    """Line range (start, stop) after the ``## Action items`` heading, up to the next H1/H2."""
    for heading, stop in sections(lines, fenced):
        if normalise_heading(heading.title) == normalise_heading(ACTION_ITEMS):
            return heading.line + heading.height, stop
    return None


def _without_hidden_columns(table: list[str], border: bool) -> list[str]:
    header = split_row(table[0], border)
    keep = [i for i, cell in enumerate(header) if _column_name(cell.text) not in _HIDDEN]
    if not keep:
        return []
    rows = []
    for line in table:
        cells = split_row(line, border)
        kept = [cells[i].text for i in keep if i < len(cells)]
        rows.append(_leading(line) + "| " + " | ".join(kept) + " |")
    return rows


def _column_name(cell: str) -> str:
    return cell.strip().strip("*_`").strip().casefold()


def _code_span_end(text: str, start: int) -> int:
    """Index just past the code span opening at ``start``, or past its backticks if unclosed."""
    run = _backtick_run(text, start)
    search = start + run
    while (close := text.find("`" * run, search)) != -1:
        closing_run = _backtick_run(text, close)
        if closing_run == run:
            return close + run
        search = close + closing_run
    return start + run


def _backtick_run(text: str, start: int) -> int:
    end = start
    while end < len(text) and text[end] == "`":
        end += 1
    return end - start


# --- links ---------------------------------------------------------------------------


def _rewrite_links(lines: list[str], keep: Callable[[str], bool]) -> list[str]:
    """Rewrite rejected links in prose; drop rejected reference definitions."""
    fenced, _ = _fenced_lines(lines)
    definitions = {
        i: match
        for i, line in enumerate(lines)
        if not fenced[i] and (match := _REF_DEF_RE.match(line))
    }
    refs: dict[str, str] = {}
    for match in definitions.values():
        refs.setdefault(_label(match["label"]), _destination(match))
    out: list[str] = []
    prose: list[str] = []
    for i, line in enumerate(lines):
        if not fenced[i] and i not in definitions:
            prose.append(line)
            continue
        out.extend(_rewrite_prose(prose, refs, keep))
        prose = []
        if fenced[i] or keep(_destination(definitions[i])):
            out.append(line)
    return out + _rewrite_prose(prose, refs, keep)


def _rewrite_prose(
    prose: list[str], refs: dict[str, str], keep: Callable[[str], bool]
) -> list[str]:
    if not prose:
        return []
    return _rewrite_inline("\n".join(prose), refs, keep).split("\n")


def _destination(definition: re.Match[str]) -> str:
    return definition["dest"].removeprefix("<").removesuffix(">")


def _label(label: str) -> str:
    return " ".join(label.split()).casefold()


def _rewrite_inline(text: str, refs: dict[str, str], keep: Callable[[str], bool]) -> str:
    out: list[str] = []
    i = 0
    while (special := _INLINE_SPECIAL_RE.search(text, i)) is not None:
        j = special.start()
        out.append(text[i:j])
        i = _skip_literal(text, j)
        if i > j:
            out.append(text[j:i])
            continue
        link = _parse_link(text, j, refs)
        if link is None:
            out.append(text[j])
            i = j + 1
            continue
        inner = _rewrite_inline(text[link.text_start : link.text_end], refs, keep)
        if keep(link.target):
            inner = text[link.start : link.text_start] + inner + text[link.text_end : link.end]
        out.append(inner)
        i = link.end
    out.append(text[i:])
    return "".join(out)


def _skip_literal(text: str, i: int) -> int:
    """Index past an escape, code span or autolink starting at ``i`` (``i`` if none does)."""
    if text[i] == "\\":
        return min(i + 2, len(text))
    if text[i] == "`":
        return _code_span_end(text, i)
    if text[i] == "<" and (autolink := _AUTOLINK_RE.match(text, i)):
        return autolink.end()
    return i


def _parse_link(text: str, start: int, refs: dict[str, str]) -> _Link | None:
    """The inline, reference or shortcut link (or image) at ``start``, if there is one."""
    image = text[start] == "!"
    if image and not text.startswith("[", start + 1):
        return None
    text_start = start + 2 if image else start + 1
    text_end = _matching(text, text_start - 1, "[", "]")
    if text_end is None:
        return None
    after = text_end + 1
    if text.startswith("(", after) and (inline := _inline_destination(text, after)):
        target, end = inline
        return _Link(start, text_start, text_end, end, target)
    label, end = text[text_start:text_end], after
    if text.startswith("[", after) and (close := text.find("]", after)) != -1:
        full = text[after + 1 : close]
        if _label(full) in refs or (not full and _label(label) in refs):
            label, end = full or label, close + 1
    if _label(label) not in refs:
        return None
    return _Link(start, text_start, text_end, end, refs[_label(label)])


def _inline_destination(text: str, open_paren: int) -> tuple[str, int] | None:
    close = _matching(text, open_paren, "(", ")")
    if close is None:
        return None
    inside = text[open_paren + 1 : close].strip()
    if "\n\n" in inside:
        return None
    if inside.startswith("<") and ">" in inside:
        return inside[1 : inside.index(">")], close + 1
    match = _INLINE_TITLE_RE.match(inside)
    return (match["dest"] if match else inside), close + 1


def _matching(text: str, start: int, opening: str, closing: str) -> int | None:
    """Index of the bracket closing the one at ``start``, honouring escapes and code spans."""
    depth = 0
    i = start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "`":
            i = _code_span_end(text, i)
            continue
        if char == opening:
            depth += 1
        elif char == closing:
            depth -= 1
            if depth == 0:
                return i
        elif text.startswith("\n\n", i):
            return None
        i += 1
    return None


# --- marking for the internal site ---------------------------------------------------


def _mark_lines(lines: list[str]) -> list[str]:
    out: list[str] = []
    previous = 0
    for block in _scan(lines).blocks:
        out.extend(lines[previous : block.start - 1])
        out.extend(_marked_block(lines, block))
        previous = block.end
    return out + lines[previous:]


def _marked_block(lines: list[str], block: InternalBlock) -> list[str]:
    head = lines[block.start - 1]
    indent = _leading(head)
    if block.syntax == "admonition":
        title_line = _titled_head(head)
        content = block.text.split("\n") if block.end > block.start else []
    else:
        title_line = f'{indent}!!! internal "{INTERNAL_TITLE}"'
        inner = lines[block.start : block.end - 1 if block.closed else block.end]
        content = [_dedent(line, _width(indent)) for line in inner]
    return [title_line, *_indent(_mark_lines(content), indent + " " * _TAB)]


def _indent(lines: list[str], prefix: str) -> list[str]:
    return [prefix + line if line.strip() else "" for line in lines]


def _titled_head(head: str) -> str:
    match = _ADMONITION_RE.match(head)
    assert match is not None
    rest = _ADMONITION_REST_RE.match(match["rest"])
    if rest and rest["title"]:
        return head
    classes = rest["classes"] if rest else ""
    return f'{match["indent"]}{match["marker"]} internal{classes} "{INTERNAL_TITLE}"'
