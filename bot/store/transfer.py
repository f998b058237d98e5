"""Moving a whole store into another (`python -m bot copy-store`): every table, row for
row with its ids, read in one snapshot and written in one transaction, so a copy that
is stopped half way leaves the target as it was.

A copy is engine-neutral in the middle: a Snapshot holds each table's columns and rows
as plain values (int, str, float, None; SQLite's own forms) and how far each table's ids
have gone. Reading one from a store and writing one into a store are the only parts
that know the engine. The full-text index is not copied: the target rebuilds it from
the rows, so it is in step by construction.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiosqlite

from bot.errors import StoreUnusable
from bot.store import index, pgsearch, postgres
from bot.store.postgres import PostgresEngine
from bot.store.sqlite import SqliteEngine
from bot.store.store import Store

# Every table a copy moves, parents before the rows that refer to them. A table in a
# store's schema that is in neither list stops the copy (a migration added it and this
# list was not told): copying all but one table would lose it without a word.
TABLES: tuple[str, ...] = (
    "meta",
    "sources",
    "entities",
    "aliases",
    "facts",
    "fact_topics",
    "fact_entities",
    "meetings",
    "meeting_participants",
    "citations",
    "audit",
    "guild_settings",
    "digest_subscriptions",
    "digest_deliveries",
    "source_fetches",
    "feeds",
    "feed_items",
    "review_queues",
)
# Derived from the tables above; each target builds its own.
SEARCH_TABLES: tuple[str, ...] = ("facts_fts", "entities_fts")
# An engine's own bookkeeping (PostgreSQL's schema version; SQLite keeps it in a pragma).
ENGINE_TABLES: tuple[str, ...] = ("schema_version",)
# Columns only PostgreSQL has: `rowid` keeps the insertion order SQLite's rowid gives, and
# is numbered again by the target (rows are written in that order).
ENGINE_COLUMNS: tuple[str, ...] = ("rowid",)
# Tables whose ids the database hands out (AUTOINCREMENT / IDENTITY), so their sequences move.
NUMBERED: tuple[str, ...] = tuple(
    sorted(table for table, column in postgres.NUMBERED.items() if column == "id")
)
# Rows are written this many at a time (one statement each, inside the one transaction).
BATCH = 2000
# A statement over a whole table (reading it, COPY into it, indexing every fact) may take
# longer than the engine's usual limit for one statement: 100,000 facts' full-text
# documents took over a minute on a loaded 2-core box.
WHOLE_TABLE_TIMEOUT = 3600.0


@dataclass(frozen=True)
class TableRows:
    name: str
    columns: tuple[str, ...]
    rows: list[tuple[object, ...]]


@dataclass(frozen=True)
class Snapshot:
    """A whole store at one moment: its schema version, each table's rows in insertion
    order, and the highest id each id sequence has handed out (ids of deleted rows are
    never handed out again, so this may be past the largest id still present)."""

    version: int
    tables: list[TableRows]
    sequences: dict[str, int] = field(default_factory=dict)

    def table(self, name: str) -> TableRows:
        return next(t for t in self.tables if t.name == name)


@dataclass(frozen=True)
class TableProof:
    name: str
    rows: int
    sha256: str


def fingerprint(snapshot: Snapshot) -> list[TableProof]:
    """Each table's row count and a hash of its rows, independent of row order and of
    the engine (values are compared in their plain forms)."""
    proofs = []
    for table in snapshot.tables:
        digest = hashlib.sha256(json.dumps(table.columns).encode())
        for line in sorted(_canonical(row) for row in table.rows):
            digest.update(line.encode())
            digest.update(b"\n")
        proofs.append(TableProof(table.name, len(table.rows), digest.hexdigest()))
    return proofs


def _canonical(row: Sequence[object]) -> str:
    return json.dumps([_plain(value) for value in row], ensure_ascii=False)


def _plain(value: object) -> object:
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def unknown_tables(found: Sequence[str]) -> list[str]:
    """Tables of a schema that a copy would not move (nor rebuild)."""
    derived = tuple(f"{name}_" for name in SEARCH_TABLES)
    return sorted(
        name
        for name in found
        if name not in (*TABLES, *SEARCH_TABLES, *ENGINE_TABLES) and not name.startswith(derived)
    )


def is_url(where: str) -> bool:
    """Whether a BRIEFING_DB value names a PostgreSQL database (else a SQLite file)."""
    return postgres.is_url(where)


def same_store(a: str, b: str) -> bool:
    """Whether two BRIEFING_DB values name one store (one file, or one database)."""
    if postgres.is_url(a) and postgres.is_url(b):
        try:
            return postgres.describe(a) == postgres.describe(b)
        except ValueError:  # a URL that cannot be read: opening it says so in one line
            return False
    if postgres.is_url(a) or postgres.is_url(b):
        return False
    return Path(a).resolve() == Path(b).resolve()


async def read_snapshot(store: Store, where: str = "the source") -> Snapshot:
    """Every table of a store, read inside one read transaction (one consistent moment
    even if a bot is writing to it meanwhile)."""
    engine = store._engine
    if isinstance(engine, SqliteEngine):
        return await _sqlite_snapshot(engine._read, where)
    return await _postgres_snapshot(engine, where)


async def write_snapshot(store: Store, snapshot: Snapshot, *, replace: bool = False) -> None:
    """Write every row of `snapshot` into a store in one transaction, ids kept, the
    full-text index rebuilt and each id sequence set past the ids handed out. Unless
    `replace`, refuses a store that holds any row (checked inside the transaction, so
    nothing can slip in between); with it, what the store held is dropped in the same
    transaction, so a failed copy leaves the old contents."""
    async with store.transaction() as conn:
        if isinstance(conn, aiosqlite.Connection):
            await _sqlite_write(conn, snapshot, replace)
            await index.rebuild_facts(conn)
        else:
            await _postgres_write(conn, snapshot, replace)
            await _pg_rebuild_search(conn)


async def holds_data(store: Store) -> list[str]:
    """The tables of a store that hold rows (empty: the store is empty)."""
    busy = []
    for name in TABLES:
        if await store._one(f"SELECT 1 FROM {name} LIMIT 1"):
            busy.append(name)
    return busy


def already_full(table: str) -> str:
    return (
        f"the target already holds data (table {table}); copy into an empty store, "
        "or pass --replace to drop what it holds"
    )


def _schema_problems(names: Sequence[str], where: str) -> None:
    strange = unknown_tables(names)
    missing = [name for name in TABLES if name not in names]
    if strange or missing:
        what = ", ".join([*(f"unknown table {n}" for n in strange), *(f"no {n}" for n in missing)])
        raise StoreUnusable(f"{where} has a schema copy-store does not know ({what})")


def _check_version(found: int, wanted: int) -> None:
    if found != wanted:
        raise StoreUnusable(
            f"the schema versions differ (source {wanted}, target {found}); "
            "copy with the bot version that made the newer one"
        )


def _check_columns(table: TableRows, target: Sequence[str]) -> None:
    if set(table.columns) != set(target):
        raise StoreUnusable(
            f"table {table.name} has other columns in the target; the schemas differ"
        )


async def guilds_with_rows(store: Store) -> list[int]:
    """Every server that has sources, facts or meetings of its own (for the export proof)."""
    found = await store._all(
        "SELECT guild_id FROM sources WHERE guild_id IS NOT NULL UNION "
        "SELECT guild_id FROM facts WHERE guild_id IS NOT NULL UNION "
        "SELECT guild_id FROM meetings WHERE guild_id IS NOT NULL ORDER BY 1"
    )
    return [int(row[0]) for row in found]


# --- SQLite ------------------------------------------------------------------------------


async def _sqlite_tables(conn: aiosqlite.Connection) -> list[str]:
    found = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in found]


async def _sqlite_columns(conn: aiosqlite.Connection, table: str) -> tuple[str, ...]:
    found = await conn.execute_fetchall(f"PRAGMA table_info({table})")
    return tuple(row["name"] for row in found)


async def _sqlite_version(conn: aiosqlite.Connection) -> int:
    return int(next(iter(await conn.execute_fetchall("PRAGMA user_version")))[0])


async def _sqlite_snapshot(conn: aiosqlite.Connection, where: str) -> Snapshot:
    await conn.execute("BEGIN")
    try:
        _schema_problems(await _sqlite_tables(conn), where)
        tables = []
        for name in TABLES:
            columns = await _sqlite_columns(conn, name)
            rows = await conn.execute_fetchall(f"SELECT * FROM {name} ORDER BY rowid")
            tables.append(TableRows(name, columns, [tuple(row) for row in rows]))
        sequences = {
            str(row[0]): int(row[1])
            for row in await conn.execute_fetchall("SELECT name, seq FROM sqlite_sequence")
            if row[0] in NUMBERED
        }
        version = await _sqlite_version(conn)
    finally:
        await conn.execute("COMMIT")
    return Snapshot(version, tables, sequences)


async def _sqlite_write(conn: aiosqlite.Connection, snapshot: Snapshot, replace: bool) -> None:
    _schema_problems(await _sqlite_tables(conn), "the target")
    _check_version(await _sqlite_version(conn), snapshot.version)
    if replace:
        for name in reversed(TABLES):
            await conn.execute(f"DELETE FROM {name}")
        await conn.execute("DELETE FROM entities_fts")
        await conn.execute("DELETE FROM sqlite_sequence")
    else:
        for name in TABLES:
            if await conn.execute_fetchall(f"SELECT 1 FROM {name} LIMIT 1"):
                raise StoreUnusable(already_full(name))
    for table in snapshot.tables:
        _check_columns(table, await _sqlite_columns(conn, table.name))
        names = ", ".join(table.columns)
        marks = ", ".join("?" for _ in table.columns)
        sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
        for start in range(0, len(table.rows), BATCH):
            await conn.executemany(sql, table.rows[start : start + BATCH])
    # AUTOINCREMENT's high-water marks: inserting explicit ids already moved them to the
    # largest id; a source that had handed out more (rows since deleted) moves them on.
    for name, seq in snapshot.sequences.items():
        await conn.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (seq, name)
        )
        await conn.execute(
            "INSERT INTO sqlite_sequence(name, seq) SELECT ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
            (name, seq, name),
        )


# --- PostgreSQL --------------------------------------------------------------------------

_PG_TABLES = (
    "SELECT table_name FROM information_schema.tables "
    "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
)
_PG_COLUMNS = (
    "SELECT column_name FROM information_schema.columns "
    "WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position"
)


async def _pg_tables(raw: Any) -> list[str]:
    return [row[0] for row in await raw.fetch(_PG_TABLES)]


async def _pg_columns(raw: Any, table: str) -> tuple[str, ...]:
    found = [row[0] for row in await raw.fetch(_PG_COLUMNS, table)]
    return tuple(name for name in found if name not in ENGINE_COLUMNS)


def _pg_order(table: str, columns: Sequence[str], all_columns: Sequence[str]) -> str:
    """SQLite's rowid order: the `rowid` column where PostgreSQL keeps one, else the id,
    else the primary key's columns (whose order nothing depends on)."""
    if "rowid" in all_columns:
        return "rowid"
    if "id" in columns:
        return "id"
    return ", ".join(f'"{column}"' for column in columns)


