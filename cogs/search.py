"""`search` and `fact`: full-text search, and one fact with its verbatim quotes."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot import briefing
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


class Search(commands.Cog):
    @commands.hybrid_command(name="search", description="Full-text search over the facts")
    @app_commands.describe(query="Words to look for, e.g. sanctions russia")
    @member_cooldown()
    async def search(
        self, ctx: BriefingContext, *, query: commands.Range[str, 1, briefing.MAX_QUERY]
    ) -> None:
        """Full-text search over the facts, best first."""
        await ctx.answer(briefing.search(ctx.store, query, ctx.scope))

    @commands.hybrid_command(name="fact", description="One fact with its verbatim quote")
    @app_commands.describe(fact_id="The fact's number, shown as (fact N) in answers")
    @member_cooldown()
    async def fact(self, ctx: BriefingContext, fact_id: commands.Range[int, 1, 2**62]) -> None:
        """One fact with its verbatim quote and source."""
        await ctx.answer(briefing.fact(ctx.store, fact_id, ctx.scope))


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Search())
