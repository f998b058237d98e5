"""Records of what the bot did: every REST call, and a per-channel log of bot messages."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from .payloads import FLAG_LOADING, JSON

MessagePredicate = Callable[[JSON], bool]


@dataclass
class RecordedFile:
    """One uploaded file of a multipart request."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class RecordedCall:
    """One REST request the bot made, with the fake's answer.

    ``path`` is relative to the API base (``/channels/1/messages``); ``route`` is the matched
    template (``/channels/{channel_id}/messages``) or ``None`` for unknown routes. ``json`` is
    the parsed JSON body, or the ``payload_json`` part of a multipart body.
    """

    method: str
    path: str
    query: dict[str, str]
    json: Any
    headers: dict[str, str]
    time: float
    files: list[RecordedFile] = field(default_factory=list)
    route: str | None = None
    status: int = 0
    response: Any = None
    injected: bool = False

    @property
    def reason(self) -> str | None:
        """The X-Audit-Log-Reason header, unquoted."""
        for key, value in self.headers.items():
            if key.lower() == "x-audit-log-reason":
                return unquote(value)
        return None


@dataclass
class _Waiter:
    predicate: MessagePredicate
    future: asyncio.Future[JSON]


class MessageLog:
    """Per-channel, ordered log of bot-side message operations (create/edit/delete).

    Each entry is a dict: ``op``, ``source``, ``id`` (int), ``channel_id`` (int), ``content``,
    ``embeds``, ``components``, ``flags``, ``ephemeral``, ``allowed_mentions`` (as sent, or
    ``None``), ``attachments``, ``files`` (uploaded filenames), ``message_reference``,
    ``interaction_id`` (int or ``None``), ``payload`` (raw request body), ``message`` (the full
    resulting message object) and ``time`` (loop time).

    ``wait_for`` hands every entry to at most one waiter ("claims" it), so concurrent waiters
    with different predicates never steal or skip each other's messages.
    """

    def __init__(self) -> None:
        self._entries: dict[int, list[JSON]] = defaultdict(list)
        self._claimed: dict[int, set[int]] = defaultdict(set)
        self._waiters: dict[int, list[_Waiter]] = defaultdict(list)

    def record(self, entry: JSON) -> None:
        channel_id = entry["channel_id"]
        entries = self._entries[channel_id]
        entries.append(entry)
        index = len(entries) - 1
        for waiter in list(self._waiters[channel_id]):
            if waiter.future.done():
                self._waiters[channel_id].remove(waiter)
            elif _safe_match(waiter.predicate, entry):
                self._claimed[channel_id].add(index)
                self._waiters[channel_id].remove(waiter)
                waiter.future.set_result(entry)
                return

    def claim(self, entry: JSON) -> None:
        """Mark ``entry`` as handed out so ``wait_for`` won't return it again."""
        channel_id = entry["channel_id"]
        for index, candidate in enumerate(self._entries.get(channel_id, [])):
            if candidate is entry:
                self._claimed[channel_id].add(index)
                return

    def entries(self, channel_id: int, ops: Collection[str] = ("create", "edit")) -> list[JSON]:
        return [e for e in self._entries.get(channel_id, []) if e["op"] in ops]

    def all_entries(self) -> list[JSON]:
        merged = [e for entries in self._entries.values() for e in entries]
        return sorted(merged, key=lambda e: e["time"])

    async def wait_for(
        self,
        channel_id: int,
        predicate: MessagePredicate | None,
        timeout: float,
        *,
        include_loading: bool = False,
    ) -> JSON:
        """The oldest unclaimed entry matching ``predicate``; waits for one if needed."""

        def matches(entry: JSON) -> bool:
            if entry["op"] == "delete":
                return False
            if not include_loading and entry["flags"] & FLAG_LOADING:
                return False
            return predicate is None or predicate(entry)

        claimed = self._claimed[channel_id]
        for index, entry in enumerate(self._entries.get(channel_id, [])):
            if index not in claimed and _safe_match(matches, entry):
                claimed.add(index)
                return entry
        future: asyncio.Future[JSON] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(matches, future)
        self._waiters[channel_id].append(waiter)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            seen = [(e["op"], e["content"]) for e in self._entries.get(channel_id, [])]
            raise TimeoutError(
                f"no matching bot message in channel {channel_id} within {timeout}s; "
                f"log so far: {seen!r}"
            ) from None
        finally:
            if waiter in self._waiters[channel_id]:
                self._waiters[channel_id].remove(waiter)


def _safe_match(predicate: MessagePredicate, entry: JSON) -> bool:
    try:
        return bool(predicate(entry))
    except (KeyError, TypeError, IndexError, AttributeError):
        return False
