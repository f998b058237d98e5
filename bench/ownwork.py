"""Our own work per command, in-process: the briefing lookup, render_pages and the
buttons an answer gets, without discord.py's gateway/HTTP or the fake.

Against a store built from data/ in a temporary file (as the tests build it), for each
command, timed with perf_counter_ns after a warm-up:

- built: `briefing.<command>(store, ...)`, then `render_pages(answer)` and the view that
  `BriefingContext.send_pages` would attach (none, the stateless Quotes view for a
  one-page answer, or an AnswerView): what a question costs when it is not cached.
- cached: the same through the bot's AnswerCache (`bot.cache`), as a repeated question
  is answered (a cache hit: one `PRAGMA data_version` query, then the kept pages), plus
  the view.

The breakdown explains where the built time goes: how many store queries one answer
issues, how many aiosqlite thread round trips those take (each a hop to the connection's
worker thread and back), the time of the same SQL replayed synchronously on a plain
sqlite3 connection, and the cost of one aiosqlite round trip (`SELECT 1`). The what-if
column repeats the built measurement with that Store instance's reads patched
(bench/whatif.py) to run synchronously on a plain sqlite3 connection (no hops). The
variants are interleaved in blocks, so drift on the box hits them alike.
"""

from __future__ import annotations

import asyncio
import cProfile
import io
import pstats
import sqlite3
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import discord

from bench import short_path, summarise, table, whatif
from bot import briefing, views
from bot.answers import Asker
from bot.build import build
from bot.render.embeds import Page, render_pages
from bot.store import Store

try:  # the answer cache (bot/cache.py) exists from commit c6c977e on
    from bot.cache import AnswerCache
except ImportError:  # pragma: no cover - older checkouts
    AnswerCache = None  # type: ignore[assignment,misc]

TARGET_US = 1000.0  # our own work per command should stay under 1 ms at p50 on a miss
HIT_TARGET_US = 100.0  # and under 0.1 ms on a cache hit
GUILD = 424242  # any server id: the scope sees shared rows plus its own (none here)

Lookup = Callable[[Store, datetime], Awaitable[briefing.Answer]]


@dataclass(frozen=True)
class Case:
    key: tuple  # the cog's cache key (the bot adds the server)
    timed: bool  # whether the cog passes the time to the cache
    lookup: Lookup


def _asker(now: datetime) -> Asker:
    return Asker(GUILD, now)


CASES: dict[str, Case] = {
    "who kim": Case(
        ("who", "kim"), True, lambda store, now: briefing.who(store, _asker(now), "kim")
    ),
    "sanctions": Case(
        ("sanctions",), False, lambda store, now: briefing.sanctions(store, _asker(now))
    ),
    "search sanctions": Case(
        ("search", "sanctions"),
        False,
        lambda store, now: briefing.search(store, _asker(now), "sanctions"),
    ),
}


def view_for(answer: briefing.Answer, pages: list[Page]) -> discord.ui.View | None:
    """The view BriefingContext.send_pages attaches (built, then stopped)."""
    if not views.AnswerView.needed(answer, pages):
        return None
    light = getattr(views, "quotes_view", None)
    view = light(answer) if light is not None and len(pages) == 1 else None
    if view is None:
        view = views.AnswerView(answer, pages, 1)
    view.stop()
    return view


