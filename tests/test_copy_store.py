"""`python -m bot copy-store FROM TO`: a whole store, every table, into another, proved
by its tables read back and by both exports; refusals in one line; a copy killed half
way leaves the target empty."""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

import pytest

from bot import moderation, review, storecopy
from bot.build import build
from bot.errors import StoreUnusable
from bot.feedmodels import FetchRecord, ItemDraft
from bot.models import Change, SourceDraft
from bot.review import Queue
from bot.store import Store, reviews, transfer
from bot.storecopy import copy_store
from tests import pgcluster
from tests.conftest import FIXED_NOW, asking

ROOT = Path(__file__).resolve().parents[1]
GUILD, OTHER, MOD, CURATOR = 111, 222, 7, 1
ARTICLE = (
    "Officials in Seoul said on Monday that the talks would resume next week. "
    "Analysts doubt that sanctions relief is on the table before the summit."
)
QUOTE = "Officials in Seoul said on Monday that the talks would resume next week."


def change(guild: int | None, actor: int = MOD, reason: str | None = None) -> Change:
    return Change(actor_id=actor, guild_id=guild, at=FIXED_NOW, reason=reason)


async def fill(store: Store) -> None:
    """A store with a row in every table: curated data, two servers' own sources, facts
    (one retracted) and meetings, a shared moderator fact, the audit trail, moderator
    roles, digests and their ledger, feeds and their items (the newest feed removed, so
    the ids handed out go past the largest left), a fetched source, a review queue."""
    await build(store)
    for guild in (GUILD, OTHER):
        source = await moderation.add_source(
            store, change(guild), title=f"Talks {guild}", text=ARTICLE, url="https://e.org/a"
        )
        fact = await moderation.add_fact(
            store,
            change(guild),
            subject="Kim Jong Un",
            statement=f"Talks resume next week ({guild}).",
            kind="reported",
            source=source,
            quote=QUOTE,
            topic="talks",
        )
        await moderation.add_meeting(
            store,
            change(guild),
            title=f"Envoys meet ({guild})",
            when="2026-12-20 10:00",
            status="scheduled",
            participants="Kim Jong Un, Someone Unknown",
            where="Panmunjom",
            source=source,
            quote=QUOTE,
        )
        await store.set_mod_role(guild, guild + 5, change(guild))
        await store.set_digest(guild, guild + 1, clock_time(9, 0), "Asia/Seoul", change(guild))
        await store.claim_delivery(guild, FIXED_NOW.date(), f"nonce-{guild}", FIXED_NOW)
    await moderation.retract_fact(store, change(OTHER, reason="wrong"), fact)
    await store.finish_delivery(GUILD, FIXED_NOW.date(), 99, FIXED_NOW, FIXED_NOW)
    shared = await moderation.add_source(store, change(None, CURATOR), title="Shared", text=ARTICLE)
    await moderation.add_fact(
        store,
        change(None, CURATOR),
        subject="Kim Jong Un",
        statement="A shared note on the talks.",
        kind="opinion",
        source=shared,
        quote=QUOTE,
    )
    feed = await store.add_feed("https://e.org/news.rss", "News", GUILD + 1, 3600, change(GUILD))
    gone = await store.add_feed("https://e.org/old.rss", "", GUILD + 1, 3600, change(GUILD))
    assert await store.remove_feed(gone, change(GUILD))
    items = [ItemDraft(f"key-{n}", f"Item {n}", f"https://e.org/{n}", None) for n in range(3)]
    await store.record_poll(
        feed,
        now=FIXED_NOW,
        next_poll_at=FIXED_NOW + timedelta(hours=1),
        title="News",
        etag='"e1"',
        last_modified=None,
        items=items,
        backlog=2,
    )
    draft = SourceDraft(title="Fetched", text=ARTICLE, published=None, url="https://e.org/f")
    fetched = FetchRecord(
        "https://e.org/f", "https://e.org/f", "text/html", FIXED_NOW, "0" * 64, "1" * 64
    )
    await store.add_fetched_source(draft, True, fetched, change(GUILD))
    drafted, left_out = await review.draft_source(store, shared, GUILD)
    queue = Queue(
        review.new_id(),
        GUILD,
        MOD,
        GUILD,
        shared,
        drafted,
        0,
        FIXED_NOW,
        FIXED_NOW + review.QUEUE_LIFETIME,
        left_out,
    )
    await reviews.open_queue(store, queue, per_moderator=3, per_server=5)


