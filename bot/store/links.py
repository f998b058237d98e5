"""A fact's or a meeting's link rows (topics, involved entities, participants,
citations): the one writer for the importer and the moderators' changes alike. Each
replaces what was there, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable

import aiosqlite

# (source id, quote, start, end): a citation as stored.
CitationRow = tuple[int, str, int, int]


async def write_fact_links(
    conn: aiosqlite.Connection,
    fact_id: int,
    topics: Iterable[str],
    entity_ids: Iterable[int],
    citations: Iterable[CitationRow],
) -> None:
    await conn.execute("DELETE FROM fact_topics WHERE fact_id = ?", (fact_id,))
    await conn.execute("DELETE FROM fact_entities WHERE fact_id = ?", (fact_id,))
    await conn.executemany(
        "INSERT INTO fact_topics(fact_id, topic) VALUES (?, ?)",
        [(fact_id, topic) for topic in dict.fromkeys(topics)],
    )
    await conn.executemany(
        "INSERT INTO fact_entities(fact_id, entity_id) VALUES (?, ?)",
        [(fact_id, entity_id) for entity_id in dict.fromkeys(entity_ids)],
    )
    await write_citations(conn, "fact_id", fact_id, citations)


async def write_meeting_links(
    conn: aiosqlite.Connection,
    meeting_id: int,
    participants: Iterable[tuple[int | None, str]],
    citations: Iterable[CitationRow],
) -> None:
    await conn.execute("DELETE FROM meeting_participants WHERE meeting_id = ?", (meeting_id,))
    await conn.executemany(
        "INSERT INTO meeting_participants(meeting_id, position, entity_id, name) "
        "VALUES (?, ?, ?, ?)",
        [
            (meeting_id, position, entity_id, name)
            for position, (entity_id, name) in enumerate(participants)
        ],
    )
    await write_citations(conn, "meeting_id", meeting_id, citations)


async def write_citations(
    conn: aiosqlite.Connection, column: str, owner_id: int, citations: Iterable[CitationRow]
) -> None:
    if column not in {"fact_id", "meeting_id"}:
        raise ValueError(f"no citations by {column!r}")
    await conn.execute(f"DELETE FROM citations WHERE {column} = ?", (owner_id,))
    await conn.executemany(
        f'INSERT INTO citations({column}, source_id, quote, start, "end") VALUES (?, ?, ?, ?, ?)',
        [(owner_id, *citation) for citation in citations],
    )
