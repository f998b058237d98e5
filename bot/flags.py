"""Flag syntax for moderators' commands: `!fact add subject: Kim Jong Un kind: reported …`.

The same names become the slash commands' options.
"""

from __future__ import annotations

from discord.ext import commands

# Ids typed or sent by users: at least 1, and at most what both Discord (integer
# options and their bounds stop at 2^53 - 1) and SQLite (2^63 - 1) can carry.
ID_MAX = 2**53 - 1
RowId = commands.Range[int, 1, ID_MAX]


class Flags(commands.FlagConverter, prefix="", delimiter=":", case_insensitive=True):
    pass


class SourceAddFlags(Flags):
    title: str | None = commands.flag(
        default=None, description="Title (at most 200 characters); with url:, replaces the page's"
    )
    published: str | None = commands.flag(default=None, description="Date, e.g. 2019-04-22")
    url: str | None = commands.flag(
        default=None, description="Where it was published; given alone, the page is fetched"
    )
    text: str | None = commands.flag(
        default=None, description="The full text (or attach a .txt file to the ! command)"
    )
    scope: str | None = commands.flag(default=None, description="global: shared (curators)")


class SourceMetaFlags(Flags):
    title: str | None = commands.flag(default=None, description="Corrected title")
    author: str | None = commands.flag(default=None, description="Author (blank: unknown)")
    publisher: str | None = commands.flag(default=None, description="Publisher")
    published: str | None = commands.flag(default=None, description="Date, e.g. 2026-11-24")


class FactAddFlags(Flags):
    subject: str = commands.flag(description="Who or what the fact is about")
    kind: str = commands.flag(description="reported, quote, attributed or opinion")
    source: RowId = commands.flag(description="Source number (see `sources`)")
    # Optional for the slash form only: left out, they are asked for in a form (modal).
    statement: str | None = commands.flag(
        default=None, description="The fact in the briefing's own words (or use the form)"
    )
    quote: str | None = commands.flag(
        default=None, description="Verbatim passage from that source (or use the form)"
    )
    attributed_to: str | None = commands.flag(default=None, description="Whose words or view")
    topic: str | None = commands.flag(default=None, description="Topics, comma separated")
    scope: str | None = commands.flag(default=None, description="global: shared (curators)")


class FactEditFlags(Flags):
    statement: str | None = commands.flag(default=None, description="New statement")
    kind: str | None = commands.flag(default=None, description="New kind")
    quote: str | None = commands.flag(default=None, description="New verbatim quote")
    attributed_to: str | None = commands.flag(default=None, description="New attribution")
    topic: str | None = commands.flag(default=None, description="New topics, comma separated")
    scope: str | None = commands.flag(default=None, description="global: a shared fact")


class MeetingAddFlags(Flags):
    title: str = commands.flag(description="What the meeting is")
    when: str = commands.flag(description="e.g. 2026-12-03 10:00 Asia/Seoul, or a date")
    where: str = commands.flag(description="Place")
    participants: str = commands.flag(description="Names, comma separated")
    source: RowId = commands.flag(description="Source number")
    quote: str = commands.flag(description="Verbatim passage that reports the meeting")
    status: str | None = commands.flag(default=None, description="scheduled (default), held…")
    scope: str | None = commands.flag(default=None, description="global: shared (curators)")


class MeetingEditFlags(Flags):
    title: str | None = commands.flag(default=None, description="New title")
    when: str | None = commands.flag(default=None, description="New date and time")
    where: str | None = commands.flag(default=None, description="New place")
    participants: str | None = commands.flag(default=None, description="New participants")
    status: str | None = commands.flag(default=None, description="New status")
    scope: str | None = commands.flag(default=None, description="global: a shared meeting")
