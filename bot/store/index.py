"""Keeping the full-text index of facts in step with the tables it indexes.

(V1 also made an `entities_fts`, which nothing ever queried: names are found through
the aliases table. It is no longer written; a later migration may drop it.)"""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

_FACT_DOCUMENT = """
SELECT f.id, f.statement, COALESCE(f.attributed_to, '') AS attributed_to,
       (SELECT group_concat(quote, ' ') FROM citations WHERE fact_id = f.id) AS quotes,
       (SELECT group_concat(topic, ' ') FROM fact_topics WHERE fact_id = f.id) AS topics,
       (SELECT group_concat(a.alias, ' ') FROM aliases a
         WHERE a.entity_id = f.subject_id
            OR a.entity_id IN (SELECT entity_id FROM fact_entities WHERE fact_id = f.id)) AS names
FROM facts f WHERE f.id = ?
"""


async def refresh_facts(conn: aiosqlite.Connection, fact_ids: Iterable[int]) -> None:
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


async def facts_of_entities(conn: aiosqlite.Connection, entity_ids: list[int]) -> list[int]:
    if not entity_ids:
        return []
    marks = ",".join("?" for _ in entity_ids)
    async with conn.execute(
        f"SELECT id FROM facts WHERE subject_id IN ({marks}) UNION "
        f"SELECT fact_id FROM fact_entities WHERE entity_id IN ({marks})",
        [*entity_ids, *entity_ids],
    ) as cursor:
        return [row[0] for row in await cursor.fetchall()]
