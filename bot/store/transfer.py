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

import aiosqlite

from bot.errors import StoreUnusable
from bot.store import index
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
# Rows are written this many at a time (one statement each, inside the one transaction).
BATCH = 2000


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
        if name not in TABLES and name not in SEARCH_TABLES and not name.startswith(derived)
    )


# --- SQLite ------------------------------------------------------------------------------


async def _table_names(conn: aiosqlite.Connection) -> list[str]:
    found = await conn.execute_fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
    )
    return [row[0] for row in found]


async def _columns(conn: aiosqlite.Connection, table: str) -> tuple[str, ...]:
    found = await conn.execute_fetchall(f"PRAGMA table_info({table})")
    return tuple(row["name"] for row in found)


async def _checked_schema(conn: aiosqlite.Connection, where: str) -> None:
    names = await _table_names(conn)
    strange = unknown_tables(names)
    missing = [name for name in TABLES if name not in names]
    if strange or missing:
        what = ", ".join([*(f"unknown table {n}" for n in strange), *(f"no {n}" for n in missing)])
        raise StoreUnusable(f"{where} has a schema copy-store does not know ({what})")


async def read_snapshot(store: Store, where: str = "the source") -> Snapshot:
    """Every table of a SQLite store, read inside one read transaction (one consistent
    moment even if a bot is writing to it meanwhile)."""
    conn = store._read
    await conn.execute("BEGIN")
    try:
        await _checked_schema(conn, where)
        tables = []
        for name in TABLES:
            columns = await _columns(conn, name)
            rows = await conn.execute_fetchall(f"SELECT * FROM {name} ORDER BY rowid")
            tables.append(TableRows(name, columns, [tuple(row) for row in rows]))
        sequences = {
            str(row[0]): int(row[1])
            for row in await conn.execute_fetchall("SELECT name, seq FROM sqlite_sequence")
        }
        version = await _version(conn)
    finally:
        await conn.execute("COMMIT")
    return Snapshot(version, tables, sequences)


async def holds_data(store: Store) -> list[str]:
    """The tables of a store that hold rows (empty: the store is empty)."""
    busy = []
    for name in TABLES:
        if await store._one(f"SELECT 1 FROM {name} LIMIT 1"):
            busy.append(name)
    return busy


async def write_snapshot(store: Store, snapshot: Snapshot, *, replace: bool = False) -> None:
    """Write every row of `snapshot` into a SQLite store in one transaction, ids kept,
    the full-text index rebuilt and each id sequence set past the copied ids. Unless
    `replace`, refuses a store that holds any row (checked inside the transaction, so
    nothing can slip in between); with it, what the store held is dropped in the same
    transaction, so a failed copy leaves the old contents."""
    async with store.transaction() as conn:
        await _checked_schema(conn, "the target")
        await _same_version(conn, snapshot.version)
        if replace:
            await _clear(conn)
        else:
            await _refuse_if_full(conn)
        for table in snapshot.tables:
            await _insert(conn, table, await _columns(conn, table.name))
        await _set_sequences(conn, snapshot.sequences)
        await index.rebuild_facts(conn)


async def _version(conn: aiosqlite.Connection) -> int:
    return int(next(iter(await conn.execute_fetchall("PRAGMA user_version")))[0])


async def _same_version(conn: aiosqlite.Connection, version: int) -> None:
    found = await _version(conn)
    if found != version:
        raise StoreUnusable(
            f"the schema versions differ (source {version}, target {found}); open the older "
            "one once with the newer bot, which migrates it, then copy"
        )


async def _refuse_if_full(conn: aiosqlite.Connection) -> None:
    for name in TABLES:
        if await conn.execute_fetchall(f"SELECT 1 FROM {name} LIMIT 1"):
            raise StoreUnusable(already_full(name))


def already_full(table: str) -> str:
    return (
        f"the target already holds data (table {table}); copy into an empty store, "
        "or pass --replace to drop what it holds"
    )


async def _clear(conn: aiosqlite.Connection) -> None:
    for name in reversed(TABLES):
        await conn.execute(f"DELETE FROM {name}")
    await conn.execute("DELETE FROM entities_fts")
    await conn.execute("DELETE FROM sqlite_sequence")


async def _insert(conn: aiosqlite.Connection, table: TableRows, target: Sequence[str]) -> None:
    if set(table.columns) != set(target):
        raise StoreUnusable(
            f"table {table.name} has other columns in the target; the schemas differ"
        )
    names = ", ".join(table.columns)
    marks = ", ".join("?" for _ in table.columns)
    sql = f"INSERT INTO {table.name} ({names}) VALUES ({marks})"
    for start in range(0, len(table.rows), BATCH):
        await conn.executemany(sql, table.rows[start : start + BATCH])


async def _set_sequences(conn: aiosqlite.Connection, sequences: dict[str, int]) -> None:
    """AUTOINCREMENT's high-water marks: inserting explicit ids already moved them to the
    largest id; a source that had handed out more (rows since deleted) moves them on."""
    for name, seq in sequences.items():
        if name not in TABLES:
            continue
        await conn.execute(
            "UPDATE sqlite_sequence SET seq = MAX(seq, ?) WHERE name = ?", (seq, name)
        )
        await conn.execute(
            "INSERT INTO sqlite_sequence(name, seq) SELECT ?, ? "
            "WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = ?)",
            (name, seq, name),
        )


async def guilds_with_rows(store: Store) -> list[int]:
    """Every server that has sources, facts or meetings of its own (for the export proof)."""
    found = await store._all(
        "SELECT guild_id FROM sources WHERE guild_id IS NOT NULL UNION "
        "SELECT guild_id FROM facts WHERE guild_id IS NOT NULL UNION "
        "SELECT guild_id FROM meetings WHERE guild_id IS NOT NULL ORDER BY 1"
    )
    return [int(row[0]) for row in found]
