"""What a member sees of provenance and time, through the real client and the fake
Discord: labelled public-record lines, role citations, "as of" and the freshness line.

The bot's clock is FIXED_NOW (November 2026), so the April 2019 article is over seven
years old.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.e2e.conftest import World, button_ids, embed_text

FRESHNESS = "*Newest source: April 2019, over 7 years old — this briefing may be out of date.*"
AS_OF = "Cited lines are as of **April 2019**."


def _embed(message: dict) -> dict:
    return (message.get("embeds") or [{}])[0]


def _field(message: dict, name: str) -> str:
    return next(f["value"] for f in _embed(message).get("fields", []) if f["name"] == name)


async def test_key_actors_show_role_citations_public_record_and_freshness(world: World) -> None:
    for answer in (await world.ask("!who"), await world.slash("who", user=world.dave)):
        assert _embed(answer)["description"].startswith(FRESHNESS)
        # Every cited line is from the 2019 article: said once, under the freshness
        # line, not on each line (issue 14).
        assert AS_OF in _embed(answer)["description"].splitlines()
        lines = _field(answer, "People and organisations").splitlines()
        assert "• **Kim Jong Un**: The North Korean leader [1]" in lines
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
    assert statement.splitlines()[0].endswith("[1]")
    assert AS_OF in _embed(answer)["description"].splitlines()


async def test_freshness_follows_the_clock_not_the_wall(world: World) -> None:
    # On the day after the summit the article was current: no freshness line, no "as of".
    world.clock.now = datetime(2019, 4, 26, 12, 0, tzinfo=UTC)
    answer = await world.ask("!fact 2")
    assert not (_embed(answer).get("description") or "").startswith("*Newest source")
    first = _field(answer, "Statement").splitlines()[0]
    assert first.startswith("• 📰 The North Korean leader") and first.endswith("[1]")
    assert "as of" not in embed_text(answer)


ARTICLE = "Beijing will host a new round of consultations in Kaesong, officials said on Monday."


async def test_lines_of_different_dates_each_say_their_own(world: World) -> None:
    """A server's own current source beside the 2019 article: the answer cannot say one
    "as of" for all, so each old line says it and the current one does not."""
    await world.fake.send_message(
        world.channel,
        world.mod,
        "!source add title: Kaesong talks published: 2026-11-20",
        attachments={"article.txt": ARTICLE.encode()},
    )
    reply = embed_text(await world.fake.wait_for_message(world.channel, timeout=10))
    source = re.search(r"Added source S(\d+)", reply).group(1)  # type: ignore[union-attr]
    added = await world.ask(
        "!fact add subject: Kim Jong Un statement: China will host consultations in Kaesong. "
        f"kind: reported source: {source} quote: {ARTICLE[:50]}",
        user=world.mod,
    )
    assert "Added fact" in embed_text(added)
    answer = await world.ask("!search kaesong OR russian")
    assert "Cited lines are as of" not in (_embed(answer).get("description") or "")
    lines = _field(answer, "Results").splitlines()
    new = [line for line in lines if "Kaesong" in line]
    old = [line for line in lines if line.startswith("• ") and "Kaesong" not in line]
    assert new and old
    assert all("as of" not in line for line in new)
    assert all("· as of April 2019" in line for line in old), old
