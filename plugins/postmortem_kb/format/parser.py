"""From a file to a `PostMortem` and the diagnostics of reading it.

Reading never stops at the first problem: a field with a bad value is reported and left
out, and the rest of the file is still parsed, so the author sees everything at once.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.action_status import DONE, parse_status_cell
from postmortem_kb.format.body import Cell, Table, find_table, parse_body, parse_timeline
from postmortem_kb.format.frontmatter import FrontMatter
from postmortem_kb.format.limits import MAX_FRONT_MATTER_BYTES, completeness_level, limit_problems
from postmortem_kb.format.markdown import normalise_newlines
from postmortem_kb.format.model import ActionItem, PostMortem
from postmortem_kb.format.source import read_text, split_front_matter
from postmortem_kb.format.yaml_source import Location, YamlDocument, load_yaml

_MAX_PRUNING_ROUNDS = 8


@dataclass
class ParseResult:
    postmortem: PostMortem | None  # None when the file cannot be read or decoded
    diagnostics: list[Diagnostic] = field(default_factory=list)


def parse_file(path: Path, display_path: str | None = None) -> ParseResult:
    shown = display_path or str(path)
    text, diagnostics = read_text(path, shown)
    if text is None:
        return ParseResult(None, diagnostics)
    return parse_text(text, path, shown)


def parse_text(text: str, path: Path, display_path: str) -> ParseResult:
    """Parse the decoded text of the file at `path` (any line ends).

    A file beyond the renderer's limits (`format.limits`) yields its front matter's
    diagnostics and the limits' (warnings for a draft), and no post-mortem: nothing else
    reads it."""
    text = normalise_newlines(text)
    split = split_front_matter(text)
    oversized = limit_problems(text)
    diagnostics: list[Diagnostic] = []
    document = YamlDocument({})
    front_matter_ok = False
    if split.front_matter is not None and len(split.front_matter) > MAX_FRONT_MATTER_BYTES:
        split = dataclasses.replace(split, front_matter=None)  # not worth reading
    if split.front_matter is None:
        if not oversized:  # an oversized file's front matter may just not have been read
            diagnostics.append(
                make(display_path, 1, "PM002", "no front matter: the file must start with `---`")
            )
    else:
        loaded, problems = load_yaml(split.front_matter, display_path, split.front_matter_line)
        diagnostics += problems
        if loaded is not None:
            document = loaded
            front_matter_ok = True
    data = document.data
    if data is None:
        data = {}
    if not isinstance(data, dict):
        front_matter_ok = False
        diagnostics.append(
            make(
                display_path,
                split.front_matter_line,
                "PM006",
                f"the front matter is a {type(data).__name__}, not a mapping of fields",
            )
        )
        data = {}
    meta, problems = validate_front_matter(data, document, display_path)
    diagnostics += problems
    if oversized:
        level = completeness_level(meta.status)
        limits = [
            make(display_path, p.line, p.code, p.message, column=p.column, level=level)
            for p in oversized
        ]
        return ParseResult(None, diagnostics + limits)
    body = parse_body(split.body, split.body_line)
    timeline_section = body.section("Timeline")
    actions_section = body.section("Action items")
    postmortem = PostMortem(
        id=path.stem,
        path=path,
        source_path=display_path,
        meta=meta,
        yaml=YamlDocument(data, document.lines),
        body=body,
        timeline=parse_timeline(timeline_section) if timeline_section else [],
        action_items=[],
        markdown=split.body,
        front_matter_ok=front_matter_ok,
    )
    if actions_section and (table := find_table(actions_section)):
        postmortem.action_items = action_items_from_table(table)
    return ParseResult(postmortem, diagnostics)


def validate_front_matter(
    data: dict[str, Any], document: YamlDocument, display_path: str
) -> tuple[FrontMatter, list[Diagnostic]]:
    """Validate with pydantic; report each bad value at its line and drop it, then retry."""
    diagnostics: list[Diagnostic] = []
    data = _without_nulls(data)
    for _ in range(_MAX_PRUNING_ROUNDS):
        try:
            return FrontMatter.model_validate(data), diagnostics
        except ValidationError as err:
            errors = err.errors(include_url=False)
        for error in errors:
            diagnostics.append(_diagnostic_for(error, document, display_path))
        for location in sorted(
            {_prune_point(e["loc"]) for e in errors}, key=_prune_order, reverse=True
        ):
            _delete(data, location)
    return FrontMatter(), diagnostics


def _without_nulls(data: Any) -> Any:
    """A copy without null values: `field:` left blank means the field is not filled in."""
    if isinstance(data, dict):
        return {key: _without_nulls(value) for key, value in data.items() if value is not None}
    if isinstance(data, list):
        return [_without_nulls(item) for item in data]
    return data


def _diagnostic_for(error: Any, document: YamlDocument, display_path: str) -> Diagnostic:
    location: Location = tuple(error["loc"])
    dotted = _dotted(location)
    line = document.line_of(location)
    if error["type"] == "extra_forbidden":
        return make(
            display_path, line, "PM103", f"unknown field {dotted!r}", hint=_did_you_mean(location)
        )
    value = error.get("input")
    shown = repr(value) if not isinstance(value, dict) else "a mapping"
    if len(shown) > 60:
        shown = shown[:57] + "..."
    message = f"{dotted}: {error['msg'].rstrip('.')} (got {shown})"
    if error["type"] == "missing":
        message = f"required field {dotted!r} is missing"
    elif error["type"] in ("datetime_parsing", "datetime_type", "datetime_from_date_parsing"):
        message = f"{dotted}: not an ISO 8601 timestamp (got {shown})"
    return make(display_path, line, "PM102", message)


def _did_you_mean(location: Location) -> str | None:
    model: Any = FrontMatter
    for part in location[:-1]:
        if isinstance(part, int):
            continue
        annotation = model.model_fields.get(part) if hasattr(model, "model_fields") else None
        if annotation is None:
            return None
        model = _model_of(annotation.annotation)
    names = list(getattr(model, "model_fields", {}))
    close = difflib.get_close_matches(str(location[-1]), names, n=1, cutoff=0.6)
    return f"Did you mean {close[0]!r}?" if close else None


def _model_of(annotation: Any) -> Any:
    for arg in getattr(annotation, "__args__", ()):  # list[Model] or Model | None
        if hasattr(arg, "model_fields"):
            return arg
    return annotation


def _dotted(location: Location) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "front matter"


def _prune_point(location: tuple[Any, ...]) -> Location:
    """Where to cut a bad value: at the first list item on its path, else at the value."""
    for index, part in enumerate(location):
        if isinstance(part, int):
            return tuple(location[: index + 1])
    return tuple(location)


def _prune_order(location: Location) -> tuple[int, ...]:
    # Delete deeper paths and higher list indices first, so earlier deletions don't shift later ones.
    return (len(location), *(part if isinstance(part, int) else 0 for part in location))


def _delete(data: Any, location: Location) -> None:
    for part in location[:-1]:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            return
    try:
        del data[location[-1]]
    except (KeyError, IndexError, TypeError):
        return


def action_items_from_table(table: Table) -> list[ActionItem]:
    """Action items from the table's rows; a missing or unparseable cell becomes an empty value."""

    def text(row: tuple[Cell, ...], name: str) -> str:
        cell = table.cell(row, name)
        return cell.text if cell else ""

    items = []
    for row in table.rows:
        try:
            due: dt.date | None = dt.date.fromisoformat(text(row, "due"))
        except ValueError:
            due = None
        status = parse_status_cell(text(row, "status"))
        items.append(
            ActionItem(
                action=text(row, "action"),
                category=text(row, "category"),
                owner=text(row, "owner"),
                due=due,
                ticket=text(row, "ticket"),
                status=status.status,
                line=row[0].line if row else table.line,
                done_on=status.done_on if status.status == DONE else None,
            )
        )
    return items
