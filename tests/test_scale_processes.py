"""One SQLite file shared by several OS processes: a write in one is in the answer
cache's answers in another within a second (SQLite's data_version), and two moderators'
edits of the same fact from two processes at once: one wins, the other is told."""

from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

from bot import briefing, moderation
from bot.cache import OUTSIDE_CHECK, AnswerCache
from bot.models import Change
from bot.store import Store
from tests.conftest import FIXED_NOW, asking

ROOT = Path(__file__).resolve().parents[1]
GUILD = 77

# A second process: add a fact, or edit one at a version read before a go-file appears.
CHILD = f"""
import asyncio, datetime, sys
from pathlib import Path
from bot import moderation
from bot.errors import Conflict
from bot.models import Change
from bot.store import Store

async def main(path, action, guild, *rest):
    store = await Store.open(path)
    change = Change(actor_id=int(rest[-1]), guild_id=int(guild), at={FIXED_NOW!r})
    try:
        if action == "add":
            await moderation.add_fact(store, change, subject="North Korea",
                statement="A wholly novel phrase.", kind="opinion", source=1,
                quote="signals a bit of desperation")
            print("added", flush=True)
            return
        fact_id, go = int(rest[0]), Path(rest[1])
        fact = await moderation.editable_fact(store, fact_id, change)
        print("ready", flush=True)
        while not go.exists():
            await asyncio.sleep(0.001)
        try:
            await moderation.edit_fact(store, change, fact_id,
                statement=f"Edited by {{rest[-1]}}.", version=fact.version)
            print("won", flush=True)
        except Conflict as error:
            print(f"told: {{error}}", flush=True)
    finally:
        await store.close()

asyncio.run(main(*sys.argv[1:]))
"""


async def child(*args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", CHILD, *args, cwd=ROOT, stdout=asyncio.subprocess.PIPE
    )


async def test_a_write_in_another_process_is_answered_within_a_second(store: Store) -> None:
    cache = AnswerCache(store)  # the real one-second check, not patched

    def build() -> object:
        return briefing.search(store, asking(GUILD), "wholly novel phrase")

    assert not (await cache.get(("search", "x"), build, guild_id=GUILD)).answer.found
    generation = store.generation
    writer = await child(str(store.path), "add", str(GUILD), "1")
    assert (await writer.stdout.readline()).strip() == b"added"  # committed now
    committed = time.monotonic()
    await writer.wait()
    while not (await cache.get(("search", "x"), build, guild_id=GUILD)).answer.found:
        assert time.monotonic() - committed <= OUTSIDE_CHECK + 0.1, "not seen within a second"
        await asyncio.sleep(0.02)
    assert store.generation == generation  # this process wrote nothing: seen via SQLite


async def test_two_processes_editing_one_fact_one_wins_the_other_is_told(
    store: Store, tmp_path: Path
) -> None:
    fact_id = await moderation.add_fact(
        store,
        Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW),
        subject="North Korea",
        statement="A local note.",
        kind="opinion",
        source=1,
        quote="signals a bit of desperation",
    )
    go = tmp_path / "go"
    editors = [
        await child(str(store.path), "edit", str(GUILD), str(fact_id), str(go), str(n))
        for n in (1, 2)
    ]
    for editor in editors:
        assert (await editor.stdout.readline()).strip() == b"ready"  # both read version 1
    go.touch()
    outcomes = [(await editor.stdout.readline()).decode().strip() for editor in editors]
    for editor in editors:
        await editor.wait()
    assert sorted(outcome.split(":")[0] for outcome in outcomes) == ["told", "won"], outcomes
    told = next(outcome for outcome in outcomes if outcome.startswith("told"))
    assert f"Someone changed fact {fact_id} while you were editing it" in told
    winner = outcomes.index("won") + 1
    fact = await store.fact(fact_id, GUILD)
    assert fact is not None and fact.statement == f"Edited by {winner}."


async def test_processes_starting_at_once_on_a_new_file_all_open_it(tmp_path: Path) -> None:
    """Before the startup lock, 5 rounds out of 5 failed: "table meta already exists"
    (a migration applied twice) or "locked" (the switch to WAL)."""
    for round_ in range(3):
        path = tmp_path / f"new{round_}" / "store.sqlite3"
        openers = [
            await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                "import asyncio, sys\nfrom bot.store import Store\n"
                "async def main():\n    store = await Store.open(sys.argv[1])\n"
                "    print(await store.schema_version())\n    await store.close()\n"
                "asyncio.run(main())",
                str(path),
                cwd=ROOT,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
            )
            for _ in range(4)
        ]
        results = [await opener.communicate() for opener in openers]
        versions = {out.strip() for out, _ in results}
        assert all(opener.returncode == 0 for opener in openers), [e for _, e in results]
        assert len(versions) == 1 and versions != {b"0"}
