"""The digest dispatcher's loop (bot.digests.DigestDispatcher.run) in simulated time:
its sleep hands control back to the test, which moves the clock to the wake-up time, so
a day runs in milliseconds and every tick, wake-up and store write can be counted.

Covers: a zone change across the date line after `digest now` (issue 9, High 2), the
loop spinning after a skipped day (High 3), one server's broken schedule not stopping
the others, the loop being restarted if it ever ends, and a hypothesis test over random
zone changes, `digest now`, restarts and clock jumps."""

from __future__ import annotations

import asyncio
import itertools
import logging
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from bot import digests as digests_module
from bot.answers import Answer
from bot.digests import DigestDispatcher
from bot.models import Change, Delivery, DigestSubscription
from bot.pacing import Pacer
from bot.render.embeds import render_pages
from bot.schedule import local_day, next_due
from bot.store import Store
from tests.test_digests import Clock, Poster

G_A = 111_111_111_111
G_B = 222_222_222_222
MOD = 1001
KIRITIMATI = "Pacific/Kiritimati"  # UTC+14
GMT_MINUS_12 = "Etc/GMT+12"  # POSIX sign: UTC-12
SEOUL = "Asia/Seoul"
# 10:30 UTC on 27 November 2026: 00:30 on the 28th in Kiritimati, 22:30 on the 26th at UTC-12.
HALF_TEN = datetime(2026, 11, 27, 10, 30, tzinfo=UTC)


class Spinning(AssertionError):
    """The loop kept waking without the clock having to move."""


class SimLoop:
    """Runs `dispatcher.run()` with its sleep replaced: the loop says when it wants to
    wake, and waits until the test moves the clock there (or wakes it early)."""

    def __init__(self, dispatcher: DigestDispatcher, clock: Clock) -> None:
        self.dispatcher = dispatcher
        self.clock = clock
        self.ticks = 0
        self.wakes: list[tuple[datetime, datetime]] = []  # (computed at, wake at)
        self.target: datetime | None = None
        self._asleep = asyncio.Event()
        self._go = asyncio.Event()
        self.task: asyncio.Task | None = None
        dispatcher._sleep_until = self._sleep_until  # type: ignore[method-assign]
        real_tick = dispatcher.tick

        async def counted_tick():  # type: ignore[no-untyped-def]
            self.ticks += 1
            return await real_tick()

        dispatcher.tick = counted_tick  # type: ignore[method-assign]

    async def _sleep_until(self, when: datetime) -> None:
        self.wakes.append((self.clock.now, when))
        self.target = when
        self._go.clear()
        self._asleep.set()
        await self._go.wait()

    async def _settled(self) -> None:
        try:
            async with asyncio.timeout(2.0):
                await self._asleep.wait()
        except TimeoutError:
            if self.task is not None and self.task.done():
                raise AssertionError(f"the dispatcher loop ended: {self.task!r}") from None
            raise AssertionError("the dispatcher loop never went back to sleep") from None

    async def start(self) -> None:
        self.task = asyncio.create_task(self.dispatcher.run())
        await self._settled()

    async def wake(self) -> None:
        """As after `digest set`: wake the loop now, whatever it was waiting for."""
        self._asleep.clear()
        self._go.set()
        await self._settled()

    async def run_until(self, end: datetime, max_ticks: int = 2000) -> None:
        """Let the loop run, moving the clock to each wake-up it asks for, until `end`."""
        while self.target is not None and self.target <= end:
            if self.ticks > max_ticks:
                raise Spinning(f"{self.ticks} ticks; last wakes {self.wakes[-3:]}")
            self.clock.now = max(self.clock.now, self.target)
            await self.wake()
        self.clock.now = max(self.clock.now, end)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)

    def wakes_in_the_past(self) -> list[tuple[datetime, datetime]]:
        return [(at, wake) for at, wake in self.wakes if wake <= at]


class DayPoster(Poster):
    """Also records, for each digest that reaches the channel, the day it is for, when
    it went out and the zone in force."""

    def __init__(self, clock: Clock) -> None:
        super().__init__()
        self.clock = clock
        self.days: list[tuple[int, date]] = []
        self.posted_in: list[tuple[datetime, str]] = []

    async def send(
        self,
        sub: DigestSubscription,
        answer: Answer,
        claim: Delivery,
        pacer: Pacer,
        already: dict[int, int],
    ) -> int:
        before = len(self.posts)
        message = await super().send(sub, answer, claim, pacer, already)
        if len(self.posts) > before:
            self.days.append((sub.guild_id, claim.local_day))
            self.posted_in.append((self.clock.now, sub.tz))
        return message


