"""`sources` and `source <id>` for everyone; `source add` and `source edit` for
moderators. `source add url: …` alone fetches the page, and its reply asks the
moderator to confirm or correct what was extracted (buttons bound to that moderator,
that server and 15 minutes, through a FormBook; `source edit` works at any time)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import discord
from discord.ext import commands

from bot import articles, briefing, moderation
from bot.checks import (
    NOT_MODERATOR,
    NotModerator,
    may_moderate,
    member_cooldown,
    moderator_cooldown,
    moderator_only,
    write_scope,
)
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.errors import BadInput, BriefingError
from bot.fetch import Allowlist, Fetcher
from bot.flags import RowId, SourceAddFlags, SourceMetaFlags
from bot.forms import FormBook, OpenForm, custom_id_of, submitted_values
from bot.logs import new_error_id
from bot.models import Change, Source
from bot.render.embeds import render_pages

log = logging.getLogger(__name__)

BUTTON_PREFIX = "source:meta:"
FORM_PREFIX = "source:metaform:"


async def attached_text(
    ctx: BriefingContext, given: discord.Attachment | None = None
) -> str | None:
    """The text of a .txt file given as the slash command's `file`, or attached to the
    prefix command's message, if there is one."""
    attachment = given
    if attachment is None and ctx.interaction is None and ctx.message.attachments:
        attachment = ctx.message.attachments[0]
    if attachment is None:
        return None
    if not attachment.filename.lower().endswith(".txt"):
        raise BadInput("Attach the source as a .txt file.")
    if attachment.size > moderation.SOURCE_TEXT_MAX_BYTES:
        raise BadInput(f"The file is over {moderation.SOURCE_TEXT_MAX_BYTES // 1000} kB.")
    try:
        return (await attachment.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("The attached file is not UTF-8 text.") from None


class MetadataForm(discord.ui.Modal, title="Correct the metadata"):
    """The fields a page's metadata may get wrong; the text itself is never edited here."""

    source_title: discord.ui.TextInput[MetadataForm] = discord.ui.TextInput(
        label="Title", custom_id="title", max_length=moderation.LIMITS["title"]
    )
    author: discord.ui.TextInput[MetadataForm] = discord.ui.TextInput(
        label="Author (blank: unknown)",
        custom_id="author",
        required=False,
        max_length=articles.META_LIMIT,
    )
    publisher: discord.ui.TextInput[MetadataForm] = discord.ui.TextInput(
        label="Publisher (blank: unknown)",
        custom_id="publisher",
        required=False,
        max_length=articles.META_LIMIT,
    )
    published: discord.ui.TextInput[MetadataForm] = discord.ui.TextInput(
        label="Published (e.g. 2026-11-24; blank: unknown)",
        custom_id="published",
        required=False,
        max_length=moderation.LIMITS["published"],
    )

    def __init__(self, custom_id: str, source: Source) -> None:
        super().__init__(custom_id=custom_id)
        self.source_title.default = source.title
        self.author.default = source.author or ""
        self.publisher.default = source.publisher or ""
        published = source.published
        self.published.default = published.value.isoformat() if published else ""
        self.stop()  # answered by the cog's FormBook, not tracked by discord.py


def review_view(confirm_id: str, edit_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(label="Confirm", style=discord.ButtonStyle.success, custom_id=confirm_id)
    )
    view.add_item(
        discord.ui.Button(
            label="Edit metadata", style=discord.ButtonStyle.secondary, custom_id=edit_id
        )
    )
    view.stop()  # answered by the cog's FormBook, not tracked by discord.py
    return view


def refusal(error: Exception) -> str:
    if isinstance(error, BriefingError | NotModerator):
        return str(error)
    error_id = new_error_id()
    log.error("error %s in the source metadata review", error_id, exc_info=error)
    return f"Something went wrong on our side (error id `{error_id}`)."


async def answer_privately(interaction: discord.Interaction, message: str) -> None:
    embed = discord.Embed(description=message, colour=discord.Colour.red())
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)


