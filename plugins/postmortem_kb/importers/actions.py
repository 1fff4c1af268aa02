"""Action items from bullets and checklists, as rows of the format's action table.

A row's Category is filled only where the text says so (a ``Prevention:`` label, a
``[Detection]`` tag, or a ``### Mitigation`` heading above the items); links and issue
references become the Ticket; a checked box (or "(done)") makes the Status ``done``.
Owner and Due, which the sources never give as the format wants, are the `PLACEHOLDER`
that `pmkb check` reports as a warning in a draft.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from postmortem_kb.format.markdown import atx_heading
from postmortem_kb.format.vocabulary import (
    ACTION_COLUMNS,
    OPTIONAL_ACTION_COLUMNS,
    PLACEHOLDER,
)

COLUMNS = (*ACTION_COLUMNS, *OPTIONAL_ACTION_COLUMNS)
_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[(?P<box>[ xX])\]\s+)?(?P<text>.*)$")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[(?P<label>[^\]]+)\]:\s*(?P<url>\S+)")
_INLINE_LINK = re.compile(r"\[[^\]]*\]\((?P<url>[^)\s]+)[^)]*\)")
_REFERENCE_LINK = re.compile(r"\[(?P<text>[^\]]*)\]\[(?P<label>[^\]]*)\]")
_BARE_URL = re.compile(r"(?<![(<\[])\bhttps?://[^\s)>\]]+")
_ISSUE = re.compile(r"(?<![\w/&])#\d+\b|\b[A-Z][A-Z0-9]+-\d+\b")
_BARE_LABEL = re.compile(
    r"^(?:\*\*|__)[^*_]+(?:\*\*|__)\s*:?\s*$|^(?:\*\*|__)[^*_]+:(?:\*\*|__)\s*$"
)
_DONE = re.compile(r"\((?:\*\*)?(?:done|completed|fixed)\b[^)]*\)", re.IGNORECASE)


@dataclass(frozen=True)
class ActionRow:
    index: int  # the source line of the item (0-based)
    action: str
    category: str  # a configured category, or PLACEHOLDER
    ticket: str  # links and issue keys, or PLACEHOLDER
    status: str  # open or done

    def cells(self) -> tuple[str, ...]:
        return (self.action, self.category, PLACEHOLDER, PLACEHOLDER, self.ticket, self.status)


def reference_links(lines: Sequence[str]) -> dict[str, str]:
    """``[label]: url`` definitions of a document, by lowercased label."""
    found = {}
    for line in lines:
        if match := _REFERENCE_DEFINITION.match(line):
            found[match.group("label").lower()] = match.group("url")
    return found


def extract_actions(
    lines: Sequence[str], first_index: int, categories: Sequence[str], references: dict[str, str]
) -> list[ActionRow]:
    """One row per list item (nested items too: each is a task), in source order."""
    rows = []
    heading_category: str | None = None
    parents: list[tuple[int, str | None]] = []  # (indent, category) of enclosing items
    for offset, line in enumerate(lines):
        if heading := atx_heading(line):
            heading_category = _category_named(heading[1], categories)
            parents = []
            continue
        item = _ITEM.match(line)
        if not item or not item.group("text").strip() or _BARE_LABEL.match(item.group("text")):
            continue  # no item, or a label over the items (`- **Review actions**:`)
        indent = len(item.group("indent").expandtabs(4))
        while parents and parents[-1][0] >= indent:
            parents.pop()
        text = " ".join([item.group("text").strip(), *_continuation(lines, offset + 1)])
        category = _category_stated(text, categories) or next(
            (c for _, c in reversed(parents) if c), heading_category
        )
        parents.append((indent, category))
        box = item.group("box")
        done = (box is not None and box.lower() == "x") or bool(_DONE.search(text))
        rows.append(
            ActionRow(
                index=first_index + offset,
                action=text.replace("|", "\\|"),
                category=category or PLACEHOLDER,
                ticket=", ".join(_tickets(text, references)) or PLACEHOLDER,
                status="done" if done else "open",
            )
        )
    return rows


def _continuation(lines: Sequence[str], offset: int) -> list[str]:
    """Lines that continue an item's paragraph, up to a blank line or the next item."""
    taken = []
    for line in lines[offset:]:
        stripped = line.strip()
        if not stripped or _ITEM.match(line) or atx_heading(line):
            break
        if _REFERENCE_DEFINITION.match(line) or stripped.startswith(("```", "~~~", "|")):
            break
        taken.append(stripped)
    return taken


def _category_named(text: str, categories: Sequence[str]) -> str | None:
    """The category a heading names exactly ("Detection", "Prevention:")."""
    words = " ".join(re.findall(r"[a-z]+", text.lower()))
    return next((c for c in categories if c.lower() == words), None)


def _category_stated(text: str, categories: Sequence[str]) -> str | None:
    """A category the item labels itself with: ``Detection: ...``, ``[Process]``, ``(Mitigation)``."""
    for category in categories:
        name = re.escape(category)
        label = rf"^\W*{name}\W*\s*[:\u2013\u2014-]\s"
        tag = rf"[\[(]{name}[\])]"
        if re.search(label, text, re.IGNORECASE) or re.search(tag, text, re.IGNORECASE):
            return category
    return None


def _tickets(text: str, references: dict[str, str]) -> list[str]:
    """The item's links and issue keys, in order, each once."""
    found = [m.group("url") for m in _INLINE_LINK.finditer(text)]
    for match in _REFERENCE_LINK.finditer(text):
        label = (match.group("label") or match.group("text")).lower()
        if label in references:
            found.append(references[label])
    without_links = _REFERENCE_LINK.sub(" ", _INLINE_LINK.sub(" ", text))
    found += _BARE_URL.findall(without_links)
    found += _ISSUE.findall(_BARE_URL.sub(" ", without_links))
    return [ticket.replace("|", "\\|") for ticket in dict.fromkeys(found)]


def action_table(rows: Sequence[ActionRow]) -> list[str]:
    """The format's action table, with Owner and Due as placeholders."""
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return lines
