"""Forms (Discord modals) bound to who opened them, where, for which scope, until when.

discord.py keys open modals by custom_id alone, so a form with a fixed id is replaced by
the next one opened anywhere, and a submission is written with the other form's server,
scope and author. Here every form gets an unguessable id of its own, and a submission is
accepted only from the member who opened it, in the server it was opened in, before it
expires, once. The book is bounded: a few open forms per member, a cap in all, and
expired forms are dropped as new ones open.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from bot.errors import BriefingError

if TYPE_CHECKING:
    import discord

T = TypeVar("T")

FORM_LIFETIME = timedelta(minutes=15)
FORMS_PER_MEMBER = 3
MAX_OPEN_FORMS = 5000


class FormRefused(BriefingError):
    """A submission that does not match an open form; the message says why."""


@dataclass(frozen=True, slots=True)
class OpenForm(Generic[T]):
    custom_id: str
    user_id: int
    guild_id: int | None
    scope: int | None  # the server it writes to, or None for the shared facts
    expires: datetime
    payload: T  # what the submit handler needs (the command's context and options)


class FormBook(Generic[T]):
    """The forms open right now, by custom_id, oldest first."""

    def __init__(
        self,
        prefix: str,
        clock: Callable[[], datetime],
        *,
        command: str,
        lifetime: timedelta = FORM_LIFETIME,
        per_member: int = FORMS_PER_MEMBER,
        limit: int = MAX_OPEN_FORMS,
    ) -> None:
        self.prefix = prefix
        self.clock = clock
        self.command = command
        self.lifetime = lifetime
        self.per_member = per_member
        self.limit = limit
        self._open: OrderedDict[str, OpenForm[T]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._open)

    def owns(self, custom_id: str) -> bool:
        return custom_id.startswith(self.prefix)

    def open(self, user_id: int, guild_id: int | None, scope: int | None, payload: T) -> str:
        """Record a new form and return its custom_id. A member's oldest form gives way
        to their newest; other members' forms are never dropped to make room."""
        now = self.clock()
        self._drop_expired(now)
        mine = [form.custom_id for form in self._open.values() if form.user_id == user_id]
        for custom_id in mine[: max(0, len(mine) - self.per_member + 1)]:
            del self._open[custom_id]
        if len(self._open) >= self.limit:
            raise FormRefused(
                "Too many forms are open right now; try again in a few minutes, or give "
                "`statement:` and `quote:` as options instead."
            )
        custom_id = f"{self.prefix}{secrets.token_urlsafe(12)}"
        self._open[custom_id] = OpenForm(
            custom_id, user_id, guild_id, scope, now + self.lifetime, payload
        )
        return custom_id

    def take(self, custom_id: str, user_id: int, guild_id: int | None) -> OpenForm[T]:
        """The open form a submission is for, removed so it is used once. Someone else's
        submission is refused and leaves the form to its owner."""
        now = self.clock()
        self._drop_expired(now)
        form = self._open.get(custom_id)
        if form is None:
            raise FormRefused(
                f"This form has expired or was already sent; run `{self.command}` again. "
                "Nothing was changed."
            )
        if form.user_id != user_id or form.guild_id != guild_id:
            raise FormRefused(
                f"This form was opened by someone else; open your own with `{self.command}`. "
                "Nothing was changed."
            )
        del self._open[custom_id]
        return form

    def _drop_expired(self, now: datetime) -> None:
        expired = [form.custom_id for form in self._open.values() if form.expires <= now]
        for custom_id in expired:
            del self._open[custom_id]


def custom_id_of(interaction: discord.Interaction) -> str:
    """The custom_id of a component or modal interaction; "" for any other kind."""
    data: Mapping[str, object] = interaction.data or {}
    return str(data.get("custom_id") or "")


def submitted_values(data: Mapping[str, Any] | None) -> dict[str, str]:
    """The text typed into each input of a submitted modal, by the input's custom_id."""
    return {
        str(component["custom_id"]): str(component.get("value") or "")
        for component in _walk((data or {}).get("components") or [])
        if "custom_id" in component
    }


def _walk(components: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for component in components:
        yield component
        yield from _walk(component.get("components") or [])
        if isinstance(component.get("component"), dict):  # a label wrapping its input
            yield from _walk([component["component"]])
