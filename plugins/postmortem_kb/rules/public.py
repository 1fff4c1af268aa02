"""The rules about what a post-mortem would publish.

- PM701 (public post-mortems): text the public site would show that matches the leak
  check's deny list (internal domains, private IPs, tickets, handles, e-mail addresses,
  Slack links, "confidential"-style phrases, and the `deny_patterns` option), at its line;
  strings of the `leak_allow` option excepted.
  What the public site never shows is not checked: internal blocks, the Owner and Ticket
  columns of the action items, and the internal-only fields (authors, roles, channel).
- PM702 (every post-mortem): an `<!-- internal -->` that is never closed. The redaction
  fails closed (the block runs to the end of the body), but the author meant something else.

The build's leak check (`leak_check.py`) scans the built public site with the same rules
plus the terms that only internal content contains; these rules point at the source line
before anything is built.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from functools import lru_cache

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.body import find_table
from postmortem_kb.format.model import PostMortem
from postmortem_kb.public.deny_list import (
    DenyList,
    Leak,
    build_deny_list,
    pattern_rules,
    scan_text,
    without_allowed,
)
from postmortem_kb.public.redaction import find_internal_blocks

HIDDEN_COLUMNS = ("Owner", "Ticket")


@lru_cache(maxsize=8)
def source_deny_list(deny_patterns: tuple[str, ...]) -> DenyList:
    """The default leak rules plus the configured `deny_patterns` (compiled once)."""
    return build_deny_list(extra_rules=pattern_rules(deny_patterns))


def check_public_text(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    if not pm.meta.is_public:
        return
    deny = source_deny_list(tuple(config.deny_patterns))

    def scan(text: str) -> list[Leak]:
        return without_allowed(scan_text(text, deny, file=pm.source_path), config.leak_allow)

    for location, line, text in _published_values(pm):
        for leak in scan(text):
            yield _pm701(pm, line, None, leak.rule, leak.text, ".".join(map(str, location)))
    for leak in scan(_published_body(pm)):
        yield _pm701(pm, pm.body.line + leak.line - 1, leak.column, leak.rule, leak.text)


def check_internal_markers(
    pm: PostMortem, config: KBConfig, today: dt.date
) -> Iterator[Diagnostic]:
    for block in find_internal_blocks(pm.markdown).blocks:
        if not block.closed:
            yield make(
                pm.source_path,
                pm.body.line + block.start - 1,
                "PM702",
                "<!-- internal --> is never closed: everything after it is internal",
            )


def _pm701(
    pm: PostMortem, line: int, column: int | None, rule: str, text: str, field: str = ""
) -> Diagnostic:
    where = f" in {field}" if field else ""
    return make(
        pm.source_path,
        line,
        "PM701",
        f"public post-mortem shows {text!r}{where} ({rule}) outside an internal block",
        column=column or 1,
    )


def _published_values(pm: PostMortem) -> Iterator[tuple[tuple[str | int, ...], int, str]]:
    """(location, line, text) of each front matter value the public page shows."""
    meta = pm.meta
    values: dict[tuple[str | int, ...], str | None] = {
        ("title",): meta.title,
        ("impact", "summary"): meta.impact.summary,
        ("public_summary",): meta.public_summary,
    }
    values.update({("services", i): name for i, name in enumerate(meta.services)})
    values.update({("tags", i): name for i, name in enumerate(meta.tags)})
    values.update(
        {
            ("contributing_factors", i, "description"): factor.description
            for i, factor in enumerate(meta.contributing_factors)
        }
    )
    for location, text in values.items():
        if text:
            yield location, pm.field_line(*location), text


def _published_body(pm: PostMortem) -> str:
    """The body with what the public page never shows blanked out, line for line (internal
    blocks, and the Owner and Ticket cells of the action items), so positions still match."""
    markdown = pm.markdown
    lines = markdown.split("\n")
    for block in find_internal_blocks(markdown).blocks:
        for index in range(block.start - 1, min(block.end, len(lines))):
            lines[index] = ""
    section = pm.body.section("Action items")
    table = find_table(section) if section else None
    if table is not None:
        for row in table.rows:
            for name in HIDDEN_COLUMNS:
                cell = table.cell(row, name)
                index = cell.line - pm.body.line if cell else -1
                if cell and cell.text and 0 <= index < len(lines):
                    start = cell.column - 1
                    width = len(cell.text)  # as written, escapes included
                    line = lines[index]
                    lines[index] = line[:start] + " " * width + line[start + width :]
    return "\n".join(lines)
