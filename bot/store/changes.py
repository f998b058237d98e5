"""Moderators' and curators' writes, each inside the caller's transaction, each audited.

A change only touches rows in its own scope: `guild_id IS :scope` in every WHERE, so a
server's moderators can never alter another server's rows or the shared ones. Edits
name the version they edit; a stale version means someone else changed it first.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aiosqlite

from bot.errors import Conflict, not_in_scope
from bot.models import Change, CitationDraft, FactDraft, MeetingDraft, SourceDraft, Table, Usage
from bot.store import audit as audit_rows
from bot.store import index, links
from bot.store.rows import iso, returned

Conn = aiosqlite.Connection
# A change's audit row (bot.store.audit); named here for the writers that import changes.
audit = audit_rows.change


async def _one(conn: Conn, sql: str, params: tuple | dict) -> aiosqlite.Row | None:
    async with conn.execute(sql, params) as cursor:
        return await cursor.fetchone()


# --- quotas ----------------------------------------------------------------------------

QuotaCheck = Callable[[Usage], None]
USAGE = (
    "SELECT (SELECT COUNT(*) FROM sources WHERE guild_id = :g) AS sources,"
    " (SELECT COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) FROM sources"
    "  WHERE guild_id = :g) AS source_bytes,"
    " (SELECT COUNT(*) FROM facts WHERE guild_id = :g) AS facts,"
    " (SELECT COUNT(*) FROM meetings WHERE guild_id = :g) AS meetings"
)


def usage_of(row: aiosqlite.Row | None) -> Usage:
    assert row is not None
    return Usage(row["sources"], row["source_bytes"], row["facts"], row["meetings"])


async def check_quota(conn: Conn, change: Change, check: QuotaCheck | None) -> None:
    """Run a server's quota check on what it has stored, inside the write transaction
    (shared writes, by curators, have no quota)."""
    if check is not None and change.guild_id is not None:
        check(usage_of(await _one(conn, USAGE, {"g": change.guild_id})))


# --- sources ---------------------------------------------------------------------------


async def insert_source(conn: Conn, draft: SourceDraft, change: Change) -> int:
    published = draft.published
    async with conn.execute(
        "INSERT INTO sources(guild_id, title, title_is_ours, url, publisher, author, published,"
        " published_precision, published_note, text, origin, created_at, created_by)"
        " VALUES (?, ?, 0, ?, ?, ?, ?, ?, ?, ?, 'moderator', ?, ?) RETURNING id",
        (
            change.guild_id,
            draft.title,
            draft.url,
            draft.publisher,
            draft.author,
            published.value.isoformat() if published else None,
            published.precision.value if published else None,
            published.note if published else "",
            draft.text,
            change.at.isoformat(),
            change.actor_id,
        ),
    ) as cursor:
        source_id = returned(await cursor.fetchone())[0]
    after = {
        "title": draft.title,
        "url": draft.url,
        "published": published,
        "chars": len(draft.text),
    }
    await audit(conn, change, "add", "source", source_id, None, after)
    return source_id


# --- facts -----------------------------------------------------------------------------


async def fact_snapshot(conn: Conn, fact_id: int) -> dict[str, Any] | None:
    """A fact as stored, for the audit trail and for edits."""
    row = await _one(conn, "SELECT * FROM facts WHERE id = ?", (fact_id,))
    if row is None:
        return None
    async with conn.execute(
        "SELECT topic FROM fact_topics WHERE fact_id = ? ORDER BY topic", (fact_id,)
    ) as cursor:
        topics = [r[0] for r in await cursor.fetchall()]
    async with conn.execute(
        'SELECT source_id, quote, start, "end" FROM citations WHERE fact_id = ? ORDER BY id',
        (fact_id,),
    ) as cursor:
        citations = [dict(r) for r in await cursor.fetchall()]
    return {
        "id": row["id"],
        "guild_id": row["guild_id"],
        "subject_id": row["subject_id"],
        "statement": row["statement"],
        "kind": row["kind"],
        "attributed_to": row["attributed_to"],
        "topics": topics,
        "citations": citations,
        "retracted": bool(row["retracted"]),
        "version": row["version"],
    }


async def _write_fact_links(conn: Conn, fact_id: int, draft: FactDraft) -> None:
    involved = [e for e in draft.entity_ids if e != draft.subject_id]
    await links.write_fact_links(
        conn, fact_id, draft.topics, involved, _citation_rows(draft.citations)
    )
    await index.refresh_facts(conn, [fact_id])


def _citation_rows(citations: tuple[CitationDraft, ...]) -> list[links.CitationRow]:
    return [(c.source_id, c.quote, c.start, c.end) for c in citations]


async def insert_fact(conn: Conn, draft: FactDraft, change: Change) -> int:
    now = change.at.isoformat()
    async with conn.execute(
        "INSERT INTO facts(guild_id, subject_id, statement, kind, attributed_to, origin,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, 'moderator', ?, ?) RETURNING id",
        (
            change.guild_id,
            draft.subject_id,
            draft.statement,
            draft.kind.value,
            draft.attributed_to,
            now,
            now,
        ),
    ) as cursor:
        fact_id = returned(await cursor.fetchone())[0]
    await _write_fact_links(conn, fact_id, draft)
    await audit(conn, change, "add", "fact", fact_id, None, await fact_snapshot(conn, fact_id))
    return fact_id


async def _editable_fact(conn: Conn, fact_id: int, change: Change) -> dict[str, Any]:
    """The fact, if it exists in the change's scope; NotFound otherwise (no leaks)."""
    row = await _one(
        conn, "SELECT id FROM facts WHERE id = ? AND guild_id IS ?", (fact_id, change.guild_id)
    )
    if row is None:
        raise not_in_scope(Table.FACTS.noun, fact_id, change.guild_id)
    snapshot = await fact_snapshot(conn, fact_id)
    assert snapshot is not None
    return snapshot


