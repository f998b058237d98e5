"""The commands every front end offers, with their help text, in one place.

The console and Discord both read this list, so `help` says the same everywhere and an
unknown command can be matched against the real names.
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process


@dataclass(frozen=True, slots=True)
class CommandInfo:
    name: str
    usage: str
    summary: str
    example: str
    details: str = ""  # what `help <name>` adds to the summary
    arguments: str = "none"  # "none", "number" or "text": what the command takes


_WHO_DETAILS = (
    "Any name or spelling works: Kim, Kim Jung Un, 김정은, Ким Чен Ын, DPRK, UN, State Dept; "
    "punctuation and possessives are ignored (putin?, Kim's). A bare surname says who it "
    "was taken to mean. Holders of views are found too: `who analysts`, `who critics`, "
    "`who European leaders` show the views the sources attribute to them."
)
_SEARCH_DETAILS = (
    "A fact must have every word (if none has them all, facts with some are shown, and the "
    'answer says so); the last word may be half typed. "quoted words" must appear '
    "together. OR between words means either (`sanctions OR russia`); AND is the default; "
    "NOT or a leading minus leaves a word out (`sanctions NOT russia`, `sanctions -russia`). "
    "Operators count in capitals only. Common words (the, of, or…) are left out, and the "
    "answer names them and any word that matched nothing. A name finds the facts about "
    "that person or body (`UN sanctions`). Ten results a page: the answer says how many "
    "matched and gives the next page, e.g. `search kim page:2`."
)


COMMANDS: tuple[CommandInfo, ...] = (
    CommandInfo(
        "who",
        "who [name]",
        "Key actors, or one person or body: role, cited facts, meetings.",
        "who putin",
        _WHO_DETAILS,
        "text",
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
        "search sanctions OR russia",
        _SEARCH_DETAILS,
        "text",
    ),
    CommandInfo(
        "fact",
        "fact <id>",
        "One fact with its verbatim quote and source.",
        "fact 12",
        arguments="number",
    ),
    CommandInfo("sources", "sources", "The sources the briefing is built from.", "sources"),
    CommandInfo(
        "source",
        "source <id>",
        "One source: title, date, publisher, opening.",
        "source 1",
        arguments="number",
    ),
    CommandInfo(
        "meeting",
        "meeting <id>",
        "One meeting and how its date was worked out.",
        "meeting 2",
        arguments="number",
    ),
    CommandInfo("about", "about", "Version, counts and uptime.", "about"),
    CommandInfo(
        "help",
        "help [command]",
        "This list, or more on one command.",
        "help search",
        arguments="text",
    ),
)

NAMES = tuple(command.name for command in COMMANDS)


def _mod(name: str, usage: str, summary: str, example: str) -> CommandInfo:
    return CommandInfo(name, usage, summary, example)


# Commands that change the briefing: Discord only, where moderators are known.
MODERATOR_COMMANDS: tuple[CommandInfo, ...] = (
    _mod(
        "source add",
        "source add url: <https url> | source add title: … text: … [url: …] [published: …]",
        "Fetch a page as a source (or paste it, or attach a .txt).",
        "source add url: https://example.com/news/koreas-hotline",
    ),
    _mod(
        "fact add",
        "fact add subject: … statement: … kind: … source: … quote: …",
        "Add a fact; the quote must be verbatim.",
        "fact add subject: Kim statement: … kind: reported source: 1 quote: …",
    ),
    _mod(
        "fact edit",
        "fact edit <id> [statement: …] [kind: …] [quote: …]",
        "Correct a fact.",
        "fact edit 24 kind: opinion",
    ),
    _mod(
        "fact retract",
        "fact retract <id> <reason>",
        "Withdraw a fact (kept in history).",
        "fact retract 24 misquoted",
    ),
    _mod("fact restore", "fact restore <id>", "Bring a retracted fact back.", "fact restore 24"),
    _mod("fact history", "fact history <id>", "Every version of a fact.", "fact history 24"),
    _mod(
        "meeting add",
        "meeting add title: … when: … where: … participants: … source: … quote: …",
        "Add a meeting.",
        "meeting add title: Talks when: Dec 3 10am KST …",
    ),
    _mod(
        "meeting edit",
        "meeting edit <id> [when: …] [status: …]",
        "Correct a meeting.",
        "meeting edit 3 status: postponed",
    ),
    _mod(
        "meeting cancel",
        "meeting cancel <id> <reason>",
        "Cancel a meeting.",
        "meeting cancel 3 called off",
    ),
    _mod("audit", "audit [limit]", "The latest changes here.", "audit 10"),
    _mod(
        "modrole",
        "modrole set <role> | show | clear",
        "Which role moderates here.",
        "modrole set @Curators",
    ),
    _mod(
        "digest set",
        "digest set <#channel> <time> [zone]",
        "A daily digest at a local time.",
        "digest set #news 9am Asia/Seoul",
    ),
    _mod(
        "digest",
        "digest | digest off | preview | now",
        "Digest status, stop, preview, post now.",
        "digest preview",
    ),
    _mod(
        "source edit",
        "source edit <id> [title: …] [author: …] [publisher: …] [published: …]",
        "Confirm or correct a fetched source's metadata.",
        "source edit 2 author: Min-ji Park",
    ),
    _mod(
        "feed add",
        "feed add <url> [#review-channel] [every]",
        "Follow an RSS or Atom feed; new items get a Draft button.",
        "feed add https://example.com/asia.rss #review 1h",
    ),
    _mod("feed list", "feed list", "The feeds this server follows.", "feed list"),
    _mod("feed remove", "feed remove <id>", "Stop following a feed.", "feed remove 1"),
    _mod(
        "source draft",
        "source draft <id>",
        "Draft candidate facts from a source; review them privately: Accept, Edit, Skip, Split.",
        "source draft 2",
    ),
)

MODERATOR_NAMES = tuple(command.name for command in MODERATOR_COMMANDS)


TOP_LEVEL_NAMES = tuple(dict.fromkeys(name.split()[0] for name in NAMES + MODERATOR_NAMES))
# A typed word this similar to one of ours (rapidfuzz ratio, 0-100) is a typo of it;
# anything less is likely another bot's command (`!play`, `!ping`, `!rank`).
CLOSE_MATCH = 75
# `help <command>` with a name this similar (rapidfuzz WRatio) to one of ours suggests it.
CLOSEST_CUTOFF = 60


def close_command(name: str) -> str | None:
    """One of our command names that `name` is a near miss of, or None."""
    match = process.extractOne(
        name.lower(), TOP_LEVEL_NAMES, scorer=fuzz.ratio, score_cutoff=CLOSE_MATCH
    )
    return match[0] if match else None


def find(name: str) -> CommandInfo | None:
    """The command called `name` ("who", "!who", "/search", "fact add"), if any."""
    wanted = " ".join(name.strip().lstrip("!/").lower().split())
    known = COMMANDS + MODERATOR_COMMANDS
    return next((command for command in known if command.name == wanted), None)


def closest(name: str) -> str | None:
    """The command name nearest to a mistyped one, if any is close."""
    match = process.extractOne(name.lower(), NAMES + MODERATOR_NAMES, score_cutoff=CLOSEST_CUTOFF)
    return match[0] if match else None
