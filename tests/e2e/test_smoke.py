"""The bot answers a prefix and a slash command through the real discord.py client."""

from __future__ import annotations

from tests.e2e.conftest import World, embed_text


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
