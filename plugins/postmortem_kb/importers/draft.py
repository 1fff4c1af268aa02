"""One source document to one format-v1 draft (``status: draft``), and what was done.

The source is cut into blocks, one per heading; each block goes to the section its heading
maps to (`section_map`), to the front matter, or verbatim to ``## Notes (imported)``. A
sub-heading that maps to nothing stays with its parent. The timeline and the action items
are rewritten in the format's shape, with the source's lines kept beside them in a folded
"as written" block, so no line of the source is ever lost (`report.lost_lines` checks it).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from postmortem_kb.config import KBConfig
from postmortem_kb.format.body import normalise_heading
from postmortem_kb.format.vocabulary import PLACEHOLDER
from postmortem_kb.importers.actions import (
    ActionRow,
    action_table,
    extract_actions,
    reference_links,
)
from postmortem_kb.importers.section_map import FRONT_MATTER, SectionMap, Target, heading_key
from postmortem_kb.importers.source_doc import Heading, SourceDocument
from postmortem_kb.importers.timeline import (
    Timeline,
    Zone,
    build_timeline,
    extract_entries,
    first_date,
    milestones,
    parse_stamp,
    stated_durations,
    stated_zone,
)
from postmortem_kb.rules.sections import section_order
from postmortem_kb.scaffold.new_postmortem import slugify

NOTES = "Notes (imported)"
TIMELINE = "Timeline"
ACTIONS = "Action items"
SUMMARY = "Summary"
IMPACT = "Impact"  # where stats (durations, category) go: their labels are read too
_LABEL_VALUE = re.compile(
    r"^[\s>*+-]*(?:\*\*|__)?(?P<label>[A-Za-z][\w ]{1,30}?)(?:\*\*|__)?\s*:(?:\*\*|__)?\s*(?P<value>\S.*)$"
)
_SERVICE_LABEL = re.compile(
    r"^(?:services?|affected services?|services? affected|components?|systems?)$", re.I
)
_TAG_LABEL = re.compile(r"^(?:category|categories|tags?|type)$", re.I)
_AUTHOR_LABEL = re.compile(r"^(?:authors?|written by|owners?)$", re.I)
_DATE_LABEL = re.compile(r"^(?:date|dates|start|started|incident date|occurred)$", re.I)
_TITLE_LABEL = re.compile(r"^title\W*$", re.I)
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+\S")
MIN_TIMELINE_ITEMS = 3


@dataclass(frozen=True)
class Block:
    """A heading and its lines, up to the next heading (``heading`` None: before the first)."""

    heading: Heading | None
    start: int  # first content line (for a bold label: the label's own line)
    end: int  # exclusive
    target: Target


@dataclass
class Draft:
    source: SourceDocument
    name: str  # the draft's file name
    text: str
    title: str
    date: dt.date | None  # None: not stated; the file name then uses the file's date
    blocks: list[Block]
    title_heading: Heading | None
    sections: dict[str, list[Block]]  # what each written section was made of
    missing: list[str]  # required sections no heading maps to
    todos: list[str]
    actions: list[ActionRow] = field(default_factory=list)
    timeline: Timeline | None = None


def build_draft(
    source: SourceDocument, section_map: SectionMap, config: KBConfig, fallback_date: dt.date
) -> Draft:
    """The draft of ``source``; ``fallback_date`` names the file when the text states no date."""
    title, title_heading, title_lines = _title(source, section_map)
    blocks = _blocks(source, section_map, skip=title_lines)
    date, date_todo = _date(source, title, blocks)
    todos: list[str] = []
    if source.front_matter_error:
        todos.append(f"the source's front matter ({source.front_matter_error}): kept in the notes")
    fields = _fields(source, blocks)
    zone = _zone(source, blocks)
    by_section: dict[str, list[Block]] = {}
    for block in blocks:
        name = block.target.name or NOTES
        by_section.setdefault(name, []).append(block)
    missing = [name for name in config.required_sections if name not in by_section]
    timeline = None
    if TIMELINE in by_section:
        timeline = build_timeline(
            _lines_of(source, by_section[TIMELINE]),
            by_section[TIMELINE][0].start,
            date,
            zone,
        )
    durations = stated_durations([line for b in blocks for line in _block_lines(source, b)])
    stamps = milestones(timeline.entries if timeline else [], zone, durations)
    if stamps.get("started"):
        date, date_todo = _start_date(stamps["started"], date, todos), None
    actions = _actions(source, by_section, config, todos)
    if source.front_matter_lines:  # kept verbatim with the notes
        by_section.setdefault(NOTES, [])
    written = _written_sections(by_section, config)
    todos = _todos(date_todo, fields, stamps, timeline, actions, missing, written, todos)
    front = _front_matter(title, date, fields, stamps)
    body = _body(source, written, timeline, actions, todos, title_lines, blocks)
    name_date = date or fallback_date
    slug = _slug(title, source.stem)
    return Draft(
        source=source,
        name=f"{name_date.isoformat()}-{slug}.md",
        text=front + body,
        title=title,
        date=date,
        blocks=blocks,
        title_heading=title_heading,
        sections=written,
        missing=missing,
        todos=todos,
        actions=actions,
        timeline=timeline,
    )


def _start_date(started: dt.datetime, stated: dt.date | None, todos: list[str]) -> dt.date:
    """The incident's date is its start's (UTC), as the format wants; a TODO if the text
    said another."""
    if stated and started.date() != stated:
        todos.append(
            f"date: the timeline starts on {started.date()} (UTC), the source says {stated}; "
            "the draft takes the timeline's"
        )
    return started.date()


def _actions(
    source: SourceDocument, by_section: dict[str, list[Block]], config: KBConfig, todos: list[str]
) -> list[ActionRow]:
    """The action rows of the Action items blocks; blocks without any list go to the notes."""
    if ACTIONS not in by_section:
        return []
    blocks = by_section[ACTIONS]
    rows = extract_actions(
        _lines_of(source, blocks),
        blocks[0].start,
        config.action_categories,
        reference_links(source.lines),
    )
    if not rows:
        by_section.setdefault(NOTES, []).extend(by_section.pop(ACTIONS))
        where = ", ".join(f"line {b.heading.index + 1}" for b in blocks if b.heading)
        todos.append(
            f"action items: the source's ({where}) are no list; they are kept in the "
            f"{NOTES}: write them as table rows"
        )
    return rows


def _slug(title: str, stem: str) -> str:
    """The title's words without dates or "Incident on"; the file name's if none is left."""
    for text in (title, stem):
        words = re.sub(r"\d{4}-\d{2}-\d{2}|\bincident on\b|^[\d_ -]+", " ", text, flags=re.I)
        if re.search(r"[A-Za-z]", words):
            return slugify(words)
    return "incident"


# --- reading the source -------------------------------------------------------------------


def _title(source: SourceDocument, section_map: SectionMap) -> tuple[str, Heading | None, set[int]]:
    """Front matter ``title``, else the first H1 (``# Title:`` gives way to the next line)
    unless it names a section (``# Metadata``, ``# Summary``), else the file name. Returns
    the title, its heading and the lines it took."""
    headings = source.headings
    first = headings[0] if headings else None
    names_a_section = first and section_map.target(first.text).how == "synonym"
    heading = first if first and first.level == 1 and not first.is_label else None
    heading = None if names_a_section else heading
    taken: set[int] = set()
    text = ""
    if heading:
        taken = set(range(heading.index, heading.end))
        text = heading.text
        if _TITLE_LABEL.match(text) and len(headings) > 1:
            following = headings[1]
            text = following.text
            taken |= set(range(following.index, following.end))
    if isinstance(source.front_matter.get("title"), str) and source.front_matter["title"].strip():
        text = source.front_matter["title"].strip()
    if not text:
        words = re.sub(r"^[\d_ -]+", "", source.stem)  # "003-instantschools-..." numbering
        text = " ".join(re.split(r"[-_\s]+", words)).strip() or "Imported incident"
    return text, heading, taken


def _blocks(source: SourceDocument, section_map: SectionMap, skip: set[int]) -> list[Block]:
    """One block per heading (and one for the lines before the first), with its target."""
    headings = [h for h in source.headings if h.index not in skip]
    starts = [h.index for h in headings] + [len(source.lines)]
    first = min([*starts, len(source.lines)])
    blocks = []
    preamble = [i for i in range(source.body_start, first) if i not in skip]
    if any(source.lines[i].strip() for i in preamble):
        start = min(i for i in preamble if source.lines[i].strip())
        blocks.append(Block(None, start, first, Target(SUMMARY, 1.0, "before the first heading")))
    stack: list[tuple[Heading, Target]] = []
    for heading, end in zip(headings, starts[1:], strict=False):
        while stack and stack[-1][0].level >= heading.level:
            stack.pop()
        target = section_map.target(heading.text)
        if target.name is None and blocks and _continues_timeline(heading, blocks[-1]):
            target = Target(TIMELINE, 1.0, "a date or time after the timeline")
        elif target.name is None and stack and stack[-1][1].name is not None:
            parent, inherited = stack[-1]
            target = Target(inherited.name, inherited.confidence, f"under {parent.text!r}")
        if target.name in (SUMMARY, None) and _is_timeline(source.lines[heading.end : end]):
            target = Target(TIMELINE, 1.0, "its list items are times")
        stack.append((heading, target))
        blocks.append(Block(heading, heading.end, end, target))
    if blocks and blocks[0].heading is None and any(b.target.name == SUMMARY for b in blocks[1:]):
        blocks[0] = Block(None, blocks[0].start, blocks[0].end, Target(None, 0.0, "unmapped"))
    return blocks


def _is_timeline(lines: Sequence[str]) -> bool:
    """Three list items or more, most of them (60%) timeline entries: a timeline by content
    (the "Context" of a bold-label document is often one)."""
    items = sum(bool(_LIST_ITEM.match(line)) for line in lines)
    entries, _ = extract_entries(lines, 0, None)
    return items >= MIN_TIMELINE_ITEMS and len(entries) >= 0.6 * items


def _continues_timeline(heading: Heading, previous: Block) -> bool:
    """``## May 13`` or ``### 22:00`` right after (a heading of) the timeline is part of it."""
    if previous.target.name != TIMELINE or heading.is_label:
        return False
    date, time, rest, _ = parse_stamp(heading.text, dt.date(2000, 1, 1))  # any year will do
    return (date is not None or time is not None) and len(rest.split()) <= 3


def _block_lines(source: SourceDocument, block: Block) -> list[str]:
    return list(source.lines[block.start : block.end])


def _lines_of(source: SourceDocument, blocks: Sequence[Block]) -> list[str]:
    """The lines of consecutive-or-not blocks, each sub-block's heading line included, as one
    run of lines; line indices then count from the first block's start."""
    lines: list[str] = []
    for index, block in enumerate(blocks):
        if index and block.heading and not block.heading.is_label:
            lines += source.lines[block.heading.index : block.heading.end]
        lines += _block_lines(source, block)
    return lines


def _date(
    source: SourceDocument, title: str, blocks: Sequence[Block]
) -> tuple[dt.date | None, str | None]:
    """Front matter ``date``, else the first date of the title, the file's path or the text."""
    value = source.front_matter.get("date")
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    texts = [str(value) if value else "", title, str(source.path)]
    texts += ["\n".join(_block_lines(source, b)) for b in blocks]
    for text in texts:
        if found := first_date(text):
            return found, None
    return None, (
        "date: the source states no date; set `date` and rename the file (its name uses the "
        "source file's modification date)"
    )


@dataclass
class Fields:
    services: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)


def _fields(source: SourceDocument, blocks: Sequence[Block]) -> Fields:
    """Services, tags and authors where the source states them: its front matter, or
    ``Label: value`` lines (and headings such as ``## Authors``) of front-matter and impact
    blocks ("Category: Kubernetes" in a dfds "Stats" list)."""
    fields = Fields()
    meta = source.front_matter
    for key, target in (("services", fields.services), ("tags", fields.tags)):
        value = meta.get(key)
        target += [str(v) for v in value] if isinstance(value, list) else []
    for key in ("authors", "author"):
        value = meta.get(key)
        fields.authors += [str(v) for v in value] if isinstance(value, list) else []
        fields.authors += [value] if isinstance(value, str) else []
    for block in blocks:
        if block.target.name not in (FRONT_MATTER, IMPACT):
            continue
        pairs = [m for line in _block_lines(source, block) if (m := _LABEL_VALUE.match(line))]
        labelled = [(m.group("label").strip(), m.group("value").strip()) for m in pairs]
        if not labelled and block.heading and not block.heading.is_label:
            content = " ".join(line.strip() for line in _block_lines(source, block) if line.strip())
            if content:
                labelled = [(block.heading.text, content)]
        for label, value in labelled:
            items = [v.strip(" *_") for v in re.split(r",|;|\band\b", value) if v.strip(" *_")]
            if _SERVICE_LABEL.match(label):
                fields.services += items
            elif _TAG_LABEL.match(label):
                fields.tags += [_hyphenated(item) for item in items if _hyphenated(item)]
            elif _AUTHOR_LABEL.match(label):
                fields.authors += items
    fields.services = list(dict.fromkeys(_hyphenated(s) or s for s in fields.services))
    fields.tags = list(dict.fromkeys(_hyphenated(t) for t in fields.tags if _hyphenated(t)))
    fields.authors = list(dict.fromkeys(fields.authors))
    return fields


def _hyphenated(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def _zone(source: SourceDocument, blocks: Sequence[Block]) -> Zone | None:
    """The zone the timeline states (its heading or lines), else one the document states."""
    timeline = [b for b in blocks if b.target.name == TIMELINE]
    headings = [b.heading.text for b in timeline if b.heading]
    texts = ["\n".join(_block_lines(source, b)) for b in timeline]
    return stated_zone(*texts, headings=headings) or stated_zone("\n".join(source.lines))


# --- writing the draft --------------------------------------------------------------------


def _written_sections(
    by_section: dict[str, list[Block]], config: KBConfig
) -> dict[str, list[Block]]:
    """The sections to write, in the format's order; unmapped blocks last, as the notes."""
    order = section_order(config)
    named = {normalise_heading(name): name for name in by_section}
    ranked = sorted(
        (name for key, name in named.items() if key in order),
        key=lambda name: order[normalise_heading(name)],
    )
    written = {name: by_section[name] for name in ranked}
    for name in (FRONT_MATTER, NOTES):
        if name in by_section:
            written[name] = by_section[name]
    return written


def _todos(
    date_todo: str | None,
    fields: Fields,
    stamps: dict[str, dt.datetime],
    timeline: Timeline | None,
    actions: Sequence[ActionRow],
    missing: Sequence[str],
    written: dict[str, list[Block]],
    found: list[str],
) -> list[str]:
    todos = [date_todo] if date_todo else []
    todos += found
    todos.append("severity: choose one of the configured levels")
    todos.append("impact.summary: one line on who was affected, how, for how long")
    for name, value in (("services", fields.services), ("tags", fields.tags)):
        if not value:
            todos.append(f"{name}: the source names none")
    if not fields.authors:
        todos.append("authors: the source names none")
    lacking = [n for n in ("started", "detected", "mitigated", "resolved") if n not in stamps]
    if lacking:
        todos.append(f"timestamps: {', '.join(lacking)} not stated in the source")
    elif stamps:
        todos.append("timestamps: read from the timeline and stated durations; check them")
    if timeline:
        todos += timeline.todos
        if not timeline.entries:
            todos.append("timeline: no entry with a time of day in the source; write the entries")
    if actions:
        todos.append(f"action items: Owner and Due of {len(actions)} row(s)")
        if lacking_category := sum(row.category == PLACEHOLDER for row in actions):
            todos.append(f"action items: Category of {lacking_category} row(s)")
        if lacking_ticket := sum(row.ticket == PLACEHOLDER for row in actions):
            todos.append(f"action items: Ticket of {lacking_ticket} row(s)")
    for name in missing:
        todos.append(f"section {name!r}: no heading of the source maps to it")
    if NOTES in written:
        todos.append(f"{NOTES}: move what matters into the sections above, then delete it")
    return todos


def _front_matter(
    title: str, date: dt.date | None, fields: Fields, stamps: dict[str, dt.datetime]
) -> str:
    lines = ["---", f"title: {json.dumps(title, ensure_ascii=False)}"]
    if date:
        lines.append(f"date: {date.isoformat()}")
    lines += ["status: draft", "visibility: internal"]
    for name, values in (
        ("services", fields.services),
        ("tags", fields.tags),
        ("authors", fields.authors),
    ):
        if values:
            lines.append(f"{name}: {json.dumps(values, ensure_ascii=False)}")
    if stamps:
        lines.append("timestamps:")
        lines += [f"  {name}: {value:%Y-%m-%dT%H:%M:%SZ}" for name, value in stamps.items()]
    lines.append("---")
    return "\n".join(lines) + "\n"


def _body(
    source: SourceDocument,
    written: dict[str, list[Block]],
    timeline: Timeline | None,
    actions: Sequence[ActionRow],
    todos: Sequence[str],
    title_lines: set[int],
    blocks: Sequence[Block],
) -> str:
    out = ["", f"**{PLACEHOLDER}** (from `pmkb import`; delete this list when done):", ""]
    out += [f"- {todo}" for todo in todos]
    out += ["", *_provenance(source, title_lines, blocks), ""]
    if FRONT_MATTER in written:
        out += ["Details of the source read into the front matter:", ""]
        out += _verbatim(source, written[FRONT_MATTER], section=FRONT_MATTER)
    for name, section_blocks in written.items():
        if name == FRONT_MATTER:
            continue
        out += [f"## {name}", ""]
        if name == TIMELINE and timeline is not None:
            out += _converted(source, section_blocks, timeline.lines, "Timeline")
        elif name == ACTIONS:
            out += _converted(source, section_blocks, action_table(actions), "Action items")
        else:
            out += _verbatim(source, section_blocks, section=name)
        if name == NOTES and source.front_matter_lines:
            out += ["### Front matter of the source", "", "```yaml"]
            out += [*source.front_matter_lines[1:-1], "```", ""]
    return "\n".join(_squeeze(out)).rstrip("\n") + "\n"


def _provenance(
    source: SourceDocument, title_lines: set[int], blocks: Sequence[Block]
) -> list[str]:
    """A comment recording each source heading and where it went (the heading lines kept)."""
    lines = [f"<!-- pmkb import of {source.path.name}: source heading -> section"]
    for index in sorted(title_lines):
        if source.lines[index].strip():
            lines.append(f"  {_comment_safe(source.lines[index].strip())} -> title")
    for block in blocks:
        if block.heading is None or block.heading.is_label:
            continue
        raw = " / ".join(
            line.strip() for line in source.lines[block.heading.index : block.heading.end]
        )
        lines.append(f"  {_comment_safe(raw)} -> {block.target.name or NOTES}")
    lines.append("-->")
    return lines


def _comment_safe(text: str) -> str:
    return text.replace("-->", "-- >")


def _verbatim(source: SourceDocument, blocks: Sequence[Block], *, section: str) -> list[str]:
    """The blocks' lines as they are; a block after the first, or whose heading is not the
    section's own name, under its heading as an H3 (deeper headings keep their level)."""
    out: list[str] = []
    for index, block in enumerate(blocks):
        heading = block.heading
        own_name = heading is not None and heading_key(heading.text) == heading_key(section)
        if heading is not None and not heading.is_label and (index or not own_name):
            marks = "#" * max(3, heading.level)
            out += [f"{marks} {heading.text}", ""]
        out += _block_lines(source, block)
        out.append("")
    return out


def _converted(
    source: SourceDocument, blocks: Sequence[Block], converted: Sequence[str], what: str
) -> list[str]:
    """The format's lines, then the source's own (unless identical) in a folded block."""
    original = _lines_of(source, blocks)
    if [line.strip() for line in original if line.strip()] == [line for line in converted]:
        return [*converted, ""]
    out = [*converted, ""] if converted else []
    out += [f'??? quote "{what} as written in the source"', ""]
    headings = [b.heading for b in blocks if b.heading and not b.heading.is_label]
    if headings and not _is_own(headings[0].text, what):
        out.append(f"    {'#' * max(3, headings[0].level)} {headings[0].text}")
        out.append("")
    out += [f"    {line}" if line.strip() else "" for line in _dedent_tabs(original)]
    out.append("")
    return out


def _is_own(text: str, section: str) -> bool:
    return heading_key(text) == heading_key(section)


def _dedent_tabs(lines: Sequence[str]) -> list[str]:
    return [line.expandtabs(4) for line in lines]


def _squeeze(lines: Sequence[str]) -> list[str]:
    """No two blank lines in a row (the source's own runs of blank lines become one)."""
    out: list[str] = []
    for line in lines:
        if not line.strip() and out and not out[-1].strip():
            continue
        out.append(line)
    return out
