"""Digests when several processes share one store: each delivers only the servers of
the shards it runs, a day's claim is taken by exactly one of them, and each process's
pacing is its share of the bot's budget."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot.core import shard_of
from bot.pacing import BURST, RATE, Pacer
from bot.store import Store
from tests.test_digests import DAY, DUE, G_A, G_B, Clock, Poster, dispatcher, subscribe


async def test_each_process_delivers_only_its_shards_servers(store: Store, tmp_path: Path) -> None:
    assert shard_of(G_A, 2) != shard_of(G_B, 2)  # the two servers are on different shards
    await subscribe(store, G_A)
    await subscribe(store, G_B)
    other = await Store.open(tmp_path / "store.sqlite3")  # a second process's store
    try:
        posters = {0: Poster(), 1: Poster()}
        clock = Clock(DUE)
        runs = [
            dispatcher(
                opened, posters[shard], clock, owns=lambda g, shard=shard: shard_of(g, 2) == shard
            )
            for shard, opened in ((0, store), (1, other))
        ]
        reports = await asyncio.gather(*(run.tick() for run in runs))
        clock.now = DUE + timedelta(minutes=5)
        await asyncio.gather(*(run.tick() for run in runs))
    finally:
        await other.close()
    for shard, report in zip((0, 1), reports, strict=True):
        mine = [g for g in (G_A, G_B) if shard_of(g, 2) == shard]
        assert report.sent == mine
        assert [g for g, _, _ in posters[shard].sent] == mine


async def test_a_days_claim_is_taken_once_across_processes(tmp_path: Path) -> None:
    """Claim-before-send is one BEGIN IMMEDIATE transaction: of many stores on one
    file claiming the same day at once, exactly one gets it afresh."""
    path = tmp_path / "shared.sqlite3"
    stores = [await Store.open(path) for _ in range(4)]
    try:
        results = await asyncio.gather(
            *(opened.claim_delivery(G_A, DAY, "nonce", DUE) for opened in stores)
        )
    finally:
        for opened in stores:
            await opened.close()
    assert sum(result is None for result in results) == 1
    assert all(r is None or r.state == "sending" for r in results)


@pytest.mark.parametrize(
    ("share", "rate", "burst"), [(1.0, RATE, BURST), (0.5, 15, 3), (0.25, 7.5, 2)]
)
def test_each_process_paces_at_its_share_of_the_budget(
    share: float, rate: float, burst: int
) -> None:
    pacer = Pacer.share(share)
    assert (pacer.rate, pacer.burst) == (rate, burst)


async def test_shares_of_all_processes_hold_the_bot_under_its_rate() -> None:
    """Four processes of one shard each out of four, all sending flat out for 2 s of
    (simulated) time: together they stay at the single-process rate."""
    now = [0.0]
    pacers = [Pacer.share(1 / 4, clock=lambda: now[0]) for _ in range(4)]
    sent = 0

    async def drain(pacer: Pacer) -> None:
        nonlocal sent
        while now[0] < 2.0:
            await pacer.acquire()
            sent += 1

    async def tick() -> None:
        while now[0] < 2.0:
            now[0] += 0.001
            await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(tick(), *(drain(p) for p in pacers)), 30)
    assert sent <= RATE * 2 + 4 * Pacer.share(1 / 4).burst + 4
