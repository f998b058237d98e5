"""The digest dispatcher (bot.digests) over a real store with a fake `send`/`find_sent`
and a controllable clock: once a day per server through restarts, crashes, outages,
DST, lost channels and failing or hanging servers; what a digest says
(bot.briefing.digest); and the Pacer's rate."""

from __future__ import annotations

import asyncio
import logging
import time as monotime
from datetime import UTC, date, datetime, time, timedelta
from types import SimpleNamespace

import pytest

from bot import briefing, moderation, pacing
from bot import digests as digests_module
from bot.answers import Answer
from bot.digests import ChannelGone, DigestDispatcher, nonce_for
from bot.models import Change, Delivery, DigestSubscription
from bot.pacing import Pacer
from bot.render.embeds import line_markdown, render_pages
from bot.schedule import next_due
from bot.store import Store
from tests.conftest import asking, wait_until
from tests.fakediscord.botmessages import _validate_embeds

G_A = 111_111_111_111
G_B = 222_222_222_222
MOD = 1001
CURATOR = 9009
SEOUL = "Asia/Seoul"

SET_AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 21:00 KST, 30 November
DUE = datetime(2026, 12, 1, 0, 0, tzinfo=UTC)  # 09:00 KST, 1 December
DAY = date(2026, 12, 1)

ARTICLE = (
    "Officials in Seoul said on Monday that the talks would resume next week.\n"
    "Analysts doubt that sanctions relief is on the table before the summit.\n"
    "The envoys will meet again in Panmunjom, a ministry spokesman said."
)
QUOTE = "Officials in Seoul said on Monday that the talks would resume next week."
SANCTIONS_QUOTE = "Analysts doubt that sanctions relief is on the table before the summit."
MEETING_QUOTE = "The envoys will meet again in Panmunjom"
# Requests per second a bot may make to Discord in all (its global rate limit).
DISCORD_GLOBAL_RATE = 50


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


class Crash(BaseException):
    """The process dies: nothing after this point runs (not even `except Exception`)."""


