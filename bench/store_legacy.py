"""The store's code paths as they were before issue 11's store work, kept so that
`python -m bench store` can time old and new side by side in one run and the tests can
check that the new paths return exactly what the old ones did.

Each function reads through a Store's own connections, with the Store's SQL of the time
(copied, not imported: the store no longer has these paths).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import aiosqlite
from rapidfuzz import fuzz, process

from bot.models import EntityRef, Fact
from bot.store import Store, rows

_CITATION_SELECT = """
SELECT c.*, s.title AS source_title FROM citations c JOIN sources s ON s.id = c.source_id
"""
_FACT_DOCUMENT = """
SELECT f.id, f.statement, COALESCE(f.attributed_to, '') AS attributed_to,
       (SELECT group_concat(quote, ' ') FROM citations WHERE fact_id = f.id) AS quotes,
       (SELECT group_concat(topic, ' ') FROM fact_topics WHERE fact_id = f.id) AS topics,
       (SELECT group_concat(a.alias, ' ') FROM aliases a
         WHERE a.entity_id = f.subject_id
            OR a.entity_id IN (SELECT entity_id FROM fact_entities WHERE fact_id = f.id)) AS names
FROM facts f WHERE f.id = ?
"""


def _marks(values: list[Any]) -> str:
    return ",".join("?" for _ in values)


async def hydrate(store: Store, fact_rows: list[Any]) -> list[Fact]:
    """Facts from their rows in three more queries: topics, entities, citations."""
    ids = [row["id"] for row in fact_rows]
    if not ids:
        return []
    marks = _marks(ids)
    topics: dict[int, list[str]] = defaultdict(list)
    for row in await store._all(
        f"SELECT fact_id, topic FROM fact_topics WHERE fact_id IN ({marks})", ids
    ):
        topics[row["fact_id"]].append(row["topic"])
    entities: dict[int, list[EntityRef]] = defaultdict(list)
    for row in await store._all(
        "SELECT fe.fact_id, e.id, e.name FROM fact_entities fe "
        f"JOIN entities e ON e.id = fe.entity_id WHERE fe.fact_id IN ({marks}) ORDER BY e.name",
        ids,
    ):
        entities[row["fact_id"]].append(EntityRef(row["id"], row["name"]))
    citations: dict[int, list] = defaultdict(list)
    for row in await store._all(
        f"{_CITATION_SELECT} WHERE c.fact_id IN ({marks}) ORDER BY c.id", ids
    ):
        citations[row["fact_id"]].append(rows.citation(row))
    return [
        rows.fact(row, topics[row["id"]], entities[row["id"]], citations[row["id"]])
        for row in fact_rows
    ]


async def refresh_facts(conn: aiosqlite.Connection, fact_ids: Iterable[int]) -> None:
    """The full-text index, row by row: three statements a fact."""
    for fact_id in fact_ids:
        await conn.execute("DELETE FROM facts_fts WHERE rowid = ?", (fact_id,))
        async with conn.execute(_FACT_DOCUMENT, (fact_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            continue
        names = f"{row['names'] or ''} {row['attributed_to']}"
        await conn.execute(
            "INSERT INTO facts_fts(rowid, statement, quotes, topics, names) VALUES (?, ?, ?, ?, ?)",
            (fact_id, row["statement"], row["quotes"] or "", row["topics"] or "", names),
        )


async def suggest_names(store: Store, folded: str, limit: int = 5) -> tuple[str, ...]:
    """Fuzzy suggestions: WRatio over every alias longer than two letters."""
    found = await store._all("SELECT folded, entity_id FROM aliases")
    aliases = [(row["folded"], row["entity_id"]) for row in found if len(row["folded"]) > 2]
    matches = await asyncio.to_thread(
        process.extract,
        folded,
        [alias for alias, _ in aliases],
        scorer=fuzz.WRatio,
        limit=limit * 3,
        score_cutoff=72,
    )
    entity_ids: list[int] = []
    for _, _, index in matches:
        entity_id = aliases[index][1]
        if entity_id not in entity_ids:
            entity_ids.append(entity_id)
    entity_ids = entity_ids[:limit]
    if not entity_ids:
        return ()
    named = await store._all(
        f"SELECT id, name FROM entities WHERE id IN ({_marks(entity_ids)})", entity_ids
    )
    by_id = {row["id"]: row["name"] for row in named}
    return tuple(by_id[e] for e in entity_ids if e in by_id)


async def hydrate_meetings(store: Store, meeting_rows: list[Any]) -> list[Any]:
    """Meetings from their rows in two more queries: participants, citations."""
    ids = [row["id"] for row in meeting_rows]
    if not ids:
        return []
    people: dict[int, list[EntityRef]] = defaultdict(list)
    for row in await store._all(
        "SELECT meeting_id, entity_id, name FROM meeting_participants "
        f"WHERE meeting_id IN ({_marks(ids)}) ORDER BY position",
        ids,
    ):
        people[row["meeting_id"]].append(EntityRef(row["entity_id"] or 0, row["name"]))
    citations: dict[int, list] = defaultdict(list)
    for row in await store._all(
        f"{_CITATION_SELECT} WHERE c.meeting_id IN ({_marks(ids)}) ORDER BY c.id", ids
    ):
        citations[row["meeting_id"]].append(rows.citation(row))
    return [rows.meeting(row, people[row["id"]], citations[row["id"]]) for row in meeting_rows]
