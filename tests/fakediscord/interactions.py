"""Interactions the fake sends (slash, autocomplete, components, modals) and their state."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import UNKNOWN_INTERACTION, UNKNOWN_WEBHOOK, ApiError
from .payloads import ALL_PERMISSIONS, FLAG_LOADING, JSON

if TYPE_CHECKING:
    from .state import FakeState

PING, APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 1, 2, 3, 4, 5
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024

# Option types
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


@dataclass
class FakeInteraction:
    """Handle for one interaction sent to the bot; the fake fills in the bot's answers.

    ``callback`` is the raw callback body (``{"type": ..., "data": ...}``) once the bot
    acknowledged; ``entries`` are the message-log entries (see ``MessageLog``) that answer it.
    """

    id: int
    token: str
    type: int
    channel_id: int
    guild_id: int | None
    user_id: int
    payload: JSON
    created_at: float
    name: str | None = None
    message_id: int | None = None
    callback: JSON | None = None
    original_message_id: int | None = None
    entries: list[JSON] = field(default_factory=list)
    _acked: asyncio.Event = field(default_factory=asyncio.Event, repr=False)
    _answered: asyncio.Event = field(default_factory=asyncio.Event, repr=False)

    @property
    def callback_type(self) -> int | None:
        return self.callback["type"] if self.callback else None

    @property
    def answer(self) -> JSON | None:
        """First visible (non-loading) message answering this interaction, if any."""
        return next(
            (e for e in self.entries if e["op"] != "delete" and not e["flags"] & FLAG_LOADING), None
        )

    def set_callback(self, body: JSON) -> None:
        self.callback = body
        self._acked.set()

    def add_entry(self, entry: JSON) -> None:
        self.entries.append(entry)
        if self.answer is not None:
            self._answered.set()

    async def wait_callback(self, timeout: float) -> JSON:
        await _wait(self._acked, timeout, f"interaction {self.id} was not acknowledged")
        assert self.callback is not None
        return self.callback

    async def wait_answer(self, timeout: float) -> JSON:
        what = f"interaction {self.id} got no visible answer (callback={self.callback!r})"
        await _wait(self._answered, timeout, what)
        assert self.answer is not None
        return self.answer


async def _wait(event: asyncio.Event, timeout: float, what: str) -> None:
    try:
        await asyncio.wait_for(event.wait(), timeout)
    except TimeoutError:
        raise TimeoutError(f"{what} within {timeout}s") from None


class InteractionRegistry:
    """Interactions by id and by token (webhook routes only know the token)."""

    def __init__(self) -> None:
        self.by_id: dict[int, FakeInteraction] = {}
        self.by_token: dict[str, FakeInteraction] = {}

    @staticmethod
    def new_token() -> str:
        return "fake-" + secrets.token_urlsafe(48)

    def add(self, interaction: FakeInteraction) -> None:
        self.by_id[interaction.id] = interaction
        self.by_token[interaction.token] = interaction

    def for_callback(self, interaction_id: int, token: str) -> FakeInteraction:
        found = self.by_id.get(interaction_id)
        if found is None or found.token != token:
            raise ApiError.of(UNKNOWN_INTERACTION)
        return found

    def for_webhook(self, token: str) -> FakeInteraction:
        found = self.by_token.get(token)
        if found is None or found.callback is None:
            raise ApiError.of(UNKNOWN_WEBHOOK)
        return found


# --- application command data ---------------------------------------------------------------
def _snowflake(value: Any) -> int:
    return int(getattr(value, "id", value))


def _find_option(specs: list[JSON], name: str, what: str) -> JSON:
    for spec in specs:
        if spec["name"] == name:
            return spec
    valid = [s["name"] for s in specs]
    raise ValueError(f"{what} has no option {name!r}; registered options: {valid}")


def command_data(
    state: FakeState,
    command: JSON,
    path: list[str],
    options: Mapping[str, Any],
    channel_id: int,
    *,
    focused: str | None = None,
) -> JSON:
    """INTERACTION_CREATE ``data`` for ``command`` (+ subcommand ``path``) with ``options``."""
    data: JSON = {"id": command["id"], "name": command["name"], "type": command["type"]}
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    node, specs = data, command.get("options") or []
    for name in path:
        spec = _find_option(specs, name, f"/{command['name']}")
        if spec["type"] not in (1, 2):
            raise ValueError(f"{name!r} is not a subcommand or group of /{command['name']}")
        child: JSON = {"type": spec["type"], "name": name}
        node["options"] = [child]
        node, specs = child, spec.get("options") or []
    missing = [s["name"] for s in specs if s.get("required") and s["name"] not in options]
    if missing and focused is None:
        raise ValueError(f"/{command['name']} {' '.join(path)}: missing required {missing}")
    resolved: JSON = {}
    node["options"] = [
        _option(
            state,
            _find_option(specs, name, f"/{command['name']}"),
            value,
            resolved,
            channel_id,
            focused=name == focused,
        )
        for name, value in options.items()
    ]
    if resolved:
        data["resolved"] = resolved
    return data


def _option(
    state: FakeState, spec: JSON, value: Any, resolved: JSON, channel_id: int, *, focused: bool
) -> JSON:
    kind = spec["type"]
    option: JSON = {"name": spec["name"], "type": kind}
    if focused:
        option.update(value=str(value), focused=True)
        return option
    converters = {STRING: str, INTEGER: int, BOOLEAN: bool, NUMBER: float}
    if kind in converters:
        option["value"] = converters[kind](value)
        _check_value(spec, option["value"])
    else:
        option["value"] = str(_resolve(state, kind, value, resolved, channel_id))
    return option


def _check_value(spec: JSON, value: Any) -> None:
    """Reject values the Discord client would not let a user submit."""
    problem = None
    choices = spec.get("choices")
    if choices and value not in [c["value"] for c in choices]:
        problem = f"not one of the choices {[c['value'] for c in choices]}"
    elif "min_value" in spec and value < spec["min_value"]:
        problem = f"below min_value {spec['min_value']}"
    elif "max_value" in spec and value > spec["max_value"]:
        problem = f"above max_value {spec['max_value']}"
    elif isinstance(value, str) and not (
        spec.get("min_length", 0) <= len(value) <= spec.get("max_length", 6000)
    ):
        problem = "length outside min_length/max_length"
    if problem:
        raise ValueError(f"option {spec['name']!r}={value!r} is {problem}")


def check_access(state: FakeState, command: JSON, channel_id: int, user_id: int) -> None:
    """Raise PermissionError where Discord would not offer ``command`` to the user:
    ``default_member_permissions`` (admins bypass; "0" = admins only) and contexts."""
    _, guild = state.channel(channel_id)
    contexts = command.get("contexts")
    name = command["name"]
    if guild is None:
        if command.get("dm_permission") is False or (contexts is not None and 1 not in contexts):
            raise PermissionError(f"/{name} is not available in DMs")
        return
    if contexts is not None and 0 not in contexts:
        raise PermissionError(f"/{name} is not available in guilds")
    required = command.get("default_member_permissions")
    if required is None:
        return
    perms = state.channel_permissions(channel_id, user_id)
    needed = int(required)
    if perms != ALL_PERMISSIONS and (needed == 0 or perms & needed != needed):
        raise PermissionError(
            f"user {user_id} lacks default_member_permissions={needed} for /{name}"
        )


def _resolve(state: FakeState, kind: int, value: Any, resolved: JSON, channel_id: int) -> int:
    """Fill ``resolved`` for snowflake options; returns the id."""
    if kind == ATTACHMENT:
        attachment = dict(value)
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return int(attachment["id"])
    target = _snowflake(value)
    _, guild = state.channel(channel_id)
    if kind in (USER, MENTIONABLE) and target in state.users:
        resolved.setdefault("users", {})[str(target)] = state.users[target]
        if guild is not None and target in guild.members:
            member = dict(guild.members[target])
            member["permissions"] = str(state.channel_permissions(channel_id, target))
            resolved.setdefault("members", {})[str(target)] = member
    elif kind in (ROLE, MENTIONABLE) and guild is not None and target in guild.roles:
        resolved.setdefault("roles", {})[str(target)] = guild.roles[target]
    elif kind == CHANNEL:
        channel, _ = state.channel(target)
        perms = state.channel_permissions(target, state.bot_user_id)
        resolved.setdefault("channels", {})[str(target)] = {**channel, "permissions": str(perms)}
    else:
        raise ValueError(f"cannot resolve option value {value!r} (type {kind})")
    return target


# --- components & modals --------------------------------------------------------------------
def find_component(components: list[JSON], custom_id: str) -> JSON | None:
    """Depth-first search through rows, containers, sections and labels."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        children = list(component.get("components") or [])
        children += [component[k] for k in ("component", "accessory") if component.get(k)]
        found = find_component(children, custom_id)
        if found is not None:
            return found
    return None


