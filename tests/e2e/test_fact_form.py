"""`/fact add` without the long fields opens a form (modal); submitting it adds the fact."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.e2e.conftest import World, embed_text

QUOTE = "signals a bit of desperation"


async def test_slash_fact_add_without_long_fields_opens_a_form(world: World) -> None:
    options = {"subject": "North Korea", "kind": "opinion", "source": 1}
    inter = await world.fake.invoke_slash(world.channel, world.mod, "fact add", options)
    callback = await world.fake.wait_for_interaction_callback(inter, timeout=10)
    assert callback["type"] == 9  # MODAL
    form = callback["data"]["custom_id"]
    assert form.startswith("fact:add:")
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        form,
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
    callback = await world.fake.wait_for_interaction_callback(inter, timeout=10)
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        callback["data"]["custom_id"],
        {"statement": "Made up.", "quote": "words that are not in the article at all"},
    )
    answer = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    assert answer["ephemeral"]
    assert "not in source 1 word for word" in embed_text(answer)
    assert (await world.bot.store.counts(world.guild)).facts == 21  # curated only (2 withdrawn)


async def test_prefix_fact_add_without_a_statement_says_what_is_missing(world: World) -> None:
    reply = await world.ask(
        f"!fact add subject: Kim kind: opinion source: 1 quote: {QUOTE}", user=world.mod
    )
    assert "`statement` is required" in embed_text(reply)


# --- each form is bound to who opened it, where, for which scope, until when ------------

OPTIONS = {"subject": "North Korea", "kind": "opinion", "source": 1}


async def open_form(world: World, channel: int, user: int, **extra: object) -> str:
    """Open a `/fact add` form as `user`; returns the form's custom_id."""
    inter = await world.fake.invoke_slash(channel, user, "fact add", OPTIONS | extra)
    callback = await world.fake.wait_for_interaction_callback(inter, timeout=10)
    assert callback["type"] == 9, callback  # MODAL
    return callback["data"]["custom_id"]


async def submit(world: World, channel: int, user: int, custom_id: str, statement: str) -> dict:
    submitted = await world.fake.submit_modal(
        channel, user, custom_id, {"statement": statement, "quote": QUOTE}
    )
    return await world.fake.wait_for_interaction_response(submitted, timeout=10)


def added_id(answer: dict) -> int:
    found = re.search(r"Added fact (\d+)", embed_text(answer))
    assert found, embed_text(answer)
    return int(found.group(1))


async def author_of(world: World, fact_id: int, guild: int) -> int | None:
    history = await world.bot.store.history("fact", fact_id, guild)
    return history[0].actor_id


async def test_two_servers_forms_submitted_in_reverse_order_each_land_at_home(
    world: World,
) -> None:
    form_a = await open_form(world, world.channel, world.mod)
    form_b = await open_form(world, world.channel_b, world.bmod)
    assert form_a != form_b

    answer_b = await submit(world, world.channel_b, world.bmod, form_b, "Beta's own opinion.")
    answer_a = await submit(world, world.channel, world.mod, form_a, "Alpha's own opinion.")

    fact_b, fact_a = added_id(answer_b), added_id(answer_a)
    assert "this server only" in embed_text(answer_b)
    assert "this server only" in embed_text(answer_a)
    in_b = await world.bot.store.fact(fact_b, world.guild_b)
    in_a = await world.bot.store.fact(fact_a, world.guild)
    assert in_b is not None and in_b.guild_id == world.guild_b
    assert in_b.statement == "Beta's own opinion."
    assert in_a is not None and in_a.guild_id == world.guild
    assert in_a.statement == "Alpha's own opinion."
    assert await author_of(world, fact_b, world.guild_b) == world.bmod
    assert await author_of(world, fact_a, world.guild) == world.mod
    # Neither server sees the other's fact.
    assert await world.bot.store.fact(fact_b, world.guild) is None
    assert await world.bot.store.fact(fact_a, world.guild_b) is None


