"""The PostgreSQL engine: the store's tables in a PostgreSQL database, through asyncpg.

The store's SQL is written once, in SQLite's dialect; `translate` turns each statement
into PostgreSQL's (once per statement text, remembered): `?` and `:name` become `$n`,
`IS ?` becomes `IS NOT DISTINCT FROM $n`, `json_each(…)` of an id list becomes a set
of bigints, `LIMIT -1` `LIMIT ALL`, `instr` `strpos`, a length in bytes `octet_length`.
Full-text search and its index differ more and have their own module (pgsearch).

Writes: one transaction at a time across every process (an advisory lock taken first),
as SQLite's one writer, so the checks the store makes inside a write (a fact's version,
a server's quota, a digest's claim) hold across processes too. Each write ends with a
NOTIFY on CHANNEL; every Store LISTENs on a connection of its own and moves its
`data_version`, so an answer cached in one process is dropped when another writes.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import urllib.parse
from collections.abc import AsyncIterator, Iterable, Sequence
from pathlib import Path
from typing import Any

import asyncpg

from bot.errors import StoreUnavailable, StoreUnusable
from bot.store import database

log = logging.getLogger(__name__)

SCHEMES = ("postgresql://", "postgres://")
CHANNEL = "briefing_changes"
# pg_advisory_xact_lock keys: one for every write, one for migrating.
WRITE_LOCK = 7_420_151
MIGRATE_LOCK = 7_420_152
MIGRATIONS = Path(__file__).with_name("migrations") / "postgres"
POOL_SIZE = 8  # connections a process may hold at once, besides the one that listens
# How long a write waits for another process's write (as SQLite's busy_timeout) before
# it is refused as busy, in milliseconds.
LOCK_TIMEOUT_MS = 5000
CONNECT_TIMEOUT = 10.0

UNREACHABLE = "The fact store cannot be reached right now; please try again in a few seconds."
BUSY = "The fact store is busy; please try again in a few seconds."
READ_ONLY = "The fact store is read-only right now, so changes cannot be saved."
FULL = "The fact store's disk is full, so changes cannot be saved."
# Not the driver's words: they may quote the URL, password and all.
MALFORMED = (
    "cannot open the store: its postgresql:// URL cannot be read; check its host and port "
    "(a number up to 65535; an IPv6 host in [brackets])"
)


def is_url(target: object) -> bool:
    return isinstance(target, str) and target.lower().startswith(SCHEMES)


def redacted(url: str) -> str:
    """The URL without its password (and without any query string, which may hold one)."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = host + (f":{parts.port}" if _port(parts) else "")
    if parts.username:
        netloc = f"{parts.username}@{netloc}"
    return urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def _port(parts: urllib.parse.SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:
        return None


def describe(url: str) -> str:
    """'database briefing on db.example:5432' (for one-line errors: no password)."""
    parts = urllib.parse.urlsplit(url)
    database = parts.path.lstrip("/") or parts.username or "(default)"
    host = parts.hostname or "localhost"
    port = _port(parts) or 5432
    return f"database {database!r} on {host}:{port}"


# --- SQL: SQLite's dialect into PostgreSQL's ---------------------------------------------

_PLACEHOLDER = re.compile(r"\?|(?<![:\w]):([A-Za-z_]\w*)")
_IS_BEFORE = re.compile(r"\bIS\s*$", re.IGNORECASE)
_JSON_EACH = re.compile(r"json_each\((\$\d+)\)")
_REWRITES = (
    (re.compile(r"\bLIMIT\s+-1\b", re.IGNORECASE), "LIMIT ALL"),
    (re.compile(r"\binstr\(", re.IGNORECASE), "strpos("),
    (re.compile(r"\bLENGTH\(CAST\((\w+) AS BLOB\)\)", re.IGNORECASE), r"octet_length(\1)"),
)
# json_each(?) of a JSON list of ids: the same `value` column of bigints.
_ID_LIST = (
    r"(SELECT CAST(value AS bigint) AS value"
    r" FROM json_array_elements_text(CAST(\1 AS json))) AS json_each"
)
_LITERAL = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|--[^\n]*")


@functools.lru_cache(maxsize=2048)
def translate(sql: str) -> tuple[str, tuple[str, ...] | int]:
    """(PostgreSQL text, parameter names in $n order, or how many `?` there are)."""
    out: list[str] = []
    names: list[str] = []
    positional = 0
    last = 0
    for literal in [*_LITERAL.finditer(sql), None]:
        end = literal.start() if literal else len(sql)
        code = sql[last:end]
        pieces: list[str] = []
        at = 0
        for mark in _PLACEHOLDER.finditer(code):
            before = code[at : mark.start()]
            before = _IS_BEFORE.sub("IS NOT DISTINCT FROM ", before)
            pieces.append(before)
            if mark.group(0) == "?":
                positional += 1
                pieces.append(f"${positional}")
            else:
                name = mark.group(1)
                if name not in names:
                    names.append(name)
                pieces.append(f"${names.index(name) + 1}")
            at = mark.end()
        pieces.append(code[at:])
        translated = "".join(pieces)
        for pattern, replacement in _REWRITES:
            translated = pattern.sub(replacement, translated)
        translated = _JSON_EACH.sub(_ID_LIST, translated)
        out.append(translated)
        if literal:
            out.append(literal.group(0))
            last = literal.end()
    if names and positional:
        raise ValueError("a statement mixes ? and :name placeholders")
    return "".join(out), tuple(names) if names else positional


def arguments(spec: tuple[str, ...] | int, params: Sequence[object] | dict) -> list[object]:
    if isinstance(spec, tuple):
        assert isinstance(params, dict), "named placeholders need a dict of parameters"
        return [_value(params[name]) for name in spec]
    values = list(params.values()) if isinstance(params, dict) else list(params)
    if len(values) != spec:
        raise ValueError(f"the statement has {spec} placeholders, given {len(values)} values")
    return [_value(value) for value in values]


def _value(value: object) -> object:
    """As SQLite takes it: a bool as 0 or 1; text with U+0000 (which PostgreSQL's text
    cannot hold; a member may type it, a fetched page may hold it) with U+FFFD instead,
    one character for one, so citations' offsets still hold."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd") if "\x00" in value else value
    return int(value) if isinstance(value, bool) else value


# --- a transaction's connection, as the store's write functions use one --------------------


class Cursor:
    """What aiosqlite's execute gives back, as far as the store uses it."""

    def __init__(self, rows: list[Any], rowcount: int) -> None:
        self._rows = rows
        self.rowcount = rowcount

    async def fetchone(self) -> Any:
        return self._rows[0] if self._rows else None

    async def fetchall(self) -> list[Any]:
        return self._rows

    async def __aenter__(self) -> Cursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        return None


class _Pending:
    """An execute that can be awaited or used as `async with` (as aiosqlite's)."""

    def __init__(self, run: Any) -> None:
        self._run = run
        self._cursor: Cursor | None = None

    def __await__(self) -> Any:
        return self._run().__await__()

    async def __aenter__(self) -> Cursor:
        self._cursor = await self._run()
        return self._cursor

    async def __aexit__(self, *exc: object) -> None:
        return None


_WRITES = re.compile(r"^\s*(?:WITH\b.*?\)\s*)?(INSERT|UPDATE|DELETE)\b", re.IGNORECASE | re.DOTALL)


class Connection:
    """A transaction's connection with the part of aiosqlite's API the store uses."""

    engine = "postgresql"
    in_transaction = True

    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw
        self.numbered: set[str] = set()  # tables given explicit ids (an import)

    def execute(self, sql: str, params: Sequence[object] | dict = ()) -> _Pending:
        return _Pending(lambda: self._execute(sql, params))

    async def _execute(self, sql: str, params: Sequence[object] | dict) -> Cursor:
        text, spec = translate(sql)
        args = arguments(spec, params)
        self._note_ids(text)
        if _WRITES.match(text) and not re.search(r"\bRETURNING\b", text, re.IGNORECASE):
            status = await self.raw.execute(text, *args)
            return Cursor([], _count(status))
        rows = await self.raw.fetch(text, *args)
        return Cursor(rows, len(rows) if _WRITES.match(text) else -1)

    async def execute_fetchall(self, sql: str, params: Sequence[object] | dict = ()) -> list[Any]:
        return await (await self._execute(sql, params)).fetchall()

    async def executemany(self, sql: str, rows: Iterable[Sequence[object] | dict]) -> None:
        text, spec = translate(sql)
        batch = [arguments(spec, params) for params in rows]
        self._note_ids(text)
        if batch:
            await self.raw.executemany(text, batch)

    def _note_ids(self, text: str) -> None:
        given = _INSERT_COLUMNS.match(text)
        if given and NUMBERED.get(given.group(1)) in re.findall(r"\w+", given.group(2)):
            self.numbered.add(given.group(1))

    async def renumber(self) -> None:
        """After rows were inserted with their numbers (an import, a copy), move each
        table's sequence past them (SQLite numbers from the largest; PostgreSQL from its
        sequence)."""
        for table in sorted(self.numbered):
            column = NUMBERED[table]
            await self.raw.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', '{column}'),"
                f" COALESCE(max({column}), 0) + 1, false) FROM {table}"
            )
        self.numbered.clear()


