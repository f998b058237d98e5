"""Sending daily digests: each server at most once per local day, through restarts,
outages and daylight-saving changes.

The dispatcher (after RoboDanny's timer dispatcher) keeps no state of its own: the
store holds the subscriptions and one delivery row per server per local day. A day is
*claimed* (row 'sending') before its digest is posted and marked 'sent' after, so a
crash between the two is recovered on the next tick by looking for the posted message
(Discord nonces make a retried post a no-op) instead of posting twice. A bot that was
down past the grace window skips that day and logs it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from bot import briefing
from bot.briefing import Answer
from bot.models import Delivery, DigestSubscription
from bot.pacing import Pacer
from bot.schedule import due_days, local_day, next_due
from bot.store import Store

log = logging.getLogger(__name__)

IDLE_CHECK = timedelta(minutes=5)  # look again at least this often, whatever is due
SEND_TIMEOUT = 60.0  # one slow server must not hold up the rest


class ChannelGone(Exception):
    """The digest channel is deleted or the bot may no longer post there."""


Send = Callable[[DigestSubscription, Answer, str, Pacer], Awaitable[int]]
FindSent = Callable[[DigestSubscription, Delivery], Awaitable[int | None]]


def nonce_for(guild_id: int, day: date) -> str:
    """A stable nonce (Discord allows 25 characters) for one server's digest of one day."""
    return hashlib.sha256(f"digest:{guild_id}:{day.isoformat()}".encode()).hexdigest()[:24]


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
    ) -> None:
        self.store = store
        self.send = send
        self.find_sent = find_sent
        self.clock = clock
        self.pacer = pacer or Pacer()
        self.slots = asyncio.Semaphore(concurrency)
        self.on_disabled = on_disabled
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """A subscription changed: look again now rather than at the old due time."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver what is due, sleep until the next due time (or a wake), repeat."""
        while True:
            try:
                await self.tick()
            except Exception:
                log.exception("digest tick failed; trying again shortly")
            await self._sleep_until(await self._next_wake())

    async def _next_wake(self) -> datetime:
        now = self.clock()
        times = [next_due(sub, now) for sub in await self.store.digests()]
        return min([*times, now + IDLE_CHECK])

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
        jobs = []
        for sub in await self.store.digests():
            for due in due_days(sub, now):
                if due.missed:
                    await self._skip(sub, due.day, due.late, report)
                else:
                    jobs.append(self._guarded(sub, due.day, report))
        await asyncio.gather(*jobs)
        return report

    async def _skip(
        self, sub: DigestSubscription, day: date, late: timedelta, report: TickReport
    ) -> None:
        if await self.store.skip_delivery(sub.guild_id, day, self.clock()):
            hours = late.total_seconds() / 3600
            log.warning(
                "digest for server %s on %s skipped: the bot was down %.1f h past "
                "the due time (grace is 6 h)",
                sub.guild_id,
                day,
                hours,
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
                log.exception("digest for server %s on %s failed; will retry", sub.guild_id, day)
                await self.store.release_delivery(sub.guild_id, day)
                report.failed.append(sub.guild_id)

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
        nonce = nonce_for(sub.guild_id, day)
        earlier = await self.store.claim_delivery(sub.guild_id, day, nonce, self.clock())
        if earlier is not None and earlier.state != "sending":
            return False  # sent or skipped already
        if earlier is not None:
            found = await self.find_sent(sub, earlier)
            if found is not None:
                log.info("digest for server %s on %s was posted before a crash", sub.guild_id, day)
                await self.store.finish_delivery(sub.guild_id, day, found, self.clock(), earlier.at)
                return False
        started = self.clock()
        answer = await briefing.digest(self.store, sub.guild_id, sub.since, started)
        message_id = await self.send(sub, answer, nonce, self.pacer)
        await self.store.finish_delivery(sub.guild_id, day, message_id, self.clock(), started)
        return True

    async def send_now(self, sub: DigestSubscription) -> bool:
        """`digest now`: post today's digest now; it counts as today's."""
        day = local_day(self.clock(), sub.tz)
        try:
            return await self.deliver(sub, day)
        except ChannelGone as error:
            await self._disable(sub, day, str(error), TickReport())
            raise
        except BaseException:
            await self.store.release_delivery(sub.guild_id, day)
            raise
