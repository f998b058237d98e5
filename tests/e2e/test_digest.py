"""Daily digests through the real discord.py client against the fake Discord: setting,
status, preview, `digest now`, scheduled delivery exactly once (also across restarts and
crashes), lost channels and the moderators' notice, per-server content, no pings.

The background dispatcher loop is stopped at the start of each test (`stop_digest_loop`) and ticks
are run by hand with the clock moved, except where a test says it uses the loop."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from datetime import UTC, datetime, time, timedelta

import discord
import pytest

from bot import briefing, moderation, settings
from bot.digests import DigestDispatcher, TickReport, nonce_for
from bot.models import Change
from tests.conftest import FIXED_NOW, wait_until
from tests.e2e.conftest import World, embed_text

REFUSED = "Only this server's moderators"
# FIXED_NOW is 2026-11-27 12:00 UTC = 21:00 KST; 09:00 KST next is 2026-11-28 00:00 UTC.
NEXT_9AM_KST = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
NOTICE = "Note for moderators: the daily digest was turned off"
MESSAGES = r"/channels/{}/messages$"

ARTICLE = (
    "Beijing will host a new round of consultations in Kaesong, officials said on Monday.\n"
    "The first session is set for December 3 at 10:00 Seoul time, in Panmunjom."
)
QUOTE = "Beijing will host a new round of consultations in Kaesong"


class Crash(BaseException):
    """The bot process dies at this point."""


async def stop_digest_loop(world: World) -> DigestDispatcher:
    """Stop the background dispatcher loop so that only the test's ticks deliver."""
    world.bot.run_digests = False
    cog = world.bot.get_cog("Digest")
    assert cog is not None
    task = cog._task  # type: ignore[attr-defined]
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        cog._task = None  # type: ignore[attr-defined]
    return cog.dispatcher  # type: ignore[attr-defined]


def dispatcher(world: World) -> DigestDispatcher:
    return world.bot.get_cog("Digest").dispatcher  # type: ignore[union-attr]


async def tick(world: World) -> TickReport:
    return await dispatcher(world).tick()


async def wake_and_wait_asleep(world: World) -> None:
    """Wake the background loop, and wait until it has made that pass and sleeps again
    with nothing in flight (it clears its wake-up only when it goes back to sleep)."""
    loop = dispatcher(world)
    loop.wake()
    await wait_until(
        lambda: not loop._wake.is_set() and all(call.status for call in world.fake.calls),
        10,
        "the digest loop to finish its pass",
    )


def bot_can_post(world: World, channel: int) -> bool:
    """Whether the bot knows the channel and believes it may post there."""
    found = world.bot.get_channel(channel)
    if not isinstance(found, discord.TextChannel):
        return False
    return found.permissions_for(found.guild.me).send_messages


async def new_channel(world: World, guild: int, name: str) -> int:
    channel = world.fake.add_channel(guild, name=name)
    await wait_until(lambda: world.bot.get_channel(channel) is not None, 2, f"channel {name}")
    return channel


def digests_in(world: World, channel: int) -> list[dict]:
    return [
        m for m in world.fake.messages(channel, ops=("create",)) if "Daily digest" in embed_text(m)
    ]


def refs_in(world: World, channel: int) -> set[str]:
    """The distinct digests (by footer reference) posted in a channel."""
    return {
        re.search(r"ref ([0-9a-f]+)", embed_text(m)).group(1)  # type: ignore[union-attr]
        for m in digests_in(world, channel)
    }


def page_of(message: dict) -> tuple[int, int]:
    """(page, of pages) from a digest message's footer."""
    found = re.search(r"Page (\d+)/(\d+)", message["embeds"][0]["footer"]["text"])
    return (int(found.group(1)), int(found.group(2))) if found else (1, 1)


