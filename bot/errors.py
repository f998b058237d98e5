"""Errors whose message is safe to show to a user as it is."""

from __future__ import annotations


class BriefingError(Exception):
    """Base for errors a user may see; `str(error)` is the message to show."""


class BadInput(BriefingError):
    """The user typed something we cannot use; the message says what and how to fix it."""


class NotFound(BriefingError):
    """The thing asked for does not exist (or is not visible in this server)."""


def not_in_scope(noun: str, row_id: int, guild_id: int | None) -> NotFound:
    """A change aimed at a fact or meeting outside its own scope (the store refuses it;
    see bot/store/changes.py). The same words wherever it is caught."""
    where = f"this server's {noun}s" if guild_id else f"the shared {noun}s"
    return NotFound(
        f"{noun.capitalize()} {row_id} is not one of {where}, so it cannot be changed here."
    )


def no_such_row(noun: str) -> NotFound:
    """A fact or meeting that does not exist, or is another server's: the same answer,
    so that nothing of another server's shows."""
    return NotFound(f"There is no {noun} here.")


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
