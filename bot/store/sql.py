"""What the store's modules share: how they read, and the SQL fragments they reuse.

Read functions take `read`, the Store's one read path (a query and its parameters in,
every row out, in one step on the reader's thread; SQLite's errors already turned into
user-safe ones). Write functions take the connection of the caller's transaction.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Awaitable, Callable, Sequence

Params = Sequence[object] | dict
Read = Callable[..., Awaitable[list[sqlite3.Row]]]  # (sql, params=()) -> every row

# The unary plus keeps SQLite from choosing the guild index for this test, which matches
# nearly every row; the subject, topic or id indexes are the selective ones (at 100,000
# facts, facts_about went from 22 ms to 0.1 ms).
VISIBLE = "(+{table}.guild_id IS NULL OR +{table}.guild_id = :guild)"
# The most facts one answer lists; past this, answers say so and point to `search`.
ANSWER_LIMIT = 150


async def one(read: Read, sql: str, params: Params = ()) -> sqlite3.Row | None:
    found = await read(sql, params)
    return found[0] if found else None


def visible(table: str) -> str:
    return VISIBLE.format(table=table)


def placeholders(values: Sequence[object]) -> str:
    return ",".join("?" for _ in values)


def like_prefix(key: str) -> str:
    escaped = key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"
