"""Answers kept ready for the questions people repeat (`!who kim`, `!sanctions`…).

An entry is used only while the store is unchanged and, for answers that depend on the
time, until the next moment a meeting starts or ends, so a cached answer never calls a
past meeting upcoming. "Unchanged" is the store's own write counter, which moves with
every write this process commits, together with SQLite's `PRAGMA data_version`, which
also moves when another process writes (a `python -m bot build` while the bot runs); the
latter is asked at most once a second, so such outside changes show within a second.
"""

from __future__ import annotations

import dataclasses
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import discord

from bot.answers import Answer
from bot.render.embeds import Page, render_pages
from bot.store import Store
from bot.views import quotes_view

OUTSIDE_CHECK = 1.0  # seconds between looks for changes made by other processes
MAX_ENTRIES = 1024
# What the kept answers may take, estimated from their text (see _size): a cap on the
# memory repeated questions can pin, whatever the answers hold.
MAX_BYTES = 32 * 2**20


@dataclass(frozen=True, slots=True)
class Ready:
    """An answer with its rendered pages; shared, so never modified."""

    answer: Answer
    pages: list[Page]
    quotes: discord.ui.View | None = None  # the stateless Quotes button, built once


class KeptEmbed(discord.Embed):
    """A cached page's embed. Every answer sent from the cache shares it and nothing
    changes it, so its payload (what discord.py sends) is made once, not per send. A
    copy (`Embed.copy`, as a picture is added) makes its own payload again."""

    __slots__ = ("_payload",)
    _payload: Any

    @classmethod
    def of(cls, embed: discord.Embed) -> KeptEmbed:
        kept = cls.from_dict(embed.to_dict())
        kept._payload = embed.to_dict()
        return kept

    def to_dict(self) -> Any:
        payload = getattr(self, "_payload", None)
        return payload if payload is not None else super().to_dict()


def _kept_view(view: discord.ui.View | None) -> discord.ui.View | None:
    """The shared, stopped view of stateless items, its components made once."""
    if view is not None:
        components = view.to_components()
        view.to_components = lambda: components  # type: ignore[method-assign]
    return view


def _ready(answer: Answer) -> Ready:
    """An answer made ready to send many times: its pages with kept payloads, and the
    stateless items of a one-page answer."""
    pages = [
        dataclasses.replace(page, embed=KeptEmbed.of(page.embed)) for page in render_pages(answer)
    ]
    return Ready(answer, pages, _kept_view(quotes_view(answer)) if len(pages) == 1 else None)


@dataclass(slots=True)
class _Entry:
    ready: Ready
    version: tuple[int, int]
    valid_until: datetime | None  # None: does not depend on the time
    size: int = 0


def _size(ready: Ready) -> int:
    """About what an answer and its pages take in memory: their text (Python strings of
    non-ASCII text take up to 4 bytes a character) plus a fixed allowance per object."""
    text = sum(len(repr(page.embed.to_dict())) for page in ready.pages)
    quotes = sum(len(ref.quote) for ref in ready.answer.refs)
    return 4 * (text + quotes) + 2000 * (len(ready.pages) + 1)


class AnswerCache:
    def __init__(
        self, store: Store, size: int = MAX_ENTRIES, *, max_bytes: int = MAX_BYTES
    ) -> None:
        self.store = store
        self.size = size
        self.max_bytes = max_bytes
        self.bytes = 0
        self._entries: OrderedDict[Hashable, _Entry] = OrderedDict()
        self._boundaries: dict[tuple[int | None, tuple[int, int]], list[datetime]] = {}
        self.hits = 0
        self.misses = 0
        self._outside = (0, -OUTSIDE_CHECK)  # (data_version, monotonic time it was read)

    async def _version(self) -> tuple[int, int]:
        outside, checked = self._outside
        if time.monotonic() - checked >= OUTSIDE_CHECK:
            outside = await self.store.data_version()
            self._outside = (outside, time.monotonic())
        return self.store.generation, outside

    async def get(
        self,
        key: Hashable,
        build: Callable[[], Awaitable[Answer]],
        *,
        guild_id: int | None,
        now: datetime | None = None,
        keep: Callable[[Answer], bool] = lambda answer: True,
    ) -> Ready:
        """The answer for `key`, built with `build` unless a valid one is kept. Pass `now`
        for answers that depend on the time; `keep` says whether a built answer may be
        kept (a miss that echoes what was typed must not be, under a normalised key)."""
        version = await self._version()
        entry = self._entries.get(key)
        if entry is not None and entry.version == version and _fresh(entry, now):
            self._entries.move_to_end(key)
            self.hits += 1
            return entry.ready
        self.misses += 1
        ready = _ready(await build())
        if keep(ready.answer):
            until = await self._next_boundary(guild_id, version, now) if now else None
            self._put(key, _Entry(ready, version, until, _size(ready)))
        return ready

    def __len__(self) -> int:
        return len(self._entries)

    def _put(self, key: Hashable, entry: _Entry) -> None:
        old = self._entries.pop(key, None)
        if old is not None:
            self.bytes -= old.size
        if entry.size > self.max_bytes:
            return  # answered, but too big to keep
        self._entries[key] = entry
        self.bytes += entry.size
        while len(self._entries) > self.size or self.bytes > self.max_bytes:
            _, dropped = self._entries.popitem(last=False)
            self.bytes -= dropped.size

    async def _next_boundary(
        self, guild_id: int | None, version: tuple[int, int], now: datetime
    ) -> datetime:
        """The next start or end of a visible meeting after `now`."""
        key = (guild_id, version)
        if key not in self._boundaries:
            # Only the current version's are of use; older ones would pile up.
            for old in [k for k in self._boundaries if k[1] != version]:
                del self._boundaries[old]
            if len(self._boundaries) > self.size:
                self._boundaries.clear()
            moments: set[datetime] = set()
            for meeting in await self.store.meetings(guild_id):
                moments.update((meeting.when.start, meeting.when.finishes()))
            self._boundaries[key] = sorted(moments)
        later = [moment for moment in self._boundaries[key] if moment > now]
        return later[0] if later else datetime.max.replace(tzinfo=now.tzinfo)


def _fresh(entry: _Entry, now: datetime | None) -> bool:
    return entry.valid_until is None or (now is not None and now < entry.valid_until)
