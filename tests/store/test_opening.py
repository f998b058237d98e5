"""Opening the store file: damaged or foreign files, paths that cannot be created, and the
durability of an acknowledged write."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from bot.build import build
from bot.errors import StoreUnavailable, StoreUnusable
from bot.store import Store
from tests.store.conftest import sqlite_only


def worker_threads() -> list[threading.Thread]:
    """aiosqlite's per-connection threads are not daemons: one left running keeps the
    process alive after main() returns (the hang a damaged store caused)."""
    return [t for t in threading.enumerate() if t is not threading.main_thread() and t.is_alive()]


def threads_end(before: list[threading.Thread]) -> bool:
    """Whether every thread started since `before` ends (a closed connection's thread
    returns just after the close is acknowledged)."""
    started = [thread for thread in worker_threads() if thread not in before]
    for thread in started:
        thread.join(timeout=2)
    return not any(thread.is_alive() for thread in started)


@pytest.mark.parametrize(
    "content",
    [b"not a database, just some text\n" * 40, b"SQLite format 3\x00" + b"\xff" * 4080],
    ids=["text", "bad-header"],
)
async def test_a_file_that_is_not_a_store_is_refused_clearly_and_leaves_no_thread(
    tmp_path: Path, content: bytes
) -> None:
    path = tmp_path / "store.sqlite3"
    path.write_bytes(content)
    before = worker_threads()
    with pytest.raises(StoreUnusable) as raised:
        await Store.open(path)
    message = str(raised.value)
    assert message.startswith(f"{path} is not a usable SQLite store"), message
    assert "move it aside" in message
    assert "\n" not in message
    assert threads_end(before)
    assert path.read_bytes() == content  # nothing written over the user's file


async def test_a_store_path_inside_a_file_names_the_path_and_the_variable(
    tmp_path: Path,
) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    path = blocker / "store.sqlite3"
    with pytest.raises(StoreUnusable) as raised:
        await Store.open(path)
    message = str(raised.value)
    assert message.startswith(f"cannot create the store at {path}: "), message
    assert "BRIEFING_DB" in message


async def test_a_store_path_that_is_a_folder_is_refused(tmp_path: Path) -> None:
    before = worker_threads()
    with pytest.raises(StoreUnusable) as raised:
        await Store.open(tmp_path)
    assert str(raised.value).startswith(f"{tmp_path} is a folder"), str(raised.value)
    assert threads_end(before)


async def test_acknowledged_writes_are_synced_to_disk(store: Store) -> None:
    """synchronous=NORMAL in WAL mode can lose the last commits on power loss; FULL syncs
    the log at every commit, so a write acknowledged to a moderator survives it."""
    sqlite_only(store)
    async with store._write.execute("PRAGMA synchronous") as cursor:
        assert (await cursor.fetchone())[0] == 2  # FULL


DAMAGED = "The fact store is damaged, so this cannot be answered; the bot's log says more."


async def damaged_store(tmp_path: Path) -> Path:
    """A built store whose first pages are sound but 20 later ones overwritten, as a
    failing disk leaves one: it opens; queries then fail as malformed."""
    path = tmp_path / "store.sqlite3"
    built = await Store.open(path)
    await build(built)
    await built.close()
    with path.open("r+b") as file:
        file.seek(4096 * 3)
        file.write(b"\xff" * 4096 * 20)
    return path


async def test_a_damaged_page_is_a_clear_message_and_one_log_line(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = await damaged_store(tmp_path)
    store = await Store.open(path)
    try:
        for _ in range(3):
            with pytest.raises(StoreUnavailable) as raised:
                await store.facts_by_topic("sanctions", None)
            assert str(raised.value) == DAMAGED
        with pytest.raises(StoreUnavailable) as raised:
            async with store.transaction() as conn:
                await conn.execute("UPDATE facts SET statement = statement || ''")
        assert str(raised.value) == DAMAGED
    finally:
        await store.close()
    told = [r.getMessage() for r in caplog.records if "is damaged" in r.getMessage()]
    assert len(told) == 1, told
    assert told[0].startswith(f"{path} is damaged (database disk image is malformed): ")
    assert "move it aside" in told[0]
