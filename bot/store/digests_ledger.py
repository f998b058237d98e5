"""The digest ledger: each server's subscription, and a record of each day's delivery,
claimed before it is sent, so a digest is never posted twice nor silently lost."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import replace
from datetime import date, datetime, time

import aiosqlite

from bot.logs import new_error_id
from bot.models import Change, Delivery, DigestSubscription
from bot.schedule import rezoned_last_day
from bot.store import audit, rows
from bot.store.sql import Read, one

log = logging.getLogger(__name__)


async def digest(read: Read, guild_id: int) -> DigestSubscription | None:
    row = await one(read, "SELECT * FROM digest_subscriptions WHERE guild_id = ?", (guild_id,))
    return rows.subscription(row) if row else None


async def digests(
    read: Read, unreadable: set[int], *, enabled_only: bool = True
) -> list[DigestSubscription]:
    found = await read(
        "SELECT * FROM digest_subscriptions WHERE enabled = 1 OR ? = 0", (int(enabled_only),)
    )
    return [sub for row in found if (sub := subscription_or_none(row, unreadable)) is not None]


def subscription_or_none(row: sqlite3.Row, unreadable: set[int]) -> DigestSubscription | None:
    """One unreadable setting (written by another version, or by hand) must not stop
    every server's digest: it is logged once with an id and left out."""
    try:
        return rows.subscription(row)
    except (ValueError, TypeError):
        if row["guild_id"] not in unreadable:
            unreadable.add(row["guild_id"])
            log.exception(
                "error %s: the digest setting of server %s is unreadable; skipping it",
                new_error_id(),
                row["guild_id"],
            )
        return None


async def untold_digest_problems(read: Read) -> set[int]:
    found = await read("SELECT guild_id FROM digest_subscriptions WHERE reason_told = 0")
    return {row["guild_id"] for row in found}


async def delivery(read: Read, guild_id: int, day: date) -> Delivery | None:
    row = await one(
        read,
        "SELECT * FROM digest_deliveries WHERE guild_id = ? AND local_day = ?",
        (guild_id, day.isoformat()),
    )
    return rows.delivery(row) if row else None


async def set_digest(
    conn: aiosqlite.Connection,
    guild_id: int,
    channel_id: int,
    local_time: time,
    tz: str,
    change: Change,
) -> None:
    """Subscribe, re-point or re-enable a server's digest. Nothing is due before now
    (no instant post for a time already past today); a first subscription's news
    starts now, a changed one keeps what was not yet reported. A change of zone
    restates the last day sent in the new zone's days (`rezoned_last_day`) and
    forgets settled records of later days, which were the old zone's days."""
    at = change.at.isoformat()
    last_day = await rezoned_last_day_in(conn, guild_id, tz)
    await conn.execute(
        "INSERT INTO digest_subscriptions(guild_id, channel_id, local_time, tz, enabled,"
        " disabled_reason, reason_told, active_from, since, updated_by, updated_at)"
        " VALUES (?, ?, ?, ?, 1, NULL, 1, ?, ?, ?, ?) ON CONFLICT(guild_id) DO UPDATE SET"
        " channel_id = excluded.channel_id, local_time = excluded.local_time,"
        " tz = excluded.tz, enabled = 1, disabled_reason = NULL, reason_told = 1,"
        " active_from = excluded.active_from, updated_by = excluded.updated_by,"
        " updated_at = excluded.updated_at",
        (
            guild_id,
            channel_id,
            local_time.strftime("%H:%M"),
            tz,
            at,
            at,
            change.actor_id,
            at,
        ),
    )
    if last_day is not None:
        await conn.execute(
            "UPDATE digest_subscriptions SET last_sent_day = ? WHERE guild_id = ?",
            (last_day.isoformat(), guild_id),
        )
        await conn.execute(
            "DELETE FROM digest_deliveries WHERE guild_id = ? AND local_day > ?"
            " AND state IN ('sent', 'skipped')",
            (guild_id, last_day.isoformat()),
        )
    after = {"channel_id": channel_id, "time": local_time.strftime("%H:%M"), "tz": tz}
    await audit.change(conn, change, "digest set", "guild", guild_id, None, after)


