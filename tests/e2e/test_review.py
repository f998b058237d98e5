"""`source draft`: a moderator reviews drafted candidates privately; members see the
accepted facts; the digest lists them; nobody else can press the queue's buttons."""

from __future__ import annotations

import asyncio
import re
from datetime import timedelta

import discord

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import World, button_ids, cited_facts, embed_text, open_folded
from tests.e2e.test_digest import (
    NEXT_9AM_KST,
    digests_in,
    new_channel,
    set_digest,
    stop_digest_loop,
    tick,
)

ARTICLE = (
    "SEOUL, Nov. 26 – North Korea and Russia agreed on Monday to open a rail link across "
    "the Tumen River, the Russian foreign ministry said. "
    "Analysts speculate that Kim Jong Un wants Russian grain before the winter. "
    "“We will build this bridge together, whatever anyone says,” Vladimir Putin said. "
    "The link is obviously a political gesture. "
    "The first train is set to run next Thursday. "
    "China has not commented on the plan."
)
SEED_FACTS = 21  # the curated facts every server sees (23, two of them withdrawn)
EDITED = "Putin said Russia and North Korea would build the Tumen bridge together."


async def add_article(world: World) -> int:
    await world.fake.send_message(
        world.channel,
        world.mod,
        "!source add title: Rail link across the Tumen published: 2026-11-26",
        attachments={"rail.txt": ARTICLE.encode()},
    )
    reply = embed_text(await world.fake.wait_for_message(world.channel, timeout=10))
    return int(re.search(r"Added source S(\d+)", reply).group(1))  # type: ignore[union-attr]


def button(message: dict, action: str) -> str:
    """The custom_id of the queue button for `action` (accept, edit, skip…)."""
    found = [i for i in button_ids(message) if i.startswith("review:") and f":{action}:" in i]
    assert found, button_ids(message)
    return found[0]


async def press(
    world: World,
    message: dict,
    action: str,
    user: int | None = None,
    channel: int | None = None,
) -> dict:
    click = await world.fake.click_button(
        channel or world.channel, user or world.mod, int(message["id"]), button(message, action)
    )
    return await world.fake.wait_for_interaction_response(click, timeout=10)


async def open_queue(world: World, source_id: int) -> dict:
    return await world.slash("source draft", {"source_id": source_id}, user=world.mod)


def fact_number(message: dict) -> int:
    return int(re.search(r"Added fact (\d+)", embed_text(message)).group(1))  # type: ignore[union-attr]


async def test_a_moderator_drafts_accepts_edits_skips_and_members_see_the_facts(
    world: World,
) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.clock.now = FIXED_NOW + timedelta(minutes=5)
    source_id = await add_article(world)

    page = await open_queue(world, source_id)
    assert page["ephemeral"]
    text = embed_text(page)
    assert f"Review S{source_id}: candidate 1 of 6" in text
    assert "reported" in text and "North Korea and Russia agreed on Monday" in text
    assert "Nothing is added until you press Accept" in text

    first = await press(world, page, "accept")
    first_id = fact_number(first)
    assert "candidate 2 of 6" in embed_text(first)
    assert "attributed" in embed_text(first) and "Analysts" in embed_text(first)
    second = await press(world, first, "accept")
    second_id = fact_number(second)
    third_page = embed_text(second)
    assert "quote" in third_page and "Vladimir Putin" in third_page

    # Edit: a pre-filled form; the moderator rewrites the statement, then accepts.
    edit_click = await world.fake.click_button(
        world.channel, world.mod, second["id"], button(second, "edit")
    )
    modal = await world.fake.wait_for_interaction_callback(edit_click, timeout=10)
    assert modal["type"] == 9
    form_id = modal["data"]["custom_id"]
    prefilled = str(modal["data"])
    assert "whatever anyone says" in prefilled and "Vladimir Putin" in prefilled
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        form_id,
        {
            "statement": EDITED,
            "kind": "quote",
            "holder": "Vladimir Putin",
            "subject": "Putin",
            "quote": "We will build this bridge together, whatever anyone says",
        },
    )
    edited = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    assert "edited; press Accept" in embed_text(edited)
    assert EDITED in embed_text(edited)
    current = world.fake.find_message(int(second["id"]))
    third = await press(world, current, "accept")
    third_id = fact_number(third)

    # Skip the rest.
    page = third
    seen = []
    for _ in range(3):
        assert "pending" in embed_text(page)
        seen.append(embed_text(page))
        page = await press(world, page, "skip")
    (dated,) = [text for text in seen if "next Thursday" in text]
    assert "Date (inferred)" in dated
    assert "“next Thursday” read as Thursday 3 December 2026" in dated
    assert "Every candidate is reviewed" in embed_text(page)
    assert "3 accepted · 3 skipped · 0 pending" in embed_text(page)

    # Members see the new facts, cited and labelled.
    found = await world.ask("!search rail link", user=world.alice)
    search = embed_text(found)
    assert "• 📰 North Korea and Russia agreed on Monday" in search
    assert "Tumen River" in search and first_id in cited_facts(found)
    assert "S2 · 26 Nov 2026 · /sources" in search
    summary = await world.ask("!who putin", user=world.alice)
    assert third_id in cited_facts(summary)
    who = await open_folded(world, summary, "quotes")
    assert "— Vladimir Putin [" in who and "whatever anyone says" in who
    putin = embed_text(await world.ask(f"!fact {third_id}", user=world.alice))
    assert EDITED in putin and "whatever anyone says" in putin
    assert "Vladimir Putin" in putin
    analysts = embed_text(await world.ask(f"!fact {second_id}", user=world.dave))
    assert "Analysts" in analysts and "Russian grain before the winter" in analysts
    holders = embed_text(await world.ask("!who analysts", user=world.dave))
    assert "Russian grain before the winter" in holders
    # Only three facts were added, and only in this server.
    assert (await world.bot.store.counts(world.guild)).facts == SEED_FACTS + 3
    assert (await world.bot.store.counts(world.guild_b)).facts == SEED_FACTS
    assert await world.bot.store.fact(first_id, world.guild_b) is None

    # The next digest lists them as added.
    world.clock.now = NEXT_9AM_KST
    await tick(world)
    digest = "\n".join(embed_text(m) for m in digests_in(world, digests))
    for fact_id in (first_id, second_id, third_id):
        added = await world.bot.store.fact(fact_id, world.guild)
        assert added is not None
        # A quote shows its words verbatim; other kinds their statement.
        shown = added.citations[0].quote if added.kind.value == "quote" else added.statement
        assert shown.split(",")[0][:40] in digest
    assert "— Vladimir Putin [" in digest and "whatever anyone says" in digest


