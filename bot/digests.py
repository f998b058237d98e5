"""Sending daily digests: each server at most once per local day, through restarts,
outages and daylight-saving changes.

The dispatcher (after RoboDanny's timer dispatcher) keeps no state of its own: the
store holds the subscriptions and one delivery row per server per local day. A day is
*claimed* (row 'sending') before its digest is posted and marked 'sent' after, so a
crash between the two is recovered on the next tick by looking for the posted message
(Discord nonces make a retried post a no-op) instead of posting twice. A bot that was
down past the grace window skips that day and logs it (a skipped day was not posted:
`digest now` can still post it).

The loop must not die and must not spin: one server's schedule that cannot be worked
out is logged with an error id and left out, a failed pass is retried a minute later,
a day still due after the pass that handled it backs off, and `run_forever` restarts
the loop should it ever end. The only process-wide state (back-off times, what was
logged) is in memory and may be lost on a restart.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import partial
from typing import TypeVar

from bot import briefing
from bot.answers import Answer, Asker
from bot.logs import new_error_id
from bot.models import Delivery, DigestSubscription
from bot.pacing import Pacer
from bot.schedule import GRACE, due_days, local_day, next_due
from bot.store import Store

log = logging.getLogger(__name__)

IDLE_CHECK = timedelta(minutes=5)  # look again at least this often, whatever is due
SEND_TIMEOUT = 60.0  # one slow server must not hold up the rest


class ChannelGone(Exception):
    """The digest channel is deleted or the bot may no longer post there."""


# Posted pages of one digest: page number (from 0) -> message id.
Posted = dict[int, int]
Send = Callable[[DigestSubscription, Answer, Delivery, Pacer, Posted], Awaitable[int]]
FindSent = Callable[[DigestSubscription, Delivery], Awaitable[Posted]]

RETRY_FIRST = timedelta(minutes=1)
RETRY_MAX = timedelta(minutes=30)
RESTART_PAUSE = 5.0  # seconds before a loop that ended is started again

T = TypeVar("T")


def nonce_for(guild_id: int, day: date, page: int = 0) -> str:
    """A stable nonce (Discord allows 25 characters) for one page of one server's digest
    of one day; Discord ignores a second message with the same nonce."""
    key = f"digest:{guild_id}:{day.isoformat()}:{page}"
    return hashlib.sha256(key.encode()).hexdigest()[:24]


@dataclass
class TickReport:
    sent: list[int] = field(default_factory=list)
    skipped: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    disabled: list[int] = field(default_factory=list)


class DigestDispatcher:
    """Delivers due digests. `send` posts an answer and returns its message id (raising
    ChannelGone when the channel is gone); `find_sent` looks for a digest already posted
    with a given nonce after a crash."""

    def __init__(
        self,
        store: Store,
        send: Send,
        find_sent: FindSent,
        clock: Callable[[], datetime],
        *,
        pacer: Pacer | None = None,
        concurrency: int = 25,
        on_disabled: Callable[[int], None] = lambda guild_id: None,
        stale_after: timedelta = timedelta(days=briefing.STALE_AFTER_DAYS),
        owns: Callable[[int], bool] = lambda guild_id: True,
    ) -> None:
        self.store = store
        # Whether this process runs the server's shard: several processes may share one
        # store, and each delivers only its own servers' digests.
        self.owns = owns
        self.stale_after = stale_after  # digests say when their newest source is old
        self.send = send
        self.find_sent = find_sent
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.slots = asyncio.Semaphore(concurrency)
        self.on_disabled = on_disabled
        self._wake = asyncio.Event()
        self._locks: dict[int, asyncio.Lock] = {}  # one delivery per server at a time
        self._retry_at: dict[int, tuple[datetime, timedelta]] = {}  # server: (when, backoff)
        self._broken: dict[int, DigestSubscription] = {}  # settings already logged as unusable
        self._handled: set[tuple[int, date]] = set()  # (server, day) delivered in this pass

    def wake(self) -> None:
        """A subscription changed: look again now rather than at the old due time."""
        self._wake.set()

    async def run_forever(self, pause: float = RESTART_PAUSE) -> None:
        """Run the loop; should it ever end (it is not meant to), log it and start it
        again after `pause` seconds, so digests never stop until the bot does."""
        while True:
            try:
                await self.run()
                error_id = new_error_id()
                log.error("error %s: the digest loop returned; restarting it", error_id)
            except Exception:
                error_id = new_error_id()
                log.exception("error %s: the digest loop ended; restarting it", error_id)
            await asyncio.sleep(pause)

    async def run(self) -> None:
        """Deliver what is due, sleep until the next due time (or a wake), repeat. No
        error ends it: a failed pass is logged and tried again a minute later."""
        while True:
            try:
                await self.tick()
                wake = await self._next_wake()
            except Exception:
                error_id = new_error_id()
                log.exception("error %s: digest pass failed; trying again in a minute", error_id)
                wake = self.clock() + RETRY_FIRST
            await self._sleep_until(wake)

    def _schedule_of(self, sub: DigestSubscription, work: Callable[[], T]) -> T | None:
        """Work out one server's schedule; a server whose stored setting cannot be
        worked out (an unknown zone, an impossible date) is logged once with an error
        id and left out, and the others go on."""
        try:
            found = work()
        except Exception:
            if self._broken.get(sub.guild_id) != sub:
                self._broken[sub.guild_id] = sub
                log.exception(
                    "error %s: the digest schedule of server %s cannot be worked out "
                    "(%s %s); skipping that server until its setting changes",
                    new_error_id(),
                    sub.guild_id,
                    sub.local_time,
                    sub.tz,
                )
            return None
        self._broken.pop(sub.guild_id, None)
        return found

    async def _subscriptions(self) -> list[DigestSubscription]:
        """The subscriptions of the servers this process delivers to."""
        return [sub for sub in await self.store.digests() if self.owns(sub.guild_id)]

    async def _next_wake(self) -> datetime:
        now = self.clock()
        times = [now + IDLE_CHECK]
        for sub in await self._subscriptions():
            due = self._schedule_of(sub, partial(next_due, sub, now))
            if due is None:
                continue
            if due > now:
                self._retry_at.pop(sub.guild_id, None)  # nothing outstanding: no back-off
            else:
                due = self._unless_stuck(sub, now) or due
            times.append(max(due, self._retry_at.get(sub.guild_id, (now, None))[0]))
        return min(times)

    def _unless_stuck(self, sub: DigestSubscription, now: datetime) -> datetime | None:
        """A day still due right after this pass delivered it (or found it delivered)
        would make the loop wake at once, again and again: back off and log it instead."""
        days = self._schedule_of(sub, lambda: due_days(sub, now)) or []
        if not any((sub.guild_id, due.day) in self._handled for due in days):
            return None
        wait = self._back_off(sub.guild_id)
        log.error(
            "error %s: digest for server %s is still due after it was handled; looking again in %s",
            new_error_id(),
            sub.guild_id,
            wait,
        )
        return now + wait

    async def _sleep_until(self, when: datetime) -> None:
        self._wake.clear()
        delay = max(0.0, (when - self.clock()).total_seconds())
        try:
            async with asyncio.timeout(delay):
                await self._wake.wait()
        except TimeoutError:
            pass

    async def tick(self) -> TickReport:
        """Handle every server whose digest is due now; one failing server does not stop
        the others."""
        now = self.clock()
        report = TickReport()
        self._handled.clear()
        jobs = []
        for sub in await self._subscriptions():
            for due in self._schedule_of(sub, partial(due_days, sub, now)) or []:
                if due.missed:
                    await self._skip(sub, due.day, due.late, report)
                elif now >= self._retry_at.get(sub.guild_id, (now, None))[0]:
                    jobs.append(self._guarded(sub, due.day, report))
        await asyncio.gather(*jobs)
        return report

    async def _skip(
        self, sub: DigestSubscription, day: date, late: timedelta, report: TickReport
    ) -> None:
        earlier = await self.store.delivery(sub.guild_id, day)
        if earlier is not None and earlier.state != "sending":
            return  # recorded already: no write on every pass
        if await self.store.skip_delivery(sub.guild_id, day, self.clock()):
            hours = late.total_seconds() / 3600
            log.warning(
                "digest for server %s on %s skipped: the bot was down %.1f h past "
                "the due time (grace is %.0f h)",
                sub.guild_id,
                day,
                hours,
                GRACE.total_seconds() / 3600,
            )
            report.skipped.append(sub.guild_id)

    async def _guarded(self, sub: DigestSubscription, day: date, report: TickReport) -> None:
        async with self.slots:
            try:
                async with asyncio.timeout(SEND_TIMEOUT):
                    if await self.deliver(sub, day):
                        report.sent.append(sub.guild_id)
            except ChannelGone as error:
                await self._disable(sub, day, str(error), report)
            except Exception:
                # The claim stays: the retry first looks for what may have got out.
                wait = self._back_off(sub.guild_id)
                log.exception(
                    "digest for server %s on %s failed; retrying in %s", sub.guild_id, day, wait
                )
                report.failed.append(sub.guild_id)
            else:
                self._handled.add((sub.guild_id, day))

    def _back_off(self, guild_id: int) -> timedelta:
        """Wait longer after each failure in a row (1 min, doubling, at most 30 min)."""
        _, last = self._retry_at.get(guild_id, (None, None))
        wait = min(RETRY_MAX, last * 2) if last else RETRY_FIRST
        self._retry_at[guild_id] = (self.clock() + wait, wait)
        return wait

    async def _disable(
        self, sub: DigestSubscription, day: date, reason: str, report: TickReport
    ) -> None:
        log.warning("digest for server %s disabled: %s", sub.guild_id, reason)
        await self.store.release_delivery(sub.guild_id, day)
        await self.store.disable_digest(sub.guild_id, reason)
        self.on_disabled(sub.guild_id)
        report.disabled.append(sub.guild_id)

    async def deliver(self, sub: DigestSubscription, day: date) -> bool:
        """Post the digest for `day` unless it was already posted; True if posted now."""
        lock = self._locks.setdefault(sub.guild_id, asyncio.Lock())
        async with lock:
            return await self._deliver(sub, day)

    async def _deliver(self, sub: DigestSubscription, day: date) -> bool:
        now = self.clock()
        current = await self.store.digest(sub.guild_id)  # it may have changed meanwhile
        if current is None or not current.enabled or current.tz != sub.tz:
            return False  # off, or another zone's day: the next pass works it out again
        if current.last_sent_day is not None and day <= current.last_sent_day:
            return False
        earlier = await self.store.delivery(sub.guild_id, day)
        if earlier is not None and earlier.state == "sent":
            return False  # no write for what is known to be done
        earlier = await self.store.claim_delivery(
            sub.guild_id, day, nonce_for(sub.guild_id, day), now
        )
        if earlier is not None and earlier.state != "sending":
            return False  # sent meanwhile
        posted: Posted = {}
        if earlier is not None:  # claimed before a crash or a failure: what got out?
            posted = await self.find_sent(current, earlier)
            if posted:
                log.info(
                    "digest for server %s on %s: %d page(s) were already posted",
                    sub.guild_id,
                    day,
                    len(posted),
                )
        claim = earlier or await self.store.delivery(sub.guild_id, day)
        if claim is None:
            raise RuntimeError(f"the claim of {day} for server {sub.guild_id} vanished")
        asker = Asker(sub.guild_id, now)
        # The changes up to `now`, the window its Show all button shows again.
        full = await briefing.digest(
            self.store, asker, current.since, self.stale_after, day=day, until=now
        )
        answer = briefing.digest_summary(full)  # its button shows the rest
        first = await self.send(current, answer, claim, self.pacer, posted)
        await self.store.finish_delivery(sub.guild_id, day, first, self.clock(), now)
        return not posted

    async def send_now(self, sub: DigestSubscription) -> bool:
        """`digest now`: post today's digest now; it counts as today's."""
        day = local_day(self.clock(), sub.tz)
        try:
            return await self.deliver(sub, day)
        except ChannelGone as error:
            await self._disable(sub, day, str(error), TickReport())
            raise
