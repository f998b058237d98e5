"""Plain records for fetched sources and followed feeds (stored in bot/store/feeds.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FetchRecord:
    """Where a fetched source's text came from, and hashes to show it is unchanged."""

    url: str
    final_url: str
    content_type: str
    fetched_at: datetime
    body_sha256: str
    text_sha256: str
    confirmed_by: int | None = None
    confirmed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Feed:
    id: int
    guild_id: int
    url: str
    title: str
    channel_id: int
    interval_seconds: int
    next_poll_at: datetime
    etag: str | None
    last_modified: str | None
    polled_at: datetime | None
    failing_since: datetime | None
    failures: int
    last_error: str | None
    paused: bool
    paused_reason: str | None
    baselined: bool


@dataclass(frozen=True, slots=True)
class ItemDraft:
    """One entry read from a feed, cleaned and bounded."""

    key: str
    title: str
    link: str | None
    published: str | None


@dataclass(frozen=True, slots=True)
class FeedItem:
    id: int
    feed_id: int
    guild_id: int
    title: str
    link: str | None
    published: str | None
    state: str
    claimed_at: datetime | None
    message_id: int | None
    source_id: int | None
