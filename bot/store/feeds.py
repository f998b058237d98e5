"""Store queries for fetched sources and followed feeds (a part of `Store`).

Feeds are per server; every query that takes a `guild_id` only ever sees that server's
rows. A feed item moves 'new' -> 'sending' (claimed before its post) -> 'posted', so it
is posted once however often the feed is read and whatever restarts in between.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TYPE_CHECKING

import aiosqlite

from bot.errors import Conflict
from bot.feedmodels import Feed, FeedItem, FetchRecord, ItemDraft
from bot.models import Change, Published, SourceDraft
from bot.store import changes
from bot.store.rows import returned

# Items remembered per feed (to know what was already seen). A poll reads at most 100,
# so an item this far back has long left the feed.
ITEMS_KEPT = 1000


def _at(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def feed_row(row: sqlite3.Row) -> Feed:
    return Feed(
        id=row["id"],
        guild_id=row["guild_id"],
        url=str(row["url"]),
        title=str(row["title"] or ""),
        channel_id=row["channel_id"],
        interval_seconds=int(row["interval_seconds"]),
        next_poll_at=datetime.fromisoformat(str(row["next_poll_at"])),
        etag=row["etag"],
        last_modified=row["last_modified"],
        polled_at=_at(row["polled_at"]),
        failing_since=_at(row["failing_since"]),
        failures=int(row["failures"]),
        last_error=row["last_error"],
        paused=bool(row["paused"]),
        paused_reason=row["paused_reason"],
        baselined=bool(row["baselined"]),
    )


def item_row(row: sqlite3.Row) -> FeedItem:
    return FeedItem(
        id=row["id"],
        feed_id=row["feed_id"],
        guild_id=row["guild_id"],
        title=str(row["title"]),
        link=row["link"],
        published=row["published"],
        state=str(row["state"]),
        claimed_at=_at(row["claimed_at"]),
        message_id=row["message_id"],
        source_id=row["source_id"],
    )


def fetch_row(row: sqlite3.Row) -> FetchRecord:
    return FetchRecord(
        url=str(row["url"]),
        final_url=str(row["final_url"]),
        content_type=str(row["content_type"]),
        fetched_at=datetime.fromisoformat(str(row["fetched_at"])),
        body_sha256=str(row["body_sha256"]),
        text_sha256=str(row["text_sha256"]),
        confirmed_by=row["confirmed_by"],
        confirmed_at=_at(row["confirmed_at"]),
    )


class FeedQueries:
    """Mixed into Store: uses its `_all`, `_one` and `transaction`."""

    if TYPE_CHECKING:  # what Store provides, for the type checker

        def transaction(self) -> AbstractAsyncContextManager[aiosqlite.Connection]: ...

        async def _all(
            self, sql: str, params: Sequence[object] | dict = ()
        ) -> list[sqlite3.Row]: ...

        async def _one(
            self, sql: str, params: Sequence[object] | dict = ()
        ) -> sqlite3.Row | None: ...

    # --- fetched sources ---------------------------------------------------------------

    async def add_fetched_source(
        self,
        draft: SourceDraft,
        title_is_ours: bool,
        fetched: FetchRecord,
        change: Change,
        check: changes.QuotaCheck | None = None,
    ) -> int:
        """The source and where it came from, in one audited transaction, within the
        server's quota like any other source."""
        async with self.transaction() as conn:
            await changes.check_quota(conn, change, check)
            source_id = await changes.insert_source(conn, draft, change)
            if title_is_ours:
                await conn.execute(
                    "UPDATE sources SET title_is_ours = 1 WHERE id = ?", (source_id,)
                )
            await conn.execute(
                "INSERT INTO source_fetches(source_id, guild_id, url, final_url, content_type,"
                " fetched_at, body_sha256, text_sha256) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    source_id,
                    change.guild_id,
                    fetched.url,
                    fetched.final_url,
                    fetched.content_type,
                    fetched.fetched_at.isoformat(),
                    fetched.body_sha256,
                    fetched.text_sha256,
                ),
            )
        return source_id

    async def source_fetch(self, source_id: int) -> FetchRecord | None:
        row = await self._one("SELECT * FROM source_fetches WHERE source_id = ?", (source_id,))
        return fetch_row(row) if row else None

    async def correct_source_metadata(
        self,
        source_id: int,
        *,
        title: str,
        author: str | None,
        publisher: str | None,
        published: Published | None,
        change: Change,
    ) -> None:
        """A moderator's corrected (or confirmed) metadata for their server's fetched
        source; the text is never changed, so citations stay valid."""
        async with self.transaction() as conn:
            async with conn.execute(
                "SELECT title, author, publisher, published FROM sources"
                " WHERE id = ? AND guild_id IS ?",
                (source_id, change.guild_id),
            ) as cursor:
                before = await cursor.fetchone()
            if before is None:
                raise Conflict(f"Source S{source_id} is not one of this server's sources.")
            await conn.execute(
                "UPDATE sources SET title = ?, title_is_ours = 0, author = ?, publisher = ?,"
                " published = ?, published_precision = ?, published_note = ? WHERE id = ?",
                (
                    title,
                    author,
                    publisher,
                    published.value.isoformat() if published else None,
                    published.precision.value if published else None,
                    published.note if published else "",
                    source_id,
                ),
            )
            await conn.execute(
                "UPDATE source_fetches SET confirmed_by = ?, confirmed_at = ? WHERE source_id = ?",
                (change.actor_id, change.at.isoformat(), source_id),
            )
            after = {
                "title": title,
                "author": author,
                "publisher": publisher,
                "published": published.value.isoformat() if published else None,
            }
            await changes.audit(
                conn, change, "confirm metadata", "source", source_id, dict(before), after
            )

    # --- feeds -------------------------------------------------------------------------

    async def feed_count(self, guild_id: int) -> int:
        row = await self._one("SELECT count(*) AS n FROM feeds WHERE guild_id = ?", (guild_id,))
        return int(row["n"]) if row else 0

    async def feed_by_url(self, guild_id: int, url: str) -> Feed | None:
        row = await self._one("SELECT * FROM feeds WHERE guild_id = ? AND url = ?", (guild_id, url))
        return feed_row(row) if row else None

    async def add_feed(
        self,
        url: str,
        title: str,
        channel_id: int,
        interval_seconds: int,
        change: Change,
    ) -> int:
        """Follow a feed (or resume and re-point one already followed); first poll now."""
        at, actor = change.at.isoformat(), change.actor_id
        async with self.transaction() as conn:
            async with conn.execute(
                "INSERT INTO feeds(guild_id, url, title, channel_id, interval_seconds,"
                " next_poll_at, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(guild_id, url) DO UPDATE SET channel_id = excluded.channel_id,"
                " interval_seconds = excluded.interval_seconds,"
                " next_poll_at = excluded.next_poll_at,"
                " paused = 0, paused_reason = NULL, failures = 0, failing_since = NULL"
                " RETURNING id",
                (change.guild_id, url, title, channel_id, interval_seconds, at, actor, at),
            ) as cursor:
                feed_id = returned(await cursor.fetchone())[0]
            after = {"url": url, "channel_id": channel_id, "every": interval_seconds}
            await changes.audit(conn, change, "feed add", "feed", feed_id, None, after)
        return int(feed_id)

    async def feeds(self, guild_id: int) -> list[Feed]:
        found = await self._all("SELECT * FROM feeds WHERE guild_id = ? ORDER BY id", (guild_id,))
        return [feed_row(row) for row in found]

    async def feed(self, feed_id: int, guild_id: int | None = None) -> Feed | None:
        """A feed by id; with `guild_id`, only if it is that server's."""
        row = await self._one(
            "SELECT * FROM feeds WHERE id = ? AND guild_id = COALESCE(?, guild_id)",
            (feed_id, guild_id),
        )
        return feed_row(row) if row else None

    async def remove_feed(self, feed_id: int, change: Change) -> bool:
        async with self.transaction() as conn:
            async with conn.execute(
                "DELETE FROM feeds WHERE id = ? AND guild_id = ? RETURNING url",
                (feed_id, change.guild_id),
            ) as cursor:
                removed = await cursor.fetchone()
            if removed is not None:
                before = {"url": removed["url"]}
                await changes.audit(conn, change, "feed remove", "feed", feed_id, before, None)
        return removed is not None

    async def due_feed_ids(self, now: datetime, limit: int = 100) -> list[int]:
        found = await self._all(
            "SELECT id FROM feeds WHERE paused = 0 AND next_poll_at <= ?"
            " ORDER BY next_poll_at LIMIT ?",
            (now.isoformat(), limit),
        )
        return [int(row["id"]) for row in found]

    async def next_poll_time(self) -> datetime | None:
        row = await self._one("SELECT min(next_poll_at) AS at FROM feeds WHERE paused = 0")
        return _at(row["at"]) if row else None

    async def postpone_feed(self, feed_id: int, until: datetime) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET next_poll_at = ? WHERE id = ?", (until.isoformat(), feed_id)
            )

    async def record_poll(
        self,
        feed_id: int,
        *,
        now: datetime,
        next_poll_at: datetime,
        title: str | None,
        etag: str | None,
        last_modified: str | None,
        items: Sequence[ItemDraft],
        backlog: int,
    ) -> int:
        """A successful read: new validators, and the items not seen before. On the first
        read only the newest `backlog` items are queued for posting (the rest are marked
        seen, so adding a feed does not flood the channel). Returns how many were queued."""
        async with self.transaction() as conn:
            async with conn.execute(
                "SELECT guild_id, baselined FROM feeds WHERE id = ?", (feed_id,)
            ) as cursor:
                feed = await cursor.fetchone()
            if feed is None:
                return 0  # removed while it was being read
            queued = 0
            for position, item in enumerate(items):
                state = "new" if feed["baselined"] or position < backlog else "seen"
                async with conn.execute(
                    "INSERT INTO feed_items(feed_id, guild_id, item_key, title, link, published,"
                    " state, first_seen) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                    " ON CONFLICT(feed_id, item_key) DO NOTHING RETURNING state",
                    (
                        feed_id,
                        feed["guild_id"],
                        item.key,
                        item.title,
                        item.link,
                        item.published,
                        state,
                        now.isoformat(),
                    ),
                ) as cursor:
                    inserted = await cursor.fetchone()
                queued += bool(inserted and inserted["state"] == "new")
            await conn.execute(
                "DELETE FROM feed_items WHERE feed_id = ? AND state IN ('seen', 'posted')"
                " AND id <= (SELECT id FROM feed_items WHERE feed_id = ?"
                " ORDER BY id DESC LIMIT 1 OFFSET ?)",
                (feed_id, feed_id, ITEMS_KEPT),
            )
            await conn.execute(
                "UPDATE feeds SET polled_at = ?, next_poll_at = ?, etag = coalesce(?, etag),"
                " last_modified = coalesce(?, last_modified), title = coalesce(?, title),"
                " failures = 0, failing_since = NULL, last_error = NULL, baselined = 1"
                " WHERE id = ?",
                (
                    now.isoformat(),
                    next_poll_at.isoformat(),
                    etag,
                    last_modified,
                    title,
                    feed_id,
                ),
            )
        return queued

    async def record_failure(
        self, feed_id: int, *, now: datetime, next_poll_at: datetime, error: str
    ) -> Feed | None:
        """A failed read: count it, remember since when it fails; the feed as now stored."""
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET failures = failures + 1, last_error = ?,"
                " failing_since = coalesce(failing_since, ?), next_poll_at = ? WHERE id = ?",
                (error, now.isoformat(), next_poll_at.isoformat(), feed_id),
            )
        return await self.feed(feed_id)

    async def pause_feed(self, feed_id: int, reason: str) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE feeds SET paused = 1, paused_reason = ? WHERE id = ?", (reason, feed_id)
            )

    # --- feed items ----------------------------------------------------------------------

    async def items_to_post(self, feed_id: int, limit: int) -> list[FeedItem]:
        """Items waiting to be posted, oldest first (also any claimed before a crash)."""
        found = await self._all(
            "SELECT * FROM feed_items WHERE feed_id = ? AND state IN ('new', 'sending')"
            " ORDER BY id LIMIT ?",
            (feed_id, limit),
        )
        return [item_row(row) for row in found]

    async def feeds_with_pending(self) -> list[int]:
        """Feeds with items queued or claimed but not known to be posted."""
        found = await self._all(
            "SELECT DISTINCT i.feed_id FROM feed_items i JOIN feeds f ON f.id = i.feed_id"
            " WHERE i.state IN ('new', 'sending') AND f.paused = 0 ORDER BY i.feed_id"
        )
        return [int(row["feed_id"]) for row in found]

    async def claim_item(self, item_id: int, now: datetime) -> bool:
        """Mark an item as being posted, before it is; False if someone else has."""
        async with (
            self.transaction() as conn,
            conn.execute(
                "UPDATE feed_items SET state = 'sending', claimed_at = ?"
                " WHERE id = ? AND state = 'new' RETURNING id",
                (now.isoformat(), item_id),
            ) as cursor,
        ):
            return await cursor.fetchone() is not None

    async def finish_item(self, item_id: int, message_id: int) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE feed_items SET state = 'posted', message_id = ? WHERE id = ?",
                (message_id, item_id),
            )

    async def feed_item(self, item_id: int, guild_id: int | None) -> FeedItem | None:
        """An item, only if it belongs to `guild_id` (another server's items stay unseen)."""
        row = await self._one(
            "SELECT * FROM feed_items WHERE id = ? AND guild_id IS ?", (item_id, guild_id)
        )
        return item_row(row) if row else None

    async def link_item_source(self, item_id: int, source_id: int) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE feed_items SET source_id = ? WHERE id = ?", (source_id, item_id)
            )


def item_key(guid: str | None, link: str | None, title: str) -> str:
    """A stable key for an entry: its guid, else its link, else its title."""
    basis = guid or link or title
    return hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()