async def _pg_version(raw: Any) -> int:
    return int(await raw.fetchval("SELECT max(version) FROM schema_version") or 0)


async def _pg_sequences(raw: Any) -> dict[str, int]:
    """The highest id each sequence has handed out (0: none yet)."""
    found = {}
    for name in NUMBERED:
        row = await raw.fetchrow(
            f"SELECT last_value, is_called FROM {await _pg_sequence(raw, name)}"
        )
        found[name] = int(row["last_value"]) - (0 if row["is_called"] else 1)
    return {name: seq for name, seq in found.items() if seq > 0}


async def _pg_sequence(raw: Any, table: str) -> str:
    return str(await raw.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table))


async def _postgres_snapshot(engine: PostgresEngine, where: str) -> Snapshot:
    async with (
        engine._pool.acquire() as raw,
        raw.transaction(isolation="repeatable_read", readonly=True),
    ):
        _schema_problems(await _pg_tables(raw), where)
        tables = []
        for name in TABLES:
            every = [row[0] for row in await raw.fetch(_PG_COLUMNS, name)]
            columns = tuple(c for c in every if c not in ENGINE_COLUMNS)
            order = _pg_order(name, columns, every)
            listed = ", ".join(f'"{column}"' for column in columns)  # `end` is a keyword
            sql = f"SELECT {listed} FROM {name} ORDER BY {order}"
            rows = await raw.fetch(sql, timeout=WHOLE_TABLE_TIMEOUT)
            tables.append(TableRows(name, columns, [tuple(row) for row in rows]))
        return Snapshot(await _pg_version(raw), tables, await _pg_sequences(raw))


