"""The timeline picture as members get it: `!timeline` and `/timeline` arrive with a PNG
that the embed shows (``attachment://timeline.png``), and a digest with meetings carries
one on its first page, still posted exactly once through a crash."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot import moderation, pictures
from bot.models import Change
from bot.render import picture
from tests.e2e.conftest import World
from tests.e2e.test_digest import (
    ARTICLE,
    MESSAGES,
    Crash,
    assert_one_digest,
    digests_in,
    new_channel,
    page_of,
    real_time_schedule,
    set_digest,
    stop_digest_loop,
    tick,
)

MEETING_QUOTE = "The first session is set for December 3 at 10:00 Seoul time"


def shown_picture(world: World, message: dict) -> Image.Image:
    """The PNG the message's embed shows: uploaded as timeline.png and referenced by the
    embed's image, as Discord resolves it."""
    files = [a for a in message["attachments"] if a["filename"] == "timeline.png"]
    assert len(files) == 1, message["attachments"]
    assert message["embeds"][0]["image"]["url"] == files[0]["url"]
    assert message["payload"]["embeds"][0]["image"]["url"] == "attachment://timeline.png"
    image = Image.open(io.BytesIO(world.fake.attachments[int(files[0]["id"])]))
    assert image.format == "PNG"
    return image


async def test_timeline_by_prefix_and_slash_shows_its_picture(world: World) -> None:
    by_prefix = await world.ask("!timeline", user=world.alice)
    by_slash = await world.slash("timeline", user=world.dave)
    for message in (by_prefix, by_slash):
        assert message["embeds"][0]["title"] == "Timeline"
        image = shown_picture(world, message)
        assert image.size[0] == picture.WIDTH and 300 <= image.size[1] <= 700
    # The cached answer is reused; its page is not changed by the picture.
    again = await world.ask("!timeline", user=world.alice)
    assert len(again["embeds"]) == 1 and shown_picture(world, again).size[0] == picture.WIDTH


async def test_a_deferred_slash_timeline_still_shows_its_picture(world: World) -> None:
    world.bot.defer_after = 0
    inter = await world.fake.invoke_slash(world.channel, world.alice, "timeline", {})
    assert (await world.fake.wait_for_interaction_callback(inter, timeout=10))["type"] == 5
    answer = await world.fake.wait_for_interaction_response(inter, timeout=10)
    assert answer["source"] in {"followup", "webhook_edit"}
    assert shown_picture(world, answer).size[0] == picture.WIDTH


async def test_answers_without_meetings_carry_no_picture(world: World) -> None:
    message = await world.ask("!sanctions", user=world.alice)
    assert message["attachments"] == [] and "image" not in message["embeds"][0]


async def add_upcoming_meeting(world: World, at: datetime) -> None:
    change = Change(actor_id=world.mod, guild_id=world.guild, at=at)
    store = world.bot.store
    source = await moderation.add_source(store, change, title="Kaesong talks", text=ARTICLE)
    await moderation.add_meeting(
        store,
        change,
        title="Kaesong consultations",
        when=f"{(at + timedelta(days=2)):%Y-%m-%d} 10:00 Asia/Seoul",
        where="Panmunjom",
        participants="Kim Jong Un, Chinese envoy",
        source=source,
        quote=MEETING_QUOTE,
    )


