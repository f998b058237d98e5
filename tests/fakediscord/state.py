"""In-memory model of users, guilds, roles, channels, members and messages.

State mutations call ``emit(event, data, guild_id)`` so the gateway can dispatch the matching
event (GUILD_CREATE, CHANNEL_DELETE, ...). ``guild_id`` is ``None`` for DM/global events.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from . import payloads as p
from .errors import (
    UNKNOWN_CHANNEL,
    UNKNOWN_GUILD,
    UNKNOWN_MEMBER,
    UNKNOWN_MESSAGE,
    UNKNOWN_ROLE,
    UNKNOWN_USER,
    ApiError,
)
from .payloads import JSON

Emit = Callable[[str, JSON, "int | None"], None]


@dataclass
class GuildData:
    """One guild; ``members`` holds member fields without ``user`` (see member_payload)."""

    id: int
    name: str
    owner_id: int
    joined_at: str
    roles: dict[int, JSON] = field(default_factory=dict)
    channels: dict[int, JSON] = field(default_factory=dict)
    members: dict[int, JSON] = field(default_factory=dict)
    bans: dict[int, JSON] = field(default_factory=dict)


class FakeState:
    """The fake's world. All ids are ints here; payloads carry string ids like Discord."""

    def __init__(self, ids: p.Snowflakes, emit: Emit, *, bot_name: str, owner_name: str) -> None:
        self.ids = ids
        self._emit = emit
        self.users: dict[int, JSON] = {}
        self.guilds: dict[int, GuildData] = {}
        self.channel_guild: dict[int, int] = {}
        self.dm_channels: dict[int, JSON] = {}
        self.dm_by_user: dict[int, int] = {}
        self.deleted_channels: set[int] = set()
        self.blocked_dms: set[int] = set()
        self.messages: dict[int, JSON] = {}
        self.channel_messages: dict[int, list[int]] = defaultdict(list)
        self.nonces: dict[tuple[int, int, str], tuple[int, float]] = {}  # enforce_nonce
        self.bot_user_id = self.add_user(bot_name, bot=True)
        self.owner_id = self.add_user(owner_name)

    # --- users -------------------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        bot: bool = False,
        user_id: int | None = None,
        global_name: str | None = None,
    ) -> int:
        uid = user_id or self.ids.next()
        self.users[uid] = p.user_payload(uid, name, bot=bot, global_name=global_name)
        return uid

    def user(self, user_id: int) -> JSON:
        try:
            return self.users[user_id]
        except KeyError:
            raise ApiError.of(UNKNOWN_USER) from None

    # --- guilds ------------------------------------------------------------------------------
    def guild(self, guild_id: int) -> GuildData:
        try:
            return self.guilds[guild_id]
        except KeyError:
            raise ApiError.of(UNKNOWN_GUILD) from None

    def add_guild(
        self,
        name: str,
        *,
        owner_id: int | None = None,
        guild_id: int | None = None,
        everyone_permissions: int = p.DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: int | None = None,
    ) -> int:
        owner = owner_id or self.owner_id
        self.user(owner)
        gid = guild_id or self.ids.next()
        guild = GuildData(gid, name, owner, p.iso())
        guild.roles[gid] = p.role_payload(
            gid, "@everyone", permissions=everyone_permissions, position=0
        )
        self.guilds[gid] = guild
        guild.members[owner] = p.member_fields([])
        bot_roles = []
        if bot_permissions is not None:
            bot_name = self.users[self.bot_user_id]["username"]
            tags = {"bot_id": str(self.bot_user_id)}
            bot_roles.append(
                self._new_role(guild, bot_name, bot_permissions, managed=True, tags=tags)
            )
        guild.members[self.bot_user_id] = p.member_fields(bot_roles)
        self._emit("GUILD_CREATE", self.guild_create_payload(gid), gid)
        return gid

    def remove_guild(self, guild_id: int) -> None:
        guild = self.guilds.pop(guild_id)
        for cid in guild.channels:
            self.channel_guild.pop(cid, None)
            self.deleted_channels.add(cid)
        self._emit("GUILD_DELETE", {"id": str(guild_id), "unavailable": False}, guild_id)

    def guild_payload(self, guild: GuildData) -> JSON:
        """The REST shape of a guild (GET /guilds/{id})."""
        return {
            "id": str(guild.id),
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": str(guild.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "roles": list(guild.roles.values()),
            "emojis": [],
            "stickers": [],
            "features": [],
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "vanity_url_code": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "premium_progress_bar_enabled": False,
            "max_members": 500000,
        }

    def guild_create_payload(self, guild_id: int, *, unavailable: bool | None = None) -> JSON:
        """The gateway GUILD_CREATE shape (with channels, members, ...)."""
        guild = self.guild(guild_id)
        payload = self.guild_payload(guild)
        payload.update(
            joined_at=guild.joined_at,
            large=False,
            member_count=len(guild.members),
            members=[self.member_payload(guild, uid) for uid in guild.members],
            channels=[dict(c) for c in guild.channels.values()],
            threads=[],
            presences=[],
            voice_states=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        for channel in payload["channels"]:
            channel.pop("guild_id", None)
        if unavailable is not None:
            payload["unavailable"] = unavailable
        return payload

    # --- roles -------------------------------------------------------------------------------
    def _new_role(self, guild: GuildData, name: str, permissions: int, **kw: object) -> int:
        rid = self.ids.next()
        position = max(int(r["position"]) for r in guild.roles.values()) + 1
        guild.roles[rid] = p.role_payload(
            rid, name, permissions=permissions, position=position, **kw
        )  # type: ignore[arg-type]
        return rid

    def add_role(self, guild_id: int, name: str, *, permissions: int = 0, **kw: object) -> int:
        guild = self.guild(guild_id)
        rid = self._new_role(guild, name, permissions, **kw)
        self._emit(
            "GUILD_ROLE_CREATE", {"guild_id": str(guild_id), "role": guild.roles[rid]}, guild_id
        )
        return rid

    def role(self, guild: GuildData, role_id: int) -> JSON:
        try:
            return guild.roles[role_id]
        except KeyError:
            raise ApiError.of(UNKNOWN_ROLE) from None

    def remove_role(self, guild_id: int, role_id: int) -> None:
        guild = self.guild(guild_id)
        guild.roles.pop(role_id)
        for uid, member in guild.members.items():
            if str(role_id) in member["roles"]:
                self.update_member(
                    guild_id, uid, roles=[int(r) for r in member["roles"] if r != str(role_id)]
                )
        self._emit(
            "GUILD_ROLE_DELETE", {"guild_id": str(guild_id), "role_id": str(role_id)}, guild_id
        )

    # --- members -----------------------------------------------------------------------------
    def member(self, guild: GuildData, user_id: int) -> JSON:
        try:
            return guild.members[user_id]
        except KeyError:
            raise ApiError.of(UNKNOWN_MEMBER) from None

    def member_payload(self, guild: GuildData, user_id: int) -> JSON:
        return {**self.member(guild, user_id), "user": self.users[user_id]}

    def add_member(
        self,
        guild_id: int,
        user_id: int,
        *,
        roles: Iterable[int] = (),
        nick: str | None = None,
    ) -> None:
        guild = self.guild(guild_id)
        self.user(user_id)
        guild.members[user_id] = p.member_fields(list(roles), nick=nick)
        data = {**self.member_payload(guild, user_id), "guild_id": str(guild_id)}
        self._emit("GUILD_MEMBER_ADD", data, guild_id)

    def update_member(self, guild_id: int, user_id: int, **changes: object) -> JSON:
        """Apply member field changes (``roles`` as ints) and emit GUILD_MEMBER_UPDATE."""
        guild = self.guild(guild_id)
        member = self.member(guild, user_id)
        if "roles" in changes:
            changes["roles"] = [str(r) for r in changes["roles"]]  # type: ignore[attr-defined]
        member.update(changes)
        data = {**self.member_payload(guild, user_id), "guild_id": str(guild_id)}
        self._emit("GUILD_MEMBER_UPDATE", data, guild_id)
        return data

    def remove_member(self, guild_id: int, user_id: int) -> None:
        guild = self.guild(guild_id)
        self.member(guild, user_id)
        del guild.members[user_id]
        data = {"guild_id": str(guild_id), "user": self.users[user_id]}
        self._emit("GUILD_MEMBER_REMOVE", data, guild_id)

    def ban(self, guild_id: int, user_id: int, reason: str | None) -> None:
        guild = self.guild(guild_id)
        user = self.user(user_id)
        guild.bans[user_id] = {"reason": reason, "user": user}
        if user_id in guild.members:
            self.remove_member(guild_id, user_id)
        self._emit("GUILD_BAN_ADD", {"guild_id": str(guild_id), "user": user}, guild_id)

    def unban(self, guild_id: int, user_id: int) -> None:
        guild = self.guild(guild_id)
        entry = guild.bans.pop(user_id)
        self._emit("GUILD_BAN_REMOVE", {"guild_id": str(guild_id), "user": entry["user"]}, guild_id)

    # --- channels ----------------------------------------------------------------------------
    def add_channel(
        self,
        guild_id: int,
        name: str,
        *,
        type_: int = p.CHANNEL_TEXT,
        topic: str | None = None,
        parent_id: int | None = None,
        position: int | None = None,
        channel_id: int | None = None,
    ) -> int:
        guild = self.guild(guild_id)
        cid = channel_id or self.ids.next()
        pos = len(guild.channels) if position is None else position
        guild.channels[cid] = p.channel_payload(
            cid, guild_id, name, type_=type_, position=pos, topic=topic, parent_id=parent_id
        )
        self.channel_guild[cid] = guild_id
        self._emit("CHANNEL_CREATE", guild.channels[cid], guild_id)
        return cid

    def channel(self, channel_id: int) -> tuple[JSON, GuildData | None]:
        """Return (channel payload, guild or None for DMs); 404 Unknown Channel otherwise."""
        if channel_id in self.dm_channels:
            return self.dm_channels[channel_id], None
        gid = self.channel_guild.get(channel_id)
        if gid is None:
            raise ApiError.of(UNKNOWN_CHANNEL)
        return self.guilds[gid].channels[channel_id], self.guilds[gid]

    def update_channel(self, channel_id: int, **changes: object) -> JSON:
        channel, guild = self.channel(channel_id)
        channel.update(changes)
        self._emit("CHANNEL_UPDATE", channel, guild.id if guild else None)
        return channel

    def remove_channel(self, channel_id: int) -> None:
        channel, guild = self.channel(channel_id)
        if guild is None:
            del self.dm_channels[channel_id]
        else:
            del guild.channels[channel_id]
            del self.channel_guild[channel_id]
        self.deleted_channels.add(channel_id)
        self._emit("CHANNEL_DELETE", channel, guild.id if guild else None)

    def set_overwrite(self, channel_id: int, target_id: int, *, allow: int, deny: int) -> None:
        channel, guild = self.channel(channel_id)
        if guild is None:
            raise ValueError("DM channels have no permission overwrites")
        kind = 0 if target_id in guild.roles else 1
        overwrites = [o for o in channel["permission_overwrites"] if int(o["id"]) != target_id]
        overwrites.append(
            {"id": str(target_id), "type": kind, "allow": str(allow), "deny": str(deny)}
        )
        self.update_channel(channel_id, permission_overwrites=overwrites)

    def dm_channel(self, user_id: int) -> int:
        """Get or create the DM channel with ``user_id``."""
        if user_id not in self.dm_by_user:
            cid = self.ids.next()
            self.dm_channels[cid] = p.dm_channel_payload(cid, self.user(user_id))
            self.dm_by_user[user_id] = cid
        return self.dm_by_user[user_id]

    def dm_recipient(self, channel_id: int) -> int | None:
        channel = self.dm_channels.get(channel_id)
        return int(channel["recipients"][0]["id"]) if channel else None

    # --- permissions -------------------------------------------------------------------------
    def base_permissions(self, guild: GuildData, user_id: int) -> int:
        if user_id == guild.owner_id:
            return p.ALL_PERMISSIONS
        member = guild.members.get(user_id)
        if member is None:
            return 0
        perms = int(guild.roles[guild.id]["permissions"])
        for rid in member["roles"]:
            role = guild.roles.get(int(rid))
            if role is not None:
                perms |= int(role["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def channel_permissions(self, channel_id: int, user_id: int) -> int:
        channel, guild = self.channel(channel_id)
        if guild is None:
            return p.DEFAULT_EVERYONE_PERMISSIONS
        base = self.base_permissions(guild, user_id)
        if base == p.ALL_PERMISSIONS:
            return base
        role_ids = [int(r) for r in guild.members.get(user_id, {}).get("roles", [])]
        return p.channel_overwrites(
            base, channel["permission_overwrites"], guild.id, role_ids, user_id
        )

    def top_role_position(self, guild: GuildData, user_id: int) -> int:
        if user_id == guild.owner_id:
            return 1 << 30
        roles = guild.members.get(user_id, {}).get("roles", [])
        return max(
            (int(guild.roles[int(r)]["position"]) for r in roles if int(r) in guild.roles),
            default=0,
        )

    # --- messages ----------------------------------------------------------------------------
    def store_message(self, message: JSON) -> None:
        mid, cid = int(message["id"]), int(message["channel_id"])
        if mid not in self.messages:
            bisect.insort(self.channel_messages[cid], mid)
        self.messages[mid] = message
        channel, _ = self.channel(cid)
        last = channel.get("last_message_id")
        if last is None or int(last) < mid:
            channel["last_message_id"] = str(mid)

    def message(self, channel_id: int, message_id: int) -> JSON:
        message = self.messages.get(message_id)
        if message is None or int(message["channel_id"]) != channel_id:
            raise ApiError.of(UNKNOWN_MESSAGE)
        return message

    def pop_message(self, channel_id: int, message_id: int) -> JSON:
        message = self.message(channel_id, message_id)
        del self.messages[message_id]
        self.channel_messages[channel_id].remove(message_id)
        return message

    def history(
        self,
        channel_id: int,
        *,
        limit: int = 50,
        before: int | None = None,
        after: int | None = None,
        around: int | None = None,
    ) -> list[JSON]:
        """Messages newest first, following Discord's before/after/around semantics."""
        ids = self.channel_messages.get(channel_id, [])
        limit = max(1, min(limit, 100))
        if around is not None:
            pos = bisect.bisect_left(ids, around)
            half = limit // 2
            chosen = ids[max(0, pos - half) : pos + (limit - half)]
        elif after is not None:
            chosen = ids[bisect.bisect_right(ids, after) :][:limit]
        else:
            end = bisect.bisect_left(ids, before) if before is not None else len(ids)
            chosen = ids[max(0, end - limit) : end]
        return [self.messages[mid] for mid in reversed(chosen)]
