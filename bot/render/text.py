"""Answers as plain text for the console (and anywhere without embeds)."""

from __future__ import annotations

import textwrap

from bot.briefing import Answer, Line, describe_source
from bot.catalog import COMMANDS, MODERATOR_NAMES
from bot.render.common import describe_when, label_text
from bot.text import quoted
from bot.usertext import plain, render_marked

WIDTH = 88


def _strip_markdown(text: str) -> str:
    """The bot's own bold dropped, and people's text as they typed it."""
    return render_marked(text, lambda typed: typed, lambda own: own.replace("**", ""))


def line_text(line: Line) -> str:
    text = _strip_markdown(line.text)
    if line.when is not None:
        tense = "past" if line.past else "upcoming"
        text = f"{text} {line.when_label}: {describe_when(line.when)}, {tense}.".strip()
    label = plain(line.label) if line.label else None
    if line.as_of and label:
        label = f"{label}, as of {line.as_of}"
    elif line.as_of:
        text += f" (as of {line.as_of})"
    if label:
        text = f"[{label}] {text}"
    if line.markers:
        text += " " + "".join(f"[{marker}]" for marker in line.markers)
    labels = label_text(line.labels, detail=line.detail)
    if labels:
        text += f" — {labels}"
    return text


def render(answer: Answer, prefix: str = "!") -> str:
    title = plain(answer.title)
    out = [title, "=" * min(len(title), WIDTH)]
    if answer.freshness:
        out.append(f"{answer.freshness}.")
    if answer.intro:
        out.append(_strip_markdown(answer.intro))
    if answer.suggestions:
        out.append("Did you mean: " + ", ".join(answer.suggestions) + "?")
    for section in answer.sections:
        out += ["", section.heading + ":"]
        for line in section.lines:
            out.append(
                textwrap.fill(
                    line_text(line), WIDTH, initial_indent="  - ", subsequent_indent="    "
                )
            )
    if answer.refs:
        out += ["", "Citations:"]
        for ref in answer.refs:
            fact = f", fact {ref.fact_id}" if ref.fact_id else ""
            out.append(
                textwrap.fill(
                    f"[{ref.marker}] S{ref.source_id}{fact}: {quoted(ref.quote)}",
                    WIDTH,
                    initial_indent="  ",
                    subsequent_indent="      ",
                )
            )
    if answer.sources:
        out += ["", "Sources:"]
        out += [f"  {plain(describe_source(source))}" for source in answer.sources]
    if answer.footer_note:
        out += ["", answer.footer_note]
    return "\n".join(out)


def render_help(prefix: str = "!") -> str:
    out = ["Commands", "========"]
    for command in COMMANDS:
        out.append(
            f"  {prefix}{command.usage:<22} {command.summary}  e.g. {prefix}{command.example}"
        )
    out.append("")
    out.append("Moderators change the briefing on Discord: " + ", ".join(MODERATOR_NAMES) + ".")
    return "\n".join(out)


def render_error(message: str) -> str:
    return f"Sorry: {message}"