# The tables whose rows the database numbers (GENERATED BY DEFAULT AS IDENTITY), and
# the column: ids, or the `rowid` that keeps SQLite's insertion order.
NUMBERED = {
    **dict.fromkeys(
        ("sources", "entities", "facts", "meetings", "citations", "audit", "feeds", "feed_items"),
        "id",
    ),
    "aliases": "rowid",
    "review_queues": "rowid",
}
_INSERT_COLUMNS = re.compile(r"^\s*INSERT\s+INTO\s+(\w+)\s*\(([^)]*)\)", re.IGNORECASE)


def _count(status: str) -> int:
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else -1


# --- the engine -------------------------------------------------------------------------


def migrations() -> list[tuple[int, Path]]:
    return database.migrations(MIGRATIONS)


def latest_version() -> int:
    return database.latest_version(MIGRATIONS)


class PostgresEngine:
    """A pool for reads and writes, and a connection that listens for others' writes."""

    kind = "PostgreSQL"
    read_only = False

    def __init__(self, url: str, pool: asyncpg.Pool) -> None:
        self.url = url
        self.name = redacted(url)
        self._pool = pool
        self._listener: asyncpg.Connection | None = None
        self._version = 0  # moved by every NOTIFY heard (ours too)

    @classmethod
    async def open(cls, url: str) -> PostgresEngine:
        try:
            pool = await asyncpg.create_pool(
                url, min_size=1, max_size=POOL_SIZE, timeout=CONNECT_TIMEOUT,
                command_timeout=60,
                server_settings={
                    "application_name": "briefing",
                    "lock_timeout": str(LOCK_TIMEOUT_MS),
                },
            )  # fmt: skip
        except (ValueError, OverflowError):  # the driver could not read the URL itself
            raise StoreUnusable(MALFORMED) from None
        except BaseException as error:
            raise _unusable(url, error) from None
        engine = cls(url, pool)
        try:
            await engine._migrate()
            await engine._listen()
            await engine._check_collation()
        except BaseException as error:
            await pool.close()
            raise _unusable(url, error) from None
        return engine

    async def close(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(Exception):
                await self._listener.close()
        await self._pool.close()

    # --- reading and writing ------------------------------------------------------------

    async def fetch_all(self, sql: str, params: Sequence[object] | dict = ()) -> list[Any]:
        text, spec = translate(sql)
        args = arguments(spec, params)
        try:
            return list(await self._pool.fetch(text, *args))
        except BaseException as error:
            _raise_unavailable(error)
            raise

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        try:
            async with self._pool.acquire() as raw, raw.transaction():
                await raw.execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK})")
                conn = Connection(raw)
                yield conn
                await conn.renumber()
                await raw.execute(f"NOTIFY {CHANNEL}")
        except BaseException as error:
            _raise_unavailable(error)
            raise

    # --- meta ---------------------------------------------------------------------------

    async def data_version(self) -> int:
        if self._listener is None or self._listener.is_closed():
            # Writes may have been missed while not listening: count that as a change.
            with contextlib.suppress(Exception):
                await self._listen()
            self._version += 1
        return self._version

    async def schema_version(self) -> int:
        rows = await self.fetch_all("SELECT version FROM schema_version")
        return int(rows[0][0]) if rows else 0

    async def integrity_check(self) -> str:
        """'ok' when every table the store needs answers (PostgreSQL checks its own pages)."""
        for table in ("facts", "entities", "aliases", "citations", "sources", "facts_fts"):
            await self.fetch_all(f"SELECT 1 FROM {table} LIMIT 1")
        return "ok"

    async def _check_collation(self) -> None:
        """Text sorts by code point on SQLite; here only where the database's collation
        does (LOCALE 'C'): otherwise names may be listed in another order (dates kept
        as ISO text compare the same either way)."""
        order = await self._pool.fetchval(
            "SELECT string_agg(x, '' ORDER BY x) FROM unnest(ARRAY['b', 'B', 'a']) AS x"
        )
        if order != "Bab":
            log.warning(
                "%s sorts text by language rules, so names may be listed in another order "
                "than on SQLite; create the database with LOCALE 'C' (see the README)",
                self.name,
            )

    async def _listen(self) -> None:
        listener = await asyncpg.connect(self.url, timeout=CONNECT_TIMEOUT)
        await listener.add_listener(CHANNEL, self._heard)
        self._listener = listener

    def _heard(self, *_: object) -> None:
        self._version += 1

    async def _migrate(self) -> int:
        """Apply every migration newer than the database's version, each in one
        transaction with its version; starters at the same moment wait their turn."""
        async with self._pool.acquire() as raw:
            current = 0
            for version, path in migrations():
                async with raw.transaction():
                    await raw.execute("SET LOCAL lock_timeout = 0")  # wait out a long one
                    await raw.execute(f"SELECT pg_advisory_xact_lock({MIGRATE_LOCK})")
                    await raw.execute(
                        "CREATE TABLE IF NOT EXISTS schema_version (version BIGINT NOT NULL)"
                    )
                    current = int(
                        await raw.fetchval("SELECT max(version) FROM schema_version") or 0
                    )
                    if version <= current:
                        continue
                    log.info("applying PostgreSQL migration %s", path.name)
                    await raw.execute(path.read_text(encoding="utf-8"))
                    await raw.execute("DELETE FROM schema_version")
                    await raw.execute("INSERT INTO schema_version(version) VALUES ($1)", version)
                    current = version
            return current