class QueryTap:
    """Counts store queries and aiosqlite round trips on one Store instance (wrapping
    instance attributes only), and keeps the SQL for a synchronous replay."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.queries: list[tuple[str, Any]] = []
        self.hops = 0
        self._all = store._all
        # The SQLite engine's read connection (bot/store/sqlite.py), or an older Store's.
        self.reader = getattr(store, "_read", None) or store._engine._read  # type: ignore[attr-defined]
        self._execute = self.reader._execute

    async def _tap_all(self, sql: str, params: Any = ()) -> Any:
        self.queries.append((sql, params))
        return await self._all(sql, params)

    async def _tap_execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        self.hops += 1
        return await self._execute(fn, *args, **kwargs)

    def __enter__(self) -> QueryTap:
        self.store._all = self._tap_all  # type: ignore[method-assign]
        self.reader._execute = self._tap_execute
        return self

    def __exit__(self, *exc: object) -> None:
        del self.store._all
        del self.reader._execute


def replay_sql(db: Path, queries: list[tuple[str, Any]], repeat: int) -> float:
    """Median microseconds to run `queries` synchronously with the sqlite3 module."""
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    timings = []
    try:
        for _ in range(repeat):
            began = time.perf_counter_ns()
            for sql, params in queries:
                conn.execute(sql, params).fetchall()
            timings.append((time.perf_counter_ns() - began) / 1000)
    finally:
        conn.close()
    return summarise(timings)["p50"]


async def round_trip_us(store: Store, repeat: int) -> float:
    """Median microseconds of one `store._all("SELECT 1")` through aiosqlite."""
    timings = []
    for _ in range(repeat):
        began = time.perf_counter_ns()
        await store._all("SELECT 1")
        timings.append((time.perf_counter_ns() - began) / 1000)
    return summarise(timings)["p50"]


class Samples:
    """Per-call timings in microseconds: lookup, render, view and their total."""

    def __init__(self) -> None:
        self.total: list[float] = []
        self.lookup: list[float] = []
        self.render: list[float] = []
        self.view: list[float] = []
        self.answer: briefing.Answer | None = None
        self.pages = 0

    def add(self, t0: int, t1: int, t2: int, t3: int) -> None:
        self.lookup.append((t1 - t0) / 1000)
        self.render.append((t2 - t1) / 1000)
        self.view.append((t3 - t2) / 1000)
        self.total.append((t3 - t0) / 1000)

    async def built(self, store: Store, case: Case, now: datetime, n: int) -> None:
        for _ in range(n):
            t0 = time.perf_counter_ns()
            answer = await case.lookup(store, now)
            t1 = time.perf_counter_ns()
            pages = render_pages(answer)
            t2 = time.perf_counter_ns()
            view_for(answer, pages)
            self.add(t0, t1, t2, time.perf_counter_ns())
            self.answer, self.pages = answer, len(pages)

    async def cached(self, cache: Any, store: Store, case: Case, now: datetime, n: int) -> None:
        def build() -> Awaitable[briefing.Answer]:
            return case.lookup(store, now)

        for _ in range(n):
            t0 = time.perf_counter_ns()
            ready = await cache.get(
                (*case.key, GUILD), build, guild_id=GUILD, now=now if case.timed else None
            )
            t1 = time.perf_counter_ns()
            if getattr(ready, "quotes", None) is None:  # the cache keeps a one-page view
                view_for(ready.answer, ready.pages)
            self.add(t0, t1, t1, time.perf_counter_ns())
            self.answer, self.pages = ready.answer, len(ready.pages)

    def summary(self) -> dict[str, Any]:
        assert self.answer is not None
        return {
            "n": len(self.total),
            "total_us": summarise(self.total),
            "lookup_us": summarise(self.lookup),
            "render_us": summarise(self.render),
            "view_us": summarise(self.view),
            "pages": self.pages,
            "refs": len(self.answer.refs),
            "title": self.answer.title,
        }


async def measure(
    store: Store, db: Path, case: Case, n: int, warmup: int, block: int = 50
) -> dict[str, Any]:
    """Time `n` built answers, `n` built with synchronous reads (what-if) and `n` cached
    answers, alternating in blocks of `block`."""
    now = datetime.now(UTC)
    cache = AnswerCache(store) if AnswerCache is not None else None
    built, what_if, hits = Samples(), Samples(), Samples()
    for phase, total in (("warm-up", warmup), ("measure", n)):
        for done in range(0, total, block):
            size = min(block, total - done)
            keep = phase == "measure"
            await (built if keep else Samples()).built(store, case, now, size)
            undo = whatif.syncreads(store, db)
            try:
                await (what_if if keep else Samples()).built(store, case, now, size)
            finally:
                undo()
            if cache is not None:
                await (hits if keep else Samples()).cached(cache, store, case, now, size)
    with QueryTap(store) as tap:
        await case.lookup(store, now)
    return {
        **built.summary(),
        "queries": len(tap.queries),
        "aiosqlite_round_trips": tap.hops,
        "sql_sync_us": replay_sql(db, tap.queries, min(n, 500)),
        "what_if_sync_reads_total_us": what_if.summary()["total_us"],
        "cached_total_us": hits.summary()["total_us"] if cache is not None else None,
    }


async def profile(store: Store, case: Case, n: int, top: int = 18) -> str:
    """cProfile of `n` built answers (event-loop thread), top functions by own time."""
    now = datetime.now(UTC)
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(n):
        answer = await case.lookup(store, now)
        render_pages(answer)
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("tottime").print_stats(top)
    return _trim_pstats(out.getvalue())


def _trim_pstats(text: str) -> str:
    lines = [line.rstrip() for line in text.splitlines()]
    start = next((i for i, line in enumerate(lines) if "function calls" in line), 0)
    return short_path("\n".join(line for line in lines[start:] if line))


async def run_async(n: int, warmup: int, profile_mode: str) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-ownwork-") as tmp:
        db = Path(tmp) / "store.sqlite3"
        store = await Store.open(db)
        try:
            await build(store)
            results: dict[str, Any] = {}
            for name, case in CASES.items():
                results[name] = await measure(store, db, case, n, warmup)
            hop = await round_trip_us(store, 500)
            profiles = {}
            worst = max(case["total_us"]["p50"] for case in results.values())
            if profile_mode == "always" or (profile_mode == "auto" and worst > TARGET_US):
                for name, case in CASES.items():
                    profiles[name] = await profile(store, case, min(n, 300))
        finally:
            await store.close()
    return {"cases": results, "select1_round_trip_us": hop, "profiles": profiles}


def run(n: int, warmup: int = 50, profile_mode: str = "auto") -> dict[str, Any]:
    """Time every case; profile them too when `profile_mode` is "always", or "auto" and
    the worst p50 misses the 1 ms target."""
    return asyncio.run(run_async(n, warmup, profile_mode))


def render(data: dict[str, Any]) -> str:
    rows = []
    for name, case in data["cases"].items():
        cached = case["cached_total_us"] or {}
        rows.append(
            [
                name,
                case["total_us"]["n"],
                cached.get("p50", float("nan")),
                cached.get("p99", float("nan")),
                case["total_us"]["p50"],
                case["total_us"]["p99"],
                case["lookup_us"]["p50"],
                case["render_us"]["p50"],
                case["view_us"]["p50"],
                case["queries"],
                case["aiosqlite_round_trips"],
                case["sql_sync_us"],
                case["what_if_sync_reads_total_us"]["p50"],
                "/".join(
                    "-" if v != v else "yes" if v < target else "NO"
                    for v, target in (
                        (cached.get("p50", float("nan")), HIT_TARGET_US),
                        (case["total_us"]["p50"], TARGET_US),
                    )
                ),
            ]
        )
    return table(
        [
            "our work per command",
            "N",
            "cached p50",
            "p99",
            "built p50",
            "p99",
            "lookup",
            "render",
            "view",
            "queries",
            "hops",
            "SQL sync",
            "what-if sync reads",
            "met: hit<0.1/miss<1 ms",
        ],
        rows,
        title=(
            "Own work in-process, us. cached = through the AnswerCache (a repeat), built = "
            "briefing lookup + render_pages + view (a cache miss); lookup/render/view = "
            f"parts of built (p50). One aiosqlite round trip = {data['select1_round_trip_us']:.0f}"
            " us p50"
        ),
    )
