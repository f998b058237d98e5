"""Buttons under an answer: turn pages, and show the verbatim quotes behind a page."""

from __future__ import annotations

import contextlib
import re
from collections import OrderedDict
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, cast

import discord

from bot import briefing
from bot.answers import Answer, Asker
from bot.briefing import anchor
from bot.checks import limiter
from bot.errors import BriefingError
from bot.flags import ID_MAX
from bot.render.embeds import Page, folded_answer, render_pages

if TYPE_CHECKING:
    from bot.core import BriefingBot

TIMEOUT = 600
MENU_FROM = 3  # pages: an answer this long also gets a menu to jump to a page
MENU_OPTIONS = 25  # Discord's most options in one select menu
# Paging views alive at once at most: each holds its answer's pages for TIMEOUT seconds,
# so without a bound, many members asking for long answers would pin memory for ten
# minutes. Past it the oldest stops; its buttons then say they expired.
LIVE_PAGES_KEPT = 2000


class LivePages:
    """The messages whose page buttons a running AnswerView answers (the errors cog
    tells clicks on any other that the buttons expired), at most `limit` in all.

    Past the limit, the scope (a server, or None for DMs) holding the most live pages
    gives up its oldest: a server flooding the bot with long answers expires its own
    buttons, never a quieter server's."""

    def __init__(self, limit: int = LIVE_PAGES_KEPT) -> None:
        self.limit = limit
        self._scopes: dict[int | None, OrderedDict[int, AnswerView]] = {}
        self._scope_of: dict[int, int | None] = {}  # message id -> its scope

    def __contains__(self, message_id: object) -> bool:
        return message_id in self._scope_of

    def __len__(self) -> int:
        return len(self._scope_of)

    def add(self, view: AnswerView, message_id: int, scope: int | None = None) -> None:
        self.discard(message_id)
        self._scopes.setdefault(scope, OrderedDict())[message_id] = view
        self._scope_of[message_id] = scope
        while len(self._scope_of) > self.limit:
            self._push_out_oldest_of_largest()

    def discard(self, message_id: int) -> None:
        scope = self._scope_of.pop(message_id, None)
        views = self._scopes.get(scope)
        if views is not None and views.pop(message_id, None) is not None and not views:
            del self._scopes[scope]

    def _push_out_oldest_of_largest(self) -> None:
        largest = max(self._scopes.values(), key=len)
        message_id, oldest = next(iter(largest.items()))
        self.discard(message_id)
        oldest.stop()  # no longer listens; discord.py forgets it


