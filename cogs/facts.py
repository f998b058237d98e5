"""`fact <id>` for everyone; `fact add|edit|retract|restore|history` for moderators."""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass

import discord
from discord import app_commands
from discord.ext import commands

from bot import briefing, moderation
from bot.checks import (
    NOT_MODERATOR,
    SHARED_ONLY_CURATORS,
    NotModerator,
    may_moderate,
    member_cooldown,
    moderator_cooldown,
    moderator_only,
    scope_of_row,
    write_scope,
)
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.errors import BriefingError
from bot.flags import KIND_CHOICES, FactAddFlags, FactEditFlags, RowId, typed
from bot.forms import FormBook, FormRefused, OpenForm, custom_id_of, submitted_values
from bot.logs import new_error_id
from bot.models import Table
from bot.moderation import FactEdits, FactInput

log = logging.getLogger(__name__)

FORM_PREFIX = "fact:add:"


def _where(scope: int | None) -> str:
    return "this server only" if scope else "shared with every server"


async def add_and_show(
    ctx: BriefingContext, flags: FactAddFlags, scope: int | None, statement: str, quote: str
) -> None:
    fact = typed(FactInput, flags, statement=statement, quote=quote)
    fact_id = await ctx.act(moderation.add_fact, ctx.change(scope), fact)
    answer = await ctx.act(briefing.fact, ctx.asker(), fact_id)
    await ctx.send_answer(answer, note=f"Added fact {fact_id} ({_where(scope)}).")


class FactForm(discord.ui.Modal, title="Add a fact"):
    """The layout of the `/fact add` form: its long fields, typed in a form instead of
    one-line options. Submissions are matched by the Facts cog's FormBook, not here."""

    statement: discord.ui.TextInput[FactForm] = discord.ui.TextInput(
        label="Statement, in the briefing's own words",
        custom_id="statement",
        style=discord.TextStyle.paragraph,
        max_length=moderation.LIMITS["statement"],
    )
    quote: discord.ui.TextInput[FactForm] = discord.ui.TextInput(
        label="Verbatim quote from the source",
        custom_id="quote",
        style=discord.TextStyle.paragraph,
        max_length=moderation.LIMITS["quote"],
    )

    def __init__(self, custom_id: str, flags: FactAddFlags) -> None:
        super().__init__(custom_id=custom_id)
        self.statement.default = flags.statement
        self.quote.default = flags.quote
        # A stopped modal is not tracked by discord.py (which keys modals by custom_id
        # alone); the cog's FormBook answers its submission instead.
        self.stop()


@dataclass(frozen=True, slots=True)
class PendingFact:
    ctx: BriefingContext
    flags: FactAddFlags


def refusal(error: Exception) -> str:
    """What to tell the moderator whose form failed: its message, or an error id."""
    if isinstance(error, BriefingError | NotModerator):
        return str(error)
    error_id = new_error_id()
    log.error("error %s in the fact form", error_id, exc_info=error)
    return f"Something went wrong on our side (error id `{error_id}`)."


