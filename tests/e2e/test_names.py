"""Names, holders and search as a member sees them, through the fake Discord.

Each test here began as a regression test for issue 10 (sections 4 and 6) and failed
on the code before its fix.
"""

from __future__ import annotations

from tests.e2e.conftest import World, bullets, embed_text
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
    assert "— Analysts [1]" in text
    assert "No entry" not in text
    leaders = await world.slash("who", {"name": "European leaders"}, user=world.dave)
    assert "Some European leaders" in embed_text(leaders)


async def test_search_the_finds_nothing_and_says_it_is_too_common(world: World) -> None:
    answer = await world.ask("!search the")
    text = embed_text(answer)
    assert "too common" in text
    assert bullets(text) == 0


async def test_search_kim_says_10_of_all_and_pages_on(world: World) -> None:
    kim = (await world.bot.store.find_entity("Kim Jong Un")).entity
    assert kim is not None
    total = len(await world.bot.store.facts_about(kim.id, world.guild))  # 16 today
    assert 10 < total <= 20
    first = embed_text(await world.ask("!search kim"))
    assert f"1–10 of {total}" in first
    assert "The next ones: `!search kim page:2`" in first
    assert bullets(first) == 10
    second = embed_text(await world.slash("search", {"query": "kim page:2"}, user=world.dave))
    assert f"11–{total} of {total}" in second
    assert bullets(second) == total - 10


async def test_search_un_sanctions_finds_the_un_sanctions_facts(world: World) -> None:
    text = embed_text(await world.ask("!search UN sanctions", user=world.dave))
    assert "1 match," in text  # the State Department's statement; fact 13 is retracted
    assert "U.N. sanctions" in text
    assert "Un’s objective" not in text


# --- reading (issue 10, section 6) ------------------------------------------------------


async def test_help_who_shows_help_for_who(world: World) -> None:
    answer = await world.ask("!help who")
    assert title(answer) == "!who [name]"
    text = embed_text(answer)
    assert "who analysts" in text and "e.g. `!who putin`" in text
    assert "!sanctions" not in text
    slash = await world.slash("help", {"command": "search"}, user=world.dave)
    assert title(slash) == "!search <words>"
    assert "page:2" in embed_text(slash)
    unknown = embed_text(await world.ask("!help whom", user=world.dave))
    assert "There is no command `whom`" in unknown and "`!who`" in unknown


async def test_fact_with_an_extra_word_says_too_many_arguments(world: World) -> None:
    text = embed_text(await world.ask("!fact 12 extra"))
    assert "Too many arguments: “extra” is not needed." in text
    assert "Usage: `!fact <id>`" in text
    about = embed_text(await world.ask("!about now", user=world.dave))
    assert "Too many arguments: “now” is not needed." in about


async def test_who_autocomplete_offers_holders_too(world: World) -> None:
    offered = await world.fake.autocomplete(world.channel, world.alice, "who", "name", "analy")
    assert "Analysts" in [choice["value"] for choice in offered]
    critics = await world.fake.autocomplete(world.channel, world.alice, "who", "name", "crit")
    assert "Critics of the United States" in [choice["value"] for choice in critics]
