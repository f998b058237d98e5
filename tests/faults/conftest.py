"""Shared helpers for the fault-injection and hostile-input tests.

The in-process tests reuse the end-to-end ``world`` fixture (the real BriefingBot on the
real discord.py client against the loopback fake Discord). The process-level tests run
``python -m bot`` as a real subprocess pointed at an in-test ``FakeDiscord``, as
tests/e2e/test_process.py does.
"""

from __future__ import annotations

import asyncio
import gc
import re
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import discord

from tests.conftest import wait_until  # noqa: F401  (re-exported)
from tests.e2e.conftest import (  # noqa: F401  (fixture re-export)
    World,
    embed_text,
    settled_messages,
    start_bot_process,
    world,
)
from tests.fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5.fault-token-value.do-not-log"
MANAGE_MESSAGES = discord.Permissions(manage_messages=True).value
MESSAGES = r"^/channels/\d+/messages$"
# What a user must never see: an unexpected error, or the inside of the bot.
LEAKS = re.compile(r"error id|Traceback|OperationalError|sqlite3\.", re.IGNORECASE)
# A verbatim passage of source 1 (the article) that every fact-adding test cites.
QUOTE = "signals a bit of desperation"


def title(message: dict) -> str:
    return (message.get("embeds") or [{}])[0].get("title", "")


def assert_no_leak(message: dict) -> None:
    text = embed_text(message)
    assert not LEAKS.search(text), text[:500]


def assert_cannot_ping(entry: dict) -> None:
    """A recorded bot message (create or edit) that carries text must mention no one."""
    allowed = entry.get("allowed_mentions")
    if entry["op"] == "edit" and allowed is None:
        return  # an edit without allowed_mentions keeps the original message's
    if entry["flags"] & 128 and not (entry.get("content") or entry.get("embeds")):
        return  # the "thinking…" placeholder of a deferred answer
    assert allowed is not None, f"no allowed_mentions on {entry['source']} {entry['id']}"
    assert allowed.get("parse") == [], allowed
    assert not allowed.get("users"), allowed
    assert not allowed.get("roles"), allowed


def _describe(handle: asyncio.events.Handle) -> str:
    """The task (and where its coroutine now stands) behind a callback, or the callback."""
    task = getattr(handle._callback, "__self__", None)
    if isinstance(task, asyncio.Task):
        coro = task.get_coro()
        frame = getattr(coro, "cr_frame", None)
        where = f" at {frame.f_code.co_filename}:{frame.f_lineno}" if frame else ""
        return f"task {task.get_name()} ({getattr(coro, '__qualname__', coro)}{where})"
    return repr(handle)[:300]


class LoopLag:
    """How long any one callback (the bot's or the fake's) held the event loop, measured
    around every callback the loop runs while the context is open, as asyncio's debug
    mode does for its slow-callback log but without debug mode's overhead.

    `worst` is the loop thread's own CPU time in the slowest callback: the work that
    blocks everyone else, whatever else runs on this shared machine (wall time there
    includes waiting for a core). `worst_wall` is the wall time, to catch a callback that
    blocks without computing (a synchronous read, a sleep). Time the garbage collector
    spent inside a callback counts in neither: any allocation may trigger it.
    Use as `async with LoopLag() as lag:` and assert on them."""

    def __init__(self) -> None:
        self.worst = 0.0
        self.worst_wall = 0.0
        self.culprit = ""
        self.wall_culprit = ""
        self._original = asyncio.events.Handle._run
        self._gc = 0.0
        self._gc_started = 0.0

    def _on_gc(self, phase: str, info: dict) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        if phase == "start":
            self._gc_started = time.perf_counter()
        else:
            self._gc += time.perf_counter() - self._gc_started

    def _record(self, handle: asyncio.events.Handle, wall: float, cpu: float) -> None:
        if cpu > self.worst:
            self.worst, self.culprit = cpu, _describe(handle)
        if wall > self.worst_wall:
            self.worst_wall, self.wall_culprit = wall, _describe(handle)

    async def __aenter__(self) -> LoopLag:
        original, monitor = self._original, self

        def timed(handle: asyncio.events.Handle) -> None:
            wall, cpu, collected = time.perf_counter(), time.thread_time(), monitor._gc
            try:
                original(handle)
            finally:
                in_gc = monitor._gc - collected
                monitor._record(
                    handle,
                    time.perf_counter() - wall - in_gc,
                    time.thread_time() - cpu - in_gc,
                )

        gc.callbacks.append(self._on_gc)
        asyncio.events.Handle._run = timed  # type: ignore[method-assign]
        return self

    async def __aexit__(self, *exc: object) -> None:
        asyncio.events.Handle._run = self._original  # type: ignore[method-assign]
        gc.callbacks.remove(self._on_gc)

    def check(self, cpu: float = 0.05, wall: float = 0.5) -> None:
        assert self.worst < cpu, str(self)
        assert self.worst_wall < wall, str(self)

    def __str__(self) -> str:
        return (
            f"the loop was held for {self.worst * 1000:.0f} ms of CPU by {self.culprit}; "
            f"for {self.worst_wall * 1000:.0f} ms of wall time by {self.wall_culprit}"
        )


async def stored_state(w: World) -> tuple:
    """Counts and audit rows in both servers and the shared scope."""
    store = w.bot.store
    return (
        await store.counts(w.guild),
        await store.counts(w.guild_b),
        await store.counts(None),
        [a.id for a in await store.audit_log(w.guild, 1000)],
        [a.id for a in await store.audit_log(w.guild_b, 1000)],
        [a.id for a in await store.audit_log(None, 1000)],
    )


def fact_add(statement: str, *, subject: str = "Kim Jong Un", quote: str = QUOTE) -> str:
    return (
        f"!fact add subject: {subject} statement: {statement} kind: opinion "
        f"source: 1 quote: {quote}"
    )


def added_fact_id(message: dict) -> int | None:
    found = re.search(r"Added fact (\d+)", embed_text(message))
    return int(found.group(1)) if found else None


# --- the bot as a real process --------------------------------------------------------------


@dataclass
class Server:
    """A fake Discord with one server: alice (plain) and mod (role with Manage Messages)."""

    fake: FakeDiscord
    guild: int
    channel: int
    alice: int
    mod: int

    def new_member(self, name: str) -> int:
        return self.fake.add_member(self.guild, name)


def populate(fake: FakeDiscord) -> Server:
    guild = fake.add_guild(name="Alpha")
    channel = fake.add_channel(guild, name="briefing")
    role = fake.add_role(guild, "Mods", permissions=MANAGE_MESSAGES)
    return Server(
        fake=fake,
        guild=guild,
        channel=channel,
        alice=fake.add_member(guild, "alice"),
        mod=fake.add_member(guild, "mod", roles=[role]),
    )


async def start_bot(
    fake: FakeDiscord, db: Path, log: Path, *, wrapper: tuple[str, ...] = ()
) -> asyncio.subprocess.Process:
    """`python -m bot` with a token, pointed at the fake; stderr (the log) to a file."""
    return await start_bot_process(fake, db, log, TOKEN, wrapper=wrapper)


async def stop_process(process: asyncio.subprocess.Process) -> None:
    """Make sure a test's bot process is gone (SIGKILL if it is still running)."""
    if process.returncode is None:
        process.kill()
        await asyncio.wait_for(process.wait(), timeout=10)


def sqlite_rows(db: Path, sql: str) -> list[tuple]:
    """Read the store file with a plain sqlite3 connection (WAL recovery included)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        return list(conn.execute(sql).fetchall())
    finally:
        conn.close()
