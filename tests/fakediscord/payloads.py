"""Pure helpers: snowflakes, timestamps, permission maths and Discord JSON payload builders.

Everything here returns plain ``dict`` objects shaped like the Discord API v10 payloads that
discord.py parses. Nothing in this module does I/O.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from typing import Any

import discord

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1420070400000

# --- permission bits (subset used by the fake) ---------------------------------------------
ALL_PERMISSIONS = discord.Permissions.all().value
ADMINISTRATOR = 1 << 3
KICK_MEMBERS = 1 << 1
BAN_MEMBERS = 1 << 2
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
READ_MESSAGE_HISTORY = 1 << 16
MANAGE_NICKNAMES = 1 << 27
MANAGE_ROLES = 1 << 28
MODERATE_MEMBERS = 1 << 40
DEFAULT_EVERYONE_PERMISSIONS = 1067403562561  # Discord's default @everyone set

# --- intents --------------------------------------------------------------------------------
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_MODERATION = 1 << 2
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_GUILD_REACTIONS = 1 << 10
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_DIRECT_REACTIONS = 1 << 13
INTENT_MESSAGE_CONTENT = 1 << 15

# --- message flags / channel types ------------------------------------------------------------
FLAG_EPHEMERAL = 64
FLAG_LOADING = 128
CHANNEL_TEXT = 0
CHANNEL_DM = 1
CHANNEL_VOICE = 2
CHANNEL_CATEGORY = 4


class Snowflakes:
    """Generates unique, time-ordered snowflake ids (optionally for a given past time)."""

    def __init__(self) -> None:
        self._counter = itertools.count(1)
        self._last = 0

    def next(self, at: dt.datetime | None = None) -> int:
        """Return a new id; ids generated for "now" are strictly increasing."""
        moment = at or utcnow()
        millis = int(moment.timestamp() * 1000) - DISCORD_EPOCH_MS
        value = (millis << 22) | (next(self._counter) & 0x3FFFFF)
        if at is None:
            value = max(value, self._last + 1)
            self._last = value
        return value


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def iso(moment: dt.datetime | None = None) -> str:
    return (moment or utcnow()).isoformat()


def snowflake_time(snowflake: int) -> dt.datetime:
    millis = (snowflake >> 22) + DISCORD_EPOCH_MS
    return dt.datetime.fromtimestamp(millis / 1000, tz=dt.UTC)


# --- entity payloads ---------------------------------------------------------------------------
def user_payload(
    user_id: int,
    name: str,
    *,
    bot: bool = False,
    global_name: str | None = None,
) -> JSON:
    return {
        "id": str(user_id),
        "username": name,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": None,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
        "public_flags": 0,
        "flags": 0,
        "bot": bot,
        "system": False,
    }


def member_fields(
    roles: list[int],
    *,
    nick: str | None = None,
    joined_at: str | None = None,
) -> JSON:
    """Member payload fields *without* ``user`` (composed later so user edits propagate)."""
    return {
        "nick": nick,
        "avatar": None,
        "banner": None,
        "roles": [str(r) for r in roles],
        "joined_at": joined_at or iso(),
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "pending": False,
        "flags": 0,
        "communication_disabled_until": None,
    }


def role_payload(
    role_id: int,
    name: str,
    *,
    permissions: int,
    position: int,
    managed: bool = False,
    tags: JSON | None = None,
    color: int = 0,
    hoist: bool = False,
    mentionable: bool = False,
) -> JSON:
    payload: JSON = {
        "id": str(role_id),
        "name": name,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": managed,
        "mentionable": mentionable,
        "flags": 0,
    }
    if tags is not None:
        payload["tags"] = tags
    return payload


def channel_payload(
    channel_id: int,
    guild_id: int,
    name: str,
    *,
    type_: int = CHANNEL_TEXT,
    position: int = 0,
    topic: str | None = None,
    parent_id: int | None = None,
    nsfw: bool = False,
) -> JSON:
    payload: JSON = {
        "id": str(channel_id),
        "type": type_,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "parent_id": str(parent_id) if parent_id else None,
        "nsfw": nsfw,
        "flags": 0,
    }
    if type_ == CHANNEL_VOICE:
        payload.update(bitrate=64000, user_limit=0, rtc_region=None, rate_limit_per_user=0)
    elif type_ != CHANNEL_CATEGORY:
        payload.update(topic=topic, last_message_id=None, rate_limit_per_user=0)
    return payload


def dm_channel_payload(channel_id: int, recipient: JSON) -> JSON:
    return {
        "id": str(channel_id),
        "type": CHANNEL_DM,
        "last_message_id": None,
        "recipients": [recipient],
        "flags": 0,
    }


def application_payload(app_id: int, name: str, owner: JSON, bot: JSON) -> JSON:
    return {
        "id": str(app_id),
        "name": name,
        "icon": None,
        "description": "Fake application",
        "summary": "",
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "team": None,
        "verify_key": "0" * 64,
        "flags": 0,
        "bot": bot,
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "tags": [],
        "approximate_guild_count": 0,
    }


def message_payload(
    message_id: int,
    channel_id: int,
    author: JSON,
    content: str,
    *,
    guild_id: int | None = None,
    timestamp: str | None = None,
    **fields: Any,
) -> JSON:
    """A complete message object; ``fields`` override the defaults."""
    payload: JSON = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "author": author,
        "content": content,
        "timestamp": timestamp or iso(snowflake_time(message_id)),
        "edited_timestamp": None,
        "tts": False,
        "mention_everyone": False,
        "mentions": [],
        "mention_roles": [],
        "attachments": [],
        "embeds": [],
        "components": [],
        "reactions": [],
        "pinned": False,
        "type": 0,
        "flags": 0,
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    payload.update(fields)
    return payload


_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")


def parse_mentions(content: str) -> tuple[list[int], list[int], bool]:
    """Return (user ids, role ids, mentions everyone) found in message content."""
    users = [int(m) for m in _USER_MENTION.findall(content)]
    roles = [int(m) for m in _ROLE_MENTION.findall(content)]
    return users, roles, "@everyone" in content or "@here" in content


# --- permissions -------------------------------------------------------------------------------
def apply_overwrite(perms: int, overwrite: JSON) -> int:
    return (perms & ~int(overwrite.get("deny", 0))) | int(overwrite.get("allow", 0))


def channel_overwrites(
    base: int,
    overwrites: list[JSON],
    guild_id: int,
    role_ids: list[int],
    user_id: int,
) -> int:
    """Apply channel permission overwrites in Discord's order (everyone, roles, member)."""
    by_id = {int(o["id"]): o for o in overwrites}
    perms = apply_overwrite(base, by_id.get(guild_id, {}))
    allow = deny = 0
    for role_id in role_ids:
        overwrite = by_id.get(role_id)
        if overwrite is not None and overwrite.get("type", 0) == 0:
            allow |= int(overwrite.get("allow", 0))
            deny |= int(overwrite.get("deny", 0))
    perms = (perms & ~deny) | allow
    member_ow = by_id.get(user_id)
    if member_ow is not None and member_ow.get("type", 1) == 1:
        perms = apply_overwrite(perms, member_ow)
    return perms if perms & VIEW_CHANNEL else 0
