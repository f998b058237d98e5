"""Real answers, as Discord receives them: the bot (every cog, the real store built from
data/) runs against the loopback fake Discord, members type commands, and what the bot
posted is collected: embeds, buttons and menus, and the bytes of attached files.

Nothing here is faked beyond Discord itself: the answers are the bot's own.
"""

from __future__ import annotations

import asyncio
import tempfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import discord

from bot.config import Config
from bot.core import BriefingBot
from tests.fakediscord import FakeDiscord, pointed_at, run_client, stop_client

MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
ARTICLE = (
    "Beijing will host a new round of consultations in Kaesong, officials said on Monday.\n"
    "The first session is set for {day} at 10:00 Seoul time, in Panmunjom."
)


@dataclass
class Shot:
    """One bot message as a member sees it, and the command that asked for it."""

    name: str  # file name stem: who, sanctions, timeline, digest
    asked: str  # what the member typed ("" for a scheduled post)
    asker: str
    message: dict  # the message as the fake Discord stored it
    files: dict[str, bytes] = field(default_factory=dict)  # attachment filename -> bytes


@dataclass
class Server:
    fake: FakeDiscord
    guild: int
    channel: int
    member: int
    mod: int


async def _ask(server: Server, text: str, user: int, channel: int = 0) -> dict:
    target = channel or server.channel
    await server.fake.send_message(target, user, text)
    return await server.fake.wait_for_message(target, timeout=20)


def _files(fake: FakeDiscord, message: dict) -> dict[str, bytes]:
    return {a["filename"]: fake.attachments[int(a["id"])] for a in message["attachments"]}


def _shot(server: Server, name: str, asked: str, asker: str, message: dict) -> Shot:
    return Shot(name, asked, asker, message["message"], _files(server.fake, message))


async def _upcoming_meeting(server: Server, now: datetime) -> str:
    """A moderator adds a source and a meeting two days ahead, as members would see in
    a digest; all through the bot's own commands. Returns the source's id."""
    day = now + timedelta(days=2)
    article = ARTICLE.format(day=f"{day:%B} {day.day}")
    await server.fake.send_message(
        server.channel,
        server.mod,
        f"!source add title: Kaesong talks published: {now:%Y-%m-%d}",
        attachments={"article.txt": article.encode()},
    )
    reply = await server.fake.wait_for_message(server.channel, timeout=20)
    source = "".join(ch for ch in str(reply["embeds"][0].get("title", "")) if ch.isdigit())
    await _ask(
        server,
        f"!meeting add title: Kaesong consultations when: {day:%Y-%m-%d} 10:00 Asia/Seoul "
        f"where: Panmunjom participants: Kim Jong Un, Chinese envoy source: {source} "
        f"quote: The first session is set for {day:%B} {day.day} at 10:00 Seoul time",
        server.mod,
    )
    return source


# What the moderator adds from the new article: each statement with its verbatim quote.
FACTS = (
    ("reported", "China will host a new round of consultations in Kaesong.", "Beijing will host"),
    ("reported", "Officials announced the consultations on Monday.", "officials said on Monday"),
    ("reported", "The first session is to be held in Panmunjom.", "in Panmunjom"),
    ("reported", "The first session is set for 10:00 Seoul time.", "at 10:00 Seoul time"),
    ("attributed", "The consultations are a new round of talks.", "a new round of consultations"),
)


async def _changes(server: Server, source: str) -> None:
    """The facts a moderator adds from the new source, through `fact add`."""
    for kind, statement, quote in FACTS:
        held = " attributed_to: officials" if kind == "attributed" else ""
        await _ask(
            server,
            f"!fact add subject: China statement: {statement} kind: {kind} "
            f"source: {source} quote: {quote}{held}",
            server.mod,
        )


async def _digest(server: Server, bot: BriefingBot, now: datetime) -> tuple[dict, dict]:
    """The digest a moderator's changes make, and what its Show all button shows a
    member who presses it."""
    digests = server.fake.add_channel(server.guild, name="digests")
    for _ in range(500):  # the bot learns of the channel from the gateway
        if bot.get_channel(digests) is not None:
            break
        await asyncio.sleep(0.01)
    await _ask(server, f"!digest set <#{digests}> 9am Asia/Seoul", server.mod)
    await _changes(server, await _upcoming_meeting(server, now))
    await _ask(server, "!digest now", server.mod)
    posted = await server.fake.wait_for_message(digests, timeout=20)
    message = posted["message"]
    show_all = next(
        c["custom_id"]
        for row in message.get("components") or []
        for c in row["components"]
        if c.get("custom_id", "").startswith("digest:")
    )
    click = await server.fake.click_button(digests, server.member, int(message["id"]), show_all)
    return posted, await server.fake.wait_for_interaction_response(click, timeout=20)


async def collect(now: datetime | None = None) -> list[Shot]:
    """Start the fake and the bot, ask, and return the shots (who, sanctions, timeline,
    digest). `now`: the bot's clock (default: the real time)."""
    fake = FakeDiscord(heartbeat_interval_ms=5000)
    await fake.start()
    try:
        return await _collect(fake, now)
    finally:
        await fake.stop()


async def _collect(fake: FakeDiscord, now: datetime | None) -> list[Shot]:
    guild = fake.add_guild(name="Peninsula Watch")
    channel = fake.add_channel(guild, name="briefing")
    mods = fake.add_role(guild, "Mods", permissions=MANAGE_MESSAGES)
    member = fake.add_member(guild, "alice")
    server = Server(fake, guild, channel, member, fake.add_member(guild, "mod", roles=[mods]))
    with tempfile.TemporaryDirectory() as folder, pointed_at(fake):
        config = Config(token="fake-token", api_base=fake.api_base, db_path=Path(folder) / "s.db")
        bot = BriefingBot(config, clock=(lambda: now) if now else discord.utils.utcnow)
        task = await run_client(fake, bot)
        try:
            shots = []
            for name, asked in (("who", "!who kim"), ("sanctions", "!sanctions")):
                shots.append(
                    _shot(server, name, asked, "alice", await _ask(server, asked, server.member))
                )
            timeline = await _ask(server, "!timeline", server.member)
            shots.append(_shot(server, "timeline", "!timeline", "alice", timeline))
            digest, everything = await _digest(server, bot, bot.clock())
            shots.append(_shot(server, "digest", "", "", digest))
            shots.append(Shot("digest-all", "", "", everything))
            return shots
        finally:
            await stop_client(bot, task)
