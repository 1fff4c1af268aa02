"""A post-mortem in someone else's shape: its front matter, its lines and its headings.

Headings are ATX (``## Summary``), setext (a line underlined with ``===`` or ``---``) or,
in documents built as one list of labelled items, bold-label bullets (``- **Impact**: ...``).
Every line keeps its index, so the importer can account for each one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from postmortem_kb.format.markdown import code_mask
from postmortem_kb.format.markdown import headings as markdown_headings
from postmortem_kb.format.source import decode, split_front_matter

SUFFIXES = (".md", ".markdown", ".html.md.erb")
# Files a folder holds beside its post-mortems; named on the command line they still import.
SKIPPED_NAMES = re.compile(r"^(readme|license|licence|copying|index|changelog)\b|template", re.I)
# A document whose structure is bold-label bullets has at least this many of them.
MIN_LABELS = 3
MAX_LONE_WORDS = 5
_LIST_ITEM = re.compile(r"^(?:[-*+]|\d+[.)])\s+\S")

_LABEL = re.compile(
    r"^(?P<indent> {0,1})[-*+][ \t]+(?:\*\*|__)(?P<label>[^*_:\n]{2,60}?)[ \t]*(?::[ \t]*)?"
    r"(?:\*\*|__)[ \t]*(?::[ \t]*)?(?P<rest>.*)$"
)

HeadingKind = Literal["atx", "setext", "label", "line"]
NamesSection = Callable[[str], bool]  # whether a text is a section's name (a synonym)


class SourceError(Exception):
    """A source that cannot be imported, with a one-line reason naming the file."""


@dataclass(frozen=True)
class Heading:
    index: int  # 0-based index of the heading's (first) line in `SourceDocument.lines`
    level: int  # 1-6; a bold label counts as level 2
    text: str
    kind: HeadingKind
    end: int  # index of the line after the heading (setext: after the underline)

    @property
    def is_label(self) -> bool:
        return self.kind == "label"


@dataclass(frozen=True)
class SourceDocument:
    path: Path
    lines: tuple[str, ...]  # the whole file, LF line ends
    body_start: int  # index of the first line after the front matter
    front_matter: dict[str, Any] = field(default_factory=dict)
    front_matter_error: str | None = None  # the front matter is there but not a YAML mapping
    headings: tuple[Heading, ...] = ()

    @property
    def stem(self) -> str:
        return strip_suffixes(self.path.name)

    @property
    def front_matter_lines(self) -> tuple[str, ...]:
        return self.lines[: self.body_start]


def strip_suffixes(name: str) -> str:
    """``2024-01-02-x.html.md.erb`` -> ``2024-01-02-x``; a name without extension stays."""
    lower = name.lower()
    for suffix in sorted(SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return name[: -len(suffix)]
    return name


def is_importable(path: Path) -> bool:
    """A Markdown file by its suffix, or a file without an extension."""
    name = path.name.lower()
    return name.endswith(SUFFIXES) or "." not in name.lstrip(".")


def find_sources(paths: Iterable[Path]) -> list[Path]:
    """Files named as they are; folders walked for importable files, sorted, skipping hidden
    files and the README, licence, index and template files that sit beside post-mortems."""
    found: list[Path] = []
    for path in paths:
        if not path.is_dir():
            found.append(path)
            continue
        for candidate in sorted(path.rglob("*")):
            relative = candidate.relative_to(path)
            if (
                candidate.is_file()
                and not any(part.startswith(".") for part in relative.parts)
                and is_importable(candidate)
                and not SKIPPED_NAMES.search(strip_suffixes(candidate.name))
            ):
                found.append(candidate)
    return list(dict.fromkeys(found))


def read_source(path: Path, names_section: NamesSection | None = None) -> SourceDocument:
    """Read and split one file; raises `SourceError` if it is unreadable or not text."""
    try:
        data = path.read_bytes()
    except OSError as err:
        raise SourceError(f"{path}: cannot read the file: {err.strerror}") from err
    text, problems = decode(data, str(path))
    if text is None:
        problem = problems[0]
        raise SourceError(f"{path}:{problem.line}: {problem.message}")
    return parse_source(text, path, names_section)


def parse_source(
    text: str, path: Path, names_section: NamesSection | None = None
) -> SourceDocument:
    """Split decoded text (LF line ends) into front matter, lines and headings."""
    lines = tuple(text.split("\n"))
    split = split_front_matter(text)
    meta: dict[str, Any] = {}
    error = None
    body_start = 0
    if split.front_matter is not None:
        body_start = split.body_line - 1
        try:
            loaded = yaml.safe_load(split.front_matter)
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            line = split.front_matter_line + (mark.line if mark else 0)
            error = f"line {line}: the front matter is not valid YAML"
        else:
            if isinstance(loaded, dict):
                meta = {str(key): value for key, value in loaded.items()}
            elif loaded is not None:
                error = f"line {split.front_matter_line}: the front matter is not a mapping"
    return SourceDocument(
        path=path,
        lines=lines,
        body_start=body_start,
        front_matter=meta,
        front_matter_error=error,
        headings=tuple(find_headings(lines, body_start, names_section)),
    )


def find_headings(
    lines: Sequence[str], start: int = 0, names_section: NamesSection | None = None
) -> list[Heading]:
    """ATX and setext headings outside code, as the site reads them (`format.markdown`);
    bold labels too, in a document whose structure they are (no heading below H1); and,
    with `names_section`, a lone line that is a section's name over a list ("Action Items"
    written without `##`)."""
    body = list(lines[start:])
    in_code = code_mask(body)
    found = [
        Heading(
            start + h.line,
            h.level,
            h.title,
            "setext" if h.height == 2 else "atx",
            start + h.line + h.height,
        )
        for h in markdown_headings(body, in_code)
        if h.title
    ]
    labels = [
        Heading(start + index, 2, label.group("label").strip(), "label", start + index)
        for index, line in enumerate(body)
        if not in_code[index] and (label := _LABEL.match(line))
    ]
    if len(labels) >= MIN_LABELS and not any(h.level >= 2 for h in found):
        found = sorted([*found, *labels], key=lambda h: h.index)
    if names_section is not None:
        taken = {i for h in found for i in range(h.index, max(h.end, h.index + 1))}
        lone = [
            Heading(start + i, 2, body[i].strip().rstrip(":"), "line", start + i + 1)
            for i in range(len(body))
            if start + i not in taken and not in_code[i] and _is_lone_name(body, i, names_section)
        ]
        found = sorted([*found, *lone], key=lambda h: h.index)
    return found


def _is_lone_name(lines: Sequence[str], index: int, names_section: NamesSection) -> bool:
    """A short line of its own (blank before it), a list right after it, naming a section."""
    line = lines[index]
    text = line.strip().rstrip(":")
    if not text or line != line.lstrip() or len(text.split()) > MAX_LONE_WORDS:
        return False
    if index and lines[index - 1].strip():
        return False
    following = [candidate for candidate in lines[index + 1 : index + 3] if candidate.strip()]
    if not following or not _LIST_ITEM.match(following[0]):
        return False
    return not re.search(r"[^\w\s&'/-]", text) and names_section(text)
