"""A token bucket that keeps bursts of REST calls under Discord's global rate limit."""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable

RATE, BURST = 30.0, 5


class Pacer:
    """At most `rate` acquisitions per second on average, `burst` at once.

    Discord allows 50 requests per second per bot. The default (30 a second, 5 at once)
    leaves room for the bot's other traffic, answers to commands, in the same second;
    measured with `python -m bench digest`.
    """

    def __init__(
        self, rate: float = RATE, burst: int = BURST, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self._tokens = float(burst)
        self._updated = clock()
        self._lock = asyncio.Lock()

    @classmethod
    def share(cls, fraction: float, clock: Callable[[], float] = time.monotonic) -> Pacer:
        """The part of the bot's budget one process may use when several share the bot
        (Discord's limit is per bot, not per process): its shards over all shards. Each
        process taking its share keeps the whole bot under the limit with no
        coordination between them."""
        fraction = min(1.0, max(fraction, 0.0)) or 1.0
        return cls(RATE * fraction, max(1, math.ceil(BURST * fraction)), clock)

    def _refill(self) -> None:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._updated) * self.rate)
        self._updated = now

    async def acquire(self) -> None:
        async with self._lock:  # first come, first served
            self._refill()
            while self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill()
            self._tokens -= 1
