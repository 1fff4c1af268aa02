"""Rules on the action-item table: its columns, and each row's category, owner, due date,
ticket and status (with the date a done item was done)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.action_status import DONE, parse_status_cell
from postmortem_kb.format.body import Cell, Table, find_table, has_list_items
from postmortem_kb.format.limits import completeness_level
from postmortem_kb.format.model import PostMortem
from postmortem_kb.format.vocabulary import ACTION_COLUMNS, ACTION_STATUSES, PLACEHOLDER

HANDLE_PATTERN = re.compile(r"^@[A-Za-z0-9][A-Za-z0-9_.-]*$")


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
                level=completeness_level(pm.meta.status),
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
