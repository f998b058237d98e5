"""Feeds through the real client: `feed add` follows a local feed, new items appear in
the review channel once (also after a restart), `feed list` / `feed remove`, a feed that
fails for a day is paused and the moderators told, and the Draft button works for this
server's moderators only.

The background feed loop is stopped (`stop_feed_loop`) and ticks are run by hand with the clock
moved, as the digest tests do."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta

import discord
import pytest
from discord.ext import commands

from bot.feeds import FeedDispatcher, PollReport
from bot.models import Change
from tests.conftest import FIXED_NOW
from tests.e2e.conftest import World, button_ids, embed_text
from tests.fakediscord import interactions as it
from tests.web.site import Site

NEW_ARTICLE = "New article: "


@pytest.fixture
async def site(world: World) -> AsyncIterator[Site]:
    running = await Site().start()
    running.add_entry("hotline", "Koreas agree to reopen liaison hotline", FIXED_NOW)
    running.add_entry("rail", "Rail link talks resume at Kaesong", FIXED_NOW)
    await stop_feed_loop(world, running)
    yield running
    await running.stop()


async def stop_feed_loop(world: World, site: Site) -> FeedDispatcher:
    """Allow the local site, and stop the feed loop so only the test's ticks post."""
    world.bot.config = dataclasses.replace(world.bot.config, fetch_allow=site.allow)
    cog = world.bot.get_cog("Feeds")
    assert cog is not None
    task = cog._task  # type: ignore[attr-defined]
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        cog._task = None  # type: ignore[attr-defined]
    return cog.dispatcher  # type: ignore[attr-defined]


async def tick(world: World, hours: float = 0) -> PollReport:
    world.clock.now += timedelta(hours=hours)
    return await world.bot.get_cog("Feeds").dispatcher.tick()  # type: ignore[union-attr]


async def review_channel(world: World) -> int:
    channel = world.fake.add_channel(world.guild, name="review")
    for _ in range(200):
        if world.bot.get_channel(channel) is not None:
            return channel
        await asyncio.sleep(0.01)
    raise AssertionError("the bot never saw the review channel")


def posts(world: World, channel: int, title: str = "") -> list[dict]:
    return [
        message
        for message in world.fake.messages(channel, ops=("create",))
        if NEW_ARTICLE + title in embed_text(message)
    ]


async def follow(world: World, site: Site, channel: int, path: str = "/feeds/news.rss") -> dict:
    return await world.ask(f"!feed add {site.url(path)} <#{channel}>", user=world.mod)


async def test_a_new_item_is_posted_once_also_after_a_restart(world: World, site: Site) -> None:
    review = await review_channel(world)
    reply = await follow(world, site, review)
    assert "Following feed 1: Harbour Wire: Asia, read every 1 h" in embed_text(reply)
    await tick(world)
    assert len(posts(world, review)) == 2
    first = posts(world, review)[0]
    assert button_ids(first) == ["feed:draft:1"]
    assert "Harbour Wire: Asia · 27 November 2026" in embed_text(first)
    assert first["allowed_mentions"] == {"parse": []}
    # A new article appears in the feed.
    site.add_entry("summit", "Summit date set for December", FIXED_NOW + timedelta(hours=1))
    await tick(world, hours=1)
    assert len(posts(world, review, "Summit date set for December")) == 1
    await tick(world, hours=1)
    await world.restart()
    await stop_feed_loop(world, site)
    await world.bot.get_cog("Feeds").dispatcher.recover()  # type: ignore[union-attr]
    await tick(world, hours=1)
    await tick(world, hours=1)
    assert len(posts(world, review, "Summit date set for December")) == 1
    assert len(posts(world, review)) == 3


async def test_feed_list_and_remove(world: World, site: Site) -> None:
    review = await review_channel(world)
    await follow(world, site, review)
    await follow(world, site, review, "/feeds/news.atom")
    listed = embed_text(await world.ask("!feed list", user=world.mod))
    assert "Feeds (2 of at most 10)" in listed
    assert "Harbour Wire: Asia" in listed and "Peninsula Review" in listed
    assert f"<#{review}>" in listed
    other = embed_text(await world.ask("!feed list", user=world.bmod, channel=world.channel_b))
    assert "follows no feeds" in other
    refused = await world.ask("!feed remove 1", user=world.bmod, channel=world.channel_b)
    assert "follows no feed 1" in embed_text(refused)
    removed = await world.ask("!feed remove 1", user=world.mod)
    assert "Feed 1 removed" in embed_text(removed)
    assert "Harbour Wire" not in embed_text(await world.ask("!feed list", user=world.mod))
    member = await world.ask("!feed list", user=world.alice)
    assert "Only this server's moderators" in embed_text(member)


