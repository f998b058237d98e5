"""Who may run what, stated in one place (Red-DiscordBot style), and the spam cooldown.

Levels:
- everyone: read commands, with a per-user cooldown;
- moderators of a server: Manage Server or Manage Messages, or the role the server set
  with `modrole set`; they change only their own server's facts;
- curators: the application owner and BRIEFING_OWNER_IDS; they alone may change the
  shared facts (`scope: global`).
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

import discord
from discord.ext import commands
from discord.ext.commands.bot import BotBase

from bot.errors import BadInput, no_such_row
from bot.models import Table

if TYPE_CHECKING:
    from bot.context import BriefingContext
    from bot.core import BriefingBot
    from bot.store import Store

# Per user: at most 5 read commands in 10 seconds, whichever commands, whatever the
# channel or server; and at most 10 moderator writes a minute (each may check a quote
# against a whole source and is one write transaction).
COOLDOWN_RATE = 5
COOLDOWN_SECONDS = 10.0
MODERATOR_RATE = 10
MODERATOR_SECONDS = 60.0
# Users remembered at once per bucket; only users active in the last window are kept.
COOLDOWN_USERS = 20_000
GLOBAL_SCOPE = "global"


class NotModerator(commands.CheckFailure):
    """Raised by the moderator check; its message is shown to the user."""


class UserBuckets:
    """At most `rate` uses per `per` seconds for each user, shared by every command that
    uses this limiter. Users are kept in order of last use, and those idle for a whole
    window are dropped as others arrive, so memory follows the users active in the last
    `per` seconds (and never exceeds `limit` users), however many have ever asked."""

    def __init__(
        self,
        rate: int,
        per: float,
        *,
        limit: int = COOLDOWN_USERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.cooldown = commands.Cooldown(rate, per)
        self.rate, self.per, self.limit, self.clock = rate, per, limit, clock
        # Each user's uses in the window, oldest first: a tuple (~130 bytes for one use;
        # a deque is ~760), since thousands of users may be inside the window at once.
        self._uses: OrderedDict[int, tuple[float, ...]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._uses)

    def hit(self, user_id: int) -> float:
        """Count one use; returns 0 if it is allowed, else the seconds until it would be."""
        now = self.clock()
        self._forget_idle(now)
        since = now - self.per
        uses = tuple(used for used in self._uses.pop(user_id, ()) if used > since)
        if len(uses) >= self.rate:
            self._uses[user_id] = uses  # now the most recent
            return uses[0] + self.per - now
        self._uses[user_id] = (*uses, now)
        return 0.0

    def _forget_idle(self, now: float) -> None:
        while self._uses:
            oldest, uses = next(iter(self._uses.items()))
            if len(self._uses) < self.limit and uses and uses[-1] > now - self.per:
                return
            del self._uses[oldest]


_LIMITERS: WeakKeyDictionary[BotBase, dict[str, UserBuckets]] = WeakKeyDictionary()


def limiter(bot: BotBase, name: str) -> UserBuckets:
    """The bot's shared per-user limiter `name` ("read" or "moderator")."""
    kinds = _LIMITERS.setdefault(bot, {})
    if name not in kinds:
        rate, per = (
            (COOLDOWN_RATE, COOLDOWN_SECONDS)
            if name == "read"
            else (MODERATOR_RATE, MODERATOR_SECONDS)
        )
        kinds[name] = UserBuckets(rate, per)
    return kinds[name]


def _shared_cooldown(name: str):
    def predicate(ctx: BriefingContext) -> bool:
        buckets = limiter(ctx.bot, name)
        retry_after = buckets.hit(ctx.author.id)
        if retry_after:
            raise commands.CommandOnCooldown(
                buckets.cooldown, retry_after, commands.BucketType.user
            )
        return True

    return commands.check(predicate)


def member_cooldown():
    """Read commands: one bucket per user across all of them."""
    return _shared_cooldown("read")


def moderator_cooldown():
    """Moderators' writes: one bucket per user across all of them (put it below
    `moderator_only()`, so that refusals of non-moderators do not count)."""
    return _shared_cooldown("moderator")


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
    return ctx.guild is not None and await member_moderates(ctx.bot.store, ctx.author)


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
    wants_global = (scope or "").strip().lower() == GLOBAL_SCOPE
    if ctx.guild is not None and not wants_global:
        return ctx.guild.id
    if not await ctx.bot.is_curator(ctx.author):
        raise NotModerator(SHARED_ONLY_CURATORS)
    return None


async def scope_of_row(
    ctx: BriefingContext, table: Table, row_id: int, requested: str | None = None
) -> int | None:
    """The scope for changing an existing fact or meeting: its own. This is the friendly
    check, saying why before any work is done; the store's guard (bot/store/changes.py)
    is the authority that refuses a write outside its scope whatever the caller. Shared
    rows need a curator; another server's rows stay invisible. A `scope: global` given
    for a server's own row is refused rather than ignored."""
    what = table.noun
    owner = await ctx.bot.store.row_owner(table, row_id)
    if owner is None or (owner.guild_id is not None and owner.guild_id != ctx.scope):
        raise no_such_row(what)
    if (requested or "").strip().lower() == GLOBAL_SCOPE and owner.guild_id is not None:
        raise BadInput(
            f"That {what} belongs to this server, not the shared facts; "
            "leave out `scope: global`. Nothing was changed."
        )
    if owner.guild_id is None and not await ctx.bot.is_curator(ctx.author):
        raise NotModerator(
            f"That {what} is shared by every server; only the bot's curators can change it. "
            "Nothing was changed."
        )
    return owner.guild_id