# --- errors, in words -------------------------------------------------------------------

_CONNECTION_ERRORS = (
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.CannotConnectNowError,
    asyncpg.exceptions.AdminShutdownError,
    OSError,
    asyncio.TimeoutError,
)


def _raise_unavailable(error: BaseException) -> None:
    """A lost server, a full disk, a read-only or busy database: StoreUnavailable, whose
    message a user may be shown. Anything else goes on as it is."""
    if isinstance(error, StoreUnavailable):
        return
    message = None
    if isinstance(error, _CONNECTION_ERRORS):
        message = UNREACHABLE
    elif isinstance(error, asyncpg.exceptions.ReadOnlySQLTransactionError):
        message = READ_ONLY
    elif isinstance(error, asyncpg.exceptions.DiskFullError):
        message = FULL
    elif isinstance(
        error,
        (
            asyncpg.exceptions.DeadlockDetectedError,
            asyncpg.exceptions.SerializationError,
            asyncpg.exceptions.LockNotAvailableError,
            asyncpg.exceptions.QueryCanceledError,
            asyncpg.exceptions.TooManyConnectionsError,
        ),
    ):
        message = BUSY
    if message is not None:
        log.warning("PostgreSQL store: %s: %s", type(error).__name__, _safe(str(error)))
        raise StoreUnavailable(message) from error