async def test_feed_add_refuses_what_it_cannot_follow(world: World, site: Site) -> None:
    review = await review_channel(world)
    page = await follow(world, site, review, "/world/koreas-hotline")
    assert "text/html, not a page or feed" in embed_text(page)
    fast = await world.ask(
        f"!feed add {site.url('/feeds/news.rss')} <#{review}> 5m", user=world.mod
    )
    assert "at most every 15 minutes" in embed_text(fast)
    internal = await world.ask("!feed add http://169.254.169.254/feed.xml", user=world.mod)
    assert "not a public web server" in embed_text(internal)
    elsewhere = await world.ask(
        f"!feed add {site.url('/feeds/news.rss')} <#{world.channel_b}>", user=world.mod
    )
    assert "channel of this server" in embed_text(elsewhere)
    assert await world.bot.store.feeds(world.guild) == []


async def test_a_server_follows_at_most_ten_feeds(world: World, site: Site) -> None:
    review = await review_channel(world)
    change = Change(actor_id=world.mod, guild_id=world.guild, at=world.clock())
    for n in range(9):  # (by the store: ten commands a minute is the moderators' limit)
        await world.bot.store.add_feed(
            site.url(f"/feeds/news.rss?copy={n}"), "", review, 3600, change
        )
    tenth = await follow(world, site, review, "/feeds/news.rss?copy=9")
    assert "Following feed 10" in embed_text(tenth)
    eleventh = await follow(world, site, review, "/feeds/news.atom")
    assert "already follows 10 feeds" in embed_text(eleventh)


async def test_a_feed_failing_for_a_day_is_paused_and_moderators_told(
    world: World, site: Site
) -> None:
    review = await review_channel(world)
    await follow(world, site, review, "/feeds/flaky.rss")
    await tick(world)
    site.failing = True
    for _ in range(30):
        await tick(world, hours=1)
    notices = [
        m for m in world.fake.messages(review, ops=("create",)) if "is paused" in embed_text(m)
    ]
    assert len(notices) == 1
    assert "Note for moderators: feed 1" in embed_text(notices[0])
    assert "failed for a day" in embed_text(notices[0])
    listed = embed_text(await world.ask("!feed list", user=world.mod))
    assert "paused" in listed
    # Following it again resumes it.
    site.failing = False
    await follow(world, site, review, "/feeds/flaky.rss")
    feed = await world.bot.store.feed(1)
    assert feed is not None and not feed.paused


async def test_draft_fetches_the_article_for_this_servers_moderators(
    world: World, site: Site
) -> None:
    await world.bot.remove_cog("Review")  # the fallback when there is no review queue
    review = await review_channel(world)
    await follow(world, site, review)
    await tick(world)
    message = posts(world, review, "Rail link talks resume at Kaesong")[0]
    custom_id = button_ids(message)[0]
    # A member of this server, and another server's moderator who is a plain member
    # here: refused, nothing fetched.
    world.fake.add_member(world.guild, user_id=world.bmod)
    for user in (world.alice, world.bmod):
        clicked = await world.fake.click_button(review, user, int(message["id"]), custom_id)
        refused = await world.fake.wait_for_interaction_response(clicked, timeout=10)
        assert refused["ephemeral"]
        assert "Only this server's moderators" in embed_text(refused)
    assert "/a/rail" not in site.paths()
    clicked = await world.fake.click_button(review, world.mod, int(message["id"]), custom_id)
    answer = await world.fake.wait_for_interaction_response(clicked, timeout=15)
    text = embed_text(answer)
    assert answer["ephemeral"]
    assert "Drafting is not available yet" in text
    assert "Title: Rail link talks resume at Kaesong" in text
    assert "Author: Staff Reporter" in text
    source = await world.bot.store.source(2, world.guild, with_text=True)
    assert source is not None and "paragraph 3 of the report" in (source.text or "")
    # A second press reuses the stored source: no second fetch.
    again = await world.fake.click_button(review, world.mod, int(message["id"]), custom_id)
    await world.fake.wait_for_interaction_response(again, timeout=15)
    assert site.paths().count("/a/rail") == 1


async def test_a_forged_draft_press_from_another_server_is_refused(
    world: World, site: Site
) -> None:
    review = await review_channel(world)
    await follow(world, site, review)
    await tick(world)
    message = posts(world, review)[0]
    custom_id = button_ids(message)[0]
    # B's moderator sends A's Draft custom id from B's channel (a hand-made interaction).
    forged = world.fake._new_interaction(
        it.MESSAGE_COMPONENT,
        world.channel_b,
        world.bmod,
        {"custom_id": custom_id, "component_type": 2},
        message=world.fake.find_message(int(message["id"])),
    )
    refused = await world.fake.wait_for_interaction_response(forged, timeout=10)
    assert "not one of this server's feed items" in embed_text(refused)
    assert not [path for path in site.paths() if path.startswith("/a/")]
    assert await world.bot.store.source(2, world.guild_b) is None


class StandInReview(commands.Cog, name="Review"):
    """The interface the review queue provides: open_review(interaction, source_id)."""

    def __init__(self) -> None:
        self.opened: list[tuple[int | None, int]] = []

    async def open_review(self, interaction: discord.Interaction, source_id: int) -> None:
        self.opened.append((interaction.guild_id, source_id))
        await interaction.followup.send(f"Review queue for S{source_id}", ephemeral=True)


