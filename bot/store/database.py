"""Opening the SQLite file: pragmas and numbered migrations.

Migrations live in `migrations/V{n}__{reason}.sql`; the schema version is SQLite's own
`PRAGMA user_version`, and each migration runs in one transaction with the version bump,
so a crash mid-migration leaves the previous schema intact.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
import re
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path

import aiosqlite

from bot.errors import StoreUnusable
from bot.store.rows import returned

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^V(\d+)__[\w-]+\.sql$")
BUSY_TIMEOUT_MS = 5000


def migrations(folder: Path = MIGRATIONS) -> list[tuple[int, Path]]:
    """(version, script) of each `V{n}__{reason}.sql` in `folder`, oldest first (the
    PostgreSQL engine lists its own folder with it)."""
    found = []
    for path in folder.glob("*.sql"):
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_version(folder: Path = MIGRATIONS) -> int:
    return migrations(folder)[-1][0]


async def connect(
    path: Path | str, *, readonly: bool = False, immutable: bool = False
) -> aiosqlite.Connection:
    """A connection with the pragmas every part of the bot relies on.

    Writable connections use WAL with synchronous=FULL: the log is synced at every
    commit, so a write acknowledged to a moderator survives a power loss (NORMAL may
    lose the last commits). `immutable` is for a file nothing can change (read-only
    media): SQLite then takes no locks and needs no -shm file beside it.
    """
    if readonly:
        flags = "mode=ro&immutable=1" if immutable else "mode=ro"
        pending = aiosqlite.connect(f"{_uri(path)}?{flags}", uri=True, isolation_level=None)
    else:
        pending = aiosqlite.connect(str(path), isolation_level=None)
    try:
        conn = await pending
    except BaseException:
        # aiosqlite stops its thread without waiting; the thread then reports to the event
        # loop, which must still be running (else "Event loop is closed" in the thread).
        await asyncio.to_thread(pending._thread.join, 5)
        raise
    try:
        conn.row_factory = aiosqlite.Row
        await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        await conn.execute("PRAGMA foreign_keys = ON")
        if not readonly:
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA synchronous = FULL")
    except BaseException:
        # aiosqlite's thread is not a daemon: left open, it keeps the process alive.
        await conn.close()
        raise
    return conn


async def user_version(conn: aiosqlite.Connection) -> int:
    """The schema version of the file (reading it also proves the file is a database)."""
    async with conn.execute("PRAGMA user_version") as cursor:
        return int(returned(await cursor.fetchone())[0])


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every migration newer than the file's user_version; return the version."""
    current = await user_version(conn)
    for version, path in migrations():
        if version <= current:
            continue
        log.info("applying migration %s", path.name)
        script = path.read_text(encoding="utf-8")
        # executescript commits first; wrap the script and the bump in one transaction.
        try:
            await conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {version};\nCOMMIT;"
            )
        except Exception:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise
        current = version
    return current


# --- opening a store, or saying in one line why not ------------------------------------------

_MOVE_ASIDE = (
    "move it aside, then `python -m bot build` makes a new store from data/ "
    "(what moderators added is only in the old file)"
)
_ELSEWHERE = "set BRIEFING_DB (or --db) to a file in a folder this user can write"


def _uri(path: Path | str) -> str:
    return Path(path).absolute().as_uri()


def _kind(path: Path) -> str:
    """What is at `path`: folder, missing, read-only or writable (a stat or two)."""
    if path.is_dir():
        return "folder"
    if not path.exists():
        return "missing"
    return "writable" if writable(path) else "read-only"


