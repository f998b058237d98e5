"""Buttons under an answer: turn pages, and show the verbatim quotes behind a page."""

from __future__ import annotations

import contextlib
import re
from typing import TYPE_CHECKING, Any, cast

import discord

from bot.briefing import Answer, Line, Section, anchor
from bot.flags import ID_MAX
from bot.render.embeds import Page, quotes_answer, render_pages
from bot.text import quoted
from bot.usertext import user

if TYPE_CHECKING:
    from bot.core import BriefingBot
    from bot.store import Store

TIMEOUT = 600


class AnswerView(discord.ui.View):
    """Pagination for one answer. Anyone may read the quotes; only the asker turns pages."""

    def __init__(
        self, answer: Answer, pages: list[Page], owner_id: int, live: set[int] | None = None
    ) -> None:
        """`live`: the bot's set of messages whose buttons a running view answers; this
        view is in it from `sent` until it times out (see cogs/errors.py)."""
        super().__init__(timeout=TIMEOUT)
        self.answer = answer
        self.pages = pages
        self.owner_id = owner_id
        self.live = live if live is not None else set()
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

    async def interaction_check(self, interaction: discord.Interaction) -> bool:
        cast("BriefingBot", interaction.client).in_flight.enter()  # a shutdown waits for it
        return True

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

    def sent(self, message: discord.Message) -> None:
        """The view went out with `message`: its buttons are answered from now on."""
        self.message = message
        self.live.add(message.id)

    async def on_timeout(self) -> None:
        if self.message is not None:
            self.live.discard(self.message.id)
            with contextlib.suppress(discord.HTTPException):  # the message may be gone
                await self.message.edit(view=None)


QUOTES_PREFIX = "quotes:"
CUSTOM_ID_MAX = 100
# At most this many items of a (possibly forged) custom_id are looked up: 100 characters
# hold about that many ("f1,f2,…").
QUOTED_ITEMS_MAX = 30


def quotes_custom_id(answer: Answer) -> str | None:
    """The facts and meetings an answer cites, packed into a button's custom_id
    ('quotes:f12,f13,m2,e1'), or None when they do not fit in Discord's 100 characters."""
    items = []
    for ref in answer.refs:
        item = (
            f"f{ref.fact_id}"
            if ref.fact_id
            else f"m{ref.meeting_id}"
            if ref.meeting_id
            else f"e{ref.entity_id}"
            if ref.entity_id
            else ""
        )
        if item and item not in items:
            items.append(item)
    custom_id = QUOTES_PREFIX + ",".join(items)
    return custom_id if items and len(custom_id) <= CUSTOM_ID_MAX else None


class QuotesButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"quotes:(?P<items>[fme0-9,]+)"
):
    """A Quotes button that carries what it cites in its custom_id, so it keeps working
    after a restart and costs no memory per message. Used for one-page answers."""

    def __init__(self, custom_id: str) -> None:
        super().__init__(
            discord.ui.Button(
                label="Quotes", style=discord.ButtonStyle.primary, custom_id=custom_id
            )
        )
        self.items = custom_id.removeprefix(QUOTES_PREFIX).split(",")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> QuotesButton:
        return cls(match.string)  # the whole custom_id: the template matched all of it

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("BriefingBot", interaction.client)
        bot.in_flight.enter()  # a shutdown waits for it
        answer = await bot.act(cited_quotes, self.items, interaction.guild_id)
        anchor(answer, bot.clock(), bot.config.stale_after)
        await interaction.response.send_message(embed=render_pages(answer)[0].embed, ephemeral=True)


async def cited_quotes(store: Store, items: list[str], guild_id: int | None) -> Answer:
    """The verbatim quotes behind the cited facts ('f12'), meetings ('m2') and roles
    ('e1')."""
    answer = Answer(title="Verbatim quotes", intro="Exactly as the source has them.")
    for item in items[:QUOTED_ITEMS_MAX]:
        number = row_id(item[1:])
        if number is None:
            continue
        if item.startswith("e"):
            entity = await store.entity(number)
            if entity is not None:
                answer.cite(entity.role_provenance.citations, entity_id=number)
            continue
        found = (
            await store.fact(number, guild_id)
            if item.startswith("f")
            else await store.meeting(number, guild_id)
        )
        if found is not None:
            fact_id = number if item.startswith("f") else None
            answer.cite(found.citations, fact_id)
    lines = [
        Line(
            f"{user(quoted(ref.quote))} S{ref.source_id}"
            + (f", fact {ref.fact_id}" if ref.fact_id else ""),
            markers=[ref.marker],
        )
        for ref in answer.refs
    ]
    answer.sections = [Section("Quotes", lines)] if lines else []
    if not lines:
        answer.intro = "No quotes to show: what this button cites is not in this server's briefing."
    # Its sources, so that it is dated like every answer: the quotes' sources may be old.
    wanted = {ref.source_id for ref in answer.refs}
    answer.sources = [s for s in await store.sources(guild_id) if s.id in wanted]
    return answer


def row_id(digits: str) -> int | None:
    """A fact or meeting number from a button's custom_id, if it is one (a forged id may
    hold any digits: beyond ID_MAX it is no row of ours, and SQLite could not bind it)."""
    if not digits.isdigit() or len(digits) > len(str(ID_MAX)):
        return None
    number = int(digits)
    return number if 1 <= number <= ID_MAX else None


def quotes_view(answer: Answer) -> discord.ui.View | None:
    """A view holding only the stateless Quotes button, if the answer's citations fit."""
    custom_id = quotes_custom_id(answer)
    if custom_id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(QuotesButton(custom_id))
    # Its button is dispatched by custom_id pattern: a stopped view is never tracked, so
    # the same one can go out with any number of messages.
    view.stop()
    return view
