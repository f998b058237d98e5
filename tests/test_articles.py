"""Fetching articles for a server: at most two pages in flight per server, and one
server's slow fetches leave another's alone."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator

import pytest

from bot import articles, quotas
from bot.errors import BadInput
from bot.fetch import Allowlist, Fetcher, FetchFailed, FetchLimits
from bot.models import Change
from bot.store import Store
from tests.conftest import FIXED_NOW, wait_until
from tests.web.site import Site


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    running = await Site().start()
    yield running
    await running.stop()


async def test_a_server_has_at_most_two_fetches_in_flight(store: Store, site: Site) -> None:
    slow = Fetcher(Allowlist.parse(site.allow), FetchLimits(total_seconds=1.0))
    quick = Fetcher(Allowlist.parse(site.allow))

    def change(guild: int) -> Change:
        return Change(actor_id=1, guild_id=guild, at=FIXED_NOW)

    pending = [
        asyncio.create_task(articles.add_article(store, slow, change(1), site.url("/slow")))
        for _ in range(2)
    ]
    await wait_until(lambda: site.paths().count("/slow") == 2, 5, "both slow fetches")
    with pytest.raises(BadInput, match="already has pages being fetched"):
        await articles.add_article(store, quick, change(1), site.url("/world/koreas-hotline"))
    # Another server is not held up.
    other = await articles.add_article(store, quick, change(2), site.url("/world/koreas-hotline"))
    assert other > 0
    for task in pending:
        with pytest.raises(FetchFailed):
            await task
    # The slots are free again.
    assert await articles.add_article(store, quick, change(1), site.url("/opinion/sanctions"))
    assert articles._in_flight == {}


async def test_fetched_sources_count_against_the_servers_quota(
    store: Store, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(quotas, "SERVER_QUOTA", dataclasses.replace(quotas.SERVER_QUOTA, sources=1))
    fetcher = Fetcher(Allowlist.parse(site.allow))
    change = Change(actor_id=1, guild_id=7, at=FIXED_NOW)
    await articles.add_article(store, fetcher, change, site.url("/world/koreas-hotline"))
    with pytest.raises(BadInput, match="its limit of 1"):
        await articles.add_article(store, fetcher, change, site.url("/opinion/sanctions"))
    assert len([s for s in await store.sources(7) if s.guild_id == 7]) == 1
