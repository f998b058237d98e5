"""`fact <id>` for everyone; `fact add|edit|retract|restore|history` for moderators."""

from __future__ import annotations

from discord.ext import commands

from bot import briefing, moderation
from bot.checks import member_cooldown, moderator_only, scope_of_row, write_scope
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.flags import FactAddFlags, FactEditFlags

FactId = commands.Range[int, 1, 2**62]


def _where(scope: int | None) -> str:
    return "this server only" if scope else "shared with every server"


class Facts(commands.Cog):
    @commands.hybrid_group(name="fact", fallback="show", invoke_without_command=True)
    @member_cooldown()
    async def fact(self, ctx: BriefingContext, fact_id: FactId) -> None:
        """One fact with its verbatim quote and source."""
        await ctx.answer(briefing.fact(ctx.store, fact_id, ctx.scope))

    @fact.command(name="add")
    @moderator_only()
    async def add(self, ctx: BriefingContext, *, flags: FactAddFlags) -> None:
        """Add a fact: subject, statement, kind, source, verbatim quote."""
        scope = await write_scope(ctx, flags.scope)
        fact_id = await moderation.add_fact(
            ctx.store,
            ctx.change(scope),
            subject=flags.subject,
            statement=flags.statement,
            kind=flags.kind,
            source=flags.source,
            quote=flags.quote,
            attributed_to=flags.attributed_to,
            topic=flags.topic,
        )
        await ctx.send_answer(
            await briefing.fact(ctx.store, fact_id, ctx.scope),
            note=f"Added fact {fact_id} ({_where(scope)}).",
        )

    @fact.command(name="edit")
    @moderator_only()
    async def edit(self, ctx: BriefingContext, fact_id: FactId, *, flags: FactEditFlags) -> None:
        """Correct a fact; only the values given change."""
        row_guild = await ctx.store.row_guild("facts", fact_id)
        scope = await scope_of_row(ctx, "fact", row_guild, flags.scope)
        await moderation.edit_fact(
            ctx.store,
            ctx.change(scope),
            fact_id,
            statement=flags.statement,
            kind=flags.kind,
            quote=flags.quote,
            attributed_to=flags.attributed_to,
            topic=flags.topic,
        )
        await ctx.send_answer(
            await briefing.fact(ctx.store, fact_id, ctx.scope), note=f"Fact {fact_id} corrected."
        )

    @fact.command(name="retract")
    @moderator_only()
    async def retract(self, ctx: BriefingContext, fact_id: FactId, *, reason: str) -> None:
        """Withdraw a fact from answers (it stays in the history)."""
        scope = await scope_of_row(ctx, "fact", await ctx.store.row_guild("facts", fact_id))
        await moderation.retract_fact(ctx.store, ctx.change(scope, reason), fact_id)
        await ctx.send_text(f"Fact {fact_id} retracted. `fact restore {fact_id}` undoes it.")

    @fact.command(name="restore")
    @moderator_only()
    async def restore(self, ctx: BriefingContext, fact_id: FactId) -> None:
        """Bring a retracted fact back."""
        scope = await scope_of_row(ctx, "fact", await ctx.store.row_guild("facts", fact_id))
        await moderation.restore_fact(ctx.store, ctx.change(scope), fact_id)
        await ctx.send_text(f"Fact {fact_id} restored.")

    @fact.command(name="history")
    @moderator_only()
    async def history(self, ctx: BriefingContext, fact_id: FactId) -> None:
        """Every version of a fact: who, when, what changed, why."""
        await ctx.answer(briefing.history(ctx.store, "fact", fact_id, ctx.scope), ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Facts())
