"""Building the store from data/: the time a build writes is given to it, not read deep
inside the importer (issue 12 item 7)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.build import build
from bot.store import Store
from tests.conftest import FIXED_NOW


async def test_a_build_stamps_its_rows_with_the_time_it_is_given(tmp_path: Path) -> None:
    store = await Store.open(tmp_path / "store.sqlite3")
    try:
        await build(store, now=FIXED_NOW)
    finally:
        await store.close()
    with sqlite3.connect(tmp_path / "store.sqlite3") as conn:
        stamps = {row[0] for row in conn.execute("SELECT created_at FROM facts")}
        stamps |= {row[0] for row in conn.execute("SELECT at FROM audit")}
    assert stamps == {FIXED_NOW.isoformat()}
