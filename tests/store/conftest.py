"""The store's tests run against both engines: `store` (tests/conftest.py) is a built
store in a SQLite file, then in a PostgreSQL database."""

from __future__ import annotations

import pytest

from bot.store import Store


def sqlite_only(store: Store) -> None:
    """For a test about SQLite's own file, pragmas or FTS5 table."""
    if store.engine != "SQLite":
        pytest.skip("about SQLite's own file")
