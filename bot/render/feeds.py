"""How a feed item, a paused feed and the feed list look on Discord.

Everything here comes from feeds and pages, which anyone can write: it is shown as
plain text (markdown escaped; mentions are disabled for every message the bot sends).
"""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlsplit

import discord

from bot.feedmodels import Feed, FeedItem

DRAFT_PREFIX = "feed:draft:"


def plain(text: str | None) -> str:
    """Shown as typed: no markdown, and nothing that even looks like a mention."""
    return discord.utils.escape_mentions(discord.utils.escape_markdown(text or ""))


def _date(published: str | None) -> str:
    if not published:
        return "date not given"
    try:
        moment = datetime.fromisoformat(published)
    except ValueError:
        return published
    return f"{moment.day} {moment:%B %Y}"


def source_name(feed: Feed, item: FeedItem) -> str:
    host = urlsplit(item.link or feed.url).hostname or ""
    return feed.title or host or "this feed"


def item_embed(feed: Feed, item: FeedItem) -> discord.Embed:
    """'New article: title, source, date', and the link to it."""
    lines = [f"{plain(source_name(feed, item))} · {_date(item.published)}"]
    if item.link:
        lines.append(f"<{item.link}>")
    lines.append("**Draft** fetches the article and opens the review queue (moderators).")
    embed = discord.Embed(
        title=f"New article: {plain(item.title)}"[:256],
        description="\n".join(lines),
        colour=discord.Colour.blurple(),
    )
    embed.set_footer(text=f"Feed {feed.id} · item {item.id}")
    return embed


def paused_text(feed: Feed, reason: str) -> str:
    return (
        f"Note for moderators: feed {feed.id} ({plain(feed.title or feed.url)}) is paused "
        f"because {plain(reason)}. `feed add {feed.url}` resumes it; `feed remove {feed.id}` "
        "stops following it."
    )


def feed_line(feed: Feed) -> str:
    every = feed.interval_seconds // 60
    interval = f"every {every // 60} h" if every % 60 == 0 else f"every {every} min"
    status = "active"
    if feed.paused:
        status = f"**paused**: {plain(feed.paused_reason)}"
    elif feed.failing_since:
        status = f"failing since {feed.failing_since:%Y-%m-%d %H:%M} UTC ({plain(feed.last_error)})"
    polled = f"{feed.polled_at:%Y-%m-%d %H:%M} UTC" if feed.polled_at else "not yet"
    title = plain(feed.title) or "untitled"
    return (
        f"**{feed.id}** · {title} · <{feed.url}> → <#{feed.channel_id}>, {interval}; "
        f"last read {polled}; {status}"
    )
