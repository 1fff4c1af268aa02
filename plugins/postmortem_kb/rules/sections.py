"""Rules on the body's structure: the template's sections (present, in order, once, not
empty) and the timeline (entries with times, in order)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from postmortem_kb.config import KBConfig
from postmortem_kb.diagnostics.diagnostic import Diagnostic, make
from postmortem_kb.format.body import normalise_heading
from postmortem_kb.format.limits import completeness_level
from postmortem_kb.format.model import PostMortem


def check_sections(pm: PostMortem, config: KBConfig, today: dt.date) -> Iterator[Diagnostic]:
    order = section_order(config)
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
    level = completeness_level(pm.meta.status)
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


def section_order(config: KBConfig) -> dict[str, float]:
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
            level=completeness_level(pm.meta.status),
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