async def rezoned_last_day_in(conn: aiosqlite.Connection, guild_id: int, tz: str) -> date | None:
    """The last day sent restated in zone `tz`, read in the writing transaction (so a
    digest finishing meanwhile is not overwritten); None when the zone is unchanged."""
    async with conn.execute(
        "SELECT * FROM digest_subscriptions WHERE guild_id = ?", (guild_id,)
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row["tz"] == tz:
        return None
    try:
        return rezoned_last_day(rows.subscription(row), tz)
    except ValueError:  # an unreadable stored row: the new setting replaces it
        log.warning("digest setting of server %s was unreadable; replaced", guild_id)
        return None


async def disable_digest(
    conn: aiosqlite.Connection, guild_id: int, reason: str | None, change: Change | None = None
) -> None:
    """Turn a digest off: by a moderator (no reason to tell) or by the bot (reason
    kept, and told to the moderators the next time one of them uses a command)."""
    await conn.execute(
        "UPDATE digest_subscriptions SET enabled = 0, disabled_reason = ?,"
        " reason_told = ? WHERE guild_id = ?",
        (reason, int(reason is None), guild_id),
    )
    if change is not None:
        await audit.change(conn, change, "digest off", "guild", guild_id, None, None)


async def mark_reason_told(conn: aiosqlite.Connection, guild_id: int) -> None:
    await conn.execute(
        "UPDATE digest_subscriptions SET reason_told = 1 WHERE guild_id = ?", (guild_id,)
    )


async def claim_delivery(
    conn: aiosqlite.Connection, guild_id: int, day: date, nonce: str, at: datetime
) -> Delivery | None:
    """Record that a day's digest is being sent, before it is sent. Returns None when
    the day is now claimed afresh, else the earlier record: 'sent', or 'sending' (left
    by a crash or a failure: what got out must be looked for first).

    A skipped day was not posted, so it can be claimed again (a moderator's `digest
    now`, or a new time later that day). A skip that settled a crashed send may have
    got out, so it comes back as 'sending' with its first claim's nonce and time."""
    async with conn.execute(
        "SELECT * FROM digest_deliveries WHERE guild_id = ? AND local_day = ?",
        (guild_id, day.isoformat()),
    ) as cursor:
        row = await cursor.fetchone()
    earlier = rows.delivery(row) if row else None
    if earlier is not None and earlier.state != "skipped":
        return earlier
    if earlier is not None and earlier.nonce:
        await conn.execute(
            "UPDATE digest_deliveries SET state = 'sending' WHERE guild_id = ? AND local_day = ?",
            (guild_id, day.isoformat()),
        )
        return replace(earlier, state="sending")
    await conn.execute(
        "INSERT INTO digest_deliveries(guild_id, local_day, state, nonce, at)"
        " VALUES (?, ?, 'sending', ?, ?) ON CONFLICT(guild_id, local_day) DO UPDATE"
        " SET state = 'sending', nonce = excluded.nonce, at = excluded.at",
        (guild_id, day.isoformat(), nonce, at.isoformat()),
    )
    return None


async def finish_delivery(
    conn: aiosqlite.Connection,
    guild_id: int,
    day: date,
    message_id: int,
    at: datetime,
    since: datetime,
) -> None:
    """The digest for `day` went out: changes up to `since` are no longer news."""
    await conn.execute(
        "UPDATE digest_deliveries SET state = 'sent', message_id = ?, at = ?"
        " WHERE guild_id = ? AND local_day = ?",
        (message_id, at.isoformat(), guild_id, day.isoformat()),
    )
    await conn.execute(
        "UPDATE digest_subscriptions"
        " SET last_sent_day = CASE WHEN last_sent_day > ? THEN last_sent_day ELSE ? END,"
        " last_sent_at = ?, since = ? WHERE guild_id = ?",
        (day.isoformat(), day.isoformat(), at.isoformat(), since.isoformat(), guild_id),
    )


async def release_delivery(conn: aiosqlite.Connection, guild_id: int, day: date) -> None:
    """Forget a claim whose send failed, so the day can be tried again."""
    await conn.execute(
        "DELETE FROM digest_deliveries WHERE guild_id = ? AND local_day = ? AND state = 'sending'",
        (guild_id, day.isoformat()),
    )


async def skip_delivery(conn: aiosqlite.Connection, guild_id: int, day: date, at: datetime) -> bool:
    """Record a day missed beyond the grace window (also one left 'sending' by a crash,
    which may or may not have got out: it keeps its nonce and claim time, so a later
    claim looks in the channel from then); False if it was already recorded."""
    async with conn.execute(
        "INSERT INTO digest_deliveries(guild_id, local_day, state, nonce, at)"
        " VALUES (?, ?, 'skipped', '', ?) ON CONFLICT(guild_id, local_day) DO UPDATE"
        " SET state = 'skipped' WHERE digest_deliveries.state = 'sending'"
        " RETURNING guild_id",
        (guild_id, day.isoformat(), at.isoformat()),
    ) as cursor:
        return await cursor.fetchone() is not None