def new_dispatcher(store: Store, poster: Poster, clock: Clock) -> DigestDispatcher:
    return DigestDispatcher(
        store, poster.send, poster.find_sent, clock, pacer=Pacer(rate=1e6, burst=10_000)
    )


async def set_digest(
    store: Store, guild: int, local: time, tz: str, at: datetime
) -> DigestSubscription:
    """What `digest set` stores (the cog's checks are tested end to end)."""
    await store.set_digest(guild, guild + 1, local, tz, Change(MOD, guild, at))
    found = await store.digest(guild)
    assert found is not None
    return found


# --- High 2: a zone change across the date line ----------------------------------------


def test_next_due_is_defined_for_any_last_sent_day() -> None:
    """A last day sent in another zone can be ahead of today in this one: the next due
    time is still found (it used to raise "a daily time recurs within three days")."""
    sub = DigestSubscription(
        guild_id=G_A,
        channel_id=2,
        local_time=time(9, 0),
        tz=GMT_MINUS_12,
        enabled=True,
        since=HALF_TEN,
        active_from=HALF_TEN,
        last_sent_day=date(2026, 11, 28),  # Kiritimati's day
        last_sent_at=HALF_TEN,
    )
    found = next_due(sub, HALF_TEN)
    assert found > HALF_TEN


async def test_zone_change_across_the_date_line_after_digest_now(store: Store) -> None:
    """The review's sequence at 10:30 UTC: set 09:00 Kiritimati, `digest now`, set 09:00
    UTC-12. The loop keeps running, the next digest is the next local day's in the new
    zone (09:00 on 27 November at UTC-12 is 21:00 UTC), and it goes out once."""
    clock = Clock(HALF_TEN)
    poster = DayPoster(clock)
    digests = new_dispatcher(store, poster, clock)
    loop = SimLoop(digests, clock)
    await set_digest(store, G_A, time(9, 0), KIRITIMATI, HALF_TEN)
    await loop.start()
    sub = await store.digest(G_A)
    assert sub is not None and await digests.send_now(sub) is True
    sent = await store.digest(G_A)
    assert sent is not None and sent.last_sent_day == date(2026, 11, 28)
    sub = await set_digest(store, G_A, time(9, 0), GMT_MINUS_12, HALF_TEN)
    # the digest posted at 22:30 on the 26th (UTC-12 reckoning) was that day's there
    assert sub.last_sent_day == date(2026, 11, 26)
    assert next_due(sub, HALF_TEN) == datetime(2026, 11, 27, 21, 0, tzinfo=UTC)
    await loop.wake()
    await loop.run_until(HALF_TEN + timedelta(days=2))
    assert not loop.task.done()  # type: ignore[union-attr]
    days = [day for _, day in poster.days]
    assert days == [date(2026, 11, 28), date(2026, 11, 27), date(2026, 11, 28)]
    assert poster.attempts == [G_A, G_A, G_A]
    assert loop.wakes_in_the_past() == []
    await loop.stop()


