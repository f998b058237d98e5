"""The posted digest as a summary, through the real client and the fake Discord: counts
per kind and the top items, and a Show all button that shows the rest privately, paged,
to the member who pressed it; after a restart of the bot too; and never another
server's facts, whatever its custom_id says (issue 14)."""

from __future__ import annotations

import re
from datetime import timedelta

from bot import moderation
from bot.models import Change
from tests.e2e.conftest import World, button_ids, embed_text
from tests.e2e.test_digest import (
    ARTICLE,
    NEXT_9AM_KST,
    QUOTE,
    digests_in,
    new_channel,
    set_digest,
    stop_digest_loop,
    tick,
)
from tests.fakediscord.interactions import FakeInteraction

STATEMENTS = [
    ("reported", "Item A: China will host the consultations in Kaesong."),
    ("reported", "Item B: The first session is set for December 3."),
    ("reported", "Item C: Officials said so on Monday."),
    ("reported", "Item D: The talks are the first in Kaesong for years."),
    ("attributed", "Item E: Officials see the talks as a new round."),
    ("opinion", "Item F: The talks look like a last chance."),
]


async def _changes(world: World, guild: int, prefix: str = "") -> None:
    """A server's moderator adds a source and the six facts, five minutes after the
    digest was set (so all are news in the next one)."""
    store = world.bot.store
    at = world.clock.now + timedelta(minutes=5)
    change = Change(actor_id=world.mod, guild_id=guild, at=at)
    source = await moderation.add_source(store, change, title="Kaesong talks", text=ARTICLE)
    for kind, statement in STATEMENTS:
        await moderation.add_fact(
            store,
            change,
            subject="Kim Jong Un",
            statement=prefix + statement,
            kind=kind,
            source=source,
            quote=QUOTE,
            attributed_to="officials" if kind == "attributed" else None,
            topic="talks",
        )


async def _posted_digest(world: World) -> tuple[int, dict]:
    """Server A's digest with the six changes, posted at 09:00 KST."""
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    await _changes(world, world.guild)
    world.clock.now = NEXT_9AM_KST
    assert (await tick(world)).sent == [world.guild]
    [posted] = digests_in(world, digests)
    return digests, posted


def _show_all(message: dict) -> str:
    return next(i for i in button_ids(message) if i.startswith("digest:"))


def _forged(
    world: World, channel: int, user: int, message: dict, custom_id: str
) -> FakeInteraction:
    """A press of a button with `custom_id` on `message`, as a hostile client can send
    it (whatever buttons the message really has)."""
    button = {"type": 2, "style": 2, "label": "Show all", "custom_id": custom_id}
    stored = world.fake.find_message(int(message["id"]))
    assert stored is not None
    forged = {**stored, "components": [{"type": 1, "components": [button]}]}
    data = {"custom_id": custom_id, "component_type": 2}
    return world.fake._new_interaction(3, channel, user, data, message=forged)


async def test_the_digest_shows_counts_per_kind_the_top_items_and_a_button(world: World) -> None:
    _, posted = await _posted_digest(world)
    text = embed_text(posted)
    assert "What changed since the last digest: **4 reported · 1 view · 1 opinion**." in text
    shown = [s for _, s in STATEMENTS if s in text]
    assert shown == [s for _, s in STATEMENTS[:3]]  # reporting first, three of them
    assert "Added since the last digest (3 of 6)" in text
    assert "Show all" in text  # the intro says what the button does
    labels = [c["label"] for row in posted["components"] for c in row["components"]]
    assert labels == ["Quotes", "Show all (3 more)"]
    assert "[n] → Quotes" in posted["embeds"][0]["footer"]["text"]
    assert re.fullmatch(r"digest:\d+:\d+:20261128", _show_all(posted))


async def test_show_all_shows_every_item_privately_with_citations(world: World) -> None:
    digests, posted = await _posted_digest(world)
    click = await world.fake.click_button(digests, world.dave, posted["id"], _show_all(posted))
    reply = await world.fake.wait_for_interaction_response(click, timeout=10)
    assert reply["flags"] & 64  # only the one who pressed sees it
    text = embed_text(reply)
    assert all(statement in text for _, statement in STATEMENTS)
    assert "All of this digest: what changed from <t:" in text
    assert re.search(r"Item F: The talks look like a last chance\.\* \[\d+\]", text)
    # the same Quotes panel as any answer
    quotes = next(i for i in button_ids(reply) if i.startswith("quotes:"))
    press = await world.fake.click_button(digests, world.dave, reply["id"], quotes)
    panel = embed_text(await world.fake.wait_for_interaction_response(press, timeout=10))
    assert QUOTE in panel


async def test_show_all_works_after_the_bot_restarts(world: World) -> None:
    digests, posted = await _posted_digest(world)
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now += timedelta(hours=3)
    click = await world.fake.click_button(digests, world.alice, posted["id"], _show_all(posted))
    reply = await world.fake.wait_for_interaction_response(click, timeout=10)
    text = embed_text(reply)
    assert reply["flags"] & 64 and all(statement in text for _, statement in STATEMENTS)