def _submitted(component: JSON, value: Any) -> JSON:
    result: JSON = {"type": component["type"], "custom_id": component["custom_id"]}
    if "id" in component:
        result["id"] = component["id"]
    result["values" if isinstance(value, list) else "value"] = value
    return result


def modal_components(modal: JSON | None, values: Mapping[str, Any]) -> list[JSON]:
    """Modal-submit ``components`` mirroring the modal's layout (rows or labels)."""
    if modal is None:
        return [
            {"type": 1, "components": [{"type": 4, "custom_id": k, "value": v}]}
            for k, v in values.items()
        ]
    known: set[str] = set()
    result: list[JSON] = []
    for row in modal.get("components") or []:
        if row.get("type") == 18 and row.get("component", {}).get("custom_id"):
            inner = row["component"]
            known.add(inner["custom_id"])
            label = {"type": 18, "component": _submitted(inner, values.get(inner["custom_id"], ""))}
            result.append({**label, **({"id": row["id"]} if "id" in row else {})})
        elif row.get("type") == 1:
            inputs = [c for c in row.get("components") or [] if c.get("custom_id")]
            known.update(c["custom_id"] for c in inputs)
            result.append(
                {
                    "type": 1,
                    "components": [_submitted(c, values.get(c["custom_id"], "")) for c in inputs],
                }
            )
    unknown = set(values) - known
    if unknown:
        raise ValueError(f"modal {modal.get('custom_id')!r} has no inputs {sorted(unknown)}")
    return result


