"""Rules on the front matter of one post-mortem: its file name, required fields, severity,
dates and timestamps, tags, factor categories, and drafts left too long."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.frontmatter import REQUIRED_FIELDS
from postmortem_kb.format.limits import completeness_level
from postmortem_kb.format.model import ID_PATTERN, PostMortem

TAG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


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
                level=completeness_level(pm.meta.status),
            )
        elif isinstance(parent, dict) and parent.get(location[-1]) in ([], "", None):
            yield make(
                pm.source_path,
                pm.field_line(*location),
                "PM101",
                f"required field {'.'.join(location)!r} is empty",
                level=completeness_level(pm.meta.status),
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
