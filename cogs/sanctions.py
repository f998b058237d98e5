"""`sanctions`: the sanctions picture, with opinion kept apart from reporting."""

from __future__ import annotations

from discord.ext import commands

from bot import briefing
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


class Sanctions(commands.Cog):
    @commands.hybrid_command(name="sanctions", description="The sanctions picture, cited")
    @member_cooldown()
    async def sanctions(self, ctx: BriefingContext) -> None:
        """What the sanctions are, their effect, positions, views and opinion."""
        await ctx.brief(briefing.sanctions)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Sanctions())
