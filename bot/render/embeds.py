"""Answers as Discord embeds, within Discord's limits, split into pages, never cut.

Limits: title 256, description 4096, 25 fields, field name 256 and value 1024, footer
2048, 6000 characters per message. Long sections become several fields, and fields
spill onto further pages; a line longer than a field is split with a visible
continuation mark rather than truncated.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import discord

from bot.answers import Answer, Hint, Line, Ref
from bot.models import Precision, When
from bot.render.common import (
    describe_source,
    describe_when,
    for_discord,
    kind_text,
    label_text,
    line_body,
)
from bot.usertext import plain

TITLE_MAX = 256
FIELD_VALUE_MAX = 1024
FIELD_NAME_MAX = 256
# Below Discord's own caps (description 4096, footer 2048) so that title + description +
# fields + footer always fit in one 6000-character message.
DESCRIPTION_MAX = 1800
FOOTER_MAX = 600
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


def line_markdown(line: Line) -> str:
    text = for_discord(line_body(line, _bold))
    if line.when is not None:
        text = f"{text} {line.when_label}: {discord_when(line.when, line.past)}.".strip()
    label = kind_text(line)
    if line.as_of and label:
        label = f"{label}, as of {line.as_of}"
    elif line.as_of:
        text += f" (as of {line.as_of})"
    if label:
        text = f"*{for_discord(label)}:* {text}"
    if line.markers:
        text += " " + "".join(f"[{marker}]" for marker in line.markers)
    labels = label_text(line.labels, detail=line.detail, emphasis=_emphasis)
    if labels:
        text += f" — {labels}"
    return f"• {text}"


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


def _fields(heading: str, lines: list[Line]) -> list[tuple[str, str]]:
    """A section as (name, value) pairs, each value within the field limit."""
    fields: list[tuple[str, str]] = []
    current = ""
    for piece in (chunk for line in lines for chunk in _chunks(line_markdown(line), 1000)):
        if current and len(current) + 1 + len(piece) > FIELD_VALUE_MAX:
            fields.append((heading, current))
            current = ""
        current = f"{current}\n{piece}" if current else piece
    if current or not fields:
        fields.append((heading, current or "—"))
    names = [name if i == 0 else f"{name} (cont.)" for i, (name, _) in enumerate(fields)]
    return [(name[:FIELD_NAME_MAX], value) for name, (_, value) in zip(names, fields, strict=True)]


@dataclass
class Page:
    embed: discord.Embed
    markers: list[str] = field(default_factory=list)


def _footer(answer: Answer, number: int, total: int, quotes_button: bool) -> str:
    parts = []
    if answer.freshness and number > 1:
        parts.append(answer.freshness)
    if answer.sources:
        parts.append("Sources: " + " | ".join(describe_source(s) for s in answer.sources))
    if answer.refs:
        how = "press “Quotes” or use" if quotes_button else "use"
        parts.append(f"[n] = citation: {how} `fact <id>` for the verbatim text")
    if total > 1:
        parts.append(f"Page {number}/{total}")
    if answer.footer_note:
        parts.append(answer.footer_note)
    if len(" ".join(parts)) > FOOTER_MAX and answer.sources:
        first = 1 if answer.freshness and number > 1 else 0
        parts[first] = f"Sources: {len(answer.sources)} (list them with `sources`)"
    return plain("\n".join(parts))[:FOOTER_MAX]  # footers show no markdown: nothing to escape


def hint_markdown(hint: Hint) -> str:
    """A pointer to a command, the command as inline code (a backtick someone typed
    cannot end the code span early)."""
    command = plain(hint.command).replace("`", "ˋ")
    return f"{for_discord(hint.text)} `{command}`"


def title_text(answer: Answer) -> str:
    day = f", {answer.day.day} {answer.day:%B %Y}" if answer.day else ""
    return for_discord(answer.title + day)[:TITLE_MAX]


def _description(answer: Answer) -> str:
    text = for_discord(answer.intro)
    for hint in answer.hints:
        text = f"{text}\n{hint_markdown(hint)}".strip()
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
    all_fields = [f for section in answer.sections for f in _fields(section.heading, section.lines)]
    groups: list[list[tuple[str, str]]] = [[]]
    size = len(answer.title) + len(_description(answer))
    for name, value in all_fields:
        cost = len(name) + len(value)
        if groups[-1] and (size + cost > PAGE_BUDGET or len(groups[-1]) >= FIELDS_PER_PAGE):
            groups.append([])
            size = len(answer.title)
        groups[-1].append((name, value))
        size += cost
    pages = []
    for number, group in enumerate(groups, start=1):
        embed = discord.Embed(
            title=title_text(answer),
            description=_description(answer) if number == 1 else None,
            colour=COLOURS[answer.found],
        )
        for name, value in group:
            embed.add_field(name=name, value=value, inline=False)
        embed.set_footer(text=_footer(answer, number, len(groups), quotes_button))
        markers = [m for _, value in group for m in _markers_in(value, answer.refs)]
        pages.append(Page(embed, markers))
    return pages


def _markers_in(value: str, refs: list[Ref]) -> list[str]:
    return [ref.marker for ref in refs if f"[{ref.marker}]" in value]
