"""The private review queue of a drafted source: Accept, Edit, Skip, Split, page.

`source draft <id>` (in cogs/sources.py) and a feed item's Draft button both come here
(`open_review`). The queue lives in the store, so its buttons keep working after a
restart. Every click and form names its queue by an unguessable id in its custom_id, and
counts only from the moderator who opened the queue, in that server, before the queue
expires, while they are still a moderator (checked again at each click).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from typing import Any

import discord
from discord.ext import commands

from bot import moderation, review
from bot.checks import limiter, may_moderate
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.errors import BriefingError
from bot.forms import custom_id_of, submitted_values
from bot.logs import new_error_id
from bot.render.review import review_embed
from bot.review import ACCEPTED, PENDING, Queue

log = logging.getLogger(__name__)

PREFIX = "review:"
LOCKS_KEPT = 1000
NOT_MODERATOR = (
    "Only this server's moderators can review drafted facts (Manage Server or Manage "
    "Messages, or the moderator role). Nothing was changed."
)


def custom_id(queue: Queue, action: str) -> str:
    return f"{PREFIX}{queue.id}:{action}:{queue.position}"


def parse_custom_id(value: str) -> tuple[str, str, int] | None:
    parts = value.removeprefix(PREFIX).split(":")
    if len(parts) != 3 or not parts[2].isdigit() or len(parts[0]) > 40:
        return None
    return parts[0], parts[1], int(parts[2])


def queue_view(queue: Queue) -> discord.ui.View:
    """The buttons under a candidate. The view is not tracked (stopped): the cog's
    listener answers its clicks by custom_id, before and after a restart alike."""
    view = discord.ui.View(timeout=None)
    pending = queue.current.state == PENDING
    buttons = [
        ("prev", "◀ Previous", discord.ButtonStyle.secondary, queue.position == 0),
        ("accept", "Accept", discord.ButtonStyle.success, not pending),
        ("edit", "Edit", discord.ButtonStyle.primary, queue.current.state == ACCEPTED),
        ("skip", "Skip", discord.ButtonStyle.secondary, not pending),
        ("split", "Split", discord.ButtonStyle.secondary, queue.current.state == ACCEPTED),
        ("next", "Next ▶", discord.ButtonStyle.secondary, queue.position >= len(queue.items) - 1),
    ]
    for action, label, style, disabled in buttons:
        view.add_item(
            discord.ui.Button(
                label=label, style=style, custom_id=custom_id(queue, action), disabled=disabled
            )
        )
    view.stop()
    return view


def open_view(queue: Queue) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(
            label="Open the review queue",
            style=discord.ButtonStyle.primary,
            custom_id=custom_id(queue, "open"),
        )
    )
    view.stop()
    return view


class EditForm(discord.ui.Modal, title="Edit the candidate"):
    statement: discord.ui.TextInput[EditForm] = discord.ui.TextInput(
        label="Statement, in the briefing's own words",
        custom_id="statement",
        style=discord.TextStyle.paragraph,
        max_length=moderation.LIMITS["statement"],
    )
    kind: discord.ui.TextInput[EditForm] = discord.ui.TextInput(
        label="Kind: reported, quote, attributed or opinion", custom_id="kind", max_length=20
    )
    holder: discord.ui.TextInput[EditForm] = discord.ui.TextInput(
        label="Holder (whose words or view)",
        custom_id="holder",
        required=False,
        max_length=moderation.LIMITS["attributed_to"],
    )
    subject: discord.ui.TextInput[EditForm] = discord.ui.TextInput(
        label="Subject (a person, country or body)",
        custom_id="subject",
        max_length=moderation.LIMITS["subject"],
    )
    quote: discord.ui.TextInput[EditForm] = discord.ui.TextInput(
        label="Verbatim quote from the source",
        custom_id="quote",
        style=discord.TextStyle.paragraph,
        max_length=moderation.LIMITS["quote"],
    )

    def __init__(self, form_id: str, item: review.Item) -> None:
        super().__init__(custom_id=form_id)
        self.statement.default = item.statement
        self.kind.default = item.kind
        self.holder.default = (item.holder or "")[: moderation.LIMITS["attributed_to"]]
        self.subject.default = item.subject or ""
        self.quote.default = item.quote[: moderation.LIMITS["quote"]]
        self.stop()  # answered by the cog's listener, by custom_id


class SplitForm(discord.ui.Modal, title="Split the candidate"):
    at: discord.ui.TextInput[SplitForm] = discord.ui.TextInput(
        label="Second part starts at (empty: next sentence)",
        custom_id="at",
        required=False,
        max_length=200,
    )

    def __init__(self, form_id: str) -> None:
        super().__init__(custom_id=form_id)
        self.stop()


class Review(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self._locks: OrderedDict[str, asyncio.Lock] = OrderedDict()

    # --- opening a queue -----------------------------------------------------------

    async def start(self, ctx: BriefingContext, source_id: int, scope: int | None) -> None:
        """`source draft`: draft, save the queue, and show it privately (a slash command)
        or offer a button that shows it privately (a `!` command)."""
        assert ctx.guild is not None
        queue = await self._new_queue(ctx.guild.id, ctx.author.id, scope, source_id)
        if ctx.interaction is not None:
            await ctx.send(**await self._page(queue), ephemeral=True)
            return
        embed = discord.Embed(
            description=f"Drafted {len(queue.items)} candidate facts from S{source_id}. "
            "The review queue is private to you: press the button to open it.",
            colour=discord.Colour.blurple(),
        )
        await ctx.send(embed=embed, view=open_view(queue))

    async def open_review(self, interaction: discord.Interaction, source_id: int) -> None:
        """Draft `source_id` and open its review queue privately, from any button (a feed
        item's Draft button). The presser must moderate the server it is pressed in."""
        if interaction.guild_id is None or not await self._moderates(interaction.user):
            await _refuse(interaction, NOT_MODERATOR)
            return
        if not interaction.response.is_done():  # the caller may have deferred already
            await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            queue = await self._new_queue(
                interaction.guild_id, interaction.user.id, interaction.guild_id, source_id
            )
            await interaction.followup.send(**await self._page(queue), ephemeral=True)
        except Exception as error:
            await interaction.followup.send(embed=_error_embed(error), ephemeral=True)

    async def _new_queue(
        self, guild_id: int, moderator_id: int, scope: int | None, source_id: int
    ) -> Queue:
        items, left_out = await self.bot.act(review.draft_source, source_id, guild_id)
        now = self.bot.clock()
        queue = Queue(
            id=review.new_id(),
            guild_id=guild_id,
            moderator_id=moderator_id,
            scope=scope,
            source_id=source_id,
            items=items,
            position=0,
            created_at=now,
            expires_at=now + review.QUEUE_LIFETIME,
            truncated=left_out,
        )
        await self.bot.act(review.open_queue, queue)
        log.info(
            "review queue opened: server %s, moderator %s, S%s, %d candidates",
            guild_id,
            moderator_id,
            source_id,
            len(items),
        )
        return queue

    async def _page(self, queue: Queue, note: str = "") -> dict[str, Any]:
        title = await self.bot.act(review.source_title, queue)
        return {"embed": review_embed(queue, title, note), "view": queue_view(queue)}

    # --- clicks and forms ----------------------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        if interaction.type not in {
            discord.InteractionType.component,
            discord.InteractionType.modal_submit,
        }:
            return
        raw = custom_id_of(interaction)
        if not raw.startswith(PREFIX):
            return
        parsed = parse_custom_id(raw)
        try:
            if parsed is None:
                raise BriefingError("This button is not one of ours. Nothing was changed.")
            async with self._lock(parsed[0]):
                await self._handle(interaction, *parsed)
        except Exception as error:
            await _refuse(interaction, embed=_error_embed(error))

    def _lock(self, queue_id: str) -> asyncio.Lock:
        """One click at a time per queue (a double click must not add a fact twice)."""
        lock = self._locks.pop(queue_id, None) or asyncio.Lock()
        self._locks[queue_id] = lock
        while len(self._locks) > LOCKS_KEPT:
            oldest, old = next(iter(self._locks.items()))
            if old.locked():
                break
            del self._locks[oldest]
        return lock

    async def _handle(
        self, interaction: discord.Interaction, queue_id: str, action: str, position: int
    ) -> None:
        queue = await self.bot.act(review.load_queue, queue_id)
        now = self.bot.clock()
        if queue is None:
            raise BriefingError(
                "This review queue is closed or has expired; run `source draft` again. "
                "Nothing was changed."
            )
        refusal = queue.refusal(interaction.user.id, interaction.guild_id, now)
        if refusal is None and not await self._moderates(interaction.user):
            refusal = NOT_MODERATOR
        if (
            refusal is None
            and queue.scope is None
            and not await self.bot.is_curator(interaction.user)
        ):
            refusal = "Only the bot's curators can add shared facts. Nothing was changed."
        if refusal is not None:
            log.info(
                "review click refused: user %s, server %s",
                interaction.user.id,
                interaction.guild_id,
            )
            await _refuse(interaction, refusal)
            return
        if action != "open" and 0 <= position < len(queue.items):
            queue.position = position  # the candidate the pressed button was shown with
        queue.expires_at = now + review.QUEUE_LIFETIME
        await self._act(interaction, queue, action)

    async def _act(self, interaction: discord.Interaction, queue: Queue, action: str) -> None:
        act, user = self.bot.act, interaction.user.id
        note = ""
        if action == "open":
            await act(review.save_queue, queue)
            await interaction.response.send_message(**await self._page(queue), ephemeral=True)
            return
        if action == "edit":
            form = EditForm(custom_id(queue, "editform"), queue.current)
            await interaction.response.send_modal(form)
            return
        if action == "split":
            await interaction.response.send_modal(SplitForm(custom_id(queue, "splitform")))
            return
        if action == "accept":
            wait = limiter(self.bot, "moderator").hit(user)
            if wait:
                raise BriefingError(
                    f"You are adding facts quickly; try again in {wait:.0f} s. Nothing was changed."
                )
            fact_id, added = await act(review.accept, queue, user, self.bot.clock())
            note = (
                f"Added fact {fact_id} ({_where(queue.scope)})."
                if added
                else f"Fact {fact_id} already cites exactly this passage; nothing was added."
            )
            queue.position = queue.next_pending(queue.position)
        elif action == "skip":
            review.skip(queue)
            note = f"Skipped candidate {queue.position + 1}."
            queue.position = queue.next_pending(queue.position)
        elif action == "prev":
            queue.position = max(0, queue.position - 1)
        elif action == "next":
            queue.position = min(len(queue.items) - 1, queue.position + 1)
        elif action == "editform":
            values = submitted_values(interaction.data)
            await act(
                review.edit,
                queue,
                statement=values.get("statement", ""),
                kind=values.get("kind", ""),
                holder=values.get("holder", ""),
                subject=values.get("subject", ""),
                quote=values.get("quote", ""),
            )
            note = f"Candidate {queue.position + 1} edited; press Accept to add it."
        elif action == "splitform":
            values = submitted_values(interaction.data)
            await act(review.split, queue, values.get("at", ""))
            note = f"Candidate {queue.position + 1} split in two."
        else:
            raise BriefingError("This button is not one of ours. Nothing was changed.")
        await act(review.save_queue, queue)
        if queue.counts()[PENDING] == 0:
            note += " Every candidate is reviewed."
        await _show(interaction, await self._page(queue, note))

    async def _moderates(self, user: discord.abc.User) -> bool:
        """A curator, or a moderator of the server `user` clicked in, as they are now."""
        return await may_moderate(self.bot, user)


def _where(scope: int | None) -> str:
    return "this server only" if scope else "shared with every server"


async def _show(interaction: discord.Interaction, page: dict[str, Any]) -> None:
    """Update the queue's message in place (a click, or a form opened from it)."""
    if interaction.message is not None:
        await interaction.response.edit_message(**page)
    else:
        await interaction.response.send_message(**page, ephemeral=True)


def _error_embed(error: Exception) -> discord.Embed:
    if isinstance(error, BriefingError):
        message = str(error)
    else:
        error_id = new_error_id()
        log.error("error %s in a review queue", error_id, exc_info=error)
        message = f"Something went wrong on our side (error id `{error_id}`)."
    return discord.Embed(description=message, colour=discord.Colour.red())


async def _refuse(
    interaction: discord.Interaction, message: str = "", *, embed: discord.Embed | None = None
) -> None:
    embed = embed or discord.Embed(description=message, colour=discord.Colour.red())
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Review(bot))
