"""The commands every front end offers, with their help text, in one place.

The console and Discord both read this list, so `help` says the same everywhere and an
unknown command can be matched against the real names.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import process


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    usage: str
    summary: str
    example: str
    moderators_only: bool = False


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        "who",
        "who [name]",
        "Key actors, or one person or body: role, cited facts, meetings.",
        "who putin",
    ),
    CommandInfo(
        "sanctions",
        "sanctions",
        "The sanctions picture: facts, positions, views, opinion.",
        "sanctions",
    ),
    CommandInfo(
        "next-meeting",
        "next-meeting",
        "The next upcoming meeting, or the latest past one.",
        "next-meeting",
    ),
    CommandInfo("timeline", "timeline", "All meetings and dated events in order.", "timeline"),
    CommandInfo(
        "search",
        "search <words>",
        "Full-text search over the facts, best first.",
        "search sanctions russia",
    ),
    CommandInfo("fact", "fact <id>", "One fact with its verbatim quote and source.", "fact 12"),
    CommandInfo("sources", "sources", "The sources the briefing is built from.", "sources"),
    CommandInfo(
        "source", "source <id>", "One source: title, date, publisher, opening.", "source 1"
    ),
    CommandInfo("about", "about", "Version, counts and uptime.", "about"),
    CommandInfo("help", "help", "This list.", "help"),
)

NAMES = tuple(command.name for command in COMMANDS)


def closest(name: str) -> str | None:
    """The command name nearest to a mistyped one, if any is close."""
    match = process.extractOne(name.lower(), NAMES, score_cutoff=60)
    return match[0] if match else None
