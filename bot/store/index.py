"""Keeping the full-text index of facts in step with the tables it indexes.

(V1 also made an `entities_fts`, which nothing ever queried: names are found through
the aliases table. It is no longer written; a later migration may drop it.)"""

from __future__ import annotations

import json
from collections.abc import Iterable

import aiosqlite

from bot.store import pgsearch

# Each fact's document, for every fact `{where}` selects, in one statement (set-based, not
# a round trip a fact). Its names are the subject's aliases, then those of each involved
# entity in id order. A few facts look their aliases up by index (FEW_NAMES); many facts
# (a rebuild) share one pass over the aliases, grouped by entity (MANY_NAMES): the same
# text either way, which the tests check.
_FACT_DOCUMENTS = """
INSERT INTO facts_fts(rowid, statement, quotes, topics, names)
{names_cte}
SELECT f.id, f.statement,
       COALESCE((SELECT group_concat(quote, ' ') FROM citations WHERE fact_id = f.id), ''),
       COALESCE((SELECT group_concat(topic, ' ') FROM fact_topics WHERE fact_id = f.id), ''),
       COALESCE({names}, '') || ' ' || COALESCE(f.attributed_to, '')
FROM facts f WHERE {where}
"""
_FEW_NAMES = """(SELECT group_concat(a.alias, ' ') FROM aliases a
         WHERE a.entity_id = f.subject_id
            OR a.entity_id IN (SELECT entity_id FROM fact_entities WHERE fact_id = f.id))"""
_MANY_NAMES_CTE = """WITH entity_names(entity_id, names) AS MATERIALIZED (
    SELECT entity_id, group_concat(alias, ' ') FROM aliases GROUP BY entity_id)"""
_MANY_NAMES = """(SELECT group_concat(names, ' ') FROM (
           SELECT n.names FROM entity_names n WHERE n.entity_id = f.subject_id
           UNION ALL
           SELECT n.names FROM fact_entities fe JOIN entity_names n ON n.entity_id = fe.entity_id
            WHERE fe.fact_id = f.id AND fe.entity_id != f.subject_id))"""
# Past this many facts, one pass over every alias is cheaper than a lookup a fact.
MANY = 500


def _documents(where: str, many: bool) -> str:
    if many:
        return _FACT_DOCUMENTS.format(names_cte=_MANY_NAMES_CTE, names=_MANY_NAMES, where=where)
    return _FACT_DOCUMENTS.format(names_cte="", names=_FEW_NAMES, where=where)


def _on_postgres(conn: object) -> bool:
    return getattr(conn, "engine", "") == "postgresql"


async def refresh_facts(conn: aiosqlite.Connection, fact_ids: Iterable[int]) -> None:
    """Rewrite the full-text documents of these facts (a deleted fact's is removed)."""
    if _on_postgres(conn):
        return await pgsearch.refresh_facts(conn, fact_ids)  # type: ignore[arg-type]
    wanted = list(fact_ids)
    if not wanted:
        return
    ids = json.dumps(wanted)
    await conn.execute(
        "DELETE FROM facts_fts WHERE rowid IN (SELECT value FROM json_each(?))", (ids,)
    )
    where = "f.id IN (SELECT value FROM json_each(:ids))"
    await conn.execute(_documents(where, len(wanted) > MANY), {"ids": ids})


async def rebuild_facts(conn: aiosqlite.Connection) -> None:
    """The whole facts index afresh: emptied at once (the table dropped and made again
    from its own stored definition, as FTS5 deletes row by row), then one INSERT."""
    if _on_postgres(conn):
        return await pgsearch.rebuild_facts(conn)  # type: ignore[arg-type]
    await _recreate(conn, "facts_fts")
    await conn.execute(_documents("1", many=True))


async def _recreate(conn: aiosqlite.Connection, table: str) -> None:
    async with conn.execute(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)
    ) as cursor:
        row = await cursor.fetchone()
    assert row is not None, f"{table} is made by the migrations"
    await conn.execute(f"DROP TABLE {table}")
    await conn.execute(row[0])


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
