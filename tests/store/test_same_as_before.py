"""The store's faster paths (issue 11) give exactly what the old ones gave: the
set-based full-text rebuild and the one-query hydrate, compared with the old code
(kept in bench/store_legacy.py) on the real data and on a small synthetic store."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bench import store_legacy
from bench.synthetic import generate, insert
from bot.build import build
from bot.store import Store, index, meetings
from bot.store.facts import FACT_SELECT
from bot.store.store import SUGGESTIONS_KEPT


@pytest.fixture(params=["real", "synthetic"])
async def either(request, tmp_path: Path) -> AsyncIterator[Store]:
    """The real curated data, or 2,000 synthetic facts about 300 entities (aliases,
    topics, involved entities and citations)."""
    store = await Store.open(tmp_path / "either.sqlite3")
    try:
        if request.param == "real":
            await build(store)
        else:
            await insert(store, generate(2_000, 300, sources=20))
        yield store
    finally:
        await store.close()


async def _index(store: Store) -> list[tuple]:
    return [tuple(row) for row in await store._all("SELECT rowid, * FROM facts_fts ORDER BY rowid")]


async def _fact_ids(store: Store) -> list[int]:
    return [row[0] for row in await store._all("SELECT id FROM facts ORDER BY id")]


async def _old_index(store: Store) -> list[tuple]:
    async with store.transaction() as conn:
        await store_legacy.refresh_facts(conn, await _fact_ids(store))
    return await _index(store)


async def test_rebuilt_index_holds_the_old_documents(either: Store) -> None:
    store = either
    old = await _old_index(store)
    assert len(old) == len(await _fact_ids(store)) > 0
    async with store.transaction() as conn:
        await conn.execute("DELETE FROM facts_fts")
        await index.rebuild_facts(conn)
    assert await _index(store) == old


async def test_refreshing_few_or_many_facts_writes_the_old_documents(either: Store) -> None:
    """Both forms of the documents' names (by index, and one pass over the aliases)."""
    store = either
    old = await _old_index(store)
    ids = await _fact_ids(store)
    for batch in (ids[:3], ids[: index.MANY + 1], ids):
        async with store.transaction() as conn:
            await conn.execute("DELETE FROM facts_fts")
            await index.refresh_facts(conn, batch)
        assert await _index(store) == [row for row in old if row[0] in set(batch)]


async def test_refreshing_a_deleted_fact_removes_its_document(store: Store) -> None:
    [first, *_] = await _fact_ids(store)
    async with store.transaction() as conn:
        await conn.execute("DELETE FROM facts WHERE id = ?", (first,))
        await index.refresh_facts(conn, [first])
    assert first not in [row[0] for row in await _index(store)]


async def test_hydrated_facts_are_the_old_ones(either: Store) -> None:
    store = either
    fact_rows = await store._all(f"{FACT_SELECT} ORDER BY f.id")
    new = await store._hydrate(fact_rows)
    assert new == await store_legacy.hydrate(store, fact_rows)
    assert any(fact.entities for fact in new) and any(fact.citations for fact in new)
    assert all(fact.topics for fact in new)


async def test_repeated_suggestions_follow_a_write(store: Store) -> None:
    """Suggestions are remembered until the next write: a renamed entity is suggested
    by its new name at once, and a typo nobody could match before now finds it."""
    assert (await store.suggest_names("trunp"))[0] == "Donald Trump"
    assert await store.suggest_names("zebulonn") == ()
    async with store.transaction() as conn:
        [(trump,)] = await conn.execute_fetchall(
            "SELECT entity_id FROM aliases WHERE folded = 'donald trump'"
        )
        await conn.execute("UPDATE entities SET name = 'D. J. Trump' WHERE id = ?", (trump,))
        await conn.execute(
            "INSERT INTO aliases(folded, alias, entity_id) VALUES ('zebulon', 'Zebulon', ?)",
            (trump,),
        )
    assert (await store.suggest_names("trunp"))[0] == "D. J. Trump"
    assert await store.suggest_names("zebulonn") == ("D. J. Trump",)


async def test_suggestions_follow_another_processs_write(
    store: Store, engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """An alias another process adds (a second bot on the same file or database) is
    suggested here within a few seconds, not only after this process writes."""
    assert await store.suggest_names("zebulonn") == ()
    where = request.getfixturevalue("pg_built_url") if engine == "postgresql" else None
    other = await Store.open(where or tmp_path / "store.sqlite3")
    try:
        async with other.transaction() as conn:
            [(trump,)] = await conn.execute_fetchall(
                "SELECT entity_id FROM aliases WHERE folded = 'donald trump'"
            )
            await conn.execute(
                "INSERT INTO aliases(folded, alias, entity_id) VALUES ('zebulon', 'Zebulon', ?)",
                (trump,),
            )
    finally:
        await other.close()
    for _ in range(50):  # 5 s at most
        if await store.suggest_names("zebulonn"):
            break
        await asyncio.sleep(0.1)
    assert await store.suggest_names("zebulonn") == ("Donald Trump",)


async def test_remembered_suggestions_are_bounded(store: Store) -> None:
    for number in range(SUGGESTIONS_KEPT + 50):
        await store.suggest_names(f"trunp{number}")
    assert len(store._suggestions) <= SUGGESTIONS_KEPT


async def test_hydrated_meetings_are_the_old_ones(either: Store) -> None:
    meeting_rows = await either._all("SELECT * FROM meetings ORDER BY id")
    new = await meetings.hydrate_meetings(either._all, set(), meeting_rows)
    assert new == await store_legacy.hydrate_meetings(either, meeting_rows)
    assert any(meeting.participants for meeting in new)
    assert any(meeting.citations for meeting in new)
