"""`sources` and `source <id>` for everyone; `source add` for moderators."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot import briefing, moderation
from bot.checks import member_cooldown, moderator_cooldown, moderator_only, write_scope
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.errors import BadInput
from bot.flags import RowId, SourceAddFlags

SourceId = RowId


async def attached_text(ctx: BriefingContext) -> str | None:
    """The text of a .txt file attached to a prefix command, if there is one."""
    if ctx.interaction is not None or not ctx.message.attachments:
        return None
    attachment: discord.Attachment = ctx.message.attachments[0]
    if not attachment.filename.lower().endswith(".txt"):
        raise BadInput("Attach the source as a .txt file.")
    if attachment.size > moderation.SOURCE_TEXT_MAX_BYTES:
        raise BadInput(f"The file is over {moderation.SOURCE_TEXT_MAX_BYTES // 1000} kB.")
    try:
        return (await attachment.read()).decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("The attached file is not UTF-8 text.") from None


class Sources(commands.Cog):
    @commands.hybrid_command(name="sources", description="The sources the briefing uses")
    @member_cooldown()
    async def sources(self, ctx: BriefingContext) -> None:
        """The sources the briefing is built from."""
        await ctx.cached_answer(("sources",), lambda: briefing.sources(ctx.store, ctx.scope))

    @commands.hybrid_group(name="source", fallback="show", invoke_without_command=True)
    @member_cooldown()
    async def source(self, ctx: BriefingContext, source_id: SourceId) -> None:
        """One source: title, date, publisher, opening."""
        await ctx.cached_answer(
            ("source", source_id), lambda: briefing.source(ctx.store, source_id, ctx.scope)
        )

    @source.command(name="add")
    @moderator_only()
    @moderator_cooldown()
    async def add(self, ctx: BriefingContext, *, flags: SourceAddFlags) -> None:
        """Add a source; its text is stored verbatim so quotes can be checked."""
        scope = await write_scope(ctx, flags.scope)
        text = flags.text or await attached_text(ctx) or ""
        source_id = await moderation.add_source(
            ctx.store,
            ctx.change(scope),
            title=flags.title,
            text=text,
            url=flags.url,
            published=flags.published,
        )
        where = "this server only" if scope else "shared with every server"
        await ctx.send_answer(
            await briefing.source(ctx.store, source_id, ctx.scope),
            note=f"Added source S{source_id} ({where}). Cite it with `source: {source_id}`.",
        )


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Sources())
