"""Following RSS and Atom feeds: reading them politely, posting each new item once.

The schedule lives in the store (`feeds.next_poll_at`), so restarts lose nothing. One
dispatcher loop (like the digest's) polls the feeds that are due, a few at a time, each
within the fetch's time cap: a slow, broken or hostile feed delays only itself, and a
row that cannot be handled is logged with its id and pushed back, never stopping the
loop. Polls are conditional (ETag / Last-Modified). A failing feed is retried later and
later; after failing for a whole day it is paused and its review channel is told.

Each new item is claimed ('sending') before it is posted and marked 'posted' after, with
a Discord nonce on the post; an item found 'sending' after a crash is settled by finding
its message in the channel before anything is sent again, so it is posted once.
"""

from __future__ import annotations

import asyncio
import calendar
import hashlib
import io
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from bot import articles
from bot.errors import BadInput, NotFound
from bot.feedmodels import Feed, FeedItem, ItemDraft
from bot.fetch import FEED_TYPES, Fetched, Fetcher, FetchLimits
from bot.models import Change
from bot.moderation import parse_url
from bot.store import Store
from bot.store.feeds import item_key
from bot.text import strip_control
from bot.workers import Workers

log = logging.getLogger(__name__)

MAX_FEEDS_PER_SERVER = 10
MIN_INTERVAL = timedelta(minutes=15)  # per feed: at most 4 polls an hour, 40 a server
DEFAULT_INTERVAL = timedelta(hours=1)
MAX_INTERVAL = timedelta(days=1)
MAX_ITEMS = 100  # entries read from one poll, newest first as feeds list them
BACKLOG = 3  # on a feed's first poll, only the newest few are posted
POSTS_PER_POLL = 10  # more new items wait for the next poll
PAUSE_AFTER = timedelta(days=1)
RETRY_FIRST = timedelta(minutes=5)
RETRY_MAX = timedelta(hours=6)
IDLE_CHECK = timedelta(minutes=5)
CONCURRENT_POLLS = 4
FEED_LIMITS = FetchLimits(max_bytes=5_000_000, total_seconds=30.0)
PARSE_SECONDS = 20.0
TITLE_MAX = 200
_PARSERS = Workers("feedparse", 1)
_TAG = re.compile(r"<[^>]{0,200}>")


class NotAFeed(BadInput):
    """The document is no RSS or Atom feed; safe to show."""


class ChannelGone(Exception):
    """The review channel is deleted, or the bot may no longer post there."""


@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str | None
    items: list[ItemDraft]


def nonce_for(item_id: int) -> str:
    """A stable Discord nonce (at most 25 characters) for one item's post."""
    return hashlib.sha256(f"feed-item:{item_id}".encode()).hexdigest()[:24]


