"""A review queue's current candidate as a Discord embed (the cog adds the buttons)."""

from __future__ import annotations

import discord

from bot.render.common import escape_markdown
from bot.review import ACCEPTED, PENDING, SKIPPED, Queue
from bot.text import quoted

VALUE_MAX = 1000
STATES = {PENDING: "pending", ACCEPTED: "accepted", SKIPPED: "skipped"}
COLOURS = {
    PENDING: discord.Colour.blurple(),
    ACCEPTED: discord.Colour.green(),
    SKIPPED: discord.Colour.light_grey(),
}


def _plain(text: str, limit: int = VALUE_MAX) -> str:
    """Stored text shown literally (no markdown), cut with a visible mark if long."""
    shown = escape_markdown(text)
    return shown if len(shown) <= limit else shown[: limit - 2] + " …"


def review_embed(queue: Queue, source_title: str, note: str = "") -> discord.Embed:
    item = queue.current
    counts = queue.counts()
    state = STATES[item.state]
    if item.state == ACCEPTED:
        state = f"accepted as fact {item.fact_id}"
    embed = discord.Embed(
        title=f"Review S{queue.source_id}: candidate {queue.position + 1} of {len(queue.items)}",
        description=_plain(f"{note}\n" if note else "") + f"From *{_plain(source_title, 200)}*.",
        colour=COLOURS[item.state],
    )
    kind = f"**{item.kind}** ({_plain(item.reason, 300)})"
    embed.add_field(name="Kind", value=kind, inline=False)
    embed.add_field(name="Holder", value=_plain(item.holder or "—"), inline=True)
    embed.add_field(name="Subject", value=_plain(item.subject or "— (Edit to give one)"))
    embed.add_field(name="State", value=state, inline=True)
    embed.add_field(name="Statement (draft)", value=_plain(item.statement), inline=False)
    citation = f"{_plain(quoted(item.quote))}\n(characters {item.start}–{item.end})"
    embed.add_field(name="Citation, verbatim", value=citation[:1024], inline=False)
    for reasoning in item.dates[:3]:
        embed.add_field(name="Date (inferred)", value=_plain(reasoning), inline=False)
    more = f" {queue.truncated} more were left out; draft again later." if queue.truncated else ""
    embed.set_footer(
        text=f"{counts[ACCEPTED]} accepted · {counts[SKIPPED]} skipped · "
        f"{counts[PENDING]} pending.{more} Nothing is added until you press Accept."
    )
    return embed
