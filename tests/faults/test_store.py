"""The SQLite store refusing writes: locked by another process, read-only, disk full.

A moderator's write then either waits and succeeds or gets a clear message (never an
error id or a traceback), nothing half-written is left behind, reads keep working, and
the same write succeeds once the store is writable again.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import signal
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.store import database
from tests.fakediscord import FakeDiscord
from tests.faults.conftest import (
    TOKEN,
    World,
    added_fact_id,
    assert_cannot_ping,
    assert_no_leak,
    embed_text,
    fact_add,
    populate,
    sqlite_rows,
    start_bot,
    stop_process,
    stored_state,
    title,
)

BUSY = "The fact store is busy; please try again in a few seconds."
READ_ONLY = "The fact store is read-only right now, so changes cannot be saved."
FULL = "The fact store's disk is full, so changes cannot be saved."

# Another process takes the write lock on the store and holds it for argv[2] seconds.
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
conn.execute("BEGIN EXCLUSIVE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("ROLLBACK")
conn.close()
"""


@contextlib.asynccontextmanager
async def locked(db: Path, seconds: float) -> AsyncIterator[asyncio.subprocess.Process]:
    locker = await asyncio.create_subprocess_exec(
        sys.executable, "-c", LOCKER, str(db), str(seconds), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert locker.stdout is not None
        line = await asyncio.wait_for(locker.stdout.readline(), timeout=10)
        assert line.strip() == b"locked"
        yield locker
    finally:
        await stop_process(locker)


def fact_ids(world: World) -> list[int]:
    return [
        row[0]
        for row in sqlite_rows(
            world.db_path, f"SELECT id FROM facts WHERE guild_id = {world.guild}"
        )
    ]


async def ask_mod(world: World, content: str) -> dict:
    reply = await world.ask(content, user=world.mod)
    assert_no_leak(reply)
    assert_cannot_ping(reply)
    return reply


# --- locked by another process ---------------------------------------------------------------


async def test_a_write_waits_for_a_short_lock_and_reads_go_on_meanwhile(world: World) -> None:
    async with locked(world.db_path, 2.5) as locker:
        await world.fake.send_message(world.channel, world.mod, fact_add("Waited for the lock."))
        read = await world.ask("!who kim", user=world.alice)
        assert title(read) == "Kim Jong Un"
        slash_read = await world.slash("search", {"query": "sanctions"}, user=world.dave)
        assert "sanctions" in embed_text(slash_read).lower()
        assert locker.returncode is None, "the reads should not have had to wait for the lock"
        written = [e for e in world.fake.messages(world.channel) if added_fact_id(e)]
        assert not written, "the write did not wait for the lock"
        reply = await world.fake.wait_for_message(world.channel, timeout=10)
    assert_no_leak(reply)
    fact_id = added_fact_id(reply)
    assert fact_id in fact_ids(world)


async def test_a_write_blocked_past_the_busy_timeout_says_try_again_then_succeeds(
    world: World,
) -> None:
    # The bot waits up to 5 s for the lock; shorten that rather than hold a lock 6 s.
    await world.bot.store._write.execute("PRAGMA busy_timeout = 300")
    before = await stored_state(world)
    async with locked(world.db_path, 2.0) as locker:
        refused = await ask_mod(world, fact_add("Blocked by the lock."))
        assert BUSY in embed_text(refused)
        assert title(await world.ask("!who putin", user=world.alice)) == "Vladimir Putin"
        assert locker.returncode is None
        assert await stored_state(world) == before
    added = await ask_mod(world, fact_add("Blocked by the lock."))
    assert added_fact_id(added) in fact_ids(world)


async def test_a_slash_write_that_waits_on_the_lock_is_deferred_and_answered(
    world: World,
) -> None:
    options = {"subject": "Kim Jong Un", "statement": "Slash under lock.", "kind": "opinion"}
    options |= {"source": 1, "quote": "signals a bit of desperation"}
    async with locked(world.db_path, 3.5):
        inter = await world.fake.invoke_slash(world.channel, world.mod, "fact add", options)
        answer = await world.fake.wait_for_interaction_response(inter, timeout=6)
    assert_no_leak(answer)
    assert added_fact_id(answer) in fact_ids(world)


async def test_a_form_submitted_while_the_store_is_locked_is_deferred_and_answered(
    world: World,
) -> None:
    options = {"subject": "Kim Jong Un", "kind": "opinion", "source": 1}
    inter = await world.fake.invoke_slash(world.channel, world.mod, "fact add", options)
    form = (await world.fake.wait_for_interaction_callback(inter, timeout=10))["data"]
    values = {"statement": "Form under lock.", "quote": "signals a bit of desperation"}
    async with locked(world.db_path, 3.5):
        submitted = await world.fake.submit_modal(
            world.channel, world.mod, form["custom_id"], values
        )
        answer = await world.fake.wait_for_interaction_response(submitted, timeout=6)
    assert_no_leak(answer)
    assert added_fact_id(answer) in fact_ids(world)


# --- read-only ------------------------------------------------------------------------------


async def test_a_read_only_store_refuses_writes_clearly_and_keeps_answering(
    world: World,
) -> None:
    store = world.bot.store
    before = await stored_state(world)
    await store._write.execute("PRAGMA query_only = ON")
    try:
        refused = await ask_mod(world, fact_add("Not while read-only."))
        assert READ_ONLY in embed_text(refused)
        slash = await world.slash(
            "fact retract", {"fact_id": 12, "reason": "test"}, user=world.owner
        )
        assert_no_leak(slash)
        assert READ_ONLY in embed_text(slash)
        assert title(await world.ask("!who kim", user=world.alice)) == "Kim Jong Un"
        assert title(await world.ask("!fact 12", user=world.dave)) == "Fact 12"
        assert await stored_state(world) == before
    finally:
        await store._write.execute("PRAGMA query_only = OFF")
    added = await ask_mod(world, fact_add("Once writable again."))
    assert added_fact_id(added) in fact_ids(world)


async def test_a_store_opened_read_only_refuses_writes_clearly(world: World) -> None:
    """The write connection itself can't write (as on a read-only file or mount)."""
    store = world.bot.store
    writer = store._write
    store._write = await database.connect(world.db_path, readonly=True)
    try:
        before = await stored_state(world)
        refused = await ask_mod(world, fact_add("Not on a read-only file."))
        assert READ_ONLY in embed_text(refused)
        meeting = await world.slash(
            "meeting add",
            {
                "title": "Talks",
                "when": "2027-01-05 10:00 Asia/Seoul",
                "where": "Seoul",
                "participants": "Kim Jong Un",
                "source": 1,
                "quote": "signals a bit of desperation",
            },
            user=world.mod,
        )
        assert_no_leak(meeting)
        assert READ_ONLY in embed_text(meeting)
        assert title(await world.ask("!timeline", user=world.alice)) == "Timeline"
        assert await stored_state(world) == before
    finally:
        await store._write.close()
        store._write = writer
    assert added_fact_id(await ask_mod(world, fact_add("Writable again."))) in fact_ids(world)


def _unprivileged() -> tuple[str, ...]:
    """A wrapper under which the bot is subject to file modes. Root ignores them, so
    as root the bot runs without the capabilities that let it (setpriv drops them)."""
    if os.geteuid() != 0:
        return ()
    setpriv = shutil.which("setpriv")
    if setpriv is None:
        pytest.skip("running as root without setpriv: a 0444 file would still be writable")
    return (setpriv, "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--")


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
async def test_the_bot_process_on_a_read_only_store_file_answers_and_refuses_writes(
    tmp_path: Path,
) -> None:
    """The real thing: the store file is mode 0444 and the bot may not write it."""
    wrapper = _unprivileged()
    db, log = tmp_path / "store.sqlite3", tmp_path / "bot.log"
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        # First run: build the store and sync the slash commands, then stop cleanly.
        process = await start_bot(fake, db, log)
        try:
            await fake.wait_identified(timeout=30)
            await fake.send_message(server.channel, server.mod, fact_add("Before read-only."))
            assert added_fact_id(await fake.wait_for_message(server.channel, timeout=15))
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        assert process.returncode == 0
        before = sqlite_rows(db, "SELECT count(*) FROM facts")
        db.chmod(0o444)
        process = await start_bot(fake, db, log, wrapper=wrapper)
        try:
            await fake.wait_identified(timeout=30, count=2)
            await fake.send_message(server.channel, server.alice, "!who kim")
            read = await fake.wait_for_message(server.channel, timeout=15)
            assert title(read) == "Kim Jong Un", log.read_text()[-3000:]
            await fake.send_message(server.channel, server.mod, fact_add("During read-only."))
            refused = await fake.wait_for_message(server.channel, timeout=15)
            assert_no_leak(refused)
            assert READ_ONLY in embed_text(refused), log.read_text()[-3000:]
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
            await stop_process(process)
        assert process.returncode == 0, log.read_text()[-3000:]
    db.chmod(0o644)
    assert sqlite_rows(db, "SELECT count(*) FROM facts") == before


# --- disk full ------------------------------------------------------------------------------


async def _fill_the_disk(world: World) -> None:
    """No page beyond those the file already has: the next growth is SQLITE_FULL."""
    conn = world.bot.store._write
    async with conn.execute("PRAGMA page_count") as cursor:
        pages = (await cursor.fetchone())[0]
    await conn.execute(f"PRAGMA max_page_count = {pages}")


async def test_a_full_disk_refuses_writes_clearly_and_keeps_answering(world: World) -> None:
    await _fill_the_disk(world)
    before = await stored_state(world)
    article = ("Seoul and Pyongyang exchanged letters again this week. " * 2000).encode()
    await world.fake.send_message(
        world.channel,
        world.mod,
        "!source add title: A long report published: 2026-11-20",
        attachments={"report.txt": article},
    )
    refused = await world.fake.wait_for_message(world.channel, timeout=10)
    assert_no_leak(refused)
    assert FULL in embed_text(refused)
    # Small writes fit in the pages left until they don't; each lands whole or not at all.
    accepted, refused_ = set(), set()
    for n in range(5):
        statement = f"Filling statement {n}. " + "x" * 400
        reply = await ask_mod(world, fact_add(statement))
        if added_fact_id(reply):
            accepted.add(statement)
        else:
            assert FULL in embed_text(reply), embed_text(reply)
            refused_.add(statement)
    assert refused_, "the disk never filled up"
    stored = {row[0] for row in sqlite_rows(world.db_path, "SELECT statement FROM facts")}
    assert accepted <= stored
    assert not refused_ & stored
    audited = sqlite_rows(world.db_path, "SELECT count(*) FROM audit WHERE action = 'add'")
    assert audited == [(len(accepted),)]
    assert title(await world.ask("!who kim", user=world.alice)) == "Kim Jong Un"
    assert title(await world.slash("sanctions", user=world.dave)) == "Sanctions on North Korea"
    after = await stored_state(world)
    assert after[1:3] == before[1:3]  # nothing reached the other server or the shared facts
    assert sqlite_rows(world.db_path, "PRAGMA integrity_check") == [("ok",)]

    await world.bot.store._write.execute("PRAGMA max_page_count = 1073741823")
    await world.fake.send_message(
        world.channel,
        world.mod,
        "!source add title: A long report published: 2026-11-20",
        attachments={"report.txt": article},
    )
    added = await world.fake.wait_for_message(world.channel, timeout=10)
    assert "Added source S" in embed_text(added), embed_text(added)
