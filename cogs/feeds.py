"""`feed add|list|remove` for moderators, the dispatcher that posts new items to each
server's review channel, and the **Draft** button on those posts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from datetime import timedelta
from typing import Any

import discord
from discord.ext import commands
from discord.ext.commands.bot import BotBase

from bot import articles, feeds
from bot.checks import limiter, may_moderate, moderator_cooldown, moderator_only
from bot.context import BriefingContext, GuildContext
from bot.core import BriefingBot
from bot.delivery import feed_dispatcher, postable_channel
from bot.errors import BadInput, BriefingError
from bot.feedmodels import Feed, FeedItem
from bot.feeds import (
    FEED_LIMITS,
    MAX_FEEDS_PER_SERVER,
    ChannelGone,
    nonce_for,
    parse_interval,
    read_feed,
)
from bot.fetch import Allowlist, Fetcher
from bot.flags import RowId
from bot.logs import new_error_id
from bot.models import Change
from bot.moderation import parse_url
from bot.render.embeds import render_pages
from bot.render.feeds import DRAFT_PREFIX, feed_line, item_embed, paused_text, plain

log = logging.getLogger(__name__)

NO_DRAFTING = (
    "Drafting is not available yet. The article is stored as source S{id}: cite it in "
    "`fact add` with `source: {id}`."
)


def fetcher_for(bot: BriefingBot, *, feed: bool = False) -> Fetcher:
    """A fetcher with the operator's allowlist, read now (tests change it at run time)."""
    allow = Allowlist.parse(bot.config.fetch_allow)
    return Fetcher(allow, FEED_LIMITS) if feed else Fetcher(allow)


class DraftButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"feed:draft:(?P<item>[0-9]{1,16})"
):
    """The Draft button on a posted feed item. It carries only the item's id; who may
    press it, and for which server's items, is checked on every click."""

    def __init__(self, item_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label="Draft",
                style=discord.ButtonStyle.primary,
                custom_id=f"{DRAFT_PREFIX}{item_id}",
            )
        )
        self.item_id = item_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DraftButton:
        return cls(int(match.group("item")))

    async def callback(self, interaction: discord.Interaction) -> None:
        client = interaction.client
        cog = client.get_cog("Feeds") if isinstance(client, BotBase) else None
        if isinstance(cog, Feeds):
            await cog.draft(interaction, self.item_id)


