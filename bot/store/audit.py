"""The audit trail: every change to a fact, meeting or server setting, and who made
it. One writer (`record`) for the importer and the moderators' changes alike."""

from __future__ import annotations

import json

import aiosqlite

from bot.models import AuditEntry, Change, RowOwner, Table
from bot.store import rows
from bot.store.sql import Read, one, visible


async def history(
    read: Read, object_type: str, object_id: int, guild_id: int | None
) -> list[AuditEntry]:
    """Every recorded change to one fact or meeting visible from `guild_id`."""
    if object_type not in {"fact", "meeting"}:
        raise ValueError(f"no history for {object_type!r}")
    found = await read(
        f"SELECT a.* FROM audit a JOIN {object_type}s o ON o.id = a.object_id "
        f"WHERE a.object_type = :type AND a.object_id = :id AND {visible('o')} ORDER BY a.id",
        {"type": object_type, "id": object_id, "guild": guild_id},
    )
    return [rows.audit_entry(row) for row in found]


async def audit_log(read: Read, guild_id: int | None, limit: int = 20) -> list[AuditEntry]:
    """The newest changes made in this scope (a server's, or the shared one)."""
    found = await read(
        "SELECT * FROM audit WHERE guild_id IS :guild ORDER BY id DESC LIMIT :limit",
        {"guild": guild_id, "limit": limit},
    )
    return [rows.audit_entry(row) for row in found]


async def row_owner(read: Read, table: Table, row_id: int) -> RowOwner | None:
    """Whose a fact or meeting is, or None if there is no such row."""
    table = Table(table)  # only these table names ever reach the SQL
    row = await one(read, f"SELECT guild_id FROM {table.value} WHERE id = ?", (row_id,))
    return None if row is None else RowOwner(row["guild_id"])


async def record(
    conn: aiosqlite.Connection,
    *,
    at: str,
    action: str,
    kind: str,
    object_id: int | None,
    actor_id: int | None = None,
    guild_id: int | None = None,
    before: dict | None = None,
    after: dict | None = None,
    reason: str | None = None,
) -> None:
    """One audit row, inside the caller's transaction."""
    await conn.execute(
        "INSERT INTO audit(at, actor_id, guild_id, action, object_type, object_id, before, "
        "after, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (at, actor_id, guild_id, action, kind, object_id, _json(before), _json(after), reason),
    )


async def change(
    conn: aiosqlite.Connection,
    change: Change,
    action: str,
    kind: str,
    object_id: int | None,
    before: dict | None,
    after: dict | None,
) -> None:
    """The audit row of a moderator's or curator's change."""
    await record(
        conn,
        at=change.at.isoformat(),
        action=action,
        kind=kind,
        object_id=object_id,
        actor_id=change.actor_id,
        guild_id=change.guild_id,
        before=before,
        after=after,
        reason=change.reason or None,
    )


def _json(value: dict | None) -> str | None:
    return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True) if value else None