async def test_one_servers_broken_schedule_does_not_stop_the_others(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A row whose zone no longer exists (planted directly: the store was written by
    another version, or the zone database changed) is logged with an error id and
    skipped; the other server's digest goes out and the loop keeps running."""
    await set_digest(store, G_A, time(9, 0), SEOUL, HALF_TEN)
    await set_digest(store, G_B, time(9, 0), SEOUL, HALF_TEN)
    async with store.transaction() as conn:
        await conn.execute(
            "UPDATE digest_subscriptions SET tz = 'Mars/Olympus' WHERE guild_id = ?", (G_A,)
        )
    clock = Clock(HALF_TEN)
    poster = DayPoster(clock)
    loop = SimLoop(new_dispatcher(store, poster, clock), clock)
    with caplog.at_level(logging.ERROR, logger="bot.digests"):
        await loop.start()
        await loop.run_until(HALF_TEN + timedelta(days=1))
    assert not loop.task.done()  # type: ignore[union-attr]
    assert poster.count(G_B) == 1 and poster.count(G_A) == 0
    errors = [r for r in caplog.records if str(G_A) in r.getMessage()]
    assert errors and all("error " in r.getMessage() for r in errors)
    assert len(errors) <= 3  # logged, not once per tick
    await loop.stop()


async def test_the_loop_is_restarted_if_it_ever_ends(
    store: Store, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    await set_digest(store, G_A, time(9, 0), SEOUL, HALF_TEN)
    clock, poster = Clock(datetime(2026, 11, 28, 0, 0, tzinfo=UTC)), Poster()
    digests = new_dispatcher(store, poster, clock)
    real_run = digests.run
    runs = []

    async def run_that_dies_once() -> None:
        runs.append(1)
        if len(runs) == 1:
            raise RuntimeError("the loop fell over")
        await real_run()

    monkeypatch.setattr(digests, "run", run_that_dies_once)
    with caplog.at_level(logging.ERROR, logger="bot.digests"):
        task = asyncio.create_task(digests.run_forever(pause=0.01))
        for _ in range(300):
            if poster.sent:
                break
            await asyncio.sleep(0.01)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    assert len(runs) == 2 and poster.count(G_A) == 1
    [ended] = [r for r in caplog.records if "restart" in r.getMessage()]
    assert "error " in ended.getMessage() and ended.exc_info


# --- High 3: after a skipped day -------------------------------------------------------


async def test_after_a_skipped_day_the_loop_does_not_spin(store: Store) -> None:
    """The bot comes back seven hours after 09:00 KST (so 1 December is skipped), and a
    moderator then moves the time to 18:00 KST. Over the next simulated day the loop
    wakes a bounded number of times, always in the future, writes a handful of times,
    and posts that day's digest once (it was not posted: skipped is not sent)."""
    set_at = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    await set_digest(store, G_A, time(9, 0), SEOUL, set_at)
    back = datetime(2026, 12, 1, 7, 0, tzinfo=UTC)  # 16:00 KST, seven hours late
    clock = Clock(back)
    poster = DayPoster(clock)
    digests = new_dispatcher(store, poster, clock)
    loop = SimLoop(digests, clock)
    await loop.start()
    skipped = await store.delivery(G_A, date(2026, 12, 1))
    assert skipped is not None and skipped.state == "skipped"
    clock.now = back + timedelta(minutes=10)
    await set_digest(store, G_A, time(18, 0), SEOUL, clock.now)
    writes_before, ticks_before = store.generation, loop.ticks
    await loop.wake()
    await loop.run_until(back + timedelta(days=1))
    ticks, writes = loop.ticks - ticks_before, store.generation - writes_before
    assert loop.wakes_in_the_past() == []
    assert ticks <= 24 * 12 + 10, f"{ticks} ticks in a simulated day"
    assert writes <= 6, f"{writes} write transactions in a simulated day"
    assert [day for _, day in poster.days] == [date(2026, 12, 1)]
    await loop.stop()


async def test_digest_now_after_a_skipped_day_posts_it(store: Store) -> None:
    """Today's digest was skipped (the bot was down); `digest now` posts it and says so,
    instead of claiming it was already posted."""
    await set_digest(store, G_A, time(9, 0), SEOUL, datetime(2026, 11, 30, 12, tzinfo=UTC))
    clock, poster = Clock(datetime(2026, 12, 1, 7, 0, tzinfo=UTC)), Poster()
    digests = new_dispatcher(store, poster, clock)
    assert (await digests.tick()).skipped == [G_A]
    sub = await store.digest(G_A)
    assert sub is not None
    assert await digests.send_now(sub) is True
    assert poster.count(G_A) == 1
    assert await digests.send_now(sub) is False  # now it really was posted
    delivery = await store.delivery(G_A, date(2026, 12, 1))
    assert delivery is not None and delivery.state == "sent"


async def test_skipped_day_is_written_once_not_on_every_tick(store: Store) -> None:
    await set_digest(store, G_A, time(9, 0), SEOUL, datetime(2026, 11, 30, 12, tzinfo=UTC))
    clock, poster = Clock(datetime(2026, 12, 1, 7, 0, tzinfo=UTC)), Poster()
    digests = new_dispatcher(store, poster, clock)
    await digests.tick()
    before = store.generation
    for _ in range(20):
        clock.now += timedelta(minutes=5)
        await digests.tick()
    assert store.generation == before


async def test_a_day_recorded_sent_but_still_due_backs_off(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """Whatever leaves a day due after the pass that handled it (here a 'sent' record
    planted without the setting's last day: what a zone change used to leave), the loop
    backs off and logs it with an error id instead of waking again at once."""
    await set_digest(store, G_A, time(9, 0), SEOUL, datetime(2026, 11, 30, 12, tzinfo=UTC))
    async with store.transaction() as conn:
        await conn.execute(
            "INSERT INTO digest_deliveries(guild_id, local_day, state, nonce, message_id, at)"
            " VALUES (?, '2026-12-01', 'sent', 'x', 1, '2026-11-28T00:00:00+00:00')",
            (G_A,),
        )
    clock = Clock(datetime(2026, 12, 1, 0, 0, tzinfo=UTC))
    poster = DayPoster(clock)
    loop = SimLoop(new_dispatcher(store, poster, clock), clock)
    with caplog.at_level(logging.ERROR, logger="bot.digests"):
        await loop.start()
        before = store.generation
        await loop.run_until(clock.now + timedelta(hours=6))
    assert loop.wakes_in_the_past() == []
    assert loop.ticks < 100 and store.generation - before < 20
    stuck = [r for r in caplog.records if "still due" in r.getMessage()]
    assert stuck and "error " in stuck[0].getMessage()
    assert poster.posts == []
    await loop.stop()


# --- the property ----------------------------------------------------------------------

ZONES = [SEOUL, KIRITIMATI, GMT_MINUS_12, "America/New_York", "Australia/Lord_Howe", "UTC"]


action = st.one_of(
    st.tuples(
        st.just("set"),
        st.sampled_from(ZONES),
        st.integers(0, 23),
        st.sampled_from([0, 30, 59]),
    ),
    st.tuples(st.just("now")),
    st.tuples(st.just("restart")),
    st.tuples(st.just("jump"), st.integers(-30, 30)),  # hours, either way
)
steps = st.lists(st.tuples(st.integers(0, 30 * 60), action), min_size=1, max_size=10)
guild_ids = iter(range(10_000_000, 20_000_000))


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(script=steps)
@example(  # the review's sequence, then `digest now` again in the new zone
    script=[
        (0, ("set", KIRITIMATI, 9, 0)),
        (0, ("now",)),
        (0, ("set", GMT_MINUS_12, 9, 0)),
        (0, ("now",)),
    ]
)
@example(  # and back again across the date line
    script=[
        (0, ("set", GMT_MINUS_12, 23, 30)),
        (60, ("now",)),
        (0, ("set", KIRITIMATI, 0, 0)),
        (0, ("now",)),
        (600, ("set", GMT_MINUS_12, 9, 0)),
        (0, ("now",)),
    ]
)
async def test_property_loop_survives_and_one_digest_per_local_day(
    store: Store, monkeypatch: pytest.MonkeyPatch, script: list[tuple[int, tuple]]
) -> None:
    """Random `digest set` (any zone, any time), `digest now`, restarts and clock jumps
    (forwards and back), each after a random wait: the loop never ends, never wakes in
    the past, and each digest is for a later local day than the one before it, counted
    in the zone in force when it is posted (the day of the previous digest in that zone:
    its own day if the zone is the same, else the local date it went out on)."""
    # Fewer idle wake-ups keep a simulated week quick; due times still wake it.
    monkeypatch.setattr(digests_module, "IDLE_CHECK", timedelta(hours=3))
    guild = next(guild_ids)
    clock = Clock(HALF_TEN)
    poster = DayPoster(clock)
    await set_digest(store, guild, time(9, 0), SEOUL, clock.now)
    loop = SimLoop(new_dispatcher(store, poster, clock), clock)
    await loop.start()
    try:
        for wait, (kind, *args) in script:
            await loop.run_until(clock.now + timedelta(minutes=wait))
            if kind == "set":
                zone_name, hour, minute = args
                await set_digest(store, guild, time(hour, minute), zone_name, clock.now)
                await loop.wake()
            elif kind == "now":
                sub = await store.digest(guild)
                assert sub is not None
                await loop.dispatcher.send_now(sub)
            elif kind == "restart":
                await loop.stop()
                loop = SimLoop(new_dispatcher(store, poster, clock), clock)
                await loop.start()
            else:
                clock.now += timedelta(hours=args[0])
                await loop.wake()
            assert not loop.task.done()  # type: ignore[union-attr]
        await loop.run_until(clock.now + timedelta(days=2))
        assert not loop.task.done()  # type: ignore[union-attr]
        assert loop.wakes_in_the_past() == []
    finally:
        await loop.stop()
    posts = [
        (at, day, tz)
        for (g, day), (at, tz) in zip(poster.days, poster.posted_in, strict=True)
        if g == guild
    ]
    for (at1, day1, tz1), (_, day2, tz2) in itertools.pairwise(posts):
        before = day1 if tz1 == tz2 else local_day(at1, tz2)
        assert day2 > before, f"two digests for one local day: {posts}"


async def test_a_digest_is_titled_with_its_local_day(store: Store) -> None:
    """At 10:30 UTC on the 27th it is already the 28th in Kiritimati: that server's
    digest says 28 November, not the UTC date."""
    await set_digest(store, G_A, time(9, 0), KIRITIMATI, HALF_TEN)
    clock = Clock(HALF_TEN)
    poster = DayPoster(clock)
    sub = await store.digest(G_A)
    assert sub is not None
    assert await new_dispatcher(store, poster, clock).send_now(sub)
    [(_, _, answer)] = poster.sent
    assert answer.day == date(2026, 11, 28)
    assert render_pages(answer)[0].embed.title == "Daily briefing, 28 November 2026"