async def test_a_digest_with_meetings_shows_them_in_a_picture(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    await add_upcoming_meeting(world, world.clock.now + timedelta(minutes=1))
    world.clock.now = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    assert (await tick(world)).sent == [world.guild]
    posted = assert_one_digest(world, digests)
    assert "Kaesong consultations" in str([m["embeds"] for m in posted])
    assert shown_picture(world, posted[0]).size[0] == picture.WIDTH
    assert all(m["attachments"] == [] for m in posted[1:])
    # posted with its nonce, enforced, in the multipart body
    assert posted[0]["payload"]["nonce"] and posted[0]["payload"]["enforce_nonce"] is True


async def test_a_digest_picture_survives_a_crash_exactly_once(world: World) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    typed, due = real_time_schedule(world)
    await set_digest(world, digests, typed, "UTC")
    await add_upcoming_meeting(world, world.clock.now + timedelta(minutes=1))
    world.clock.now = due

    async def die(*args: object, **kwargs: object) -> None:
        raise Crash

    world.bot.store.finish_delivery = die  # type: ignore[method-assign]
    with pytest.raises(Crash):
        await tick(world)
    posted = digests_in(world, digests)
    assert shown_picture(world, posted[0])
    posts_before = len(world.fake.calls_to("POST", MESSAGES.format(digests)))
    await world.restart()
    await stop_digest_loop(world)
    world.clock.now = due + timedelta(minutes=2)
    await tick(world)
    assert len(digests_in(world, digests)) == len(posted)
    assert len(world.fake.calls_to("POST", MESSAGES.format(digests))) == posts_before


async def test_a_retried_first_page_with_its_picture_is_posted_once(world: World) -> None:
    """The post got out but the answer was lost: the retry repeats the nonce, and Discord
    (the fake) returns the first message instead of posting the picture twice."""
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    await add_upcoming_meeting(world, world.clock.now + timedelta(minutes=1))
    world.clock.now = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    cog = world.bot.get_cog("Digest")
    real_post = cog.dispatcher.send  # type: ignore[union-attr]
    calls = [0]

    async def lost_answer(*args: object) -> int:
        calls[0] += 1
        first = await real_post(*args)
        if calls[0] == 1:
            raise ConnectionResetError("the answer never arrived")
        return first

    world.bot.get_cog("Digest").dispatcher.send = lost_answer  # type: ignore[union-attr]
    find_sent = cog.dispatcher.find_sent  # type: ignore[union-attr]

    async def found_nothing(*args: object) -> dict:
        await find_sent(*args)
        return {}  # as if the history read missed it: only the nonce stands between

    cog.dispatcher.find_sent = found_nothing  # type: ignore[union-attr]
    assert (await tick(world)).failed == [world.guild]
    world.clock.now += timedelta(minutes=2)
    assert (await tick(world)).sent == [world.guild]
    creates = digests_in(world, digests)
    pages = len({page_of(m) for m in creates})
    assert len(creates) == pages and shown_picture(world, creates[0])
    # every page was POSTed twice, and Discord kept one of each
    assert len(world.fake.calls_to("POST", MESSAGES.format(digests))) == 2 * pages


async def test_a_picture_that_fails_to_draw_never_stops_the_answer_or_digest(
    world: World, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(*args: object, **kwargs: object) -> bytes:
        raise OSError("cannot open resource")

    monkeypatch.setattr(pictures, "timeline_png", broken)
    monkeypatch.setattr(pictures, "_drawn", pictures.OrderedDict())
    answer = await world.ask("!timeline", user=world.alice)
    assert answer["embeds"][0]["title"] == "Timeline" and answer["attachments"] == []
    assert "image" not in answer["embeds"][0]
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    await add_upcoming_meeting(world, world.clock.now + timedelta(minutes=1))
    world.clock.now = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)
    assert (await tick(world)).sent == [world.guild]
    posted = assert_one_digest(world, digests)
    assert posted[0]["attachments"] == []
    assert "timeline picture could not be drawn" in caplog.text


async def test_a_long_timeline_shows_its_picture_again_on_page_one(world: World) -> None:
    """Turning to page 2 and back: page 1 still shows the picture in its embed."""
    change = Change(actor_id=world.mod, guild_id=world.guild, at=world.clock.now)
    store = world.bot.store
    source = await moderation.add_source(store, change, title="Kaesong talks", text=ARTICLE)
    for n in range(30):
        await moderation.add_meeting(
            store,
            change,
            title=f"Working-level consultations, round {n + 1}, on the agenda and delegations",
            when=f"2026-12-{n % 28 + 1:02d} 10:00 Asia/Seoul",
            where="Panmunjom",
            participants="Kim Jong Un, Chinese envoy",
            source=source,
            quote=MEETING_QUOTE,
        )
    answer = await world.ask("!timeline", user=world.alice)
    assert "answer:next" in str(answer["components"])
    assert shown_picture(world, answer).size[0] == picture.WIDTH
    for button in ("answer:next", "answer:previous"):
        click = await world.fake.click_button(world.channel, world.alice, answer["id"], button)
        turned = await world.fake.wait_for_interaction_response(click, timeout=10)
        assert turned["op"] == "edit" and len(turned["attachments"]) == 1
    back = world.fake.find_message(answer["id"])
    assert back is not None
    assert back["embeds"][0]["image"]["url"] == back["attachments"][0]["url"]