async def test_the_rest_is_the_digests_window_not_what_changed_since(world: World) -> None:
    digests, posted = await _posted_digest(world)
    later = Change(
        actor_id=world.mod, guild_id=world.guild, at=world.clock.now + timedelta(hours=1)
    )
    source = await moderation.add_source(world.bot.store, later, title="Later", text=ARTICLE)
    await moderation.add_fact(
        world.bot.store,
        later,
        subject="Kim Jong Un",
        statement="Item G: added after the digest went out.",
        kind="reported",
        source=source,
        quote=QUOTE,
    )
    world.clock.now += timedelta(hours=2)
    click = await world.fake.click_button(digests, world.alice, posted["id"], _show_all(posted))
    text = embed_text(await world.fake.wait_for_interaction_response(click, timeout=10))
    assert "Item A" in text and "Item G" not in text  # tomorrow's digest has it


async def test_a_forged_show_all_in_another_server_shows_only_that_servers_facts(
    world: World,
) -> None:
    """Bob, in server B, presses a button with A's digest's custom_id (and one whose
    window starts in 1970): B's own briefing answers; A's facts never show."""
    _, posted = await _posted_digest(world)
    custom_id = _show_all(posted)
    _, _, until, day = custom_id.split(":")
    everything = f"digest:0:{until}:{day}"
    b_message = await world.ask("!who kim", user=world.bob, channel=world.channel_b)
    for forged_id in (custom_id, everything):
        inter = _forged(world, world.channel_b, world.bob, b_message, forged_id)
        reply = await world.fake.wait_for_interaction_response(inter, timeout=10)
        assert reply["flags"] & 64
        text = await _every_page(world, world.channel_b, world.bob, reply)
        assert not any(statement in text for _, statement in STATEMENTS), text
        assert "Kaesong talks" not in text
    assert "The North Korean leader" in text  # the shared facts of that window do show
    # In A, the same 1970 window shows A's own facts beside the shared ones.
    inter = _forged(world, world.channel, world.alice, posted, everything)
    reply = await world.fake.wait_for_interaction_response(inter, timeout=10)
    assert "Item A" in await _every_page(world, world.channel, world.alice, reply)


async def _every_page(world: World, channel: int, user: int, reply: dict) -> str:
    """The text of every page of a private paged answer, turned by `user`."""
    texts = [embed_text(reply)]
    while "answer:next" in button_ids(reply) and not _disabled(reply, "answer:next"):
        click = await world.fake.click_button(channel, user, reply["id"], "answer:next")
        reply = await world.fake.wait_for_interaction_response(click, timeout=10)
        texts.append(embed_text(reply))
    return "\n".join(texts)


def _disabled(message: dict, custom_id: str) -> bool:
    return any(
        c.get("custom_id") == custom_id and c.get("disabled")
        for row in message.get("components") or []
        for c in row["components"]
    )


async def test_hostile_show_all_ids_are_answered_in_one_line(world: World) -> None:
    digests, posted = await _posted_digest(world)
    _, since, until, day = _show_all(posted).split(":")
    future = int(until) + 10**12  # ends in the future (a week and more from now)
    for forged_id in (
        f"digest:{until}:{since}:{day}",  # ends before it starts
        f"digest:{since}:{future}:{day}",
        f"digest:{since}:{until}:20261399",  # no such day
        f"digest:{'9' * 17}:{'9' * 17}:{day}",
    ):
        inter = _forged(world, digests, world.alice, posted, forged_id)
        reply = await world.fake.wait_for_interaction_response(inter, timeout=10)
        assert reply["flags"] & 64, forged_id
        assert reply.get("content") == "That is not a digest of this server's.", forged_id


async def test_the_preview_shows_the_digest_in_full_and_says_how_it_is_posted(
    world: World,
) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    await _changes(world, world.guild)
    world.clock.now += timedelta(minutes=10)
    preview = await world.slash("digest preview", user=world.mod)
    text = embed_text(preview)
    assert preview["ephemeral"]
    assert "Posted as a summary (**4 reported · 1 view · 1 opinion**" in text
    assert all(statement in text for _, statement in STATEMENTS)
    assert digests_in(world, digests) == []


async def test_pressing_show_all_fast_is_throttled_like_commands(world: World) -> None:
    """A whole digest is built per press: a member pressing again and again is told to
    slow down (the read commands' shared bucket: 5 in 10 s), others are not."""
    digests, posted = await _posted_digest(world)
    replies = []
    for _ in range(6):
        click = await world.fake.click_button(digests, world.dave, posted["id"], _show_all(posted))
        replies.append(await world.fake.wait_for_interaction_response(click, timeout=10))
    assert all("Item A" in embed_text(reply) for reply in replies[:5])
    assert "You're asking a bit fast" in (replies[5].get("content") or "")
    assert replies[5]["flags"] & 64
    click = await world.fake.click_button(digests, world.alice, posted["id"], _show_all(posted))
    assert "Item A" in embed_text(await world.fake.wait_for_interaction_response(click, 10))
