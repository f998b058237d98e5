"""Digest delivery over Discord: the transport the dispatcher (bot/digests.py) is given.

It posts a digest's pages to the server's channel, each with its own nonce, finds the
pages of an interrupted digest that got out, and turns a channel that is gone or closed
to the bot (NotFound, Forbidden, missing permissions) into ChannelGone, which turns the
server's digest off with that reason. What was delivered is recorded by the dispatcher.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from bot import pictures
from bot.answers import Answer
from bot.digests import ChannelGone, DigestDispatcher, Posted, nonce_for
from bot.feedmodels import Feed, FeedItem
from bot.feeds import FeedDispatcher
from bot.fetch import Fetcher
from bot.models import Delivery, DigestSubscription
from bot.pacing import Pacer
from bot.pictures import with_picture
from bot.render.embeds import render_pages
from bot.views import DigestButton, QuotesButton, quotes_custom_id

if TYPE_CHECKING:
    from bot.core import BriefingBot

PAGE = re.compile(r"Page (\d+)/\d+")
PICTURE_TITLE = "Meetings in this digest"
HISTORY_LIMIT = 100  # messages looked through for an interrupted digest's pages
HISTORY_SLACK = timedelta(minutes=1)  # looked for from this long before the claim


def footer_ref(nonce: str) -> str:
    return f"ref {nonce[:10]}"


# Makes the picture of a digest's meetings (bot.pictures), or None.
DigestPicture = Callable[[DigestSubscription, Answer], Awaitable[bytes | None]]


async def no_picture(sub: DigestSubscription, answer: Answer) -> bytes | None:
    return None


async def postable_channel(
    client: discord.Client, channel_id: int, guild_id: int
) -> discord.abc.Messageable:
    """The channel of server `guild_id` that the bot may post embeds in, or ChannelGone
    saying why not (deleted, hidden, another server's, not for messages, no permission).
    Digests and feed posts both go through here."""
    channel = client.get_channel(channel_id)
    if channel is None:
        try:
            channel = await client.fetch_channel(channel_id)
        except discord.NotFound:
            raise ChannelGone(f"channel {channel_id} was deleted") from None
        except discord.Forbidden:
            raise ChannelGone(f"the bot can no longer see <#{channel_id}>") from None
    if (
        not isinstance(channel, discord.abc.GuildChannel | discord.Thread)
        or channel.guild.id != guild_id
    ):
        raise ChannelGone(f"channel {channel_id} is not in this server")
    if not isinstance(channel, discord.abc.Messageable):
        raise ChannelGone(f"channel {channel_id} is not one messages can be posted in")
    if channel.guild.me is not None:
        permissions = channel.permissions_for(channel.guild.me)
        if not (permissions.send_messages and permissions.embed_links):
            raise ChannelGone(f"the bot may no longer post embeds in <#{channel_id}>")
    return channel


def digest_view(answer: Answer) -> discord.ui.View | None:
    """The buttons under a posted digest, stateless (they work after a restart):
    Quotes for the lines it shows, Show all for the rest; None if neither applies."""
    items: list[discord.ui.Item] = []
    if (custom_id := quotes_custom_id(answer)) is not None:
        items.append(QuotesButton(custom_id))
    if (rest := DigestButton.for_answer(answer)) is not None:
        items.append(rest)
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    view.stop()  # dispatched by custom_id pattern, never tracked per message
    return view


class ChannelPoster:
    """Posts digests with `client` and finds what it posted. `picture` draws the
    digest's meetings for its first page."""

    def __init__(self, client: discord.Client, picture: DigestPicture = no_picture) -> None:
        self.client = client
        self.picture = picture

    async def channel(self, sub: DigestSubscription) -> discord.abc.Messageable:
        return await postable_channel(self.client, sub.channel_id, sub.guild_id)

    async def post(
        self,
        sub: DigestSubscription,
        answer: Answer,
        claim: Delivery,
        pacer: Pacer,
        posted: Posted,
    ) -> int:
        """Post a digest page by page, skipping pages already posted; each page has its
        own nonce, so a page sent twice is still posted once. Returns the first page's id."""
        channel = await self.channel(sub)
        answer.footer_note = f"Daily digest · {footer_ref(claim.nonce)}"
        ids = dict(posted)
        # The first page shows the digest's meetings as a picture; its nonce is the same
        # with or without it, so a retried first page is still posted once.
        image = await self.picture(sub, answer) if 0 not in ids else None
        buttons = digest_view(answer)
        quotes = buttons is not None and any(isinstance(i, QuotesButton) for i in buttons.children)
        pages = render_pages(answer, quotes_button=quotes)
        for number, page in enumerate(pages):
            if number in ids:
                continue
            await pacer.acquire()
            nonce = nonce_for(sub.guild_id, claim.local_day, number)
            embed, extra = with_picture(page.embed, image if number == 0 else None)
            if buttons is not None and number == len(pages) - 1:  # under the whole digest
                extra["view"] = buttons
            try:
                message = await channel.send(embed=embed, nonce=nonce, **extra)
            except discord.NotFound:
                raise ChannelGone(f"channel {sub.channel_id} was deleted") from None
            except discord.Forbidden:
                raise ChannelGone(f"the bot may no longer post in <#{sub.channel_id}>") from None
            ids[number] = message.id
        return ids[0]

    async def find_posted(self, sub: DigestSubscription, claim: Delivery) -> Posted:
        """After a crash or a failed send: the pages of this digest that got out."""
        channel = await self.channel(sub)
        after = discord.Object(discord.utils.time_snowflake(claim.at - HISTORY_SLACK))
        ref = footer_ref(claim.nonce)
        me = self.client.user
        found: Posted = {}
        async for message in channel.history(limit=HISTORY_LIMIT, after=after):
            if me is None or message.author.id != me.id:
                continue
            for embed in message.embeds:
                footer = embed.footer.text or ""
                if ref in footer:
                    page = PAGE.search(footer)
                    found[int(page.group(1)) - 1 if page else 0] = message.id
        return found


def feed_dispatcher(
    bot: BriefingBot,
    fetcher: Callable[[], Fetcher],
    post: Callable[[Feed, FeedItem], Awaitable[int]],
    find_posted: Callable[[Feed, FeedItem], Awaitable[int | None]],
    tell: Callable[[Feed, str], Awaitable[None]],
) -> FeedDispatcher:
    """The feed dispatcher for `bot`: its store and clock, posting through the cog."""
    return FeedDispatcher(bot.store, fetcher, post, find_posted, tell, bot.clock)


def discord_dispatcher(bot: BriefingBot, on_disabled: Callable[[int], None]) -> DigestDispatcher:
    """The digest dispatcher for `bot`: its store, its clock, and delivery through it.
    `on_disabled` is told the server whose digest the bot turned off."""

    async def picture(sub: DigestSubscription, answer: Answer) -> bytes | None:
        return await pictures.timeline_picture(
            bot.store, answer, sub.guild_id, bot.clock(), title=PICTURE_TITLE, tz=sub.tz
        )

    poster = ChannelPoster(bot, picture)
    return DigestDispatcher(
        bot.store,
        poster.post,
        poster.find_posted,
        bot.clock,
        pacer=Pacer(),
        on_disabled=on_disabled,
        stale_after=bot.config.stale_after,
    )


def take_this_processs_shards(dispatcher: DigestDispatcher, bot: BriefingBot) -> None:
    """Once connected (when the shard count is known): deliver only the servers of the
    shards this process runs, at its share of the bot's rate limit (its shards over
    all shards), since Discord's limit is per bot, not per process."""
    dispatcher.owns = bot.owns_guild
    dispatcher.pacer = Pacer.share(bot.shard_share())
