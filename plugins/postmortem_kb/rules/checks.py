"""The rules a single post-mortem must follow, beyond the types pydantic checks.

Each check takes a parsed `PostMortem` and returns diagnostics; `check_postmortem` runs
them all. Rules that depend on other files (related ids, runbooks) live in `archive`; the
rules on what a post-mortem would publish (PM701, PM702) in `public_checks`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from typing import Any

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, Level, make
from postmortem_kb.format.action_status import DONE, parse_status_cell
from postmortem_kb.format.body import Cell, Table, find_table, has_list_items, normalise_heading
from postmortem_kb.format.frontmatter import REQUIRED_FIELDS
from postmortem_kb.format.model import ID_PATTERN, PostMortem
from postmortem_kb.rules.blameless import blame_diagnostics
from postmortem_kb.rules.public import check_internal_markers, check_public_text

TAG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
HANDLE_PATTERN = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_.-]*$")
ACTION_STATUSES = ("open", "done", "not-doing")
ACTION_COLUMNS = ("Action", "Category", "Owner", "Due", "Ticket")
# A value still to be filled in (what `pmkb import` writes for Owner, Due...): a warning in a
# draft, an error once the post-mortem is in review.
PLACEHOLDER = "TODO"

Check = Callable[[PostMortem, KBConfig, dt.date], Iterator[Diagnostic]]


def _completeness_level(pm: PostMortem) -> Level:
    """A draft may be incomplete: what is missing is a warning there, an error elsewhere."""
    return Level.WARNING if pm.meta.status in (None, "draft") else Level.ERROR


def check_file_name(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    match = ID_PATTERN.match(pm.id)
    valid_date = True
    if match:
        try:
            dt.date.fromisoformat(match.group("date"))
        except ValueError:
            valid_date = False
    if not match or not valid_date or pm.path.suffix != ".md":
        yield make(
            pm.source_path,
            1,
            "PM007",
            f"file name {pm.path.name!r} is not YYYY-MM-DD-short-slug.md",
        )


def check_required_fields(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    if not pm.front_matter_ok:  # PM002, PM003 or PM006 says it all
        return
    data = pm.yaml.data if isinstance(pm.yaml.data, dict) else {}
    for location in REQUIRED_FIELDS:
        parent: Any = data
        for part in location[:-1]:
            parent = parent.get(part) if isinstance(parent, dict) else None
        if isinstance(parent, dict) and location[-1] not in parent:
            yield make(
                pm.source_path,
                pm.field_line(*location[:-1]) if len(location) > 1 else 1,
                "PM101",
                f"required field {'.'.join(location)!r} is missing",
                level=_completeness_level(pm),
            )
        elif isinstance(parent, dict) and parent.get(location[-1]) in ([], "", None):
            yield make(
                pm.source_path,
                pm.field_line(*location),
                "PM101",
                f"required field {'.'.join(location)!r} is empty",
                level=_completeness_level(pm),
            )


def check_severity(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    severity = pm.meta.severity
    if severity is not None and config.level(severity) is None:
        yield make(
            pm.source_path,
            pm.field_line("severity"),
            "PM104",
            f"severity {severity!r} is not one of {', '.join(config.level_names)}",
        )


def check_date(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    match = ID_PATTERN.match(pm.id)
    if pm.meta.date and match and match.group("date") != pm.meta.date.isoformat():
        yield make(
            pm.source_path,
            pm.field_line("date"),
            "PM105",
            f"date {pm.meta.date.isoformat()} differs from the file name's {match.group('date')}",
        )
    started = pm.meta.timestamps.started
    if (
        pm.meta.date
        and started
        and started.tzinfo
        and started.astimezone(dt.UTC).date() != pm.meta.date
    ):
        yield make(
            pm.source_path,
            pm.field_line("timestamps", "started"),
            "PM105",
            f"timestamps.started is on {started.astimezone(dt.UTC).date()} (UTC), "
            f"but date is {pm.meta.date}",
        )


def check_timestamps(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    recorded = pm.meta.timestamps.ordered()
    aware = []
    for name, value in recorded:
        if value.tzinfo is None:
            yield make(
                pm.source_path,
                pm.field_line("timestamps", name),
                "PM107",
                f"timestamps.{name} ({value.isoformat()}) has no time zone",
            )
        else:
            aware.append((name, value))
    for (first, earlier), (second, later) in zip(aware, aware[1:], strict=False):
        if later < earlier:
            yield make(
                pm.source_path,
                pm.field_line("timestamps", second),
                "PM106",
                f"timestamps.{second} ({later.isoformat()}) is before {first} ({earlier.isoformat()})",
            )


def check_tags(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    for index, tag in enumerate(pm.meta.tags):
        if not TAG_PATTERN.match(tag):
            yield make(
                pm.source_path,
                pm.field_line("tags", index),
                "PM108",
                f"tag {tag!r} is not lowercase-hyphenated",
                hint=f"Write it as {_hyphenate(tag)!r}." if _hyphenate(tag) else None,
            )


def _hyphenate(text: str) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower()))


def check_factor_categories(
    pm: PostMortem, config: KBConfig, today: dt.date
) -> Iterator[Diagnostic]:
    for index, factor in enumerate(pm.meta.contributing_factors):
        if factor.category not in config.factor_categories:
            yield make(
                pm.source_path,
                pm.field_line("contributing_factors", index, "category"),
                "PM109",
                f"contributing factor category {factor.category!r} is not one of "
                f"{', '.join(config.factor_categories)}",
            )


def check_sections(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    order = _section_order(config)
    seen: dict[str, int] = {}
    last_rank, last_name = -1.0, ""
    for section in pm.body.sections:
        key = normalise_heading(section.name)
        if key not in order:
            yield make(
                pm.source_path,
                section.line,
                "PM203",
                f"unknown section {section.name!r}",
                hint=_closest_section(key, config),
            )
            continue
        if key in seen:
            yield make(
                pm.source_path,
                section.line,
                "PM204",
                f"section {section.name!r} appears twice (first at line {seen[key]})",
            )
            continue
        seen[key] = section.line
        rank = order[key]
        if rank < last_rank:
            yield make(
                pm.source_path,
                section.line,
                "PM202",
                f"section {section.name!r} must come before {last_name!r}",
            )
        else:
            last_rank, last_name = rank, section.name
    level = _completeness_level(pm)
    end_line = pm.body.line + len(pm.body.lines) - 1
    for name in config.required_sections:
        required = pm.body.section(name)
        if required is None:
            yield make(
                pm.source_path, end_line, "PM201", f"section {name!r} is missing", level=level
            )
        elif required.is_empty():
            yield make(
                pm.source_path, required.line, "PM205", f"section {name!r} is empty", level=level
            )


def _section_order(config: KBConfig) -> dict[str, float]:
    """Rank of each known section; an optional one sits just after the section it follows."""
    order: dict[str, float] = {
        normalise_heading(n): i for i, n in enumerate(config.required_sections)
    }
    for name, after in config.optional_sections.items():
        order[normalise_heading(name)] = (
            order.get(normalise_heading(after), -1) + 0.5 if after else -1
        )
    return order


def _closest_section(key: str, config: KBConfig) -> str | None:
    import difflib

    names = [*config.required_sections, *config.optional_sections]
    close = difflib.get_close_matches(key, [normalise_heading(n) for n in names], n=1, cutoff=0.6)
    if not close:
        return None
    return f"Did you mean '## {next(n for n in names if normalise_heading(n) == close[0])}'?"


def check_timeline(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    section = pm.body.section("Timeline")
    if section is None or section.is_empty():
        return
    if not pm.timeline:
        yield make(
            pm.source_path,
            section.line,
            "PM303",
            "the timeline has no list entries",
            level=_completeness_level(pm),
        )
        return
    started = pm.meta.timestamps.started
    day = pm.meta.date or (started.date() if started else dt.date(2000, 1, 1))
    previous: dt.datetime | None = None
    for entry in pm.timeline:
        if entry.time is None:
            yield make(
                pm.source_path,
                entry.line,
                "PM301",
                f"timeline entry does not start with a time: {entry.raw[:50]!r}",
            )
            continue
        if entry.date is not None:
            day = entry.date
        moment = dt.datetime.combine(day, entry.time)
        rolled_over = previous is not None and previous - moment > dt.timedelta(hours=12)
        if rolled_over and entry.date is None:  # past midnight, without a date
            day += dt.timedelta(days=1)
            moment += dt.timedelta(days=1)
        if previous is not None and moment < previous:
            yield make(
                pm.source_path,
                entry.line,
                "PM302",
                f"timeline entry at {moment:%Y-%m-%d %H:%M} is before the previous one "
                f"({previous:%Y-%m-%d %H:%M})",
            )
            continue
        previous = moment


def check_action_items(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    section = pm.body.section("Action items")
    if section is None or section.is_empty():
        return
    table = find_table(section)
    if table is None:
        shape = "a list" if has_list_items(section) else "prose"
        yield make(
            pm.source_path,
            section.line,
            "PM401",
            f"action items are written as {shape}, not a table",
        )
        return
    missing = [name for name in ACTION_COLUMNS if table.column_index(name) is None]
    if missing:
        yield make(
            pm.source_path,
            table.line,
            "PM402",
            f"the action-item table has no {', '.join(missing)} column(s)",
        )
    for row in table.rows:
        yield from _check_action_row(pm, config, table, row, today)
    count = len(pm.action_items)
    if not config.min_action_items <= count <= config.max_action_items:
        yield make(
            pm.source_path,
            table.line,
            "PM408",
            f"{count} action item(s); aim for {config.min_action_items} to {config.max_action_items}",
        )


def _check_action_row(
    pm: PostMortem, config: KBConfig, table: Table, row: tuple[Cell, ...], today: dt.date
) -> Iterator[Diagnostic]:
    def problem(cell: Cell, code: str, message: str) -> Diagnostic:
        if cell.text == PLACEHOLDER:
            message = f"{message} (a placeholder to fill in)"
            return make(
                pm.source_path,
                cell.line,
                code,
                message,
                column=cell.column,
                level=_completeness_level(pm),
            )
        return make(pm.source_path, cell.line, code, message, column=cell.column)

    if (cell := table.cell(row, "Category")) and cell.text not in config.action_categories:
        yield problem(
            cell,
            "PM403",
            f"category {cell.text!r} is not one of {', '.join(config.action_categories)}",
        )
    if (cell := table.cell(row, "Owner")) and not HANDLE_PATTERN.match(cell.text):
        yield problem(cell, "PM404", f"owner {cell.text!r} is not an @handle")
    if (cell := table.cell(row, "Due")) and not _is_iso_date(cell.text):
        yield problem(cell, "PM405", f"due date {cell.text!r} is not YYYY-MM-DD")
    if (cell := table.cell(row, "Ticket")) and cell.text in ("", PLACEHOLDER):
        yield problem(cell, "PM406", "the action item has no ticket")
    if cell := table.cell(row, "Status"):
        yield from _check_status_cell(pm, cell, today)


def _check_status_cell(pm: PostMortem, cell: Cell, today: dt.date) -> Iterator[Diagnostic]:
    """PM407 for a status that is not open, done, `done YYYY-MM-DD` or not-doing; PM409 and
    PM410 for a done date in the future or before the incident."""
    status = parse_status_cell(cell.text)

    def problem(code: str, message: str) -> Diagnostic:
        return make(pm.source_path, cell.line, code, message, column=cell.column)

    if status.status not in ACTION_STATUSES:
        yield problem(
            "PM407",
            f"status {cell.text!r} is not one of {', '.join(ACTION_STATUSES)} "
            f"(a done item may give its date: `done {today.isoformat()}`)",
        )
    elif status.date_text and status.status != DONE:
        yield problem("PM407", f"status {cell.text!r}: only a done item takes a date")
    elif status.has_bad_date:
        yield problem(
            "PM407", f"status {cell.text!r}: the done date {status.date_text!r} is not YYYY-MM-DD"
        )
    elif status.done_on and status.done_on > today:
        yield problem(
            "PM409", f"done date {status.done_on} is in the future (today is {today} UTC)"
        )
    elif status.done_on and pm.meta.date and status.done_on < pm.meta.date:
        yield problem(
            "PM410", f"done date {status.done_on} is before the incident ({pm.meta.date})"
        )


def _is_iso_date(text: str) -> bool:
    try:
        dt.date.fromisoformat(text)
    except ValueError:
        return False
    return re.fullmatch(r"\d{4}-\d{2}-\d{2}", text) is not None


def check_stale_draft(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    resolved = pm.meta.timestamps.resolved
    if pm.meta.status != "draft" or resolved is None:
        return
    age = today - (
        resolved.date() if resolved.tzinfo is None else resolved.astimezone(dt.UTC).date()
    )
    if age.days > config.stale_draft_days:
        yield make(
            pm.source_path,
            pm.field_line("status"),
            "PM502",
            f"still a draft {age.days} days after the incident was resolved",
        )


def check_blameless(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    yield from blame_diagnostics(pm, config)


CHECKS: tuple[Check, ...] = (
    check_file_name,
    check_required_fields,
    check_severity,
    check_date,
    check_timestamps,
    check_tags,
    check_factor_categories,
    check_sections,
    check_timeline,
    check_action_items,
    check_stale_draft,
    check_blameless,
    check_internal_markers,
    check_public_text,
)


def check_postmortem(pm: PostMortem, config: KBConfig, today: dt.date) -> list[Diagnostic]:
    return [diagnostic for check in CHECKS for diagnostic in check(pm, config, today)]
