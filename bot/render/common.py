"""Formatting shared by every renderer: dates, labels, source lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from bot.answers import Label, Line
from bot.dates import as_local
from bot.models import Kind, Precision, Source, When
from bot.usertext import render_marked, user

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


def describe_published(source: Source) -> str:
    """When a source was published, as precisely as known, and where that comes from."""
    if source.published is None:
        return "date unknown"
    published = source.published
    text = published.note
    if not text and published.precision is Precision.DAY:
        text = _day(published.value)
    elif not text:
        text = f"{published.precision.value} of {_day(published.value)}"
    if published.provenance.inferred:
        text += " (inferred)"
    elif published.provenance.public_record:
        text += " (public record)"
    return text


def describe_source(source: Source) -> str:
    """A source in one line: id, title, date, publisher, author, URL."""
    title = user(source.title) + (" (title ours)" if source.title_is_ours else "")
    parts = [f"S{source.id}: {title}", describe_published(source)]
    parts.append(f"publisher: {user(source.publisher) if source.publisher else 'unknown'}")
    parts.append(f"author: {user(source.author) if source.author else 'unknown'}")
    parts.append(source.url or "URL unknown")  # checked at input (moderation.parse_url)
    return "; ".join(parts)


def kind_text(line: Line) -> str:
    """A fact line's kind, in words ("Author's opinion", "Quote: Kim Jong Un")."""
    if line.kind is Kind.OPINION:
        return "Author's opinion"
    if line.kind is Kind.ATTRIBUTED:
        return f"Attributed view: {line.holder}"
    if line.kind is Kind.QUOTE:
        return f"Quote: {line.holder}"
    return "Reported" if line.kind is Kind.REPORTED else ""


def audit_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def line_body(line: Line, bold: Callable[[str], str] = _plain) -> str:
    """What a line says, before its kind, markers and labels: its lead ("Kim Jong Un:"),
    its text, the source or the audit time it describes."""
    text = describe_source(line.source) if line.source is not None else line.text
    if line.at is not None:
        text = f"{audit_time(line.at)}, {text}"
    if line.lead:
        text = f"{bold(line.lead)}: {text}" if text else bold(line.lead)
    if line.fact_id is not None and line.kind is not None:
        text += f" (fact {line.fact_id})"
    return text
