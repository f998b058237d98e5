"""Gateway drops in the middle of a load of commands.

Twenty commands are in flight when the gateway goes (1006: TCP aborted, no close frame;
4000: unknown error; 4009: session timed out, so the client must IDENTIFY again instead
of resuming), ten more are typed while the bot is away, and twenty after it is back.
Every command sent after the bot is back is answered exactly once; commands the bot had
already received or that a RESUME replays are answered exactly once; none is answered
twice, whatever the close code.
"""

from __future__ import annotations

import asyncio
import re
from collections import Counter
from typing import Any

import pytest

from tests.faults.conftest import (
    World,
    assert_cannot_ping,
    assert_no_leak,
    settled_messages,
    title,
)

IN_FLIGHT = 20
WHILE_AWAY = 10
AFTER = 20


async def _no_identify_delay(*args: Any, **kwargs: Any) -> None:
    """discord.py waits 5 s before every non-initial IDENTIFY; not in these tests."""


def answered(world: World, channel: int) -> Counter[int]:
    """How many times each `Fact N` answer arrived in the channel."""
    counts: Counter[int] = Counter()
    for entry in world.fake.messages(channel):
        assert_no_leak(entry)
        assert_cannot_ping(entry)
        name = title(entry)
        if name == "Kim Jong Un":
            continue
        # Facts 8 and 13 are withdrawn: their answer is the "no fact N" reply, once.
        withdrawn = re.match(r"There is no fact (\d+) ", _description(entry))
        if withdrawn:
            counts[int(withdrawn.group(1))] += 1
            continue
        assert name.startswith("Fact "), name
        counts[int(name.removeprefix("Fact "))] += 1
    return counts


def _description(entry: dict) -> str:
    return ((entry.get("embeds") or [{}])[0].get("description")) or ""


@pytest.mark.parametrize(
    ("close_code", "how"), [(1006, "resumed"), (4000, "resumed"), (4009, "identified")]
)
async def test_every_command_after_a_drop_is_answered_exactly_once(
    world: World, close_code: int, how: str
) -> None:
    fake = world.fake
    world.bot.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
    users = [fake.add_member(world.guild, f"reader{n}") for n in range(IN_FLIGHT)]
    away = fake.add_channel(world.guild, "away")
    after = fake.add_channel(world.guild, "after")

    for number, user in enumerate(users, start=1):
        await fake.send_message(world.channel, user, f"!fact {number}")
    drop = asyncio.create_task(fake.drop_gateway(close_code, reconnect_timeout=20))
    await asyncio.sleep(0)  # the socket is going
    for number, user in enumerate(users[:WHILE_AWAY], start=1):
        await fake.send_message(away, user, f"!fact {number}")
    assert await drop == how

    for number, user in enumerate(users[:AFTER], start=1):
        await fake.send_message(after, user, f"!fact {number}")
    for _ in range(AFTER):
        await fake.wait_for_message(after, timeout=15)
    await settled_messages(world, after)

    after_counts = answered(world, after)
    assert after_counts == Counter(range(1, AFTER + 1)), after_counts
    in_flight = answered(world, world.channel)
    while_away = answered(world, away)
    assert all(n == 1 for n in in_flight.values()), in_flight
    assert all(n == 1 for n in while_away.values()), while_away
    if how == "resumed":
        # RESUME replays what was missed: nothing is lost, nothing doubled.
        assert in_flight == Counter(range(1, IN_FLIGHT + 1)), in_flight
        assert while_away == Counter(range(1, WHILE_AWAY + 1)), while_away
    # And the bot goes on answering, by prefix and by slash.
    await fake.send_message(world.channel, world.dave, "!who kim")
    await fake.wait_for_message(world.channel, lambda e: title(e) == "Kim Jong Un", timeout=10)
    assert title(await world.slash("timeline", user=world.mod)) == "Timeline"


async def test_repeated_drops_in_a_row_leave_one_session_answering_once(world: World) -> None:
    """Three drops back to back, with commands between them: one answer per command."""
    fake = world.fake
    world.bot.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
    users = [fake.add_member(world.guild, f"again{n}") for n in range(5)]
    for round_, code in enumerate((1006, 4009, 4000)):
        for number, user in enumerate(users, start=1 + round_ * 5):
            await fake.send_message(world.channel, user, f"!fact {number}")
        assert await fake.drop_gateway(code, reconnect_timeout=20) in {"resumed", "identified"}
    last = range(16, 21)
    for number, user in zip(last, users, strict=True):
        await fake.send_message(world.channel, user, f"!fact {number}")
    for _ in last:
        await fake.wait_for_message(
            world.channel, lambda e: title(e) in {f"Fact {n}" for n in last}, timeout=15
        )
    await settled_messages(world, world.channel)
    counts = answered(world, world.channel)
    assert all(n == 1 for n in counts.values()), counts
    assert set(last) <= set(counts), counts
