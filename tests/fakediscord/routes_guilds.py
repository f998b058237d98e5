"""REST routes for guilds, roles, members and moderation (kick, ban, timeout, roles)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import payloads as p
from .errors import MISSING_PERMISSIONS, UNKNOWN_BAN, ApiError
from .rest import ApiRequest, Route
from .state import GuildData

if TYPE_CHECKING:
    from .server import FakeDiscord

_MEMBER_EDITS = {
    "nick": p.MANAGE_NICKNAMES,
    "roles": p.MANAGE_ROLES,
    "communication_disabled_until": p.MODERATE_MEMBERS,
    "mute": 1 << 22,
    "deaf": 1 << 23,
}


def require_guild_permission(fake: FakeDiscord, guild: GuildData, permission: int) -> None:
    perms = fake.state.base_permissions(guild, fake.bot_user_id)
    if perms & permission != permission:
        raise ApiError.of(MISSING_PERMISSIONS)


def require_above(fake: FakeDiscord, guild: GuildData, target_id: int) -> None:
    """Role hierarchy: the bot can't moderate the owner or members with a role >= its own."""
    if target_id == fake.bot_user_id:
        return
    state = fake.state
    own = state.top_role_position(guild, fake.bot_user_id)
    if target_id == guild.owner_id or state.top_role_position(guild, target_id) >= own:
        raise ApiError.of(MISSING_PERMISSIONS)


async def get_guild(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    payload = fake.state.guild_payload(guild)
    if req.query_flag("with_counts"):
        payload.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
    return payload


async def get_channels(fake: FakeDiscord, req: ApiRequest) -> Any:
    return list(fake.state.guild(req.id("guild_id")).channels.values())


async def get_roles(fake: FakeDiscord, req: ApiRequest) -> Any:
    return list(fake.state.guild(req.id("guild_id")).roles.values())


async def get_member(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    return fake.state.member_payload(guild, req.id("user_id"))


async def list_members(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    after = req.query_int("after", 0) or 0
    limit = req.query_int("limit", 1) or 1
    ids = sorted(uid for uid in guild.members if uid > after)[:limit]
    return [fake.state.member_payload(guild, uid) for uid in ids]


async def search_members(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    query = req.query.get("query", "").lower()
    limit = req.query_int("limit", 1) or 1
    found = [
        uid
        for uid, member in guild.members.items()
        if fake.state.users[uid]["username"].lower().startswith(query)
        or (member.get("nick") or "").lower().startswith(query)
    ]
    return [fake.state.member_payload(guild, uid) for uid in found[:limit]]


async def edit_member(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    user_id = req.id("user_id")
    fake.state.member(guild, user_id)
    changes = {k: v for k, v in req.body.items() if k in _MEMBER_EDITS}
    for key in changes:
        require_guild_permission(fake, guild, _MEMBER_EDITS[key])
    if changes:
        require_above(fake, guild, user_id)
    if "roles" in changes:
        for role_id in changes["roles"]:
            fake.state.role(guild, int(role_id))
    return fake.state.update_member(guild.id, user_id, **changes)


async def _change_role(fake: FakeDiscord, req: ApiRequest, add: bool) -> None:
    guild = fake.state.guild(req.id("guild_id"))
    user_id, role_id = req.id("user_id"), req.id("role_id")
    member = fake.state.member(guild, user_id)
    role = fake.state.role(guild, role_id)
    require_guild_permission(fake, guild, p.MANAGE_ROLES)
    if int(role["position"]) >= fake.state.top_role_position(guild, fake.bot_user_id):
        raise ApiError.of(MISSING_PERMISSIONS)
    roles = [int(r) for r in member["roles"] if int(r) != role_id]
    fake.state.update_member(guild.id, user_id, roles=roles + ([role_id] if add else []))


async def add_member_role(fake: FakeDiscord, req: ApiRequest) -> Any:
    await _change_role(fake, req, add=True)


async def remove_member_role(fake: FakeDiscord, req: ApiRequest) -> Any:
    await _change_role(fake, req, add=False)


async def kick_member(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    user_id = req.id("user_id")
    fake.state.member(guild, user_id)
    require_guild_permission(fake, guild, p.KICK_MEMBERS)
    require_above(fake, guild, user_id)
    fake.state.remove_member(guild.id, user_id)


async def ban_member(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    user_id = req.id("user_id")
    fake.state.user(user_id)
    require_guild_permission(fake, guild, p.BAN_MEMBERS)
    if user_id in guild.members:
        require_above(fake, guild, user_id)
    fake.state.ban(guild.id, user_id, req.call.reason)


async def unban_member(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    user_id = req.id("user_id")
    require_guild_permission(fake, guild, p.BAN_MEMBERS)
    if user_id not in guild.bans:
        raise ApiError.of(UNKNOWN_BAN)
    fake.state.unban(guild.id, user_id)


async def get_ban(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    require_guild_permission(fake, guild, p.BAN_MEMBERS)
    try:
        return guild.bans[req.id("user_id")]
    except KeyError:
        raise ApiError.of(UNKNOWN_BAN) from None


async def list_bans(fake: FakeDiscord, req: ApiRequest) -> Any:
    guild = fake.state.guild(req.id("guild_id"))
    require_guild_permission(fake, guild, p.BAN_MEMBERS)
    return list(guild.bans.values())


ROUTES = [
    Route("GET", "/guilds/{guild_id}", get_guild),
    Route("GET", "/guilds/{guild_id}/channels", get_channels),
    Route("GET", "/guilds/{guild_id}/roles", get_roles),
    Route("GET", "/guilds/{guild_id}/members", list_members),
    Route("GET", "/guilds/{guild_id}/members/search", search_members),
    Route("GET", "/guilds/{guild_id}/members/{user_id}", get_member),
    Route("PATCH", "/guilds/{guild_id}/members/{user_id}", edit_member),
    Route("DELETE", "/guilds/{guild_id}/members/{user_id}", kick_member),
    Route("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", add_member_role),
    Route("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", remove_member_role),
    Route("GET", "/guilds/{guild_id}/bans", list_bans),
    Route("GET", "/guilds/{guild_id}/bans/{user_id}", get_ban),
    Route("PUT", "/guilds/{guild_id}/bans/{user_id}", ban_member),
    Route("DELETE", "/guilds/{guild_id}/bans/{user_id}", unban_member),
]
