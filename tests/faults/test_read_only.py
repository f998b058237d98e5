"""The bot as a real process on a store in a folder it may not write (as on read-only
media): it says so in its log, answers reads, and refuses writes with a clear message."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

import pytest

from tests.fakediscord import FakeDiscord
from tests.faults.conftest import (
    TOKEN,
    added_fact_id,
    assert_no_leak,
    embed_text,
    fact_add,
    populate,
    sqlite_rows,
    start_bot,
    stop_process,
    title,
)
from tests.faults.test_store import READ_ONLY, _unprivileged


@pytest.mark.skipif(sys.platform != "linux", reason="needs Linux file modes and setpriv")
async def test_the_bot_on_a_store_in_a_read_only_folder_answers_and_refuses_writes(
    tmp_path: Path,
) -> None:
    wrapper = _unprivileged()
    folder = tmp_path / "media"
    folder.mkdir()
    db, log = folder / "store.sqlite3", tmp_path / "bot.log"
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        process = await start_bot(fake, db, log)  # builds the store, syncs the commands
        try:
            await fake.wait_identified(timeout=30)
            await fake.send_message(server.channel, server.mod, fact_add("Before read-only."))
            assert added_fact_id(await fake.wait_for_message(server.channel, timeout=15))
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        assert process.returncode == 0
        assert sorted(p.name for p in folder.iterdir()) == ["store.sqlite3"]
        before = sqlite_rows(db, "SELECT count(*) FROM facts")
        folder.chmod(0o555)
        try:
            process = await start_bot(fake, db, log, wrapper=wrapper)
            try:
                await fake.wait_identified(timeout=30, count=2)
                await fake.send_message(server.channel, server.alice, "!who kim")
                read = await fake.wait_for_message(server.channel, timeout=15)
                assert title(read) == "Kim Jong Un", log.read_text()[-3000:]
                await fake.send_message(server.channel, server.mod, fact_add("Read-only."))
                refused = await fake.wait_for_message(server.channel, timeout=15)
                assert_no_leak(refused)
                assert READ_ONLY in embed_text(refused), log.read_text()[-3000:]
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
                await stop_process(process)
            text = log.read_text()
            assert process.returncode == 0, text[-3000:]
            assert f"{db} is read-only: answering from it; changes cannot be saved" in text
            assert "digests are off while the store is read-only" in text, text[-3000:]
            assert "Traceback" not in text
            assert sorted(p.name for p in folder.iterdir()) == ["store.sqlite3"]
        finally:
            folder.chmod(0o755)
    assert sqlite_rows(db, "SELECT count(*) FROM facts") == before
