"""``FakeDiscord``: the public facade tying state, REST, gateway and recorders together."""

from __future__ import annotations

import asyncio
import mimetypes
import re
import socket
from collections.abc import Iterable, Mapping
from typing import Any, Self
from urllib.parse import quote

from aiohttp import web

from . import interactions as it
from . import payloads as p
from . import routes_channels, routes_guilds, routes_interactions, routes_meta
from .commands import CommandRegistry
from .faults import FaultInjector, FaultRule, RouteLimit
from .gateway import OP_RECONNECT, GatewayServer
from .interactions import FakeInteraction, InteractionRegistry
from .payloads import JSON
from .recorder import MessageLog, MessagePredicate, RecordedCall
from .rest import LateAnswer, RestServer
from .state import FakeState

STOP_GRACE = 1.0  # seconds
_SELECT_TYPES = frozenset({3, 5, 6, 7, 8})


class FakeDiscord:
    """A loopback Discord (REST + gateway) that an unmodified discord.py client can use.

    See the package docstring for a usage example. All ids passed in and returned are ints.

    Options: ``token`` (``None`` = accept any; otherwise REST 401 / gateway close 4004 on
    mismatch), ``heartbeat_interval_ms`` (sent in HELLO), ``interaction_timeout`` (seconds
    before an unanswered interaction's callback gets 404 Unknown interaction, like Discord's
    3 s; ``None`` disables), ``echo_bot_messages`` (dispatch MESSAGE_CREATE/UPDATE for the
    bot's own messages), ``ratelimit_limit`` / ``ratelimit_reset_after`` (the generous
    X-RateLimit headers on normal answers), ``resume_buffer`` (events kept per session for
    RESUME replay), ``shards`` (the shard count ``/gateway/bot`` recommends; a session that
    IDENTIFYs with ``[shard_id, shard_count]`` gets only the events and GUILD_CREATEs of
    servers with ``(guild_id >> 22) % shard_count == shard_id``, DMs on shard 0).
    """

    def __init__(
        self,
        *,
        token: str | None = None,
        heartbeat_interval_ms: int = 41250,
        bot_name: str = "FakeBot",
        owner_name: str = "owner",
        host: str = "127.0.0.1",
        port: int = 0,
        interaction_timeout: float | None = 3.0,
        echo_bot_messages: bool = True,
        ratelimit_limit: int = 50,
        ratelimit_reset_after: float = 0.01,
        application_flags: int = 0,
        resume_buffer: int = 10_000,
        shards: int = 1,
    ) -> None:
        self.token = token
        self.host, self._requested_port = host, port
        self.interaction_timeout = interaction_timeout
        self.echo_bot_messages = echo_bot_messages
        self.ratelimit_limit = ratelimit_limit
        self.ratelimit_reset_after = ratelimit_reset_after
        self.application_flags = application_flags
        self.recommended_shards = shards  # what /gateway/bot recommends
        # Privileged intents the application is not granted: IDENTIFY asking closes 4014.
        self.disallowed_intents = 0
        self.ids = p.Snowflakes()
        self.gateway = GatewayServer(
            self, heartbeat_interval_ms=heartbeat_interval_ms, resume_buffer=resume_buffer
        )
        self.state = FakeState(
            self.ids, self.gateway.dispatch, bot_name=bot_name, owner_name=owner_name
        )
        self.application_id = self.state.bot_user_id
        self.commands = CommandRegistry(self.ids, self.application_id)
        self.interactions = InteractionRegistry()
        self.faults = FaultInjector()
        self.log = MessageLog()
        self.calls: list[RecordedCall] = []
        self.modals: dict[str, JSON] = {}
        self.modal_origins: dict[str, FakeInteraction] = {}
        self.attachments: dict[int, bytes] = {}
        self._ephemeral: dict[int, JSON] = {}
        self._reactions: dict[tuple[int, str], set[int]] = {}
        self.rest = RestServer(
            self,
            [
                *routes_meta.ROUTES,
                *routes_channels.ROUTES,
                *routes_guilds.ROUTES,
                *routes_interactions.ROUTES,
            ],
            self.faults,
        )
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

    # --- lifecycle ---------------------------------------------------------------------------
    async def start(self) -> Self:
        """Bind ``host`` on a free port (or ``port``) and start serving."""
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/gateway/", self.gateway.handle)
        app.router.add_get(
            "/attachments/{channel_id}/{attachment_id}/{filename}", self._serve_attachment
        )
        app.router.add_route("*", "/api/{tail:.*}", self.rest.handle)
        # Stopping waits this long for calls still being answered (one told to answer late,
        # to a client long gone), then cancels them: not aiohttp's default of a minute.
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=STOP_GRACE
        )
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self._requested_port))
        self._port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        """Close every gateway socket and stop the HTTP server."""
        if self._runner is None:
            return
        await self.gateway.close_all()
        await self._runner.cleanup()
        self._runner = None

    async def __aenter__(self) -> Self:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        data = self.attachments.get(int(request.match_info["attachment_id"]))
        if data is None:
            raise web.HTTPNotFound()
        content_type = mimetypes.guess_type(request.match_info["filename"])[0]
        return web.Response(body=data, content_type=content_type or "application/octet-stream")

    # --- addresses & identities ----------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("FakeDiscord is not started; await fake.start() first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        """Value for ``DiscordWebSocket.DEFAULT_GATEWAY`` (wrap in ``yarl.URL``)."""
        return f"ws://{self.host}:{self.port}/gateway"

    @property
    def bot_user_id(self) -> int:
        return self.state.bot_user_id

    @property
    def bot_user(self) -> JSON:
        return self.state.users[self.state.bot_user_id]

    @property
    def owner_id(self) -> int:
        return self.state.owner_id

    @property
    def owner(self) -> JSON:
        """The application owner (``bot.is_owner`` is true for this user)."""
        return self.state.users[self.state.owner_id]

    @property
    def application(self) -> JSON:
        app = p.application_payload(
            self.application_id, self.bot_user["username"], self.owner, self.bot_user
        )
        app["flags"] = self.application_flags
        app["approximate_guild_count"] = len(self.state.guilds)
        return app

    # --- observations --------------------------------------------------------------------------
    @property
    def registered_commands(self) -> dict[int | None, list[JSON]]:
        """Synced commands per scope: ``None`` = global, else guild id."""
        return self.commands.commands

    @property
    def sync_count(self) -> int:
        """Number of bulk-overwrite (``tree.sync``) calls, all scopes together."""
        return sum(self.commands.sync_counts.values())

    @property
    def sync_counts(self) -> dict[int | None, int]:
        return dict(self.commands.sync_counts)

    def register_commands(
        self,
        payloads: list[JSON],
        *,
        guild_id: int | None = None,
    ) -> list[JSON]:
        """Pre-register commands as if synced earlier (not counted in ``sync_count``), e.g.
        ``[c.to_dict(bot.tree) for c in bot.tree.get_commands()]`` for a bot that skips
        syncing when its schema is unchanged."""
        return self.commands.overwrite(guild_id, payloads, count=False)

    @property
    def identify_payloads(self) -> list[JSON]:
        return self.gateway.identifies

    @property
    def intents(self) -> int | None:
        """Intents of the most recent IDENTIFY (``None`` before any)."""
        identifies = self.gateway.identifies
        return int(identifies[-1].get("intents") or 0) if identifies else None

    def calls_to(
        self,
        method: str | None = None,
        path_regex: str | None = None,
    ) -> list[RecordedCall]:
        """Recorded REST calls filtered by method and ``re.search`` on the path."""
        pattern = re.compile(path_regex) if path_regex else None
        return [
            c
            for c in self.calls
            if (method is None or c.method == method.upper())
            and (pattern is None or pattern.search(c.path))
        ]

    def messages(
        self,
        channel_id: int,
        *,
        ops: Iterable[str] = ("create", "edit"),
    ) -> list[JSON]:
        """Bot message log of a channel (see ``MessageLog`` for the entry format)."""
        return self.log.entries(channel_id, tuple(ops))

    async def wait_for_message(
        self,
        channel_id: int,
        predicate: MessagePredicate | None = None,
        timeout: float = 5.0,
        *,
        include_loading: bool = False,
    ) -> JSON:
        """The next unclaimed bot message/edit entry in ``channel_id`` matching ``predicate``.

        "Thinking..." placeholders of deferred interactions are skipped unless
        ``include_loading``. Each entry is returned to at most one waiter.
        """
        return await self.log.wait_for(
            channel_id, predicate, timeout, include_loading=include_loading
        )

    async def wait_for_interaction_response(
        self, inter: FakeInteraction, timeout: float = 5.0
    ) -> JSON:
        """First visible answer: callback message, or the edit/followup after a defer.

        The entry counts as claimed, so ``wait_for_message`` won't return it afterwards."""
        answer = await inter.wait_answer(timeout)
        self.log.claim(answer)
        return answer

    async def wait_for_interaction_callback(
        self, inter: FakeInteraction, timeout: float = 5.0
    ) -> JSON:
        """The raw callback body ``{"type": ..., "data": ...}`` the bot POSTed."""
        return await inter.wait_callback(timeout)

    def find_message(self, message_id: int) -> JSON | None:
        """Current state of any message (including ephemeral ones), or ``None``."""
        return self._ephemeral.get(message_id) or self.state.messages.get(message_id)

    # --- world building ------------------------------------------------------------------------
    def add_user(self, name: str, *, bot: bool = False, global_name: str | None = None) -> int:
        return self.state.add_user(name, bot=bot, global_name=global_name)

    def add_guild(
        self,
        name: str = "Guild",
        *,
        owner_id: int | None = None,
        everyone_permissions: int = p.DEFAULT_EVERYONE_PERMISSIONS,
        bot_permissions: int | None = None,
        guild_id: int | None = None,
    ) -> int:
        """New guild (owner defaults to ``fake.owner``; the bot is a member). With
        ``bot_permissions`` the bot gets a managed role with them. Dispatches GUILD_CREATE
        when a client is connected. ``guild_id`` picks the id (shard = (id >> 22) % n)."""
        return self.state.add_guild(
            name,
            owner_id=owner_id,
            bot_permissions=bot_permissions,
            everyone_permissions=everyone_permissions,
            guild_id=guild_id,
        )

    def guild_id_on_shard(self, shard_id: int, shard_count: int) -> int:
        """A new snowflake whose server lands on ``shard_id`` of ``shard_count``."""
        while True:
            candidate = self.ids.next()
            if (candidate >> 22) % shard_count == shard_id:
                return candidate

    def remove_guild(self, guild_id: int) -> None:
        self.state.remove_guild(guild_id)

    def add_channel(
        self,
        guild_id: int,
        name: str = "general",
        *,
        type: int = p.CHANNEL_TEXT,
        topic: str | None = None,
        parent_id: int | None = None,
    ) -> int:
        return self.state.add_channel(guild_id, name, type_=type, topic=topic, parent_id=parent_id)

    def remove_channel(self, channel_id: int) -> None:
        """Delete (CHANNEL_DELETE); later REST calls to it get 404 Unknown Channel (10003)."""
        self.state.remove_channel(channel_id)

    def add_role(self, guild_id: int, name: str, permissions: int = 0, **fields: Any) -> int:
        """New role above all existing ones (``fields``: color, hoist, mentionable)."""
        return self.state.add_role(guild_id, name, permissions=permissions, **fields)

    def add_member(
        self,
        guild_id: int,
        name: str | None = None,
        *,
        user_id: int | None = None,
        roles: Iterable[int] = (),
        permissions: int | None = None,
        nick: str | None = None,
        bot: bool = False,
    ) -> int:
        """Add a new user ``name`` (or existing ``user_id``) to a guild; returns the user id.

        ``permissions`` creates a dedicated role granting them.
        """
        if user_id is None:
            user_id = self.state.add_user(name or f"user{len(self.state.users)}", bot=bot)
        roles = list(roles)
        if permissions is not None:
            label = self.state.users[user_id]["username"]
            roles.append(self.state.add_role(guild_id, f"{label}-perms", permissions=permissions))
        self.state.add_member(guild_id, user_id, roles=roles, nick=nick)
        return user_id

    def remove_member(self, guild_id: int, user_id: int) -> None:
        self.state.remove_member(guild_id, user_id)

    def set_member_roles(self, guild_id: int, user_id: int, roles: Iterable[int]) -> None:
        self.state.update_member(guild_id, user_id, roles=list(roles))

    def set_channel_permissions(
        self, channel_id: int, target_id: int, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set a role/member overwrite (dispatches CHANNEL_UPDATE)."""
        self.state.set_overwrite(channel_id, target_id, allow=allow, deny=deny)

    def forbid_channel(self, channel_id: int, *, view: bool = False) -> None:
        """Deny the bot SEND_MESSAGES (and VIEW_CHANNEL with ``view``): posting gets 403."""
        deny = p.SEND_MESSAGES | (p.VIEW_CHANNEL if view else 0)
        self.set_channel_permissions(channel_id, self.bot_user_id, deny=deny)

    def dm_channel(self, user_id: int) -> int:
        """Id of the DM channel between the bot and ``user_id`` (created if needed)."""
        return self.state.dm_channel(user_id)

    def block_dms(self, user_id: int, blocked: bool = True) -> None:
        """Make DMs to ``user_id`` fail with 403 (50007 Cannot send messages to this user)."""
        (self.state.blocked_dms.add if blocked else self.state.blocked_dms.discard)(user_id)

    def add_attachment(
        self,
        filename: str,
        data: bytes,
        *,
        channel_id: int | None = None,
        content_type: str | None = None,
    ) -> JSON:
        """Store bytes and return an attachment object whose ``url`` serves them."""
        attachment_id = self.ids.next()
        self.attachments[attachment_id] = data
        url = f"{self.base_url}/attachments/{channel_id or 0}/{attachment_id}/{quote(filename)}"
        return {
            "id": str(attachment_id),
            "filename": filename,
            "size": len(data),
            "url": url,
            "proxy_url": url,
            "content_type": content_type or mimetypes.guess_type(filename)[0],
        }

    # --- user-side actions ---------------------------------------------------------------------
    def _require_session(self) -> None:
        """Fail fast if no client ever identified (events would silently go nowhere).

        Once a client has identified, events sent while no session exists (e.g. during a
        re-IDENTIFY) are lost, as on real Discord.
        """
        if not self.gateway.sessions and not self.gateway.identify_count:
            raise RuntimeError(
                "no gateway session: start the client and `await fake.wait_identified()` first"
            )

    def _user_message(
        self, channel_id: int, user_id: int, content: str, *, timestamp: Any = None, **fields: Any
    ) -> JSON:
        _, guild = self.state.channel(channel_id)
        author = self.state.user(user_id)
        user_ids, role_ids, everyone = p.parse_mentions(content)
        mentions = []
        for uid in user_ids:
            if uid in self.state.users:
                mention = dict(self.state.users[uid])
                if guild is not None and uid in guild.members:
                    mention["member"] = dict(guild.members[uid])
                mentions.append(mention)
        roles = [str(r) for r in role_ids if guild is not None and r in guild.roles]
        message_id = self.ids.next(timestamp)
        return p.message_payload(
            message_id,
            channel_id,
            author,
            content,
            guild_id=guild.id if guild else None,
            mentions=mentions,
            mention_roles=roles,
            mention_everyone=everyone,
            **fields,
        )

    def add_message(
        self,
        channel_id: int,
        user_id: int,
        content: str = "",
        *,
        timestamp: Any = None,
        embeds: list[JSON] | None = None,
    ) -> int:
        """Seed channel history without dispatching (``timestamp``: aware datetime)."""
        message = self._user_message(
            channel_id, user_id, content, timestamp=timestamp, embeds=embeds or []
        )
        self.state.store_message(message)
        return int(message["id"])

    async def send_message(
        self,
        channel_id: int,
        user_id: int,
        content: str = "",
        *,
        embeds: list[JSON] | None = None,
        attachments: Mapping[str, bytes] | None = None,
        reply_to: int | None = None,
    ) -> int:
        """A user posts a message: stored, then dispatched as MESSAGE_CREATE. Returns its id."""
        self._require_session()
        files = [
            self.add_attachment(name, data, channel_id=channel_id)
            for name, data in (attachments or {}).items()
        ]
        message = self._user_message(
            channel_id, user_id, content, embeds=embeds or [], attachments=files
        )
        if reply_to is not None:
            target = self.state.message(channel_id, reply_to)
            message.update(
                type=19,
                referenced_message=target,
                message_reference={
                    "type": 0,
                    "message_id": str(reply_to),
                    "channel_id": str(channel_id),
                },
            )
        self.state.store_message(message)
        self._dispatch_user_message("MESSAGE_CREATE", message)
        await asyncio.sleep(0)
        return int(message["id"])

    async def edit_message(self, channel_id: int, message_id: int, content: str) -> None:
        """A user edits their message (MESSAGE_UPDATE)."""
        message = self.state.message(channel_id, message_id)
        message.update(content=content, edited_timestamp=p.iso())
        self._dispatch_user_message("MESSAGE_UPDATE", message)
        await asyncio.sleep(0)

    async def delete_message(self, channel_id: int, message_id: int) -> None:
        """A user (or moderator) deletes a message (MESSAGE_DELETE)."""
        message = self.state.pop_message(channel_id, message_id)
        data = {"id": message["id"], "channel_id": message["channel_id"]}
        if "guild_id" in message:
            data["guild_id"] = message["guild_id"]
        self.gateway.dispatch("MESSAGE_DELETE", data, self._guild_of(message))
        await asyncio.sleep(0)

    def _guild_of(self, message: JSON) -> int | None:
        return int(message["guild_id"]) if message.get("guild_id") else None

    def _dispatch_user_message(self, event: str, message: JSON) -> None:
        data = dict(message)
        guild_id = self._guild_of(message)
        if guild_id is not None:
            member = self.state.guilds[guild_id].members.get(int(message["author"]["id"]))
            if member is not None:
                data["member"] = dict(member)
        self.gateway.dispatch(event, data, guild_id)

    async def add_reaction(
        self, channel_id: int, message_id: int, user_id: int, emoji: str
    ) -> None:
        """A user reacts (``emoji``: unicode or ``name:id``); MESSAGE_REACTION_ADD."""
        name, _, emoji_id = emoji.partition(":")
        self.react(channel_id, message_id, user_id, {"id": emoji_id or None, "name": name})
        await asyncio.sleep(0)

    def react(self, channel_id: int, message_id: int, user_id: int, emoji: JSON) -> None:
        message = self.state.message(channel_id, message_id)
        users = self._reactions.setdefault((message_id, emoji["id"] or emoji["name"]), set())
        if user_id in users:
            return
        users.add(user_id)
        self._sync_reactions(message, emoji)
        self._dispatch_reaction("MESSAGE_REACTION_ADD", message, user_id, emoji)

    def unreact(self, channel_id: int, message_id: int, user_id: int, emoji: JSON) -> None:
        message = self.state.message(channel_id, message_id)
        users = self._reactions.get((message_id, emoji["id"] or emoji["name"]), set())
        if user_id not in users:
            return
        users.discard(user_id)
        self._sync_reactions(message, emoji)
        self._dispatch_reaction("MESSAGE_REACTION_REMOVE", message, user_id, emoji)

    def _sync_reactions(self, message: JSON, emoji: JSON) -> None:
        key = emoji["id"] or emoji["name"]
        users = self._reactions.get((int(message["id"]), key), set())
        reactions = [
            r
            for r in message.get("reactions", [])
            if (r["emoji"]["id"] or r["emoji"]["name"]) != key
        ]
        if users:
            reactions.append(
                {
                    "emoji": emoji,
                    "count": len(users),
                    "me": self.bot_user_id in users,
                    "me_burst": False,
                    "burst_colors": [],
                    "count_details": {"burst": 0, "normal": len(users)},
                }
            )
        message["reactions"] = reactions

    def _dispatch_reaction(self, event: str, message: JSON, user_id: int, emoji: JSON) -> None:
        data = {
            "user_id": str(user_id),
            "channel_id": message["channel_id"],
            "message_id": message["id"],
            "emoji": emoji,
            "burst": False,
            "type": 0,
            "message_author_id": message["author"]["id"],
        }
        guild_id = self._guild_of(message)
        if guild_id is not None:
            data["guild_id"] = str(guild_id)
            if event == "MESSAGE_REACTION_ADD":
                guild = self.state.guilds[guild_id]
                data["member"] = self.state.member_payload(guild, user_id)
        self.gateway.dispatch(event, data, guild_id)

    # --- interactions --------------------------------------------------------------------------
    def _new_interaction(
        self,
        kind: int,
        channel_id: int,
        user_id: int,
        data: JSON | None,
        *,
        name: str | None = None,
        message: JSON | None = None,
    ) -> FakeInteraction:
        self._require_session()
        interaction_id, token = self.ids.next(), self.interactions.new_token()
        payload = it.interaction_payload(
            self.state,
            self.application_id,
            interaction_id,
            token,
            kind,
            channel_id,
            user_id,
            data,
            message,
        )
        guild_id = int(payload["guild_id"]) if "guild_id" in payload else None
        inter = FakeInteraction(
            interaction_id,
            token,
            kind,
            channel_id,
            guild_id,
            user_id,
            payload,
            asyncio.get_running_loop().time(),
            name=name,
            message_id=int(message["id"]) if message else None,
        )
        self.interactions.add(inter)
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id)
        return inter

    def _registered(self, channel_id: int, name: str, kind: int = 1) -> JSON:
        _, guild = self.state.channel(channel_id)
        command = self.commands.find(name, guild.id if guild else None, kind)
        if command is None:
            known = {
                scope: [c["name"] for c in cmds] for scope, cmds in self.commands.commands.items()
            }
            raise LookupError(
                f"command {name!r} (type {kind}) is not registered; "
                f"synced commands per scope: {known}"
            )
        return command

    def _command_data(
        self,
        channel_id: int,
        user_id: int,
        command: str,
        options: Mapping[str, Any],
        focused: str | None = None,
    ) -> JSON:
        name, *path = command.split()
        registered = self._registered(channel_id, name)
        it.check_access(self.state, registered, channel_id, user_id)
        return it.command_data(self.state, registered, path, options, channel_id, focused=focused)

    async def invoke_slash(
        self, channel_id: int, user_id: int, command: str, options: Mapping[str, Any] | None = None
    ) -> FakeInteraction:
        """Run ``/command`` (``"group sub"`` paths allowed) as a user; option types and ids
        come from what the bot synced. Snowflake options take ids or objects with ``.id``.

        Like the Discord client, raises ``ValueError`` for missing/invalid options and
        ``PermissionError`` when ``default_member_permissions``/contexts hide the command."""
        data = self._command_data(channel_id, user_id, command, options or {})
        inter = self._new_interaction(
            it.APPLICATION_COMMAND, channel_id, user_id, data, name=command
        )
        await asyncio.sleep(0)
        return inter

    async def invoke_context_menu(
        self, channel_id: int, user_id: int, name: str, target_id: int, *, message: bool = False
    ) -> FakeInteraction:
        """Run a user (or, with ``message``, message) context-menu command on ``target_id``."""
        registered = self._registered(channel_id, name, 3 if message else 2)
        it.check_access(self.state, registered, channel_id, user_id)
        data = it.context_menu_data(self.state, registered, target_id, channel_id)
        inter = self._new_interaction(it.APPLICATION_COMMAND, channel_id, user_id, data, name=name)
        await asyncio.sleep(0)
        return inter

    async def autocomplete(
        self,
        channel_id: int,
        user_id: int,
        command: str,
        focused: str,
        value: str,
        *,
        options: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Type ``value`` into option ``focused``; returns the bot's choices (callback 8)."""
        data = self._command_data(
            channel_id, user_id, command, {**(options or {}), focused: value}, focused=focused
        )
        inter = self._new_interaction(it.AUTOCOMPLETE, channel_id, user_id, data, name=command)
        callback = await inter.wait_callback(timeout)
        return list((callback.get("data") or {}).get("choices") or [])

    async def click_component(
        self,
        channel_id: int,
        user_id: int,
        message_id: int,
        custom_id: str,
        *,
        values: list[str] | None = None,
    ) -> FakeInteraction:
        """Click a button / pick select ``values`` on a message (INTERACTION_CREATE type 3)."""
        message = self.find_message(message_id)
        if message is None:
            raise LookupError(f"unknown message {message_id}")
        component = it.find_component(message.get("components") or [], custom_id)
        if component is None:
            raise LookupError(f"message {message_id} has no component {custom_id!r}")
        if component.get("disabled"):
            raise ValueError(f"component {custom_id!r} is disabled")
        data: JSON = {"custom_id": custom_id, "component_type": component["type"]}
        if values is not None or component["type"] in _SELECT_TYPES:
            data["values"] = list(values or [])
        inter = self._new_interaction(
            it.MESSAGE_COMPONENT, channel_id, user_id, data, message=message
        )
        await asyncio.sleep(0)
        return inter

    async def click_button(
        self, channel_id: int, user_id: int, message_id: int, custom_id: str
    ) -> FakeInteraction:
        return await self.click_component(channel_id, user_id, message_id, custom_id)

    async def select_menu(
        self, channel_id: int, user_id: int, message_id: int, custom_id: str, values: list[str]
    ) -> FakeInteraction:
        return await self.click_component(channel_id, user_id, message_id, custom_id, values=values)

    async def submit_modal(
        self,
        channel_id: int,
        user_id: int,
        custom_id: str,
        values: Mapping[str, Any],
        *,
        message_id: int | None = None,
    ) -> FakeInteraction:
        """Submit the modal ``custom_id`` (layout mirrored from the bot's type-9 callback)."""
        origin = self.modal_origins.get(custom_id)
        if message_id is None and origin is not None:
            message_id = origin.message_id
        message = self.find_message(message_id) if message_id else None
        data = {
            "custom_id": custom_id,
            "components": it.modal_components(self.modals.get(custom_id), values),
        }
        inter = self._new_interaction(it.MODAL_SUBMIT, channel_id, user_id, data, message=message)
        await asyncio.sleep(0)
        return inter

    # --- helpers used by the REST routes -------------------------------------------------------
    def store_bot_message(self, message: JSON) -> None:
        if int(message.get("flags") or 0) & p.FLAG_EPHEMERAL:
            self._ephemeral[int(message["id"])] = message
        else:
            self.state.store_message(message)

    def remove_bot_message(self, message: JSON) -> None:
        message_id = int(message["id"])
        if self._ephemeral.pop(message_id, None) is None:
            self.state.pop_message(int(message["channel_id"]), message_id)

    # --- gateway control -----------------------------------------------------------------------
    async def wait_identified(
        self,
        timeout: float = 10.0,
        *,
        count: int = 1,
        settle: float = 0.05,
    ) -> None:
        """Wait until ``count`` IDENTIFYs were answered (READY + GUILD_CREATEs written), then
        ``settle`` seconds so the client has parsed them. Later events arrive after them."""
        await self.gateway.wait_until(
            lambda: self.gateway.identify_count >= count, timeout, f"IDENTIFY #{count}"
        )
        if settle:
            await asyncio.sleep(settle)

    async def _await_reconnect(
        self,
        before: int,
        timeout: float | None,
    ) -> str | None:
        if timeout is None:
            return None
        await self.gateway.wait_until(
            lambda: self.gateway.live_count > before, timeout, "the client to reconnect"
        )
        return self.gateway.last_live_kind

    async def drop_gateway(
        self,
        close_code: int = 1006,
        *,
        invalidate: bool | None = None,
        reconnect_timeout: float | None = 10.0,
    ) -> str | None:
        """Close the client's socket(s) with ``close_code`` (1006: abort TCP, no close frame).

        Sessions survive (RESUME replays missed events) except for 4007/4009 or
        ``invalidate=True``, where the client's RESUME gets INVALID_SESSION and it
        re-IDENTIFYs. Waits for the client to be back and returns ``"resumed"`` or
        ``"identified"`` (``None`` if ``reconnect_timeout`` is None).
        """
        before = self.gateway.live_count
        await self.gateway.drop(close_code, invalidate=invalidate)
        return await self._await_reconnect(before, reconnect_timeout)

    async def request_reconnect(self, *, reconnect_timeout: float | None = 10.0) -> str | None:
        """Send op 7 RECONNECT; the client closes and RESUMEs."""
        before = self.gateway.live_count
        self.gateway.send_op(OP_RECONNECT, None)
        return await self._await_reconnect(before, reconnect_timeout)

    async def invalidate_session(
        self, resumable: bool = False, *, reconnect_timeout: float | None = 10.0
    ) -> str | None:
        """Send op 9 INVALID_SESSION (``resumable`` = d); the client RESUMEs or IDENTIFYs."""
        before = self.gateway.live_count
        self.gateway.invalidate(resumable)
        return await self._await_reconnect(before, reconnect_timeout)

    def dispatch(self, event: str, data: JSON, guild_id: int | None = None) -> int:
        """Escape hatch: dispatch any raw gateway event; returns sessions reached."""
        return self.gateway.dispatch(event, data, guild_id)

    # --- REST faults ---------------------------------------------------------------------------
    def fail_next(
        self,
        method: str,
        path_regex: str,
        status: int = 429,
        retry_after: float = 0.2,
        times: int = 1,
        *,
        code: int | None = None,
        message: str | None = None,
        body: Any = None,
        is_global: bool = False,
        delay: float = 0.0,
    ) -> FaultRule:
        """Answer the next ``times`` matching calls (``re.search`` on the API path, e.g.
        ``r"/channels/\\d+/messages$"``; method ``"*"`` = any) with ``status``. 429s are
        real rate limits (Via header, ``retry_after``); 5xx are retried by discord.py after
        1 + 2*try seconds."""
        rule = FaultRule(
            method.upper(),
            re.compile(path_regex),
            status,
            retry_after,
            times,
            code,
            message,
            body,
            is_global,
            delay,
        )
        return self.faults.add_rule(rule)

    def answer_late(self, method: str, path_regex: str, delay: float, times: int = 1) -> LateAnswer:
        """The next ``times`` matching calls take effect at once (a message is posted and
        dispatched) but are answered ``delay`` seconds later: a client that dies
        meanwhile never learns that its call succeeded."""
        rule = LateAnswer(method.upper(), re.compile(path_regex), delay, times)
        self.rest.late.append(rule)
        return rule

    def limit_route(self, method: str, path_regex: str, limit: int, window: float) -> RouteLimit:
        """Enforce a real bucket: ``limit`` calls per ``window`` s per path, then 429s."""
        return self.faults.add_limit(
            RouteLimit(method.upper(), re.compile(path_regex), limit, window)
        )

    def clear_faults(self) -> None:
        self.faults.clear()
        self.rest.late.clear()