_PASSWORD = re.compile(r"(://[^:/@\s]*:)[^@\s]*@")


def _safe(text: str) -> str:
    return _PASSWORD.sub(r"\1***@", text)


def _unusable(url: str, error: BaseException) -> BaseException:
    if isinstance(error, StoreUnusable) or not isinstance(error, Exception):
        return error
    where = describe(url)
    if isinstance(error, asyncpg.exceptions.InvalidPasswordError):
        reason = "the password was refused; check the user and password in BRIEFING_DB"
    elif isinstance(error, asyncpg.exceptions.InvalidAuthorizationSpecificationError):
        reason = "this user may not connect; check the user in BRIEFING_DB and pg_hba.conf"
    elif isinstance(error, asyncpg.exceptions.InvalidCatalogNameError):
        reason = "no such database; create it first (createdb), or fix BRIEFING_DB"
    elif isinstance(error, (OSError, asyncio.TimeoutError)):
        reason = "cannot connect (is PostgreSQL running there, and the port right?)"
    elif isinstance(error, asyncpg.exceptions.InsufficientPrivilegeError):
        reason = "the user may not create the store's tables; make it the database's owner"
    elif isinstance(error, (asyncpg.PostgresError, asyncpg.InterfaceError)):
        reason = _safe(str(error).splitlines()[0] if str(error) else type(error).__name__)
    else:
        return error
    return StoreUnusable(f"cannot open the store in {where}: {reason}")
