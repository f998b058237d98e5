"""`search`: full-text search over the facts, ranked and cited."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot import briefing
from bot.checks import member_cooldown
from bot.context import BriefingContext
from bot.core import BriefingBot


class Search(commands.Cog):
    @commands.hybrid_command(name="search", description="Full-text search over the facts")
    @app_commands.describe(query='Words, "a phrase", OR, NOT, page:2 (e.g. sanctions OR russia)')
    @member_cooldown()
    async def search(
        self, ctx: BriefingContext, *, query: commands.Range[str, 1, briefing.MAX_QUERY]
    ) -> None:
        """Full-text search over the facts, best first."""
        await ctx.brief(briefing.search, query)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Search())
