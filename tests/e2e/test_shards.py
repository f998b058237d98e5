"""The bot as an AutoShardedBot: the shards it runs, what it IDENTIFYs with, and what it
answers (only its own shards' servers), told in `about` and the log."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import pytest

from bot.config import Config
from bot.core import BriefingBot, shard_of
from tests.e2e.conftest import MutableClock, embed_text
from tests.fakediscord import FakeDiscord, pointed_at, run_client, stop_client


def sharded_world(fake: FakeDiscord, count: int) -> dict[int, tuple[int, int, int]]:
    """One server per shard: shard -> (server, channel, member)."""
    world = {}
    for shard in range(count):
        guild = fake.add_guild(f"S{shard}", guild_id=fake.guild_id_on_shard(shard, count))
        world[shard] = (guild, fake.add_channel(guild), fake.add_member(guild, f"m{shard}"))
    return world


async def start(fake: FakeDiscord, config: Config, shards: int):
    bot = BriefingBot(config, clock=MutableClock())
    task = await run_client(fake, bot, fast_reidentify=True)
    await fake.wait_identified(count=shards, timeout=20)
    await bot.wait_until_ready()
    return bot, task


async def test_a_process_runs_only_its_shards_and_says_so(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.core")
    async with FakeDiscord() as fake:
        world = sharded_world(fake, 4)
        config = Config(
            token="t",
            api_base=fake.api_base,
            db_path=tmp_path / "s.sqlite3",
            shard_count=4,
            shard_ids=(1, 3),
        )
        with pointed_at(fake):
            bot, task = await start(fake, config, 2)
            try:
                assert sorted(i["shard"] for i in fake.identify_payloads) == [[1, 4], [3, 4]]
                assert {g.id for g in bot.guilds} == {world[1][0], world[3][0]}
                for shard in (1, 3):
                    guild, channel, member = world[shard]
                    assert shard_of(guild, 4) == shard and bot.owns_guild(guild)
                    await fake.send_message(channel, member, "!about")
                    reply = await fake.wait_for_message(channel, timeout=10)
                    assert "This process runs shards 1, 3 of 4" in embed_text(reply)
                for shard in (0, 2):
                    guild, channel, member = world[shard]
                    assert not bot.owns_guild(guild)
                    await fake.send_message(channel, member, "!about")
                # The fake delivers nothing of shards 0 and 2 to this process: no answer.
                await fake.send_message(world[1][1], world[1][2], "!about")
                await fake.wait_for_message(world[1][1], timeout=10)
                assert fake.messages(world[0][1]) == [] and fake.messages(world[2][1]) == []
            finally:
                await stop_client(bot, task)
    assert "on shards 1, 3 of 4" in caplog.text


async def test_by_default_the_shard_count_is_discords_recommendation(tmp_path: Path) -> None:
    async with FakeDiscord(shards=2) as fake:
        world = sharded_world(fake, 2)
        config = Config(token="t", api_base=fake.api_base, db_path=tmp_path / "s.sqlite3")
        with pointed_at(fake):
            bot, task = await start(fake, config, 2)
            try:
                assert sorted(i["shard"] for i in fake.identify_payloads) == [[0, 2], [1, 2]]
                assert bot.shards_line() == "shards 0, 1 of 2"
                for _guild, channel, member in world.values():
                    await fake.send_message(channel, member, "!about")
                    reply = await fake.wait_for_message(channel, timeout=10)
                    assert "This process runs shards 0, 1 of 2" in embed_text(reply)
            finally:
                await stop_client(bot, task)


async def test_one_shard_is_named_in_the_singular(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        config = Config(token="t", api_base=fake.api_base, db_path=tmp_path / "s.sqlite3")
        config = replace(config, shard_count=1)
        with pointed_at(fake):
            bot, task = await start(fake, config, 1)
            try:
                assert fake.identify_payloads[0]["shard"] == [0, 1]
                assert bot.shards_line() == "shard 0 of 1"
            finally:
                await stop_client(bot, task)
