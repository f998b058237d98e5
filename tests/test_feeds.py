"""Feeds: parsing (RSS, Atom, hostile), the poll schedule, conditional polls, backoff,
pausing after a day of failures, and posting each item exactly once, also when the bot
dies between claiming an item and recording its post."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

import pytest

from bot import feeds
from bot.errors import BadInput
from bot.feedmodels import Feed, FeedItem, ItemDraft
from bot.feeds import FeedDispatcher, parse_feed_sync, parse_interval, read_feed
from bot.fetch import Allowlist, Fetcher
from bot.models import Change
from bot.store import Store
from bot.store import feeds as store_feeds
from tests.conftest import FIXED_NOW
from tests.web.site import Site

GUILD = 111
CHANNEL = 222


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    running = await Site().start()
    running.add_entry("hotline", "Koreas agree to reopen liaison hotline", FIXED_NOW)
    running.add_entry("rail", "Rail link talks resume at Kaesong", FIXED_NOW + timedelta(hours=1))
    yield running
    await running.stop()


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


class Crash(BaseException):
    """The process dies here."""


class Channel:
    """A review channel: what was posted, and faults to inject."""

    def __init__(self) -> None:
        self.posts: list[tuple[int, str]] = []  # (item id, title)
        self.told: list[str] = []
        self.crash_after_send = False
        self.crash_before_send = False
        self.message_ids = iter(range(9000, 100000))

    async def post(self, feed: Feed, item: FeedItem) -> int:
        if self.crash_before_send:
            raise Crash
        self.posts.append((item.id, item.title))
        if self.crash_after_send:
            raise Crash
        return next(self.message_ids)

    async def find_posted(self, feed: Feed, item: FeedItem) -> int | None:
        return 1 if any(posted == item.id for posted, _ in self.posts) else None

    async def tell(self, feed: Feed, reason: str) -> None:
        self.told.append(reason)


def dispatcher(store: Store, site: Site, channel: Channel, clock: Clock) -> FeedDispatcher:
    fetcher = Fetcher(Allowlist.parse(site.allow), feeds.FEED_LIMITS)
    return FeedDispatcher(
        store, lambda: fetcher, channel.post, channel.find_posted, channel.tell, clock
    )


async def follow(store: Store, url: str, clock: Clock, interval: int = 3600) -> int:
    change = Change(actor_id=5, guild_id=GUILD, at=clock())
    return await store.add_feed(url, "", CHANNEL, interval, change)


# --- parsing ---------------------------------------------------------------------------


async def test_rss_and_atom_items_are_read_cleanly(site: Site) -> None:
    fetcher = Fetcher(Allowlist.parse(site.allow))
    _, rss = await read_feed(fetcher, site.url("/feeds/news.rss"), FIXED_NOW)
    _, atom = await read_feed(fetcher, site.url("/feeds/news.atom"), FIXED_NOW)
    assert rss is not None and atom is not None
    assert rss.title == "Harbour Wire: Asia"
    assert [i.title for i in rss.items] == [
        "Rail link talks resume at Kaesong",
        "Koreas agree to reopen liaison hotline",
    ]
    assert rss.items[0].link == site.url("/a/rail")
    assert rss.items[0].published == "2026-11-27T13:00:00+00:00"
    assert atom.title == "Peninsula Review"
    assert [i.link for i in atom.items] == [site.url("/a/rail"), site.url("/a/hotline")]
    assert rss.items[0].key != rss.items[1].key


def test_hostile_entries_are_bounded_and_cleaned() -> None:
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        "<item><title>&lt;b&gt;@everyone&lt;/b&gt; " + "long " * 200 + "</title>"
        "<link>javascript:alert(1)</link><guid>x</guid></item>"
        "<item><title>\u0000\u0007Bell</title><link>https://ok.example/a</link></item>"
        "</channel></rss>"
    ).encode()
    parsed = parse_feed_sync(body, "application/rss+xml", "https://feed.example/")
    first, second = parsed.items
    assert len(first.title) <= 200 and "<b>" not in first.title
    assert first.link is None  # only http(s) links are kept
    assert second.title == "Bell"


def test_a_page_that_is_not_a_feed_is_refused() -> None:
    with pytest.raises(BadInput, match="not an RSS or Atom feed"):
        parse_feed_sync(b"<html><body>hello</body></html>", "text/xml", "https://x.example/")


async def test_a_feed_of_10000_items_is_capped_off_the_event_loop(site: Site) -> None:
    ticks = 0

    async def heartbeat() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.02)
            ticks += 1

    beat = asyncio.create_task(heartbeat())
    started = time.monotonic()
    fetcher = Fetcher(Allowlist.parse(site.allow), feeds.FEED_LIMITS)
    _, parsed = await read_feed(fetcher, site.url("/feeds/huge.rss"), FIXED_NOW)
    elapsed = time.monotonic() - started
    beat.cancel()
    assert parsed is not None
    assert len(parsed.items) == feeds.MAX_ITEMS
    assert parsed.items[0].title == "Bulk item 10000"
    assert ticks >= elapsed / 0.02 * 0.5, "the event loop was blocked while parsing"


@pytest.mark.parametrize(
    ("text", "minutes"), [(None, 60), ("15m", 15), ("2h", 120), ("1d", 1440), ("90", 90)]
)
def test_polling_intervals(text: str | None, minutes: int) -> None:
    assert parse_interval(text) == timedelta(minutes=minutes)


@pytest.mark.parametrize("text", ["5m", "14", "2d", "soon", "-1h"])
def test_polling_faster_than_15_minutes_or_slower_than_a_day_is_refused(text: str) -> None:
    with pytest.raises(BadInput):
        parse_interval(text)


# --- the dispatcher ---------------------------------------------------------------------


async def test_first_poll_posts_the_newest_few_then_only_new_items_once(
    store: Store, site: Site
) -> None:
    for n in range(5):
        site.add_entry(f"old-{n}", f"Older story {n}", FIXED_NOW - timedelta(days=n + 1))
    clock, channel = Clock(), Channel()
    feed_id = await follow(store, site.url("/feeds/news.rss"), clock)
    run = dispatcher(store, site, channel, clock)
    report = await run.tick()
    assert report.polled == [feed_id]
    assert len(channel.posts) == feeds.BACKLOG  # not all seven
    # Nothing new: nothing posted, and the poll was conditional.
    clock.now += timedelta(hours=1)
    await run.tick()
    assert len(channel.posts) == feeds.BACKLOG
    assert site.requests[-1][1].get("If-None-Match")
    # A new item appears: posted once, however often the feed is read.
    site.add_entry("summit", "Summit date set for December", clock.now)
    for _ in range(3):
        clock.now += timedelta(hours=1)
        await run.tick()
    titles = [title for _, title in channel.posts]
    assert titles.count("Summit date set for December") == 1
    assert len(channel.posts) == feeds.BACKLOG + 1


async def test_a_feed_is_not_polled_before_its_interval(store: Store, site: Site) -> None:
    clock, channel = Clock(), Channel()
    await follow(store, site.url("/feeds/news.rss"), clock, interval=3600)
    run = dispatcher(store, site, channel, clock)
    await run.tick()
    reads = len(site.requests)
    clock.now += timedelta(minutes=59)
    assert (await run.tick()).polled == []
    assert len(site.requests) == reads


async def test_a_crash_after_the_post_does_not_post_again(store: Store, site: Site) -> None:
    clock, channel = Clock(), Channel()
    await follow(store, site.url("/feeds/news.rss"), clock)
    channel.crash_after_send = True
    with pytest.raises(Crash):
        await dispatcher(store, site, channel, clock).tick()
    assert len(channel.posts) == 1
    channel.crash_after_send = False
    # The "restarted" bot: recovery finds the message, then posts the rest, once.
    await dispatcher(store, site, channel, clock).recover()
    assert sorted(item for item, _ in channel.posts) == [1, 2]


async def test_a_crash_before_the_post_posts_it_after_restart(store: Store, site: Site) -> None:
    clock, channel = Clock(), Channel()
    await follow(store, site.url("/feeds/news.rss"), clock)
    channel.crash_before_send = True
    with pytest.raises(Crash):
        await dispatcher(store, site, channel, clock).tick()
    assert channel.posts == []
    channel.crash_before_send = False
    await dispatcher(store, site, channel, clock).recover()
    assert sorted(item for item, _ in channel.posts) == [1, 2]


async def test_a_failing_feed_backs_off_then_pauses_after_a_day(store: Store, site: Site) -> None:
    clock, channel = Clock(), Channel()
    feed_id = await follow(store, site.url("/feeds/flaky.rss"), clock)
    run = dispatcher(store, site, channel, clock)
    await run.tick()
    site.failing = True
    waits = []
    while not channel.told:
        clock.now += timedelta(hours=1)
        before = len(site.requests)
        await run.tick()
        if len(site.requests) > before:
            feed = await store.feed(feed_id)
            assert feed is not None
            waits.append(feed.next_poll_at - clock.now)
        assert clock.now < FIXED_NOW + timedelta(days=2), "never paused"
    assert waits[:5] == [timedelta(hours=h) for h in (1, 2, 4, 6, 6)]
    feed = await store.feed(feed_id)
    assert feed is not None and feed.paused
    assert "failed for a day" in channel.told[0] and "500" in channel.told[0]
    # Paused: no more reads.
    reads = len(site.requests)
    clock.now += timedelta(days=1)
    await run.tick()
    assert len(site.requests) == reads


async def test_a_bad_row_does_not_stop_the_others(store: Store, site: Site) -> None:
    clock, channel = Clock(), Channel()
    bad = await follow(store, site.url("/feeds/news.rss"), clock)
    good = await follow(store, site.url("/feeds/news.atom"), clock)
    # A damaged row that is due (it sorts before any real time) and cannot be read.
    async with store.transaction() as conn:
        await conn.execute(
            "UPDATE feeds SET next_poll_at = '0000-not-a-date', failures = 'x' WHERE id = ?",
            (bad,),
        )
    report = await dispatcher(store, site, channel, clock).tick()
    assert report.failed == [bad]
    assert report.polled == [good]
    assert len(channel.posts) == 2
    feed = await store.feed(good)
    assert feed is not None and feed.polled_at == clock.now


async def test_removing_a_feed_mid_poll_is_harmless(store: Store, site: Site) -> None:
    clock = Clock()
    feed_id = await follow(store, site.url("/feeds/news.rss"), clock)
    assert await store.remove_feed(feed_id, Change(5, GUILD, clock()))
    queued = await store.record_poll(
        feed_id,
        now=clock.now,
        next_poll_at=clock.now,
        title=None,
        etag=None,
        last_modified=None,
        items=[],
        backlog=3,
    )
    assert queued == 0


async def test_items_are_only_visible_to_their_own_server(store: Store, site: Site) -> None:
    clock, channel = Clock(), Channel()
    await follow(store, site.url("/feeds/news.rss"), clock)
    await dispatcher(store, site, channel, clock).tick()
    item_id = channel.posts[0][0]
    assert await store.feed_item(item_id, GUILD) is not None
    assert await store.feed_item(item_id, GUILD + 1) is None
    assert await store.feed_item(item_id, None) is None


def test_published_dates_in_the_far_future_do_not_crash() -> None:
    body = (
        b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
        b"<item><title>A</title><pubDate>Fri, 31 Dec 9999 23:59:59 +1400</pubDate></item>"
        b"<item><title>B</title><pubDate>yesterday-ish</pubDate></item></channel></rss>"
    )
    parsed = parse_feed_sync(body, "application/rss+xml", "https://x.example/")
    assert [item.title for item in parsed.items] == ["A", "B"]
    assert parsed.items[1].published == "yesterday-ish"


async def test_a_feed_remembers_a_bounded_number_of_items(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_feeds, "ITEMS_KEPT", 5)
    clock = Clock()
    feed_id = await store.add_feed(
        "https://x.example/f", "", CHANNEL, 3600, Change(5, GUILD, clock())
    )

    async def poll(keys: range) -> int:
        items = [ItemDraft(f"k{n}", f"Item {n}", None, None) for n in keys]
        return await store.record_poll(
            feed_id,
            now=clock.now,
            next_poll_at=clock.now,
            title=None,
            etag=None,
            last_modified=None,
            items=items,
            backlog=0,
        )

    assert await poll(range(0, 4)) == 0  # the first read is only remembered
    assert await poll(range(4, 12)) == 8  # eight new ones, queued
    async with store.transaction() as conn:  # all posted but item 4
        await conn.execute(
            "UPDATE feed_items SET state = 'posted' WHERE state = 'new' AND title != 'Item 4'"
        )
    await poll(range(12, 13))
    waiting = await store.items_to_post(feed_id, 100)
    assert [item.title for item in waiting] == ["Item 4", "Item 12"]
    rows = await store._all(
        "SELECT title FROM feed_items WHERE feed_id = ? ORDER BY id", (feed_id,)
    )
    # The newest five are remembered, and an older one still waiting to be posted.
    assert [row["title"] for row in rows] == ["Item 4", *(f"Item {n}" for n in range(8, 13))]
