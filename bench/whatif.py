"""What-if patches, applied inside one benchmark process only, to size the optimisations
the profile suggests. Nothing in bot/ is edited; a patched bot is always reported under
its own name (`ours+syncreads`, `ours-nocache`...).

- `syncreads`: `Store._all` on a plain sqlite3 connection in the event-loop thread (no
  aiosqlite worker thread at all; fine while every query takes microseconds).
- `noview`: answers sent without buttons (`AnswerView.needed` always false).
- `nocache`: the bot's answer cache keeps nothing (size 0), so every question is built
  afresh, as for questions nobody asked before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.store import Store

NAMES = ("syncreads", "noview", "nocache")


def syncreads(store: Store, path: Path | None = None) -> Callable[[], None]:
    conn = sqlite3.connect(path or store.path, check_same_thread=False)
    conn.row_factory = sqlite3.Row

    async def _all(sql: str, params: Any = ()) -> list[sqlite3.Row]:
        return conn.execute(sql, params).fetchall()

    store._all = _all  # type: ignore[method-assign]

    def undo() -> None:
        delattr(store, "_all")
        conn.close()

    return undo


def noview() -> Callable[[], None]:
    from bot.views import AnswerView

    original = AnswerView.__dict__["needed"]
    AnswerView.needed = classmethod(lambda cls, answer, pages: False)  # type: ignore[method-assign,assignment]

    def undo() -> None:
        AnswerView.needed = original  # type: ignore[method-assign]

    return undo


def nocache(bot: Any) -> Callable[[], None]:
    cache = getattr(bot, "answers", None)
    if cache is None:  # a bot without an answer cache: nothing to turn off
        return lambda: None
    size, cache.size = cache.size, 0

    def undo() -> None:
        cache.size = size

    return undo


def apply(names: str, bot: Any) -> Callable[[], None]:
    """Apply one what-if, or several separated by commas ("syncreads,noview"), to a
    running BriefingBot (after login, when its store is open)."""
    undos = [_apply(name.strip(), bot) for name in names.split(",") if name.strip()]

    def undo() -> None:
        for step in reversed(undos):
            step()

    return undo


def _apply(name: str, bot: Any) -> Callable[[], None]:
    if name == "syncreads":
        return syncreads(bot.store)
    if name == "noview":
        return noview()
    if name == "nocache":
        return nocache(bot)
    raise ValueError(f"unknown what-if {name!r}; known: {', '.join(NAMES)}")
