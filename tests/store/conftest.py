"""The store's tests run against both engines: `store` is a built store in a SQLite
file, then in a PostgreSQL database (a copy of one built once a session)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.build import build
from bot.store import Store

ENGINES = ["sqlite", "postgresql"]


@pytest.fixture(params=ENGINES)
def engine(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
async def store(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    """A store built from the real curated data, on each engine in turn."""
    if engine == "postgresql":
        opened = await Store.open(request.getfixturevalue("pg_built_url"))
    else:
        opened = await Store.open(tmp_path / "store.sqlite3")
        await build(opened)
    try:
        yield opened
    finally:
        await opened.close()


def sqlite_only(store: Store) -> None:
    """For a test about SQLite's own file, pragmas or FTS5 table."""
    if store.engine != "SQLite":
        pytest.skip("about SQLite's file itself")
