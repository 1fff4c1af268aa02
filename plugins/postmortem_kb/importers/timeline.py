"""Timeline entries from a source's timeline: Time/Event tables, time sub-headings
(``### 22:00``), bullets and paragraphs that start (or, for milestones, end) with a time.

Times keep the source's time zone: when the text states it ("all times PST", "All times in
UTC", "US/Pacific", "UTC+1") and the entry's date is known, they are converted to UTC as the
format wants; otherwise they are written as found and the draft says so. Nothing is
invented: an entry without a time of day is no entry, and the incident's timestamps come
only from entries and from durations the text states ("Time to detection: 30 min").
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from postmortem_kb.format.markdown import split_row, tables

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sept", "sep"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(MONTHS, key=len, reverse=True))
_DATE = (
    r"(?P<iso>(?:19|20)\d\d-[01]\d-[0-3]\d)"
    r"|(?P<us>[01]?\d/[0-3]?\d/(?:(?:19|20)\d\d|\d\d))"
    rf"|(?P<mname>(?:{_MONTH})\.?\s+[0-3]?\d(?:st|nd|rd|th)?(?:,?\s+(?:19|20)\d\d)?)"
    rf"|(?P<dname>[0-3]?\d(?:st|nd|rd|th)?\s+(?:{_MONTH})\.?(?:,?\s+(?:19|20)\d\d)?)"
)
_TIME = (
    r"(?P<hour>[0-2]?\d)[:.](?P<minute>[0-5]\d)(?::(?P<second>[0-5]\d))?\s?(?P<ampm>[ap]\.?m\.?)?"
)
_ZONE_WORD = r"(?P<zone>UTC|GMT|Z|[ECMP][SD]T|CES?T|BST)?"
# A time stamp at the start of a text: a date, a time, or both (either order), then a separator.
_WEEKDAY = r"(?:mon|tue|tues|wed|wednes|thu|thur|thurs|fri|sat|satur|sun)(?:day)?\.?,?\s+"
_STAMP = re.compile(
    rf"^[\s*_~`\[(]*(?:{_WEEKDAY})?(?:(?:{_DATE})[\s,T@-]*(?:at\s+)?)?"
    rf"(?:{_TIME}\s*{_ZONE_WORD})?[\])*_`]*",
    re.IGNORECASE,
)
# A date after the time ("02:54 AM PST Monday Nov 1st: ..."), read when none came before it.
_DATE_AFTER = re.compile(rf"^(?:{_WEEKDAY})?(?:{_DATE})[\s,]*", re.IGNORECASE)
_STAMP_AT_END = re.compile(
    rf"(?P<text>.*?)[\s:,-]+(?:(?:{_DATE})[\s,T]*)(?:{_TIME})\s*{_ZONE_WORD}[.\s]*$",
    re.IGNORECASE,
)
_LIST_ITEM = re.compile(r"^(?P<indent>\s*)(?:[-*+]|\d+[.)])\s+(?:\[[ xX]\]\s+)?(?P<text>.*)$")
_HEADING = re.compile(r"^ {0,3}#{1,6}\s+(?P<text>.*?)\s*#*\s*$")
_REFERENCE_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")
_TIME_COLUMN = re.compile(r"^(?:time|date|when|timestamp|date ?/ ?time|time \(\w+\))", re.I)
_EVENT_COLUMN = re.compile(r"^(?:event|events|description|what|details|action|activity)", re.I)

ABBREVIATIONS = {
    "utc": 0.0,
    "gmt": 0.0,
    "z": 0.0,
    "pst": -8.0,
    "pdt": -7.0,
    "mst": -7.0,
    "mdt": -6.0,
    "cst": -6.0,
    "cdt": -5.0,
    "est": -5.0,
    "edt": -4.0,
    "cet": 1.0,
    "cest": 2.0,
    "bst": 1.0,
    "wet": 0.0,
    "west": 1.0,
    "eet": 2.0,
    "eest": 3.0,
    "msk": 3.0,
    "jst": 9.0,
    "aest": 10.0,
    "aedt": 11.0,
}
REGIONS = {
    "us/pacific": "America/Los_Angeles",
    "pacific": "America/Los_Angeles",
    "us/eastern": "America/New_York",
    "eastern": "America/New_York",
    "us/central": "America/Chicago",
    "us/mountain": "America/Denver",
}
_ZONE_NAME = (
    r"(?:UTC|GMT)\s?[+-]\s?\d{1,2}(?::?\d{2})?|[A-Z][A-Za-z]+/[A-Za-z_]+|"
    r"UTC|GMT|[A-Z]{2,4}T|MSK|pacific|eastern"
)
_ZONE_STATEMENT = re.compile(
    r"(?:all\s+)?(?:times?|timestamps?)\s+(?:are\s+)?(?:(?:in|are)\s+)?(?:(?:in|are)\s+)?"
    rf"(?P<zone>{_ZONE_NAME})(?![A-Za-z0-9])",
    re.IGNORECASE,
)
# A timeline heading may state it in parentheses alone: "Timeline (PST)", "Timeline (UTC)".
_ZONE_IN_PARENTHESES = re.compile(rf"\(\s*(?P<zone>{_ZONE_NAME})\s*\)", re.IGNORECASE)

MILESTONES = (
    (
        "detected",
        re.compile(r"\b(?:detect|notic|alert|paged|page[sd]? |reported|identified|discover)", re.I),
    ),
    ("mitigated", re.compile(r"\b(?:mitigat|repaired|restored|workaround)", re.I)),
    ("resolved", re.compile(r"\b(?:resolved|resolution)\b", re.I)),
)
_DURATION_LABEL = (
    ("detected", re.compile(r"time to (?:detection|detect|identify|acknowledge)", re.I)),
    ("mitigated", re.compile(r"time to (?:repair|recovery|recover|mitigat\w*|restore)", re.I)),
    ("resolved", re.compile(r"time to (?:resolve|resolution|fix)", re.I)),
)
_DURATION_PART = re.compile(
    r"(?P<number>\d+(?:\.\d+)?)\s*(?P<unit>d(?:ays?)?|h(?:ours?|rs?)?|m(?:in(?:ute)?s?)?)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Zone:
    name: str  # as the source writes it
    tzinfo: dt.tzinfo

    def offset_text(self, on: dt.date) -> str:
        offset = dt.datetime.combine(on, dt.time(12), self.tzinfo).utcoffset() or dt.timedelta()
        minutes = int(offset.total_seconds() // 60)
        sign = "+" if minutes >= 0 else "-"
        return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@dataclass(frozen=True)
class Entry:
    index: int  # the source line it starts on (0-based)
    date: dt.date | None
    time: dt.time
    text: str
    zone: str | None = None  # a zone written on the entry itself

    def moment(self, zone: Zone | None) -> dt.datetime | None:
        """The entry in UTC, when its date and zone are known."""
        own = parse_zone(self.zone) if self.zone else zone
        if self.date is None or own is None:
            return None
        return dt.datetime.combine(self.date, self.time, own.tzinfo).astimezone(dt.UTC)


@dataclass
class Timeline:
    entries: list[Entry] = field(default_factory=list)
    zone: Zone | None = None
    lines: list[str] = field(default_factory=list)  # the Markdown list to write
    in_utc: bool = False  # every entry converted to (or stated in) UTC
    undated_lines: int = 0  # source lines with a date but no time of day: not entries
    reordered: bool = False
    todos: list[str] = field(default_factory=list)


def parse_zone(text: str) -> Zone | None:
    """``PST``, ``UTC+1``, ``US/Pacific`` or an IANA name as a time zone; None if unknown."""
    cleaned = text.strip().rstrip(".,;)").strip()
    lower = cleaned.lower().replace(" ", "")
    if lower in ABBREVIATIONS:
        hours = ABBREVIATIONS[lower]
        return Zone(cleaned, dt.timezone(dt.timedelta(hours=hours)))
    if offset := re.fullmatch(r"(?:utc|gmt)([+-])(\d{1,2})(?::?(\d{2}))?", lower):
        delta = dt.timedelta(hours=int(offset.group(2)), minutes=int(offset.group(3) or 0))
        return Zone(cleaned, dt.timezone(delta if offset.group(1) == "+" else -delta))
    name = REGIONS.get(lower, cleaned)
    if "/" in name:
        try:
            return Zone(cleaned, ZoneInfo(name))
        except (KeyError, ValueError):
            return None
    return None


def stated_zone(*texts: str, headings: Sequence[str] = ()) -> Zone | None:
    """The first time zone the timeline's ``headings`` ("Timeline (PST)") or a text states
    for its times ("all times PST", "(All times in UTC)")."""
    matches = [m for h in headings for m in _ZONE_IN_PARENTHESES.finditer(h)]
    matches += [m for text in [*headings, *texts] for m in _ZONE_STATEMENT.finditer(text)]
    for match in matches:
        if zone := parse_zone(match.group("zone")):
            return zone
    return None


def parse_stamp(
    text: str, default_date: dt.date | None
) -> tuple[dt.date | None, dt.time | None, str, str | None]:
    """The date and time a text starts with, the rest of the text, and a zone written there.

    Returns ``(None, None, text, None)`` when the text does not start with a date or time.
    """
    match = _STAMP.match(text)
    if match is None:
        return None, None, text, None
    written = any(match.group(name) for name in ("iso", "us", "mname", "dname"))
    day = _date_of(match, default_date) if written else default_date
    time = _time_of(match)
    if time is None and (not written or day is None):
        return None, None, text, None
    separators = " \t:,.|\u2013\u2014-"
    rest = text[match.end() :].lstrip(separators).strip()
    if time is not None and not written and (after := _DATE_AFTER.match(rest)):
        day = _date_of(after, default_date) or day
        rest = rest[after.end() :].lstrip(separators).strip()
    if text.lstrip().startswith(("**", "__")) and rest.startswith(("**", "__")):
        rest = rest[2:].lstrip(separators)  # the close of a bold stamp: "**June 14, 10:00:**"
    return day, time, rest, match.group("zone")


_DATE_ANYWHERE = re.compile(rf"(?<![\w-])(?:{_DATE})(?![\w/])", re.IGNORECASE)


def first_date(text: str) -> dt.date | None:
    """The first complete date (with its year) written anywhere in ``text``."""
    for match in _DATE_ANYWHERE.finditer(text):
        if found := _date_of(match, None):
            return found
    return None


def _date_of(match: re.Match[str], default: dt.date | None) -> dt.date | None:
    try:
        if iso := match.group("iso"):
            return dt.date.fromisoformat(iso)
        if us := match.group("us"):
            month, day, year = (int(part) for part in us.split("/"))
            return dt.date(year + 2000 if year < 100 else year, month, day)
        named = match.group("mname") or match.group("dname")
    except ValueError:
        return None
    if not named:
        return default
    words = re.findall(r"[a-z]+|\d+", named.lower())
    months = [MONTHS[w] for w in words if w in MONTHS]
    numbers = [int(w) for w in words if w.isdigit()]
    days = [n for n in numbers if n <= 31]
    years = [n for n in numbers if n > 31] or ([default.year] if default else [])
    if not (months and days and years):
        return default
    try:
        return dt.date(years[0], months[0], days[0])
    except ValueError:
        return default


def _time_of(match: re.Match[str]) -> dt.time | None:
    if not match.group("hour"):
        return None
    hour, minute = int(match.group("hour")), int(match.group("minute"))
    ampm = (match.group("ampm") or "").lower().replace(".", "")
    if ampm == "pm" and hour < 12:
        hour += 12
    elif ampm == "am" and hour == 12:
        hour = 0
    try:
        return dt.time(hour, minute, int(match.group("second") or 0))
    except ValueError:
        return None


def extract_entries(
    lines: Sequence[str], first_index: int, day: dt.date | None
) -> tuple[list[Entry], int]:
    """Entries from the lines of a timeline (``first_index`` is the first line's index), and
    how many lines give a date but no time of day (they set the day of the entries after)."""
    entries: list[Entry] = []
    undated = 0
    table_rows = _table_rows(lines)
    offset = 0
    while offset < len(lines):
        line = lines[offset]
        index = first_index + offset
        offset += 1
        if offset - 1 in table_rows:
            cells = table_rows[offset - 1]
            if cells is None:
                continue
            date, time, rest, zone = parse_stamp(cells[0], day)
            day = date or day
            if time is None:
                undated += bool(date)
                continue
            text = _one_line(" ".join(filter(None, [rest, cells[1]])))
            entries.append(Entry(index, day, time, text, zone))
            continue
        heading = _HEADING.match(line)
        item = _LIST_ITEM.match(line)
        text = heading.group("text") if heading else item.group("text") if item else line.strip()
        if not text:
            continue
        date, time, rest, zone = parse_stamp(text, day)
        if time is None and date is not None and not rest:  # a day heading: "### June 3"
            day = date
            continue
        if time is None:
            if item and (end := _STAMP_AT_END.match(item.group("text"))):
                stamp = item.group("text")[len(end.group("text")) :].lstrip(" :,-")
                date, time, _, zone = parse_stamp(stamp, day)
                if time is not None:
                    day = date or day
                    entries.append(Entry(index, day, time, _one_line(end.group("text")), zone))
                    continue
            if date is not None:
                undated += 1
                day = date
            continue
        day = date or day
        following, offset = _continuation(lines, offset, heading is not None, set(table_rows))
        entries.append(Entry(index, day, time, _one_line(" ".join([rest, *following])), zone))
    return entries, undated


def _table_rows(lines: Sequence[str]) -> dict[int, tuple[str, str] | None]:
    """Every table line: (time cell, event cell) for a row of a Time/Event table, else None."""
    rows: dict[int, tuple[str, str] | None] = {}
    for table in tables(lines):
        cells = [cell.text for cell in split_row(lines[table.start], table.border)]
        columns = _table_columns(cells)
        for index in range(table.start, table.end):
            rows[index] = None
        if columns is None:
            continue
        for index in table.row_lines:
            row = [cell.text for cell in split_row(lines[index], table.border)]
            if len(row) > max(columns):
                rows[index] = (row[columns[0]], row[columns[1]])
    return rows


def _table_columns(cells: Sequence[str]) -> tuple[int, int] | None:
    """(time column, event column) if the row is a Time/Event header."""
    time = next((i for i, c in enumerate(cells) if _TIME_COLUMN.match(c.strip())), None)
    event = next((i for i, c in enumerate(cells) if _EVENT_COLUMN.match(c.strip())), None)
    if time is None or event is None or time == event:
        return None
    return time, event


def _continuation(
    lines: Sequence[str], offset: int, after_heading: bool, table_lines: set[int]
) -> tuple[list[str], int]:
    """The lines that continue an entry: its paragraph (and, under a time heading, every
    paragraph up to the next heading)."""
    taken = []
    while offset < len(lines):
        line = lines[offset]
        if _HEADING.match(line) or offset in table_lines or _REFERENCE_DEFINITION.match(line):
            break
        if not line.strip():
            if not after_heading:
                break
            offset += 1
            continue
        if _LIST_ITEM.match(line) and not after_heading:
            break
        if not after_heading and parse_stamp(line.strip(), None)[1] is not None:
            break
        taken.append(line.strip())
        offset += 1
    return taken, offset


def _one_line(text: str) -> str:
    return " ".join(text.split())


def build_timeline(
    lines: Sequence[str], first_index: int, day: dt.date | None, zone: Zone | None
) -> Timeline:
    """Entries of the timeline's lines as Markdown list lines the format accepts."""
    entries, undated = extract_entries(lines, first_index, day)
    timeline = Timeline(entries=entries, zone=zone, undated_lines=undated)
    moments = [entry.moment(zone) for entry in entries]
    timeline.in_utc = bool(entries) and all(moment is not None for moment in moments)
    if timeline.in_utc:
        order = sorted(range(len(entries)), key=lambda i: moments[i])  # type: ignore[arg-type,return-value]
        timeline.reordered = order != list(range(len(entries)))
        timeline.lines = [
            f"- {moments[i]:%Y-%m-%d %H:%M} {entries[i].text}".rstrip()
            for i in order  # type: ignore[str-format]
        ]
    else:
        timeline.lines, timeline.reordered = _as_written(entries)
    timeline.lines = list(dict.fromkeys(timeline.lines))  # one entry in two lists: once
    if entries and zone and not timeline.in_utc:
        timeline.todos.append(
            f"timeline: times are {zone.name}; convert them to UTC (entries without a date "
            "could not be converted)"
        )
    elif entries and zone is None and not timeline.in_utc:
        timeline.todos.append(
            "timeline: the source does not state its time zone; check the times are UTC"
        )
    elif zone and zone.tzinfo.utcoffset(None) != dt.timedelta(0) and entries:
        first = next(e.date for e in entries if e.date)
        timeline.todos.append(
            f"timeline: converted from {zone.name} ({zone.offset_text(first)}) to UTC; check it"
        )
    if timeline.reordered:
        timeline.todos.append("timeline: the source's entries were not in time order; now sorted")
    if undated:
        timeline.todos.append(
            f"timeline: {undated} source line(s) give a date but no time of day: add the times"
        )
    return timeline


def _as_written(entries: Sequence[Entry]) -> tuple[list[str], bool]:
    """Entries in the source's own zone; sorted if every one has a date, as the check rolls
    time-only entries over midnight."""
    ordered = list(entries)
    reordered = False
    if all(entry.date for entry in entries):
        ordered = sorted(entries, key=lambda e: (e.date, e.time))
        reordered = ordered != list(entries)
    lines = []
    previous: dt.datetime | None = None
    base = next((e.date for e in ordered if e.date), dt.date(2000, 1, 1))
    for entry in ordered:
        stamp = f"{entry.date} " if entry.date else ""
        moment = dt.datetime.combine(entry.date or base, entry.time)
        if (
            previous is not None
            and entry.date is None
            and previous - moment > dt.timedelta(hours=12)
        ):
            moment += dt.timedelta(days=1)
        backwards = previous is not None and moment < previous
        text = f"{stamp}{entry.time:%H:%M} {entry.text}".rstrip()
        lines.append(f"{text}  <!-- out of order in the source -->" if backwards else f"- {text}")
        if not backwards:
            previous = moment
            base = moment.date()
    return lines, reordered


def parse_duration(text: str) -> dt.timedelta | None:
    """``8 minutes``, ``0h 55m``, ``1 hour 20 min``, ``2 days`` as a duration; None otherwise."""
    total = dt.timedelta()
    found = False
    for match in _DURATION_PART.finditer(text):
        number, unit = float(match.group("number")), match.group("unit").lower()
        found = True
        if unit.startswith("d"):
            total += dt.timedelta(days=number)
        elif unit.startswith("h"):
            total += dt.timedelta(hours=number)
        else:
            total += dt.timedelta(minutes=number)
    return total if found else None


def stated_durations(lines: Sequence[str]) -> dict[str, dt.timedelta]:
    """``Time to detection: 30 min`` and the like, by the milestone they measure from the start."""
    durations: dict[str, dt.timedelta] = {}
    for line in lines:
        for milestone, label in _DURATION_LABEL:
            match = label.search(line)
            duration = parse_duration(line[match.end() :]) if match else None
            if duration is not None and milestone not in durations:
                durations[milestone] = duration
    return durations


def milestones(
    entries: Sequence[Entry], zone: Zone | None, durations: dict[str, dt.timedelta]
) -> dict[str, dt.datetime]:
    """started (the first entry), detected/mitigated/resolved from the entries' wording, else
    from stated durations; only aware UTC values, only in the order the format requires."""
    found: dict[str, dt.datetime] = {}
    moments = [(entry, entry.moment(zone)) for entry in entries]
    known = [(entry, moment) for entry, moment in moments if moment is not None]
    if not known:
        return {}
    for name, pattern in MILESTONES:
        hits = [moment for entry, moment in known if pattern.search(entry.text)]
        if hits:
            found[name] = hits[-1] if name == "resolved" else hits[0]
    found.setdefault("started", min(moment for _, moment in known))
    for name, duration in durations.items():
        found.setdefault(name, found["started"] + duration)
    ordered: dict[str, dt.datetime] = {}
    for name in ("started", "detected", "mitigated", "resolved"):
        if name in found and all(found[name] >= value for value in ordered.values()):
            ordered[name] = found[name]
    return ordered
