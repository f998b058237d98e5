"""Names, holders and search as a member sees them, through the fake Discord.

Each test here began as a regression test for issue 10 (sections 4 and 6) and failed
on the code before its fix.
"""

from __future__ import annotations

from tests.e2e.conftest import World, embed_text
from tests.e2e.test_commands import title


async def test_who_un_answers_the_united_nations_not_kim(world: World) -> None:
    answer = await world.ask("!who UN")
    assert title(answer) == "United Nations"
    slash = await world.slash("who", {"name": "un"}, user=world.dave)
    assert title(slash) == "United Nations"
    assert "U.N. sanctions" in embed_text(slash)


async def test_who_ignores_punctuation_and_possessives(world: World) -> None:
    assert title(await world.ask("!who putin?")) == "Vladimir Putin"
    assert title(await world.ask("!who Kim's")) == "Kim Jong Un"
    assert title(await world.slash("who", {"name": "'kim'"}, user=world.dave)) == "Kim Jong Un"


async def test_who_analysts_shows_their_views_not_no_entry(world: World) -> None:
    answer = await world.ask("!who analysts")
    assert title(answer) == "Analysts"
    text = embed_text(answer)
    assert "Attributed view: Analysts" in text
    assert "No entry" not in text
    leaders = await world.slash("who", {"name": "European leaders"}, user=world.dave)
    assert "Some European leaders" in embed_text(leaders)
