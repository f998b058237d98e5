"""The one async API the rest of the bot uses to read and write the fact store.

Reads go through their own connection, so they keep working while a write is in
progress (SQLite's WAL lets them see the last committed state). Writes are serialised
by a lock on a second connection and each runs as one `BEGIN IMMEDIATE` transaction.
Visibility: `guild_id=None` (DMs, the console) sees shared rows only; a server sees
shared rows plus its own.

The SQL lives in one module a table family, as functions that take the Store's read
path or a transaction's connection: entities, facts, search, meetings, sources,
settings, digests_ledger, audit, changes (moderators' writes) and importer (curated
data). The Store keeps the connections, the transactions, the caches and this API.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from pathlib import Path

import aiosqlite

from bot.curation import Bundle
from bot.errors import StoreUnavailable
from bot.models import (
    AuditEntry,
    Change,
    Counts,
    Delivery,
    DigestSubscription,
    Entity,
    EntityMatch,
    Fact,
    FactDraft,
    Meeting,
    MeetingDraft,
    RowOwner,
    Source,
    SourceDraft,
    Table,
    Usage,
)
from bot.query import Query, Results
from bot.store import (
    audit,
    changes,
    database,
    digests_ledger,
    entities,
    facts,
    meetings,
    search,
    settings,
    sources,
)
from bot.store.changes import QuotaCheck
from bot.store.feeds import FeedQueries
from bot.store.importer import ImportReport, import_bundle
from bot.store.meetings import usable_when
from bot.store.sql import ANSWER_LIMIT
from bot.text import fold, lookup_keys

__all__ = ["ANSWER_LIMIT", "DAMAGED", "Store", "usable_when"]

log = logging.getLogger(__name__)

# Suggestions remembered between writes (each a few names; oldest forgotten first).
SUGGESTIONS_KEPT = 512
DAMAGED = "The fact store is damaged, so this cannot be answered; the bot's log says more."


class Store(FeedQueries):
    """Open with `await Store.open(path)`; close with `await store.close()`."""

    def __init__(self, path: Path, reader: aiosqlite.Connection, writer: aiosqlite.Connection):
        self.path = path
        self._read = reader
        self._write = writer
        self._write_lock = asyncio.Lock()
        self._alias_cache: list[tuple[str, int]] | None = None
        # (folded, limit) -> suggested names, until the next write (as the alias cache).
        self._suggestions: dict[tuple[str, int], tuple[str, ...]] = {}
        self.generation = 0  # bumped by every write this process commits
        self.read_only = False  # opened read-only: every write is refused
        self._told_damaged = False
        self._unreadable: set[int] = set()  # servers whose digest setting was logged unreadable
        self._unusable: set[tuple[str, int]] = set()  # rows already logged as unusable

    # --- life cycle ------------------------------------------------------------------

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """The store at `path`, created and migrated if need be; read-only (every write
        refused, reads served) if it exists but cannot be written; StoreUnusable, whose
        one-line message names the path and what to do, if it cannot be used at all."""
        path = Path(path)
        reader, writer, read_only = await database.open_connections(path)
        store = cls(path, reader, writer)
        store.read_only = read_only
        return store

    async def close(self) -> None:
        async with self._write_lock:
            await self._write.close()
        await self._read.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: all of it lands, or none of it does.

        A locked, read-only or full database becomes StoreUnavailable, whose message a
        user can be shown; reads go on working through the other connection.
        """
        async with self._write_lock:
            conn = self._write
            try:
                await conn.execute("BEGIN IMMEDIATE")
                yield conn
                await conn.execute("COMMIT")
                self.generation += 1
            except BaseException as error:
                if conn.in_transaction:
                    await conn.execute("ROLLBACK")
                if isinstance(error, sqlite3.OperationalError) and _is_unavailable(error):
                    log.warning("write refused by SQLite: %s", error)
                    raise StoreUnavailable(_unavailable_message(error)) from error
                self._check_damage(error)
                raise
            finally:
                self._alias_cache = None
                self._suggestions.clear()

    async def _all(self, sql: str, params: Sequence[object] | dict = ()) -> list[sqlite3.Row]:
        """Run a query and fetch every row in one step on the reader's thread, so no
        statement stays open between awaits: an open statement would pin the reader to an
        old snapshot while other coroutines query, hiding writes committed since."""
        try:
            return list(await self._read.execute_fetchall(sql, params))
        except sqlite3.OperationalError as error:
            if _is_unavailable(error):
                raise StoreUnavailable(_unavailable_message(error)) from error
            raise
        except sqlite3.DatabaseError as error:
            self._check_damage(error)
            raise

    def _check_damage(self, error: BaseException) -> None:
        """A damaged file (a failing disk) becomes StoreUnavailable with a message a user
        can be shown; the operator is told once, in the log, what it is and what to do."""
        if not (isinstance(error, sqlite3.DatabaseError) and _is_damaged(error)):
            return
        if not self._told_damaged:
            self._told_damaged = True
            log.error("%s", database.damaged_notice(self.path, error))
        raise StoreUnavailable(DAMAGED) from error

    async def _one(self, sql: str, params: Sequence[object] | dict = ()) -> sqlite3.Row | None:
        found = await self._all(sql, params)
        return found[0] if found else None

    # --- meta --------------------------------------------------------------------------

    async def get_meta(self, key: str) -> str | None:
        return await settings.get_meta(self._all, key)

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as conn:
            await settings.set_meta(conn, key, value)

    async def data_version(self) -> int:
        """A number that changes whenever anyone commits to the store (cache key)."""
        return await settings.data_version(self._all)

    async def schema_version(self) -> int:
        return await settings.schema_version(self._all)

    async def integrity_check(self) -> str:
        return await settings.integrity_check(self._all)

    # --- curated data ------------------------------------------------------------------

    async def import_bundle(self, bundle: Bundle, now: datetime) -> ImportReport:
        """Upsert checked curated data in one transaction (see bot.store.importer), as
        written at `now`."""
        async with self.transaction() as conn:
            return await import_bundle(conn, bundle, now)

    # --- entities ----------------------------------------------------------------------

    async def _aliases(self) -> list[tuple[str, int]]:
        if self._alias_cache is None:
            self._alias_cache = await entities.fuzzy_aliases(self._all)
        return self._alias_cache

    async def entity(self, entity_id: int) -> Entity | None:
        return await entities.entity(self._all, entity_id)

    async def entities(self) -> list[Entity]:
        """Every entity with all its aliases (for export)."""
        return await entities.entities(self._all)

    async def find_entity(self, name: str, *, suggestions: int = 5) -> EntityMatch:
        """Look an entity up by any alias, ignoring case and accents; on a miss,
        suggest close names ("putn" -> Vladimir Putin)."""
        keys = lookup_keys(name)
        if not keys:
            return EntityMatch(None)
        found = await entities.by_alias(self._all, keys)
        if found is not None:
            return found
        return EntityMatch(None, await self.suggest_names(keys[-1], suggestions))

    async def names_with_word(self, word: str, entity_id: int, limit: int = 5) -> list[str]:
        """Canonical names of other entities with `word` as a whole word in one of their
        names ("Kim" -> Kim Yo Jong), to say whether a bare surname was ambiguous."""
        return await entities.names_with_word(self._all, word, entity_id, limit)

    async def suggest_names(self, folded: str, limit: int = 5) -> tuple[str, ...]:
        """Names close to `folded`; the same typo again (autocomplete asks on every
        keystroke) is answered from memory until the next write."""
        remembered = self._suggestions.get((folded, limit))
        if remembered is not None:
            return remembered
        aliases = await self._aliases()
        # rapidfuzz over every alias is CPU work (24 ms at 43,000 aliases): off the loop.
        ranked = await asyncio.to_thread(entities.rank_suggestions, folded, aliases, limit)
        found = tuple(await entities.names(self._all, ranked))
        if len(self._suggestions) >= SUGGESTIONS_KEPT:
            self._suggestions.pop(next(iter(self._suggestions)))  # the oldest
        self._suggestions[folded, limit] = found
        return found

    async def complete_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Canonical names whose name or alias starts with (or fuzzily matches) prefix."""
        key = fold(prefix)
        names = await entities.names_starting(self._all, key, limit)
        if not names and key:
            names += [n for n in await self.suggest_names(key, limit) if n not in names]
        return names[:limit]

    async def key_actors(self, guild_id: int | None, limit: int = 10) -> list[tuple[Entity, int]]:
        """People and organisations the visible facts and meetings are most about."""
        return await entities.key_actors(self._all, guild_id, limit)

    # --- facts -------------------------------------------------------------------------

    async def _hydrate(self, fact_rows: list[sqlite3.Row]) -> list[Fact]:
        return await facts.hydrate(self._all, fact_rows)

    async def fact(
        self, fact_id: int, guild_id: int | None, *, include_retracted: bool = False
    ) -> Fact | None:
        """One fact with its citations, if visible from `guild_id`."""
        return await facts.fact(self._all, fact_id, guild_id, include_retracted=include_retracted)

    async def facts_in_scope(self, guild_id: int | None) -> list[Fact]:
        """Every fact visible from `guild_id`, retracted ones included (for export)."""
        return await facts.facts_in_scope(self._all, guild_id)

    async def facts_about(
        self, entity_id: int, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        """Facts whose subject is the entity, then facts that involve it (at most
        `limit`; callers say so when they get that many)."""
        return await facts.facts_about(self._all, entity_id, guild_id, limit)

    async def facts_by_topic(
        self, topic: str, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        return await facts.facts_by_topic(self._all, topic, guild_id, limit)

    async def facts_changed_since(
        self,
        since: datetime,
        guild_id: int | None,
        limit: int = ANSWER_LIMIT,
        until: datetime | None = None,
    ) -> list[Fact]:
        return await facts.facts_changed_since(self._all, since, guild_id, limit, until)

    async def holders(self, guild_id: int | None) -> list[str]:
        """Everyone a visible fact attributes a view or a quote to ("Analysts")."""
        return await facts.holders(self._all, guild_id)

    async def facts_attributed_to(
        self, holders: list[str], guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        """Visible facts whose `attributed_to` is one of `holders`, exactly."""
        return await facts.facts_attributed_to(self._all, holders, guild_id, limit)

    async def search(self, query: str, guild_id: int | None, limit: int = 10) -> list[Fact]:
        """The first `limit` facts for a query as typed (see bot.query for the syntax)."""
        return await search.search(self._all, query, guild_id, limit)

    async def search_page(
        self, query: Query, guild_id: int | None, offset: int, limit: int
    ) -> Results:
        """Facts matching a parsed query, best first, from `offset`, with how many match
        in all (see bot.store.search)."""
        return await search.search_page(self._all, query, guild_id, offset, limit)

    # --- meetings ----------------------------------------------------------------------

    async def meetings(self, guild_id: int | None) -> list[Meeting]:
        """Every visible meeting, in date order; the briefing decides past or upcoming."""
        return await meetings.meetings(self._all, self._unusable, guild_id)

    async def meeting(self, meeting_id: int, guild_id: int | None) -> Meeting | None:
        return await meetings.meeting(self._all, self._unusable, meeting_id, guild_id)

    async def meetings_involving(
        self, entity_id: int, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Meeting]:
        """The entity's meetings in date order (the first `limit`)."""
        return await meetings.meetings_involving(
            self._all, self._unusable, entity_id, guild_id, limit
        )

    async def latest_meetings(self, guild_id: int | None, limit: int) -> list[Meeting]:
        """The `limit` latest visible meetings, in date order."""
        return await meetings.latest_meetings(self._all, self._unusable, guild_id, limit)

    async def meetings_changed_since(
        self,
        since: datetime,
        guild_id: int | None,
        limit: int = ANSWER_LIMIT,
        until: datetime | None = None,
    ) -> list[Meeting]:
        return await meetings.meetings_changed_since(
            self._all, self._unusable, since, guild_id, limit, until
        )

    # --- sources -----------------------------------------------------------------------

    async def sources(self, guild_id: int | None) -> list[Source]:
        return await sources.sources(self._all, guild_id)

    async def source(
        self, source_id: int, guild_id: int | None, *, with_text: bool = False
    ) -> Source | None:
        return await sources.source(self._all, source_id, guild_id, with_text=with_text)

    async def counts(self, guild_id: int | None) -> Counts:
        return await sources.counts(self._all, guild_id)

    async def usage(self, guild_id: int) -> Usage:
        """What a server has stored itself (shared rows not included), for its quota."""
        return await sources.usage(self._all, guild_id)

    # --- moderators' changes (each one transaction, audited; see bot.store.changes) ---
    # `check`, given a server's usage, raises if the write would pass its quota; it runs
    # inside the write transaction, so writes at the same moment cannot pass it together.

    async def add_source(
        self, draft: SourceDraft, change: Change, check: QuotaCheck | None = None
    ) -> int:
        async with self.transaction() as conn:
            await changes.check_quota(conn, change, check)
            return await changes.insert_source(conn, draft, change)

    async def add_fact(
        self, draft: FactDraft, change: Change, check: QuotaCheck | None = None
    ) -> int:
        async with self.transaction() as conn:
            await changes.check_quota(conn, change, check)
            return await changes.insert_fact(conn, draft, change)

    async def edit_fact(
        self, fact_id: int, draft: FactDraft, version: int | None, change: Change
    ) -> None:
        async with self.transaction() as conn:
            await changes.update_fact(conn, fact_id, draft, version, change)

    async def set_fact_retracted(
        self, fact_id: int, retracted: bool, version: int | None, change: Change
    ) -> None:
        async with self.transaction() as conn:
            await changes.set_retracted(conn, fact_id, retracted, version, change)

    async def add_meeting(
        self, draft: MeetingDraft, change: Change, check: QuotaCheck | None = None
    ) -> int:
        async with self.transaction() as conn:
            await changes.check_quota(conn, change, check)
            return await changes.insert_meeting(conn, draft, change)

    async def edit_meeting(
        self,
        meeting_id: int,
        draft: MeetingDraft,
        version: int | None,
        change: Change,
        action: str = "edit",
    ) -> None:
        async with self.transaction() as conn:
            await changes.update_meeting(conn, meeting_id, draft, version, change, action)

    async def history(
        self, object_type: str, object_id: int, guild_id: int | None
    ) -> list[AuditEntry]:
        """Every recorded change to one fact or meeting visible from `guild_id`."""
        return await audit.history(self._all, object_type, object_id, guild_id)

    async def audit_log(self, guild_id: int | None, limit: int = 20) -> list[AuditEntry]:
        """The newest changes made in this scope (a server's, or the shared one)."""
        return await audit.audit_log(self._all, guild_id, limit)

    async def row_owner(self, table: Table, row_id: int) -> RowOwner | None:
        """Whose a fact or meeting is, or None if there is no such row."""
        return await audit.row_owner(self._all, table, row_id)

    # --- server settings ---------------------------------------------------------------

    async def mod_role(self, guild_id: int) -> int | None:
        return await settings.mod_role(self._all, guild_id)

    async def set_mod_role(self, guild_id: int, role_id: int | None, change: Change) -> None:
        async with self.transaction() as conn:
            await settings.set_mod_role(conn, guild_id, role_id, change)

    # --- digests (see bot.store.digests_ledger) --------------------------------------

    async def set_digest(
        self, guild_id: int, channel_id: int, local_time: time, tz: str, change: Change
    ) -> None:
        async with self.transaction() as conn:
            await digests_ledger.set_digest(conn, guild_id, channel_id, local_time, tz, change)

    async def disable_digest(
        self, guild_id: int, reason: str | None, change: Change | None = None
    ) -> None:
        async with self.transaction() as conn:
            await digests_ledger.disable_digest(conn, guild_id, reason, change)

    async def mark_reason_told(self, guild_id: int) -> None:
        async with self.transaction() as conn:
            await digests_ledger.mark_reason_told(conn, guild_id)

    async def digest(self, guild_id: int) -> DigestSubscription | None:
        return await digests_ledger.digest(self._all, guild_id)

    async def digests(self, *, enabled_only: bool = True) -> list[DigestSubscription]:
        return await digests_ledger.digests(self._all, self._unreadable, enabled_only=enabled_only)

    async def untold_digest_problems(self) -> set[int]:
        return await digests_ledger.untold_digest_problems(self._all)

    async def delivery(self, guild_id: int, day: date) -> Delivery | None:
        return await digests_ledger.delivery(self._all, guild_id, day)

    async def claim_delivery(
        self, guild_id: int, day: date, nonce: str, at: datetime
    ) -> Delivery | None:
        async with self.transaction() as conn:
            return await digests_ledger.claim_delivery(conn, guild_id, day, nonce, at)

    async def finish_delivery(
        self, guild_id: int, day: date, message_id: int, at: datetime, since: datetime
    ) -> None:
        async with self.transaction() as conn:
            await digests_ledger.finish_delivery(conn, guild_id, day, message_id, at, since)

    async def release_delivery(self, guild_id: int, day: date) -> None:
        async with self.transaction() as conn:
            await digests_ledger.release_delivery(conn, guild_id, day)

    async def skip_delivery(self, guild_id: int, day: date, at: datetime) -> bool:
        async with self.transaction() as conn:
            return await digests_ledger.skip_delivery(conn, guild_id, day, at)


_UNAVAILABLE = ("locked", "busy", "readonly", "read-only", "disk is full", "disk i/o")


def _is_unavailable(error: sqlite3.OperationalError) -> bool:
    return any(word in str(error).lower() for word in _UNAVAILABLE)


def _is_damaged(error: sqlite3.DatabaseError) -> bool:
    return getattr(error, "sqlite_errorname", "") in {"SQLITE_CORRUPT", "SQLITE_NOTADB"} or (
        "malformed" in str(error)
    )


def _unavailable_message(error: Exception) -> str:
    text = str(error).lower()
    if "readonly" in text or "read-only" in text:
        return "The fact store is read-only right now, so changes cannot be saved."
    if "full" in text:
        return "The fact store's disk is full, so changes cannot be saved."
    return "The fact store is busy; please try again in a few seconds."