async def test_draft_hands_the_stored_source_to_the_review_queue(world: World, site: Site) -> None:
    review_cog = StandInReview()
    await world.bot.remove_cog("Review")  # the real queue, where it is merged
    await world.bot.add_cog(review_cog)
    review = await review_channel(world)
    await follow(world, site, review)
    await tick(world)
    message = posts(world, review, "Koreas agree to reopen liaison hotline")[0]
    clicked = await world.fake.click_button(
        review, world.mod, int(message["id"]), button_ids(message)[0]
    )
    answer = await world.fake.wait_for_interaction_response(clicked, timeout=15)
    assert embed_text(answer) == "Review queue for S2"
    assert review_cog.opened == [(world.guild, 2)]
    source = await world.bot.store.source(2, world.guild)
    assert source is not None and source.title == "Koreas agree to reopen liaison hotline"


async def test_hostile_item_titles_show_as_text_and_never_ping(world: World, site: Site) -> None:
    review = await review_channel(world)
    await follow(world, site, review)
    site.add_entry("x", f"@everyone **Breaking** <@{world.alice}> <b>now</b>", FIXED_NOW)
    await tick(world, hours=1)
    (message,) = posts(world, review, "")[2:]
    title = message["embeds"][0]["title"]
    assert "\\*\\*Breaking\\*\\*" in title
    assert "@everyone" not in title.replace("@\u200beveryone", "")
    assert f"<@{world.alice}>" not in title
    assert "<b>" not in title
    assert message["allowed_mentions"] == {"parse": []}


async def test_slash_feed_add_list_and_remove(world: World, site: Site) -> None:
    review = await review_channel(world)
    options = {"url": site.url("/feeds/news.atom"), "channel": review, "every": "30m"}
    added = await world.slash("feed add", options, user=world.mod)
    assert "Following feed 1: Peninsula Review, read every 30 min" in embed_text(added)
    await tick(world)
    assert len(posts(world, review)) == 2
    listed = await world.slash("feed list", user=world.mod)
    assert "every 30 min" in embed_text(listed)
    removed = await world.slash("feed remove", {"feed_id": 1}, user=world.mod)
    assert "Feed 1 removed" in embed_text(removed)
    site.add_entry("later", "A later story", FIXED_NOW + timedelta(hours=1))
    await tick(world, hours=1)
    assert posts(world, review, "A later story") == []


async def test_an_item_left_half_posted_is_not_posted_blind(world: World, site: Site) -> None:
    """After a crash between claim and post, the bot looks for the post first; if it may
    no longer read the channel's history it pauses the feed rather than risk a double."""
    review = await review_channel(world)
    await follow(world, site, review)
    assert await world.bot.store.claim_item(1, world.clock())  # then the bot "died"
    world.fake.fail_next("GET", rf"/channels/{review}/messages$", status=403, code=50001)
    await tick(world)
    assert posts(world, review, "Rail link talks resume at Kaesong") == []
    notices = [m for m in world.fake.messages(review) if "is paused" in embed_text(m)]
    assert len(notices) == 1 and "can no longer read" in embed_text(notices[0])
    feed = await world.bot.store.feed(1)
    assert feed is not None and feed.paused


async def test_an_item_left_half_posted_is_found_not_reposted(world: World, site: Site) -> None:
    review = await review_channel(world)
    await follow(world, site, review)
    await tick(world)
    assert len(posts(world, review)) == 2
    async with world.bot.store.transaction() as conn:  # as if the bot died before recording
        await conn.execute("UPDATE feed_items SET state = 'sending' WHERE id = 1")
    await world.restart()
    await stop_feed_loop(world, site)
    await world.bot.get_cog("Feeds").dispatcher.recover()  # type: ignore[union-attr]
    assert len(posts(world, review)) == 2
    item = await world.bot.store.feed_item(1, world.guild)
    assert item is not None and item.state == "posted"


async def test_a_feed_of_10000_items_is_followed_within_bounds(world: World, site: Site) -> None:
    review = await review_channel(world)
    url = site.url("/feeds/huge.rss")
    await world.fake.send_message(world.channel, world.mod, f"!feed add {url} <#{review}>")
    # While that feed is fetched and parsed, the bot answers someone else.
    await world.fake.send_message(world.channel, world.alice, "!who putin")
    first = await world.fake.wait_for_message(world.channel, timeout=30)
    second = await world.fake.wait_for_message(world.channel, timeout=30)
    assert "Vladimir Putin" in embed_text(first), "the feed held up another answer"
    assert "It lists 100 item(s); the newest 3 will be posted" in embed_text(second)
    await tick(world)
    assert [embed_text(m).splitlines()[0] for m in posts(world, review)] == [
        f"New article: Bulk item {n}" for n in (10000, 9999, 9998)
    ]
