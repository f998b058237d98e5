"""`about`, `help`, and the owners' `sync`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot import briefing, catalog
from bot.catalog import COMMANDS, MODERATOR_COMMANDS, CommandInfo
from bot.checks import may_moderate, member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


def _command_line(command: CommandInfo, prefix: str) -> str:
    line = f"`{prefix}{command.usage}` — {command.summary}"
    return line if command.example == command.usage else f"{line} e.g. `{prefix}{command.example}`"


def help_embed(prefix: str) -> discord.Embed:
    """`help`: one line per command, with an example; moderators' commands are `help mod`."""
    lines = [_command_line(command, prefix) for command in COMMANDS]
    return discord.Embed(
        title="Briefing commands",
        description="\n".join(lines)
        + f"\n-# Each works as `{prefix}name` and `/name`. More on one: `{prefix}help search`.",
        colour=discord.Colour.blurple(),
    ).set_footer(text=f"Every answer cites its sources · moderators: {prefix}help mod")


def moderator_help_embed(prefix: str) -> discord.Embed:
    """`help mod`: the commands that change this server's briefing."""
    lines = [_command_line(command, prefix) for command in MODERATOR_COMMANDS]
    return discord.Embed(
        title="Moderator commands",
        description="\n".join(lines)[:4000],
        colour=discord.Colour.blurple(),
    ).set_footer(text="They change this server's facts only; shared facts are the curators'")


def command_help_embed(command: CommandInfo, prefix: str) -> discord.Embed:
    """`help <command>`: its usage, what it does, the details, an example."""
    description = command.summary + (f"\n\n{command.details}" if command.details else "")
    embed = discord.Embed(
        title=f"{prefix}{command.usage}", description=description, colour=discord.Colour.blurple()
    )
    embed.add_field(name="Example", value=f"e.g. `{prefix}{command.example}`", inline=False)
    return embed


MODERATOR_WORDS = {"mod", "mods", "moderator", "moderators"}


class Meta(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @commands.hybrid_command(
        name="about", description="Version, counts and uptime", ignore_extra=False
    )
    @member_cooldown()
    async def about(self, ctx: BriefingContext) -> None:
        """Version, counts and uptime."""
        await ctx.brief(briefing.about, self.bot.shards_line(), cached=False)

    @commands.hybrid_command(
        name="help", description="Every command, with an example", extras={"private": True}
    )
    @app_commands.describe(command="One command to explain, e.g. search")
    @member_cooldown()
    async def help(self, ctx: BriefingContext, *, command: str | None = None) -> None:
        """Every command with a one-line description and an example, or one command."""
        prefix = self.bot.config.prefix
        if not command or not command.strip():
            await ctx.send(embed=help_embed(prefix), ephemeral=True)
            return
        if command.strip().lower() in MODERATOR_WORDS:
            await self._moderator_help(ctx, prefix)
            return
        found = catalog.find(command[:60]) or catalog.find(command.split()[0][:40])
        if found is None:
            name = command.split()[0].lstrip("!/").lower()[:40]
            guess = catalog.closest(name)
            hint = f" Did you mean `{prefix}{guess}`?" if guess else ""
            await ctx.send_error(
                f"There is no command `{escape_markdown(name)}`.{hint} `{prefix}help` lists them."
            )
            return
        await ctx.send(embed=command_help_embed(found, prefix), ephemeral=True)

    async def _moderator_help(self, ctx: BriefingContext, prefix: str) -> None:
        """The moderators' commands, shown only to those who may use them here."""
        if not await may_moderate(self.bot, ctx.author):
            await ctx.send_error(
                "The moderator commands are listed for this server's moderators only."
            )
            return
        await ctx.send(embed=moderator_help_embed(prefix), ephemeral=True)

    # mypy cannot solve discord.py's hybrid-command callback type (a union over
    # Concatenate); the other hybrid commands escape it only through untyped checks.
    @commands.hybrid_command(name="sync", description="Owners: push slash commands to Discord now")  # type: ignore[arg-type]
    @commands.is_owner()
    async def sync(self, ctx: BriefingContext) -> None:
        """Force a slash-command sync (owners only)."""
        await self.bot.sync_commands_if_changed(force=True)
        await ctx.send("Slash commands synced.", ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Meta(bot))
