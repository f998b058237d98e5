"""Daily digests: `digest set|off|status|preview|now` for moderators, and the dispatcher
that posts each server's digest at its local time."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from dataclasses import replace
from datetime import datetime, timedelta
from datetime import time as dt_time

import discord
from discord.ext import commands

from bot import briefing
from bot.briefing import Answer
from bot.checks import is_moderator, moderator_cooldown, moderator_only
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.dates import parse_clock, zone
from bot.digests import ChannelGone, DigestDispatcher, Posted, nonce_for
from bot.errors import BadInput, BriefingError
from bot.models import Delivery, DigestSubscription
from bot.pacing import Pacer
from bot.render.embeds import render_pages
from bot.schedule import local_day, next_due, rezoned_last_day
from bot.views import AnswerView

log = logging.getLogger(__name__)


PAGE = re.compile(r"Page (\d+)/\d+")


def footer_ref(nonce: str) -> str:
    return f"ref {nonce[:10]}"


def stamp(moment: datetime) -> str:
    seconds = int(moment.timestamp())
    return f"<t:{seconds}:F> (<t:{seconds}:R>)"


def proposed_setting(
    earlier: DigestSubscription | None,
    guild_id: int,
    channel_id: int,
    when: dt_time,
    zone_name: str,
    now: datetime,
) -> DigestSubscription:
    """The setting `digest set` is about to store, as the store will store it, so that
    its schedule is checked before anything is saved."""
    if earlier is None:
        return DigestSubscription(guild_id, channel_id, when, zone_name, True, now, now)
    return replace(
        earlier,
        channel_id=channel_id,
        local_time=when,
        tz=zone_name,
        enabled=True,
        active_from=now,
        last_sent_day=rezoned_last_day(earlier, zone_name),
    )


def next_line(sub: DigestSubscription, now: datetime) -> str:
    try:
        return f"Next: {stamp(next_due(sub, now))}."
    except (BriefingError, ValueError, OverflowError):  # a stored setting this bot can't use
        return "Next: the stored schedule can't be worked out; set it again with `digest set`."


class Digest(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.untold: set[int] = set()
        self.dispatcher = DigestDispatcher(
            bot.store,
            self.post,
            self.find_posted,
            bot.clock,
            pacer=Pacer(),
            on_disabled=self.untold.add,
            stale_after=bot.config.stale_after,
        )
        self._task: asyncio.Task | None = None

    async def cog_load(self) -> None:
        self.untold = await self.bot.store.untold_digest_problems()
        self.dispatcher.on_disabled = self.untold.add
        if self.bot.run_digests:
            self._task = asyncio.create_task(self._run_when_ready(), name="digest-dispatcher")

    async def cog_unload(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run_when_ready(self) -> None:
        await self.bot.wait_until_ready()
        await self.dispatcher.run_forever()

    # --- posting ------------------------------------------------------------------

    async def _channel(self, sub: DigestSubscription) -> discord.abc.Messageable:
        channel = self.bot.get_channel(sub.channel_id)
        if channel is None:
            try:
                channel = await self.bot.fetch_channel(sub.channel_id)
            except discord.NotFound:
                raise ChannelGone(f"channel {sub.channel_id} was deleted") from None
            except discord.Forbidden:
                raise ChannelGone(f"the bot can no longer see channel {sub.channel_id}") from None
        guild = getattr(channel, "guild", None)
        if guild is not None and guild.me is not None:
            permissions = channel.permissions_for(guild.me)  # type: ignore[union-attr]
            if not (permissions.send_messages and permissions.embed_links):
                raise ChannelGone(f"the bot may no longer post embeds in <#{sub.channel_id}>")
        return channel  # type: ignore[return-value]

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
        channel = await self._channel(sub)
        answer.footer_note = f"Daily digest · {footer_ref(claim.nonce)}"
        ids = dict(posted)
        for number, page in enumerate(render_pages(answer, quotes_button=False)):
            if number in ids:
                continue
            await pacer.acquire()
            nonce = nonce_for(sub.guild_id, claim.local_day, number)
            try:
                message = await channel.send(embed=page.embed, nonce=nonce)
            except discord.NotFound:
                raise ChannelGone(f"channel {sub.channel_id} was deleted") from None
            except discord.Forbidden:
                raise ChannelGone(f"the bot may no longer post in <#{sub.channel_id}>") from None
            ids[number] = message.id
        return ids[0]

    async def find_posted(self, sub: DigestSubscription, claim: Delivery) -> Posted:
        """After a crash or a failed send: the pages of this digest that got out."""
        channel = await self._channel(sub)
        after = discord.Object(discord.utils.time_snowflake(claim.at - timedelta(minutes=1)))
        ref = footer_ref(claim.nonce)
        found: Posted = {}
        async for message in channel.history(limit=100, after=after):  # type: ignore[attr-defined]
            if self.bot.user is None or message.author.id != self.bot.user.id:
                continue
            for embed in message.embeds:
                footer = embed.footer.text or ""
                if ref in footer:
                    page = PAGE.search(footer)
                    found[int(page.group(1)) - 1 if page else 0] = message.id
        return found

    # --- telling moderators about a digest the bot turned off -----------------------

    @commands.Cog.listener()
    async def on_command_completion(self, ctx: BriefingContext) -> None:
        if ctx.guild is None or ctx.guild.id not in self.untold or not await is_moderator(ctx):
            return
        sub = await ctx.store.digest(ctx.guild.id)
        self.untold.discard(ctx.guild.id)
        await ctx.store.mark_reason_told(ctx.guild.id)
        if sub is None or sub.enabled or not sub.disabled_reason:
            return
        text = (
            f"Note for moderators: the daily digest was turned off because "
            f"{sub.disabled_reason}. Set it again with `digest set`."
        )
        if ctx.interaction is not None:
            await ctx.interaction.followup.send(text, ephemeral=True)
        else:
            await ctx.send(text)

    # --- commands -----------------------------------------------------------------

    @commands.hybrid_group(name="digest", fallback="status", invoke_without_command=True)
    @commands.guild_only()
    @moderator_only()
    async def digest(self, ctx: BriefingContext) -> None:
        """Channel, time, zone, last sent and next due."""
        sub = await ctx.store.digest(ctx.guild.id)  # type: ignore[union-attr]
        if sub is None:
            await ctx.send_text(
                "No daily digest is set. Use `digest set #channel 09:00 Asia/Seoul`."
            )
            return
        lines = [f"Channel: <#{sub.channel_id}>, at {sub.local_time:%H:%M} {sub.tz}."]
        if not sub.enabled:
            why = f" ({sub.disabled_reason})" if sub.disabled_reason else ""
            lines.append(f"Off{why}.")
        else:
            lines.append(next_line(sub, ctx.now()))
        sent = stamp(sub.last_sent_at) if sub.last_sent_at else "never"
        lines.append(f"Last sent: {sent}.")
        await ctx.send_text("\n".join(lines))

    @digest.command(name="set")
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def set_digest(
        self, ctx: BriefingContext, channel: discord.TextChannel, time: str, timezone: str = "UTC"
    ) -> None:
        """Post a daily digest in a channel at a local time, e.g. `#news 9am Asia/Seoul`."""
        when = parse_clock(time)
        zone_name, _ = zone(timezone)
        mine = channel.permissions_for(ctx.author)  # type: ignore[arg-type]
        if not (mine.view_channel and mine.send_messages):
            raise BadInput(
                f"You can't see or post in {channel.mention}, so the digest can't go there "
                "either. Nothing was changed."
            )
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).send_messages:
            raise BadInput(f"I can't post in {channel.mention}; give me Send Messages there first.")
        guild_id = channel.guild.id
        earlier = await ctx.store.digest(guild_id)
        proposed = proposed_setting(earlier, guild_id, channel.id, when, zone_name, ctx.now())
        upcoming = next_due(proposed, ctx.now())  # worked out before anything is saved
        await ctx.store.set_digest(
            channel.guild.id, channel.id, when, zone_name, ctx.change(ctx.scope)
        )
        self.untold.discard(channel.guild.id)
        self.dispatcher.wake()
        await ctx.send_text(
            f"Daily digest set for {channel.mention} at {when:%H:%M} {zone_name}. "
            f"Next: {stamp(upcoming)}."
        )

    @digest.command(name="off")
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def off(self, ctx: BriefingContext) -> None:
        """Stop the daily digest."""
        if await ctx.store.digest(ctx.guild.id) is None:  # type: ignore[union-attr]
            raise BadInput("No daily digest is set here.")
        await ctx.store.disable_digest(ctx.guild.id, None, ctx.change(ctx.scope))  # type: ignore[union-attr]
        self.dispatcher.wake()
        await ctx.send_text("The daily digest is off. `digest set` turns it on again.")

    @digest.command(name="preview", extras={"private": True})
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def preview(self, ctx: BriefingContext) -> None:
        """Today's digest as it would be posted, shown only to you (by DM for `!`)."""
        sub = await ctx.store.digest(ctx.guild.id)  # type: ignore[union-attr]
        since = sub.since if sub else ctx.now() - timedelta(days=1)
        day = local_day(ctx.now(), sub.tz) if sub else None
        answer = await briefing.digest(
            ctx.store, ctx.guild.id, since, ctx.now(), self.bot.config.stale_after, day=day
        )  # type: ignore[union-attr]
        if ctx.interaction is not None:
            await ctx.send_answer(answer, ephemeral=True)
            return
        # One DM whose buttons turn the pages: a long digest as one DM per page was a
        # burst of dozens of messages from one command.
        pages = render_pages(answer)
        view = (
            AnswerView(answer, pages, ctx.author.id) if AnswerView.needed(answer, pages) else None
        )
        try:
            message = await ctx.author.send(embed=pages[0].embed, view=view)
        except discord.Forbidden:
            raise BadInput("I can't DM you; use `/digest preview` to see it privately.") from None
        if view is not None:
            view.message = message
        await ctx.send_text("I've sent you the preview by DM.")

    @digest.command(name="now", extras={"private": True})
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def now(self, ctx: BriefingContext) -> None:
        """Post today's digest now; it counts as today's."""
        sub = await ctx.store.digest(ctx.guild.id)  # type: ignore[union-attr]
        if sub is None or not sub.enabled:
            raise BadInput("No daily digest is set here; use `digest set` first.")
        try:
            posted = await self.dispatcher.send_now(sub)
        except ChannelGone as error:
            raise BadInput(f"I can't post the digest: {error}.") from None
        text = (
            f"Today's digest is posted in <#{sub.channel_id}>."
            if posted
            else "Today's digest was already posted; `digest preview` shows it again."
        )
        await ctx.send_text(text, ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Digest(bot))
