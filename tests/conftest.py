"""Shared fixtures: a freshly built store, a copy of data/ to tamper with, a fixed clock;
and `wait_until`, how a test waits for something instead of sleeping."""

from __future__ import annotations

import asyncio
import concurrent.futures
import shutil
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answers import Asker
from bot.build import build
from bot.curation import DATA_DIR
from bot.store import Store
from tests import pgcluster

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


ENGINES = ["sqlite", "postgresql"]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Tests of the store's behaviour get `store` on each engine in turn: those in
    tests/store/, and modules that say BOTH_ENGINES = True."""
    module = metafunc.module
    both = getattr(module, "BOTH_ENGINES", False) or module.__name__.startswith("tests.store.")
    if "store" in metafunc.fixturenames and both:
        metafunc.parametrize("engine", ENGINES, indirect=True)


@pytest.fixture
def engine(request: pytest.FixtureRequest) -> str:
    """Which engine `store` is on: SQLite, unless the test runs on both (see above)."""
    return str(getattr(request, "param", "sqlite"))


@pytest.fixture
async def store(
    engine: str, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Store]:
    """A store built from the real curated data: in a temporary file, or (on PostgreSQL)
    in a database of the session's cluster, as built."""
    if engine == "postgresql":
        opened = await Store.open(request.getfixturevalue("pg_built_url"))
    else:
        opened = await Store.open(tmp_path / "store.sqlite3")
    try:
        if engine == "sqlite":
            await build(opened)
        yield opened
    finally:
        await opened.close()


# --- PostgreSQL: a throwaway cluster for the session (tests/pgcluster.py) ------------------


def in_thread(coroutine: Coroutine) -> object:
    """Run a coroutine to its end on a loop of its own (from a synchronous fixture)."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[pgcluster.Cluster]:
    """The session's PostgreSQL cluster; the test is skipped where PostgreSQL is not
    installed, and fails instead when BRIEFING_TEST_POSTGRES=required (CI)."""
    with pgcluster.session_cluster() as cluster:
        if cluster is None:
            message = "PostgreSQL is not installed (initdb and pg_ctl not found)"
            if pgcluster.REQUIRED:
                pytest.fail(f"{message}, and BRIEFING_TEST_POSTGRES=required")
            pytest.skip(message)
        yield cluster


@pytest.fixture
def pg_url(pg_cluster: pgcluster.Cluster) -> Iterator[str]:
    """The URL of a new, empty database (dropped after the test)."""
    name = pgcluster.create_database(pg_cluster)
    try:
        yield pg_cluster.url(name)
    finally:
        pgcluster.drop_database(pg_cluster, name)


async def _build_at(url: str) -> None:
    opened = await Store.open(url)
    try:
        await build(opened)
    finally:
        await opened.close()


@pytest.fixture(scope="session")
def pg_built(pg_cluster: pgcluster.Cluster) -> pgcluster.Snapshot:
    """A database holding the store built from data/, put back as built for each test."""
    name = pgcluster.create_database(pg_cluster)
    in_thread(_build_at(pg_cluster.url(name)))
    return pgcluster.Snapshot(pg_cluster, name)


@pytest.fixture
def pg_built_url(pg_cluster: pgcluster.Cluster, pg_built: pgcluster.Snapshot) -> str:
    """The URL of a database holding the built store, as built (whatever tests before
    this one wrote to it). A test may open several stores on it: several processes."""
    pg_built.restore()
    return pg_cluster.url(pg_built.database)


@pytest.fixture
async def pg_store(pg_built_url: str) -> AsyncIterator[Store]:
    """A store built from the real curated data, in a PostgreSQL database of its own."""
    opened = await Store.open(pg_built_url)
    try:
        yield opened
    finally:
        await opened.close()
