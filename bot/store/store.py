"""The one async API the rest of the bot uses to read and write the fact store.

Reads go through their own connection, so they keep working while a write is in
progress (SQLite's WAL lets them see the last committed state). Writes are serialised
by a lock on a second connection and each runs as one `BEGIN IMMEDIATE` transaction.
Visibility: `guild_id=None` (DMs, the console) sees shared rows only; a server sees
shared rows plus its own.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import date, datetime, time
from pathlib import Path

import aiosqlite
from rapidfuzz import fuzz, process

from bot.curation import Bundle
from bot.dates import FIRST_YEAR, LAST_YEAR, as_local
from bot.errors import BadInput, BriefingError, StoreUnavailable
from bot.logs import new_error_id
from bot.models import (
    AuditEntry,
    Change,
    Citation,
    Counts,
    Delivery,
    DigestSubscription,
    Entity,
    EntityMatch,
    EntityRef,
    Fact,
    FactDraft,
    Meeting,
    MeetingDraft,
    RowOwner,
    Source,
    SourceDraft,
    Table,
    Usage,
    When,
)
from bot.query import Clause, Query, Results, Term
from bot.query import parse as parse_query
from bot.schedule import rezoned_last_day
from bot.store import changes, database, rows
from bot.store.changes import QuotaCheck
from bot.store.feeds import FeedQueries
from bot.store.importer import ImportReport, import_bundle
from bot.text import fold, lookup_keys

log = logging.getLogger(__name__)

# The unary plus keeps SQLite from choosing the guild index for this test, which matches
# nearly every row; the subject, topic or id indexes are the selective ones (at 100,000
# facts, facts_about went from 22 ms to 0.1 ms).
VISIBLE = "(+{table}.guild_id IS NULL OR +{table}.guild_id = :guild)"
DAMAGED = "The fact store is damaged, so this cannot be answered; the bot's log says more."
# The most facts one answer lists; past this, answers say so and point to `search`.
ANSWER_LIMIT = 150
# Search ranking: FTS5's bm25 weights for facts_fts's columns (statement, quotes, topics,
# names): a word in the statement counts twice one in a name or topic, four times one
# in a quote.
BM25 = "bm25(facts_fts, 4.0, 2.0, 1.0, 2.0)"
# A typed name this similar to an alias (rapidfuzz WRatio, 0-100) is suggested for it.
NAME_SUGGESTION_CUTOFF = 72

_FACT_SELECT = """
SELECT f.*, e.name AS subject_name FROM facts f JOIN entities e ON e.id = f.subject_id
"""
# The same, for a search page, with how many facts matched in all (`hits` is the
# search's materialised result, so the count costs no second search).
_COUNTED_SELECT = """
SELECT f.*, e.name AS subject_name, (SELECT COUNT(*) FROM hits) AS matched
FROM facts f JOIN entities e ON e.id = f.subject_id
"""
# A fact's links in one query, tagged by `part` (0 topic, 1 involved entity, 2 citation),
# each part in the order the answers use: entities by name, citations as stored.
_FACT_LINKS = """
WITH wanted(id) AS (SELECT value FROM json_each(:ids))
SELECT 0 AS part, t.fact_id AS owner, t.topic AS sort, NULL AS ref, t.topic AS text,
       NULL AS source_id, NULL AS source_title, NULL AS quote, NULL AS start, NULL AS "end"
  FROM fact_topics t WHERE t.fact_id IN wanted
UNION ALL
SELECT 1, fe.fact_id, e.name, e.id, e.name, NULL, NULL, NULL, NULL, NULL
  FROM fact_entities fe JOIN entities e ON e.id = fe.entity_id WHERE fe.fact_id IN wanted
UNION ALL
SELECT 2, c.fact_id, c.id, NULL, NULL, c.source_id, s.title, c.quote, c.start, c.end
  FROM citations c JOIN sources s ON s.id = c.source_id WHERE c.fact_id IN wanted
