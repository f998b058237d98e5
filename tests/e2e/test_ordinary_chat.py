"""Ordinary chat, which with the Message Content intent reaches the bot from every
server: it is dropped before any command work, nothing is kept of it, and commands
among it are still answered (issue 11: CPU per ignored message; bench/chat.py)."""

from __future__ import annotations

from typing import Any

from tests.e2e.conftest import World

CHAT = ("did anyone read the piece on the summit?", "lol", "who kim", "sanctions again?")


async def test_ordinary_chat_is_dropped_before_a_context_is_made(world: World) -> None:
    made: list[str] = []
    original = world.bot.get_context

    async def counting(origin: Any, /, **kwargs: Any) -> Any:
        made.append(getattr(origin, "content", ""))
        return await original(origin, **kwargs)

    world.bot.get_context = counting  # type: ignore[method-assign]
    for text in CHAT:
        await world.fake.send_message(world.channel, world.alice, text)
    reply = await world.ask("!who kim")
    await world.settle()
    assert "Kim Jong Un" in reply["embeds"][0]["title"]
    assert made == ["!who kim"]
    state = world.fake.state
    posted = [state.messages[i] for i in state.channel_messages[world.channel]]
    assert len([m for m in posted if m["author"].get("bot")]) == 1  # the answer, no more


async def test_a_mention_and_an_exclamation_with_spaces_are_still_commands(world: World) -> None:
    mentioned = await world.ask(f"<@{world.fake.bot_user_id}> who kim")
    spaced = await world.ask("!   sanctions", user=world.dave)
    assert "Kim Jong Un" in mentioned["embeds"][0]["title"]
    assert "Sanctions" in spaced["embeds"][0]["title"]


async def test_the_bot_keeps_no_cache_of_messages(world: World) -> None:
    for text in CHAT:
        await world.fake.send_message(world.channel, world.alice, text)
    await world.ask("!sanctions")
    await world.settle()
    assert list(world.bot.cached_messages) == []


async def test_the_bot_does_not_parse_its_own_messages(world: World) -> None:
    """Discord echoes every message the bot posts; the bot drops those unread (issue 11:
    parsing them, buttons and menus included, was the largest cost left over the bare
    bot) and still reads everyone else's, other bots' too."""
    seen: list[int] = []

    async def on_message(message: Any) -> None:
        seen.append(message.author.id)

    world.bot.add_listener(on_message)
    other_bot = world.fake.add_member(world.guild, "otherbot", bot=True)
    reply = await world.ask("!who kim")
    await world.fake.send_message(world.channel, other_bot, "beep")
    await world.settle()
    assert "Kim Jong Un" in reply["embeds"][0]["title"]
    assert seen == [world.alice, other_bot]
