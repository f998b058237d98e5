"""REST routes for the gateway URL, the application and application commands."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import UNKNOWN_APPLICATION, ApiError
from .rest import ApiRequest, Route

if TYPE_CHECKING:
    from .server import FakeDiscord


async def get_gateway(fake: FakeDiscord, req: ApiRequest) -> Any:
    return {"url": fake.gateway_url}


async def get_gateway_bot(fake: FakeDiscord, req: ApiRequest) -> Any:
    return {
        "url": fake.gateway_url,
        "shards": fake.recommended_shards,
        "session_start_limit": {
            "total": 1000,
            "remaining": 999,
            "reset_after": 14400000,
            "max_concurrency": 1,
        },
    }


async def get_application(fake: FakeDiscord, req: ApiRequest) -> Any:
    return fake.application


def _scope(fake: FakeDiscord, req: ApiRequest) -> int | None:
    if req.id("application_id") != fake.application_id:
        raise ApiError.of(UNKNOWN_APPLICATION)
    if "guild_id" not in req.params:
        return None
    guild_id = req.id("guild_id")
    fake.state.guild(guild_id)
    return guild_id


async def list_commands(fake: FakeDiscord, req: ApiRequest) -> Any:
    return fake.commands.commands.get(_scope(fake, req), [])


async def overwrite_commands(fake: FakeDiscord, req: ApiRequest) -> Any:
    bodies = req.json if isinstance(req.json, list) else []
    return fake.commands.overwrite(_scope(fake, req), bodies)


async def upsert_command(fake: FakeDiscord, req: ApiRequest) -> Any:
    return fake.commands.upsert(_scope(fake, req), req.body)


async def get_command(fake: FakeDiscord, req: ApiRequest) -> Any:
    return fake.commands.get(_scope(fake, req), req.id("command_id"))


async def edit_command(fake: FakeDiscord, req: ApiRequest) -> Any:
    return fake.commands.edit(_scope(fake, req), req.id("command_id"), req.body)


async def delete_command(fake: FakeDiscord, req: ApiRequest) -> Any:
    fake.commands.delete(_scope(fake, req), req.id("command_id"))


async def list_command_permissions(fake: FakeDiscord, req: ApiRequest) -> Any:
    _scope(fake, req)
    return []


_GLOBAL = "/applications/{application_id}/commands"
_GUILD = "/applications/{application_id}/guilds/{guild_id}/commands"

ROUTES = [
    Route("GET", "/gateway", get_gateway),
    Route("GET", "/gateway/bot", get_gateway_bot),
    Route("GET", "/oauth2/applications/@me", get_application),
    Route("GET", "/applications/@me", get_application),
    Route("GET", f"{_GUILD}/permissions", list_command_permissions),
]
for _base in (_GLOBAL, _GUILD):
    ROUTES += [
        Route("GET", _base, list_commands),
        Route("PUT", _base, overwrite_commands),
        Route("POST", _base, upsert_command),
        Route("GET", _base + "/{command_id}", get_command),
        Route("PATCH", _base + "/{command_id}", edit_command),
        Route("DELETE", _base + "/{command_id}", delete_command),
    ]