async def test_a_curators_global_form_and_a_moderators_form_at_once(world: World) -> None:
    shared = await open_form(world, world.channel, world.owner, scope="global")
    local = await open_form(world, world.channel, world.mod)

    answer_local = await submit(world, world.channel, world.mod, local, "The moderator's view.")
    answer_shared = await submit(world, world.channel, world.owner, shared, "The curator's view.")

    fact_local, fact_shared = added_id(answer_local), added_id(answer_shared)
    assert "this server only" in embed_text(answer_local)
    assert "shared with every server" in embed_text(answer_shared)
    local_fact = await world.bot.store.fact(fact_local, world.guild)
    shared_fact = await world.bot.store.fact(fact_shared, world.guild_b)  # seen everywhere
    assert local_fact is not None and local_fact.guild_id == world.guild
    assert local_fact.statement == "The moderator's view."
    assert shared_fact is not None and shared_fact.guild_id is None
    assert shared_fact.statement == "The curator's view."
    assert await author_of(world, fact_local, world.guild) == world.mod
    assert await author_of(world, fact_shared, world.guild) == world.owner
    assert await world.bot.store.fact(fact_local, world.guild_b) is None


async def test_a_form_opened_before_a_demotion_is_refused_at_submit(world: World) -> None:
    form = await open_form(world, world.channel, world.mod)
    # no longer a moderator: the submit carries the member's roles as they are now
    world.fake.set_member_roles(world.guild, world.mod, [])

    answer = await submit(world, world.channel, world.mod, form, "Written after demotion.")
    assert answer["ephemeral"]
    assert "Only this server's moderators" in embed_text(answer)
    assert "Nothing was changed" in embed_text(answer)
    assert (await world.bot.store.counts(world.guild)).facts == 21

    # Promoted again, the same form is spent: it does not come back to life.
    world.fake.set_member_roles(world.guild, world.mod, [world.mod_role])
    again = await submit(world, world.channel, world.mod, form, "Second try.")
    assert "expired or was already sent" in embed_text(again)
    assert (await world.bot.store.counts(world.guild)).facts == 21


async def test_someone_elses_submission_cannot_use_a_form_and_the_owner_still_can(
    world: World,
) -> None:
    form = await open_form(world, world.channel, world.mod)
    # A forged submission of the moderator's form, by another member and from server B.
    by_dave = await submit(world, world.channel, world.dave, form, "Dave's forgery.")
    by_bmod = await submit(world, world.channel_b, world.bmod, form, "Beta's forgery.")
    for refused in (by_dave, by_bmod):
        assert refused["ephemeral"]
        assert "opened by someone else" in embed_text(refused)
    assert (await world.bot.store.counts(world.guild)).facts == 21
    assert (await world.bot.store.counts(world.guild_b)).facts == 21

    answer = await submit(world, world.channel, world.mod, form, "The owner's own.")
    fact = await world.bot.store.fact(added_id(answer), world.guild)
    assert fact is not None and fact.statement == "The owner's own."


async def test_a_failed_submission_spends_the_form(world: World) -> None:
    form = await open_form(world, world.channel, world.mod)
    submitted = await world.fake.submit_modal(
        world.channel, world.mod, form, {"statement": "Made up.", "quote": "not in the article"}
    )
    failed = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    assert "not in source 1 word for word" in embed_text(failed)
    # Nobody, not even its owner, can send that form again: a new one must be opened.
    again = await submit(world, world.channel, world.mod, form, "Now with a good quote.")
    assert "expired or was already sent" in embed_text(again)
    assert (await world.bot.store.counts(world.guild)).facts == 21


async def test_a_form_expires(world: World) -> None:
    form = await open_form(world, world.channel, world.mod)
    world.clock.now += timedelta(minutes=16)
    answer = await submit(world, world.channel, world.mod, form, "Too late.")
    assert answer["ephemeral"]
    assert "expired or was already sent" in embed_text(answer)
    assert "/fact add" in embed_text(answer)
    assert (await world.bot.store.counts(world.guild)).facts == 21
