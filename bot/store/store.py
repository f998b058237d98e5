"""The one async API the rest of the bot uses to read and write the fact store.

The store lives in a SQLite file (bot.store.sqlite, the default) or a PostgreSQL
database (bot.store.postgres, for many processes): the engine gives the Store its one
read path and its write transactions; nothing outside bot/store/ knows which it is.
Reads never wait for a write in progress; writes are serialised, each one transaction.
Visibility: `guild_id=None` (DMs, the console) sees shared rows only; a server sees
shared rows plus its own.

The SQL lives in one module a table family, as functions that take the Store's read
path or a transaction's connection: entities, facts, search, meetings, sources,
settings, digests_ledger, audit, changes (moderators' writes) and importer (curated
data). The Store keeps the engine, the transactions, the caches and this API.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import date, datetime, time
from pathlib import Path
from time import monotonic

import aiosqlite

from bot.curation import Bundle
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
    digests_ledger,
    entities,
    facts,
    meetings,
    pgsearch,
    postgres,
    search,
    settings,
    sources,
)
from bot.store.changes import QuotaCheck
from bot.store.feeds import FeedQueries
from bot.store.fuzzy import NameIndex
from bot.store.importer import ImportReport, import_bundle
from bot.store.meetings import usable_when
from bot.store.postgres import PostgresEngine
from bot.store.sql import ANSWER_LIMIT
from bot.store.sqlite import DAMAGED, SqliteEngine
from bot.text import fold, lookup_keys

__all__ = ["ANSWER_LIMIT", "DAMAGED", "Store", "usable_when"]

log = logging.getLogger(__name__)

# Suggestions remembered between writes (each a few names; oldest forgotten first).
SUGGESTIONS_KEPT = 512
# Seconds between asks whether another process wrote (new aliases there): the alias
# index and remembered suggestions are dropped when it did.
OUTSIDE_ALIASES_CHECK = 1.0
Engine = SqliteEngine | PostgresEngine


class Store(FeedQueries):
    """Open with `await Store.open(path_or_url)`; close with `await store.close()`."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self.path: Path | str = engine.path if isinstance(engine, SqliteEngine) else engine.name
        self._write_lock = asyncio.Lock()
        self._alias_cache: NameIndex | None = None
        self._alias_kept: NameIndex | None = None  # reused while the aliases are the same
        # (folded, limit) -> suggested names, until the next write (as the alias cache).
        self._suggestions: dict[tuple[str, int], tuple[str, ...]] = {}
        self._outside: tuple[int | None, float] = (None, -OUTSIDE_ALIASES_CHECK)
        self.generation = 0  # bumped by every write this process commits
        self._unreadable: set[int] = set()  # servers whose digest setting was logged unreadable
        self._unusable: set[tuple[str, int]] = set()  # rows already logged as unusable
        self._fts = pgsearch if isinstance(engine, PostgresEngine) else search

    # --- life cycle ------------------------------------------------------------------

    @classmethod
    async def open(cls, target: Path | str) -> Store:
        """The store at `target`: a SQLite file's path, or a postgresql:// URL.

        Created and migrated if need be; a SQLite file that exists but cannot be written
        is opened read-only (every write refused, reads served); StoreUnusable, whose
        one-line message names the path (or host and database) and what to do, if it
        cannot be used at all."""
        if postgres.is_url(target):
            return cls(await PostgresEngine.open(str(target)))
        return cls(await SqliteEngine.open(Path(target)))

    @property
    def engine(self) -> str:
        """Which database holds the store ("SQLite" or "PostgreSQL"), for logs and about."""
        return self._engine.kind

    @property
    def where(self) -> str:
        """The file, or the database's URL without its password."""
        return self._engine.name

    @property
    def read_only(self) -> bool:
        """Opened read-only: every write is refused."""
        return self._engine.read_only

    # The SQLite engine's connections, as the fault tests reach them.
    @property
    def _write(self) -> aiosqlite.Connection:
        return self._sqlite()._write

    @_write.setter
    def _write(self, conn: aiosqlite.Connection) -> None:
        self._sqlite()._write = conn

    def _sqlite(self) -> SqliteEngine:
        assert isinstance(self._engine, SqliteEngine), "only a SQLite store has these"
        return self._engine

    async def close(self) -> None:
        async with self._write_lock:
            await self._engine.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: all of it lands, or none of it does.

        A locked, read-only, full or unreachable database becomes StoreUnavailable,
        whose message a user can be shown; reads go on working while it is open.
        """
        async with self._write_lock:
            try:
                async with self._engine.transaction() as conn:
                    # PostgreSQL's Connection offers the part of aiosqlite's API used.
                    yield conn  # type: ignore[misc]
                self.generation += 1
            finally:
                self._alias_cache = None
                self._suggestions.clear()

    async def _all(self, sql: str, params: Sequence[object] | dict = ()) -> list[sqlite3.Row]:
        """Every row of a query (the one read path; see the engines' fetch_all)."""
        return await self._engine.fetch_all(sql, params)

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
        """A number that changes whenever anyone commits to the store, this process or
        another (cache key)."""
        return await self._engine.data_version()

    async def schema_version(self) -> int:
        return await self._engine.schema_version()

    async def integrity_check(self) -> str:
        """'ok', or what is wrong with the store."""
        return await self._engine.integrity_check()

    # --- curated data ------------------------------------------------------------------

    async def import_bundle(self, bundle: Bundle, now: datetime) -> ImportReport:
        """Upsert checked curated data in one transaction (see bot.store.importer), as
        written at `now`."""
        async with self.transaction() as conn:
            return await import_bundle(conn, bundle, now)

    # --- entities ----------------------------------------------------------------------

    async def _forget_outside_aliases(self) -> None:
        """Drop the alias index and remembered suggestions when another process wrote
        since (data_version moved), asked at most every OUTSIDE_ALIASES_CHECK seconds."""
        version, asked = self._outside
        now = monotonic()
        if now - asked < OUTSIDE_ALIASES_CHECK:
            return
        found = await self.data_version()
        self._outside = (found, now)
        if found != version:
            self._alias_cache = None
            self._suggestions.clear()

    async def _aliases(self) -> NameIndex:
        if self._alias_cache is None:
            found = await entities.fuzzy_aliases(self._all, self._alias_kept)
            self._alias_cache = self._alias_kept = found
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
        keystroke) is answered from memory until the next write (here, or within a
        second or so in another process)."""
        await self._forget_outside_aliases()
        remembered = self._suggestions.get((folded, limit))
        if remembered is not None:
            return remembered
        aliases = await self._aliases()
        # Still CPU work (the first call builds the index, ~0.1 s at 100,000 aliases;
        # then a few ms): off the loop.
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
        return await self._fts.search(self._all, query, guild_id, limit)

    async def search_page(
        self, query: Query, guild_id: int | None, offset: int, limit: int
    ) -> Results:
        """Facts matching a parsed query, best first, from `offset`, with how many match
        in all (see bot.store.search)."""
        return await self._fts.search_page(self._all, query, guild_id, offset, limit)

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
