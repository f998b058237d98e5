"""The fact store: SQLite through aiosqlite. The only package that holds SQL."""

from bot.store.store import Store

__all__ = ["Store"]