def assert_one_digest(world: World, channel: int, *, extra_posts: int = 0) -> list[dict]:
    """Exactly one digest in the channel: one ref, page 1 there, no page twice, and each
    page POSTed once (`extra_posts`: other POSTs to the channel, e.g. replies)."""
    posted = digests_in(world, channel)
    assert posted, "no digest was posted"
    refs = {re.search(r"ref ([0-9a-f]+)", embed_text(m)).group(1) for m in posted}  # type: ignore[union-attr]
    assert len(refs) == 1, f"more than one digest: {refs}"
    pages = [page_of(m) for m in posted]
    assert len(pages) == len(set(pages)), f"a page was posted twice: {pages}"
    total = pages[0][1]
    assert pages[0] == (1, total)
    posts = world.fake.calls_to("POST", MESSAGES.format(channel))
    assert len(posts) == total + extra_posts
    return posted


def stamp_of(moment: datetime) -> str:
    return f"<t:{int(moment.timestamp())}:"


async def set_digest(
    world: World,
    channel: int,
    when: str = "9am",
    zone: str = "Asia/Seoul",
    user: int = 0,
    where: int = 0,
) -> dict:
    """A moderator types `!digest set` (in A's command channel unless `where`)."""
    return await world.ask(
        f"!digest set <#{channel}> {when} {zone}", user=user or world.mod, channel=where or None
    )


async def later_messages(world: World, channel: int) -> list[dict]:
    """Bot messages in `channel` the test has not seen yet, once nothing is in flight."""
    await world.settle()
    found = []
    with contextlib.suppress(TimeoutError):
        while True:
            found.append(await world.fake.wait_for_message(channel, timeout=0))
    return found


def real_time_schedule(world: World) -> tuple[str, datetime]:
    """A due time (UTC, a whole minute) two hours before the real clock, with the bot's
    clock an hour before that. Crash recovery reads the channel history after the claim
    time, and the fake stamps message ids with the real clock, so the bot's clock must
    not run ahead of it for those tests."""
    due = (datetime.now(UTC) - timedelta(hours=2)).replace(second=0, microsecond=0)
    world.clock.now = due - timedelta(hours=1)
    return f"{due:%H:%M}", due


# --- setting, refusing, status ---------------------------------------------------------