async def test_nobody_but_the_opener_can_press_or_submit(world: World) -> None:
    source_id = await add_article(world)
    page = await open_queue(world, source_id)
    accept = button(page, "accept")
    # A moderator of another server forges a click on the queue's button there.
    forged = await world.fake.click_button(world.channel_b, world.bmod, page["id"], accept)
    refusal = await world.fake.wait_for_interaction_response(forged, timeout=10)
    assert refusal["ephemeral"]
    assert "belongs to the moderator who opened it" in embed_text(refusal)
    # A member of this server too.
    member = await world.fake.click_button(world.channel, world.alice, page["id"], accept)
    assert "belongs to the moderator" in embed_text(
        await world.fake.wait_for_interaction_response(member, timeout=10)
    )
    # And the edit form, submitted by the hostile moderator with the queue's form id.
    edit_click = await world.fake.click_button(
        world.channel, world.mod, page["id"], button(page, "edit")
    )
    modal = await world.fake.wait_for_interaction_callback(edit_click, timeout=10)
    hostile = await world.fake.submit_modal(
        world.channel_b,
        world.bmod,
        modal["data"]["custom_id"],
        {
            "statement": "Hijacked.",
            "kind": "reported",
            "holder": "",
            "subject": "Kim",
            "quote": "China has not commented on the plan",
        },
    )
    answer = await world.fake.wait_for_interaction_response(hostile, timeout=10)
    assert answer["ephemeral"] and "belongs to the moderator" in embed_text(answer)
    assert (await world.bot.store.counts(world.guild)).facts == SEED_FACTS
    assert (await world.bot.store.counts(world.guild_b)).facts == SEED_FACTS
    # The queue is as it was: the opener still sees candidate 1, pending.
    mine = await press(world, world.fake.find_message(int(page["id"])), "next")
    assert "candidate 2 of 6" in embed_text(mine)
    assert "Hijacked" not in embed_text(mine)


async def test_members_cannot_draft(world: World) -> None:
    source_id = await add_article(world)
    reply = await world.ask(f"!source draft {source_id}", user=world.alice)
    assert "moderators" in embed_text(reply)


