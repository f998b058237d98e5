"""`next-meeting` and `timeline`: meetings against the real current time."""

from __future__ import annotations

from discord.ext import commands

from bot import briefing
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


class Meetings(commands.Cog):
    @commands.hybrid_command(name="next-meeting", description="The next upcoming meeting")
    @member_cooldown()
    async def next_meeting(self, ctx: BriefingContext) -> None:
        """The next upcoming meeting, or the most recent past one."""
        await ctx.answer(briefing.next_meeting(ctx.store, ctx.scope, ctx.now()))

    @commands.hybrid_command(name="timeline", description="All meetings and dated events")
    @member_cooldown()
    async def timeline(self, ctx: BriefingContext) -> None:
        """All meetings and dated events in order."""
        await ctx.answer(briefing.timeline(ctx.store, ctx.scope, ctx.now()))


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Meetings())
