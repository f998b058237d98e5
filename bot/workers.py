"""Running a CPU-bound parse (trafilatura, feedparser) off the event loop, bounded.

Each job runs in a daemon thread: a parse still busy when the bot is told to stop does
not hold up its exit (a ThreadPoolExecutor's threads are joined at exit). At most
`size` jobs of a kind parse at once (a threading semaphore taken in the worker), and the
caller waits at most `seconds`; a job whose caller gave up before it got a slot is
skipped.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class Workers:
    def __init__(self, name: str, size: int) -> None:
        self.name = name
        self._slots = threading.BoundedSemaphore(size)

    async def run(self, seconds: float, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` in a worker thread; TimeoutError after `seconds`."""
        loop = asyncio.get_running_loop()
        done: asyncio.Future[T] = loop.create_future()

        def settle(finish: Callable[[], None]) -> None:
            if not done.done():  # the caller may have given up (timed out) meanwhile
                finish()

        def report(finish: Callable[[], None]) -> None:
            # A closed loop (RuntimeError) means nobody is waiting any more.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(settle, finish)

        def body() -> None:
            with self._slots:
                if done.done():  # the caller gave up while this job waited
                    return
                try:
                    result = work(*args)
                except BaseException as error:  # handed to the caller, not lost
                    report(functools.partial(done.set_exception, error))
                else:
                    report(functools.partial(done.set_result, result))

        threading.Thread(target=body, name=self.name, daemon=True).start()
        async with asyncio.timeout(seconds):
            return await done
