"""`/fact add` without the long fields opens a form (modal); submitting it adds the fact."""

from __future__ import annotations

from tests.e2e.conftest import World, embed_text

QUOTE = "signals a bit of desperation"


async def test_slash_fact_add_without_long_fields_opens_a_form(world: World) -> None:
    options = {"subject": "North Korea", "kind": "opinion", "source": 1}
    inter = await world.fake.invoke_slash(world.channel, world.mod, "fact add", options)
    callback = await world.fake.wait_for_interaction_callback(inter, timeout=10)
    assert callback["type"] == 9  # MODAL
    assert callback["data"]["custom_id"] == "fact:add:form"
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        "fact:add:form",
        {"statement": "The author sees desperation in the rush.", "quote": QUOTE},
    )
    answer = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    text = embed_text(answer)
    assert "Added fact 24 (this server only)" in text
    assert QUOTE in text
    assert (await world.bot.store.fact(24, world.guild)) is not None


async def test_a_bad_quote_in_the_form_is_refused_privately(world: World) -> None:
    options = {"subject": "North Korea", "kind": "opinion", "source": 1}
    inter = await world.fake.invoke_slash(world.channel, world.mod, "fact add", options)
    await world.fake.wait_for_interaction_callback(inter, timeout=10)
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        "fact:add:form",
        {"statement": "Made up.", "quote": "words that are not in the article at all"},
    )
    answer = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    assert answer["ephemeral"]
    assert "not in source 1 word for word" in embed_text(answer)
    assert (await world.bot.store.counts(world.guild)).facts == 23


async def test_prefix_fact_add_without_a_statement_says_what_is_missing(world: World) -> None:
    reply = await world.ask(
        f"!fact add subject: Kim kind: opinion source: 1 quote: {QUOTE}", user=world.mod
    )
    assert "`statement` is required" in embed_text(reply)
