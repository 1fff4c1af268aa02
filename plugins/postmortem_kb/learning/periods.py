"""Calendar periods the learning figures are grouped by, and the as-of date.

Every function that depends on "today" takes `as_of` so tests can fix it; `as_of_or_today`
gives today's date in UTC when none is given. Quarters are calendar quarters labelled
`2024Q2`; months are labelled `2024-05`.
"""

from __future__ import annotations

import datetime as dt
import os
import re
from collections.abc import Mapping

_MONTH = re.compile(r"^(?P<year>\d{4})-(?P<month>\d{2})$")


def today_utc() -> dt.date:
    return dt.datetime.now(dt.UTC).date()


def as_of_or_today(as_of: dt.date | None) -> dt.date:
    """`as_of`, or today's date in UTC when it is None."""
    return as_of if as_of is not None else today_utc()


def quarter_of(day: dt.date) -> str:
    """The calendar quarter of `day`, e.g. `2024Q2` for 2024-05-30."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def month_of(day: dt.date) -> str:
    """The month of `day`, e.g. `2024-05`."""
    return f"{day.year:04d}-{day.month:02d}"


def parse_month(text: str) -> tuple[int, int]:
    """(year, month) of `YYYY-MM`; ValueError with a readable message otherwise."""
    match = _MONTH.match(text.strip())
    if not match or not 1 <= int(match.group("month")) <= 12:
        raise ValueError(f"{text!r} is not a month written YYYY-MM")
    return int(match.group("year")), int(match.group("month"))


def add_months(day: dt.date, months: int) -> dt.date:
    """`day` moved by `months` calendar months; the day of the month is clamped (Jan 31 + 1
    month is Feb 28 or 29)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    next_month = dt.date(year + (month == 12), month % 12 + 1, 1)
    last_day = (next_month - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last_day))


def month_range(first: str, last: str) -> list[str]:
    """Every month from `first` to `last` (both `YYYY-MM`, both included), oldest first; a
    chart's axis, so that months without incidents are shown as such."""
    (y1, m1), (y2, m2) = parse_month(first), parse_month(last)
    return [f"{i // 12:04d}-{i % 12 + 1:02d}" for i in range(y1 * 12 + m1 - 1, y2 * 12 + m2)]


def quarter_range(first: str, last: str) -> list[str]:
    """Every quarter from `first` to `last` (both `2024Q2`, both included), oldest first."""

    def index(quarter: str) -> int:
        year, number = quarter.split("Q")
        return int(year) * 4 + int(number) - 1

    return [f"{i // 4}Q{i % 4 + 1}" for i in range(index(first), index(last) + 1)]


def build_date(environ: Mapping[str, str] = os.environ) -> dt.date:
    """The date a site build counts as today (the as-of date of its figures): the UTC date
    of `SOURCE_DATE_EPOCH` (seconds since 1970, the reproducible-builds convention) when it
    is set, else today in UTC. ValueError, naming the variable, when it is not a number."""
    text = environ.get("SOURCE_DATE_EPOCH", "").strip()
    if not text:
        return today_utc()
    try:
        return dt.datetime.fromtimestamp(int(text), dt.UTC).date()
    except (ValueError, OverflowError) as err:
        raise ValueError(f"SOURCE_DATE_EPOCH={text!r} is not a number of seconds") from err
