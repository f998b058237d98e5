"""The answer cache: a repeated question is answered from memory, but never after the
store changed, and never past the moment a meeting starts or ends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot import briefing, moderation
from bot.cache import AnswerCache
from bot.models import Change
from bot.store import Store
from tests.conftest import FIXED_NOW

GUILD = 77


async def test_a_repeated_question_is_built_once(store: Store) -> None:
    cache = AnswerCache(store)
    built = []

    async def build() -> briefing.Answer:
        built.append(1)
        return await briefing.sanctions(store, GUILD)

    first = await cache.get(("sanctions",), build, guild_id=GUILD)
    second = await cache.get(("sanctions",), build, guild_id=GUILD)
    assert second is first and len(built) == 1 and cache.hits == 1


async def test_a_write_makes_the_next_answer_fresh(store: Store) -> None:
    cache = AnswerCache(store)

    def build() -> object:
        return briefing.who(store, "north korea", GUILD, FIXED_NOW)

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
        return await briefing.next_meeting(store, None, now)

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
        return briefing.search(store, "wholly novel phrase", GUILD)

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
