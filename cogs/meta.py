"""`about`, `help`, and the owners' `sync`."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot import briefing
from bot.catalog import COMMANDS, MODERATOR_COMMANDS
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


class Meta(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="about", description="Version, counts and uptime")
    @member_cooldown()
    async def about(self, ctx: BriefingContext) -> None:
        """Version, counts and uptime."""
        await ctx.answer(briefing.about(ctx.store, ctx.scope, self.bot.started, ctx.now()))

    @commands.hybrid_command(
        name="help", description="Every command, with an example", extras={"private": True}
    )
    @member_cooldown()
    async def help(self, ctx: BriefingContext) -> None:
        """Every command with a one-line description and an example."""
        await ctx.send(embed=help_embed(self.bot.config.prefix), ephemeral=True)

    @commands.hybrid_command(name="sync", description="Owners: push slash commands to Discord now")
    @commands.is_owner()
    async def sync(self, ctx: BriefingContext) -> None:
        """Force a slash-command sync (owners only)."""
        await self.bot.sync_commands_if_changed(force=True)
        await ctx.send("Slash commands synced.", ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Meta(bot))
