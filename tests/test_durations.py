"""format.durations.iso_duration: the machine-readable value of a duration's <time datetime>."""

from __future__ import annotations

import datetime as dt

import pytest
from postmortem_kb.format.durations import format_duration, iso_duration


@pytest.mark.parametrize(
    ("duration", "value", "shown"),
    [
        (dt.timedelta(minutes=9), "PT9M", "9 min"),
        (dt.timedelta(hours=2, minutes=23), "PT2H23M", "2 h 23 min"),
        (dt.timedelta(hours=1), "PT1H", "1 h"),
        (dt.timedelta(seconds=30), "PT0M", "< 1 min"),
        (dt.timedelta(minutes=59, seconds=50), "PT59M", "59 min"),  # rounded down, as shown
        (dt.timedelta(days=3, hours=15, minutes=7), "PT87H7M", "3 d 15 h"),  # no days in PT form
        (None, None, "not recorded"),
        (dt.timedelta(minutes=-5), None, "not recorded"),  # out-of-order timestamps
    ],
)
def test_iso_duration_is_what_the_page_shows_in_hours_and_minutes(
    duration: dt.timedelta | None, value: str | None, shown: str
) -> None:
    assert iso_duration(duration) == value
    assert format_duration(duration) == shown