async def _filled_at(path: Path) -> None:
    store = await Store.open(path)
    try:
        await fill(store)
    finally:
        await store.close()  # the last connection: the log is folded into the file


@pytest.fixture(scope="module")
def filled_once(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("filled") / "from.sqlite3"
    asyncio.run(_filled_at(path))
    assert not Path(f"{path}-wal").exists()
    return path


@pytest.fixture
def filled(filled_once: Path, tmp_path: Path) -> Path:
    """A private copy of the filled store (made once a module), for a test to change."""
    path = tmp_path / "from.sqlite3"
    shutil.copyfile(filled_once, path)
    return path


async def copied(source: Path | str, target: Path | str, **options: bool) -> list[str]:
    said: list[str] = []
    await copy_store(str(source), str(target), say=said.append, **options)
    return said


async def snapshot_of(where: Path) -> transfer.Snapshot:
    store = await Store.open(where)
    try:
        return await transfer.read_snapshot(store)
    finally:
        await store.close()


# --- what a copy moves ---------------------------------------------------------------


async def test_every_table_moves_with_its_ids_and_the_proof_is_printed(
    filled: Path, tmp_path: Path
) -> None:
    said = await copied(filled, tmp_path / "to.sqlite3")
    before, after = await snapshot_of(filled), await snapshot_of(tmp_path / "to.sqlite3")
    empty = [t.name for t in before.tables if not t.rows]
    assert empty == [], f"the fixture leaves {empty} empty, so their copy is not tested"
    for was, now in zip(before.tables, after.tables, strict=True):
        assert now.rows == was.rows, was.name
    assert after.sequences == before.sequences
    assert any(line.startswith("proof: every table reads back the same") for line in said)
    exports = [line for line in said if line.startswith("proof: the exports are identical")]
    assert exports and "shared rows and 2 server(s)" in exports[0], said


async def test_on_a_big_store_the_export_proof_says_how_many_servers_it_covers(
    filled: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each server's export repeats the shared rows, so the proof's exports are bounded;
    the line says so rather than claim every server."""
    store = await Store.open(filled)
    try:
        shared, first = await store.counts(None), await store.counts(GUILD)
    finally:
        await store.close()
    room = shared.facts + shared.meetings + first.facts + first.meetings  # one server's worth
    monkeypatch.setattr(storecopy, "EXPORT_BUDGET", room)
    said = await copied(filled, tmp_path / "to.sqlite3")
    line = next(line for line in said if line.startswith("proof: the exports"))
    assert "shared rows and 1 of 2 servers (the rest: see the table proof)" in line, line


async def test_the_copy_answers_as_the_source_did(filled: Path, tmp_path: Path) -> None:
    """Search (the rebuilt full-text index), facts, meetings, digests, feeds, the audit
    trail and the review queue read the same from the copy."""
    from bot import briefing

    await copied(filled, tmp_path / "to.sqlite3")
    answers = []
    for path in (filled, tmp_path / "to.sqlite3"):
        store = await Store.open(path)
        try:
            answers.append(
                (
                    [f.id for f in await store.search("talks", GUILD)],
                    [f.id for f in await store.search("sanctions relief", None)],
                    await briefing.who(store, asking(GUILD), "kim"),
                    [m.id for m in await store.meetings(OTHER)],
                    await store.digests(),
                    await store.feeds(GUILD),
                    await store.audit_log(GUILD),
                    await store.history("fact", 1, None),
                    await store.suggest_names("kim jon"),
                )
            )
        finally:
            await store.close()
    assert answers[0][0], "the search finds the servers' facts"
    assert answers[1] == answers[0]


async def added_to(where: Path | str) -> tuple[int, int]:
    """The ids of a feed and a fact added to the store at `where`."""
    store = await Store.open(where)
    try:
        feed = await store.add_feed("https://e.org/new.rss", "", GUILD + 1, 3600, change(GUILD))
        fact = await moderation.add_fact(
            store,
            change(GUILD),
            subject="Kim Jong Un",
            statement="One more.",
            kind="reported",
            source=max(s.id for s in await store.sources(GUILD)),
            quote=QUOTE,
        )
    finally:
        await store.close()
    return feed, fact


async def test_new_rows_in_the_copy_do_not_reuse_ids(filled: Path, tmp_path: Path) -> None:
    """The removed feed's id was handed out; the copy's next feed comes after it."""
    await copied(filled, tmp_path / "to.sqlite3")
    before = await snapshot_of(filled)
    feed, fact = await added_to(tmp_path / "to.sqlite3")
    assert feed == before.sequences["feeds"] + 1
    assert feed > max(row[0] for row in before.table("feeds").rows) + 1
    assert fact == before.sequences["facts"] + 1


async def test_copying_back_gives_the_same_store(filled: Path, tmp_path: Path) -> None:
    await copied(filled, tmp_path / "b.sqlite3")
    await copied(tmp_path / "b.sqlite3", tmp_path / "c.sqlite3")
    before, after = await snapshot_of(filled), await snapshot_of(tmp_path / "c.sqlite3")
    assert transfer.fingerprint(after) == transfer.fingerprint(before)


async def test_replace_drops_what_the_target_held(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "to.sqlite3"
    store = await Store.open(target)
    try:
        await store.set_meta("left over", "x")
        await store.set_mod_role(999, 1, change(999))
    finally:
        await store.close()
    await copied(filled, target, replace=True)
    after = await snapshot_of(target)
    assert transfer.fingerprint(after) == transfer.fingerprint(await snapshot_of(filled))


async def test_every_table_of_the_schema_is_copied_or_rebuilt(tmp_path: Path) -> None:
    """A migration that adds a table must add it to transfer.TABLES, or copy-store
    refuses (rather than leave the table behind)."""
    await (await Store.open(tmp_path / "s.sqlite3")).close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
    assert transfer.unknown_tables([n for n in names if not n.startswith("sqlite_")]) == []
    assert transfer.unknown_tables(["facts", "bookmarks"]) == ["bookmarks"]


async def test_a_table_copy_store_does_not_know_stops_it(filled: Path, tmp_path: Path) -> None:
    with sqlite3.connect(filled) as conn:
        conn.execute("CREATE TABLE bookmarks (id INTEGER PRIMARY KEY)")
    with pytest.raises(Exception, match="unknown table bookmarks"):
        await copied(filled, tmp_path / "to.sqlite3")


# --- refusals, as a real process --------------------------------------------------------


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    return subprocess.run(
        [sys.executable, "-m", "bot", "copy-store", *args],
        cwd=ROOT,
        env=base | {"PYTHONIOENCODING": "utf-8", **(env or {})},
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )


def refusal(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, (result.stdout, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_the_command_copies_and_prints_its_proof(filled: Path, tmp_path: Path) -> None:
    result = run(str(filled), str(tmp_path / "to.sqlite3"))
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert "proof: every table reads back the same (18 tables" in result.stdout
    assert "proof: the exports are identical (shared rows and 2 server(s)" in result.stdout


def test_a_target_with_data_is_refused_and_left_alone(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "to.sqlite3"
    assert run(str(filled), str(target)).returncode == 0
    with sqlite3.connect(target) as conn:
        conn.execute("DELETE FROM facts_fts")  # what a second copy would have rebuilt
    line = refusal(run(str(filled), str(target)))
    assert line.startswith("error: the target already holds data"), line
    assert "--replace" in line
    with sqlite3.connect(target) as conn:
        assert conn.execute("SELECT count(*) FROM facts_fts").fetchone() == (0,)


def test_schema_versions_that_differ_are_refused(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "to.sqlite3"
    with sqlite3.connect(filled) as conn:
        latest = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute(f"PRAGMA user_version = {latest + 1}")  # made by a newer bot
    line = refusal(run(str(filled), str(target)))
    assert line == (
        f"error: the schema versions differ (source {latest + 1}, target {latest}); "
        "copy with the bot version that made the newer one"
    )


@pytest.mark.parametrize("case", ["missing", "not a database", "same", "folder"])
def test_a_side_that_cannot_be_opened_is_refused(filled: Path, tmp_path: Path, case: str) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_text("not a database at all " * 100)
    source, target = {
        "missing": (tmp_path / "nothing.sqlite3", tmp_path / "to.sqlite3"),
        "not a database": (junk, tmp_path / "to.sqlite3"),
        "same": (filled, filled),
        "folder": (filled, tmp_path),
    }[case]
    line = refusal(run(str(source), str(target)))
    assert line.startswith(("error: cannot open the", "error: the source and the target")), line
    assert not (tmp_path / "to.sqlite3").exists() or case == "not a database"


@pytest.mark.parametrize("side", ["source", "target"])
def test_a_url_is_never_printed_with_its_password(filled: Path, side: str) -> None:
    """Nothing listens on port 1: the refusal names the database, never the password."""
    url = "postgresql://briefing:s3cret-Pass@127.0.0.1:1/briefing?password=s3cret-Pass"
    args = (url, str(filled.with_name("to.sqlite3"))) if side == "source" else (str(filled), url)
    line = refusal(run(*args))
    assert line.startswith(f"error: cannot open the {side}: "), line
    assert "s3cret" not in line and "127.0.0.1:1" in line, line


def test_malformed_urls_on_both_sides_are_refused_in_one_line() -> None:
    """Comparing two URLs the driver cannot read (an IPv6 host left open) is no
    traceback: the source is refused for its URL, without its password."""
    url = "postgresql://briefing:s3cret-Pass@[::1/briefing"
    line = refusal(run(url, url.replace("briefing", "other")))
    assert line.startswith("error: cannot open the source: "), line
    assert "host and port" in line and "s3cret" not in line, line


# --- a copy killed half way ---------------------------------------------------------------

# Runs the command with the full-text rebuild (the last step inside the transaction, after
# every row is written) held: it says so, then waits to be killed.
KILLED_MID_COPY = """
import asyncio, sys
from bot.store import index, transfer
from bot.cli import main

async def held(conn):
    print("every row written, not committed", flush=True)
    await asyncio.sleep(3600)

index.rebuild_facts = held
transfer._pg_rebuild_search = held
sys.exit(main(["copy-store", *sys.argv[1:]]))
"""


def kill_mid_copy(source: Path, target: Path | str) -> None:
    """Run the copy, and SIGKILL it once every row is written but not committed."""
    process = subprocess.Popen(
        [sys.executable, "-c", KILLED_MID_COPY, str(source), str(target)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if "every row written" in line or not line:
                break
        assert "every row written" in line, "the copy never reached its last step"
        os.kill(process.pid, signal.SIGKILL)
    finally:
        process.kill()
        process.wait()


def test_a_copy_killed_half_way_leaves_the_target_empty(filled: Path, tmp_path: Path) -> None:
    target = tmp_path / "to.sqlite3"
    kill_mid_copy(filled, target)
    assert Path(f"{target}-wal").stat().st_size > 0, "the rows were in the log when killed"
    with sqlite3.connect(target) as conn:
        for name in transfer.TABLES:
            assert conn.execute(f"SELECT count(*) FROM {name}").fetchone() == (0,), name
    result = run(str(filled), str(target))  # and the copy can simply be run again
    assert result.returncode == 0, result.stderr


async def test_the_source_is_read_in_one_moment(filled: Path) -> None:
    """A bot writing to the source during a copy cannot split it: the snapshot is one
    read transaction (a write committed in the middle is not half in it)."""
    store = await Store.open(filled)
    try:
        original = store._sqlite()._read.execute_fetchall
        calls = 0

        async def and_a_write(sql: str, *args: object):  # type: ignore[no-untyped-def]
            nonlocal calls
            calls += 1
            if calls == 5:  # after some tables were read, before others
                writer = sqlite3.connect(filled, timeout=5)
                writer.execute("INSERT INTO meta(key, value) VALUES ('late', 'x')")
                writer.execute("UPDATE facts SET statement = 'changed' WHERE id = 1")
                writer.commit()
                writer.close()
            return await original(sql, *args)

        store._sqlite()._read.execute_fetchall = and_a_write  # type: ignore[method-assign]
        snapshot = await transfer.read_snapshot(store)
    finally:
        await store.close()
    assert calls > 5
    assert ("late", "x") not in snapshot.table("meta").rows
    facts = snapshot.table("facts")
    statement = facts.columns.index("statement")
    assert facts.rows[0][statement] != "changed"


# --- across engines: SQLite -> PostgreSQL -> SQLite --------------------------------------


async def snapshot_at(where: str) -> transfer.Snapshot:
    store = await Store.open(where)
    try:
        return await transfer.read_snapshot(store)
    finally:
        await store.close()


async def test_sqlite_to_postgresql_and_back_gives_the_same_store(
    filled: Path, tmp_path: Path, pg_url: str
) -> None:
    there = await copied(filled, pg_url)
    back = await copied(pg_url, tmp_path / "back.sqlite3")
    for said in (there, back):
        assert any(line.startswith("proof: every table reads back the same") for line in said)
        assert any("exports are identical (shared rows and 2 server(s)" in line for line in said)
    source, on_pg = await snapshot_of(filled), await snapshot_at(pg_url)
    returned = await snapshot_of(tmp_path / "back.sqlite3")
    assert transfer.fingerprint(on_pg) == transfer.fingerprint(source)
    assert transfer.fingerprint(returned) == transfer.fingerprint(source)
    assert on_pg.sequences == source.sequences == returned.sequences
    aliases = source.table("aliases")
    assert on_pg.table("aliases").rows == aliases.rows  # in SQLite's order, for suggestions
    assert returned.table("aliases").rows == aliases.rows


async def test_on_postgresql_the_copy_answers_as_the_source_did(filled: Path, pg_url: str) -> None:
    from bot import briefing

    await copied(filled, pg_url)
    answers = []
    for where in (str(filled), pg_url):
        store = await Store.open(where)
        try:
            answers.append(
                (
                    await briefing.who(store, asking(GUILD), "kim"),
                    [f.id for f in await store.search("talks", GUILD)],
                    [m.id for m in await store.meetings(OTHER)],
                    await store.digests(),
                    await store.feeds(GUILD),
                    await store.audit_log(GUILD),
                    await store.suggest_names("kim jon"),
                    await reviews.load_queue(store, str(_queue_id(await snapshot_at(where)))),
                )
            )
        finally:
            await store.close()
    assert answers[0][1] and answers[0][-1] is not None
    assert answers[1] == answers[0]


def _queue_id(snapshot: transfer.Snapshot) -> object:
    queues = snapshot.table("review_queues")
    return queues.rows[0][queues.columns.index("id")]


async def test_new_rows_on_postgresql_do_not_reuse_ids(filled: Path, pg_url: str) -> None:
    await copied(filled, pg_url)
    before = await snapshot_of(filled)
    feed, fact = await added_to(pg_url)
    assert feed == before.sequences["feeds"] + 1  # past the removed feed's id
    assert fact == before.sequences["facts"] + 1


async def test_a_postgresql_target_with_data_is_refused_unless_replaced(
    filled: Path, pg_url: str
) -> None:
    await copied(filled, pg_url)
    with pytest.raises(StoreUnusable, match="already holds data"):
        await copied(filled, pg_url)
    store = await Store.open(pg_url)
    try:
        await store.set_meta("left over", "x")
    finally:
        await store.close()
    await copied(filled, pg_url, replace=True)
    assert transfer.fingerprint(await snapshot_at(pg_url)) == transfer.fingerprint(
        await snapshot_of(filled)
    )


def test_a_copy_into_postgresql_killed_half_way_leaves_it_empty(filled: Path, pg_url: str) -> None:
    kill_mid_copy(filled, pg_url)
    store_rows = asyncio.run(_rows_at(pg_url))
    assert store_rows == dict.fromkeys(transfer.TABLES, 0)
    result = run(str(filled), pg_url)  # and the copy can simply be run again
    assert result.returncode == 0, result.stderr


async def _rows_at(where: str) -> dict[str, int]:
    store = await Store.open(where)
    try:
        return {
            name: int((await store._all(f"SELECT count(*) FROM {name}"))[0][0])
            for name in transfer.TABLES
        }
    finally:
        await store.close()


def test_the_command_moves_a_store_to_postgresql_without_printing_its_password(
    filled: Path, pg_url: str
) -> None:
    """The test cluster trusts every local connection, so a password in the URL is
    accepted (and ignored): it must appear nowhere in what the command prints."""
    with_password = pg_url.replace("briefing@", "briefing:s3cret-Pass@")
    result = run(str(filled), with_password)
    assert result.returncode == 0, result.stderr
    assert "s3cret" not in result.stdout + result.stderr
    assert "proof: the exports are identical (shared rows and 2 server(s)" in result.stdout
    assert "(PostgreSQL)" in result.stdout.splitlines()[0]


async def test_postgresql_to_another_postgresql_database(
    filled: Path, pg_url: str, pg_cluster: pgcluster.Cluster
) -> None:
    """Moving a store to another database server works the same way."""
    other = pg_cluster.url(pgcluster.create_database(pg_cluster))
    try:
        await copied(filled, pg_url)
        said = await copied(pg_url, other)
        assert any("exports are identical (shared rows and 2 server(s)" in line for line in said)
        source, moved = await snapshot_of(filled), await snapshot_at(other)
        assert transfer.fingerprint(moved) == transfer.fingerprint(source)
        assert moved.sequences == source.sequences
    finally:
        pgcluster.drop_database(pg_cluster, other.rsplit("/", 1)[1])