def clean_line(value: object, limit: int = TITLE_MAX) -> str | None:
    """Untrusted feed text: markup and control characters out, one line, bounded."""
    text = _TAG.sub(" ", strip_control(str(value or "")))
    text = " ".join(text.split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _link(value: object) -> str | None:
    text = str(value or "").strip()
    if re.fullmatch(r"https?://[^\s<>\"]{1,490}", text):
        return text
    return None


def _published(entry: Any) -> str | None:
    # dict.get: feedparser's own get() maps missing keys to others, with a warning.
    parsed = dict.get(entry, "published_parsed") or dict.get(entry, "updated_parsed")
    if parsed:
        try:
            return datetime.fromtimestamp(calendar.timegm(parsed), UTC).isoformat()
        except (OverflowError, ValueError, TypeError):
            pass
    return clean_line(dict.get(entry, "published") or dict.get(entry, "updated"), 40)


def parse_feed_sync(body: bytes, content_type: str, base_url: str) -> ParsedFeed:
    """Titles, links, ids and dates of at most MAX_ITEMS entries (feedparser, which is
    given the bytes only: it fetches nothing)."""
    import feedparser

    parsed = feedparser.parse(
        io.BytesIO(body),
        response_headers={"content-type": content_type, "content-location": base_url},
        resolve_relative_uris=False,
        sanitize_html=True,
    )
    if not parsed.get("version") and not parsed.entries:
        raise NotAFeed("That link is not an RSS or Atom feed I can read.")
    items = []
    for entry in parsed.entries[:MAX_ITEMS]:
        title = clean_line(entry.get("title")) or "(untitled)"
        link = _link(entry.get("link"))
        guid = clean_line(entry.get("id"), 500)
        items.append(ItemDraft(item_key(guid, link, title), title, link, _published(entry)))
    return ParsedFeed(clean_line(parsed.feed.get("title")), items)


async def parse_feed(fetched: Fetched) -> ParsedFeed:
    try:
        return await _PARSERS.run(
            PARSE_SECONDS, parse_feed_sync, fetched.body, fetched.content_type, fetched.final_url
        )
    except TimeoutError:
        raise NotAFeed("That feed took too long to read.") from None


async def read_feed(
    fetcher: Fetcher, url: str, now: datetime, feed: Feed | None = None
) -> tuple[Fetched, ParsedFeed | None]:
    """Fetch a feed (conditionally, if `feed` was read before) and parse it; None when
    the server says nothing changed."""
    fetched = await fetcher.fetch(
        url,
        FEED_TYPES,
        now,
        etag=feed.etag if feed else None,
        last_modified=feed.last_modified if feed else None,
    )
    if fetched.not_modified:
        return fetched, None
    return fetched, await parse_feed(fetched)


def parse_interval(text: str | None) -> timedelta:
    """`30m`, `2h`, `1d` or minutes as a number; within MIN_INTERVAL..MAX_INTERVAL."""
    if not text:
        return DEFAULT_INTERVAL
    match = re.fullmatch(r"\s*(\d{1,5})\s*(m|min|minutes?|h|hours?|d|days?)?\s*", text.lower())
    if not match:
        raise BadInput("Give the polling interval as e.g. `30m`, `2h` or `1d`.")
    number, unit = int(match.group(1)), (match.group(2) or "m")[0]
    interval = timedelta(minutes=number) * {"m": 1, "h": 60, "d": 1440}[unit]
    if not MIN_INTERVAL <= interval <= MAX_INTERVAL:
        raise BadInput("Feeds are read at most every 15 minutes and at least once a day.")
    return interval


def back_off(feed: Feed) -> timedelta:
    """After the n-th failure in a row: the interval (at least 5 min), doubled n-1 times,
    at most 6 hours."""
    base = max(RETRY_FIRST, timedelta(seconds=feed.interval_seconds))
    return min(RETRY_MAX, base * 2 ** min(feed.failures, 10))


# --- the dispatcher ------------------------------------------------------------------

Post = Callable[[Feed, FeedItem], Awaitable[int]]
FindPosted = Callable[[Feed, FeedItem], Awaitable[int | None]]
Tell = Callable[[Feed, str], Awaitable[None]]


@dataclass
class PollReport:
    polled: list[int] = field(default_factory=list)
    posted: list[int] = field(default_factory=list)  # item ids
    failed: list[int] = field(default_factory=list)
    paused: list[int] = field(default_factory=list)


class FeedDispatcher:
    """Polls due feeds and posts their new items. `post` sends an item to its feed's
    review channel and returns the message id (raising ChannelGone); `find_posted`
    looks for an item's message after a crash; `tell` tells the review channel why a
    feed was paused."""

    def __init__(
        self,
        store: Store,
        fetcher: Callable[[], Fetcher],
        post: Post,
        find_posted: FindPosted,
        tell: Tell,
        clock: Callable[[], datetime],
        owns: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        self.store = store
        # Whether this process runs the feed's server's shard: processes sharing one
        # store each poll and post only their own servers' feeds.
        self.owns = owns
        self.fetcher = fetcher
        self.post = post
        self.find_posted = find_posted
        self.tell = tell
        self.clock = clock
        self.slots = asyncio.Semaphore(CONCURRENT_POLLS)
        self._wake = asyncio.Event()
        self._locks: dict[int, asyncio.Lock] = {}  # one poll per feed at a time

    def wake(self) -> None:
        self._wake.set()

    async def run(self) -> None:
        try:
            await self.recover()
        except Exception:
            log.exception("feed recovery failed; polling goes on")
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("feed tick failed; trying again shortly")
            await self._sleep()

    async def _sleep(self) -> None:
        now = self.clock()
        upcoming = await self.store.next_poll_time()
        until = min(upcoming or now + IDLE_CHECK, now + IDLE_CHECK)
        self._wake.clear()
        try:
            async with asyncio.timeout(max(0.5, (until - self.clock()).total_seconds())):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def recover(self) -> PollReport:
        """At start: post what a crash left queued or half-posted, without polling."""
        report = PollReport()
        for feed_id in await self.store.feeds_with_pending():
            await self._guarded(feed_id, report, poll=False)
        return report

    async def tick(self) -> PollReport:
        """Poll the feeds that are due, and post what others still have queued."""
        report = PollReport()
        due = await self.store.due_feed_ids(self.clock())
        waiting = [f for f in await self.store.feeds_with_pending() if f not in due]
        await asyncio.gather(
            *(self._guarded(feed_id, report) for feed_id in due),
            *(self._guarded(feed_id, report, poll=False) for feed_id in waiting),
        )
        return report

    async def _guarded(self, feed_id: int, report: PollReport, *, poll: bool = True) -> None:
        async with self.slots, self._locks.setdefault(feed_id, asyncio.Lock()):
            try:
                feed = await self.store.feed(feed_id)
                if feed is None or feed.paused or not self.owns(feed.guild_id):
                    return
                if poll:
                    await self.poll(feed, report)
                await self.post_pending(feed, report)
            except Exception:
                log.exception("feed %s: poll failed; it is tried again later", feed_id)
                report.failed.append(feed_id)
                await self._push_back(feed_id)

    async def _push_back(self, feed_id: int) -> None:
        try:
            await self.store.postpone_feed(feed_id, self.clock() + IDLE_CHECK)
        except Exception:
            log.exception("feed %s: could not reschedule", feed_id)

    async def poll(self, feed: Feed, report: PollReport) -> None:
        now = self.clock()
        try:
            fetched, parsed = await read_feed(self.fetcher(), feed.url, now, feed)
        except BadInput as error:
            await self._failed(feed, str(error), report)
            return
        await self.store.record_poll(
            feed.id,
            now=now,
            next_poll_at=now + timedelta(seconds=feed.interval_seconds),
            title=parsed.title if parsed else None,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            items=parsed.items if parsed else [],
            backlog=BACKLOG,
        )
        report.polled.append(feed.id)

    async def _failed(self, feed: Feed, error: str, report: PollReport) -> None:
        now = self.clock()
        failed = await self.store.record_failure(
            feed.id, now=now, next_poll_at=now + back_off(feed), error=error[:300]
        )
        report.failed.append(feed.id)
        log.info("feed %s (server %s) failed: %s", feed.id, feed.guild_id, error)
        if failed and failed.failing_since and now - failed.failing_since >= PAUSE_AFTER:
            await self.pause(failed, f"it has failed for a day (last error: {error[:200]})")
            report.paused.append(feed.id)

    async def pause(self, feed: Feed, reason: str) -> None:
        log.warning("feed %s (server %s) paused: %s", feed.id, feed.guild_id, reason)
        await self.store.pause_feed(feed.id, reason)
        try:
            await self.tell(feed, reason)
        except Exception:
            log.exception("feed %s: could not tell the review channel it was paused", feed.id)

    async def post_pending(self, feed: Feed, report: PollReport) -> None:
        for item in await self.store.items_to_post(feed.id, POSTS_PER_POLL):
            try:
                if await self._post_once(feed, item):
                    report.posted.append(item.id)
            except ChannelGone as gone:
                await self.pause(feed, f"the review channel is unusable ({gone})")
                report.paused.append(feed.id)
                return

    async def _post_once(self, feed: Feed, item: FeedItem) -> bool:
        """Post an item unless it is already out; True if posted now."""
        if item.state == "sending":  # claimed before a crash or a failed send
            found = await self.find_posted(feed, item)
            if found is not None:
                await self.store.finish_item(item.id, found)
                return False
        elif not await self.store.claim_item(item.id, self.clock()):
            return False
        message_id = await self.post(feed, item)
        await self.store.finish_item(item.id, message_id)
        return True


# --- what the feed commands and the Draft button do (cogs/feeds.py hands them over) --------


async def feeds_of(store: Store, guild_id: int) -> list[Feed]:
    return await store.feeds(guild_id)


async def check_room(store: Store, guild_id: int, link: str) -> None:
    """Before fetching: a server follows at most MAX_FEEDS_PER_SERVER feeds (following
    one again only changes it)."""
    known = await store.feed_by_url(guild_id, link)
    if known is None and await store.feed_count(guild_id) >= MAX_FEEDS_PER_SERVER:
        raise BadInput(
            f"This server already follows {MAX_FEEDS_PER_SERVER} feeds, the most it may; "
            "`feed remove` one first."
        )


async def follow(
    store: Store,
    change: Change,
    link: str,
    channel_id: int,
    interval: timedelta,
    fetched: Fetched,
    parsed: ParsedFeed,
    now: datetime,
) -> tuple[int, int]:
    """Store the feed and its first read (made at `now`); returns its id and how many
    items are queued to be posted now (the newest BACKLOG)."""
    seconds = int(interval.total_seconds())
    feed_id = await store.add_feed(link, parsed.title or "", channel_id, seconds, change)
    queued = await store.record_poll(
        feed_id,
        now=now,
        next_poll_at=now + interval,
        title=parsed.title,
        etag=fetched.etag,
        last_modified=fetched.last_modified,
        items=parsed.items,
        backlog=BACKLOG,
    )
    return feed_id, queued


async def unfollow(store: Store, change: Change, feed_id: int) -> None:
    if not await store.remove_feed(feed_id, change):
        raise NotFound(f"This server follows no feed {feed_id}; see `feed list`.")


async def item_to_draft(store: Store, item_id: int, guild_id: int | None) -> FeedItem:
    item = await store.feed_item(item_id, guild_id)
    if item is None or guild_id is None:
        raise NotFound("That article is not one of this server's feed items.")
    return item


async def item_now(store: Store, item: FeedItem) -> FeedItem:
    """The item as stored now (another press may have linked its source meanwhile)."""
    return await store.feed_item(item.id, item.guild_id) or item


async def source_for_item(store: Store, fetcher: Fetcher, change: Change, item: FeedItem) -> int:
    """The item's source: the one already fetched for it, else its page fetched now."""
    if item.source_id is not None and await store.source(item.source_id, item.guild_id):
        return item.source_id
    link = parse_url(item.link)
    if not link:
        raise BadInput("This feed item has no link to fetch.")
    source_id = await articles.add_article(store, fetcher, change, link)
    await store.link_item_source(item.id, source_id)
    return source_id