def draft_view(item_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(DraftButton(item_id))
    view.stop()  # dispatched by its custom_id pattern, not tracked per message
    return view


async def private_error(interaction: discord.Interaction, message: str) -> None:
    embed = discord.Embed(description=message, colour=discord.Colour.red())
    with contextlib.suppress(discord.HTTPException):
        if interaction.response.is_done():
            await interaction.followup.send(embed=embed, ephemeral=True)
        else:
            await interaction.response.send_message(embed=embed, ephemeral=True)


def shown_error(error: Exception, where: str) -> str:
    if isinstance(error, BriefingError):
        return str(error)
    error_id = new_error_id()
    log.error("error %s in %s", error_id, where, exc_info=error)
    return f"Something went wrong on our side (error id `{error_id}`)."


class Feeds(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.dispatcher = feed_dispatcher(
            bot, lambda: fetcher_for(bot, feed=True), self.post, self.find_posted, self.tell
        )
        self._task: asyncio.Task | None = None
        self._drafting: dict[int, asyncio.Lock] = {}

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(DraftButton)
        self._task = asyncio.create_task(self._run_when_ready(), name="feed-dispatcher")

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(DraftButton)
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run_when_ready(self) -> None:
        await self.bot.wait_until_ready()
        self.dispatcher.owns = self.bot.owns_guild  # known once connected
        await self.dispatcher.run()

    # --- posting to the review channel ---------------------------------------------------

    async def _channel(self, feed: Feed) -> discord.abc.Messageable:
        return await postable_channel(self.bot, feed.channel_id, feed.guild_id)

    async def post(self, feed: Feed, item: FeedItem) -> int:
        channel = await self._channel(feed)
        try:
            message = await channel.send(
                embed=item_embed(feed, item), view=draft_view(item.id), nonce=nonce_for(item.id)
            )
        except discord.NotFound:
            raise ChannelGone(f"channel {feed.channel_id} was deleted") from None
        except discord.Forbidden:
            raise ChannelGone(f"the bot may no longer post in <#{feed.channel_id}>") from None
        return message.id

    async def find_posted(self, feed: Feed, item: FeedItem) -> int | None:
        """After a crash between claim and record: the item's message, if it got out."""
        channel = await self._channel(feed)
        since = (item.claimed_at or self.bot.clock()) - timedelta(minutes=1)
        after = discord.Object(discord.utils.time_snowflake(since))
        try:
            return await self._find(channel, after, f"{DRAFT_PREFIX}{item.id}")
        except discord.Forbidden:
            # Without the history the bot cannot tell whether the post got out, and
            # posting again might post it twice: stop and tell the moderators instead.
            raise ChannelGone(f"the bot can no longer read <#{feed.channel_id}>") from None

    async def _find(
        self, channel: discord.abc.Messageable, after: discord.Object, wanted: str
    ) -> int | None:
        async for message in channel.history(limit=100, after=after):
            if self.bot.user is None or message.author.id != self.bot.user.id:
                continue
            for row in message.components:
                for child in getattr(row, "children", []):
                    if getattr(child, "custom_id", None) == wanted:
                        return message.id
        return None

    async def tell(self, feed: Feed, reason: str) -> None:
        channel = await self._channel(feed)
        await channel.send(paused_text(feed, reason))

    # --- the Draft button ------------------------------------------------------------

    async def draft(self, interaction: discord.Interaction, item_id: int) -> None:
        """Only moderators of the item's own server; fetch once, then open the review."""
        try:
            item = await self.bot.act(feeds.item_to_draft, item_id, interaction.guild_id)
            if not await may_moderate(self.bot, interaction.user):
                raise BadInput("Only this server's moderators can draft facts from a feed item.")
            wait = limiter(self.bot, "moderator").hit(interaction.user.id)
            if wait:
                raise BadInput(f"You're asking a bit fast; try again in {wait:.0f}s.")
            await interaction.response.defer(ephemeral=True, thinking=True)
            source_id = await self._source_once(interaction, item)
        except Exception as error:
            await private_error(interaction, shown_error(error, f"the Draft of item {item_id}"))
            return
        await self.open_review(interaction, source_id)

    async def _source_once(self, interaction: discord.Interaction, item: FeedItem) -> int:
        """Two moderators pressing Draft together get the same source, fetched once."""
        lock = self._drafting.setdefault(item.id, asyncio.Lock())
        try:
            async with lock:
                fresh = await self.bot.act(feeds.item_now, item)
                return await self._source_for(interaction, fresh)
        finally:
            if not lock.locked():
                self._drafting.pop(item.id, None)

    async def _source_for(self, interaction: discord.Interaction, item: FeedItem) -> int:
        change = Change(actor_id=interaction.user.id, guild_id=item.guild_id, at=self.bot.clock())
        return await self.bot.act(feeds.source_for_item, fetcher_for(self.bot), change, item)

    async def open_review(self, interaction: discord.Interaction, source_id: int) -> None:
        review = self.bot.get_cog("Review")
        opener = getattr(review, "open_review", None)
        if opener is not None:
            try:
                await opener(interaction, source_id)
            except Exception as error:
                await private_error(interaction, shown_error(error, "open_review"))
            return
        note = NO_DRAFTING.format(id=source_id)
        answer = await self.bot.act(articles.review_answer, source_id, interaction.guild_id, note)
        with contextlib.suppress(discord.HTTPException):
            await interaction.followup.send(embed=render_pages(answer)[0].embed, ephemeral=True)

    # --- commands --------------------------------------------------------------------

    @commands.hybrid_group(name="feed", fallback="list", invoke_without_command=True)
    @commands.guild_only()
    @moderator_only()
    async def feed(self, ctx: GuildContext) -> None:
        """The feeds this server follows."""
        found = await ctx.act(feeds.feeds_of, ctx.guild.id)
        if not found:
            await ctx.send_text("This server follows no feeds. Add one with `feed add <url>`.")
            return
        lines = [feed_line(feed) for feed in found]
        await ctx.send_text(
            f"Feeds ({len(found)} of at most {MAX_FEEDS_PER_SERVER}):\n" + "\n".join(lines)
        )

    @feed.command(name="add")
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def add(
        self,
        ctx: GuildContext,
        url: str,
        channel: discord.TextChannel | None = None,
        every: str | None = None,
    ) -> None:
        """Follow an RSS or Atom feed; new items go to a review channel (default: here)."""
        guild = ctx.guild
        assert guild is not None
        target = channel or ctx.channel
        mentioned = every is not None and re.fullmatch(r"<#\d+>|\d{15,20}", every.strip())
        if mentioned or not isinstance(target, discord.TextChannel) or target.guild != guild:
            raise BadInput("Name a text channel of this server for the new items.")
        self._check_channel(ctx, target)
        interval = parse_interval(every)
        link = parse_url(url)
        if not link:
            raise BadInput("Give the feed's address: `feed add https://… [#channel]`.")
        await ctx.act(feeds.check_room, guild.id, link)
        now = ctx.now()
        fetched, parsed = await read_feed(fetcher_for(self.bot, feed=True), link, now)
        assert parsed is not None
        change = ctx.change(guild.id)
        feed_id, queued = await ctx.act(
            feeds.follow, change, link, target.id, interval, fetched, parsed, now
        )
        self.dispatcher.wake()
        title = plain(parsed.title or link)
        await ctx.send_text(
            f"Following feed {feed_id}: {title}, read every {_every(interval)}. "
            f"It lists {len(parsed.items)} item(s); the newest {queued} will be posted to "
            f"{target.mention} now, and each new one after, once, with a **Draft** button."
        )

    @staticmethod
    def _check_channel(ctx: BriefingContext, channel: discord.TextChannel) -> None:
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).send_messages:
            raise BadInput(f"I can't post in {channel.mention}; give me Send Messages there first.")
        author = ctx.author
        if isinstance(author, discord.Member):
            seen = channel.permissions_for(author)
            if not (seen.view_channel and seen.send_messages):
                raise BadInput(f"You can't post in {channel.mention} yourself; pick another.")

    @feed.command(name="remove")
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def remove(self, ctx: GuildContext, feed_id: RowId) -> None:
        """Stop following a feed (its posted items stay in the channel)."""
        await ctx.act(feeds.unfollow, ctx.change(ctx.scope), feed_id)
        await ctx.send_text(f"Feed {feed_id} removed; nothing more will be posted from it.")


def _every(interval: timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    return f"{minutes // 60} h" if minutes % 60 == 0 else f"{minutes} min"


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Feeds(bot))
