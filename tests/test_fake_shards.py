"""The fake Discord's sharding and Message Content intent, through raw gateway sockets:
/gateway/bot recommends a shard count, each shard's session gets only its servers'
GUILD_CREATEs and events, and a session without MESSAGE_CONTENT gets message text only
when the bot is mentioned, wrote it, or it is a DM."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp

from tests.fakediscord import FakeDiscord
from tests.fakediscord import payloads as p

BASIC = p.INTENT_GUILDS | p.INTENT_GUILD_MESSAGES | p.INTENT_DIRECT_MESSAGES
FULL = BASIC | p.INTENT_MESSAGE_CONTENT


@dataclass
class Shard:
    ws: aiohttp.ClientWebSocketResponse
    events: list[tuple[str, dict]] = field(default_factory=list)

    async def read_until(self, event: str, timeout: float = 5.0) -> dict:
        async with asyncio.timeout(timeout):
            while True:
                frame = json.loads((await self.ws.receive()).data)
                if frame["op"] == 0:
                    self.events.append((frame["t"], frame["d"]))
                    if frame["t"] == event:
                        return frame["d"]

    def guilds_created(self) -> set[int]:
        return {int(d["id"]) for t, d in self.events if t == "GUILD_CREATE"}

    def messages(self) -> list[dict]:
        return [d for t, d in self.events if t == "MESSAGE_CREATE"]


@asynccontextmanager
async def shard(
    fake: FakeDiscord, shard: tuple[int, int] | None, intents: int = FULL
) -> AsyncIterator[Shard]:
    async with aiohttp.ClientSession() as http, http.ws_connect(fake.gateway_url) as ws:
        hello = json.loads((await ws.receive()).data)
        assert hello["op"] == 10
        identify: dict = {"token": "t", "intents": intents, "properties": {}}
        if shard is not None:
            identify["shard"] = list(shard)
        await ws.send_str(json.dumps({"op": 2, "d": identify}))
        connection = Shard(ws)
        await connection.read_until("READY")
        yield connection


async def settle(*shards: Shard, marker_channel: dict[int, int], fake: FakeDiscord) -> None:
    """Post a marker in every shard's own channel and read up to it, so every event sent
    before it has been received (frames are in order on each socket)."""
    for index, connection in enumerate(shards):
        channel = marker_channel[index]
        await fake.send_message(channel, fake.owner_id, f"marker {index}")
        while not any(m["content"] == f"marker {index}" for m in connection.messages()):
            await connection.read_until("MESSAGE_CREATE")


async def test_gateway_bot_recommends_the_configured_shard_count() -> None:
    async with (
        FakeDiscord(shards=4) as fake,
        aiohttp.ClientSession() as http,
        http.get(f"{fake.api_base}/gateway/bot") as response,
    ):
        assert (await response.json())["shards"] == 4


async def test_each_shard_gets_only_its_servers_guild_creates_and_events() -> None:
    async with FakeDiscord() as fake:
        guilds = {n: fake.add_guild(f"G{n}", guild_id=fake.guild_id_on_shard(n, 2)) for n in (0, 1)}
        channels = {n: fake.add_channel(guilds[n]) for n in (0, 1)}
        member = fake.add_member(guilds[1], "bea")
        async with shard(fake, (0, 2)) as zero, shard(fake, (1, 2)) as one:
            await zero.read_until("GUILD_CREATE")
            await one.read_until("GUILD_CREATE")
            assert fake.identify_payloads[0]["shard"] == [0, 2]
            assert fake.identify_payloads[1]["shard"] == [1, 2]
            await fake.send_message(channels[1], member, "hello from shard one")
            await settle(zero, one, marker_channel=channels, fake=fake)
            assert zero.guilds_created() == {guilds[0]}
            assert one.guilds_created() == {guilds[1]}
            assert [m["content"] for m in zero.messages()] == ["marker 0"]
            assert [m["content"] for m in one.messages()] == ["hello from shard one", "marker 1"]


async def test_dms_go_to_shard_zero_only() -> None:
    async with FakeDiscord() as fake:
        guilds = {n: fake.add_guild(f"G{n}", guild_id=fake.guild_id_on_shard(n, 2)) for n in (0, 1)}
        channels = {n: fake.add_channel(guilds[n]) for n in (0, 1)}
        async with shard(fake, (0, 2)) as zero, shard(fake, (1, 2)) as one:
            await fake.send_message(fake.dm_channel(fake.owner_id), fake.owner_id, "a DM")
            await settle(zero, one, marker_channel=channels, fake=fake)
            assert "a DM" in [m["content"] for m in zero.messages()]
            assert "a DM" not in [m["content"] for m in one.messages()]


async def test_an_unsharded_session_gets_every_server() -> None:
    async with FakeDiscord() as fake:
        made = {fake.add_guild(f"G{n}", guild_id=fake.guild_id_on_shard(n, 3)) for n in range(3)}
        async with shard(fake, None) as everything:
            for _ in made:
                await everything.read_until("GUILD_CREATE")
            assert everything.guilds_created() == made


async def test_without_message_content_only_mentions_dms_and_own_messages_carry_text() -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("G")
        channel = fake.add_channel(guild)
        member = fake.add_member(guild, "ann")
        async with shard(fake, None, BASIC) as plain, shard(fake, None, FULL) as privileged:
            await fake.send_message(channel, member, "!who kim", attachments={"a.txt": b"x"})
            await fake.send_message(channel, member, f"<@{fake.bot_user_id}> who kim")
            await fake.send_message(fake.dm_channel(member), member, "who kim in a DM")
            for connection in (plain, privileged):
                for _ in range(3):
                    await connection.read_until("MESSAGE_CREATE")
            blank, mentioned, dm = plain.messages()
            assert (blank["content"], blank["attachments"], blank["embeds"]) == ("", [], [])
            assert blank["author"]["id"] == str(member)  # the message itself still arrives
            assert mentioned["content"] == f"<@{fake.bot_user_id}> who kim"
            assert dm["content"] == "who kim in a DM"
            full = privileged.messages()[0]
            assert full["content"] == "!who kim" and len(full["attachments"]) == 1
