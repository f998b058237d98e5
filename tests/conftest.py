"""Shared fixtures: a freshly built store, a copy of data/ to tamper with, a fixed clock;
and `wait_until`, how a test waits for something instead of sleeping."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answers import Asker
from bot.build import build
from bot.curation import DATA_DIR
from bot.store import Store

# A fixed "now" for tests that must not depend on the day they run.
FIXED_NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def asking(scope: int | None, now: datetime = FIXED_NOW) -> Asker:
    """An asker in `scope` (a server id, or None for shared facts only) at `now`."""
    return Asker(scope, now)


async def wait_until(
    condition: Callable[[], bool], timeout: float, what: str, step: float = 0.005
) -> None:
    """Poll `condition` until it holds; fail naming `what` after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        if loop.time() > deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        await asyncio.sleep(step)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A private copy of data/ that a test may edit."""
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    """A store built from the real curated data, in a temporary file."""
    opened = await Store.open(tmp_path / "store.sqlite3")
    try:
        await build(opened)
        yield opened
    finally:
        await opened.close()