async def _bump(conn: Conn, table: str, row_id: int, version: int | None, change: Change) -> None:
    """Advance a row's version, refusing if someone else advanced it first."""
    cursor = await conn.execute(
        f"UPDATE {table} SET version = version + 1, updated_at = ? "
        "WHERE id = ? AND version = COALESCE(?, version)",  # no version given: any
        (change.at.isoformat(), row_id, version),
    )
    if cursor.rowcount != 1:
        raise Conflict(
            f"Someone changed {table[:-1]} {row_id} while you were editing it; "
            "look at it again and repeat your change."
        )


async def update_fact(
    conn: Conn, fact_id: int, draft: FactDraft, version: int | None, change: Change
) -> None:
    before = await _editable_fact(conn, fact_id, change)
    await _bump(conn, "facts", fact_id, version, change)
    await conn.execute(
        "UPDATE facts SET subject_id = ?, statement = ?, kind = ?, attributed_to = ? WHERE id = ?",
        (draft.subject_id, draft.statement, draft.kind.value, draft.attributed_to, fact_id),
    )
    await _write_fact_links(conn, fact_id, draft)
    await audit(conn, change, "edit", "fact", fact_id, before, await fact_snapshot(conn, fact_id))


async def set_retracted(
    conn: Conn, fact_id: int, retracted: bool, version: int | None, change: Change
) -> None:
    before = await _editable_fact(conn, fact_id, change)
    if before["retracted"] == retracted:
        state = "already retracted" if retracted else "not retracted"
        raise Conflict(f"Fact {fact_id} is {state}.")
    await _bump(conn, "facts", fact_id, version, change)
    await conn.execute("UPDATE facts SET retracted = ? WHERE id = ?", (int(retracted), fact_id))
    action = "retract" if retracted else "restore"
    await audit(conn, change, action, "fact", fact_id, before, await fact_snapshot(conn, fact_id))


# --- meetings --------------------------------------------------------------------------


async def meeting_snapshot(conn: Conn, meeting_id: int) -> dict[str, Any] | None:
    row = await _one(conn, "SELECT * FROM meetings WHERE id = ?", (meeting_id,))
    if row is None:
        return None
    keep = (
        "id",
        "guild_id",
        "title",
        "place_text",
        "starts_at",
        "ends_at",
        "tz",
        "precision",
        "status",
        "status_note",
        "version",
    )
    return {key: row[key] for key in keep}


async def _write_meeting_links(conn: Conn, meeting_id: int, draft: MeetingDraft) -> None:
    citations = _citation_rows(draft.citations)
    await links.write_meeting_links(conn, meeting_id, draft.participants, citations)


def _meeting_values(draft: MeetingDraft) -> tuple:
    place_id, place_text = draft.place if draft.place else (None, None)
    when = draft.when
    return (
        draft.title,
        place_id,
        place_text,
        iso(when.start),
        iso(when.end),
        when.tz,
        when.precision.value,
        when.resolution,
        draft.status.value,
        draft.status_note,
    )


async def insert_meeting(conn: Conn, draft: MeetingDraft, change: Change) -> int:
    now = change.at.isoformat()
    async with conn.execute(
        "INSERT INTO meetings(title, place_id, place_text, starts_at, ends_at, tz, precision,"
        " resolution, status, status_note, guild_id, origin, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'moderator', ?, ?) RETURNING id",
        (*_meeting_values(draft), change.guild_id, now, now),
    ) as cursor:
        meeting_id = returned(await cursor.fetchone())[0]
    await _write_meeting_links(conn, meeting_id, draft)
    after = await meeting_snapshot(conn, meeting_id)
    await audit(conn, change, "add", "meeting", meeting_id, None, after)
    return meeting_id


async def update_meeting(
    conn: Conn,
    meeting_id: int,
    draft: MeetingDraft,
    version: int | None,
    change: Change,
    action: str = "edit",
) -> None:
    row = await _one(
        conn,
        "SELECT id FROM meetings WHERE id = ? AND guild_id IS ?",
        (meeting_id, change.guild_id),
    )
    if row is None:
        raise not_in_scope(Table.MEETINGS.noun, meeting_id, change.guild_id)
    before = await meeting_snapshot(conn, meeting_id)
    await _bump(conn, "meetings", meeting_id, version, change)
    await conn.execute(
        "UPDATE meetings SET title = ?, place_id = ?, place_text = ?, starts_at = ?, ends_at = ?,"
        " tz = ?, precision = ?, resolution = ?, status = ?, status_note = ? WHERE id = ?",
        (*_meeting_values(draft), meeting_id),
    )
    await _write_meeting_links(conn, meeting_id, draft)
    after = await meeting_snapshot(conn, meeting_id)
    await audit(conn, change, action, "meeting", meeting_id, before, after)
