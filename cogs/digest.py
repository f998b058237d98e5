"""Daily digests: `digest set|off|status|preview|now` for moderators. The dispatcher
that posts each server's digest at its local time is bot/digests.py, delivering through
bot/delivery.py; the settings themselves are bot/settings.py."""

from __future__ import annotations

import asyncio
import contextlib

import discord
from discord.ext import commands

from bot import settings
from bot.checks import is_moderator, moderator_cooldown, moderator_only
from bot.context import BriefingContext, GuildContext
from bot.core import BriefingBot
from bot.dates import parse_clock, zone
from bot.delivery import discord_dispatcher, take_this_processs_shards
from bot.digests import ChannelGone
from bot.errors import BadInput
from bot.render.embeds import render_pages
from bot.settings import stamp
from bot.views import AnswerView


class Digest(commands.Cog):
    def __init__(self, bot: BriefingBot) -> None:
        self.bot = bot
        self.untold: set[int] = set()
        self.dispatcher = discord_dispatcher(bot, on_disabled=self.untold.add)
        self._task: asyncio.Task | None = None

    async def cog_load(self) -> None:
        self.untold = await self.bot.act(settings.untold_problems)
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
        take_this_processs_shards(self.dispatcher, self.bot)
        await self.dispatcher.run_forever()

    # --- telling moderators about a digest the bot turned off -----------------------

    @commands.Cog.listener()
    async def on_command_completion(self, ctx: BriefingContext) -> None:
        if ctx.guild is None or ctx.guild.id not in self.untold or not await is_moderator(ctx):
            return
        self.untold.discard(ctx.guild.id)
        text = await ctx.act(settings.take_disabled_note, ctx.guild.id)
        if text is None:
            return
        if ctx.interaction is not None:
            await ctx.interaction.followup.send(text, ephemeral=True)
        else:
            await ctx.send(text)

    # --- commands -----------------------------------------------------------------

    @commands.hybrid_group(name="digest", fallback="status", invoke_without_command=True)
    @commands.guild_only()
    @moderator_only()
    async def digest(self, ctx: GuildContext) -> None:
        """Channel, time, zone, last sent and next due."""
        await ctx.send_text(await ctx.act(settings.digest_status, ctx.guild.id, ctx.now()))

    @digest.command(name="set")
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def set_digest(
        self, ctx: GuildContext, channel: discord.TextChannel, time: str, timezone: str = "UTC"
    ) -> None:
        """Post a daily digest in a channel at a local time, e.g. `#news 9am Asia/Seoul`."""
        when = parse_clock(time)
        zone_name, _ = zone(timezone)
        mine = channel.permissions_for(ctx.author)
        if not (mine.view_channel and mine.send_messages):
            raise BadInput(
                f"You can't see or post in {channel.mention}, so the digest can't go there "
                "either. Nothing was changed."
            )
        me = channel.guild.me
        if me is not None and not channel.permissions_for(me).send_messages:
            raise BadInput(f"I can't post in {channel.mention}; give me Send Messages there first.")
        done = await ctx.act(
            settings.set_digest,
            ctx.change(ctx.scope),
            channel.guild.id,
            channel.id,
            when,
            zone_name,
        )
        self.untold.discard(channel.guild.id)
        self.dispatcher.wake()
        await ctx.send_text(
            f"Daily digest set for {channel.mention} at {when:%H:%M} {zone_name}. "
            f"Next: {stamp(done.upcoming)}."
        )

    @digest.command(name="off")
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def off(self, ctx: GuildContext) -> None:
        """Stop the daily digest."""
        await ctx.act(settings.turn_off_digest, ctx.change(ctx.scope), ctx.guild.id)
        self.dispatcher.wake()
        await ctx.send_text("The daily digest is off. `digest set` turns it on again.")

    @digest.command(name="preview", extras={"private": True})
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def preview(self, ctx: GuildContext) -> None:
        """Today's digest as it would be posted, shown only to you (by DM for `!`)."""
        answer = await ctx.act(
            settings.digest_preview,
            ctx.guild.id,
            ctx.now(),
            self.bot.config.stale_after,
        )
        if ctx.interaction is not None:
            await ctx.send_answer(answer, ephemeral=True)
            return
        # One DM whose buttons turn the pages: a long digest as one DM per page was a
        # burst of dozens of messages from one command.
        pages = render_pages(answer)
        view = (
            AnswerView(answer, pages, ctx.author.id, self.bot.live_pages)
            if AnswerView.needed(answer, pages)
            else None
        )
        try:
            if view is None:
                message = await ctx.author.send(embed=pages[0].embed)
            else:
                message = await ctx.author.send(embed=pages[0].embed, view=view)
        except discord.Forbidden:
            raise BadInput("I can't DM you; use `/digest preview` to see it privately.") from None
        if view is not None:
            view.sent(message)
        await ctx.send_text("I've sent you the preview by DM.")

    @digest.command(name="now", extras={"private": True})
    @commands.guild_only()
    @moderator_only()
    @moderator_cooldown()
    async def now(self, ctx: GuildContext) -> None:
        """Post today's digest now; it counts as today's."""
        sub = await ctx.act(settings.enabled_digest, ctx.guild.id)
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
