"""Per-server quotas: a server's moderators can store only so much; curators' shared
writes and other servers are not held back by one server's use."""

from __future__ import annotations

import pytest

from bot import moderation, quotas
from bot.errors import BadInput
from bot.models import Change, Usage
from bot.store import Store
from tests.conftest import FIXED_NOW

# About the store's behaviour: these run on SQLite and on PostgreSQL (tests/conftest.py).
BOTH_ENGINES = True

G1, G2 = 111, 222
QUOTE = "signals a bit of desperation"
SMALL = quotas.Quota(sources=2, source_bytes=1_000, facts=3, meetings=2)


@pytest.fixture(autouse=True)
def small_quota(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(quotas, "SERVER_QUOTA", SMALL)


def change(guild: int | None) -> Change:
    return Change(actor_id=1, guild_id=guild, at=FIXED_NOW)


async def add_source(store: Store, guild: int | None, text: str = "A short source.") -> int:
    return await moderation.add_source(store, change(guild), title="t", text=text)


async def add_fact(store: Store, guild: int | None) -> int:
    return await moderation.add_fact(
        store,
        change(guild),
        subject="Kim Jong Un",
        statement="s",
        kind="opinion",
        source=1,
        quote=QUOTE,
    )


async def add_meeting(store: Store, guild: int | None) -> int:
    result = await moderation.add_meeting(
        store,
        change(guild),
        title="Talks",
        when="2019-04-25",
        where="Seoul",
        participants="Kim Jong Un",
        source=1,
        quote=QUOTE,
        status="held",
    )
    return result.meeting_id


async def test_the_number_of_sources_is_limited_per_server(store: Store) -> None:
    await add_source(store, G1)
    await add_source(store, G1)
    with pytest.raises(BadInput, match="2 sources, its limit of 2"):
        await add_source(store, G1)
    await add_source(store, G2)
    await add_source(store, None)  # a curator's shared source


async def test_source_text_is_limited_per_server_in_bytes(store: Store) -> None:
    await add_source(store, G1, "김" * 300)  # 900 bytes in UTF-8
    with pytest.raises(BadInput, match="limit is 1 kB a server"):
        await add_source(store, G1, "x" * 101)
    await add_source(store, G1, "x" * 100)
    await add_source(store, G2, "x" * 1000)


async def test_facts_are_limited_per_server_retracted_ones_included(store: Store) -> None:
    first = await add_fact(store, G1)
    await moderation.retract_fact(store, Change(1, G1, FIXED_NOW, "dup"), first)
    await add_fact(store, G1)
    await add_fact(store, G1)
    with pytest.raises(BadInput, match="3 facts, its limit of 3"):
        await add_fact(store, G1)
    assert (await store.usage(G1)).facts == 3
    await add_fact(store, G2)
    await add_fact(store, None)


async def test_meetings_are_limited_per_server(store: Store) -> None:
    await add_meeting(store, G1)
    await add_meeting(store, G1)
    with pytest.raises(BadInput, match="2 meetings, its limit of 2"):
        await add_meeting(store, G1)
    await add_meeting(store, G2)
    await add_meeting(store, None)
    assert await store.usage(G1) == Usage(0, 0, 0, 2)


async def test_writes_at_once_cannot_pass_the_quota_together(store: Store) -> None:
    """The quota is checked inside the write transaction: several additions at the same
    moment, with room for one, store exactly one."""
    import asyncio

    await add_fact(store, G1)
    await add_fact(store, G1)
    results = await asyncio.gather(*(add_fact(store, G1) for _ in range(4)), return_exceptions=True)
    assert sum(isinstance(r, int) for r in results) == 1, results
    assert all(isinstance(r, (int, BadInput)) for r in results), results
    assert (await store.usage(G1)).facts == SMALL.facts
    sources = await asyncio.gather(
        *(add_source(store, G2, "x" * 400) for _ in range(3)), return_exceptions=True
    )
    assert sum(isinstance(r, int) for r in sources) == 2, sources  # 2 sources, 800 bytes
