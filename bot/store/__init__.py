"""The fact store: SQLite through aiosqlite, or PostgreSQL through asyncpg (a
postgresql:// URL). The only package that holds SQL."""

from bot.store.store import Store

__all__ = ["Store"]
