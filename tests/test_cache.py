"""The answer cache: a repeated question is answered from memory, but never after the
store changed, and never past the moment a meeting starts or ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import briefing, moderation
from bot.cache import AnswerCache
from bot.models import Change
from bot.store import Store
from tests.conftest import FIXED_NOW, asking

# About the store's behaviour: these run on SQLite and on PostgreSQL (tests/conftest.py).
BOTH_ENGINES = True

GUILD = 77


async def test_a_repeated_question_is_built_once(store: Store) -> None:
    cache = AnswerCache(store)
    built = []

    async def build() -> briefing.Answer:
        built.append(1)
        return await briefing.sanctions(store, asking(GUILD))

    first = await cache.get(("sanctions",), build, guild_id=GUILD)
    second = await cache.get(("sanctions",), build, guild_id=GUILD)
    assert second is first and len(built) == 1 and cache.hits == 1


async def test_a_write_makes_the_next_answer_fresh(store: Store) -> None:
    cache = AnswerCache(store)

    def build() -> object:
        return briefing.who(store, asking(GUILD, FIXED_NOW), "north korea")

    before = await cache.get(("who", "nk"), build, guild_id=GUILD, now=FIXED_NOW)
    change = Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW)
    await moderation.add_fact(
        store,
        change,
        subject="North Korea",
        statement="A fresh local note.",
        kind="opinion",
        source=1,
        quote="signals a bit of desperation",
    )
    after = await cache.get(("who", "nk"), build, guild_id=GUILD, now=FIXED_NOW)
    assert after is not before
    assert "A fresh local note." in str(after.answer.sections)
    assert "A fresh local note." not in str(before.answer.sections)


async def test_an_answer_expires_when_a_meeting_ends(store: Store) -> None:
    cache = AnswerCache(store)
    before_summit = datetime(2019, 4, 24, 12, 0, tzinfo=UTC)  # the day before, in UTC

    async def build_at(now: datetime) -> briefing.Answer:
        return await briefing.next_meeting(store, asking(None, now))

    early = await cache.get(
        ("next",), lambda: build_at(before_summit), guild_id=None, now=before_summit
    )
    assert early.answer.sections[0].heading == "Upcoming"
    after_summit = before_summit + timedelta(days=2)
    late = await cache.get(
        ("next",), lambda: build_at(after_summit), guild_id=None, now=after_summit
    )
    assert late is not early
    assert late.answer.sections[0].heading == "Most recent (past)"


async def test_a_write_by_another_process_is_seen(store: Store, monkeypatch) -> None:
    import bot.cache

    monkeypatch.setattr(bot.cache, "OUTSIDE_CHECK", 0.0)
    cache = AnswerCache(store)

    def build() -> object:
        return briefing.search(store, asking(GUILD), "wholly novel phrase")

    assert not (await cache.get(("search", "x"), build, guild_id=GUILD)).answer.found
    generation = store.generation
    other = await Store.open(store.path)  # a second process's connection to the same file
    try:
        change = Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW)
        await moderation.add_fact(
            other,
            change,
            subject="North Korea",
            statement="A wholly novel phrase.",
            kind="opinion",
            source=1,
            quote="signals a bit of desperation",
        )
    finally:
        await other.close()
    assert store.generation == generation  # this process wrote nothing
    assert (await cache.get(("search", "x"), build, guild_id=GUILD)).answer.found


# --- bounded by bytes, keyed as lookup reads names, answers capped -------------------------


async def _many_meetings(store: Store, count: int) -> None:
    change = Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW)
    for number in range(count):
        await moderation.add_meeting(
            store,
            change,
            title=f"Working-level talks, round {number} " + "x" * 150,
            when="2019-04-25",
            where="Vladivostok",
            participants="Kim Jong Un, Vladimir Putin",
            source=1,
            quote="signals a bit of desperation",
            status="held",
        )


async def test_the_cache_is_bounded_by_bytes_not_only_by_entries(store: Store) -> None:
    cache = AnswerCache(store, max_bytes=200_000)

    def build(topic: str) -> object:
        return briefing.who(store, asking(GUILD, FIXED_NOW), topic)

    sizes = []
    for name in ["kim", "putin", "north korea", "russia", "united states", "china"]:
        await cache.get(("who", name), lambda n=name: build(n), guild_id=GUILD, now=FIXED_NOW)
        sizes.append(cache.bytes)
    assert 0 < cache.bytes <= 200_000
    assert sizes[0] > 0 and len(cache) >= 1
    await _many_meetings(store, 40)
    await cache.get(("who", "kim"), lambda: build("kim"), guild_id=GUILD, now=FIXED_NOW)
    assert cache.bytes <= 200_000, cache.bytes


async def test_an_answer_larger_than_the_whole_cache_is_answered_but_not_kept(
    store: Store,
) -> None:
    cache = AnswerCache(store, max_bytes=2_000)
    ready = await cache.get(
        ("who", "kim"),
        lambda: briefing.who(store, asking(GUILD, FIXED_NOW), "kim"),
        guild_id=GUILD,
        now=FIXED_NOW,
    )
    assert ready.answer.title == "Kim Jong Un"
    assert len(cache) == 0 and cache.bytes == 0


async def test_who_lists_at_most_the_answer_limit_of_meetings_and_says_so(
    store: Store, monkeypatch
) -> None:
    import bot.briefing

    monkeypatch.setattr(bot.briefing, "ANSWER_LIMIT", 20)
    await _many_meetings(store, 25)
    answer = await briefing.who(store, asking(GUILD, FIXED_NOW), "kim")
    [meetings] = [s for s in answer.sections if s.heading == "Meetings"]
    assert len(meetings.lines) == 20
    assert "Showing 20 of the meetings" in answer.intro, answer.intro
    timeline = await briefing.timeline(store, asking(GUILD, FIXED_NOW))
    assert sum(len(s.lines) for s in timeline.sections) == 20
    assert "Showing the latest 20 meetings" in timeline.intro, timeline.intro


async def test_a_digest_lists_at_most_the_answer_limit_of_changes_and_says_so(
    store: Store, monkeypatch
) -> None:
    import bot.briefing

    monkeypatch.setattr(bot.briefing, "ANSWER_LIMIT", 5)
    change = Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW)
    for number in range(7):
        await moderation.add_fact(
            store,
            change,
            subject="Kim",
            statement=f"Change {number}.",
            kind="opinion",
            source=1,
            quote="signals a bit of desperation",
        )
    await _many_meetings(store, 7)
    since = datetime(2000, 1, 1, tzinfo=UTC)
    answer = await briefing.digest(store, asking(GUILD, FIXED_NOW + timedelta(hours=1)), since)
    added = [s for s in answer.sections if s.heading.startswith("Added")]
    changed_meetings = [s for s in answer.sections if s.heading.startswith("Meetings added")]
    assert sum(len(s.lines) for s in added) == 5
    assert sum(len(s.lines) for s in changed_meetings) == 5
    assert "Showing the first 5" in answer.intro, answer.intro


async def test_a_kept_answer_sends_the_payload_it_was_rendered_with(store: Store) -> None:
    """What is sent from the cache is made once (issue 11) and is what render_pages
    makes; a picture added to a kept page shows in the copy's payload, not the kept one."""
    from bot.pictures import with_picture
    from bot.render.embeds import render_pages

    cache = AnswerCache(store)

    def build() -> object:
        return briefing.who(store, asking(GUILD, FIXED_NOW), "kim")

    ready = await cache.get(("who", "kim"), build, guild_id=GUILD, now=FIXED_NOW)
    again = await cache.get(("who", "kim"), build, guild_id=GUILD, now=FIXED_NOW)
    embed = again.pages[0].embed
    assert embed.to_dict() is ready.pages[0].embed.to_dict()
    assert embed.to_dict() == render_pages(ready.answer)[0].embed.to_dict()
    assert ready.quotes is not None
    assert ready.quotes.to_components() is again.quotes.to_components()  # type: ignore[union-attr]
    shown, extra = with_picture(embed, b"png")
    assert shown.to_dict()["image"]["url"].startswith("attachment://") and extra["file"]
    assert "image" not in embed.to_dict()
