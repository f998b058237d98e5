"""BRIEFING_MESSAGE_COMMANDS=off: the bot does not ask for the Message Content intent
(the fake then blanks message text as Discord does), every slash command works, a
message that mentions the bot is still a command, and `!who` is ignored."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from bot.config import Config
from bot.core import BriefingBot
from tests.e2e.conftest import MANAGE_MESSAGES, MutableClock, embed_text
from tests.fakediscord import FakeDiscord, pointed_at, run_client, stop_client
from tests.fakediscord import payloads as p

QUOTE = "signals a bit of desperation"


@dataclass
class Slashy:
    fake: FakeDiscord
    bot: BriefingBot
    guild: int
    channel: int
    digests: int
    member: int
    owner: int
    role: int
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture
async def slashy(tmp_path: Path) -> AsyncIterator[Slashy]:
    fake = FakeDiscord(heartbeat_interval_ms=5000)
    await fake.start()
    guild = fake.add_guild(name="Alpha")
    world = Slashy(
        fake=fake,
        bot=None,  # type: ignore[arg-type]
        guild=guild,
        channel=fake.add_channel(guild, name="briefing"),
        digests=fake.add_channel(guild, name="digests"),
        member=fake.add_member(guild, "alice"),
        owner=fake.add_member(guild, user_id=fake.owner_id),
        role=fake.add_role(guild, "Mods", permissions=MANAGE_MESSAGES),
    )
    config = Config(
        token="t", api_base=fake.api_base, db_path=tmp_path / "s.sqlite3", message_commands=False
    )
    with pointed_at(fake):
        world.bot = BriefingBot(config, clock=MutableClock())
        world.bot.run_digests = False
        task = await run_client(fake, world.bot)
        try:
            yield world
        finally:
            await stop_client(world.bot, task)
            await fake.stop()


def intents_sent(fake: FakeDiscord) -> int:
    return int(fake.identify_payloads[-1]["intents"])


async def test_slash_only_does_not_ask_for_message_content(slashy: Slashy) -> None:
    sent = intents_sent(slashy.fake)
    assert not sent & p.INTENT_MESSAGE_CONTENT
    assert sent & p.INTENT_GUILDS and sent & p.INTENT_GUILD_MESSAGES


async def test_the_default_mode_asks_for_message_content_and_takes_both(tmp_path: Path) -> None:
    async with FakeDiscord() as fake:
        guild = fake.add_guild("A")
        channel, member = fake.add_channel(guild), fake.add_member(guild, "ann")
        config = Config(token="t", api_base=fake.api_base, db_path=tmp_path / "d.sqlite3")
        with pointed_at(fake):
            bot = BriefingBot(config, clock=MutableClock())
            task = await run_client(fake, bot)
            try:
                assert intents_sent(fake) & p.INTENT_MESSAGE_CONTENT
                for typed in ("!who putin", f"<@{fake.bot_user_id}> who putin"):
                    await fake.send_message(channel, member, typed)
                    reply = await fake.wait_for_message(channel, timeout=10)
                    assert reply["embeds"][0]["title"] == "Vladimir Putin", typed
            finally:
                await stop_client(bot, task)


async def test_a_mention_is_a_command_and_the_prefix_is_ignored(slashy: Slashy) -> None:
    fake, channel = slashy.fake, slashy.channel
    await fake.send_message(channel, slashy.member, "!who kim")
    await fake.send_message(channel, slashy.member, f"<@{fake.bot_user_id}> who putin")
    reply = await fake.wait_for_message(channel, timeout=10)
    assert reply["embeds"][0]["title"] == "Vladimir Putin"
    await fake.send_message(channel, slashy.member, f"<@!{fake.bot_user_id}> sanctions")
    second = await fake.wait_for_message(channel, timeout=10)
    assert "sanction" in embed_text(second).lower()
    # `!who kim` came first: had it been answered, its answer would be among these.
    titles = [m["embeds"][0].get("title") for m in fake.messages(channel) if m.get("embeds")]
    assert "Kim Jong Un" not in titles and len(fake.messages(channel)) == 2


# Every slash command, in an order in which each one has what it needs: the options
# (a function of the world, for ids made by earlier commands), who runs it, and a phrase
# its answer must hold. A registered command missing here fails the test.
Options = Callable[[Slashy], dict]
CASES: list[tuple[str, Options, str, str]] = [
    ("about", lambda w: {}, "member", "This process runs shard 0 of 1"),
    ("help", lambda w: {}, "member", "who"),
    ("who", lambda w: {"name": "kim"}, "member", "Kim Jong Un"),
    ("sanctions", lambda w: {}, "member", "anction"),
    ("search", lambda w: {"query": "summit"}, "member", "summit"),
    ("timeline", lambda w: {}, "member", "2019"),
    ("next-meeting", lambda w: {}, "member", "Vladivostok"),
    ("sources", lambda w: {}, "member", "S1"),
    ("source show", lambda w: {"source_id": 1}, "member", "Source S1"),
    (
        "source add",
        lambda w: {
            "title": "Attached article",
            "file": w.fake.add_attachment("talks.txt", b"Envoys met in Kaesong on Monday."),
        },
        "mod",
        "Added source S",
    ),
    (
        "fact add",
        lambda w: {
            "subject": "Kim Jong Un",
            "kind": "opinion",
            "source": 1,
            "statement": "A local note.",
            "quote": QUOTE,
        },
        "mod",
        "Added fact",
    ),
    ("fact show", lambda w: {"fact_id": w.ids["fact"]}, "member", "A local note."),
    (
        "fact edit",
        lambda w: {"fact_id": w.ids["fact"], "statement": "An edited note."},
        "mod",
        "An edited note.",
    ),
    ("fact history", lambda w: {"fact_id": w.ids["fact"]}, "mod", "History"),
    (
        "fact retract",
        lambda w: {"fact_id": w.ids["fact"], "reason": "Duplicate."},
        "mod",
        "etract",
    ),
    ("fact restore", lambda w: {"fact_id": w.ids["fact"]}, "mod", "estore"),
    (
        "meeting add",
        lambda w: {
            "title": "Kaesong consultations",
            "when": "2027-01-15",
            "where": "Vladivostok",
            "participants": "Kim Jong Un, Vladimir Putin",
            "source": 1,
            "quote": QUOTE,
        },
        "mod",
        "Added meeting",
    ),
    ("meeting show", lambda w: {"meeting_id": w.ids["meeting"]}, "member", "Kaesong consultations"),
    (
        "meeting edit",
        lambda w: {"meeting_id": w.ids["meeting"], "title": "Kaesong round two"},
        "mod",
        "corrected",
    ),
    (
        "meeting cancel",
        lambda w: {"meeting_id": w.ids["meeting"], "reason": "Called off."},
        "mod",
        "ancel",
    ),
    ("audit", lambda w: {}, "mod", "Audit"),
    ("modrole set", lambda w: {"role": w.role}, "owner", "can now moderate"),
    ("modrole show", lambda w: {}, "owner", "<@&"),
    ("modrole clear", lambda w: {}, "owner", "lear"),
    (
        "digest set",
        lambda w: {"channel": w.digests, "time": "09:00", "timezone": "Asia/Seoul"},
        "mod",
        "Asia/Seoul",
    ),
    ("digest status", lambda w: {}, "mod", "Asia/Seoul"),
    ("digest preview", lambda w: {}, "mod", "Daily briefing"),
    ("digest now", lambda w: {}, "mod", "osted"),
    ("digest off", lambda w: {}, "mod", "off"),
    ("sync", lambda w: {}, "owner", "ync"),
    ("feed list", lambda w: {}, "mod", "This server follows no feeds"),
    # Fetching is not what this test is about: a refusal in words shows the command ran.
    ("feed add", lambda w: {"url": "http://127.0.0.1:9/feed.xml"}, "mod", "I won't fetch from"),
    ("feed remove", lambda w: {"feed_id": 1}, "mod", "This server follows no feed 1"),
    ("source edit", lambda w: {"source_id": 1, "title": "T"}, "mod", "no fetched source S1"),
    ("source draft", lambda w: {"source_id": 1}, "mod", "Review S1: candidate 1 of"),
]


def command_paths(registered: list[dict]) -> set[str]:
    paths = set()

    def walk(options: list[dict] | None, path: str) -> None:
        subs = [o for o in options or [] if o["type"] in (1, 2)]
        if not subs:
            paths.add(path)
        for sub in subs:
            walk(sub.get("options"), f"{path} {sub['name']}")

    for command in registered:
        walk(command.get("options"), command["name"])
    return paths


async def test_every_slash_command_works_without_message_content(slashy: Slashy) -> None:
    fake = slashy.fake
    registered = command_paths(fake.registered_commands[None])
    assert registered == {name for name, *_ in CASES}, "a slash command has no case here"
    for number, (name, options, who, phrase) in enumerate(CASES):
        user = slashy.owner  # commands have per-user cooldowns: a new user for each
        if who != "owner":
            grant = MANAGE_MESSAGES if who == "mod" else 0
            user = fake.add_member(slashy.guild, f"{who}{number}", permissions=grant)
        inter = await fake.invoke_slash(slashy.channel, user, name, options(slashy))
        answer = await fake.wait_for_interaction_response(inter, timeout=10)
        text = embed_text(answer)
        assert phrase in text, f"/{name}: {text[:600]}"
        for key, pattern in (("fact", "Added fact "), ("meeting", "Added meeting ")):
            if pattern in text:
                slashy.ids[key] = int(text.split(pattern)[1].split()[0].strip(".:,"))
    added = [
        s for s in await slashy.bot.store.sources(slashy.guild) if s.title == "Attached article"
    ]
    assert added, "the attached file became a source"
    full = await slashy.bot.store.source(added[0].id, slashy.guild, with_text=True)
    assert full is not None and full.text == "Envoys met in Kaesong on Monday."
