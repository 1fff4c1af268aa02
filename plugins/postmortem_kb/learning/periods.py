"""Calendar periods the learning figures are grouped by, and the as-of date.

Every function that depends on "today" takes `as_of` so tests can fix it; `as_of_or_today`
gives today's date in UTC when none is given. Quarters are calendar quarters labelled
`2024Q2`; months are labelled `2024-05`.
"""

from __future__ import annotations

import datetime as dt
import re

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