class AnswerView(discord.ui.View):
    """Pagination for one answer. Anyone may read the quotes; only the asker turns pages
    (with the buttons, or the menu of pages an answer of MENU_FROM pages or more has)."""

    def __init__(
        self, answer: Answer, pages: list[Page], owner_id: int, live: LivePages | None = None
    ) -> None:
        """`live`: the bot's messages whose buttons a running view answers; this view is
        in it from `sent` until it times out or is pushed out (see cogs/errors.py)."""
        super().__init__(timeout=TIMEOUT)
        self.answer = answer
        self.pages = pages
        self.owner_id = owner_id
        self.live = live if live is not None else LivePages()
        self.index = 0
        self.message: discord.Message | None = None
        if len(pages) < 2:
            self.remove_item(self.previous_page)
            self.remove_item(self.next_page)
        if not answer.refs:
            self.remove_item(self.show_quotes)
        self.menu: discord.ui.Select | None = None
        if len(pages) >= MENU_FROM:
            self.menu = discord.ui.Select(custom_id="answer:page", placeholder="Go to page…", row=1)
            self.menu.callback = self._pick  # type: ignore[method-assign]
            self.add_item(self.menu)
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
        if self.menu is not None:
            self.menu.options = self._page_options()

    def _page_options(self) -> list[discord.SelectOption]:
        """At most MENU_OPTIONS pages, around the one shown, each labelled by what is on
        it; the one shown is the menu's default."""
        first = max(0, min(self.index - MENU_OPTIONS // 2, len(self.pages) - MENU_OPTIONS))
        return [
            discord.SelectOption(
                label=f"Page {number + 1}",
                value=str(number),
                description=(self.pages[number].label or "")[:100] or None,
                default=number == self.index,
            )
            for number in range(first, min(len(self.pages), first + MENU_OPTIONS))
        ]

    async def _refuse_others(self, interaction: discord.Interaction) -> bool:
        """True (and a private note said) when someone other than the asker tries to turn
        the pages."""
        if interaction.user.id == self.owner_id:
            return False
        await interaction.response.send_message(
            "Only the person who asked can turn these pages; ask your own question to get a copy.",
            ephemeral=True,
        )
        return True

    async def _turn(self, interaction: discord.Interaction, step: int) -> None:
        await self._show(interaction, self.index + step)

    async def _show(self, interaction: discord.Interaction, index: int) -> None:
        if await self._refuse_others(interaction):
            return
        self.index = max(0, min(len(self.pages) - 1, index))
        self._update_buttons()
        await interaction.response.edit_message(embed=self.pages[self.index].embed, view=self)

    async def _pick(self, interaction: discord.Interaction) -> None:
        """A page picked in the menu (a forged value that is no page number stays put)."""
        data = cast(dict[str, Any], interaction.data or {})
        values = data.get("values") or [""]
        picked = str(values[0])[:4]
        await self._show(interaction, int(picked) if picked.isdigit() else self.index)

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
        covers = f"page {self.index + 1} of {len(self.pages)}" if len(self.pages) > 1 else ""
        quotes = briefing.page_quotes(self.answer, self.pages[self.index].markers, covers)
        pages = render_pages(quotes)
        # One embed per message keeps each within the 6000-character limit.
        await interaction.response.send_message(embed=pages[0].embed, ephemeral=True)
        for page in pages[1:]:
            await interaction.followup.send(embed=page.embed, ephemeral=True)

    def sent(self, message: discord.Message) -> None:
        """The view went out with `message`: its buttons are answered from now on."""
        self.message = message
        guild = getattr(message, "guild", None)
        self.live.add(self, message.id, guild.id if guild is not None else None)

    async def on_timeout(self) -> None:
        if self.message is not None:
            self.live.discard(self.message.id)
            with contextlib.suppress(discord.HTTPException):  # the message may be gone
                await self.message.edit(view=None)


QUOTES_PREFIX = "quotes:"
CUSTOM_ID_MAX = 100


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
        asker = Asker(interaction.guild_id, bot.clock())
        answer = await bot.act(briefing.cited_quotes, asker, cited_items(self.items))
        # Dated like every answer: the quotes' sources may be old.
        anchor(answer, bot.clock(), bot.config.stale_after)
        await interaction.response.send_message(embed=render_pages(answer)[0].embed, ephemeral=True)


def cited_items(items: list[str]) -> list[tuple[str, int]]:
    """The (kind, row id) pairs a Quotes button's custom_id names ('f12' -> ("f", 12));
    anything else is skipped, and at most QUOTED_ROWS_MAX are looked up."""
    out = []
    for item in items[: briefing.QUOTED_ROWS_MAX]:
        number = row_id(item[1:])
        if item[:1] in {"f", "m", "e"} and number is not None:
            out.append((item[:1], number))
    return out


def row_id(digits: str) -> int | None:
    """A fact or meeting number from a button's custom_id, if it is one (a forged id may
    hold any digits: beyond ID_MAX it is no row of ours, and SQLite could not bind it)."""
    if not digits.isdigit() or len(digits) > len(str(ID_MAX)):
        return None
    number = int(digits)
    return number if 1 <= number <= ID_MAX else None


def quotes_view(answer: Answer) -> discord.ui.View | None:
    """A view of stateless items only: the Quotes button (if the answer's citations fit
    in its custom_id), the menu of folded sections, suggestion buttons; None if none."""
    custom_id = quotes_custom_id(answer)
    items: list[discord.ui.Item] = [QuotesButton(custom_id)] if custom_id else []
    if (menu := FoldedMenu.for_answer(answer)) is not None:
        items.append(menu)
    items += [SuggestButton(name, entity_id) for name, entity_id in answer.suggested]
    if not items:
        return None
    view = discord.ui.View(timeout=None)
    for item in items:
        view.add_item(item)
    # Its button is dispatched by custom_id pattern: a stopped view is never tracked, so
    # the same one can go out with any number of messages.
    view.stop()
    return view


FOLDED_SUBJECTS = ("who", "sanctions")


class FoldedMenu(
    discord.ui.DynamicItem[discord.ui.Select],
    template=r"open:(?P<what>who|sanctions):(?P<id>[0-9]{1,16})",
):
    """A menu that opens one folded section of an answer (a profile's views, opinions,
    meetings; the sanctions opinions). Its custom_id names only the subject; the answer
    is rebuilt in the clicker's own scope and shown to them alone, so nothing is kept
    per message and no server's facts reach another."""

    def __init__(self, what: str, subject_id: int, options: list[tuple[str, str]]) -> None:
        select: discord.ui.Select = discord.ui.Select(
            custom_id=f"open:{what}:{subject_id}",
            placeholder="More…",
            options=[discord.SelectOption(label=label[:100], value=key) for label, key in options]
            or [discord.SelectOption(label="More", value="more")],
        )
        super().__init__(select)
        self.what, self.subject_id = what, subject_id

    @classmethod
    def for_answer(cls, answer: Answer) -> FoldedMenu | None:
        folded = [s for s in answer.sections if s.folded and s.lines]
        if answer.subject_id is None or not folded:
            return None
        what = "sanctions" if answer.subject_id == 0 else "who"
        options = [(f"{s.heading} ({len(s.lines)})", s.key) for s in folded][:25]
        return cls(what, answer.subject_id, options)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> FoldedMenu:
        number = int(match["id"]) if match["what"] == "who" else 0
        return cls(match["what"], number, [])

    async def callback(self, interaction: discord.Interaction) -> None:
        data = cast(dict[str, Any], interaction.data or {})
        values = data.get("values") or []
        key = str(values[0])[:40] if values else ""
        opened = await self._open(interaction, key)
        if opened is None:
            await interaction.response.send_message(
                "That part is not in this server's briefing (any more).", ephemeral=True
            )
            return
        await send_private(interaction, opened)

    async def _open(self, interaction: discord.Interaction, key: str) -> Answer | None:
        bot = cast("BriefingBot", interaction.client)
        bot.in_flight.enter()  # a shutdown waits for it
        asker = Asker(interaction.guild_id, bot.clock())
        if self.what == "who":
            if row_id(str(self.subject_id)) is None:
                return None
            try:
                answer = await bot.act(briefing.who_by_id, asker, self.subject_id)
            except BriefingError:
                return None
        else:
            answer = await bot.act(briefing.sanctions, asker)
        anchor(answer, asker.now, bot.config.stale_after)
        return folded_answer(answer, key)


class SuggestButton(
    discord.ui.DynamicItem[discord.ui.Button], template=r"suggest:(?P<id>[0-9]{1,16})"
):
    """ "Did you mean Kim Jong Un?" as a button that answers `who` for that entity, for
    the clicker, in their own server's scope; its custom_id holds only the entity id."""

    def __init__(self, name: str, entity_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=name[:80] or "Open",
                style=discord.ButtonStyle.secondary,
                custom_id=f"suggest:{entity_id}",
            )
        )
        self.entity_id = entity_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> SuggestButton:
        return cls(str(getattr(item, "label", None) or ""), int(match["id"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("BriefingBot", interaction.client)
        bot.in_flight.enter()  # a shutdown waits for it
        asker = Asker(interaction.guild_id, bot.clock())
        if row_id(str(self.entity_id)) is None:
            await interaction.response.send_message("No such entry.", ephemeral=True)
            return
        try:
            answer = await bot.act(briefing.who_by_id, asker, self.entity_id)
        except BriefingError as error:
            await interaction.response.send_message(str(error), ephemeral=True)
            return
        anchor(answer, asker.now, bot.config.stale_after)
        await send_private(interaction, answer)


async def send_private(interaction: discord.Interaction, answer: Answer) -> None:
    """`answer` to the one who pressed, privately: one page with its stateless items
    (Quotes, menus), or pages they alone turn, with the same Quotes panel as any answer."""
    bot = cast("BriefingBot", interaction.client)
    pages = render_pages(answer)
    if len(pages) == 1:
        light = quotes_view(answer)
        if light is None:
            await interaction.response.send_message(embed=pages[0].embed, ephemeral=True)
        else:
            await interaction.response.send_message(
                embed=pages[0].embed, view=light, ephemeral=True
            )
        return
    view = AnswerView(answer, pages, interaction.user.id, bot.live_pages)
    await interaction.response.send_message(embed=pages[0].embed, view=view, ephemeral=True)
    view.sent(await interaction.original_response())


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = timedelta(microseconds=1)
DIGEST_PREFIX = "digest:"
# Another process may have posted the digest by a clock a little ahead of this one's.
CLOCK_SLACK = timedelta(minutes=5)


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // MICROSECOND


def digest_custom_id(answer: Answer) -> str | None:
    """A posted digest's Show all button: its window (microseconds since 1970, exact)
    and its day, 'digest:<since>:<until>:<yyyymmdd>'; None when nothing is left to show.
    No server id: the button answers in the presser's own server, whatever it says."""
    if answer.window is None or answer.day is None or not answer.rest:
        return None
    since, until = answer.window
    return f"{DIGEST_PREFIX}{_micros(since)}:{_micros(until)}:{answer.day:%Y%m%d}"


@dataclass(frozen=True, slots=True)
class DigestWindow:
    since: datetime
    until: datetime
    day: date


def digest_window(custom_id: str, now: datetime) -> DigestWindow | None:
    """The window a (possibly forged) Show all custom_id names, or None if it names
    none: at most 17 digits a time (the template), the start before the end, the end
    not after now (give or take another process's clock: CLOCK_SLACK), a real day."""
    found = DIGEST_ID.fullmatch(custom_id[:CUSTOM_ID_MAX])
    if found is None:
        return None
    try:
        since = EPOCH + int(found["since"]) * MICROSECOND
        until = EPOCH + int(found["until"]) * MICROSECOND
        day = datetime.strptime(found["day"], "%Y%m%d").date()
    except (OverflowError, ValueError):
        return None
    if since > until or until > now + CLOCK_SLACK:
        return None
    return DigestWindow(since, until, day)


DIGEST_ID = re.compile(r"digest:(?P<since>[0-9]{1,17}):(?P<until>[0-9]{1,17}):(?P<day>[0-9]{8})")


class DigestButton(discord.ui.DynamicItem[discord.ui.Button], template=DIGEST_ID.pattern):
    """Under a posted digest: shows the whole digest (the items its summary left out
    too) to the member who pressed, privately and paged. Its custom_id holds only the
    digest's window and day, so it keeps working after a restart; the digest is built
    again for the presser's own server, so no server sees another's facts, whatever
    the custom_id says."""

    def __init__(self, custom_id: str, label: str = "Show all") -> None:
        super().__init__(
            discord.ui.Button(
                label=label[:80], style=discord.ButtonStyle.secondary, custom_id=custom_id
            )
        )
        self.custom_id = custom_id

    @classmethod
    def for_answer(cls, answer: Answer) -> DigestButton | None:
        custom_id = digest_custom_id(answer)
        if custom_id is None:
            return None
        return cls(custom_id, f"Show all ({answer.rest} more)")

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> DigestButton:
        return cls(match.string, str(getattr(item, "label", None) or "Show all"))

    async def callback(self, interaction: discord.Interaction) -> None:
        bot = cast("BriefingBot", interaction.client)
        bot.in_flight.enter()  # a shutdown waits for it
        now = bot.clock()
        window = digest_window(self.custom_id, now)
        if window is None or interaction.guild_id is None:
            await interaction.response.send_message(
                "That is not a digest of this server's.", ephemeral=True
            )
            return
        # A whole digest is the heaviest thing a button builds: it counts as a read
        # command in the member's shared bucket.
        wait = limiter(bot, "read").hit(interaction.user.id)
        if wait:
            await interaction.response.send_message(
                f"You're asking a bit fast; try again in {wait:.0f}s.", ephemeral=True
            )
            return
        asker = Asker(interaction.guild_id, now)
        answer = await bot.act(
            briefing.digest_again,
            asker,
            window.since,
            window.until,
            window.day,
            bot.config.stale_after,
        )
        await send_private(interaction, answer)
