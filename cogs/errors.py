"""Every error a user can cause gets a short, clear message; anything else is logged
with an id that the user is shown instead of a traceback."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot import catalog
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.errors import BriefingError
from bot.forms import custom_id_of
from bot.logs import new_error_id

log = logging.getLogger(__name__)

# Refusals and "no such command" notices: at most this many per user in this many
# seconds, so a spam burst gets a few replies, not hundreds.
NOTICES_PER_WINDOW = 3
QUIET_SECONDS = 10.0
NOTICE_MEMORY = 10_000  # (user, kind of notice) pairs remembered at most
MAX_COMMAND_NAME = 40  # longer "command names" are not typos of ours

_WRAPPERS = (
    commands.CommandInvokeError,
    commands.HybridCommandError,
    app_commands.CommandInvokeError,
)


def unwrap(error: BaseException) -> BaseException:
    while isinstance(error, _WRAPPERS):
        error = error.original
    return error


def usage(ctx: BriefingContext) -> str:
    name = ctx.command.qualified_name if ctx.command else ""
    known = catalog.COMMANDS + catalog.MODERATOR_COMMANDS
    info = next((c for c in known if c.name == name), None)
    shown = info.usage if info else f"{name} {ctx.command.signature if ctx.command else ''}"
    return f"`{ctx.clean_prefix}{shown.strip()}`"


def message_for(ctx: BriefingContext, error: BaseException) -> str | None:
    """The text to show for a known error, or None when it is unexpected."""
    if isinstance(error, BriefingError):
        return str(error)
    if isinstance(error, commands.MissingRequiredArgument):
        return f"`{error.param.name}` is missing. Usage: {usage(ctx)}"
    if isinstance(error, commands.BadFlagArgument) and isinstance(
        error.original, commands.RangeError
    ):
        return f"`{error.flag.name}` is out of range. Usage: {usage(ctx)}"
    if isinstance(error, commands.TooManyArguments):
        extra = escape_markdown(ctx.view.buffer[ctx.view.index :].strip()[:40])
        return f"Too many arguments: “{extra}” is not needed. Usage: {usage(ctx)}"
    if isinstance(error, commands.RangeError | OverflowError):  # OverflowError: a forged id
        return f"That value is out of range. Usage: {usage(ctx)}"
    if isinstance(error, commands.UserInputError | app_commands.TransformerError):
        return f"I couldn't read that. Usage: {usage(ctx)}"
    if isinstance(error, commands.CommandOnCooldown):
        return f"You're asking a bit fast; try again in {error.retry_after:.0f}s."
    if isinstance(error, commands.NotOwner):
        return "Only the bot's owners can do that."
    if isinstance(error, commands.MissingPermissions | commands.CheckFailure):
        return str(error) or "You don't have permission to do that here."
    return None


class Notices:
    """How many times each user was lately told each kind of notice. Entries live for
    their window and are dropped as new ones arrive; there are at most `limit`."""

    def __init__(self, limit: int = NOTICE_MEMORY, clock: Callable[[], float] = time.monotonic):
        self.limit, self.clock = limit, clock
        self._told: OrderedDict[tuple[int, str], tuple[float, int]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._told)

    def count(self, key: tuple[int, str], seconds: float) -> int:
        """Count one notice for `key` in a window of `seconds`; returns how many came
        before it in the current window."""
        now = self.clock()
        while self._told:
            oldest, (ends, _) = next(iter(self._told.items()))
            if ends > now and len(self._told) < self.limit:
                break
            del self._told[oldest]
        ends, count = self._told.pop(key, (now + seconds, 0))
        self._told[key] = (ends, count + 1)
        return count


class Errors(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.notices = Notices()

    def _already_told(self, ctx: BriefingContext, kind: str, seconds: float, allowed: int) -> bool:
        """Tell a spammer a few times per window, not once per message: the same kind of
        notice at most `allowed` times in `seconds`. (An interaction must always be
        answered, so slash commands are always told.)"""
        if ctx.interaction is not None:
            return False
        return self.notices.count((ctx.author.id, kind), seconds) >= allowed

    def _quieted(self, ctx: BriefingContext, error: BaseException) -> bool:
        if isinstance(error, commands.CommandOnCooldown):
            return self._already_told(ctx, "cooldown", error.retry_after, 1)
        if isinstance(error, commands.CheckFailure):
            name = ctx.command.qualified_name if ctx.command else ""
            return self._already_told(ctx, f"refused {name}", QUIET_SECONDS, NOTICES_PER_WINDOW)
        return False

    @commands.Cog.listener()
    async def on_command_error(self, ctx: BriefingContext, error: commands.CommandError) -> None:
        self.bot.in_flight.enter()  # a shutdown lets the reply go out first
        if isinstance(error, commands.CommandNotFound):
            await self._unknown_command(ctx)
            return
        original = unwrap(error)
        if self._quieted(ctx, original):
            return
        text = message_for(ctx, original)
        if text is None:
            error_id = new_error_id()
            log.error("error %s in %s", error_id, ctx.command, exc_info=original)
            text = f"Something went wrong on our side (error id `{error_id}`); it has been logged."
        await self._reply(ctx, text)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Buttons under an answer from before a restart (or past their timeout) have no
        live view; say so instead of letting Discord show "This interaction failed"."""
        if interaction.type is not discord.InteractionType.component:
            return
        custom_id = custom_id_of(interaction)
        message = interaction.message
        if not custom_id.startswith("answer:") or message is None:
            return
        if message.id in self.bot.live_pages:
            return  # a live view answers it
        self.bot.in_flight.enter()
        await interaction.response.send_message(
            "These buttons have expired; ask again for a fresh answer.", ephemeral=True
        )

    async def _unknown_command(self, ctx: BriefingContext) -> None:
        """Answer only a near miss of one of our commands: `!` is a common prefix, and
        `!play` or `!rank` are other bots' commands, not mistakes to point out."""
        name = (ctx.invoked_with or "").lower()
        guess = catalog.close_command(name) if len(name) <= MAX_COMMAND_NAME else None
        if guess is None:
            return
        if self._already_told(ctx, "unknown command", QUIET_SECONDS, NOTICES_PER_WINDOW):
            return
        await self._reply(
            ctx,
            f"There is no command `{name}`. Did you mean `{ctx.clean_prefix}{guess}`? "
            f"`{ctx.clean_prefix}help` lists them.",
        )

    async def _reply(self, ctx: BriefingContext, text: str) -> None:
        try:
            await ctx.send_error(text)
        except discord.HTTPException:
            log.warning("could not deliver an error message in channel %s", ctx.channel.id)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Errors(bot))