class Poster:
    """A fake channel poster. `posted` is what reached the channel, by (guild, nonce);
    `sent` lists each successful send; `fail`, `hang`, `crash_after_post` misbehave."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, Answer]] = []
        self.attempts: list[int] = []
        self.posted: dict[tuple[int, str], int] = {}
        self.posts: list[tuple[int, str]] = []  # every post that reached the channel
        self.found: list[tuple[int, str]] = []
        self.fail: dict[int, BaseException] = {}
        self.hang: set[int] = set()
        self.post_then_hang: set[int] = set()
        self.crash_after_post: set[int] = set()
        self.find_fails = 0
        self._next = 5000

    async def send(
        self,
        sub: DigestSubscription,
        answer: Answer,
        claim: Delivery,
        pacer: Pacer,
        already: dict[int, int],
    ) -> int:
        if 0 in already:  # a one-page digest that already got out: nothing to post
            return already[0]
        nonce = claim.nonce
        await pacer.acquire()
        self.attempts.append(sub.guild_id)
        if sub.guild_id in self.hang:
            await asyncio.Event().wait()
        if sub.guild_id in self.fail:
            raise self.fail[sub.guild_id]
        self._next += 1
        self.posted[(sub.guild_id, nonce)] = self._next
        self.posts.append((sub.guild_id, nonce))
        if sub.guild_id in self.post_then_hang:
            await asyncio.Event().wait()  # the post went out; its answer never comes
        if sub.guild_id in self.crash_after_post:
            raise Crash
        self.sent.append((sub.guild_id, nonce, answer))
        return self._next

    async def find_sent(self, sub: DigestSubscription, delivery: Delivery) -> dict[int, int]:
        self.found.append((sub.guild_id, delivery.nonce))
        if self.find_fails:
            self.find_fails -= 1
            raise RuntimeError("Discord answered 503 while reading the channel history")
        message = self.posted.get((sub.guild_id, delivery.nonce))
        return {0: message} if message is not None else {}

    def count(self, guild: int) -> int:
        return sum(1 for g, _, _ in self.sent if g == guild)

    def reached_channel(self, guild: int) -> int:
        return sum(1 for g, _ in self.posts if g == guild)


def dispatcher(store: Store, poster: Poster, clock: Clock, **kw) -> DigestDispatcher:
    return DigestDispatcher(
        store, poster.send, poster.find_sent, clock, pacer=Pacer(rate=1e6, burst=10_000), **kw
    )


def change(guild: int | None = G_A, at: datetime = SET_AT, actor: int = MOD) -> Change:
    return Change(actor_id=actor, guild_id=guild, at=at)


async def subscribe(
    store: Store,
    guild: int = G_A,
    local: time = time(9, 0),
    tz: str = SEOUL,
    at: datetime = SET_AT,
    channel: int | None = None,
) -> DigestSubscription:
    await store.set_digest(guild, channel or guild + 1, local, tz, change(guild, at))
    found = await store.digest(guild)
    assert found is not None
    return found


async def add_source(store: Store, guild: int | None, at: datetime) -> int:
    actor = CURATOR if guild is None else MOD
    return await moderation.add_source(
        store, change(guild, at, actor), title="Talks to resume", text=ARTICLE
    )


async def add_fact(
    store: Store,
    guild: int | None,
    at: datetime,
    statement: str,
    source: int | None = None,
    quote: str = QUOTE,
    topic: str = "talks",
) -> int:
    source = source or await add_source(store, guild, at)
    actor = CURATOR if guild is None else MOD
    return await moderation.add_fact(
        store,
        change(guild, at, actor),
        subject="Kim Jong Un",
        statement=statement,
        kind="reported",
        source=source,
        quote=quote,
        topic=topic,
    )


def fact_ids_of(answer: Answer) -> set[int]:
    return {line.fact_id for s in answer.sections for line in s.lines if line.fact_id}


def text_of(answer: Answer) -> str:
    parts = [answer.title, answer.intro]
    for section in answer.sections:
        parts.append(section.heading)
        parts += [line_markdown(line) for line in section.lines]
    return "\n".join(parts)


# --- delivered once a day --------------------------------------------------------------


async def test_delivered_once_at_the_set_time(store: Store) -> None:
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE - timedelta(minutes=1))
    digests = dispatcher(store, poster, clock)
    assert (await digests.tick()).sent == []
    clock.now = DUE
    report = await digests.tick()
    assert report.sent == [G_A] and poster.count(G_A) == 1
    [(_, nonce, answer)] = poster.sent
    assert nonce == nonce_for(G_A, DAY) and len(nonce) <= 25
    assert answer.title == "Daily briefing" and answer.day == DAY
    assert render_pages(answer)[0].embed.title == "Daily briefing, 1 December 2026"
    delivery = await store.delivery(G_A, DAY)
    assert delivery is not None and delivery.state == "sent" and delivery.message_id == 5001
    sub = await store.digest(G_A)
    assert sub is not None and sub.last_sent_day == DAY and sub.last_sent_at == DUE
    for later in (timedelta(minutes=1), timedelta(hours=5), timedelta(hours=14, minutes=59)):
        clock.now = DUE + later  # the rest of 1 December in Seoul
        assert (await digests.tick()).sent == []
    assert poster.count(G_A) == 1
    clock.now = DUE + timedelta(days=1)
    assert (await digests.tick()).sent == [G_A]
    assert poster.sent[-1][1] == nonce_for(G_A, date(2026, 12, 2))


async def test_second_tick_same_day_sends_nothing(store: Store) -> None:
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE + timedelta(seconds=30))
    digests = dispatcher(store, poster, clock)
    await digests.tick()
    await digests.tick()
    clock.now += timedelta(hours=3)
    await digests.tick()
    assert poster.count(G_A) == 1


async def test_digest_now_racing_the_scheduled_send_posts_once(store: Store) -> None:
    sub = await subscribe(store)
    poster = Poster()
    digests = dispatcher(store, poster, Clock(DUE))
    await asyncio.gather(digests.tick(), digests.send_now(sub))
    assert poster.reached_channel(G_A) == 1


async def test_restart_before_due_sends_at_due(store: Store) -> None:
    await subscribe(store)
    clock = Clock(DUE - timedelta(hours=1))
    first = Poster()
    await dispatcher(store, first, clock).tick()
    assert first.sent == []
    second = Poster()  # a new process: new dispatcher, same store
    clock.now = DUE
    assert (await dispatcher(store, second, clock).tick()).sent == [G_A]
    assert second.count(G_A) == 1 and second.found == []


async def test_restart_after_sending_does_not_send_again(store: Store) -> None:
    await subscribe(store)
    clock = Clock(DUE)
    first = Poster()
    await dispatcher(store, first, clock).tick()
    clock.now = DUE + timedelta(minutes=10)
    second = Poster()
    await dispatcher(store, second, clock).tick()
    assert first.count(G_A) == 1 and second.sent == [] and second.found == []


async def test_crash_after_claim_before_send_sends_once(store: Store) -> None:
    await subscribe(store)
    nonce = nonce_for(G_A, DAY)
    assert await store.claim_delivery(G_A, DAY, nonce, DUE) is None  # then the process died
    poster, clock = Poster(), Clock(DUE + timedelta(minutes=2))
    report = await dispatcher(store, poster, clock).tick()
    assert poster.found == [(G_A, nonce)]  # looked for it first: not there
    assert report.sent == [G_A] and poster.count(G_A) == 1
    assert poster.sent[0][1] == nonce  # the same nonce as the claim
    assert (await store.delivery(G_A, DAY)).state == "sent"  # type: ignore[union-attr]


async def test_crash_after_send_before_finish_is_not_resent(store: Store) -> None:
    await subscribe(store)
    nonce = nonce_for(G_A, DAY)
    await store.claim_delivery(G_A, DAY, nonce, DUE)
    poster = Poster()
    poster.posted[(G_A, nonce)] = 777  # it reached the channel; finish_delivery never ran
    clock = Clock(DUE + timedelta(minutes=3))
    report = await dispatcher(store, poster, clock).tick()
    assert report.sent == [] and poster.attempts == []
    delivery = await store.delivery(G_A, DAY)
    assert delivery is not None and delivery.state == "sent" and delivery.message_id == 777
    sub = await store.digest(G_A)
    assert sub is not None and sub.last_sent_day == DAY
    clock.now += timedelta(hours=1)
    await dispatcher(store, poster, clock).tick()
    assert poster.attempts == []


async def test_process_dies_mid_send_then_restart_does_not_post_twice(store: Store) -> None:
    await subscribe(store)
    clock = Clock(DUE)
    first = Poster()
    first.crash_after_post.add(G_A)
    with pytest.raises(Crash):
        await dispatcher(store, first, clock).tick()
    assert (await store.delivery(G_A, DAY)).state == "sending"  # type: ignore[union-attr]
    second = Poster()
    second.posted = dict(first.posted)  # the channel still holds what got out
    second.posts = list(first.posts)
    clock.now = DUE + timedelta(minutes=1)
    await dispatcher(store, second, clock).tick()
    assert second.attempts == [] and second.reached_channel(G_A) == 1
    assert (await store.delivery(G_A, DAY)).state == "sent"  # type: ignore[union-attr]


async def test_transient_error_during_crash_recovery_never_posts_twice(store: Store) -> None:
    await subscribe(store)
    nonce = nonce_for(G_A, DAY)
    await store.claim_delivery(G_A, DAY, nonce, DUE)
    poster = Poster()
    poster.posted[(G_A, nonce)] = 777  # the crashed process got it out
    poster.posts.append((G_A, nonce))
    poster.find_fails = 1  # the first look at the channel history fails (503)
    clock = Clock(DUE + timedelta(minutes=20))
    digests = dispatcher(store, poster, clock)
    await digests.tick()
    clock.now += timedelta(minutes=1)
    await digests.tick()
    assert poster.reached_channel(G_A) == 1 and poster.attempts == []


async def test_send_timing_out_after_post_is_not_posted_again(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(digests_module, "SEND_TIMEOUT", 0.1)
    await subscribe(store)
    poster = Poster()
    poster.post_then_hang.add(G_A)
    clock = Clock(DUE)
    digests = dispatcher(store, poster, clock)
    await digests.tick()
    poster.post_then_hang.clear()
    clock.now += timedelta(minutes=10)
    await digests.tick()
    assert poster.reached_channel(G_A) == 1


# --- outages and grace -----------------------------------------------------------------


async def test_down_five_hours_sends_once_when_back(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE + timedelta(hours=5))
    digests = dispatcher(store, poster, clock)
    with caplog.at_level(logging.INFO, logger="bot.digests"):
        report = await digests.tick()
        clock.now += timedelta(minutes=5)
        await digests.tick()
    assert report.sent == [G_A] and report.skipped == [] and poster.count(G_A) == 1
    assert "skipped" not in caplog.text


async def test_down_seven_hours_skips_and_logs_then_next_day_works(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE + timedelta(hours=7))
    digests = dispatcher(store, poster, clock)
    with caplog.at_level(logging.INFO, logger="bot.digests"):
        report = await digests.tick()
        clock.now += timedelta(minutes=5)
        again = await digests.tick()
    assert report.skipped == [G_A] and report.sent == [] and poster.attempts == []
    assert again.skipped == []  # logged once, not on every tick
    skips = [r for r in caplog.records if "skipped" in r.getMessage()]
    assert len(skips) == 1 and skips[0].levelno == logging.WARNING
    assert str(G_A) in skips[0].getMessage() and "2026-12-01" in skips[0].getMessage()
    delivery = await store.delivery(G_A, DAY)
    assert delivery is not None and delivery.state == "skipped"
    sub = await store.digest(G_A)
    assert sub is not None and sub.since == SET_AT  # the skipped day's news is kept
    assert next_due(sub, clock.now) == DUE + timedelta(days=1)
    clock.now = DUE + timedelta(days=1)
    assert (await digests.tick()).sent == [G_A]
    assert poster.sent[0][1] == nonce_for(G_A, date(2026, 12, 2))


async def test_down_over_midnight_sends_yesterdays_once(store: Store) -> None:
    # 23:00 KST digest; the bot is back at 01:30 KST the next day
    await subscribe(store, local=time(23, 0))
    poster = Poster()
    clock = Clock(datetime(2026, 12, 1, 16, 30, tzinfo=UTC))
    digests = dispatcher(store, poster, clock)
    assert (await digests.tick()).sent == [G_A]
    assert poster.sent[0][1] == nonce_for(G_A, DAY)
    clock.now += timedelta(hours=1)
    await digests.tick()
    assert poster.count(G_A) == 1


# --- daylight saving -------------------------------------------------------------------


async def test_spring_forward_0230_goes_out_once_at_0330(store: Store) -> None:
    ny = "America/New_York"
    await subscribe(store, local=time(2, 30), tz=ny, at=datetime(2026, 3, 7, 12, tzinfo=UTC))
    poster = Poster()
    clock = Clock(datetime(2026, 3, 8, 7, 29, tzinfo=UTC))  # 03:29 EDT
    digests = dispatcher(store, poster, clock)
    assert (await digests.tick()).sent == []
    clock.now = datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # 03:30 EDT: 02:30 + the gap
    assert (await digests.tick()).sent == [G_A]
    while clock.now < datetime(2026, 3, 9, 4, 0, tzinfo=UTC):  # the rest of 8 March
        clock.now += timedelta(minutes=30)
        await digests.tick()
    assert poster.count(G_A) == 1
    clock.now = datetime(2026, 3, 9, 6, 30, tzinfo=UTC)  # 02:30 EDT on 9 March
    assert (await digests.tick()).sent == [G_A]


async def test_fall_back_0130_goes_out_at_the_first_only(store: Store) -> None:
    ny = "America/New_York"
    await subscribe(store, local=time(1, 30), tz=ny, at=datetime(2026, 10, 31, 12, tzinfo=UTC))
    poster = Poster()
    clock = Clock(datetime(2026, 11, 1, 5, 30, tzinfo=UTC))  # 01:30 EDT
    digests = dispatcher(store, poster, clock)
    assert (await digests.tick()).sent == [G_A]
    clock.now = datetime(2026, 11, 1, 6, 30, tzinfo=UTC)  # 01:30 EST, the second time
    assert (await digests.tick()).sent == []
    assert poster.count(G_A) == 1


# --- lost channels, failing and hanging servers ----------------------------------------


async def test_channel_gone_disables_with_reason_and_marks_untold(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(store)
    poster, told = Poster(), []
    poster.fail[G_A] = ChannelGone("channel 5 was deleted")
    digests = dispatcher(store, poster, Clock(DUE), on_disabled=told.append)
    with caplog.at_level(logging.WARNING, logger="bot.digests"):
        report = await digests.tick()
    assert report.disabled == [G_A] and report.sent == [] and told == [G_A]
    sub = await store.digest(G_A)
    assert sub is not None and not sub.enabled
    assert sub.disabled_reason == "channel 5 was deleted" and not sub.reason_told
    assert await store.untold_digest_problems() == {G_A}
    assert await store.delivery(G_A, DAY) is None
    assert "disabled" in caplog.text and str(G_A) in caplog.text
    poster.fail.clear()
    await digests.tick()
    assert poster.attempts == [G_A]  # not tried again while off
    await store.mark_reason_told(G_A)
    assert await store.untold_digest_problems() == set()


async def test_one_failing_server_is_released_and_retried_others_delivered(
    store: Store,
) -> None:
    guilds = [10_000 + n for n in range(51)]
    for guild in guilds:
        await subscribe(store, guild)
    bad = guilds[17]
    poster = Poster()
    poster.fail[bad] = RuntimeError("500 Internal Server Error")
    clock = Clock(DUE)
    digests = dispatcher(store, poster, clock)
    report = await digests.tick()
    assert sorted(report.sent) == sorted(g for g in guilds if g != bad)
    assert report.failed == [bad]
    # The claim stays, so the retry first looks for what may have got out.
    assert (await store.delivery(bad, DAY)).state == "sending"
    poster.fail.clear()
    clock.now += timedelta(minutes=1)
    report = await digests.tick()
    assert report.sent == [bad]
    assert all(poster.count(g) == 1 for g in guilds)


async def test_a_hanging_server_does_not_hold_up_the_others(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    timeout = 1.0
    monkeypatch.setattr(digests_module, "SEND_TIMEOUT", timeout)
    guilds = [20_000 + n for n in range(40)]
    for guild in guilds:
        await subscribe(store, guild)
    stuck = guilds[0]
    poster = Poster()
    poster.hang.add(stuck)
    clock = Clock(DUE)
    digests = dispatcher(store, poster, clock)
    tick = asyncio.create_task(digests.tick())
    # the others are all sent while the stuck one still hangs…
    await wait_until(lambda: len(poster.sent) == len(guilds) - 1, timeout, "the others")
    assert not tick.done()
    # …and the tick ends when the stuck send times out (it hangs for ever otherwise)
    report = await asyncio.wait_for(tick, 2 * timeout)
    assert sorted(report.sent) == sorted(guilds[1:]) and report.failed == [stuck]
    poster.hang.clear()
    clock.now += timedelta(minutes=1)
    assert (await digests.tick()).sent == [stuck]


async def finish_a_pass(digests: DigestDispatcher) -> None:
    """Wake the running loop and wait until it has made a pass and sleeps again (it
    clears its wake-up only when it goes back to sleep)."""
    digests.wake()
    await wait_until(lambda: not digests._wake.is_set(), 5, "the digest loop's pass")


async def test_run_loop_delivers_and_wakes(store: Store) -> None:
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE)
    digests = dispatcher(store, poster, clock)
    task = asyncio.create_task(digests.run())
    try:
        await wait_until(lambda: bool(poster.sent), 5, "the due digest")
        await finish_a_pass(digests)
        assert poster.count(G_A) == 1
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_run_loop_backs_off_from_a_failing_server(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    """A server whose sends fail is tried again RETRY_FIRST later, then twice that later,
    by the injected clock: not on every pass of the loop."""
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE)
    poster.fail[G_A] = RuntimeError("500 Internal Server Error")
    digests = dispatcher(store, poster, clock)
    caplog.set_level(logging.CRITICAL, logger="bot.digests")
    first, second = digests_module.RETRY_FIRST, 2 * digests_module.RETRY_FIRST
    just = timedelta(seconds=1)
    task = asyncio.create_task(digests.run())
    try:
        await wait_until(lambda: len(poster.attempts) == 1, 5, "the first attempt")
        for moved, attempts in [(first - just, 1), (just, 2), (second - just, 2), (just, 3)]:
            clock.now += moved
            await finish_a_pass(digests)
            assert len(poster.attempts) == attempts, (clock.now - DUE, poster.attempts)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


# --- digest now ------------------------------------------------------------------------


async def test_digest_now_counts_as_todays(store: Store) -> None:
    sub = await subscribe(store)
    poster = Poster()
    clock = Clock(DUE - timedelta(hours=2))  # 07:00 KST
    digests = dispatcher(store, poster, clock)
    assert await digests.send_now(sub) is True
    assert await digests.send_now(sub) is False
    sub = await store.digest(G_A)
    assert sub is not None and next_due(sub, clock.now) == DUE + timedelta(days=1)
    clock.now = DUE
    assert (await digests.tick()).sent == []
    assert poster.count(G_A) == 1


async def test_a_failed_digest_now_is_retried_at_the_scheduled_time(store: Store) -> None:
    sub = await subscribe(store)
    poster = Poster()
    poster.fail[G_A] = RuntimeError("500")
    clock = Clock(DUE - timedelta(hours=2))
    digests = dispatcher(store, poster, clock)
    with pytest.raises(RuntimeError):
        await digests.send_now(sub)
    # The claim stays, so the retry first looks for what may have got out.
    assert (await store.delivery(G_A, DAY)).state == "sending"
    poster.fail.clear()
    clock.now = DUE
    assert (await digests.tick()).sent == [G_A]


async def test_changing_the_time_to_one_already_past_today_starts_tomorrow(
    store: Store,
) -> None:
    await subscribe(store, local=time(18, 0), at=datetime(2026, 11, 29, tzinfo=UTC))
    poster = Poster()
    clock = Clock(datetime(2026, 11, 30, 9, 0, tzinfo=UTC))  # 18:00 KST 30 Nov
    digests = dispatcher(store, poster, clock)
    await digests.tick()
    assert poster.count(G_A) == 1
    clock.now = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)  # 12:00 KST 1 Dec
    sub = await subscribe(store, local=time(9, 0), at=clock.now)  # moderator: now 09:00
    assert next_due(sub, clock.now) == DUE + timedelta(days=1)
    await digests.tick()
    assert poster.count(G_A) == 1


async def test_turning_back_on_after_off_days_does_not_log_downtime(
    store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    await subscribe(store)
    poster, clock = Poster(), Clock(DUE)
    digests = dispatcher(store, poster, clock)
    await digests.tick()
    await store.disable_digest(G_A, None, change(at=DUE + timedelta(hours=1)))
    clock.now = DUE + timedelta(days=2, hours=5)  # 14:00 KST 3 Dec
    with caplog.at_level(logging.WARNING, logger="bot.digests"):
        await subscribe(store, at=clock.now)
        report = await digests.tick()
    assert report.sent == [] and report.skipped == []
    assert "down" not in caplog.text


# --- what a digest says ----------------------------------------------------------------


async def test_moderators_change_goes_to_their_servers_digest_only(store: Store) -> None:
    await subscribe(store, G_A)
    await subscribe(store, G_B)
    statement = "Officials in Seoul say the talks resume next week (server A's note)."
    fact_id = await add_fact(store, G_A, SET_AT + timedelta(hours=1), statement)
    poster = Poster()
    clock = Clock(DUE)
    digests = dispatcher(store, poster, clock)
    report = await digests.tick()
    assert sorted(report.sent) == sorted([G_A, G_B])
    answers = {guild: answer for guild, _, answer in poster.sent}
    a_text, b_text = text_of(answers[G_A]), text_of(answers[G_B])
    assert statement in a_text and fact_id in fact_ids_of(answers[G_A])
    assert "Added since the last digest" in a_text
    assert statement not in b_text and fact_id not in fact_ids_of(answers[G_B])
    assert "Talks to resume" not in " ".join(s.title for s in answers[G_B].sources)
    # cited: the line has a marker whose quote is verbatim in A's source
    [line] = [ln for s in answers[G_A].sections for ln in s.lines if statement in ln.text]
    assert line.markers
    assert any(ref.quote == QUOTE for ref in answers[G_A].refs)
    # once delivered it is no longer news
    clock.now = DUE + timedelta(days=1)
    await digests.tick()
    assert statement not in text_of(poster.sent[-1][2])


async def test_shared_change_goes_to_every_server(store: Store) -> None:
    await subscribe(store, G_A)
    await subscribe(store, G_B)
    statement = "Talks are to resume next week, according to officials in Seoul."
    await add_fact(store, None, SET_AT + timedelta(hours=2), statement)
    poster = Poster()
    await dispatcher(store, poster, Clock(DUE)).tick()
    assert all(statement in text_of(answer) for _, _, answer in poster.sent)
    assert len(poster.sent) == 2


def fresh_base() -> datetime:
    """A time after the curated data was imported (the importer stamps the wall clock),
    so that only what a test changes counts as news."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)


