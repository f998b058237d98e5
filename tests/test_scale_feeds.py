"""Feeds when several processes share one store: each polls and posts only the feeds
of servers whose shard it runs."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.store import Store
from tests.conftest import FIXED_NOW
from tests.test_feeds import GUILD, Channel, Clock, dispatcher, follow
from tests.web.site import Site


@pytest.fixture
async def news() -> AsyncIterator[Site]:
    running = await Site().start()
    running.add_entry("hotline", "Koreas agree to reopen liaison hotline", FIXED_NOW)
    yield running
    await running.stop()


async def test_a_feed_is_polled_only_by_the_process_running_its_servers_shard(
    store: Store, news: Site
) -> None:
    clock = Clock()
    await follow(store, news.url("/feeds/news.rss"), clock)
    elsewhere, here = Channel(), Channel()
    other = dispatcher(store, news, elsewhere, clock)
    other.owns = lambda guild_id: guild_id != GUILD
    assert (await other.tick()).polled == [] and elsewhere.posts == []
    assert news.requests == []  # not even fetched
    mine = dispatcher(store, news, here, clock)
    mine.owns = lambda guild_id: guild_id == GUILD
    assert len((await mine.tick()).polled) == 1 and here.posts
