"""`who [name]`: key actors, or one entity's cited profile."""

from __future__ import annotations

import discord
from discord import app_commands
from discord.ext import commands

from bot import briefing
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


class Who(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot

    @commands.hybrid_command(name="who", description="Key actors, or one person or body's profile")
    @app_commands.describe(name="A name, alias or spelling (Kim, 김정은, Putin, DPRK…)")
    @member_cooldown()
    async def who(self, ctx: BriefingContext, *, name: str | None = None) -> None:
        """Key actors, or one person or body: role, cited facts, meetings."""
        await ctx.brief(briefing.who, name, timed=True)

    @who.autocomplete("name")
    async def who_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        names = await self.bot.act(briefing.names_like, current, interaction.guild_id)
        return [app_commands.Choice(name=name[:100], value=name[:100]) for name in names]


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Who(bot))
