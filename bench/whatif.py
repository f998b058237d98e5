"""What-if patches, applied inside one benchmark process only, to size the optimisations
the profile suggests. Nothing in bot/ is edited; a patched bot is always reported under
its own name (`ours+syncreads`, `ours-nocache`...).

- `syncreads`: `Store._all` on a plain sqlite3 connection in the event-loop thread (no
  aiosqlite worker thread at all; fine while every query takes microseconds).
- `noview`: answers sent without buttons (`AnswerView.needed` always false).
- `nocache`: the bot's answer cache keeps nothing (size 0), so every question is built
  afresh, as for questions nobody asked before.
- `nocooldown`: the shared per-user limiter (bot/checks.py) always allows: what the
  cooldown check and its per-user state cost.
- `orjson` / `stdjson`: discord.py's JSON (gateway frames, REST bodies) through orjson,
  or through the standard json module, whichever discord.py found when it was imported
  (the `discord.py[speed]` extra installs orjson; orjson must be importable for `orjson`).
- `nomsgcache`: discord.py's message cache off (`max_messages=None`; set before the
  gateway's READY, which makes the cache). The bot does this itself now; see `msgcache`.
- `msgcache`: discord.py's default message cache (1,000 messages) back on.
- `gcfreeze`: `gc.freeze()` once the bot has loaded (store, cogs): what it holds from
  start-up is left out of every later full collection (the bot does this itself now,
  as `python -m bot`; see `nofreeze`).
- `nofreeze`: `gc.unfreeze()` after start-up: the bot as it was before it froze.
- `skipecho`: the gateway's MESSAGE_CREATE for the bot's own messages (Discord echoes
  every message the bot posts) dropped before discord.py parses it into a Message (the
  bot does this itself now: bot.core.skip_own_messages; see `noskipecho`).
- `noskipecho`: the bot's own messages parsed again, as before.
- `uvloop`: the event loop is uvloop's (applied by bench/botproc.py before the loop
  starts, not here).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.store import Store

NAMES = (
    "syncreads",
    "noview",
    "nocache",
    "nocooldown",
    "orjson",
    "stdjson",
    "nomsgcache",
    "msgcache",
    "gcfreeze",
    "nofreeze",
    "skipecho",
    "noskipecho",
    "uvloop",
)


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


def nocooldown() -> Callable[[], None]:
    from bot.checks import UserBuckets

    original = UserBuckets.hit
    UserBuckets.hit = lambda self, user_id: 0.0  # type: ignore[method-assign]

    def undo() -> None:
        UserBuckets.hit = original  # type: ignore[method-assign]

    return undo


def json_codec(fast: bool) -> Callable[[], None]:
    """discord.py's _to_json / _from_json through orjson (`fast`) or the json module, as
    discord/utils.py defines them for each."""
    import json

    from discord import utils

    saved = utils._to_json, utils._from_json
    if fast:
        import orjson

        utils._to_json = lambda obj: orjson.dumps(obj).decode("utf-8")
        utils._from_json = orjson.loads
    else:
        utils._to_json = lambda obj: json.dumps(obj, separators=(",", ":"), ensure_ascii=True)
        utils._from_json = json.loads

    def undo() -> None:
        utils._to_json, utils._from_json = saved

    return undo


def nomsgcache(bot: Any, keep: int | None = None) -> Callable[[], None]:
    state = bot._connection
    saved = state.max_messages
    state.max_messages = keep
    state._messages = None

    def undo() -> None:
        state.max_messages = saved

    return undo


def gcfreeze() -> Callable[[], None]:
    import gc

    gc.collect()
    gc.freeze()
    return gc.unfreeze


def skipecho(bot: Any) -> Callable[[], None]:
    parsers = bot._connection.parsers
    original = parsers["MESSAGE_CREATE"]

    def parse(data: Any) -> None:
        user = bot.user
        if user is not None and (data.get("author") or {}).get("id") == str(user.id):
            return
        original(data)

    parsers["MESSAGE_CREATE"] = parse

    def undo() -> None:
        parsers["MESSAGE_CREATE"] = original

    return undo


def noskipecho(bot: Any) -> Callable[[], None]:
    parsers = bot._connection.parsers
    skipping = parsers["MESSAGE_CREATE"]
    parsers["MESSAGE_CREATE"] = bot._connection.parse_message_create

    def undo() -> None:
        parsers["MESSAGE_CREATE"] = skipping

    return undo


def uvloop_available() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


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
    if name == "nocooldown":
        return nocooldown()
    if name in ("orjson", "stdjson"):
        return json_codec(fast=name == "orjson")
    if name == "nomsgcache":
        return nomsgcache(bot)
    if name == "msgcache":
        return nomsgcache(bot, keep=1000)
    if name == "gcfreeze":
        return gcfreeze()
    if name == "nofreeze":
        import gc

        gc.unfreeze()
        return lambda: None
    if name == "skipecho":
        return skipecho(bot)
    if name == "noskipecho":
        return noskipecho(bot)
    if name == "uvloop":  # the loop is chosen before it starts (bench/botproc.py)
        return lambda: None
    raise ValueError(f"unknown what-if {name!r}; known: {', '.join(NAMES)}")
