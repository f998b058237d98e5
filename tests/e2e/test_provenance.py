"""What a member sees of provenance and time, through the real client and the fake
Discord: labelled public-record lines, role citations, "as of" and the freshness line.

The bot's clock is FIXED_NOW (November 2026), so the April 2019 article is over seven
years old.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tests.e2e.conftest import World, button_ids, embed_text

FRESHNESS = "*Newest source: April 2019, over 7 years old — this briefing may be out of date.*"


def _embed(message: dict) -> dict:
    return (message.get("embeds") or [{}])[0]


def _field(message: dict, name: str) -> str:
    return next(f["value"] for f in _embed(message).get("fields", []) if f["name"] == name)


async def test_key_actors_show_role_citations_public_record_and_freshness(world: World) -> None:
    for answer in (await world.ask("!who"), await world.slash("who", user=world.dave)):
        assert _embed(answer)["description"].startswith(FRESHNESS)
        lines = _field(answer, "People and organisations").splitlines()
        assert "• **Kim Jong Un**: The North Korean leader [1] · as of April 2019" in lines
        assert (
            "• **U.S. State Department**: The United States' foreign ministry · *Public record*"
            in lines
        )


async def test_quotes_button_shows_the_passage_that_states_a_role(world: World) -> None:
    answer = await world.ask("!who")
    custom_id = next(i for i in button_ids(answer) if i.startswith("quotes:"))
    click = await world.fake.click_button(world.channel, world.dave, answer["id"], custom_id)
    quotes = await world.fake.wait_for_interaction_response(click, timeout=10)
    shown = embed_text(quotes)
    # Each marker says what it stands for (a role, from S1) and quotes it verbatim.
    assert "**[1] role · S1**: “the North Korean leader”" in shown
    assert "“Russian President Vladimir Putin”" in shown
    assert quotes["embeds"][0]["description"].startswith(FRESHNESS)


async def test_a_meeting_says_its_date_is_public_record(world: World) -> None:
    answer = await world.ask("!meeting 2")
    shown = embed_text(answer)
    assert _embed(answer)["description"].startswith(FRESHNESS)
    assert "• **25 Apr 2019** — **Putin–Kim summit in Vladivostok** (held) [1]" in shown
    assert "status: *Public record*; date: *Public record*" in shown
    assert (
        "How the date is known: The article says they were “set to meet this Thursday”; "
        "public record gives the day, Thursday 25 April 2019." in shown
    )
    assert "relativedelta" not in shown and "dateutil" not in shown


async def test_an_old_fact_says_when_it_spoke_for(world: World) -> None:
    answer = await world.ask("!fact 2")
    statement = _field(answer, "Statement")
    assert statement.startswith("• 📰 The North Korean leader was making a play")
    assert statement.splitlines()[0].endswith("[1] · as of April 2019")


async def test_freshness_follows_the_clock_not_the_wall(world: World) -> None:
    # On the day after the summit the article was current: no freshness line, no "as of".
    world.clock.now = datetime(2019, 4, 26, 12, 0, tzinfo=UTC)
    answer = await world.ask("!fact 2")
    assert not (_embed(answer).get("description") or "").startswith("*Newest source")
    first = _field(answer, "Statement").splitlines()[0]
    assert first.startswith("• 📰 The North Korean leader") and first.endswith("[1]")
