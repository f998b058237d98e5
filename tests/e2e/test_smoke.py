"""The bot answers a prefix and a slash command through the real discord.py client."""

from __future__ import annotations

import asyncio
import gc
import warnings

from tests.e2e.conftest import World, embed_text

# discord.py's default guild_ready_timeout: how long after the last server it says `ready`.
READY_DELAY = 2.0


async def test_prefix_who_answers_with_a_cited_embed(world: World) -> None:
    reply = await world.ask("!who kim")
    text = embed_text(reply)
    assert reply["embeds"][0]["title"] == "Kim Jong Un"
    assert "6 opinions" in text  # counted in the summary, one pick away
    assert "S1 · Apr 2019 · /sources" in text
    assert reply["allowed_mentions"] == {"parse": []} or reply["allowed_mentions"]["parse"] == []


async def test_slash_who_answers_with_the_same_profile(world: World) -> None:
    answer = await world.slash("who", {"name": "kim"})
    assert answer["embeds"][0]["title"] == "Kim Jong Un"


async def test_closing_right_after_connecting_leaves_no_event_unrun(world: World) -> None:
    """discord.py announces `ready` about two seconds after the last server arrives. A bot
    stopped before then (a quick restart, SIGTERM at start-up) has no loop left to run it
    on: the event must be dropped, not left as a coroutine nobody awaits."""
    loop = asyncio.get_running_loop()
    failures: list[str] = []
    loop.set_exception_handler(lambda _, context: failures.append(repr(context)))
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            await world.restart()
            closed = world.bot
            await world.restart()  # that new bot is closed before it was ready
            # discord.py's pending announcement of `ready` (its only handle on it)
            announcing = closed._connection._ready_task
            assert announcing is not None, "the bot was ready already: nothing tested"
            await asyncio.wait_for(announcing, READY_DELAY + 5)
            gc.collect()
    finally:
        loop.set_exception_handler(None)
    unrun = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert (unrun, failures) == ([], [])
    assert title_of(await world.ask("!who kim")) == "Kim Jong Un"


def title_of(message: dict) -> str:
    return (message.get("embeds") or [{}])[0].get("title", "")
