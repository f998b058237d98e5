"""The context every command gets: who is asking, from which server, and how to answer."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable
from datetime import datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands

from bot.briefing import Answer
from bot.models import Change
from bot.render.embeds import render_pages
from bot.views import AnswerView

if TYPE_CHECKING:
    from bot.core import BriefingBot
    from bot.store import Store


class BriefingContext(commands.Context):
    if TYPE_CHECKING:
        bot: BriefingBot

    @property
    def store(self) -> Store:
        return self.bot.store

    @property
    def scope(self) -> int | None:
        """Whose facts the asker sees: this server's plus shared, or shared only in DMs."""
        return self.guild.id if self.guild else None

    def now(self) -> datetime:
        return self.bot.clock()

    async def within_deadline(self, work: Awaitable[Answer]) -> Answer:
        """Run the work; if a slash command's answer is slow, defer so Discord's
        3-second window is met, then answer when it is ready."""
        task = asyncio.ensure_future(work)
        done, _ = await asyncio.wait({task}, timeout=self.bot.defer_after)
        if not done and self.interaction and not self.interaction.response.is_done():
            await self.defer()
        return await task

    async def answer(self, work: Awaitable[Answer], *, ephemeral: bool = False) -> None:
        """Compute an answer (deferring if slow) and send it as paged embeds."""
        result = await self.within_deadline(work)
        await self.send_answer(result, ephemeral=ephemeral)

    def change(self, scope: int | None, reason: str = "") -> Change:
        """A write by the asker, to `scope` (a server id, or None for shared facts)."""
        return Change(actor_id=self.author.id, guild_id=scope, at=self.now(), reason=reason)

    async def send_text(self, text: str, *, ephemeral: bool = False) -> None:
        embed = discord.Embed(description=text, colour=discord.Colour.green())
        await self.send(embed=embed, ephemeral=ephemeral)

    async def send_answer(self, answer: Answer, *, ephemeral: bool = False, note: str = "") -> None:
        if note:
            answer.intro = f"{note}\n{answer.intro}".strip()
        pages = render_pages(answer)
        if not AnswerView.needed(answer, pages):
            await self.send(embed=pages[0].embed, ephemeral=ephemeral)
            return
        view = AnswerView(answer, pages, self.author.id)
        view.message = await self.send(embed=pages[0].embed, view=view, ephemeral=ephemeral)

    async def send_error(self, message: str) -> None:
        """A short error, private to the asker where Discord allows it."""
        embed = discord.Embed(description=message, colour=discord.Colour.red())
        interaction = self.interaction
        if interaction is not None and interaction.response.is_done():
            # After a public defer the first followup replaces the "thinking…" message
            # and cannot be private; remove that message and send the error on its own.
            with contextlib.suppress(discord.HTTPException):
                await interaction.delete_original_response()
            await interaction.followup.send(embed=embed, ephemeral=True)
            return
        await self.send(embed=embed, ephemeral=True)
