"""Who may run what, stated in one place (Red-DiscordBot style), and the spam cooldown.

Levels:
- everyone: read commands, with a per-user cooldown;
- moderators of a server: Manage Server or Manage Messages, or the role the server set
  with `modrole set`; they change only their own server's facts;
- curators: the application owner and BRIEFING_OWNER_IDS; they alone may change the
  shared facts (`scope: global`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.errors import BadInput, NotFound

if TYPE_CHECKING:
    from bot.context import BriefingContext
    from bot.core import BriefingBot
    from bot.store import Store

# Per-user: at most 5 commands in 10 seconds, whatever the channel.
COOLDOWN_RATE = 5
COOLDOWN_SECONDS = 10.0
GLOBAL_SCOPE = "global"


class NotModerator(commands.CheckFailure):
    """Raised by the moderator check; its message is shown to the user."""


def member_cooldown():
    return commands.cooldown(COOLDOWN_RATE, COOLDOWN_SECONDS, commands.BucketType.user)


SHARED_ONLY_CURATORS = (
    "Only the bot's curators can change the shared facts (`scope: global`). Nothing was changed."
)
NOT_MODERATOR = (
    "Only this server's moderators (Manage Server or Manage Messages, or the "
    "moderator role set with `modrole set`) can do that. Nothing was changed."
)


async def member_moderates(store: Store, member: discord.abc.User) -> bool:
    """Whether `member` moderates the server they are a member of (as they are now)."""
    if not isinstance(member, discord.Member):
        return False
    permissions = member.guild_permissions
    if permissions.manage_guild or permissions.manage_messages or permissions.administrator:
        return True
    role_id = await store.mod_role(member.guild.id)
    return role_id is not None and any(role.id == role_id for role in member.roles)


async def is_moderator(ctx: BriefingContext) -> bool:
    return ctx.guild is not None and await member_moderates(ctx.store, ctx.author)


async def may_moderate(bot: BriefingBot, user: discord.abc.User) -> bool:
    """Curators anywhere; otherwise moderators of the server `user` is a member of."""
    return await bot.is_curator(user) or await member_moderates(bot.store, user)


def moderator_only():
    """Moderators of this server, or curators anywhere."""

    async def predicate(ctx: BriefingContext) -> bool:
        if await ctx.bot.is_curator(ctx.author) or await is_moderator(ctx):
            return True
        raise NotModerator(NOT_MODERATOR)

    return commands.check(predicate)


async def write_scope(ctx: BriefingContext, scope: str | None) -> int | None:
    """The guild id a change applies to, or None for the shared facts (curators only)."""
    wants_global = (scope or "").strip().lower() == GLOBAL_SCOPE or ctx.guild is None
    if not wants_global:
        return ctx.guild.id  # type: ignore[union-attr]
    if not await ctx.bot.is_curator(ctx.author):
        raise NotModerator(SHARED_ONLY_CURATORS)
    return None


async def scope_of_row(
    ctx: BriefingContext, what: str, row_id: int, requested: str | None = None
) -> int | None:
    """The scope for changing an existing fact or meeting: its own. Shared rows need a
    curator; another server's rows stay invisible. A `scope: global` given for a
    server's own row is refused rather than ignored."""
    row_guild = await ctx.store.row_guild(f"{what}s", row_id)
    if row_guild is False or (row_guild is not None and row_guild != ctx.scope):
        raise NotFound(f"There is no {what} here.")
    if (requested or "").strip().lower() == GLOBAL_SCOPE and row_guild is not None:
        raise BadInput(
            f"That {what} belongs to this server, not the shared facts; "
            "leave out `scope: global`. Nothing was changed."
        )
    if row_guild is None and not await ctx.bot.is_curator(ctx.author):
        raise NotModerator(
            f"That {what} is shared by every server; only the bot's curators can change it. "
            "Nothing was changed."
        )
    return row_guild  # type: ignore[return-value]
