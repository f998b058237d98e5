"""The one source of "now": logic is given a clock (or a `now`) and never reads the
time itself, so tests can run it at any moment."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)