ORDER BY part, sort
"""
_CITATION_SELECT = """
SELECT c.*, s.title AS source_title FROM citations c JOIN sources s ON s.id = c.source_id
"""


def _visible(table: str) -> str:
    return VISIBLE.format(table=table)


def _placeholders(values: Sequence[object]) -> str:
    return ",".join("?" for _ in values)


class Store(FeedQueries):
    """Open with `await Store.open(path)`; close with `await store.close()`."""

    def __init__(self, path: Path, reader: aiosqlite.Connection, writer: aiosqlite.Connection):
        self.path = path
        self._read = reader
        self._write = writer
        self._write_lock = asyncio.Lock()
        self._alias_cache: list[tuple[str, int]] | None = None
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
        row = await self._one("SELECT value FROM meta WHERE key = ?", (key,))
        return str(row["value"]) if row else None

    async def set_meta(self, key: str, value: str) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "INSERT INTO meta(key, value) VALUES (?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (key, value),
            )

    async def data_version(self) -> int:
        """A number that changes whenever anyone commits to the store (cache key)."""
        row = await self._one("PRAGMA data_version")
        return int(row[0]) if row else 0

    async def schema_version(self) -> int:
        row = await self._one("PRAGMA user_version")
        return int(row[0]) if row else 0

    async def integrity_check(self) -> str:
        row = await self._one("PRAGMA integrity_check")
        return str(row[0]) if row else "no answer"

    # --- curated data ------------------------------------------------------------------

    async def import_bundle(self, bundle: Bundle, now: datetime) -> ImportReport:
        """Upsert checked curated data in one transaction (see bot.store.importer), as
        written at `now`."""
        async with self.transaction() as conn:
            return await import_bundle(conn, bundle, now)

    # --- entities ----------------------------------------------------------------------

    async def _aliases(self) -> list[tuple[str, int]]:
        if self._alias_cache is None:
            found = await self._all("SELECT folded, entity_id FROM aliases")
            # Two-letter aliases ("UN", "US") would match half of every typo; exact
            # lookup still finds them.
            self._alias_cache = [
                (row["folded"], row["entity_id"]) for row in found if len(row["folded"]) > 2
            ]
        return self._alias_cache

    async def entity(self, entity_id: int) -> Entity | None:
        row = await self._one("SELECT * FROM entities WHERE id = ?", (entity_id,))
        if row is None:
            return None
        aliases = await self._all(
            "SELECT alias FROM aliases WHERE entity_id = ? ORDER BY alias", (entity_id,)
        )
        hidden = {row["name"], row["key"]}
        names = [alias["alias"] for alias in aliases if alias["alias"] not in hidden]
        return rows.entity(row, names)

    async def entities(self) -> list[Entity]:
        """Every entity with all its aliases (for export)."""
        aliases: dict[int, list[str]] = defaultdict(list)
        for row in await self._all("SELECT alias, entity_id FROM aliases ORDER BY rowid"):
            aliases[row["entity_id"]].append(row["alias"])
        found = await self._all("SELECT * FROM entities ORDER BY id")
        return [
            rows.entity(row, [a for a in aliases[row["id"]] if a not in (row["name"], row["key"])])
            for row in found
        ]

    async def find_entity(self, name: str, *, suggestions: int = 5) -> EntityMatch:
        """Look an entity up by any alias, ignoring case and accents; on a miss,
        suggest close names ("putn" -> Vladimir Putin)."""
        keys = lookup_keys(name)
        if not keys:
            return EntityMatch(None)
        found = await self._all(
            f"SELECT folded, alias, entity_id FROM aliases WHERE folded IN ({_placeholders(keys)})",
            keys,
        )
        by_key = {row["folded"]: row for row in found}
        for key in keys:  # the most literal spelling wins ("U.S." before "u.s")
            if key in by_key:
                row = by_key[key]
                return EntityMatch(await self.entity(row["entity_id"]), alias=row["alias"])
        return EntityMatch(None, await self.suggest_names(keys[-1], suggestions))

    async def names_with_word(self, word: str, entity_id: int, limit: int = 5) -> list[str]:
        """Canonical names of other entities with `word` as a whole word in one of their
        names ("Kim" -> Kim Yo Jong), to say whether a bare surname was ambiguous."""
        pattern = "% " + _like_prefix(fold(word)).removesuffix("%") + " %"
        found = await self._all(
            "SELECT DISTINCT e.name FROM aliases a JOIN entities e ON e.id = a.entity_id "
            "WHERE a.entity_id != :e AND (' ' || a.folded || ' ') LIKE :pattern ESCAPE '\\' "
            "ORDER BY e.name LIMIT :limit",
            {"e": entity_id, "pattern": pattern, "limit": limit},
        )
        return [row["name"] for row in found]

    async def suggest_names(self, folded: str, limit: int = 5) -> tuple[str, ...]:
        aliases = await self._aliases()
        # rapidfuzz over every alias is CPU work (24 ms at 43,000 aliases): off the loop.
        matches = await asyncio.to_thread(
            process.extract,
            folded,
            [alias for alias, _ in aliases],
            scorer=fuzz.WRatio,
            limit=limit * 3,
            score_cutoff=NAME_SUGGESTION_CUTOFF,
        )
        entity_ids: list[int] = []
        for _, _, index in matches:
            entity_id = aliases[index][1]
            if entity_id not in entity_ids:
                entity_ids.append(entity_id)
        return tuple(await self._names(entity_ids[:limit]))

    async def _names(self, entity_ids: list[int]) -> list[str]:
        if not entity_ids:
            return []
        found = await self._all(
            f"SELECT id, name FROM entities WHERE id IN ({_placeholders(entity_ids)})", entity_ids
        )
        by_id = {row["id"]: row["name"] for row in found}
        return [by_id[entity_id] for entity_id in entity_ids if entity_id in by_id]

    async def complete_names(self, prefix: str, limit: int = 25) -> list[str]:
        """Canonical names whose name or alias starts with (or fuzzily matches) prefix."""
        key = fold(prefix)
        found = await self._all(
            "SELECT DISTINCT e.name FROM aliases a JOIN entities e ON e.id = a.entity_id "
            "WHERE a.folded LIKE ? ESCAPE '\\' ORDER BY e.name LIMIT ?",
            (_like_prefix(key), limit),
        )
        names = [row["name"] for row in found]
        if not names and key:
            names += [n for n in await self.suggest_names(key, limit) if n not in names]
        return names[:limit]

    async def key_actors(self, guild_id: int | None, limit: int = 10) -> list[tuple[Entity, int]]:
        """People and organisations the visible facts and meetings are most about."""
        found = await self._all(
            "WITH mentions(entity_id) AS ("
            f" SELECT f.subject_id FROM facts f WHERE f.retracted = 0 AND {_visible('f')}"
            " UNION ALL SELECT fe.entity_id FROM fact_entities fe JOIN facts f ON f.id = fe.fact_id"
            f"  WHERE f.retracted = 0 AND {_visible('f')}"
            " UNION ALL SELECT mp.entity_id FROM meeting_participants mp"
            f"  JOIN meetings m ON m.id = mp.meeting_id WHERE {_visible('m')})"
            " SELECT e.*, COUNT(*) AS n FROM mentions JOIN entities e ON e.id = mentions.entity_id"
            " WHERE e.type IN ('person', 'organisation')"
            " GROUP BY e.id ORDER BY n DESC, e.name LIMIT :limit",
            {"guild": guild_id, "limit": limit},
        )
        return [(rows.entity(row), row["n"]) for row in found]

    # --- facts -------------------------------------------------------------------------

    async def _hydrate(self, fact_rows: list[sqlite3.Row]) -> list[Fact]:
        """Facts from their rows, with topics, involved entities and citations fetched in
        one more query (one aiosqlite round trip, the ids bound as one JSON array)."""
        ids = [row["id"] for row in fact_rows]
        if not ids:
            return []
        topics: dict[int, list[str]] = defaultdict(list)
        entities: dict[int, list[EntityRef]] = defaultdict(list)
        citations: dict[int, list[Citation]] = defaultdict(list)
        for row in await self._all(_FACT_LINKS, {"ids": json.dumps(ids)}):
            if row["part"] == 0:
                topics[row["owner"]].append(row["text"])
            elif row["part"] == 1:
                entities[row["owner"]].append(EntityRef(row["ref"], row["text"]))
            else:
                citations[row["owner"]].append(rows.citation(row))
        return [
            rows.fact(row, topics[row["id"]], entities[row["id"]], citations[row["id"]])
            for row in fact_rows
        ]

    async def _citations(self, column: str, ids: list[int]) -> dict[int, list[Citation]]:
        found: dict[int, list[Citation]] = defaultdict(list)
        for row in await self._all(
            f"{_CITATION_SELECT} WHERE c.{column} IN ({_placeholders(ids)}) ORDER BY c.id", ids
        ):
            found[row[column]].append(rows.citation(row))
        return found

    async def fact(
        self, fact_id: int, guild_id: int | None, *, include_retracted: bool = False
    ) -> Fact | None:
        """One fact with its citations, if visible from `guild_id`."""
        row = await self._one(
            f"{_FACT_SELECT} WHERE f.id = :id AND {_visible('f')}",
            {"id": fact_id, "guild": guild_id},
        )
        if row is None or (row["retracted"] and not include_retracted):
            return None
        return (await self._hydrate([row]))[0]

    async def facts_in_scope(self, guild_id: int | None) -> list[Fact]:
        """Every fact visible from `guild_id`, retracted ones included (for export)."""
        found = await self._all(
            f"{_FACT_SELECT} WHERE {_visible('f')} ORDER BY f.id", {"guild": guild_id}
        )
        return await self._hydrate(found)

    async def facts_about(
        self, entity_id: int, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        """Facts whose subject is the entity, then facts that involve it (at most
        `limit`; callers say so when they get that many)."""
        found = await self._all(
            f"{_FACT_SELECT} WHERE f.retracted = 0 AND {_visible('f')} AND (f.subject_id = :e "
            "OR f.id IN (SELECT fact_id FROM fact_entities WHERE entity_id = :e)) "
            "ORDER BY f.subject_id != :e, f.id LIMIT :limit",
            {"e": entity_id, "guild": guild_id, "limit": limit},
        )
        return await self._hydrate(found)

    async def facts_by_topic(
        self, topic: str, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        found = await self._all(
            f"{_FACT_SELECT} JOIN fact_topics t ON t.fact_id = f.id "
            f"WHERE t.topic = :topic AND f.retracted = 0 AND {_visible('f')} "
            "ORDER BY f.id LIMIT :limit",
            {"topic": topic, "guild": guild_id, "limit": limit},
        )
        return await self._hydrate(found)

    async def facts_changed_since(
        self, since: datetime, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        found = await self._all(
            f"{_FACT_SELECT} WHERE f.updated_at > :since AND {_visible('f')} ORDER BY f.id"
            " LIMIT :limit",
            {"since": since.isoformat(), "guild": guild_id, "limit": limit},
        )
        return await self._hydrate(found)

    async def holders(self, guild_id: int | None) -> list[str]:
        """Everyone a visible fact attributes a view or a quote to ("Analysts")."""
        found = await self._all(
            "SELECT DISTINCT f.attributed_to FROM facts f WHERE f.attributed_to IS NOT NULL "
            f"AND f.attributed_to != '' AND f.retracted = 0 AND {_visible('f')} "
            "ORDER BY f.attributed_to",
            {"guild": guild_id},
        )
        return [row["attributed_to"] for row in found]

    async def facts_attributed_to(
        self, holders: list[str], guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Fact]:
        """Visible facts whose `attributed_to` is one of `holders`, exactly."""
        if not holders:
            return []
        found = await self._all(
            f"{_FACT_SELECT} WHERE f.attributed_to IN ({_placeholders(holders)}) "
            f"AND f.retracted = 0 AND (+f.guild_id IS NULL OR +f.guild_id = ?) "
            "ORDER BY f.id LIMIT ?",
            [*holders, guild_id, limit],
        )
        return await self._hydrate(found)

    async def search(self, query: str, guild_id: int | None, limit: int = 10) -> list[Fact]:
        """The first `limit` facts for a query as typed (see bot.query for the syntax)."""
        try:
            parsed = parse_query(query)
        except BadInput:
            return []
        return (await self.search_page(parsed, guild_id, 0, limit)).facts

    async def search_page(
        self, query: Query, guild_id: int | None, offset: int, limit: int
    ) -> Results:
        """Facts matching a parsed query, best first (FTS5's bm25), from `offset`, with
        how many match in all. SQLite combines the terms, ranks and counts in one query;
        a query that names no one goes to the full-text index as one FTS5 expression."""
        if not query.clauses:
            return Results([], 0)
        conditions, params = await self._term_conditions(query, guild_id)
        params |= {"limit": limit, "offset": offset}
        names_someone = any(key.startswith("e") for key in params)
        page = self._page_by_names if names_someone else self._page_by_text
        found, total = await page(query, conditions, params, every=True)
        loosened = False
        if total == 0 and not query.explicit and len(query.terms()) > 1:
            found, total = await page(query, conditions, params, every=False)
            loosened = total > 0
        unmatched: list[str] = []
        if query.explicit or loosened or (total == 0 and len(query.terms()) > 1):
            for term in query.terms():  # a plain AND query with results matched them all
                if not await self._count_matches(conditions[term], params, limit=1):
                    unmatched.append(term.text)
        return Results(await self._hydrate(found), total, tuple(unmatched), loosened)

    async def _page_by_text(
        self, query: Query, conditions: dict[Term, str], params: dict, *, every: bool
    ) -> tuple[list[sqlite3.Row], int]:
        expression = query.fts(every=every)
        found = await self._all(
            f"WITH hits AS MATERIALIZED (SELECT f.id, {BM25} AS"
            " score FROM facts_fts JOIN facts f ON f.id = facts_fts.rowid WHERE facts_fts"
            f" MATCH :q AND f.retracted = 0 AND {_visible('f')})"
            f" {_COUNTED_SELECT} JOIN hits ON hits.id = f.id"
            " ORDER BY hits.score, f.id LIMIT :limit OFFSET :offset",
            {**params, "q": expression},
        )
        where = "f.id IN (SELECT rowid FROM facts_fts WHERE facts_fts MATCH :q)"
        return found, await self._total(found, where, {**params, "q": expression})

    async def _page_by_names(
        self, query: Query, conditions: dict[Term, str], params: dict, *, every: bool
    ) -> tuple[list[sqlite3.Row], int]:
        """Facts found by text or by whom they are about; those whose text matches rank
        first (by bm25), then the rest, oldest first."""
        where = _query_where(query.clauses, conditions, every=every)
        ranking = " OR ".join(term.fts() for term in query.terms())
        found = await self._all(
            f"WITH scores AS MATERIALIZED (SELECT rowid, {BM25}"
            " AS score FROM facts_fts WHERE facts_fts MATCH :ranking),"
            " hits AS MATERIALIZED (SELECT f.id, COALESCE(r.score, 0) AS score FROM facts f"
            " LEFT JOIN scores r ON r.rowid = f.id"
            f" WHERE f.retracted = 0 AND {_visible('f')} AND ({where}))"
            f" {_COUNTED_SELECT} JOIN hits ON hits.id = f.id"
            " ORDER BY hits.score, f.id LIMIT :limit OFFSET :offset",
            {**params, "ranking": ranking},
        )
        return found, await self._total(found, where, params)

    async def _total(self, found: list[sqlite3.Row], where: str, params: dict) -> int:
        """The count the page query carried, or, for a page past the end, a count."""
        if found:
            return int(found[0]["matched"])
        return await self._count_matches(where, params) if params["offset"] else 0

    async def _count_matches(self, where: str, params: dict, limit: int = -1) -> int:
        """How many visible facts meet `where` (counting stops at `limit`, -1: none)."""
        row = await self._one(
            "SELECT COUNT(*) FROM (SELECT 1 FROM facts f WHERE f.retracted = 0"
            f" AND {_visible('f')} AND ({where}) LIMIT :count_limit)",
            {**params, "count_limit": limit},
        )
        return int(row[0]) if row else 0

    async def _term_conditions(
        self, query: Query, guild_id: int | None
    ) -> tuple[dict[Term, str], dict[str, object]]:
        """An SQL condition on `f` for each term, and the parameters they share. A term
        matches its text in the full-text index and, when it is someone's name ("UN",
        "state department"), the facts about them. A name of two letters or fewer ("UN",
        "US") matches by the facts about them only: as text it would find "Un's", "us"."""
        negated = [term for clause in query.clauses for term in clause.must_not]
        conditions: dict[Term, str] = {}
        params: dict[str, object] = {"guild": guild_id}
        for number, term in enumerate(dict.fromkeys([*query.terms(), *negated])):
            keys = term.name_keys()
            named = await self._one(
                f"SELECT entity_id, folded FROM aliases WHERE folded IN ({_placeholders(keys)})"
                " ORDER BY length(folded) DESC LIMIT 1",
                keys,
            )
            parts = []
            if named is None or len(named["folded"]) > 2:
                params[f"t{number}"] = term.fts()
                parts.append(
                    f"f.id IN (SELECT rowid FROM facts_fts WHERE facts_fts MATCH :t{number})"
                )
            if named is not None:
                params[f"e{number}"] = named["entity_id"]
                parts.append(
                    f"f.subject_id = :e{number} OR f.id IN (SELECT fact_id FROM fact_entities"
                    f" WHERE entity_id = :e{number})"
                )
            conditions[term] = " OR ".join(parts)
        return conditions, params

    # --- meetings ----------------------------------------------------------------------

    async def meetings(self, guild_id: int | None) -> list[Meeting]:
        """Every visible meeting, in date order; the briefing decides past or upcoming."""
        found = await self._all(
            f"SELECT * FROM meetings m WHERE {_visible('m')} ORDER BY m.starts_at, m.id",
            {"guild": guild_id},
        )
        return await self._hydrate_meetings(found)

    async def meeting(self, meeting_id: int, guild_id: int | None) -> Meeting | None:
        row = await self._one(
            f"SELECT * FROM meetings m WHERE m.id = :id AND {_visible('m')}",
            {"id": meeting_id, "guild": guild_id},
        )
        return (await self._hydrate_meetings([row]))[0] if row else None

    async def _hydrate_meetings(self, meeting_rows: list[sqlite3.Row]) -> list[Meeting]:
        ids = [row["id"] for row in meeting_rows]
        if not ids:
            return []
        people: dict[int, list[EntityRef]] = defaultdict(list)
        for row in await self._all(
            "SELECT meeting_id, entity_id, name FROM meeting_participants "
            f"WHERE meeting_id IN ({_placeholders(ids)}) ORDER BY position",
            ids,
        ):
            people[row["meeting_id"]].append(EntityRef(row["entity_id"] or 0, row["name"]))
        citations = await self._citations("meeting_id", ids)
        built = (self._meeting_or_none(row, people, citations) for row in meeting_rows)
        return [meeting for meeting in built if meeting is not None]

    def _meeting_or_none(
        self,
        row: sqlite3.Row,
        people: dict[int, list[EntityRef]],
        citations: dict[int, list[Citation]],
    ) -> Meeting | None:
        """One meeting row that cannot be used (a start that is not a date, or one so far
        out that its end or its local time cannot be worked out) must not break every
        answer that lists meetings, nor a digest: it is left out, and logged once with an
        error id for an operator to mend."""
        try:
            meeting = rows.meeting(row, people[row["id"]], citations[row["id"]])
            usable_when(meeting.when)
        except (ValueError, TypeError, AttributeError, OverflowError, BriefingError):
            if ("meeting", row["id"]) not in self._unusable:
                self._unusable.add(("meeting", row["id"]))
                log.exception(
                    "error %s: meeting %s (server %s) cannot be shown and is left out of "
                    "answers; correct or remove its row",
                    new_error_id(),
                    row["id"],
                    row["guild_id"],
                )
            return None
        return meeting

    async def meetings_involving(
        self, entity_id: int, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Meeting]:
        """The entity's meetings in date order (the first `limit`)."""
        found = await self._all(
            f"SELECT * FROM meetings m WHERE {_visible('m')} AND (m.place_id = :e OR m.id IN "
            "(SELECT meeting_id FROM meeting_participants WHERE entity_id = :e)) "
            "ORDER BY m.starts_at, m.id LIMIT :limit",
            {"e": entity_id, "guild": guild_id, "limit": limit},
        )
        return await self._hydrate_meetings(found)

    async def latest_meetings(self, guild_id: int | None, limit: int) -> list[Meeting]:
        """The `limit` latest visible meetings, in date order."""
        found = await self._all(
            f"SELECT * FROM (SELECT * FROM meetings m WHERE {_visible('m')}"
            " ORDER BY m.starts_at DESC, m.id DESC LIMIT :limit) ORDER BY starts_at, id",
            {"guild": guild_id, "limit": limit},
        )
        return await self._hydrate_meetings(found)

    # --- sources -----------------------------------------------------------------------

    async def sources(self, guild_id: int | None) -> list[Source]:
        found = await self._all(
            "SELECT id, key, guild_id, title, title_is_ours, url, publisher, author, published, "
            "published_precision, published_note, published_provenance "
            f"FROM sources s WHERE {_visible('s')} "
            "ORDER BY s.id",
            {"guild": guild_id},
        )
        return [rows.source(row) for row in found]

    async def source(
        self, source_id: int, guild_id: int | None, *, with_text: bool = False
    ) -> Source | None:
        row = await self._one(
            f"SELECT * FROM sources s WHERE s.id = :id AND {_visible('s')}",
            {"id": source_id, "guild": guild_id},
        )
        return rows.source(row, with_text=with_text) if row else None

    async def counts(self, guild_id: int | None) -> Counts:
        params = {"guild": guild_id}
        row = await self._one(
            f"SELECT (SELECT COUNT(*) FROM sources s WHERE {_visible('s')}) AS sources, "
            "(SELECT COUNT(*) FROM entities) AS entities, "
            f"(SELECT COUNT(*) FROM facts f WHERE f.retracted = 0 AND {_visible('f')}) AS facts, "
            f"(SELECT COUNT(*) FROM meetings m WHERE {_visible('m')}) AS meetings",
            params,
        )
        assert row is not None
        return Counts(row["sources"], row["entities"], row["facts"], row["meetings"])

    async def usage(self, guild_id: int) -> Usage:
        """What a server has stored itself (shared rows not included), for its quota."""
        return changes.usage_of(await self._one(changes.USAGE, {"g": guild_id}))

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
        if object_type not in {"fact", "meeting"}:
            raise ValueError(f"no history for {object_type!r}")
        found = await self._all(
            f"SELECT a.* FROM audit a JOIN {object_type}s o ON o.id = a.object_id "
            f"WHERE a.object_type = :type AND a.object_id = :id AND {_visible('o')} ORDER BY a.id",
            {"type": object_type, "id": object_id, "guild": guild_id},
        )
        return [rows.audit_entry(row) for row in found]

    async def audit_log(self, guild_id: int | None, limit: int = 20) -> list[AuditEntry]:
        """The newest changes made in this scope (a server's, or the shared one)."""
        found = await self._all(
            "SELECT * FROM audit WHERE guild_id IS :guild ORDER BY id DESC LIMIT :limit",
            {"guild": guild_id, "limit": limit},
        )
        return [rows.audit_entry(row) for row in found]

    async def row_owner(self, table: Table, row_id: int) -> RowOwner | None:
        """Whose a fact or meeting is, or None if there is no such row."""
        table = Table(table)  # only these table names ever reach the SQL
        row = await self._one(f"SELECT guild_id FROM {table.value} WHERE id = ?", (row_id,))
        return None if row is None else RowOwner(row["guild_id"])

    # --- server settings ---------------------------------------------------------------

    async def mod_role(self, guild_id: int) -> int | None:
        row = await self._one(
            "SELECT mod_role_id FROM guild_settings WHERE guild_id = ?", (guild_id,)
        )
        return row["mod_role_id"] if row else None

    async def set_mod_role(self, guild_id: int, role_id: int | None, change: Change) -> None:
        async with self.transaction() as conn:
            before = await self.mod_role(guild_id)
            await conn.execute(
                "INSERT INTO guild_settings(guild_id, mod_role_id) VALUES (?, ?) "
                "ON CONFLICT(guild_id) DO UPDATE SET mod_role_id = excluded.mod_role_id",
                (guild_id, role_id),
            )
            await changes.audit(
                conn,
                change,
                "modrole",
                "guild",
                guild_id,
                {"mod_role_id": before},
                {"mod_role_id": role_id},
            )

    # --- digests -------------------------------------------------------------------

    async def set_digest(
        self, guild_id: int, channel_id: int, local_time: time, tz: str, change: Change
    ) -> None:
        """Subscribe, re-point or re-enable a server's digest. Nothing is due before now
        (no instant post for a time already past today); a first subscription's news
        starts now, a changed one keeps what was not yet reported. A change of zone
        restates the last day sent in the new zone's days (`rezoned_last_day`) and
        forgets settled records of later days, which were the old zone's days."""
        at = change.at.isoformat()
        async with self.transaction() as conn:
            last_day = await self._rezoned_last_day(conn, guild_id, tz)
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
            await changes.audit(conn, change, "digest set", "guild", guild_id, None, after)

    async def _rezoned_last_day(
        self, conn: aiosqlite.Connection, guild_id: int, tz: str
    ) -> date | None:
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
        self, guild_id: int, reason: str | None, change: Change | None = None
    ) -> None:
        """Turn a digest off: by a moderator (no reason to tell) or by the bot (reason
        kept, and told to the moderators the next time one of them uses a command)."""
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE digest_subscriptions SET enabled = 0, disabled_reason = ?,"
                " reason_told = ? WHERE guild_id = ?",
                (reason, int(reason is None), guild_id),
            )
            if change is not None:
                await changes.audit(conn, change, "digest off", "guild", guild_id, None, None)

    async def mark_reason_told(self, guild_id: int) -> None:
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE digest_subscriptions SET reason_told = 1 WHERE guild_id = ?", (guild_id,)
            )

    async def digest(self, guild_id: int) -> DigestSubscription | None:
        row = await self._one("SELECT * FROM digest_subscriptions WHERE guild_id = ?", (guild_id,))
        return rows.subscription(row) if row else None

    async def digests(self, *, enabled_only: bool = True) -> list[DigestSubscription]:
        found = await self._all(
            "SELECT * FROM digest_subscriptions WHERE enabled = 1 OR ? = 0", (int(enabled_only),)
        )
        return [sub for row in found if (sub := self._subscription_or_none(row)) is not None]

    def _subscription_or_none(self, row: sqlite3.Row) -> DigestSubscription | None:
        """One unreadable setting (written by another version, or by hand) must not stop
        every server's digest: it is logged once with an id and left out."""
        try:
            return rows.subscription(row)
        except (ValueError, TypeError):
            if row["guild_id"] not in self._unreadable:
                self._unreadable.add(row["guild_id"])
                log.exception(
                    "error %s: the digest setting of server %s is unreadable; skipping it",
                    new_error_id(),
                    row["guild_id"],
                )
            return None

    async def untold_digest_problems(self) -> set[int]:
        found = await self._all("SELECT guild_id FROM digest_subscriptions WHERE reason_told = 0")
        return {row["guild_id"] for row in found}

    async def delivery(self, guild_id: int, day: date) -> Delivery | None:
        row = await self._one(
            "SELECT * FROM digest_deliveries WHERE guild_id = ? AND local_day = ?",
            (guild_id, day.isoformat()),
        )
        return rows.delivery(row) if row else None

    async def claim_delivery(
        self, guild_id: int, day: date, nonce: str, at: datetime
    ) -> Delivery | None:
        """Record that a day's digest is being sent, before it is sent. Returns None when
        the day is now claimed afresh, else the earlier record: 'sent', or 'sending' (left
        by a crash or a failure: what got out must be looked for first).

        A skipped day was not posted, so it can be claimed again (a moderator's `digest
        now`, or a new time later that day). A skip that settled a crashed send may have
        got out, so it comes back as 'sending' with its first claim's nonce and time."""
        async with self.transaction() as conn:
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
                    "UPDATE digest_deliveries SET state = 'sending'"
                    " WHERE guild_id = ? AND local_day = ?",
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
        self, guild_id: int, day: date, message_id: int, at: datetime, since: datetime
    ) -> None:
        """The digest for `day` went out: changes up to `since` are no longer news."""
        async with self.transaction() as conn:
            await conn.execute(
                "UPDATE digest_deliveries SET state = 'sent', message_id = ?, at = ?"
                " WHERE guild_id = ? AND local_day = ?",
                (message_id, at.isoformat(), guild_id, day.isoformat()),
            )
            await conn.execute(
                "UPDATE digest_subscriptions"
                " SET last_sent_day = MAX(COALESCE(last_sent_day, ''), ?), last_sent_at = ?,"
                " since = ? WHERE guild_id = ?",
                (day.isoformat(), at.isoformat(), since.isoformat(), guild_id),
            )

    async def release_delivery(self, guild_id: int, day: date) -> None:
        """Forget a claim whose send failed, so the day can be tried again."""
        async with self.transaction() as conn:
            await conn.execute(
                "DELETE FROM digest_deliveries WHERE guild_id = ? AND local_day = ?"
                " AND state = 'sending'",
                (guild_id, day.isoformat()),
            )

    async def skip_delivery(self, guild_id: int, day: date, at: datetime) -> bool:
        """Record a day missed beyond the grace window (also one left 'sending' by a crash,
        which may or may not have got out: it keeps its nonce and claim time, so a later
        claim looks in the channel from then); False if it was already recorded."""
        async with (
            self.transaction() as conn,
            conn.execute(
                "INSERT INTO digest_deliveries(guild_id, local_day, state, nonce, at)"
                " VALUES (?, ?, 'skipped', '', ?) ON CONFLICT(guild_id, local_day) DO UPDATE"
                " SET state = 'skipped' WHERE digest_deliveries.state = 'sending'"
                " RETURNING guild_id",
                (guild_id, day.isoformat(), at.isoformat()),
            ) as cursor,
        ):
            return await cursor.fetchone() is not None

    async def meetings_changed_since(
        self, since: datetime, guild_id: int | None, limit: int = ANSWER_LIMIT
    ) -> list[Meeting]:
        found = await self._all(
            f"SELECT * FROM meetings m WHERE m.updated_at > :since AND {_visible('m')}"
            " ORDER BY m.starts_at, m.id LIMIT :limit",
            {"since": since.isoformat(), "guild": guild_id, "limit": limit},
        )
        return await self._hydrate_meetings(found)


def usable_when(when: When) -> None:
    """Raise ValueError unless a stored time lies within the years answers can show."""
    for moment in (when.start, when.end, when.finishes()):
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR + 1:
            raise ValueError(f"{moment.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    as_local(when.start, when.tz)


def _query_where(
    clauses: tuple[Clause, ...], conditions: dict[Term, str], *, every: bool = True
) -> str:
    """The query as one SQL condition (built from our own fragments; every value typed is
    a bound parameter): any clause; a clause needs all its terms (with every=False, any)
    and none of its NOT terms."""
    joiner = " AND " if every else " OR "
    parts = []
    for clause in clauses:
        must = joiner.join(f"({conditions[term]})" for term in clause.must)
        exclude = "".join(f" AND NOT ({conditions[term]})" for term in clause.must_not)
        parts.append(f"(({must}){exclude})")
    return " OR ".join(parts) or "0"


def _like_prefix(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


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
