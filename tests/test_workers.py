"""Parsing jobs run in bounded daemon threads: results and errors come back, a slow job
times out without blocking the loop or the process's exit, and a job whose caller gave
up before it got a slot never runs."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from bot.workers import Workers
from tests.conftest import wait_until


async def test_a_result_and_an_error_come_back() -> None:
    workers = Workers("test-work", 2)
    assert await workers.run(5, lambda a, b: a + b, 2, 3) == 5

    def broken() -> None:
        raise ValueError("bad page")

    with pytest.raises(ValueError, match="bad page"):
        await workers.run(5, broken)


async def test_a_slow_job_times_out_in_a_daemon_thread() -> None:
    release = threading.Event()
    workers = Workers("test-slow", 1)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        await workers.run(0.2, release.wait, 30)
    assert time.monotonic() - started < 1.0
    busy = [t for t in threading.enumerate() if t.name == "test-slow"]
    assert busy and all(t.daemon for t in busy), "a busy parse would hold up exit"
    release.set()


async def test_a_job_that_waited_past_its_timeout_never_runs() -> None:
    release, holding, ran = threading.Event(), threading.Event(), []

    def hold() -> bool:
        holding.set()
        return release.wait(5)

    workers = Workers("test-queue", 1)
    first = asyncio.create_task(workers.run(5, hold))
    await wait_until(holding.is_set, 5, "the first job to hold the only slot")
    with pytest.raises(TimeoutError):
        await workers.run(0.1, ran.append, "second")
    release.set()
    assert await first is True
    # a job queued after "second" has run, so "second" had its turn before it
    await workers.run(5, ran.append, "third")
    assert ran == ["third"]