async def test_corrected_and_retracted_are_labelled(store: Store) -> None:
    base = fresh_base()
    source = await add_source(store, G_A, base)
    kept = await add_fact(store, G_A, base, "Statement to be corrected soon.", source)
    gone = await add_fact(store, G_A, base, "Statement to be retracted soon.", source)
    later = change(G_A, base + timedelta(hours=2))
    await moderation.edit_fact(store, later, kept, statement="Statement after correction.")
    await moderation.retract_fact(store, Change(MOD, G_A, base + timedelta(hours=2), "wrong"), gone)
    answer = await briefing.digest(
        store, asking(G_A, base + timedelta(hours=3)), base + timedelta(hours=1)
    )
    headings = {s.heading: s for s in answer.sections}
    assert "Statement after correction." in text_of(answer)
    corrected = headings["Corrected since the last digest"]
    retracted = headings["Retracted since the last digest"]
    assert any(line.fact_id == kept for line in corrected.lines)
    assert any(line.fact_id == gone for line in retracted.lines)
    assert answer.intro.startswith("What changed")


async def test_nothing_changed_gives_a_cited_standing_summary(store: Store) -> None:
    base = fresh_base()
    answer = await briefing.digest(store, asking(G_A, base + timedelta(hours=1)), base)
    assert answer.intro.startswith("Nothing changed")
    headings = [s.heading for s in answer.sections]
    assert headings[0] == "Key actors" and "Sanctions" in headings
    assert any(h in headings for h in ("Next meeting", "Most recent meeting (past)"))
    actors = answer.sections[0].lines[0].lead
    assert "Kim Jong Un" in actors
    sanctions = next(s for s in answer.sections if s.heading == "Sanctions")
    assert sanctions.lines and all(line.markers for line in sanctions.lines)
    assert answer.refs and answer.sources  # cited, with the sources listed
    cited = {ref.source_id for ref in answer.refs}
    assert cited <= {source.id for source in answer.sources}
    for page in render_pages(answer):
        _validate_embeds([page.embed.to_dict()])