async def test_prefix_draft_offers_a_button_that_opens_the_queue_privately(world: World) -> None:
    source_id = await add_article(world)
    reply = await world.ask(f"!source draft {source_id}", user=world.mod)
    assert "press the button to open it" in embed_text(reply)
    assert not reply.get("embeds", [{}])[0].get("fields")  # the queue itself is not public
    hostile = await world.fake.click_button(
        world.channel_b, world.bmod, reply["id"], button(reply, "open")
    )
    assert "belongs to the moderator" in embed_text(
        await world.fake.wait_for_interaction_response(hostile, timeout=10)
    )
    click = await world.fake.click_button(
        world.channel, world.mod, reply["id"], button(reply, "open")
    )
    queue = await world.fake.wait_for_interaction_response(click, timeout=10)
    assert queue["ephemeral"]
    assert f"Review S{source_id}: candidate 1 of 6" in embed_text(queue)


async def test_the_queue_survives_a_restart(world: World) -> None:
    source_id = await add_article(world)
    page = await open_queue(world, source_id)
    page = await press(world, page, "skip")
    await world.restart()
    after = await press(world, page, "accept")
    assert "Added fact" in embed_text(after)
    assert "1 accepted · 1 skipped · 4 pending" in embed_text(after)


async def test_split_cuts_a_candidate_at_a_phrase(world: World) -> None:
    source_id = await add_article(world)
    page = await open_queue(world, source_id)
    click = await world.fake.click_button(
        world.channel, world.mod, page["id"], button(page, "split")
    )
    modal = await world.fake.wait_for_interaction_callback(click, timeout=10)
    submitted = await world.fake.submit_modal(
        world.channel,
        world.mod,
        modal["data"]["custom_id"],
        {"at": "the Russian foreign ministry said"},
    )
    split = await world.fake.wait_for_interaction_response(submitted, timeout=10)
    text = embed_text(split)
    assert "split in two" in text and "candidate 1 of 7" in text
    nxt = await press(world, split, "next")
    assert "the Russian foreign ministry said" in embed_text(nxt)


async def test_an_expired_queue_says_to_draft_again(world: World) -> None:
    source_id = await add_article(world)
    page = await open_queue(world, source_id)
    world.clock.now = world.clock.now + timedelta(days=2)
    refusal = await press(world, page, "accept")
    assert "expired" in embed_text(refusal) and "source draft" in embed_text(refusal)
    assert (await world.bot.store.counts(world.guild)).facts == SEED_FACTS


async def post_draft_button(world: World, source_id: int) -> dict:
    """What a feed's "New article" post does: a Draft button whose handler calls
    Review.open_review(interaction, source_id)."""

    async def on_interaction(interaction: discord.Interaction) -> None:
        if (interaction.data or {}).get("custom_id") == f"test:draft:{source_id}":
            await world.bot.get_cog("Review").open_review(interaction, source_id)  # type: ignore[union-attr]

    world.bot.add_listener(on_interaction)
    view = discord.ui.View()
    view.add_item(discord.ui.Button(label="Draft", custom_id=f"test:draft:{source_id}"))
    view.stop()
    channel = world.bot.get_channel(world.channel)
    sent = await channel.send("New article: Rail link across the Tumen", view=view)  # type: ignore[union-attr]
    return world.fake.find_message(sent.id)  # type: ignore[return-value]


async def test_a_feeds_draft_button_opens_the_queue_for_moderators_only(world: World) -> None:
    source_id = await add_article(world)
    post = await post_draft_button(world, source_id)
    member = await world.fake.click_button(
        world.channel, world.alice, int(post["id"]), f"test:draft:{source_id}"
    )
    refusal = await world.fake.wait_for_interaction_response(member, timeout=10)
    assert refusal["ephemeral"] and "moderators" in embed_text(refusal)
    click = await world.fake.click_button(
        world.channel, world.mod, int(post["id"]), f"test:draft:{source_id}"
    )
    queue = await world.fake.wait_for_interaction_response(click, timeout=10)
    assert queue["ephemeral"]
    assert f"Review S{source_id}: candidate 1 of 6" in embed_text(queue)
    accepted = await press(world, queue, "accept")
    assert "Added fact 24 (this server only)" in embed_text(accepted)


async def test_a_moderator_who_lost_the_role_can_no_longer_accept(world: World) -> None:
    source_id = await add_article(world)
    page = await open_queue(world, source_id)
    world.fake.set_member_roles(world.guild, world.mod, [])
    for _ in range(100):  # the member update reaches the bot over the gateway
        member = world.bot.get_guild(world.guild).get_member(world.mod)  # type: ignore[union-attr]
        if member is not None and not member.roles[1:]:
            break
        await asyncio.sleep(0.02)
    refusal = await press(world, page, "accept")
    assert refusal["ephemeral"] and "Only this server's moderators" in embed_text(refusal)
    assert (await world.bot.store.counts(world.guild)).facts == SEED_FACTS
