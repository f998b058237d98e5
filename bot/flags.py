"""Flag syntax for moderators' commands: `!fact add subject: Kim Jong Un kind: reported …`.

The same names become the slash commands' options.
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.models import Kind, MeetingStatus
from bot.moderation import LIMITS

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

T = TypeVar("T", bound="DataclassInstance")

# Ids typed or sent by users: at least 1, and at most what both Discord (integer
# options and their bounds stop at 2^53 - 1) and SQLite (2^63 - 1) can carry.
ID_MAX = 2**53 - 1
RowId = commands.Range[int, 1, ID_MAX]


class Flags(commands.FlagConverter, prefix="", delimiter=":", case_insensitive=True):
    pass


def typed(cls: type[T], flags: Flags, **values: Any) -> T:
    """A moderation input (FactInput, MeetingEdits…) from the flags of the same names;
    `values` fills or replaces some (what a form sent)."""
    names = [f.name for f in fields(cls) if hasattr(flags, f.name)]
    return cls(**{name: getattr(flags, name) for name in names} | values)


# Slash users pick a kind or a status from a list (Discord offers these and no other);
# `!` commands type them, read as leniently as before (moderation.parse_kind).
KIND_CHOICES = [app_commands.Choice(name=kind.value, value=kind.value) for kind in Kind]
STATUS_CHOICES = [
    app_commands.Choice(name=status.value, value=status.value) for status in MeetingStatus
]


def at_most(field: str) -> str:
    """The option description's note of moderation's length limit for `field`."""
    return f"at most {LIMITS[field]} characters"


class SourceAddFlags(Flags):
    title: str | None = commands.flag(
        default=None,
        description=f"Title ({at_most('title')}); with url:, replaces the page's",
    )
    published: str | None = commands.flag(default=None, description="Date, e.g. 2019-04-22")
    url: str | None = commands.flag(
        default=None, description="Where it was published; given alone, the page is fetched"
    )
    text: str | None = commands.flag(
        default=None, description="The full text (or attach a .txt file to the ! command)"
    )
    scope: str | None = commands.flag(default=None, description="global: shared (curators)")
    # The slash form's way to attach the text (the prefix form reads the message's file).
    file: discord.Attachment | None = commands.flag(
        default=None, description="The full text as a .txt file (instead of text)"
    )


class SourceMetaFlags(Flags):
    title: str | None = commands.flag(default=None, description="Corrected title")
    author: str | None = commands.flag(default=None, description="Author (blank: unknown)")
    publisher: str | None = commands.flag(default=None, description="Publisher")
    published: str | None = commands.flag(default=None, description="Date, e.g. 2026-11-24")


class FactAddFlags(Flags):
    subject: str = commands.flag(
        description=f"Who or what the fact is about ({at_most('subject')})"
    )
    kind: str = commands.flag(description="reported, quote, attributed or opinion")
    source: RowId = commands.flag(description="Source number (see `sources`)")
    # Optional for the slash form only: left out, they are asked for in a form (modal).
    statement: str | None = commands.flag(
        default=None,
        description=f"The fact in the briefing's own words, {at_most('statement')} (or the form)",
    )
    quote: str | None = commands.flag(
        default=None,
        description=f"Verbatim passage from that source, {at_most('quote')} (or the form)",
    )
    attributed_to: str | None = commands.flag(
        default=None, description=f"Whose words or view ({at_most('attributed_to')})"
    )
    topic: str | None = commands.flag(
        default=None, description=f"Topics, comma separated ({at_most('topic')})"
    )
    scope: str | None = commands.flag(default=None, description="global: shared (curators)")


class FactEditFlags(Flags):
    statement: str | None = commands.flag(default=None, description="New statement")
    kind: str | None = commands.flag(default=None, description="New kind")
    quote: str | None = commands.flag(default=None, description="New verbatim quote")
    attributed_to: str | None = commands.flag(default=None, description="New attribution")
    topic: str | None = commands.flag(default=None, description="New topics, comma separated")
    scope: str | None = commands.flag(default=None, description="global: a shared fact")


class MeetingAddFlags(Flags):
    title: str = commands.flag(description=f"What the meeting is ({at_most('title')})")
    when: str = commands.flag(description="e.g. 2026-12-03 10:00 Asia/Seoul, or a date")
    where: str = commands.flag(description=f"Place ({at_most('where')})")
    participants: str = commands.flag(
        description=f"Names, comma separated ({at_most('participants')})"
    )
    source: RowId = commands.flag(description="Source number")
    quote: str = commands.flag(
        description=f"Verbatim passage that reports the meeting ({at_most('quote')})"
    )
    status: str | None = commands.flag(default=None, description="scheduled (default), held…")
    scope: str | None = commands.flag(default=None, description="global: shared (curators)")


class MeetingEditFlags(Flags):
    title: str | None = commands.flag(default=None, description="New title")
    when: str | None = commands.flag(default=None, description="New date and time")
    where: str | None = commands.flag(default=None, description="New place")
    participants: str | None = commands.flag(default=None, description="New participants")
    status: str | None = commands.flag(default=None, description="New status")
    scope: str | None = commands.flag(default=None, description="global: a shared meeting")