async def test_upcoming_meetings_in_the_next_seven_days_with_countdowns(store: Store) -> None:
    base = fresh_base()
    source = await add_source(store, G_A, base)
    soon, far = base + timedelta(days=3), base + timedelta(days=10)
    for title, when in (("Soon talks", soon), ("Far talks", far)):
        await moderation.add_meeting(
            store,
            change(G_A, base),
            title=title,
            when=f"{when:%Y-%m-%d %H:%M} UTC",
            where="Panmunjom",
            participants="Kim Jong Un",
            source=source,
            quote=MEETING_QUOTE,
        )
    now = base + timedelta(hours=1)
    answer = await briefing.digest(store, asking(G_A, now), now - timedelta(minutes=1))
    upcoming = next(s for s in answer.sections if s.heading == "In the next seven days")
    texts = [line_markdown(line) for line in upcoming.lines]
    assert any("Soon talks" in t for t in texts) and not any("Far talks" in t for t in texts)
    stamp = int(soon.replace(second=0).timestamp())
    assert any(f"<t:{stamp}:R>" in t for t in texts)  # a live countdown
    other = await briefing.digest(store, asking(G_B, now), now - timedelta(minutes=1))
    assert "Soon talks" not in text_of(other)


async def test_a_long_digest_is_paginated_never_truncated(store: Store) -> None:
    base = fresh_base()
    source = await add_source(store, G_A, base)
    filler = "The officials added details about the schedule, the venue and the agenda. " * 5
    ids = [
        await add_fact(store, G_A, base, f"Item {n:02d}: {filler}"[:480], source) for n in range(40)
    ]
    answer = await briefing.digest(
        store, asking(G_A, base + timedelta(hours=1)), base - timedelta(minutes=1)
    )
    answer.footer_note = "Daily digest · ref 0123456789"
    pages = render_pages(answer)
    assert len(pages) > 1
    rendered = []
    for page in pages:
        payload = page.embed.to_dict()
        _validate_embeds([payload])  # the fake's copy of Discord's limits
        rendered.append(
            "\n".join(f["value"] for f in payload.get("fields", []))
            + (payload.get("footer") or {}).get("text", "")
        )
        assert "Daily digest" in payload["footer"]["text"]
    joined = "\n".join(rendered)
    assert len(ids) == 40
    for n in range(40):
        assert f"Item {n:02d}: " in joined


