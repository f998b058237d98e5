"""Application command registry (what the bot synced) with Discord's main validation rules.

Discord rejects bad command definitions at sync time (HTTP 400, code 50035); the fake does the
same for the common mistakes: invalid/uppercase names, missing or too long descriptions, too
many options/choices, required options after optional ones, duplicate names.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from typing import Any

from .errors import INVALID_FORM_BODY, UNKNOWN_COMMAND, ApiError
from .payloads import JSON, Snowflakes

_CHAT_NAME = re.compile(r"^[-_\w]{1,32}$")
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2


def _name_error(name: Any) -> str | None:
    if not isinstance(name, str) or not _CHAT_NAME.match(name):
        return f"Invalid name {name!r}: must match ^[-_\\w]{{1,32}}$"
    if name != name.lower():
        return f"Invalid name {name!r}: must be lowercase"
    return None


def _description_error(description: Any) -> str | None:
    if not isinstance(description, str) or not 1 <= len(description) <= 100:
        return f"Invalid description {description!r}: must be 1-100 characters"
    return None


def _option_errors(options: list[JSON], where: str) -> list[str]:
    errors: list[str] = []
    if len(options) > 25:
        errors.append(f"{where}: more than 25 options")
    names = [o.get("name") for o in options]
    if len(set(names)) != len(names):
        errors.append(f"{where}: duplicate option names")
    seen_optional = False
    for option in options:
        here = f"{where}.{option.get('name')}"
        errors += [
            f"{here}: {e}"
            for e in (
                _name_error(option.get("name")),
                _description_error(option.get("description")),
            )
            if e
        ]
        if len(option.get("choices") or []) > 25:
            errors.append(f"{here}: more than 25 choices")
        if option.get("type") in (SUB_COMMAND, SUB_COMMAND_GROUP):
            errors += _option_errors(option.get("options") or [], here)
        elif option.get("required"):
            if seen_optional:
                errors.append(f"{here}: required options must be placed before optional ones")
        else:
            seen_optional = True
    return errors


def command_errors(body: JSON) -> list[str]:
    """Validation errors for one command definition (empty list = valid)."""
    kind = body.get("type", CHAT_INPUT)
    name = body.get("name")
    if kind != CHAT_INPUT:
        ok = isinstance(name, str) and 1 <= len(name) <= 32
        return [] if ok else [f"Invalid context menu name {name!r}"]
    errors = [e for e in (_name_error(name), _description_error(body.get("description"))) if e]
    return errors + _option_errors(body.get("options") or [], str(name))


class CommandRegistry:
    """Commands per scope: ``None`` = global, otherwise the guild id."""

    def __init__(self, ids: Snowflakes, application_id: int) -> None:
        self._ids = ids
        self._application_id = application_id
        self.commands: dict[int | None, list[JSON]] = defaultdict(list)
        self.sync_counts: Counter[int | None] = Counter()

    def overwrite(
        self, guild_id: int | None, bodies: list[JSON], *, count: bool = True
    ) -> list[JSON]:
        """PUT bulk overwrite (what ``CommandTree.sync`` does); ``count`` it as a sync."""
        errors = {str(i): e for i, body in enumerate(bodies) if (e := command_errors(body))}
        keys = [(b.get("name"), b.get("type", CHAT_INPUT)) for b in bodies]
        if len(set(keys)) != len(keys):
            errors["_"] = ["duplicate command names"]
        if errors:
            raise ApiError.of(INVALID_FORM_BODY, errors)
        previous = {(c["name"], c["type"]): c for c in self.commands[guild_id]}
        self.commands[guild_id] = [
            self._materialize(guild_id, body, previous.get(key))
            for body, key in zip(bodies, keys, strict=True)
        ]
        if count:
            self.sync_counts[guild_id] += 1
        return self.commands[guild_id]

    def upsert(self, guild_id: int | None, body: JSON) -> JSON:
        errors = command_errors(body)
        if errors:
            raise ApiError.of(INVALID_FORM_BODY, errors)
        key = (body.get("name"), body.get("type", CHAT_INPUT))
        scope = self.commands[guild_id]
        previous = next((c for c in scope if (c["name"], c["type"]) == key), None)
        command = self._materialize(guild_id, body, previous)
        if previous is not None:
            scope[scope.index(previous)] = command
        else:
            scope.append(command)
        return command

    def get(self, guild_id: int | None, command_id: int) -> JSON:
        for command in self.commands.get(guild_id, []):
            if int(command["id"]) == command_id:
                return command
        raise ApiError.of(UNKNOWN_COMMAND)

    def edit(self, guild_id: int | None, command_id: int, changes: JSON) -> JSON:
        command = self.get(guild_id, command_id)
        merged = {**command, **changes}
        errors = command_errors(merged)
        if errors:
            raise ApiError.of(INVALID_FORM_BODY, errors)
        command.update(changes, version=str(self._ids.next()))
        return command

    def delete(self, guild_id: int | None, command_id: int) -> None:
        self.commands[guild_id].remove(self.get(guild_id, command_id))

    def find(self, name: str, guild_id: int | None, kind: int = CHAT_INPUT) -> JSON | None:
        """Guild-scoped command first, then global (as the Discord client shows them)."""
        scopes = ([guild_id] if guild_id is not None else []) + [None]
        for scope in scopes:
            for command in self.commands.get(scope, []):
                if command["name"] == name and command["type"] == kind:
                    return command
        return None

    def _materialize(self, guild_id: int | None, body: JSON, previous: JSON | None) -> JSON:
        command: JSON = {
            "type": CHAT_INPUT,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "dm_permission": True,
            "nsfw": False,
            "contexts": None,
            "integration_types": [0],
            "name_localizations": None,
            "description_localizations": None,
        }
        command.update(body)
        command.update(
            id=previous["id"] if previous else str(self._ids.next()),
            application_id=str(self._application_id),
            version=str(self._ids.next()),
        )
        if guild_id is not None:
            command["guild_id"] = str(guild_id)
        return command