class Sources(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        # Confirm and Edit buttons (payload: "confirm"/"edit" and the source id), and
        # the metadata forms the Edit button opens (payload: the source id).
        self.buttons: FormBook[tuple[str, int]] = FormBook(
            BUTTON_PREFIX, bot.clock, command="source edit", per_member=6
        )
        self.forms: FormBook[int] = FormBook(FORM_PREFIX, bot.clock, command="source edit")

    @commands.hybrid_command(name="sources", description="The sources the briefing uses")
    @member_cooldown()
    async def sources(self, ctx: BriefingContext) -> None:
        """The sources the briefing is built from."""
        await ctx.brief(briefing.sources)

    @commands.hybrid_group(name="source", fallback="show", invoke_without_command=True)
    @member_cooldown()
    async def source(self, ctx: BriefingContext, source_id: RowId) -> None:
        """One source: title, date, publisher, opening."""
        await ctx.brief(briefing.source, source_id)

    @source.command(name="add")
    @moderator_only()
    @moderator_cooldown()
    async def add(self, ctx: BriefingContext, *, flags: SourceAddFlags) -> None:
        """Add a source; its text is stored verbatim so quotes can be checked."""
        scope = await write_scope(ctx, flags.scope)
        text = flags.text or await attached_text(ctx, flags.file) or ""
        if flags.url and not text:
            await self.add_from_url(ctx, flags, scope)
            return
        source_id = await ctx.act(
            moderation.add_source,
            ctx.change(scope),
            title=flags.title,
            text=text,
            url=flags.url,
            published=flags.published,
        )
        where = "this server only" if scope else "shared with every server"
        await ctx.send_answer(
            await ctx.act(briefing.source, ctx.asker(), source_id),
            note=f"Added source S{source_id} ({where}). Cite it with `source: {source_id}`.",
        )

    async def add_from_url(
        self, ctx: BriefingContext, flags: SourceAddFlags, scope: int | None
    ) -> None:
        """Fetch, extract and store the page (a typed title or date replaces the page's);
        show what was found, with buttons to confirm or correct it."""
        fetcher = Fetcher(Allowlist.parse(self.bot.config.fetch_allow))
        link = articles.check_url(flags.url)
        source_id = await ctx.act(
            articles.add_article,
            fetcher,
            ctx.change(scope),
            link,
            title=flags.title,
            published=flags.published,
        )
        where = "this server only" if scope else "shared with every server"
        note = f"Added source S{source_id} ({where}) from the page."
        await self.show_review(ctx, source_id, scope, note)

    async def show_review(
        self, ctx: BriefingContext, source_id: int, scope: int | None, note: str
    ) -> None:
        answer = await ctx.act(articles.review_answer, source_id, scope, note)
        user, guild = ctx.author.id, ctx.guild.id if ctx.guild else None
        confirm = self.buttons.open(user, guild, scope, ("confirm", source_id))
        edit = self.buttons.open(user, guild, scope, ("edit", source_id))
        await ctx.send(embed=render_pages(answer)[0].embed, view=review_view(confirm, edit))

    @source.command(name="edit")
    @moderator_only()
    @moderator_cooldown()
    async def edit(self, ctx: BriefingContext, source_id: RowId, *, flags: SourceMetaFlags) -> None:
        """Correct a fetched source's title, author, publisher or date (or confirm them)."""
        scope = ctx.scope
        source = await ctx.act(articles.fetched_source, source_id, scope)
        given = (flags.title, flags.author, flags.publisher, flags.published)
        await ctx.act(
            articles.confirm_metadata,
            ctx.change(scope),
            source_id,
            title=flags.title or source.title,
            author=flags.author if flags.author is not None else source.author,
            publisher=flags.publisher if flags.publisher is not None else source.publisher,
            published=flags.published
            if flags.published is not None
            else (source.published.value.isoformat() if source.published else None),
            keep=all(value is None for value in given),
        )
        await self._show_corrected(ctx, source_id, scope)

    async def _show_corrected(
        self, ctx: BriefingContext, source_id: int, scope: int | None
    ) -> None:
        note = f"Source S{source_id} updated."
        answer = await ctx.act(articles.review_answer, source_id, scope, note)
        await ctx.send(embed=render_pages(answer)[0].embed)

    # --- the Confirm / Edit metadata buttons and the form --------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        custom_id = custom_id_of(interaction)
        kind = interaction.type
        if kind is discord.InteractionType.component and self.buttons.owns(custom_id):
            await self._answer(interaction, self._pressed, self.buttons, custom_id)
        elif kind is discord.InteractionType.modal_submit and self.forms.owns(custom_id):
            await self._answer(interaction, self._submitted, self.forms, custom_id)

    async def _answer(
        self,
        interaction: discord.Interaction,
        handler: Callable[[discord.Interaction, Any], Awaitable[None]],
        book: FormBook[Any],
        custom_id: str,
    ) -> None:
        """Every press and submission gets an answer; only the opener's, in the server
        it was opened in, before it expires, once; and only while still a moderator."""
        try:
            form = book.take(custom_id, interaction.user.id, interaction.guild_id)
            if not await may_moderate(self.bot, interaction.user):
                raise NotModerator(NOT_MODERATOR)
            await handler(interaction, form)
        except Exception as error:  # FormRefused and BriefingError say why; others log
            await answer_privately(interaction, refusal(error))

    async def _pressed(
        self, interaction: discord.Interaction, form: OpenForm[tuple[str, int]]
    ) -> None:
        action, source_id = form.payload
        if action == "edit":
            source = await self.bot.act(articles.fetched_source, source_id, form.scope)
            form_id = self.forms.open(
                interaction.user.id, interaction.guild_id, form.scope, source_id
            )
            await interaction.response.send_modal(MetadataForm(form_id, source))
            return
        await self.bot.act(
            articles.confirm_metadata, self._change(interaction, form.scope), source_id, keep=True
        )
        await self._reply(interaction, source_id, form.scope, "Metadata confirmed.")

    async def _submitted(self, interaction: discord.Interaction, form: OpenForm[int]) -> None:
        values = submitted_values(interaction.data)
        await self.bot.act(
            articles.confirm_metadata,
            self._change(interaction, form.scope),
            form.payload,
            title=values.get("title"),
            author=values.get("author"),
            publisher=values.get("publisher"),
            published=values.get("published"),
        )
        await self._reply(interaction, form.payload, form.scope, "Metadata corrected.")

    def _change(self, interaction: discord.Interaction, scope: int | None) -> Change:
        return Change(actor_id=interaction.user.id, guild_id=scope, at=self.bot.clock())

    async def _reply(
        self, interaction: discord.Interaction, source_id: int, scope: int | None, note: str
    ) -> None:
        answer = await self.bot.act(articles.review_answer, source_id, scope, note)
        await interaction.response.send_message(embed=render_pages(answer)[0].embed)

    @source.command(name="draft", extras={"private": True})
    @moderator_only()
    @moderator_cooldown()
    async def draft(self, ctx: BriefingContext, source_id: RowId) -> None:
        """Draft candidate facts from a source and review them privately, one by one."""
        if ctx.guild is None:
            raise BadInput("Run `source draft` in a server: its facts go to that server.")
        await ctx.bot.get_cog("Review").start(ctx, source_id, ctx.guild.id)  # type: ignore[union-attr]


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Sources(bot))
