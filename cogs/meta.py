"""`about`, `help`, and the owners' `sync`."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands
from discord.utils import escape_markdown

from bot import briefing, catalog
from bot.catalog import COMMANDS, MODERATOR_COMMANDS, CommandInfo
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


def help_embed(prefix: str) -> discord.Embed:
    embed = discord.Embed(
        title="Briefing commands",
        description=f"Each works as `{prefix}name` and as `/name`. Every answer cites its sources.",
        colour=discord.Colour.blurple(),
    )
    for command in COMMANDS:
        embed.add_field(
            name=f"{prefix}{command.usage}",
            value=f"{command.summary}\ne.g. `{prefix}{command.example}`",
            inline=False,
        )
    moderators = "\n".join(
        f"`{prefix}{command.usage}`: {command.summary}" for command in MODERATOR_COMMANDS
    )
    embed.add_field(name="For moderators", value=moderators[:1024], inline=False)
    return embed


def command_help_embed(command: CommandInfo, prefix: str) -> discord.Embed:
    """`help <command>`: its usage, what it does, the details, an example."""
    description = command.summary + (f"\n\n{command.details}" if command.details else "")
    embed = discord.Embed(
        title=f"{prefix}{command.usage}", description=description, colour=discord.Colour.blurple()
    )
    embed.add_field(name="Example", value=f"e.g. `{prefix}{command.example}`", inline=False)
    return embed


class Meta(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @commands.hybrid_command(
        name="about", description="Version, counts and uptime", ignore_extra=False
    )
    @member_cooldown()
    async def about(self, ctx: BriefingContext) -> None:
        """Version, counts and uptime."""
        shards = self.bot.shards_line()
        await ctx.answer(ctx.act(briefing.about, ctx.scope, self.bot.started, ctx.now(), shards))

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
