"""Answers as plain text for the console (and anywhere without embeds)."""

from __future__ import annotations

import shutil
import textwrap

from bot.answers import Answer, Line
from bot.catalog import COMMANDS, MODERATOR_NAMES, CommandInfo
from bot.models import Kind
from bot.render.common import (
    AS_OF_NOTE,
    as_of_plan,
    describe_source,
    describe_when,
    label_text,
    legend,
    line_body,
    meeting_head,
)
from bot.text import quoted
from bot.usertext import plain

_TEXT_LEGEND = (
    "Tags: [reported], [quote] their own words, [view] attributed, [OPINION] the author's."
)
WIDTH = 88  # when the output is not a terminal (piped, tests) and COLUMNS is unset
MIN_WIDTH = 40


def terminal_width() -> int:
    """The terminal's width (or COLUMNS), never below MIN_WIDTH."""
    return max(MIN_WIDTH, shutil.get_terminal_size((WIDTH, 24)).columns)


def _fill(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """Wrap each paragraph of `text`, keeping its own line breaks; long words (URLs) are
    broken only if they cannot fit on a line of their own."""
    out: list[str] = []
    for paragraph in text.splitlines() or [""]:
        wrapped = textwrap.wrap(
            paragraph, width, initial_indent=first, subsequent_indent=rest, break_on_hyphens=False
        )
        out += wrapped or [first.rstrip()]
    return out


TEXT_TAGS = {
    Kind.REPORTED: "reported",
    Kind.QUOTE: "quote",
    Kind.ATTRIBUTED: "view",
    Kind.OPINION: "OPINION",
}


def line_text(line: Line, *, tagged: bool = True, as_of: bool = True) -> str:
    """A line as plain text: "[opinion] text — holder [3] · as of April 2019 · labels";
    a meeting date first."""
    if line.when is not None and line.lead:
        tense = "past" if line.past else "upcoming"
        text = f"{describe_when(line.when)}, {tense} — {plain(meeting_head(line))}"
        text += f": {plain(line.text)}." if line.text else "."
    else:
        text = plain(line_body(line))
        if line.when is not None:
            tense = "past" if line.past else "upcoming"
            text = f"{text} {line.when_label}: {describe_when(line.when)}, {tense}.".strip()
        if tagged and line.kind is not None:
            text = f"[{TEXT_TAGS[line.kind]}] {text}"
        if line.holder:
            text += f" — {plain(line.holder)}"
    if line.markers:
        text += " " + "".join(f"[{marker}]" for marker in line.markers)
    extras = [f"as of {line.as_of}"] if line.as_of and as_of else []
    if labels := label_text(line.labels, detail=line.detail):
        extras.append(labels)
    return text + (" · " + " · ".join(extras) if extras else "")


def _shown_in_full(answer: Answer) -> set[str]:
    """Markers whose quote a line already shows verbatim (`fact`'s "Verbatim from the
    source"), so the Citations list does not repeat it."""
    texts = {plain(line.text) for section in answer.sections for line in section.lines}
    # A marker may stand for several passages: shown only if each of them is.
    unshown = {ref.marker for ref in answer.refs if quoted(ref.quote) not in texts}
    return {ref.marker for ref in answer.refs} - unshown


def render(answer: Answer, width: int | None = None) -> str:
    width = width or terminal_width()
    day = f", {answer.day.day} {answer.day:%B %Y}" if answer.day else ""
    title = plain(answer.title + day)
    out = _fill(title, width)
    out.append("=" * min(len(title), width))
    if answer.freshness:
        out += _fill(f"{answer.freshness}.", width)
    plan = as_of_plan(answer.sections)
    if plan.whole:
        out += _fill(AS_OF_NOTE.format(plan.whole), width)
    if answer.intro:
        out += _fill(plain(answer.intro), width)
    for hint in answer.hints:
        out += _fill(f"{hint.text} {plain(hint.command)}", width)
    if answer.suggestions:
        out += _fill("Did you mean: " + ", ".join(answer.suggestions) + "?", width)
    if legend(answer):
        out += _fill(_TEXT_LEGEND, width)
    for index, section in enumerate(answer.sections):
        shared = plan.sections.get(index)
        heading = f"{section.heading} (as of {shared})" if shared else section.heading
        out += ["", *_fill(heading + ":", width)]
        for line in section.lines:
            text = line_text(line, tagged=section.kind is None, as_of=plan.on_line(index))
            out += _fill(text, width, "  - ", "    ")
    shown = _shown_in_full(answer)
    refs = [ref for ref in answer.refs if ref.marker not in shown]
    if refs:
        out += ["", "Citations:"]
        for marker in dict.fromkeys(ref.marker for ref in refs):
            group = [ref for ref in refs if ref.marker == marker]
            fact = f", fact {group[0].fact_id}" if group[0].fact_id else ""
            quotes = " ".join(quoted(ref.quote) for ref in group)
            text = f"[{marker}] S{group[0].source_id}{fact}: {quotes}"
            out += _fill(text, width, "  ", "      ")
    if answer.sources:
        out += ["", "Sources:"]
        for source in answer.sources:
            out += _fill(plain(describe_source(source)), width, "  ", "      ")
    if answer.footer_note:
        out += ["", *_fill(answer.footer_note, width)]
    return "\n".join(out)


def render_help(prefix: str = "!", width: int | None = None) -> str:
    width = width or terminal_width()
    out = ["Commands", "========"]
    # Continuation lines line up under the summaries when there is room for them.
    hang = " " * (26 if width >= 70 else 6)
    for command in COMMANDS:
        text = f"{prefix}{command.usage:<22} {command.summary}  e.g. {prefix}{command.example}"
        out += _fill(text, width, "  ", hang)
    out.append("")
    moderators = "Moderators change the briefing on Discord: " + ", ".join(MODERATOR_NAMES) + "."
    out += _fill(moderators, width)
    out += _fill(f"More on one command: {prefix}help <command>, e.g. {prefix}help search.", width)
    return "\n".join(out)


def render_command_help(command: CommandInfo, prefix: str = "!", width: int | None = None) -> str:
    width = width or terminal_width()
    out = _fill(f"{prefix}{command.usage}", width)
    out += _fill(command.summary, width)
    if command.details:
        out += ["", *_fill(command.details, width)]
    out += ["", *_fill(f"e.g. {prefix}{command.example}", width)]
    return "\n".join(out)


def render_error(message: str) -> str:
    return f"Sorry: {message}"