async def test_set_replies_with_next_delivery_as_a_discord_timestamp(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    reply = embed_text(await set_digest(world, digests))
    assert f"<#{digests}>" in reply and "09:00 Asia/Seoul" in reply
    assert f"{stamp_of(NEXT_9AM_KST)}F>" in reply and f"{stamp_of(NEXT_9AM_KST)}R>" in reply
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and sub.channel_id == digests and sub.tz == "Asia/Seoul"
    # typed forms: 24-hour time and an abbreviation
    reply = embed_text(await set_digest(world, digests, "21:30", "KST"))
    assert "21:30 Asia/Seoul" in reply
    assert stamp_of(datetime(2026, 11, 27, 12, 30, tzinfo=UTC)) in reply  # 21:30 KST today
    reply = embed_text(await set_digest(world, digests, "09:00", "UTC"))
    assert "09:00 UTC" in reply and stamp_of(datetime(2026, 11, 28, 9, tzinfo=UTC)) in reply


async def test_plain_member_is_refused_and_nothing_is_stored(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    for user, command in (  # two members: refusals are throttled per user and command
        (world.alice, f"!digest set <#{digests}> 9am Asia/Seoul"),
        (world.alice, "!digest"),
        (world.alice, "!digest now"),
        (world.dave, "!digest preview"),
        (world.dave, "!digest off"),
    ):
        reply = await world.ask(command, user=user)
        assert REFUSED in embed_text(reply), command
    assert await world.bot.store.digest(world.guild) is None
    refusal = await world.slash("digest preview", user=world.alice)
    assert REFUSED in embed_text(refusal) and refusal["ephemeral"]


async def test_bad_time_or_zone_is_explained(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    assert "time of day" in embed_text(await set_digest(world, digests, "soonish"))
    assert "Unknown time zone" in embed_text(await set_digest(world, digests, "9am", "Mars/Base"))
    assert await world.bot.store.digest(world.guild) is None


# --- scheduled delivery ----------------------------------------------------------------


async def test_delivered_once_at_the_time_with_footer_and_no_pings(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.clock.now = NEXT_9AM_KST - timedelta(minutes=1)
    assert (await tick(world)).sent == [] and digests_in(world, digests) == []
    world.clock.now = NEXT_9AM_KST
    report = await tick(world)
    assert report.sent == [world.guild]
    posted = assert_one_digest(world, digests)
    first = posted[0]
    assert "Daily digest" in first["embeds"][0]["footer"]["text"]
    assert first["embeds"][0]["title"] == "Daily briefing, 28 November 2026"
    for message in posted:
        allowed = message["allowed_mentions"]
        assert allowed is not None and allowed.get("parse") == []
        assert not allowed.get("users") and not allowed.get("roles")
        assert message["payload"].get("nonce")  # posted with a nonce, enforced
        assert message["payload"].get("enforce_nonce") is True
    before = len(world.fake.messages(digests))
    world.clock.now = NEXT_9AM_KST + timedelta(minutes=5)
    assert (await tick(world)).sent == []
    world.clock.now = NEXT_9AM_KST + timedelta(hours=10)
    assert (await tick(world)).sent == []
    assert len(world.fake.messages(digests)) == before
    # status shows it
    status = embed_text(await world.ask("!digest", user=world.mod))
    assert f"Last sent: {stamp_of(NEXT_9AM_KST)}" in status
    assert f"<#{digests}>" in status and "09:00 Asia/Seoul" in status
    assert f"Next: {stamp_of(NEXT_9AM_KST + timedelta(days=1))}" in status


async def test_digest_now_counts_as_todays(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests, "23:00", "Asia/Seoul")  # later today (it's 21:00 KST)
    reply = embed_text(await world.ask("!digest now", user=world.mod))
    assert f"posted in <#{digests}>" in reply
    count = len(assert_one_digest(world, digests))
    again = embed_text(await world.ask("!digest now", user=world.mod))
    assert "already posted" in again
    world.clock.now = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)  # 23:00 KST, same day
    assert (await tick(world)).sent == []
    assert len(digests_in(world, digests)) == count
    status = embed_text(await world.ask("!digest", user=world.mod))
    assert f"Last sent: {stamp_of(FIXED_NOW)}" in status
    assert f"Next: {stamp_of(datetime(2026, 11, 28, 14, 0, tzinfo=UTC))}" in status
    world.clock.now = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # the next day's 23:00
    assert (await tick(world)).sent == [world.guild]
    refs = {
        re.search(r"ref ([0-9a-f]+)", embed_text(m)).group(1) for m in digests_in(world, digests)
    }  # type: ignore[union-attr]
    assert len(refs) == 2  # 27 and 28 November, one each


async def test_preview_is_only_for_the_moderator(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    preview = await world.slash("digest preview", user=world.mod)
    assert preview["ephemeral"]
    assert preview["embeds"][0]["title"].startswith("Daily briefing")
    assert digests_in(world, digests) == []  # nothing posted, nothing counted
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and sub.last_sent_day is None
    status = await world.slash("digest status", user=world.mod)
    assert "Last sent: never" in embed_text(status)


async def test_off_stops_delivery(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    assert "off" in embed_text(await world.ask("!digest off", user=world.mod))
    world.clock.now = NEXT_9AM_KST
    assert (await tick(world)).sent == []
    assert digests_in(world, digests) == []
    assert "Off." in embed_text(await world.ask("!digest", user=world.mod))


async def test_restart_before_due_still_delivers_once(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.clock.now = NEXT_9AM_KST - timedelta(hours=2)
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = NEXT_9AM_KST + timedelta(minutes=1)
    assert (await tick(world)).sent == [world.guild]
    count = len(assert_one_digest(world, digests))
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = NEXT_9AM_KST + timedelta(minutes=30)
    assert (await tick(world)).sent == []
    assert len(digests_in(world, digests)) == count


async def test_background_loop_delivers_once(world: World) -> None:
    """The real dispatcher loop (not stopped here): `digest set` wakes it; at the due
    time it posts once."""
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.clock.now = NEXT_9AM_KST
    dispatcher(world).wake()
    first = await world.fake.wait_for_message(digests, timeout=15)
    assert "Daily digest" in embed_text(first)
    await world.settle()
    await wake_and_wait_asleep(world)
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and sub.last_sent_at == NEXT_9AM_KST
    assert_one_digest(world, digests)


# --- crashes ---------------------------------------------------------------------------


async def test_crash_after_posting_before_recording_does_not_post_twice(
    world: World,
) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    typed, due = real_time_schedule(world)
    await set_digest(world, digests, typed, "UTC")
    world.clock.now = due
    store = world.bot.store

    async def die(*args: object, **kwargs: object) -> None:
        raise Crash

    store.finish_delivery = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await tick(world)
    posted = len(digests_in(world, digests))
    assert posted >= 1
    posts_before = len(world.fake.calls_to("POST", MESSAGES.format(digests)))
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = due + timedelta(minutes=2)
    await tick(world)
    assert len(digests_in(world, digests)) == posted
    assert len(world.fake.calls_to("POST", MESSAGES.format(digests))) == posts_before
    assert world.fake.calls_to("GET", MESSAGES.format(digests))  # it looked in the channel
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and sub.last_sent_day == due.date()


async def test_crash_after_claim_before_posting_posts_once(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    typed, due = real_time_schedule(world)
    await set_digest(world, digests, typed, "UTC")
    world.clock.now = due

    async def die(*args: object, **kwargs: object) -> int:
        raise Crash

    dispatcher(world).send = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await tick(world)
    assert digests_in(world, digests) == []
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = due + timedelta(minutes=2)
    assert (await tick(world)).sent == [world.guild]
    assert_one_digest(world, digests)


async def add_many_facts(world: World, at: datetime, n: int = 30, guild: int = 0) -> None:
    """Enough of one server's own facts (A's by default) for a digest of several pages."""
    store = world.bot.store
    change = Change(actor_id=world.mod, guild_id=guild or world.guild, at=at)
    source = await moderation.add_source(store, change, title="Kaesong talks", text=ARTICLE)
    filler = "Officials gave details of the agenda, the venue and the delegations. " * 5
    for n_ in range(n):
        await moderation.add_fact(
            store,
            change,
            subject="Kim Jong Un",
            statement=f"Item {n_:02d}: {filler}"[:480],
            kind="reported",
            source=source,
            quote=QUOTE,
            topic="talks",
        )


def long_summaries(monkeypatch: pytest.MonkeyPatch) -> None:
    """A posted digest is a one-page summary now (issue 14); these tests need a digest
    of several pages to prove the page-by-page delivery, so its summary shows 40 items."""
    monkeypatch.setattr(briefing, "TOP_CHANGES", 40)


async def test_crash_between_pages_still_posts_every_page(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_summaries(monkeypatch)
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    typed, due = real_time_schedule(world)
    await set_digest(world, digests, typed, "UTC")
    await add_many_facts(world, world.clock.now + timedelta(minutes=1))
    world.clock.now = due
    real = dispatcher(world).pacer
    calls = [0]

    class DiesBeforePageTwo:
        async def acquire(self) -> None:
            calls[0] += 1
            if calls[0] == 2:
                raise Crash
            await real.acquire()

    dispatcher(world).pacer = DiesBeforePageTwo()  # type: ignore[assignment]
    with pytest.raises(Crash):
        await tick(world)
    assert len(digests_in(world, digests)) == 1
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = due + timedelta(minutes=2)
    await tick(world)
    posted = digests_in(world, digests)
    total = int(re.search(r"Page 1/(\d+)", embed_text(posted[0])).group(1))  # type: ignore[union-attr]
    assert total > 1
    assert len(posted) == total


async def test_digest_now_racing_the_scheduled_tick_posts_once(world: World) -> None:
    """Both claim the same day and post with the same nonce; Discord (and the fake)
    returns the first message to the second create instead of posting it twice."""
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests, "21:00", "Asia/Seoul")  # due now (21:00 KST)
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None
    await asyncio.gather(tick(world), dispatcher(world).send_now(sub), return_exceptions=True)
    posted = digests_in(world, digests)
    refs = {re.search(r"ref ([0-9a-f]+)", embed_text(m)).group(1) for m in posted}  # type: ignore[union-attr]
    pages = [page_of(m) for m in posted]
    assert len(refs) == 1 and len(pages) == len(set(pages)) and (1, pages[0][1]) in pages


# --- lost channels ---------------------------------------------------------------------


async def test_deleted_channel_disables_and_moderators_are_told_once(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.fake.remove_channel(digests)
    await wait_until(lambda: world.bot.get_channel(digests) is None, 5, "CHANNEL_DELETE")
    world.clock.now = NEXT_9AM_KST
    report = await tick(world)
    assert report.disabled == [world.guild] and report.sent == []
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and not sub.enabled and "deleted" in (sub.disabled_reason or "")
    # a plain member's command does not carry the notice
    await world.ask("!sanctions", user=world.alice)
    assert not [m for m in await later_messages(world, world.channel) if NOTICE in embed_text(m)]
    # the next moderator command does, once
    await world.ask("!sanctions", user=world.mod)
    notices = [m for m in await later_messages(world, world.channel) if NOTICE in embed_text(m)]
    assert len(notices) == 1 and "deleted" in embed_text(notices[0])
    await world.ask("!who kim", user=world.mod)
    assert not [m for m in await later_messages(world, world.channel) if NOTICE in embed_text(m)]
    # it survives a restart as told
    await world.restart()
    await stop_digest_loop(world)
    await world.ask("!sanctions", user=world.mod)
    assert not [m for m in await later_messages(world, world.channel) if NOTICE in embed_text(m)]
    assert "Off (" in embed_text(await world.ask("!digest", user=world.mod))


async def test_notice_survives_a_restart_until_told(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.fake.remove_channel(digests)
    await wait_until(lambda: world.bot.get_channel(digests) is None, 5, "CHANNEL_DELETE")
    world.clock.now = NEXT_9AM_KST
    await tick(world)
    await world.restart()
    await stop_digest_loop(world)
    await world.ask("!sanctions", user=world.mod)
    notices = [m for m in await later_messages(world, world.channel) if NOTICE in embed_text(m)]
    assert len(notices) == 1


async def test_lost_permission_disables(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.fake.forbid_channel(digests)
    await wait_until(lambda: not bot_can_post(world, digests), 5, "CHANNEL_UPDATE")
    world.clock.now = NEXT_9AM_KST
    report = await tick(world)
    assert report.disabled == [world.guild]
    assert digests_in(world, digests) == []
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and not sub.enabled and sub.disabled_reason
    # a new `digest set` elsewhere turns it on again and clears the notice
    other = await new_channel(world, world.guild, "digests-2")
    await set_digest(world, other)
    await world.ask("!sanctions", user=world.mod)
    assert not [m for m in await later_messages(world, world.channel) if NOTICE in embed_text(m)]


# --- what each server's digest says ----------------------------------------------------


async def test_a_moderators_change_appears_in_their_servers_digest_only(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    reply = await set_digest(world, world.channel_b, user=world.bmod, where=world.channel_b)
    assert "Daily digest set" in embed_text(reply)
    world.clock.now = FIXED_NOW + timedelta(minutes=5)
    await world.fake.send_message(
        world.channel,
        world.mod,
        "!source add title: Kaesong talks published: 2026-11-20 url: https://example.org/k",
        attachments={"article.txt": ARTICLE.encode()},
    )
    source_reply = embed_text(await world.fake.wait_for_message(world.channel, timeout=10))
    source_id = int(re.search(r"Added source S(\d+)", source_reply).group(1))  # type: ignore[union-attr]
    statement = "China will host consultations in Kaesong (server A's own fact)."
    fact_reply = embed_text(
        await world.ask(
            f"!fact add subject: China statement: {statement} kind: reported "
            f"source: {source_id} quote: {QUOTE} topic: talks",
            user=world.mod,
        )
    )
    fact_id = int(re.search(r"Added fact (\d+)", fact_reply).group(1))  # type: ignore[union-attr]
    world.clock.now = NEXT_9AM_KST
    report = await tick(world)
    assert sorted(report.sent) == sorted([world.guild, world.guild_b])
    a_text = "\n".join(embed_text(m) for m in digests_in(world, digests))
    b_text = "\n".join(embed_text(m) for m in digests_in(world, world.channel_b))
    # A's digest shows the fact and cites A's source; B's shows neither.
    assert fact_id > 0 and statement in a_text and f"S{source_id} · 20 Nov 2026" in a_text
    assert "Kaesong" not in b_text and f"S{source_id}" not in b_text
    # the next day it is no longer news in A
    world.clock.now = NEXT_9AM_KST + timedelta(days=1)
    before = len(digests_in(world, digests))
    await tick(world)
    newest = "\n".join(embed_text(m) for m in digests_in(world, digests)[before:])
    assert newest and statement not in newest


# A server whose digest nonce for 28 November 2026 ends in "01": the bot's second-page
# nonce (first 22 characters + "01") is then the first page's nonce.
COLLIDING_GUILD = 1_500_000_000_000_000_365


async def test_every_page_of_a_long_digest_is_posted_whatever_the_nonce(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    long_summaries(monkeypatch)
    await stop_digest_loop(world)
    # Once, page nonces were the day's nonce with the page number in its last two
    # characters, so a day whose nonce ended in "01" lost page 2; every page now has a
    # nonce of its own.
    assert len({nonce_for(COLLIDING_GUILD, NEXT_9AM_KST.date(), page) for page in range(9)}) == 9
    guild = world.fake.add_guild(name="Gamma", guild_id=COLLIDING_GUILD)
    channel = world.fake.add_channel(guild, name="digests")
    await wait_until(lambda: world.bot.get_channel(channel) is not None, 5, "GUILD_CREATE")
    change = Change(actor_id=world.owner, guild_id=guild, at=FIXED_NOW)
    await world.bot.store.set_digest(guild, channel, time(9, 0), "Asia/Seoul", change)
    await add_many_facts(world, FIXED_NOW + timedelta(minutes=1), guild=guild)
    world.clock.now = NEXT_9AM_KST
    assert (await tick(world)).sent == [guild]
    posted = digests_in(world, channel)
    total = page_of(posted[0])[1]
    assert total > 1
    assert sorted(page_of(m)[0] for m in posted) == list(range(1, total + 1))
    # The buttons (Quotes, Show all) go under the whole digest: its last page.
    with_buttons = [page_of(m)[0] for m in posted if m.get("components")]
    assert with_buttons == [total]


# --- a zone change across the date line (issue 9, High 2) ------------------------------


async def test_zone_change_across_the_date_line_keeps_every_servers_digest(
    world: World,
) -> None:
    """The review's sequence at 10:30 UTC, with the real background loop running: set
    09:00 Kiritimati (UTC+14), `digest now`, set 09:00 Etc/GMT+12 (UTC-12). Every reply
    is a clear answer, the status works, the loop stays up (also across a restart in
    the window), and both servers get their next digest once."""
    world.clock.now = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)
    news = await new_channel(world, world.guild, "news")
    reply = embed_text(await set_digest(world, news, "09:00", "Pacific/Kiritimati"))
    assert "Daily digest set" in reply
    b_news = await new_channel(world, world.guild_b, "b-news")
    b_reply = await set_digest(
        world, b_news, "09:00", "UTC", user=world.bmod, where=world.channel_b
    )
    assert "Daily digest set" in embed_text(b_reply)
    assert f"posted in <#{news}>" in embed_text(await world.ask("!digest now", user=world.mod))
    reply = embed_text(await set_digest(world, news, "09:00", "Etc/GMT+12"))
    # 22:30 on 26 November at UTC-12 had its digest; next is 09:00 on the 27th there
    next_there = datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    assert "Something went wrong" not in reply
    assert "09:00 Etc/GMT+12" in reply and f"Next: {stamp_of(next_there)}" in reply
    status = embed_text(await world.ask("!digest", user=world.mod))
    assert f"Next: {stamp_of(next_there)}" in status and "Etc/GMT+12" in status
    task = world.bot.get_cog("Digest")._task  # type: ignore[union-attr]
    await wake_and_wait_asleep(world)
    assert task is not None and not task.done()
    await world.restart()  # a restart inside the window
    task = world.bot.get_cog("Digest")._task  # type: ignore[union-attr]
    await wake_and_wait_asleep(world)
    assert task is not None and not task.done()
    # A's digest at 21:00 UTC (09:00 on the 27th at UTC-12), then B's the next morning
    world.clock.now = next_there
    dispatcher(world).wake()
    assert await eventually(lambda: len(refs_in(world, news)) == 2)
    world.clock.now = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    dispatcher(world).wake()
    assert await eventually(lambda: len(refs_in(world, b_news)) == 1)
    await wake_and_wait_asleep(world)
    assert len(refs_in(world, news)) == 2  # `digest now`'s and the 27th's at UTC-12
    assert_one_digest(world, b_news)


async def eventually(condition: Callable[[], bool], timeout: float = 15.0) -> bool:
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        await asyncio.sleep(0.02)
    return condition()


async def test_a_setting_whose_schedule_fails_is_not_saved(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`digest set` works out the new schedule before it saves anything: if that fails
    (here, forced), the old setting stays as it was."""
    await stop_digest_loop(world)
    news = await new_channel(world, world.guild, "news")
    await set_digest(world, news, "09:00", "Asia/Seoul")
    before = await world.bot.store.digest(world.guild)

    def broken(*args: object) -> datetime:
        raise RuntimeError("no schedule")

    monkeypatch.setattr(settings, "next_due", broken)  # where `digest set` schedules
    reply = embed_text(await set_digest(world, news, "18:00", "Europe/Moscow"))
    assert "error id" in reply
    assert await world.bot.store.digest(world.guild) == before


async def test_digest_now_after_a_skipped_day_posts_it(world: World) -> None:
    """The bot was down past the grace window, so today's digest was skipped: `digest
    now` posts it and says so (it used to answer that it was already posted)."""
    await stop_digest_loop(world)
    news = await new_channel(world, world.guild, "news")
    await set_digest(world, news, "09:00", "Asia/Seoul")
    world.clock.now = NEXT_9AM_KST + timedelta(hours=7)  # 16:00 KST: skipped
    assert (await tick(world)).skipped == [world.guild]
    reply = embed_text(await world.ask("!digest now", user=world.mod))
    assert f"posted in <#{news}>" in reply
    assert_one_digest(world, news)
    again = embed_text(await world.ask("!digest now", user=world.mod))
    assert "already posted" in again


# --- preview: one private message, not one DM per page (issue 9, Medium 9) ------------


async def test_a_long_preview_is_one_paged_dm(world: World) -> None:
    """A preview of many pages used to be sent as one DM per page (135 in 0.2 s); now
    `!digest preview` sends one DM whose buttons turn the pages, and `/digest preview`
    one ephemeral reply."""
    await stop_digest_loop(world)
    news = await new_channel(world, world.guild, "news")
    await set_digest(world, news)
    await add_many_facts(world, world.clock.now + timedelta(minutes=1), n=40)
    world.clock.now += timedelta(minutes=5)
    dm = world.fake.dm_channel(world.mod)
    dm_posts = rf"/channels/{dm}/messages$"
    reply = embed_text(await world.ask("!digest preview", user=world.mod))
    assert "by DM" in reply
    await world.settle()
    assert len(world.fake.calls_to("POST", dm_posts)) == 1
    [first] = world.fake.messages(dm, ops=("create",))
    found = re.search(r"Page 1/(\d+)", embed_text(first))
    assert found and int(found.group(1)) > 3, embed_text(first)[-200:]
    # the pages turn in place
    click = await world.fake.click_button(dm, world.mod, first["id"], "answer:next")
    edited = await world.fake.wait_for_interaction_response(click, timeout=10)
    assert edited["id"] == first["id"] and "Page 2/" in embed_text(edited)
    assert len(world.fake.calls_to("POST", dm_posts)) == 1
    assert digests_in(world, news) == []  # a preview posts nothing
    # by slash: one ephemeral reply, no DM
    preview = await world.slash("digest preview", user=world.mod)
    assert preview["ephemeral"] and "Page 1/" in embed_text(preview)
    assert len(world.fake.calls_to("POST", dm_posts)) == 1


async def test_preview_says_so_when_dms_are_closed(world: World) -> None:
    await stop_digest_loop(world)
    world.fake.block_dms(world.mod)
    reply = embed_text(await world.ask("!digest preview", user=world.mod))
    assert "can't DM you" in reply and "/digest preview" in reply


async def test_status_of_a_setting_that_cannot_be_worked_out_says_so(world: World) -> None:
    """A stored setting the schedule cannot use (planted: a zone the zone database no
    longer has) is shown with a clear line, not an error id; `digest set` mends it."""
    await stop_digest_loop(world)
    news = await new_channel(world, world.guild, "news")
    await set_digest(world, news)
    async with world.bot.store.transaction() as conn:
        await conn.execute(
            "UPDATE digest_subscriptions SET tz = 'Mars/Olympus' WHERE guild_id = ?",
            (world.guild,),
        )
    status = embed_text(await world.ask("!digest", user=world.mod))
    assert "error id" not in status and f"<#{news}>" in status
    assert "can't be worked out" in status and "digest set" in status
    reply = embed_text(await set_digest(world, news, "09:00", "Asia/Seoul"))
    assert "Daily digest set" in reply and "error id" not in reply


async def test_digest_now_after_a_crashed_send_was_skipped_does_not_post_twice(
    world: World,
) -> None:
    """The bot died after posting and before recording it, and came back past the grace
    window, so the day was skipped. `digest now` that day must find what got out (by
    the channel history since the first claim) rather than post it again."""
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    _, due = real_time_schedule(world)
    # a fixed offset that puts the due time at 01:00 local, so the whole test is one day
    offset = (60 - (due.hour * 60 + due.minute)) % 1440
    offset -= 1440 if offset > 14 * 60 else 0
    sign, hours, minutes = "+" if offset >= 0 else "-", abs(offset) // 60, abs(offset) % 60
    reply = embed_text(await set_digest(world, digests, "01:00", f"UTC{sign}{hours}:{minutes:02d}"))
    assert "Daily digest set" in reply
    world.clock.now = due
    store = world.bot.store

    async def die(*args: object, **kwargs: object) -> None:
        raise Crash

    store.finish_delivery = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await tick(world)
    posted = len(digests_in(world, digests))
    assert posted >= 1
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = due + timedelta(hours=7)
    assert (await tick(world)).skipped == [world.guild]
    again = embed_text(await world.ask("!digest now", user=world.mod))
    assert "already posted" in again
    assert len(digests_in(world, digests)) == posted
