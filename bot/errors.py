"""Errors whose message is safe to show to a user as it is."""

from __future__ import annotations


class BriefingError(Exception):
    """Base for errors a user may see; `str(error)` is the message to show."""


class BadInput(BriefingError):
    """The user typed something we cannot use; the message says what and how to fix it."""


class NotFound(BriefingError):
    """The thing asked for does not exist (or is not visible in this server)."""


class Conflict(BriefingError):
    """Someone else changed the record first; the user should look again and retry."""


class StoreUnavailable(BriefingError):
    """The store is busy, locked or read-only; reads may still work."""


class DataError(Exception):
    """Curated data failed verification; carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(f"{len(problems)} problem(s) in the curated data")
        self.problems = problems


class StoreUnusable(BriefingError):
    """The store file cannot be opened or created; the message names the path and what
    to do about it."""
