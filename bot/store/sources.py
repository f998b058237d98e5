"""Sources, and the counts of what a scope holds."""

from __future__ import annotations

from bot.models import Counts, Source, Usage
from bot.store import changes, rows
from bot.store.sql import Read, one, visible


async def sources(read: Read, guild_id: int | None) -> list[Source]:
    found = await read(
        "SELECT id, key, guild_id, title, title_is_ours, url, publisher, author, published, "
        "published_precision, published_note, published_provenance "
        f"FROM sources s WHERE {visible('s')} "
        "ORDER BY s.id",
        {"guild": guild_id},
    )
    return [rows.source(row) for row in found]


async def source(
    read: Read, source_id: int, guild_id: int | None, *, with_text: bool = False
) -> Source | None:
    row = await one(
        read,
        f"SELECT * FROM sources s WHERE s.id = :id AND {visible('s')}",
        {"id": source_id, "guild": guild_id},
    )
    return rows.source(row, with_text=with_text) if row else None


async def counts(read: Read, guild_id: int | None) -> Counts:
    params = {"guild": guild_id}
    row = await one(
        read,
        f"SELECT (SELECT COUNT(*) FROM sources s WHERE {visible('s')}) AS sources, "
        "(SELECT COUNT(*) FROM entities) AS entities, "
        f"(SELECT COUNT(*) FROM facts f WHERE f.retracted = 0 AND {visible('f')}) AS facts, "
        f"(SELECT COUNT(*) FROM meetings m WHERE {visible('m')}) AS meetings",
        params,
    )
    assert row is not None
    return Counts(row["sources"], row["entities"], row["facts"], row["meetings"])


async def usage(read: Read, guild_id: int) -> Usage:
    """What a server has stored itself (shared rows not included), for its quota."""
    return changes.usage_of(await one(read, changes.USAGE, {"g": guild_id}))
