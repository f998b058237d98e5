"""Formatting shared by every renderer: dates, labels, source lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from bot.briefing import Label
from bot.dates import as_local
from bot.models import Precision, When
from bot.usertext import render_marked

# Discord markdown: emphasis, strike, spoilers, code, escapes, masked links, and the
# `<@id>`/`<#id>`/`<t:…>` forms; and what only counts at the start of a line (headings,
# quotes, lists, subtext). Escaped with a backslash, each shows as typed.
_MARKDOWN = re.compile(r"([\\*_~|`\[\]<>])")
_LINE_START = re.compile(r"^([ \t]*)([#>\-+])", re.MULTILINE)
_NUMBERED = re.compile(r"^([ \t]*\d+)([.)])", re.MULTILINE)


def escape_markdown(text: str) -> str:
    """Someone's text, as Discord will show it literally."""
    text = _MARKDOWN.sub(r"\\\1", text)
    return _NUMBERED.sub(r"\1\\\2", _LINE_START.sub(r"\1\\\2", text))


_URL = re.compile(r"(?<![<\w])https?://[^\s<>]+")


def for_discord(text: str) -> str:
    """An answer's text for Discord: the parts people supplied escaped, the bot's own
    formatting kept, and a source's URL in <…>, so it shows as itself, never as a
    link's text (URLs are checked when stored: moderation.parse_url)."""
    return render_marked(text, escape_markdown, lambda own: _URL.sub(r"<\g<0>>", own))


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
