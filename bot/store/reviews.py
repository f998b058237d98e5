"""Review queues of drafted candidates (`source draft`), kept in the store so a restart
loses nothing, and the look-ups drafting needs. Each write is one transaction."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

import bot.review as model
from bot.drafting import Alias
from bot.store.store import Store

if TYPE_CHECKING:
    from bot.review import Queue


async def draft_aliases(store: Store) -> list[Alias]:
    """Every name the store knows, with its entity's canonical name and type."""
    found = await store._all(
        "SELECT a.alias, a.entity_id, e.name, e.type FROM aliases a "
        "JOIN entities e ON e.id = a.entity_id UNION "
        "SELECT e.name, e.id, e.name, e.type FROM entities e"
    )
    return [Alias(row[0], row[1], row[2], row[3]) for row in found]


async def fact_citing(
    store: Store, source_id: int, start: int, end: int, guild_id: int | None
) -> int | None:
    """A live fact of exactly this scope that cites exactly this span, if there is one."""
    row = await store._one(
        "SELECT f.id FROM facts f JOIN citations c ON c.fact_id = f.id "
        "WHERE c.source_id = :source AND c.start = :start AND c.end = :end "
        "AND f.retracted = 0 AND f.guild_id IS :guild ORDER BY f.id LIMIT 1",
        {"source": source_id, "start": start, "end": end, "guild": guild_id},
    )
    return int(row[0]) if row else None


def _queue(row) -> Queue:
    raw = json.loads(row["items"])
    return model.Queue(
        id=row["id"],
        guild_id=row["guild_id"],
        moderator_id=row["moderator_id"],
        scope=row["scope"],
        source_id=row["source_id"],
        items=model.items_from_json(raw["items"]),
        position=row["position"],
        created_at=datetime.fromisoformat(row["created_at"]),
        expires_at=datetime.fromisoformat(row["expires_at"]),
        truncated=int(raw.get("truncated", 0)),
    )


def _items(queue: Queue) -> str:
    return json.dumps(
        {"items": queue.items_json(), "truncated": queue.truncated}, ensure_ascii=False
    )


async def open_queue(store: Store, queue: Queue, *, per_moderator: int, per_server: int) -> None:
    """Save a new queue. Expired queues go; so does the moderator's oldest past
    `per_moderator`, and the server's oldest past `per_server`."""
    now = queue.created_at.isoformat()
    async with store.transaction() as conn:
        await conn.execute("DELETE FROM review_queues WHERE expires_at <= ?", (now,))
        for where, params, keep in (
            (
                "guild_id = ? AND moderator_id = ?",
                (queue.guild_id, queue.moderator_id),
                per_moderator,
            ),
            ("guild_id = ?", (queue.guild_id,), per_server),
        ):
            await conn.execute(
                f"DELETE FROM review_queues WHERE id IN (SELECT id FROM review_queues "
                f"WHERE {where} ORDER BY created_at DESC, rowid DESC LIMIT -1 OFFSET ?)",
                (*params, keep - 1),
            )
        await conn.execute(
            "INSERT INTO review_queues(id, guild_id, moderator_id, scope, source_id, position,"
            " items, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                queue.id,
                queue.guild_id,
                queue.moderator_id,
                queue.scope,
                queue.source_id,
                queue.position,
                _items(queue),
                now,
                queue.expires_at.isoformat(),
            ),
        )


async def load_queue(store: Store, queue_id: str) -> Queue | None:
    row = await store._one("SELECT * FROM review_queues WHERE id = ?", (queue_id,))
    return _queue(row) if row else None


async def save_queue(store: Store, queue: Queue) -> None:
    async with store.transaction() as conn:
        await conn.execute(
            "UPDATE review_queues SET position = ?, items = ?, expires_at = ? WHERE id = ?",
            (queue.position, _items(queue), queue.expires_at.isoformat(), queue.id),
        )


async def close_queue(store: Store, queue_id: str) -> None:
    async with store.transaction() as conn:
        await conn.execute("DELETE FROM review_queues WHERE id = ?", (queue_id,))
