"""Migration V4 (provenance): a store made before it upgrades in place, and rows without
provenance (older rows, moderators' rows) read as resting on their own citations."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.build import build
from bot.models import Provenance
from bot.store import Store, database


def _store_at_version_3(path: Path) -> None:
    conn = sqlite3.connect(path)
    try:
        for version, script in database.migrations():
            if version <= 3:
                conn.executescript(script.read_text(encoding="utf-8"))
        conn.execute("PRAGMA user_version = 3")
        conn.commit()
    finally:
        conn.close()


async def test_a_version_3_store_upgrades_and_builds(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    _store_at_version_3(path)
    store = await Store.open(path)
    try:
        assert await store.schema_version() == database.latest_version()  # V4 and later
        await build(store)
        kim = (await store.find_entity("Kim Jong Un")).entity
        assert kim is not None
        assert [c.quote for c in kim.role_provenance.citations] == ["the North Korean leader"]
        [source] = await store.sources(None)
        assert source.published is not None
        assert source.published.provenance.inferred.startswith("The article says Putin and Kim")
        hanoi = (await store.meetings(None))[0]
        assert hanoi.date_provenance.public_record.startswith("The Trump–Kim summit in Hanoi")
    finally:
        await store.close()


async def test_rows_without_provenance_read_as_unlabelled(store: Store) -> None:
    async with store.transaction() as conn:
        await conn.execute("UPDATE entities SET role_provenance = NULL")
        await conn.execute("UPDATE meetings SET date_provenance = 'not json'")
        await conn.execute("UPDATE meetings SET status_provenance = '[1, 2]'")
    kim = (await store.find_entity("Kim Jong Un")).entity
    assert kim is not None and kim.role_provenance == Provenance()
    for meeting in await store.meetings(None):
        assert meeting.date_provenance == Provenance()
        assert meeting.status_provenance == Provenance()
