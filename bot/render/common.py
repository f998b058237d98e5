"""Formatting shared by every renderer: dates, labels, source lines."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime

from bot.answers import Answer, Label, Line, Section
from bot.dates import as_local
from bot.models import Kind, Precision, Published, Source, When
from bot.usertext import plain, render_marked, user

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


def _day(moment: date) -> str:
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


# Kinds at a glance, in mixed lists (search, digests, one fact); a section of one kind
# says it in its heading instead.
KIND_TAGS = {Kind.REPORTED: "📰", Kind.QUOTE: "💬", Kind.ATTRIBUTED: "🗣️", Kind.OPINION: "💭"}
KIND_WORDS = {
    Kind.REPORTED: "reported",
    Kind.QUOTE: "their own words",
    Kind.ATTRIBUTED: "a view the source attributes",
    Kind.OPINION: "the author's opinion",
}


def legend(answer: Answer) -> str:
    """One line saying what the kind tags mean, if the answer shows any."""
    kinds = {
        line.kind
        for section in answer.sections
        if section.kind is None
        for line in section.lines
        if line.kind is not None
    }
    return " · ".join(f"{KIND_TAGS[k]} {KIND_WORDS[k]}" for k in KIND_TAGS if k in kinds)


def shared_as_of(lines: Iterable[Line]) -> str:
    """The one "as of" every cited line among `lines` shares ("April 2019"), or "" when
    they differ or one of them is current: then each line says its own. Lines citing
    nothing (public record, the bot's own notes) do not count either way."""
    dated = {line.as_of for line in lines if line.source_ids}
    return next(iter(dated)) if len(dated) == 1 and "" not in dated else ""


@dataclass(frozen=True, slots=True)
class AsOf:
    """Where an answer says how old its lines are: once for the whole answer (`whole`),
    once per section (`sections`: section index -> "April 2019"), else on each line."""

    whole: str = ""
    sections: dict[int, str] = field(default_factory=dict)

    def on_line(self, index: int) -> bool:
        return not self.whole and index not in self.sections


def as_of_plan(sections: list[Section]) -> AsOf:
    """Say "as of" once where all the shown lines share the same source date, once per
    section where each section's do, and per line only where one section mixes dates."""
    whole = shared_as_of(line for section in sections for line in section.lines)
    if whole:
        return AsOf(whole)
    per = {i: shared for i, s in enumerate(sections) if (shared := shared_as_of(s.lines))}
    return AsOf(sections=per)


AS_OF_NOTE = "Cited lines are as of {}."


def short_day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def date_first(when: When) -> str:
    """A meeting's date, short, to lead its line: "25 Apr 2019", "27–28 Feb 2019"."""
    start = as_local(when.start, when.tz)
    if when.precision is Precision.DAY and when.end:
        end = as_local(when.end, when.tz)
        if (start.year, start.month) == (end.year, end.month) and start.day != end.day:
            return f"{start.day}–{short_day(end)}"
        if start.date() != end.date():
            return f"{short_day(start)} – {short_day(end)}"
    if when.precision in (Precision.DAY, Precision.MINUTE):
        return short_day(start)
    if when.precision is Precision.MONTH:
        return f"{start:%b %Y}"
    if when.precision is Precision.YEAR:
        return str(start.year)
    return f"week of {short_day(start)}"


def meeting_head(line: Line, bold: Callable[[str], str] = _plain) -> str:
    """A meeting line after its date: title, place when the title lacks it, status."""
    text = bold(line.lead)
    if line.place and plain(line.place) not in plain(line.lead):
        text += f", {line.place}"
    return f"{text} ({line.status})" if line.status else text


def audit_time(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def line_body(line: Line, bold: Callable[[str], str] = _plain) -> str:
    """What a line says, before its kind, markers and labels: its lead ("Kim Jong Un:"),
    its text, the source or the audit time it describes."""
    text = describe_source(line.source) if line.source is not None else line.text
    if line.published is not None:
        text += describe_published(line.published)
    if line.at is not None:
        text = f"{audit_time(line.at)}, {text}"
    if line.lead:
        text = f"{bold(line.lead)}: {text}" if text else bold(line.lead)
    return text


def short_date(published: Published) -> str:
    """A source's date in a few characters: "25 Apr 2019", "Apr 2019", "2019"."""
    value = published.value
    if published.precision is Precision.DAY:
        return f"{value.day} {value:%b %Y}"
    if published.precision is Precision.YEAR:
        return str(value.year)
    return f"{value:%b %Y}"


def short_source(source: Source) -> str:
    """A source in a footer: "S1 · Apr 2019", with its publisher when known (never
    "publisher: unknown")."""
    parts = [f"S{source.id}"]
    if source.publisher:
        parts.append(user(source.publisher))
    if source.published is not None:
        parts.append(short_date(source.published))
    return " · ".join(parts)
