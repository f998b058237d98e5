"""Two bot processes, each running two of four shards, on one store (a SQLite file, and
a PostgreSQL database), eight servers spread over the shards: every command answered
once by the process that runs its server's shard; a shared fact added through one
process is in the other's answers within a second; each server's digest posted exactly
once although one process is killed (SIGKILL) in the middle of delivering and started
again."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.build import build
from bot.models import Change
from bot.store import Store
from tests.e2e.conftest import embed_text
from tests.fakediscord import FakeDiscord
from tests.faults.conftest import TOKEN, stop_process, wait_until

ROOT = Path(__file__).resolve().parents[2]
SHARDS = 4
PROCESSES = {"A": "0-1", "B": "2-3"}
MESSAGES = r"^/channels/{}/messages$"


@dataclass
class Server:
    shard: int
    guild: int
    channel: int
    digests: int
    members: list[int]

    @property
    def process(self) -> str:
        return "A" if self.shard < 2 else "B"


def servers(fake: FakeDiscord) -> list[Server]:
    made = []
    for shard in range(SHARDS):
        for n in range(2):
            guild = fake.add_guild(f"S{shard}.{n}", guild_id=fake.guild_id_on_shard(shard, SHARDS))
            members = [fake.add_member(guild, f"m{shard}{n}{k}") for k in range(16)]
            made.append(
                Server(shard, guild, fake.add_channel(guild), fake.add_channel(guild), members)
            )
    return made


def noon_zone(now: datetime) -> str:
    """A fixed-offset zone where it is about noon now, so "due a minute ago" is today."""
    hours = (12 - now.hour) % 24
    hours = hours - 24 if hours > 12 else hours
    return f"Etc/GMT{-hours:+d}"  # Etc/GMT-9 is UTC+9


async def prepare(db: Path | str, all_servers: list[Server]) -> None:
    """The store as a running bot leaves it: built, and every server's digest set for a
    minute ago (set ten minutes ago), so each is due as the processes start."""
    now = datetime.now(UTC)
    zone = noon_zone(now)
    local = (now - timedelta(minutes=1)).astimezone(_zone(zone)).time().replace(microsecond=0)
    store = await Store.open(db)
    try:
        await build(store)
        for server in all_servers:
            change = Change(actor_id=1, guild_id=server.guild, at=now - timedelta(minutes=10))
            await store.set_digest(server.guild, server.digests, local, zone, change)
    finally:
        await store.close()


def _zone(name: str):
    from zoneinfo import ZoneInfo

    return ZoneInfo(name)


async def start(fake: FakeDiscord, db: Path | str, tmp_path: Path, name: str):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    env |= {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": fake.api_base,
        "BRIEFING_DB": str(db),
        "BRIEFING_SHARD_COUNT": str(SHARDS),
        "BRIEFING_SHARD_IDS": PROCESSES[name],
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=(tmp_path / f"{name}.log").open("ab"),
    )


def log_of(tmp_path: Path, name: str) -> str:
    path = tmp_path / f"{name}.log"
    return path.read_text(errors="replace") if path.exists() else ""


async def connected(tmp_path: Path, name: str, times: int = 1) -> None:
    await wait_until(
        lambda: log_of(tmp_path, name).count("connected as") >= times,
        40,
        f"process {name} to be connected",
        0.05,
    )


def posts_to(fake: FakeDiscord, channel: int) -> int:
    return len(fake.calls_to("POST", MESSAGES.format(channel)))


@pytest.fixture(params=["sqlite", "postgresql"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """The store both processes share: a SQLite file, or a fresh PostgreSQL database (in
    the tests' throwaway cluster; skipped without PostgreSQL unless it is required)."""
    if request.param == "postgresql":
        return str(request.getfixturevalue("pg_url"))
    return tmp_path / "store.sqlite3"


async def test_two_processes_four_shards_one_store(db: Path | str, tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        everything = servers(fake)
        owner_home = next(s for s in everything if s.process == "A")
        fake.add_member(owner_home.guild, user_id=fake.owner_id)
        await prepare(db, everything)
        # Process A dies mid-delivery: one digest posted but not yet acknowledged, one
        # whose post hangs before it is made. Both must end up posted once.
        mine = [s for s in everything if s.process == "A"]
        unacknowledged, hanging = mine[0], mine[1]
        fake.answer_late("POST", MESSAGES.format(unacknowledged.digests), delay=30)
        fake.fail_next("POST", MESSAGES.format(hanging.digests), status=500, delay=30)
        processes = {name: await start(fake, db, tmp_path, name) for name in PROCESSES}
        try:
            await connected(tmp_path, "A")
            await connected(tmp_path, "B")
            await commands_answered_once_by_the_right_process(fake, everything)
            await a_write_in_one_is_seen_by_the_other(fake, everything, owner_home)

            await wait_until(
                lambda: posts_to(fake, unacknowledged.digests) and posts_to(fake, hanging.digests),
                20,
                "A's two troubled digests to be on their way",
                0.05,
            )
            assert fake.messages(unacknowledged.digests, ops=("create",))  # it got out
            processes["A"].send_signal(signal.SIGKILL)
            await processes["A"].wait()
            processes["A"] = await start(fake, db, tmp_path, "A")
            await connected(tmp_path, "A", times=2)

            def all_posted() -> bool:
                return all(complete(fake, server) for server in everything)

            await wait_until(all_posted, 30, "every server's digest", 0.05)
            await asyncio.sleep(1.5)  # time for a second copy, were one coming
        finally:
            for process in processes.values():
                if process.returncode is None:
                    process.send_signal(signal.SIGTERM)
            for process in processes.values():
                try:
                    await asyncio.wait_for(process.wait(), 15)
                finally:
                    await stop_process(process)
        pages = {server.guild: one_whole_digest(fake, server) for server in everything}
        # The unacknowledged page was found after the restart, not sent again; the hung
        # try got nothing out, so every page was posted after it.
        assert posts_to(fake, unacknowledged.digests) == pages[unacknowledged.guild]
        assert posts_to(fake, hanging.digests) == pages[hanging.guild] + 1
        restarted = log_of(tmp_path, "A").split("connected as")[-1]
        assert "were already posted" in restarted
        for log in (log_of(tmp_path, "B"), restarted):
            assert "ERROR" not in log and "Traceback" not in log, log[-3000:]


def page_of(message: dict) -> tuple[int, int]:
    found = re.search(r"Page (\d+)/(\d+)", message["embeds"][0]["footer"]["text"])
    return (int(found.group(1)), int(found.group(2))) if found else (1, 1)


def complete(fake: FakeDiscord, server: Server) -> bool:
    created = fake.messages(server.digests, ops=("create",))
    return bool(created) and len(created) >= page_of(created[0])[1]


def one_whole_digest(fake: FakeDiscord, server: Server) -> int:
    """Exactly one digest in the server's channel, each of its pages once; its pages."""
    created = fake.messages(server.digests, ops=("create",))
    refs = {re.search(r"ref ([0-9a-f]+)", embed_text(m)).group(1) for m in created}  # type: ignore[union-attr]
    assert len(refs) == 1, (server.shard, refs)
    pages = sorted(page_of(m) for m in created)
    total = pages[0][1]
    assert pages == [(n, total) for n in range(1, total + 1)], (server.shard, pages)
    assert "Daily briefing" in embed_text(created[0])
    return total


async def commands_answered_once_by_the_right_process(
    fake: FakeDiscord, everything: list[Server]
) -> None:
    for server in everything:
        await fake.send_message(server.channel, server.members[0], "!about")
        inter = await fake.invoke_slash(server.channel, server.members[1], "about")
        # The slash answer first: it is claimed by its interaction, so the next unclaimed
        # message is the prefix answer, whichever of the two the bot sent first (the
        # other way round, a slash answer sent first was taken for the prefix answer, and
        # the prefix answer for the next command's).
        for answer in (
            await fake.wait_for_interaction_response(inter, timeout=15),
            await fake.wait_for_message(server.channel, timeout=15),
        ):
            runs = "shards 0, 1 of 4" if server.process == "A" else "shards 2, 3 of 4"
            assert f"This process runs {runs}" in embed_text(answer), server.shard
    await asyncio.sleep(1.0)  # a second answer, were one coming
    for server in everything:
        answers = fake.messages(server.channel, ops=("create",))
        assert len(answers) == 2, (server.shard, len(answers))  # the prefix and slash answers


async def a_write_in_one_is_seen_by_the_other(
    fake: FakeDiscord, everything: list[Server], owner_home: Server
) -> None:
    elsewhere = next(s for s in everything if s.process == "B")
    asker = iter(elsewhere.members[2:])

    async def search_b() -> str:
        await fake.send_message(elsewhere.channel, next(asker), "!search shared note")
        return embed_text(await fake.wait_for_message(elsewhere.channel, timeout=15))

    assert "shared note from process A" not in await search_b()
    await fake.send_message(
        owner_home.channel,
        fake.owner_id,
        "!fact add subject: North Korea statement: A shared note from process A. "
        "kind: opinion source: 1 quote: signals a bit of desperation scope: global",
    )
    added = embed_text(await fake.wait_for_message(owner_home.channel, timeout=15))
    assert re.search(r"Added fact \d+", added), added
    written = time.monotonic()
    while "shared note from process A" not in (seen := await search_b()):
        assert time.monotonic() - written < 1.5, f"B did not see A's write in time: {seen}"
        await asyncio.sleep(0.2)