async def _pg_rebuild_search(conn: Any) -> None:
    """pgsearch.rebuild_facts, with the time a whole store's documents may need. The
    tables are analysed first: just filled by COPY, they have no statistics, and without
    them the planner reads every alias for every fact (100,000 facts: minutes, not
    seconds)."""
    await conn.raw.execute(f"ANALYZE {', '.join(TABLES)}", timeout=WHOLE_TABLE_TIMEOUT)
    await conn.raw.execute("TRUNCATE facts_fts")
    await conn.raw.execute(pgsearch._DOCUMENTS.format(where="TRUE"), timeout=WHOLE_TABLE_TIMEOUT)


async def _postgres_write(conn: Any, snapshot: Snapshot, replace: bool) -> None:
    raw = conn.raw
    _schema_problems(await _pg_tables(raw), "the target")
    _check_version(await _pg_version(raw), snapshot.version)
    if replace:
        await raw.execute(f"TRUNCATE {', '.join(TABLES)}, facts_fts RESTART IDENTITY")
    else:
        for name in TABLES:
            if await raw.fetchval(f"SELECT 1 FROM {name} LIMIT 1"):
                raise StoreUnusable(already_full(name))
    for table in snapshot.tables:
        _check_columns(table, await _pg_columns(raw, table.name))
        if table.rows:  # COPY: the rows in their order, in this transaction
            await raw.copy_records_to_table(
                table.name, records=table.rows, columns=table.columns, timeout=WHOLE_TABLE_TIMEOUT
            )
    for name in NUMBERED:
        # The next id comes after the largest copied and after every id the source gave.
        highest = max(
            snapshot.sequences.get(name, 0),
            int(await raw.fetchval(f"SELECT COALESCE(max(id), 0) FROM {name}")),
        )
        sequence = await _pg_sequence(raw, name)
        if highest:
            await raw.execute("SELECT setval($1::regclass, $2, true)", sequence, highest)
        else:
            await raw.execute("SELECT setval($1::regclass, 1, false)", sequence)