def interaction_payload(
    state: FakeState,
    application_id: int,
    interaction_id: int,
    token: str,
    kind: int,
    channel_id: int,
    user_id: int,
    data: JSON | None,
    message: JSON | None = None,
) -> JSON:
    """A complete INTERACTION_CREATE payload as sent by Discord for a user in a channel."""
    channel, guild = state.channel(channel_id)
    perms = state.channel_permissions(channel_id, user_id)
    payload: JSON = {
        "id": str(interaction_id),
        "application_id": str(application_id),
        "type": kind,
        "token": token,
        "version": 1,
        "channel_id": str(channel_id),
        "channel": {**channel, "permissions": str(perms)},
        "app_permissions": str(state.channel_permissions(channel_id, state.bot_user_id)),
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "authorizing_integration_owners": {"0": str(guild.id)} if guild else {"1": str(user_id)},
        "context": 0 if guild else 1,
    }
    if data is not None:
        payload["data"] = data
    if message is not None:
        payload["message"] = message
    if guild is None:
        payload["user"] = state.user(user_id)
        return payload
    member = {**state.member_payload(guild, user_id), "permissions": str(perms)}
    payload.update(
        guild_id=str(guild.id),
        guild_locale="en-US",
        member=member,
        guild={"id": str(guild.id), "locale": "en-US", "features": []},
    )
    return payload


def context_menu_data(state: FakeState, command: JSON, target_id: int, channel_id: int) -> JSON:
    """INTERACTION_CREATE ``data`` for a user (type 2) or message (type 3) context menu."""
    data: JSON = {
        "id": command["id"],
        "name": command["name"],
        "type": command["type"],
        "target_id": str(target_id),
    }
    if "guild_id" in command:
        data["guild_id"] = command["guild_id"]
    resolved: JSON = {}
    if command["type"] == 2:
        _resolve(state, USER, target_id, resolved, channel_id)
    else:
        message = state.messages[target_id]
        resolved["messages"] = {str(target_id): message}
    data["resolved"] = resolved
    return data
