"""A running BriefingBot connected to the loopback fake Discord, with two servers.

Server A has a plain member (alice), a moderator by role (mod, role "Mods" with Manage
Messages) and a second member (dave); server B has its own member (bob) and moderator
(bmod). The application owner (a curator) is a member of A. The bot's clock is a
`MutableClock` that tests move instead of sleeping.
"""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import discord
import pytest

from bot.config import Config
from bot.core import BriefingBot
from tests.conftest import FIXED_NOW
from tests.fakediscord import FakeDiscord, pointed_at, run_client, settle, stop_client

MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value


@dataclass
class MutableClock:
    now: datetime = FIXED_NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class World:
    fake: FakeDiscord
    bot: BriefingBot
    clock: MutableClock
    db_path: Path
    guild: int
    channel: int
    alice: int
    dave: int
    mod: int
    mod_role: int
    guild_b: int
    channel_b: int
    bob: int
    bmod: int
    owner: int
    extra: dict = field(default_factory=dict)

    async def ask(
        self, content: str, *, user: int | None = None, channel: int | None = None
    ) -> dict:
        """Send a prefix command and return the bot's next message in that channel."""
        target = channel or self.channel
        await self.fake.send_message(target, user or self.alice, content)
        return await self.fake.wait_for_message(target, timeout=10)

    async def slash(
        self,
        command: str,
        options: dict | None = None,
        *,
        user: int | None = None,
        channel: int | None = None,
    ) -> dict:
        """Invoke a slash command and return its visible answer."""
        inter = await self.fake.invoke_slash(
            channel or self.channel, user or self.alice, command, options or {}
        )
        return await self.fake.wait_for_interaction_response(inter, timeout=10)

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until the bot runs no handler and the fake answers no request, so a test
        may assert that nothing more came (see tests.fakediscord.settle)."""
        await settle(self.fake, timeout)

    async def restart(self) -> None:
        """Stop the bot and start a new process-equivalent on the same store file."""
        await stop_client(self.bot, self.extra.pop("task", None))
        self.bot = make_bot(self.fake, self.db_path, self.clock)
        self.extra["task"] = await run_client(self.fake, self.bot)


ROOT = Path(__file__).resolve().parents[2]


async def start_bot_process(
    fake: FakeDiscord,
    db: Path,
    log: Path,
    token: str,
    *,
    wrapper: tuple[str, ...] = (),
    log_level: str = "INFO",
    extra_env: dict[str, str] | None = None,
) -> asyncio.subprocess.Process:
    """The README's run command as a real process, pointed at the fake by
    DISCORD_API_BASE. Its log goes to a file, not a pipe: a pipe nobody reads yet would
    fill and stall the bot. ``wrapper``: a command that execs the rest (e.g. setpriv);
    ``extra_env``: more variables (e.g. BRIEFING_FETCH_ALLOW)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    env |= {
        "DISCORD_TOKEN": token,
        "DISCORD_API_BASE": fake.api_base,
        "BRIEFING_DB": str(db),
        "BRIEFING_LOG_LEVEL": log_level,
    } | (extra_env or {})
    return await asyncio.create_subprocess_exec(
        *wrapper,
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


async def settled_messages(world: World, channel: int) -> list[dict]:
    """Every bot message and edit in `channel`, once nothing is in flight (see settle)."""
    await world.settle()
    return world.fake.messages(channel)


def make_bot(fake: FakeDiscord, db_path: Path, clock: MutableClock) -> BriefingBot:
    config = Config(token="fake-token", api_base=fake.api_base, db_path=db_path)
    return BriefingBot(config, clock=clock)


def embed_text(message: dict) -> str:
    """Everything a reader sees in a bot message: content, titles, fields, footers."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts += [embed.get("title", ""), embed.get("description", "")]
        for embed_field in embed.get("fields", []):
            parts += [embed_field["name"], embed_field["value"]]
        parts.append((embed.get("footer") or {}).get("text", ""))
    return "\n".join(part for part in parts if part)


def cited_facts(message: dict) -> set[int]:
    """The facts a one-page answer cites, as its Quotes button names them."""
    ids = [i for i in button_ids(message) if i.startswith("quotes:")]
    items = ids[0].removeprefix("quotes:").split(",") if ids else []
    return {int(item[1:]) for item in items if item.startswith("f")}


async def open_folded(world: World, message: dict, key: str, user: int | None = None) -> str:
    """Pick `key` ("quotes", "views"…) in a summary's menu; the private answer's text."""
    menu = next(
        c
        for row in message.get("components") or []
        for c in row.get("components", [])
        if c["type"] == 3
    )
    pick = await world.fake.select_menu(
        int(message["channel_id"]), user or world.alice, message["id"], menu["custom_id"], [key]
    )
    return embed_text(await world.fake.wait_for_interaction_response(pick, timeout=10))


def bullets(text: str) -> int:
    """How many answer lines (bullets) a message's text shows."""
    return sum(line.startswith("• ") for line in text.splitlines())


def button_ids(message: dict) -> list[str]:
    return [
        component["custom_id"]
        for row in message.get("components") or []
        for component in row.get("components", [])
        if "custom_id" in component
    ]


@pytest.fixture
async def world(tmp_path: Path) -> AsyncIterator[World]:
    fake = FakeDiscord(heartbeat_interval_ms=5000)
    await fake.start()
    guild = fake.add_guild(name="Alpha")
    channel = fake.add_channel(guild, name="briefing")
    mod_role = fake.add_role(guild, "Mods", permissions=MANAGE_MESSAGES)
    guild_b = fake.add_guild(name="Beta")
    channel_b = fake.add_channel(guild_b, name="news")
    b_role = fake.add_role(guild_b, "Mods", permissions=MANAGE_MESSAGES)
    world_ = World(
        fake=fake,
        bot=None,
        clock=MutableClock(),
        db_path=tmp_path / "store.sqlite3",  # type: ignore[arg-type]
        guild=guild,
        channel=channel,
        alice=fake.add_member(guild, "alice"),
        dave=fake.add_member(guild, "dave"),
        mod=fake.add_member(guild, "mod", roles=[mod_role]),
        mod_role=mod_role,
        guild_b=guild_b,
        channel_b=channel_b,
        bob=fake.add_member(guild_b, "bob"),
        bmod=fake.add_member(guild_b, "bmod", roles=[b_role]),
        owner=fake.add_member(guild, user_id=fake.owner_id),
    )
    with pointed_at(fake):
        world_.bot = make_bot(fake, world_.db_path, world_.clock)
        world_.extra["task"] = await run_client(fake, world_.bot)
        try:
            yield world_
        finally:
            await stop_client(world_.bot, world_.extra.pop("task", None))
            await fake.stop()