# --- pacing ----------------------------------------------------------------------------


async def test_pacer_rate_with_a_fake_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    fake = [0.0]
    real_sleep = asyncio.sleep

    async def sleep(seconds: float) -> None:
        fake[0] += seconds
        await real_sleep(0)

    monkeypatch.setattr(pacing, "asyncio", SimpleNamespace(Lock=asyncio.Lock, sleep=sleep))
    rate, burst = 8, 2  # 1/8 s is exact in binary
    pacer = Pacer(rate=rate, burst=burst, clock=lambda: fake[0])
    stamps = []

    async def one() -> None:
        await pacer.acquire()
        stamps.append(fake[0])

    await asyncio.gather(*(one() for _ in range(32)))
    assert len(stamps) == 32
    assert fake[0] == pytest.approx((32 - burst) / rate)  # the burst, then one per 1/rate s
    for start in stamps:  # never more than rate + burst in any one second
        assert sum(1 for s in stamps if start <= s < start + 1.0) <= rate + burst


async def test_pacer_rate_in_real_time() -> None:
    rate, burst, count = 100, 1, 31
    pacer = Pacer(rate=rate, burst=burst)
    started = monotime.monotonic()
    await asyncio.gather(*(pacer.acquire() for _ in range(count)))
    took = monotime.monotonic() - started
    paced = (count - burst) / rate  # the burst at once, then one per 1/rate s
    assert paced * 0.95 <= took < paced + 0.5  # (the upper bound allows a loaded machine)


def test_default_pacer_stays_under_discords_global_limit() -> None:
    pacer = Pacer()
    assert pacer.rate + pacer.burst <= DISCORD_GLOBAL_RATE
