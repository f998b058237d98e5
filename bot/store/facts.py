"""Facts: reading them with their topics, involved entities and citations."""

from __future__ import annotations

import json
import sqlite3
from collections import defaultdict
from datetime import datetime

from bot.models import Citation, EntityRef, Fact
from bot.store import rows
from bot.store.sql import ANSWER_LIMIT, Read, one, placeholders, visible

FACT_SELECT = """
SELECT f.*, e.name AS subject_name FROM facts f JOIN entities e ON e.id = f.subject_id
"""
# A fact's links in one query, tagged by `part` (0 topic, 1 involved entity, 2 citation),
# each part in the order the answers use: entities by name, citations as stored. (The
# first part's NULLs are typed, so PostgreSQL can match the parts' columns.)
FACT_LINKS = """
WITH wanted(id) AS (SELECT value FROM json_each(:ids))
SELECT 0 AS part, t.fact_id AS owner, t.topic AS sort, CAST(NULL AS INTEGER) AS sort_id,
       CAST(NULL AS INTEGER) AS ref, t.topic AS text, CAST(NULL AS INTEGER) AS source_id,
       NULL AS source_title, NULL AS quote, CAST(NULL AS INTEGER) AS start,
       CAST(NULL AS INTEGER) AS "end"
  FROM fact_topics t WHERE t.fact_id IN (SELECT id FROM wanted)
UNION ALL
SELECT 1, fe.fact_id, e.name, NULL, e.id, e.name, NULL, NULL, NULL, NULL, NULL
  FROM fact_entities fe JOIN entities e ON e.id = fe.entity_id
 WHERE fe.fact_id IN (SELECT id FROM wanted)
UNION ALL
SELECT 2, c.fact_id, NULL, c.id, NULL, NULL, c.source_id, s.title, c.quote, c.start, c."end"
  FROM citations c JOIN sources s ON s.id = c.source_id
 WHERE c.fact_id IN (SELECT id FROM wanted)
ORDER BY part, sort, sort_id
"""
CITATION_SELECT = """
SELECT c.*, s.title AS source_title FROM citations c JOIN sources s ON s.id = c.source_id
"""


async def hydrate(read: Read, fact_rows: list[sqlite3.Row]) -> list[Fact]:
    """Facts from their rows, with topics, involved entities and citations fetched in
    one more query (one aiosqlite round trip, the ids bound as one JSON array)."""
    ids = [row["id"] for row in fact_rows]
    if not ids:
        return []
    topics: dict[int, list[str]] = defaultdict(list)
    entities: dict[int, list[EntityRef]] = defaultdict(list)
    citations: dict[int, list[Citation]] = defaultdict(list)
    for row in await read(FACT_LINKS, {"ids": json.dumps(ids)}):
        if row["part"] == 0:
            topics[row["owner"]].append(row["text"])
        elif row["part"] == 1:
            entities[row["owner"]].append(EntityRef(row["ref"], row["text"]))
        else:
            citations[row["owner"]].append(rows.citation(row))
    return [
        rows.fact(row, topics[row["id"]], entities[row["id"]], citations[row["id"]])
        for row in fact_rows
    ]


async def citations(read: Read, column: str, ids: list[int]) -> dict[int, list[Citation]]:
    found: dict[int, list[Citation]] = defaultdict(list)
    for row in await read(
        f"{CITATION_SELECT} WHERE c.{column} IN ({placeholders(ids)}) ORDER BY c.id", ids
    ):
        found[row[column]].append(rows.citation(row))
    return found


async def fact(
    read: Read, fact_id: int, guild_id: int | None, *, include_retracted: bool = False
) -> Fact | None:
    """One fact with its citations, if visible from `guild_id`."""
    row = await one(
        read,
        f"{FACT_SELECT} WHERE f.id = :id AND {visible('f')}",
        {"id": fact_id, "guild": guild_id},
    )
    if row is None or (row["retracted"] and not include_retracted):
        return None
    return (await hydrate(read, [row]))[0]


async def facts_in_scope(read: Read, guild_id: int | None) -> list[Fact]:
    """Every fact visible from `guild_id`, retracted ones included (for export)."""
    found = await read(f"{FACT_SELECT} WHERE {visible('f')} ORDER BY f.id", {"guild": guild_id})
    return await hydrate(read, found)


async def facts_about(
    read: Read, entity_id: int, guild_id: int | None, limit: int = ANSWER_LIMIT
) -> list[Fact]:
    """Facts whose subject is the entity, then facts that involve it (at most
    `limit`; callers say so when they get that many)."""
    found = await read(
        f"{FACT_SELECT} WHERE f.retracted = 0 AND {visible('f')} AND (f.subject_id = :e "
        "OR f.id IN (SELECT fact_id FROM fact_entities WHERE entity_id = :e)) "
        "ORDER BY f.subject_id != :e, f.id LIMIT :limit",
        {"e": entity_id, "guild": guild_id, "limit": limit},
    )
    return await hydrate(read, found)


async def facts_by_topic(
    read: Read, topic: str, guild_id: int | None, limit: int = ANSWER_LIMIT
) -> list[Fact]:
    found = await read(
        f"{FACT_SELECT} JOIN fact_topics t ON t.fact_id = f.id "
        f"WHERE t.topic = :topic AND f.retracted = 0 AND {visible('f')} "
        "ORDER BY f.id LIMIT :limit",
        {"topic": topic, "guild": guild_id, "limit": limit},
    )
    return await hydrate(read, found)


async def facts_changed_since(
    read: Read,
    since: datetime,
    guild_id: int | None,
    limit: int = ANSWER_LIMIT,
    until: datetime | None = None,
) -> list[Fact]:
    """Visible facts last changed after `since` (and not after `until`, if given)."""
    params: dict[str, object] = {"since": since.isoformat(), "guild": guild_id, "limit": limit}
    bound = ""
    if until is not None:
        bound, params["until"] = " AND f.updated_at <= :until", until.isoformat()
    found = await read(
        f"{FACT_SELECT} WHERE f.updated_at > :since{bound} AND {visible('f')} "
        "ORDER BY f.id LIMIT :limit",
        params,
    )
    return await hydrate(read, found)


async def holders(read: Read, guild_id: int | None) -> list[str]:
    """Everyone a visible fact attributes a view or a quote to ("Analysts")."""
    found = await read(
        "SELECT DISTINCT f.attributed_to FROM facts f WHERE f.attributed_to IS NOT NULL "
        f"AND f.attributed_to != '' AND f.retracted = 0 AND {visible('f')} "
        "ORDER BY f.attributed_to",
        {"guild": guild_id},
    )
    return [row["attributed_to"] for row in found]


async def facts_attributed_to(
    read: Read, holders: list[str], guild_id: int | None, limit: int = ANSWER_LIMIT
) -> list[Fact]:
    """Visible facts whose `attributed_to` is one of `holders`, exactly."""
    if not holders:
        return []
    found = await read(
        f"{FACT_SELECT} WHERE f.attributed_to IN ({placeholders(holders)}) "
        f"AND f.retracted = 0 AND (+f.guild_id IS NULL OR +f.guild_id = ?) "
        "ORDER BY f.id LIMIT ?",
        [*holders, guild_id, limit],
    )
    return await hydrate(read, found)
