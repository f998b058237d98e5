"""The SQLite engine: a reader and a writer aiosqlite connection on one file.

Reads go through their own connection, so they keep working while a write is in
progress (SQLite's WAL lets them see the last committed state). Each write runs as one
`BEGIN IMMEDIATE` transaction on the writer (the Store serialises them). Opening,
pragmas and migrations are in bot.store.database.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite

from bot.errors import StoreUnavailable
from bot.store import database

log = logging.getLogger(__name__)

DAMAGED = "The fact store is damaged, so this cannot be answered; the bot's log says more."


class SqliteEngine:
    kind = "SQLite"

    def __init__(self, path: Path, reader: aiosqlite.Connection, writer: aiosqlite.Connection):
        self.path = path
        self.name = str(path)
        self._read = reader
        self._write = writer
        self.read_only = False
        self._told_damaged = False

    @classmethod
    async def open(cls, path: Path) -> SqliteEngine:
        reader, writer, read_only = await database.open_connections(path)
        engine = cls(path, reader, writer)
        engine.read_only = read_only
        return engine

    async def close(self) -> None:
        await self._write.close()
        await self._read.close()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction: all of it lands, or none of it does.

        A locked, read-only or full database becomes StoreUnavailable, whose message a
        user can be shown; reads go on working through the other connection.
        """
        conn = self._write
        try:
            await conn.execute("BEGIN IMMEDIATE")
            yield conn
            await conn.execute("COMMIT")
        except BaseException as error:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            if isinstance(error, sqlite3.OperationalError) and _is_unavailable(error):
                log.warning("write refused by SQLite: %s", error)
                raise StoreUnavailable(_unavailable_message(error)) from error
            self._check_damage(error)
            raise

    async def fetch_all(self, sql: str, params: Sequence[object] | dict = ()) -> list[sqlite3.Row]:
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

    async def _value(self, pragma: str) -> sqlite3.Row | None:
        found = await self.fetch_all(f"PRAGMA {pragma}")
        return found[0] if found else None

    async def data_version(self) -> int:
        """Moves whenever any connection commits to the file (another process too)."""
        row = await self._value("data_version")
        return int(row[0]) if row else 0

    async def schema_version(self) -> int:
        row = await self._value("user_version")
        return int(row[0]) if row else 0

    async def integrity_check(self) -> str:
        row = await self._value("integrity_check")
        return str(row[0]) if row else "no answer"


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
