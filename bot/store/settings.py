"""Settings: the store's own meta values, and each server's moderator role."""

from __future__ import annotations

import aiosqlite

from bot.models import Change
from bot.store import audit
from bot.store.sql import Read, one


async def get_meta(read: Read, key: str) -> str | None:
    row = await one(read, "SELECT value FROM meta WHERE key = ?", (key,))
    return str(row["value"]) if row else None


async def mod_role(read: Read, guild_id: int) -> int | None:
    row = await one(read, "SELECT mod_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,))
    return row["mod_role_id"] if row else None


async def set_meta(conn: aiosqlite.Connection, key: str, value: str) -> None:
    await conn.execute(
        "INSERT INTO meta(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (key, value),
    )


async def set_mod_role(
    conn: aiosqlite.Connection, guild_id: int, role_id: int | None, change: Change
) -> None:
    async with conn.execute(
        "SELECT mod_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    before = row["mod_role_id"] if row else None
    await conn.execute(
        "INSERT INTO guild_settings(guild_id, mod_role_id) VALUES (?, ?) "
        "ON CONFLICT(guild_id) DO UPDATE SET mod_role_id = excluded.mod_role_id",
        (guild_id, role_id),
    )
    after = {"mod_role_id": role_id}
    await audit.change(conn, change, "modrole", "guild", guild_id, {"mod_role_id": before}, after)
