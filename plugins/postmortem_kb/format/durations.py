"""Human-readable durations for the site: "7 min", "1 h 18 min", "2 d 4 h".

A duration is shown to the minute below a day and to the hour from a day on, always
rounded down (an incident that took 59 min 50 s did not take an hour). A duration that was
not recorded is shown as `NOT_RECORDED`, never as a number.
"""

from __future__ import annotations

import datetime as dt

NOT_RECORDED = "not recorded"

_MINUTE = 60
_HOUR = 60 * _MINUTE
_DAY = 24 * _HOUR


def format_duration(duration: dt.timedelta | None) -> str:
    """`duration` as "7 min", "1 h", "1 h 18 min", "2 d", "2 d 4 h"; None (or a negative
    duration, which only out-of-order timestamps produce) is `NOT_RECORDED`."""
    if duration is None or duration < dt.timedelta(0):
        return NOT_RECORDED
    seconds = int(duration.total_seconds())
    if 0 < seconds < _MINUTE:
        return "< 1 min"
    if seconds < _HOUR:
        return f"{seconds // _MINUTE} min"
    if seconds < _DAY:
        hours, minutes = divmod(seconds // _MINUTE, 60)
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(seconds // _HOUR, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"


def iso_duration(duration: dt.timedelta | None) -> str | None:
    """`duration` as the machine-readable value of a `<time datetime>`, to the minute
    (rounded down) even where `format_duration` shows only days and hours: "PT7M",
    "PT1H18M", "PT87H7M" (hours, as HTML's duration syntax has no days in the `PT` form);
    None (or negative) is None."""
    if duration is None or duration < dt.timedelta(0):
        return None
    hours, minutes = divmod(int(duration.total_seconds()) // _MINUTE, 60)
    if not hours:
        return f"PT{minutes}M"
    return f"PT{hours}H{minutes}M" if minutes else f"PT{hours}H"
