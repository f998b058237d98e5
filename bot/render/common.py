"""Formatting shared by every renderer: dates, labels, source lines."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from bot.briefing import Label
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


def _plain(text: str) -> str:
    return text


def label_text(
    labels: list[Label], *, detail: bool, emphasis: Callable[[str], str] = _plain
) -> str:
    """Where the parts of a line come from, compactly: "Public record", "date: Public
    record", "Inferred: <reasoning>"; with `detail`, a public record's note and URL too."""
    parts = []
    for label in labels:
        provenance = label.provenance
        what = f"{label.what}: " if label.what else ""
        if provenance.public_record:
            text = f"{what}{emphasis('Public record')}"
            if detail:
                text += f" ({provenance.public_record}"
                text += f"; {provenance.url})" if provenance.url else ")"
            parts.append(text)
        if provenance.inferred:
            parts.append(f"{what}{emphasis('Inferred:')} {provenance.inferred}")
    return "; ".join(parts)
