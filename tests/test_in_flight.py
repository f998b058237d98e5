"""bot.core.InFlight: the work a shutdown lets finish (it replaced finding discord.py's
handler tasks by their names)."""

from __future__ import annotations

import asyncio

from bot.core import InFlight


async def test_work_that_entered_is_pending_until_its_task_ends() -> None:
    in_flight = InFlight()
    release = asyncio.Event()

    async def command() -> None:
        in_flight.enter()
        await release.wait()

    async def gateway() -> None:  # never enters: not waited for
        await asyncio.sleep(3600)

    running = asyncio.create_task(command())
    other = asyncio.create_task(gateway())
    await asyncio.sleep(0)
    assert in_flight.pending() == {running}
    release.set()
    await running
    assert in_flight.pending() == set()
    other.cancel()


async def test_the_waiting_task_is_not_its_own_work_and_entering_twice_counts_once() -> None:
    in_flight = InFlight()
    in_flight.enter()
    in_flight.enter()
    assert in_flight.pending() == set()  # the caller (the shutdown) never waits for itself

    async def failing() -> None:
        in_flight.enter()
        in_flight.enter()
        raise RuntimeError("a command that fails still leaves")

    task = asyncio.create_task(failing())
    await asyncio.sleep(0)
    assert len(in_flight) == 0 and task.done()
    assert isinstance(task.exception(), RuntimeError)


def test_python_m_bot_freezes_what_start_up_made() -> None:
    """`python -m bot` (run_discord) leaves start-up's objects out of later full
    collections (issue 11, bench/whatif.py `nofreeze`); the freeze itself works."""
    import gc
    import inspect

    from bot import core

    assert "freeze_startup=True" in inspect.getsource(core.run_discord)
    gc.unfreeze()
    try:
        core.freeze_what_lives()
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
