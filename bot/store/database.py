"""Opening the SQLite file: pragmas and numbered migrations.

Migrations live in `migrations/V{n}__{reason}.sql`; the schema version is SQLite's own
`PRAGMA user_version`, and each migration runs in one transaction with the version bump,
so a crash mid-migration leaves the previous schema intact.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import aiosqlite

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).with_name("migrations")
_NAME = re.compile(r"^V(\d+)__[\w-]+\.sql$")
BUSY_TIMEOUT_MS = 5000


def migrations() -> list[tuple[int, Path]]:
    found = []
    for path in MIGRATIONS.glob("*.sql"):
        match = _NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    return sorted(found)


def latest_version() -> int:
    return migrations()[-1][0]


async def connect(path: Path | str, *, readonly: bool = False) -> aiosqlite.Connection:
    """A connection with the pragmas every part of the bot relies on."""
    target = f"file:{path}?mode=ro" if readonly else str(path)
    conn = await aiosqlite.connect(target, uri=readonly, isolation_level=None)
    conn.row_factory = aiosqlite.Row
    await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    await conn.execute("PRAGMA foreign_keys = ON")
    if not readonly:
        await conn.execute("PRAGMA journal_mode = WAL")
        await conn.execute("PRAGMA synchronous = NORMAL")
    return conn


async def migrate(conn: aiosqlite.Connection) -> int:
    """Apply every migration newer than the file's user_version; return the version."""
    async with conn.execute("PRAGMA user_version") as cursor:
        current = (await cursor.fetchone())[0]
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
