"""The context every command gets: who is asking, from which server, and how to answer."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar

import discord
from discord.ext import commands

from bot import briefing
from bot.answers import Answer, Asker
from bot.briefing import Builder, anchor
from bot.models import Change
from bot.pictures import with_picture
from bot.render.embeds import Page, render_pages
from bot.views import AnswerView, quotes_view

if TYPE_CHECKING:
    from bot.core import BriefingBot
    from bot.store import Store

P = ParamSpec("P")
T = TypeVar("T")


Picture = Callable[[Answer], Awaitable[bytes | None]]


class BriefingContext(commands.Context):
    if TYPE_CHECKING:
        bot: BriefingBot

    deadline_timer: asyncio.TimerHandle | None = None  # the slash-command deferral timer
    deadline: asyncio.Task | None = None  # the deferral, once the timer fired
    deferring = False  # the timer fired and a deferral is on its way to Discord

    async def settle_deadline(self) -> None:
        """Stop the deferral timer, or, if a deferral is already being sent, wait for it,
        so that what is sent next knows whether the interaction was acknowledged."""
        if self.deadline_timer is not None:
            self.deadline_timer.cancel()
        if self.deadline is None or self.deadline.done():
            return
        if self.deferring:
            await self.deadline
        else:
            self.deadline.cancel()

    async def send(self, *args: Any, **kwargs: Any) -> discord.Message:
        await self.settle_deadline()
        return await super().send(*args, **kwargs)

    async def act(
        self,
        action: Callable[Concatenate[Store, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a moderation or settings function (which takes the store first) for this
        command: cogs hand the work to bot/ and never call the store themselves."""
        return await self.bot.act(action, *args, **kwargs)

    @property
    def scope(self) -> int | None:
        """Whose facts the asker sees: this server's plus shared, or shared only in DMs."""
        return self.guild.id if self.guild else None

    def now(self) -> datetime:
        return self.bot.clock()

    def asker(self) -> Asker:
        """The asker as every read builder sees them: scope, time, prefix."""
        bot = self.bot
        return Asker(self.scope, self.now(), bot.config.prefix, bot.started)

    async def brief(
        self,
        builder: Builder,
        *args: Any,
        timed: bool = False,
        cached: bool = True,
        ephemeral: bool = False,
        picture: Picture | None = None,
    ) -> None:
        """Answer a read command: `builder(store, asker, *args)`, sent as paged embeds,
        from the bot's answer cache when `cached`. The cache key is made from the same
        builder and arguments (briefing.cache_key), with the asker's scope and the day
        (every answer is dated against today: `anchor`); `timed` answers also expire
        when a meeting starts or ends. `picture`: makes a PNG for the answer (or None),
        shown in its first page's embed. (A slow slash answer is deferred by the bot's
        deadline timer; see BriefingBot._start_deadline.)"""
        asker = self.asker()
        if not cached:
            answer = await builder(self.bot.store, asker, *args)
            await self.send_answer(answer, ephemeral=ephemeral)
            return

        async def dated() -> Answer:
            return self.anchored(await builder(self.bot.store, asker, *args), asker.now)

        keep_misses = briefing.keeps_misses(builder)
        ready = await self.bot.answers.get(
            (*briefing.cache_key(builder, args), self.scope, asker.now.date()),
            dated,
            guild_id=self.scope,
            now=asker.now if timed else None,
            keep=lambda answer: keep_misses or answer.found,
        )
        image = await picture(ready.answer) if picture is not None else None
        await self._send_pages(
            ready.answer, ready.pages, ephemeral=ephemeral, quotes=ready.quotes, picture=image
        )

    def change(self, scope: int | None, reason: str = "") -> Change:
        """A write by the asker, to `scope` (a server id, or None for shared facts)."""
        return Change(actor_id=self.author.id, guild_id=scope, at=self.now(), reason=reason)

    async def send_text(self, text: str, *, ephemeral: bool = False) -> None:
        embed = discord.Embed(description=text, colour=discord.Colour.green())
        await self.send(embed=embed, ephemeral=ephemeral)

    def anchored(self, answer: Answer, now: datetime | None = None) -> Answer:
        """The answer with its old lines dated and, if its newest source is old, the
        freshness line (BRIEFING_STALE_AFTER_DAYS)."""
        return anchor(answer, now or self.now(), self.bot.config.stale_after)

    async def send_answer(self, answer: Answer, *, ephemeral: bool = False, note: str = "") -> None:
        answer = self.anchored(answer)
        if note:
            answer.intro = f"{note}\n{answer.intro}".strip()
        await self._send_pages(answer, render_pages(answer), ephemeral=ephemeral)

    async def _send_pages(
        self,
        answer: Answer,
        pages: list[Page],
        *,
        ephemeral: bool = False,
        quotes: discord.ui.View | None = None,
        picture: bytes | None = None,
    ) -> None:
        """Send an answer's first page, with the stateless items (Quotes, the menu of
        folded sections, suggestions) when the answer is one page (`quotes`, if already
        built) or a paging view when it is longer; with `picture` (PNG bytes) shown in
        the first page's embed."""
        first, extra = with_picture(pages[0].embed, picture)
        if len(pages) == 1 and (light := quotes or quotes_view(answer)) is not None:
            await self.send(embed=first, view=light, ephemeral=ephemeral, **extra)
            return
        if not AnswerView.needed(answer, pages):
            await self.send(embed=first, ephemeral=ephemeral, **extra)
            return
        # Page 1 keeps showing the picture when the reader turns back to it.
        shown = [dataclasses.replace(pages[0], embed=first), *pages[1:]]
        view = AnswerView(answer, shown, self.author.id, self.bot.live_pages)
        view.sent(await self.send(embed=first, view=view, ephemeral=ephemeral, **extra))

    async def send_error(self, message: str) -> None:
        """A short error, private to the asker where Discord allows it."""
        embed = discord.Embed(description=message, colour=discord.Colour.red())
        await self.settle_deadline()
        interaction = self.interaction
        if interaction is not None and interaction.response.is_done():
            # After a public defer the first followup replaces the "thinking…" message
            # and cannot be private; remove that message and send the error on its own.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        await self.send(embed=embed, ephemeral=True)


class GuildContext(BriefingContext):
    """The context of a command that runs only in a server (`@commands.guild_only()`):
    the server and the member asking are known. Only the type checker sees the
    difference; at run time every context is a BriefingContext."""

    if TYPE_CHECKING:
        guild: discord.Guild
        author: discord.Member

        @property
        def scope(self) -> int: ...