class Facts(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.forms: FormBook[PendingFact] = FormBook(FORM_PREFIX, bot.clock, command="/fact add")

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """A `/fact add` form came back. Every submission gets an answer."""
        if interaction.type is not discord.InteractionType.modal_submit:
            return
        custom_id = custom_id_of(interaction)
        if not self.forms.owns(custom_id):
            return
        self.bot.in_flight.enter()  # a shutdown lets the answer go out first
        try:
            form = self.forms.take(custom_id, interaction.user.id, interaction.guild_id)
        except FormRefused as refused:
            embed = discord.Embed(description=str(refused), colour=discord.Colour.red())
            with contextlib.suppress(discord.HTTPException):
                await interaction.response.send_message(embed=embed, ephemeral=True)
            return
        ctx = form.payload.ctx
        ctx.interaction, ctx.deadline, ctx.deferring = interaction, None, False
        await self.bot._start_deadline(ctx)  # deferred, as a slash command is, if slow
        try:
            values = submitted_values(interaction.data)
            await self.submit_form(ctx, interaction.user, form, values)
        except Exception as error:
            with contextlib.suppress(discord.HTTPException):
                await ctx.send_error(refusal(error))
        finally:
            await ctx.settle_deadline()

    async def submit_form(
        self,
        ctx: BriefingContext,
        user: discord.User | discord.Member,
        form: OpenForm[PendingFact],
        values: dict[str, str],
    ) -> None:
        """Checked again at submit: still a moderator (`user`, the member who submitted,
        as they are now), and a curator for the shared facts."""
        if not await may_moderate(self.bot, user):
            raise NotModerator(NOT_MODERATOR)
        if form.scope is None and not await self.bot.is_curator(user):
            raise NotModerator(SHARED_ONLY_CURATORS)
        await add_and_show(
            ctx,
            form.payload.flags,
            form.scope,
            values.get("statement", ""),
            values.get("quote", ""),
        )

    @commands.hybrid_group(
        name="fact", fallback="show", invoke_without_command=True, ignore_extra=False
    )
    @member_cooldown()
    async def fact(self, ctx: BriefingContext, fact_id: RowId) -> None:
        """One fact with its verbatim quote and source."""
        await ctx.brief(briefing.fact, fact_id)

    @fact.command(name="add")
    @app_commands.choices(kind=KIND_CHOICES)
    @moderator_only()
    @moderator_cooldown()
    async def add(self, ctx: BriefingContext, *, flags: FactAddFlags) -> None:
        """Add a fact: subject, statement, kind, source, verbatim quote."""
        scope = await write_scope(ctx, flags.scope)
        if ctx.interaction is not None and not (flags.statement and flags.quote):
            user, guild = ctx.author.id, ctx.guild.id if ctx.guild else None
            custom_id = self.forms.open(user, guild, scope, PendingFact(ctx, flags))
            await ctx.interaction.response.send_modal(FactForm(custom_id, flags))
            return
        await add_and_show(ctx, flags, scope, flags.statement or "", flags.quote or "")

    @fact.command(name="edit")
    @app_commands.choices(kind=KIND_CHOICES)
    @moderator_only()
    @moderator_cooldown()
    async def edit(self, ctx: BriefingContext, fact_id: RowId, *, flags: FactEditFlags) -> None:
        """Correct a fact; only the values given change."""
        scope = await scope_of_row(ctx, Table.FACTS, fact_id, flags.scope)
        edits = typed(FactEdits, flags)
        await ctx.act(moderation.edit_fact, ctx.change(scope), fact_id, edits)
        await ctx.send_answer(
            await ctx.act(briefing.fact, ctx.asker(), fact_id), note=f"Fact {fact_id} corrected."
        )

    @fact.command(name="retract")
    @moderator_only()
    @moderator_cooldown()
    async def retract(self, ctx: BriefingContext, fact_id: RowId, *, reason: str) -> None:
        """Withdraw a fact from answers (it stays in the history)."""
        scope = await scope_of_row(ctx, Table.FACTS, fact_id)
        await ctx.act(moderation.retract_fact, ctx.change(scope, reason), fact_id)
        await ctx.send_text(f"Fact {fact_id} retracted. `fact restore {fact_id}` undoes it.")

    @fact.command(name="restore")
    @moderator_only()
    @moderator_cooldown()
    async def restore(self, ctx: BriefingContext, fact_id: RowId) -> None:
        """Bring a retracted fact back."""
        scope = await scope_of_row(ctx, Table.FACTS, fact_id)
        await ctx.act(moderation.restore_fact, ctx.change(scope), fact_id)
        await ctx.send_text(f"Fact {fact_id} restored.")

    @fact.command(name="history", extras={"private": True})
    @moderator_only()
    @member_cooldown()
    async def history(self, ctx: BriefingContext, fact_id: RowId) -> None:
        """Every version of a fact: who, when, what changed, why."""
        await ctx.brief(briefing.history, "fact", fact_id, cached=False, ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Facts(bot))
