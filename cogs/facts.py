"""`fact <id>` for everyone; `fact add|edit|retract|restore|history` for moderators."""

from __future__ import annotations

import logging
import uuid

import discord
from discord.ext import commands

from bot import briefing, moderation
from bot.checks import member_cooldown, moderator_only, scope_of_row, write_scope
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.errors import BriefingError
from bot.flags import FactAddFlags, FactEditFlags

log = logging.getLogger(__name__)

FactId = commands.Range[int, 1, 2**62]


def _where(scope: int | None) -> str:
    return "this server only" if scope else "shared with every server"


async def add_and_show(
    ctx: BriefingContext, flags: FactAddFlags, scope: int | None, statement: str, quote: str
) -> None:
    fact_id = await moderation.add_fact(
        ctx.store,
        ctx.change(scope),
        subject=flags.subject,
        statement=statement,
        kind=flags.kind,
        source=flags.source,
        quote=quote,
        attributed_to=flags.attributed_to,
        topic=flags.topic,
    )
    answer = await briefing.fact(ctx.store, fact_id, ctx.scope)
    await ctx.send_answer(answer, note=f"Added fact {fact_id} ({_where(scope)}).")


class FactForm(discord.ui.Modal, title="Add a fact"):
    """The long fields of `/fact add`, typed in a form instead of one-line options."""

    statement = discord.ui.TextInput(
        label="Statement, in the briefing's own words",
        custom_id="statement",
        style=discord.TextStyle.paragraph,
        max_length=moderation.LIMITS["statement"],
    )
    quote = discord.ui.TextInput(
        label="Verbatim quote from the source",
        custom_id="quote",
        style=discord.TextStyle.paragraph,
        max_length=moderation.LIMITS["quote"],
    )

    def __init__(self, ctx: BriefingContext, flags: FactAddFlags, scope: int | None) -> None:
        super().__init__(custom_id="fact:add:form")
        self.ctx, self.flags, self.scope = ctx, flags, scope
        self.statement.default = flags.statement
        self.quote.default = flags.quote

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.ctx.interaction = interaction  # answer the form's own interaction
        await add_and_show(self.ctx, self.flags, self.scope, self.statement.value, self.quote.value)

    async def on_error(self, interaction: discord.Interaction, error: Exception) -> None:
        message = str(error) if isinstance(error, BriefingError) else None
        if message is None:
            error_id = uuid.uuid4().hex[:8]
            log.error("error %s in the fact form", error_id, exc_info=error)
            message = f"Something went wrong on our side (error id `{error_id}`)."
        await interaction.response.send_message(
            embed=discord.Embed(description=message, colour=discord.Colour.red()), ephemeral=True
        )


class Facts(commands.Cog):
    @commands.hybrid_group(name="fact", fallback="show", invoke_without_command=True)
    @member_cooldown()
    async def fact(self, ctx: BriefingContext, fact_id: FactId) -> None:
        """One fact with its verbatim quote and source."""
        await ctx.cached_answer(
            ("fact", fact_id), lambda: briefing.fact(ctx.store, fact_id, ctx.scope)
        )

    @fact.command(name="add")
    @moderator_only()
    async def add(self, ctx: BriefingContext, *, flags: FactAddFlags) -> None:
        """Add a fact: subject, statement, kind, source, verbatim quote."""
        scope = await write_scope(ctx, flags.scope)
        if ctx.interaction is not None and not (flags.statement and flags.quote):
            await ctx.interaction.response.send_modal(FactForm(ctx, flags, scope))
            return
        await add_and_show(ctx, flags, scope, flags.statement or "", flags.quote or "")

    @fact.command(name="edit")
    @moderator_only()
    async def edit(self, ctx: BriefingContext, fact_id: FactId, *, flags: FactEditFlags) -> None:
        """Correct a fact; only the values given change."""
        scope = await scope_of_row(ctx, "fact", fact_id, flags.scope)
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
        scope = await scope_of_row(ctx, "fact", fact_id)
        await moderation.retract_fact(ctx.store, ctx.change(scope, reason), fact_id)
        await ctx.send_text(f"Fact {fact_id} retracted. `fact restore {fact_id}` undoes it.")

    @fact.command(name="restore")
    @moderator_only()
    async def restore(self, ctx: BriefingContext, fact_id: FactId) -> None:
        """Bring a retracted fact back."""
        scope = await scope_of_row(ctx, "fact", fact_id)
        await moderation.restore_fact(ctx.store, ctx.change(scope), fact_id)
        await ctx.send_text(f"Fact {fact_id} restored.")

    @fact.command(name="history", extras={"private": True})
    @moderator_only()
    async def history(self, ctx: BriefingContext, fact_id: FactId) -> None:
        """Every version of a fact: who, when, what changed, why."""
        await ctx.answer(briefing.history(ctx.store, "fact", fact_id, ctx.scope), ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Facts())