def writable(path: Path) -> bool:
    """Whether an existing store can be written: the file, and its folder (WAL keeps its
    -wal and -shm files beside it). False on read-only media too (access() says EROFS)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK | os.X_OK)


async def open_connections(
    path: Path,
) -> tuple[aiosqlite.Connection, aiosqlite.Connection, bool]:
    """(reader, writer, read_only) for the store at `path`, migrated; or StoreUnusable.

    An existing store that cannot be written is opened read-only: both connections
    read, and every write is refused (StoreUnavailable) while reads go on.
    """
    kind = _kind(path)
    if kind == "folder":
        raise StoreUnusable(f"{path} is a folder; BRIEFING_DB (or --db) must name a file")
    try:
        if kind == "read-only":
            return (*await _open_read_only(path), True)
        if kind == "missing":
            _make_folder(path)
        return (*await _open_writable(path), False)
    except (FileExistsError, NotADirectoryError):
        raise StoreUnusable(
            f"cannot create the store at {path}: a file is in the way of its folder; {_ELSEWHERE}"
        ) from None
    except OSError as error:  # the folder could not be made
        raise StoreUnusable(
            f"cannot create the store at {path}: {error.strerror or error}; {_ELSEWHERE}"
        ) from None
    except sqlite3.DatabaseError as error:
        raise _unusable(path, error, existed=kind != "missing") from None


def _make_folder(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)


def _has_wal(path: Path) -> bool:
    return Path(f"{path}-wal").exists()


@contextlib.asynccontextmanager
async def _startup_lock(path: Path) -> AsyncIterator[None]:
    """Held (an flock on the store's folder) while a process creates or migrates the
    store: several bot processes starting at once on one file would otherwise apply the
    same migration twice ("table already exists") or race to switch it to WAL. The
    folder, not the file: closing any descriptor of the file would drop SQLite's own
    POSIX locks on it. Polled, so the event loop goes on (and no thread is left)."""
    fd = os.open(path.parent, os.O_RDONLY)
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                await asyncio.sleep(0.02)
        yield
    finally:
        os.close(fd)  # releases the flock


async def _open_writable(path: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    async with _startup_lock(path):
        return await _open_writable_now(path)


async def _open_writable_now(path: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    writer = await connect(path)
    try:
        await migrate(writer)
        reader = await connect(path)
    except BaseException:
        await writer.close()
        raise
    return reader, writer


async def _open_read_only(path: Path) -> tuple[aiosqlite.Connection, aiosqlite.Connection]:
    immutable = False
    reader = await connect(path, readonly=True)
    try:
        found = await user_version(reader)
    except sqlite3.DatabaseError as error:
        await reader.close()
        if not isinstance(error, sqlite3.OperationalError):
            raise  # not a database at all
        # A WAL store in a folder we cannot write has no -shm file to share: read it as
        # immutable, unless a -wal file holds commits that reading so would ignore.
        if _has_wal(path):
            raise StoreUnusable(
                f"{path} is read-only and its last changes are still in {path.name}-wal: "
                "open it once where its folder can be written"
            ) from None
        immutable = True
        reader = await connect(path, readonly=True, immutable=True)
        found = await _checked_version(reader)
    if found < latest_version():
        await reader.close()
        raise StoreUnusable(
            f"{path} is read-only and was made by an older version (schema {found}, "
            f"this one needs {latest_version()}): open it once where it can be written"
        )
    try:
        writer = await connect(path, readonly=True, immutable=immutable)
    except BaseException:
        await reader.close()
        raise
    return reader, writer


async def _checked_version(conn: aiosqlite.Connection) -> int:
    try:
        return await user_version(conn)
    except BaseException:
        await conn.close()
        raise


def _unusable(path: Path, error: sqlite3.DatabaseError, *, existed: bool) -> StoreUnusable:
    text = str(error)
    if not existed:
        reason = "permission denied" if not os.access(path.parent, os.W_OK) else text
        return StoreUnusable(f"cannot create the store at {path}: {reason}; {_ELSEWHERE}")
    if "locked" in text or "busy" in text:
        return StoreUnusable(f"{path} is locked by another process; stop it, or try again")
    if isinstance(error, sqlite3.OperationalError) and "unable to open" in text:
        return StoreUnusable(f"cannot open the store at {path}: {text}; {_ELSEWHERE}")
    return StoreUnusable(f"{path} is not a usable SQLite store ({text}): {_MOVE_ASIDE}")


def damaged_notice(path: Path, error: Exception) -> str:
    """For the operator, when a store that opened turns out damaged inside."""
    return f"{path} is damaged ({error}): stop the bot, {_MOVE_ASIDE}"
