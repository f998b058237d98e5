"""`sources` and `source`: what the briefing is built from."""

from __future__ import annotations

from discord.ext import commands

from bot import briefing
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


class Sources(commands.Cog):
    @commands.hybrid_command(name="sources", description="The sources the briefing uses")
    @member_cooldown()
    async def sources(self, ctx: BriefingContext) -> None:
        """The sources the briefing is built from."""
        await ctx.answer(briefing.sources(ctx.store, ctx.scope))

    @commands.hybrid_command(name="source", description="One source: title, date, publisher")
    @member_cooldown()
    async def source(self, ctx: BriefingContext, source_id: commands.Range[int, 1, 2**62]) -> None:
        """One source: title, date, publisher, opening."""
        await ctx.answer(briefing.source(ctx.store, source_id, ctx.scope))


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Sources())
