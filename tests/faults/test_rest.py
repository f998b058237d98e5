"""Discord's REST API misbehaving: rate limits (429 with retry-after, per route and
global) and bursts of server errors (500/502) on the calls that deliver answers.

Whatever the fault, each answer arrives exactly once, other members keep getting theirs,
and the bot goes on answering afterwards without logging an unexpected error.
"""

from __future__ import annotations

import asyncio
import logging
from collections import Counter

import discord.http
import pytest

from tests.faults.conftest import (
    MESSAGES,
    World,
    assert_cannot_ping,
    assert_no_leak,
    title,
    wait_until,
)

CALLBACK = r"^/interactions/\d+/[^/]+/callback$"


def channel_path(channel: int) -> str:
    return rf"^/channels/{channel}/messages$"


def titles(world: World, channel: int) -> Counter[str]:
    found: Counter[str] = Counter()
    for entry in world.fake.messages(channel):
        assert_no_leak(entry)
        assert_cannot_ping(entry)
        found[title(entry)] += 1
    return found


def unexpected_errors(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


class _QuickBackoff:
    """discord.py's `asyncio`, with the sleeps of its HTTP retries shortened 20 times."""

    def __getattr__(self, name: str) -> object:
        return getattr(asyncio, name)

    @staticmethod
    async def sleep(delay: float, result: object = None) -> object:
        return await asyncio.sleep(delay / 20, result)


async def test_rate_limited_sends_deliver_every_answer_exactly_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    fake.fail_next("POST", MESSAGES, status=429, retry_after=0.3, times=3)
    asked = {
        world.alice: "!who kim",
        world.dave: "!sanctions",
        world.mod: "!timeline",
        world.owner: "!sources",
    }
    for user, command in asked.items():
        await fake.send_message(world.channel, user, command)
    for _ in asked:
        await fake.wait_for_message(world.channel, timeout=15)
    await world.settle()
    found = titles(world, world.channel)
    assert found == Counter(
        {"Kim Jong Un": 1, "Sanctions on North Korea": 1, "Timeline": 1, "Sources": 1}
    )
    statuses = Counter(call.status for call in fake.calls_to("POST", MESSAGES))
    assert statuses == Counter({429: 3, 200: 4})
    assert not unexpected_errors(caplog)


async def test_a_global_rate_limit_delays_but_does_not_drop_or_double(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    fake.fail_next("POST", MESSAGES, status=429, retry_after=0.5, is_global=True)
    await fake.send_message(world.channel, world.alice, "!who putin")
    await fake.send_message(world.channel_b, world.bob, "!who kim")
    await fake.wait_for_message(world.channel, timeout=15)
    await fake.wait_for_message(world.channel_b, timeout=15)
    await world.settle()
    assert titles(world, world.channel) == Counter({"Vladimir Putin": 1})
    assert titles(world, world.channel_b) == Counter({"Kim Jong Un": 1})
    assert not unexpected_errors(caplog)


async def test_rate_limited_slash_answers_arrive_exactly_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    fake.fail_next("POST", CALLBACK, status=429, retry_after=0.4)
    answer = await world.slash("who", {"name": "kim"}, user=world.dave)
    assert title(answer) == "Kim Jong Un"
    # Deferred answers go through the webhook; rate limit the edit of "thinking…" too.
    world.bot.defer_after = 0
    fake.fail_next("PATCH", r"^/webhooks/", status=429, retry_after=0.4)
    fake.fail_next("POST", r"^/webhooks/", status=429, retry_after=0.4)
    late = await world.slash("sanctions", user=world.mod)
    assert title(late) == "Sanctions on North Korea"
    await world.settle()
    found = titles(world, world.channel)
    assert found["Kim Jong Un"] == 1
    assert found["Sanctions on North Korea"] == 1
    assert not unexpected_errors(caplog)


async def test_a_burst_of_server_errors_is_retried_and_answered_once(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    fake = world.fake
    # Two failures in a row on server A's channel (discord.py waits 1 s, then 3 s)…
    fake.fail_next("POST", channel_path(world.channel), status=500)
    fake.fail_next("POST", channel_path(world.channel), status=502)
    await fake.send_message(world.channel, world.alice, "!who kim")
    await wait_until(
        lambda: [c.status for c in fake.calls_to("POST", channel_path(world.channel))] == [500],
        5,
        "server A's first send to fail",
    )
    # …while server B is answered at once.
    await fake.send_message(world.channel_b, world.bob, "!who putin")
    other = await fake.wait_for_message(world.channel_b, timeout=2)
    assert title(other) == "Vladimir Putin"
    assert not fake.messages(world.channel)
    answer = await fake.wait_for_message(world.channel, timeout=15)
    assert title(answer) == "Kim Jong Un"
    await world.settle()
    assert titles(world, world.channel) == Counter({"Kim Jong Un": 1})
    statuses = [c.status for c in fake.calls_to("POST", channel_path(world.channel))]
    assert statuses == [500, 502, 200]
    assert title(await world.ask("!sanctions", user=world.dave)) == "Sanctions on North Korea"
    assert not unexpected_errors(caplog)


async def test_server_errors_on_a_slash_callback_are_retried_within_the_deadline(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    world.fake.fail_next("POST", CALLBACK, status=500)
    answer = await world.slash("timeline", user=world.alice)
    assert title(answer) == "Timeline"
    await world.settle()
    assert titles(world, world.channel) == Counter({"Timeline": 1})
    assert not unexpected_errors(caplog)


async def test_when_server_errors_outlast_every_retry_the_bot_says_so_once_and_carries_on(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Five 500s in a row exhaust discord.py's retries (1+3+5+7+9 s, shortened here):
    the answer is lost, and the asker is told once; nobody gets two messages, the bot
    keeps answering."""
    monkeypatch.setattr(discord.http, "asyncio", _QuickBackoff())
    fake = world.fake
    fake.fail_next("POST", channel_path(world.channel), status=500, times=5)
    await fake.send_message(world.channel, world.alice, "!who kim")
    notice = await fake.wait_for_message(world.channel, timeout=15)
    await world.settle()
    logged = fake.messages(world.channel)
    assert len(logged) == 1, [e["content"] for e in logged]
    assert_cannot_ping(notice)
    assert title(notice) == "Kim Jong Un" or "went wrong" in (
        notice["embeds"][0].get("description", "")
    )
    assert title(await world.ask("!who putin", user=world.dave)) == "Vladimir Putin"
    assert title(await world.slash("sanctions", user=world.mod)) == "Sanctions on North Korea"
