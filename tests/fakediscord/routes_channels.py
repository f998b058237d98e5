"""REST routes for channels, messages, reactions, DMs and users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from . import botmessages as bm
from . import payloads as p
from .errors import (
    CANNOT_DM_USER,
    CANNOT_EDIT_OTHERS,
    MISSING_ACCESS,
    MISSING_PERMISSIONS,
    ApiError,
)
from .rest import ApiRequest, Route

if TYPE_CHECKING:
    from .server import FakeDiscord

_CHANNEL_EDITABLE = (
    "name",
    "topic",
    "nsfw",
    "rate_limit_per_user",
    "position",
    "parent_id",
    "permission_overwrites",
)


def require_channel_permission(fake: FakeDiscord, channel_id: int, permission: int) -> None:
    """403 Missing Access without VIEW_CHANNEL, 403 Missing Permissions without ``permission``."""
    perms = fake.state.channel_permissions(channel_id, fake.bot_user_id)
    if not perms & p.VIEW_CHANNEL:
        raise ApiError.of(MISSING_ACCESS)
    if perms & permission != permission:
        raise ApiError.of(MISSING_PERMISSIONS)


async def get_channel(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel, _ = fake.state.channel(req.id("channel_id"))
    return channel


async def edit_channel(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    require_channel_permission(fake, channel_id, 1 << 4)  # MANAGE_CHANNELS
    changes = {k: v for k, v in req.body.items() if k in _CHANNEL_EDITABLE}
    return fake.state.update_channel(channel_id, **changes)


async def trigger_typing(fake: FakeDiscord, req: ApiRequest) -> Any:
    fake.state.channel(req.id("channel_id"))
    return None


async def create_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    _, guild = fake.state.channel(channel_id)
    if guild is None and fake.state.dm_recipient(channel_id) in fake.state.blocked_dms:
        raise ApiError.of(CANNOT_DM_USER)
    require_channel_permission(fake, channel_id, p.SEND_MESSAGES)
    bm.validate_body(req.body, req.files, creating=True)
    message = bm.new_message(fake, channel_id, req.body, req.files)
    fake.state.store_message(message)
    bm.record(fake, "create", "rest", message, req.body, req.files)
    bm.announce(fake, "MESSAGE_CREATE", message)
    return message


async def get_messages(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    require_channel_permission(fake, channel_id, p.READ_MESSAGE_HISTORY)
    return fake.state.history(
        channel_id,
        limit=req.query_int("limit", 50) or 50,
        before=req.query_int("before"),
        after=req.query_int("after"),
        around=req.query_int("around"),
    )


async def get_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    require_channel_permission(fake, channel_id, p.READ_MESSAGE_HISTORY)
    return fake.state.message(channel_id, req.id("message_id"))


async def edit_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    message = fake.state.message(channel_id, req.id("message_id"))
    if int(message["author"]["id"]) != fake.bot_user_id:
        raise ApiError.of(CANNOT_EDIT_OTHERS)
    bm.validate_body(req.body, req.files, creating=False)
    bm.apply_edit(fake, message, req.body, req.files)
    bm.record(fake, "edit", "rest", message, req.body, req.files)
    bm.announce(fake, "MESSAGE_UPDATE", message)
    return message


async def delete_message(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    message = fake.state.message(channel_id, req.id("message_id"))
    if int(message["author"]["id"]) != fake.bot_user_id:
        require_channel_permission(fake, channel_id, p.MANAGE_MESSAGES)
    fake.state.pop_message(channel_id, int(message["id"]))
    bm.record(fake, "delete", "rest", message, None)
    bm.announce_delete(fake, message)
    return None


async def bulk_delete(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    require_channel_permission(fake, channel_id, p.MANAGE_MESSAGES)
    ids = [int(m) for m in req.body.get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise ApiError(400, 50035, "Invalid Form Body", {"messages": "2-100 ids required"})
    deleted = []
    for message_id in ids:
        if message_id in fake.state.channel_messages.get(channel_id, []):
            message = fake.state.pop_message(channel_id, message_id)
            bm.record(fake, "delete", "rest", message, None)
            deleted.append(str(message_id))
    _, guild = fake.state.channel(channel_id)
    data: dict[str, Any] = {"ids": deleted, "channel_id": str(channel_id)}
    if guild is not None:
        data["guild_id"] = str(guild.id)
    fake.gateway.dispatch("MESSAGE_DELETE_BULK", data, guild.id if guild else None)
    return None


def _emoji(raw: str) -> dict[str, Any]:
    text = unquote(raw)
    name, _, emoji_id = text.partition(":")
    return {"id": emoji_id or None, "name": name}


async def add_own_reaction(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    require_channel_permission(fake, channel_id, p.ADD_REACTIONS | p.READ_MESSAGE_HISTORY)
    fake.react(channel_id, req.id("message_id"), fake.bot_user_id, _emoji(req.params["emoji"]))
    return None


async def remove_own_reaction(fake: FakeDiscord, req: ApiRequest) -> Any:
    channel_id = req.id("channel_id")
    fake.unreact(channel_id, req.id("message_id"), fake.bot_user_id, _emoji(req.params["emoji"]))
    return None


async def create_dm(fake: FakeDiscord, req: ApiRequest) -> Any:
    user_id = int(req.body.get("recipient_id") or 0)
    fake.state.user(user_id)
    return fake.state.dm_channels[fake.state.dm_channel(user_id)]


async def get_me(fake: FakeDiscord, req: ApiRequest) -> Any:
    return {**fake.bot_user, "verified": True, "mfa_enabled": False, "email": None}


async def get_user(fake: FakeDiscord, req: ApiRequest) -> Any:
    return fake.state.user(req.id("user_id"))


async def get_my_guilds(fake: FakeDiscord, req: ApiRequest) -> Any:
    state = fake.state
    return [
        {
            "id": str(g.id),
            "name": g.name,
            "icon": None,
            "banner": None,
            "owner": g.owner_id == state.bot_user_id,
            "features": [],
            "permissions": str(state.base_permissions(g, state.bot_user_id)),
        }
        for g in state.guilds.values()
    ]


ROUTES = [
    Route("GET", "/channels/{channel_id}", get_channel),
    Route("PATCH", "/channels/{channel_id}", edit_channel),
    Route("POST", "/channels/{channel_id}/typing", trigger_typing),
    Route("POST", "/channels/{channel_id}/messages", create_message),
    Route("GET", "/channels/{channel_id}/messages", get_messages),
    Route("POST", "/channels/{channel_id}/messages/bulk-delete", bulk_delete),
    Route("GET", "/channels/{channel_id}/messages/{message_id}", get_message),
    Route("PATCH", "/channels/{channel_id}/messages/{message_id}", edit_message),
    Route("DELETE", "/channels/{channel_id}/messages/{message_id}", delete_message),
    Route(
        "PUT",
        "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        add_own_reaction,
    ),
    Route(
        "DELETE",
        "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
        remove_own_reaction,
    ),
    Route("POST", "/users/@me/channels", create_dm),
    Route("GET", "/users/@me", get_me),
    Route("GET", "/users/@me/guilds", get_my_guilds),
    Route("GET", "/users/{user_id}", get_user),
]
