"""Buttons under an answer: turn pages, and show the verbatim quotes behind a page."""

from __future__ import annotations

import contextlib

import discord

from bot.briefing import Answer
from bot.render.embeds import Page, quotes_answer, render_pages

TIMEOUT = 600


class AnswerView(discord.ui.View):
    """Pagination for one answer. Anyone may read the quotes; only the asker turns pages."""

    def __init__(self, answer: Answer, pages: list[Page], owner_id: int) -> None:
        super().__init__(timeout=TIMEOUT)
        self.answer = answer
        self.pages = pages
        self.owner_id = owner_id
        self.index = 0
        self.message: discord.Message | None = None
        if len(pages) < 2:
            self.remove_item(self.previous_page)
            self.remove_item(self.next_page)
        if not answer.refs:
            self.remove_item(self.show_quotes)
        self._update_buttons()

    @classmethod
    def needed(cls, answer: Answer, pages: list[Page]) -> bool:
        return len(pages) > 1 or bool(answer.refs)

    def _update_buttons(self) -> None:
        self.previous_page.disabled = self.index == 0
        self.next_page.disabled = self.index >= len(self.pages) - 1

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        if interaction.user.id != self.owner_id:
            await interaction.response.send_message(
                "Only the person who asked can turn these pages; ask your own question to "
                "get a copy.",
                ephemeral=True,
            )
            return
        self.index = max(0, min(len(self.pages) - 1, self.index + step))
        self._update_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index].embed, view=self)

    @discord.ui.button(
        label="◀ Previous", style=discord.ButtonStyle.secondary, custom_id="answer:previous"
    )
    async def previous_page(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, -1)

    @discord.ui.button(label="Next ▶", style=discord.ButtonStyle.secondary, custom_id="answer:next")
    async def next_page(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        await self._turn(interaction, +1)

    @discord.ui.button(label="Quotes", style=discord.ButtonStyle.primary, custom_id="answer:quotes")
    async def show_quotes(self, interaction: discord.Interaction, _: discord.ui.Button) -> None:
        quotes = quotes_answer(self.answer, self.pages[self.index].markers)
        pages = render_pages(quotes)
        # One embed per message keeps each within the 6000-character limit.
        await interaction.response.send_message(embed=pages[0].embed, ephemeral=True)
        for page in pages[1:]:
            await interaction.followup.send(embed=page.embed, ephemeral=True)

    async def on_timeout(self) -> None:
        if self.message is not None:
            with contextlib.suppress(discord.HTTPException):  # the message may be gone
                await self.message.edit(view=None)
