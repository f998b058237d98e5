"""Answers as Discord embeds, within Discord's limits, split into pages, never cut.

Limits: title 256, description 4096, 25 fields, field name 256 and value 1024, footer
2048, 6000 characters per message. Long sections become several fields, and fields
spill onto further pages; a line longer than a field is split with a visible
continuation mark rather than truncated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.answers import Answer, Hint, Line, Ref, Section
from bot.models import Kind, Precision, When
from bot.render.common import (
    AS_OF_NOTE,
    KIND_TAGS,
    as_of_plan,
    date_first,
    describe_when,
    for_discord,
    label_text,
    legend,
    line_body,
    meeting_head,
    short_source,
)
from bot.usertext import plain

TITLE_MAX = 256
FIELD_VALUE_MAX = 1024
FIELD_NAME_MAX = 256
# Below Discord's own caps (description 4096, footer 2048) so that title + description +
# fields + footer always fit in one 6000-character message.
DESCRIPTION_MAX = 1800
FOOTER_MAX = 600
MAX_FOOTER_SOURCES = 2  # more than this are counted, not listed
# Stay well inside the 6000-per-message and 25-field limits so pages stay readable.
PAGE_BUDGET = 3500
FIELDS_PER_PAGE = 8
CONTINUED = " …(continued)"

COLOURS = {True: discord.Colour.blurple(), False: discord.Colour.orange()}


def discord_when(when: When, past: bool | None) -> str:
    """Times with a known minute as Discord timestamps (each reader's own zone)."""
    tense = "past" if past else "upcoming"
    if when.precision is Precision.MINUTE:
        stamp = int(when.start.timestamp())
        return f"<t:{stamp}:F> (<t:{stamp}:R>), {tense}"
    return f"{describe_when(when)}, {tense}"


def _emphasis(text: str) -> str:
    return f"*{text}*"


def _bold(text: str) -> str:
    return f"**{text}**"


def line_markdown(line: Line, *, tagged: bool = True, as_of: bool = True) -> str:
    """A line as Discord shows it: its kind as a tag (unless its section says it), the
    text, whose view it is, its one marker, then "as of" (unless the answer or section
    says it once: `as_of`) and provenance, compactly."""
    if line.when is not None and line.lead:
        return _meeting_markdown(line, as_of)
    text = for_discord(line_body(line, _bold))
    if line.when is not None:
        text = f"{text} {line.when_label}: {discord_when(line.when, line.past)}.".strip()
    if tagged and line.kind is not None:
        # Opinion stands out from reporting: its own tag, and in italics.
        text = f"*{text}*" if line.kind is Kind.OPINION else text
        text = f"{KIND_TAGS[line.kind]} {text}"
    if line.holder:
        text += f" — {for_discord(line.holder)}"
    if line.markers:
        text += " " + "".join(f"[{marker}]" for marker in line.markers)
    return f"• {text}{_extras(line, as_of=as_of)}"


def _extras(line: Line, people: str = "", *, as_of: bool = True) -> str:
    """'as of' and where parts come from, after a line (on a small line for meetings)."""
    extras = [people] if people else []
    if line.as_of and as_of:
        extras.append(f"as of {line.as_of}")
    labels = label_text(line.labels, detail=line.detail, emphasis=_emphasis)
    if labels:
        extras.append(labels)
    return " · " + " · ".join(extras) if extras else ""


def _meeting_markdown(line: Line, as_of: bool = True) -> str:
    """Date first: "**25 Apr 2019** — Putin–Kim summit, Vladivostok (held) [3]", and the
    participants and caveats in small text beneath."""
    assert line.when is not None
    if line.when.precision is Precision.MINUTE:
        stamp = int(line.when.start.timestamp())
        date = f"<t:{stamp}:F>" + ("" if line.past else f" (<t:{stamp}:R>)")
    else:
        date = f"**{date_first(line.when)}**" + ("" if line.past else " (upcoming)")
    text = f"{date} — {for_discord(meeting_head(line, _bold))}"
    if line.markers:
        text += " " + "".join(f"[{marker}]" for marker in line.markers)
    small = _extras(line, for_discord(line.text), as_of=as_of).removeprefix(" · ")
    return f"• {text}" + (f"\n-# {small}" if small else "")


def _chunks(text: str, size: int) -> list[str]:
    """Split an over-long line at spaces, marking each cut so nothing is hidden."""
    if len(text) <= size:
        return [text]
    room = size - len(CONTINUED)
    pieces = []
    while len(text) > size:
        cut = text.rfind(" ", 0, room)
        cut = cut if cut > room // 2 else room
        pieces.append(text[:cut] + CONTINUED)
        text = text[cut:].lstrip()
    return [*pieces, text]


@dataclass
class Field:
    name: str
    value: str
    section: str  # the heading of the section it is (part of)
    dates: list[When] = field(default_factory=list)  # of the meetings it shows


def _fields(section: Section, as_of: str = "", lines_say: bool = True) -> list[Field]:
    """A section as embed fields, each value within the field limit. `as_of`: the date
    the whole section speaks for, said once in its heading; `lines_say`: whether each
    line says its own."""
    heading, tagged = section.heading, section.kind is None
    if as_of:
        heading = f"{heading} · as of {as_of}"
    fields: list[Field] = []
    current = Field(heading, "", section.heading)
    for line in section.lines:
        text = line_markdown(line, tagged=tagged, as_of=lines_say)
        for piece in _chunks(text, 1000):
            if current.value and len(current.value) + 1 + len(piece) > FIELD_VALUE_MAX:
                fields.append(current)
                current = Field(f"{heading} (cont.)", "", section.heading)
            current.value = f"{current.value}\n{piece}" if current.value else piece
            if line.when is not None and line.lead and line.when not in current.dates:
                current.dates.append(line.when)
    if current.value or not fields:
        current.value = current.value or "—"
        fields.append(current)
    for one in fields:
        one.name = one.name[:FIELD_NAME_MAX]
    return fields


@dataclass
class Page:
    embed: discord.Embed
    markers: list[str] = field(default_factory=list)
    label: str = ""  # what is on it, for a menu of pages: "Events, 25 Apr 2019 – 3 Dec 2026"


def page_label(fields: list[Field]) -> str:
    """What a page shows, in a few words: its sections' headings, each with the dates of
    the meetings it shows there ("Events: 25 Apr 2019 – 3 Dec 2026 · Sources")."""
    parts = []
    for heading in dict.fromkeys(f.section for f in fields):
        dates = [when for f in fields if f.section == heading for when in f.dates]
        text = plain(heading)
        if dates:
            first, last = date_first(dates[0]), date_first(dates[-1])
            text += f": {first}" if first == last else f": {first} – {last}"
        parts.append(text)
    return " · ".join(parts) or "More"


def _footer(answer: Answer, number: int, total: int, quotes_button: bool, as_of: str = "") -> str:
    """One line: the sources in short, where the rest is, what the markers open. Later
    pages, which have no description, repeat the freshness line and the answer's one
    "as of"."""
    parts = []
    if answer.freshness and number > 1:
        parts.append(answer.freshness)
    if as_of and number > 1:
        parts.append(AS_OF_NOTE.format(as_of).removesuffix("."))
    if len(answer.sources) > MAX_FOOTER_SOURCES:
        parts.append(f"{len(answer.sources)} sources")
    else:
        parts += [short_source(source) for source in answer.sources]
    if answer.sources:
        parts.append("/sources")
    if answer.refs and quotes_button and not answer.panel:
        parts.append("[n] → Quotes")
    if total > 1:
        parts.append(f"Page {number}/{total}")  # cogs/digest.py reads it back (PAGE)
    if answer.footer_note:
        parts.append(answer.footer_note)
    # Footers show no markdown: nothing to escape, and one line.
    return " ".join(plain(" · ".join(parts)).split())[:FOOTER_MAX]


_ONE = {"views": "view", "opinions": "opinion", "meetings": "meeting", "quotes": "quote"}


def count_text(section: Section) -> str:
    """ "5 views", "1 opinion", "3 more reported"."""
    count = len(section.lines)
    return f"{count} {_ONE.get(section.key, section.key) if count == 1 else section.key}"


def folded_counts(answer: Answer) -> str:
    """What the folded sections hold, as counts: "5 views · 6 opinions · 2 meetings"."""
    return " · ".join(count_text(s) for s in answer.sections if s.folded and s.lines)


def folded_answer(answer: Answer, key: str) -> Answer | None:
    """One folded section of `answer` as an answer of its own (for the menu)."""
    section = next((s for s in answer.sections if s.folded and s.key == key), None)
    if section is None:
        return None
    opened = Section(section.heading, section.lines, section.kind)
    title = f"{answer.title}: {section.heading}"
    markers = {marker for line in section.lines for marker in line.markers}
    return Answer(
        title=title,
        sections=[opened],
        refs=[ref for ref in answer.refs if ref.marker in markers],
        sources=answer.sources,
        freshness=answer.freshness,
    )


def hint_markdown(hint: Hint) -> str:
    """A pointer to a command, the command as inline code (a backtick someone typed
    cannot end the code span early)."""
    command = plain(hint.command).replace("`", "ˋ")
    return f"{for_discord(hint.text)} `{command}`"


def title_text(answer: Answer) -> str:
    day = f", {answer.day.day} {answer.day:%B %Y}" if answer.day else ""
    return for_discord(answer.title + day)[:TITLE_MAX]


def _description(answer: Answer, as_of: str = "") -> str:
    text = for_discord(answer.intro)
    for hint in answer.hints:
        text = f"{text}\n{hint_markdown(hint)}".strip()
    if folded := folded_counts(answer):
        text = f"{text}\n**More:** {folded} — pick one in the menu below".strip()
    if key := legend(answer):
        text = f"{text}\n-# {key}".strip()
    if as_of:  # first, with the freshness line: never cut off by a long intro
        text = f"{AS_OF_NOTE.format(f'**{as_of}**')}\n{text}".strip()
    if answer.freshness:
        text = f"*{answer.freshness}.*\n{text}".strip()
    if answer.suggestions:
        text += "\nDid you mean: " + ", ".join(f"**{name}**" for name in answer.suggestions) + "?"
    if len(text) > DESCRIPTION_MAX:
        text = text[: DESCRIPTION_MAX - len(CONTINUED)] + CONTINUED
    return text


def render_pages(answer: Answer, *, quotes_button: bool = True) -> list[Page]:
    """The answer as one or more embeds, each within Discord's limits. `quotes_button`
    says whether the message will carry the Quotes button (digests do not)."""
    shown = [section for section in answer.sections if not section.folded]
    plan = as_of_plan(shown)
    all_fields = [
        f
        for i, section in enumerate(shown)
        for f in _fields(section, plan.sections.get(i, ""), plan.on_line(i))
    ]
    groups: list[list[Field]] = [[]]
    description = _description(answer, plan.whole)
    size = len(answer.title) + len(description)
    for one in all_fields:
        cost = len(one.name) + len(one.value)
        if groups[-1] and (size + cost > PAGE_BUDGET or len(groups[-1]) >= FIELDS_PER_PAGE):
            groups.append([])
            size = len(answer.title)
        groups[-1].append(one)
        size += cost
    pages = []
    for number, group in enumerate(groups, start=1):
        embed = discord.Embed(
            title=title_text(answer),
            description=description if number == 1 else None,
            colour=COLOURS[answer.found],
        )
        for one in group:
            embed.add_field(name=one.name, value=one.value, inline=False)
        footer = _footer(answer, number, len(groups), quotes_button, plan.whole)
        embed.set_footer(text=footer)
        markers = [m for one in group for m in _markers_in(one.value, answer.refs)]
        pages.append(Page(embed, markers, page_label(group)))
    return pages


def _markers_in(value: str, refs: list[Ref]) -> list[str]:
    markers = dict.fromkeys(ref.marker for ref in refs)
    return [marker for marker in markers if f"[{marker}]" in value]
