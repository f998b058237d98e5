"""Formatting shared by every renderer: dates, labels, source lines."""

from __future__ import annotations

from datetime import datetime

from bot.dates import as_local
from bot.models import Precision, When


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%B %Y}"


def describe_when(when: When) -> str:
    """A date as precise as it is known, in the zone it was given in."""
    start = as_local(when.start, when.tz)
    if when.precision is Precision.MINUTE:
        text = f"{_day(start)}, {start:%H:%M} {when.tz}"
        utc = when.start.strftime("%H:%M UTC")
        return text if when.tz == "UTC" else f"{text} ({utc})"
    if when.precision is Precision.DAY:
        text = _day(start)
        if when.end:
            end = as_local(when.end, when.tz)
            text = (
                f"{start.day}–{_day(end)}"
                if start.month == end.month
                else f"{_day(start)} – {_day(end)}"
            )
        return f"{text} (date known, time not)"
    return f"{when.precision.value} of {_day(start)}"
