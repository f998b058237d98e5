"""The gateway websocket: HELLO/IDENTIFY/READY, heartbeats, dispatch, RESUME and faults.

Each IDENTIFY creates a :class:`GatewaySession` that survives its websocket: events dispatched
while the client is disconnected are buffered and replayed on RESUME (as Discord does), until
the session is invalidated. Frames are plain JSON text (discord.py accepts that even though it
asks for zlib/zstd compression). One writer task per socket keeps frames in sequence order.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from . import payloads as p
from .payloads import JSON

if TYPE_CHECKING:
    from .server import FakeDiscord

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE_STATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11

#: Close codes after which Discord refuses to RESUME ("reconnect and start a new session").
INVALIDATING_CLOSE_CODES = frozenset({4007, 4009})

_GUILD_INTENTS = {
    **dict.fromkeys(
        (
            "GUILD_CREATE",
            "GUILD_UPDATE",
            "GUILD_DELETE",
            "GUILD_ROLE_CREATE",
            "GUILD_ROLE_UPDATE",
            "GUILD_ROLE_DELETE",
            "CHANNEL_CREATE",
            "CHANNEL_UPDATE",
            "CHANNEL_DELETE",
        ),
        p.INTENT_GUILDS,
    ),
    **dict.fromkeys(
        ("GUILD_MEMBER_ADD", "GUILD_MEMBER_UPDATE", "GUILD_MEMBER_REMOVE"), p.INTENT_GUILD_MEMBERS
    ),
    **dict.fromkeys(("GUILD_BAN_ADD", "GUILD_BAN_REMOVE"), p.INTENT_GUILD_MODERATION),
}
_MESSAGE_EVENTS = frozenset(
    {"MESSAGE_CREATE", "MESSAGE_UPDATE", "MESSAGE_DELETE", "MESSAGE_DELETE_BULK"}
)
_REACTION_EVENTS = frozenset({"MESSAGE_REACTION_ADD", "MESSAGE_REACTION_REMOVE"})


def required_intent(event: str, data: JSON, guild_id: int | None, bot_id: int) -> int:
    """The intent bit a session needs to receive ``event`` (0 = always delivered)."""
    if event == "GUILD_MEMBER_UPDATE" and data.get("user", {}).get("id") == str(bot_id):
        return 0
    if event in _MESSAGE_EVENTS:
        return p.INTENT_GUILD_MESSAGES if guild_id else p.INTENT_DIRECT_MESSAGES
    if event in _REACTION_EVENTS:
        return p.INTENT_GUILD_REACTIONS if guild_id else p.INTENT_DIRECT_REACTIONS
    return _GUILD_INTENTS.get(event, 0)


_CONTENT_EVENTS = frozenset({"MESSAGE_CREATE", "MESSAGE_UPDATE"})
#: What Discord leaves out of a message for a bot without the Message Content intent.
_CONTENT_FIELDS = {"content": "", "embeds": [], "attachments": [], "components": []}


def content_visible(data: JSON, guild_id: int | None, bot_id: int) -> bool:
    """Whether a bot without MESSAGE_CONTENT still gets a message's text: in DMs, in its
    own messages, and in messages that mention it (as Discord does)."""
    if guild_id is None:
        return True
    if data.get("author", {}).get("id") == str(bot_id):
        return True
    return any(mention.get("id") == str(bot_id) for mention in data.get("mentions") or [])


def without_content(event: str, data: JSON, guild_id: int | None, bot_id: int) -> JSON:
    """``data`` as a session without MESSAGE_CONTENT receives it."""
    if event not in _CONTENT_EVENTS or content_visible(data, guild_id, bot_id):
        return data
    blanked = {**data, **{key: type(value)() for key, value in _CONTENT_FIELDS.items()}}
    blanked.pop("poll", None)
    return blanked


def _frame(op: int, data: Any, event: str | None = None, seq: int | None = None) -> str:
    return json.dumps({"op": op, "d": data, "s": seq, "t": event})


@dataclass
class GatewaySession:
    """A logical gateway session (what RESUME refers to)."""

    session_id: str
    intents: int
    shard: tuple[int, int] | None
    identify: JSON
    buffer: deque[tuple[int, str]]
    seq: int = 0
    conn: Connection | None = None

    def frame(self, event: str, data: JSON) -> str:
        """Serialise a dispatch with the next sequence number and keep it for replay."""
        self.seq += 1
        text = _frame(OP_DISPATCH, data, event, self.seq)
        self.buffer.append((self.seq, text))
        return text

    def owns(self, guild_id: int | None) -> bool:
        if self.shard is None:
            return True
        shard_id, count = self.shard
        return ((guild_id or 0) >> 22) % count == shard_id


@dataclass
class Connection:
    """One websocket; items queued are text frames or callbacks run in send order."""

    ws: web.WebSocketResponse
    request: web.Request
    query: dict[str, str]
    queue: asyncio.Queue[str | Callable[[], None]] = field(default_factory=asyncio.Queue)
    session: GatewaySession | None = None
    heartbeats: int = 0
    closed_by_server: bool = False
    writer: asyncio.Task[None] | None = None

    def send(self, item: str | Callable[[], None]) -> None:
        self.queue.put_nowait(item)


class GatewayServer:
    """Serves ``/gateway`` websockets for a :class:`FakeDiscord`."""

    def __init__(
        self, fake: FakeDiscord, *, heartbeat_interval_ms: int, resume_buffer: int = 10_000
    ) -> None:
        self.fake = fake
        self.heartbeat_interval_ms = heartbeat_interval_ms
        self.resume_buffer = resume_buffer
        self.ack_heartbeats = True
        self.sessions: dict[str, GatewaySession] = {}
        self.connections: list[Connection] = []
        self.identifies: list[JSON] = []
        self.presence_updates: list[JSON] = []
        self.voice_state_updates: list[JSON] = []
        self.identify_count = 0
        self.resume_count = 0
        self.live_count = 0
        self.last_live_kind: str | None = None
        self._waiters: list[tuple[Callable[[], bool], asyncio.Future[None]]] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # --- websocket lifecycle -------------------------------------------------------------------
    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request, dict(request.query))
        self.connections.append(conn)
        conn.writer = asyncio.create_task(self._write_loop(conn))
        conn.send(_frame(OP_HELLO, {"heartbeat_interval": self.heartbeat_interval_ms}))
        try:
            await self._read_loop(conn)
        finally:
            self._closed(conn)
        return ws

    async def _read_loop(self, conn: Connection) -> None:
        while True:
            msg = await conn.ws.receive()
            if msg.type not in (WSMsgType.TEXT, WSMsgType.BINARY):
                return
            try:
                payload = json.loads(msg.data)
            except ValueError:
                await conn.ws.close(code=4002, message=b"Error while decoding payload.")
                return
            await self._on_payload(conn, payload)

    async def _write_loop(self, conn: Connection) -> None:
        try:
            while True:
                item = await conn.queue.get()
                if callable(item):
                    item()
                else:
                    await conn.ws.send_str(item)
        except (ConnectionError, RuntimeError):
            return

    def _closed(self, conn: Connection) -> None:
        if conn in self.connections:
            self.connections.remove(conn)
        if conn.writer is not None:
            conn.writer.cancel()
        session = conn.session
        if session is None or session.conn is not conn:
            return
        session.conn = None
        if not conn.closed_by_server and conn.ws.close_code in (1000, 1001):
            self.sessions.pop(session.session_id, None)  # a clean client close ends it

    # --- opcodes ---------------------------------------------------------------------------------
    async def _on_payload(self, conn: Connection, payload: JSON) -> None:
        op, data = payload.get("op"), payload.get("d")
        handlers = {
            OP_HEARTBEAT: self._on_heartbeat,
            OP_IDENTIFY: self._on_identify,
            OP_RESUME: self._on_resume,
            OP_PRESENCE: self._on_presence,
            OP_VOICE_STATE: self._on_voice_state,
            OP_REQUEST_MEMBERS: self._on_request_members,
        }
        handler = handlers.get(op)  # type: ignore[arg-type]
        if handler is None:
            await conn.ws.close(code=4001, message=b"Unknown opcode.")
        elif op not in (OP_HEARTBEAT, OP_IDENTIFY, OP_RESUME) and conn.session is None:
            await conn.ws.close(code=4003, message=b"Not authenticated.")
        else:
            await handler(conn, data)

    async def _on_heartbeat(self, conn: Connection, data: Any) -> None:
        conn.heartbeats += 1
        if self.ack_heartbeats:
            conn.send(_frame(OP_HEARTBEAT_ACK, None))

    async def _on_presence(self, conn: Connection, data: Any) -> None:
        self.presence_updates.append(data)

    async def _on_voice_state(self, conn: Connection, data: Any) -> None:
        self.voice_state_updates.append(data)

    async def _on_identify(self, conn: Connection, data: JSON) -> None:
        if conn.session is not None:
            await conn.ws.close(code=4005, message=b"Already authenticated.")
            return
        if self.fake.token is not None and data.get("token") != self.fake.token:
            await conn.ws.close(code=4004, message=b"Authentication failed.")
            return
        if int(data.get("intents") or 0) & self.fake.disallowed_intents:
            # The application was not granted a privileged intent it asks for.
            await conn.ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        raw_shard = data.get("shard")
        shard = (int(raw_shard[0]), int(raw_shard[1])) if raw_shard else None
        session = GatewaySession(
            uuid.uuid4().hex,
            int(data.get("intents") or 0),
            shard,
            data,
            deque(maxlen=self.resume_buffer),
        )
        self.sessions[session.session_id] = session
        self.identifies.append(data)
        conn.send(session.frame("READY", self._ready_payload(session)))
        for guild_id in self.fake.state.guilds:
            if session.owns(guild_id):
                guild = self.fake.state.guild_create_payload(guild_id, unavailable=False)
                conn.send(session.frame("GUILD_CREATE", guild))
        self._attach(conn, session, "identified")

    async def _on_resume(self, conn: Connection, data: JSON) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        seq = int(data.get("seq") or 0)
        token_ok = self.fake.token is None or data.get("token") == self.fake.token
        if session is None or not token_ok or not self._can_replay(session, seq):
            if session is not None:
                self.sessions.pop(session.session_id, None)
            conn.send(_frame(OP_INVALID_SESSION, False))
            return
        old = session.conn
        if old is not None and old is not conn:
            old.session = None
            old.closed_by_server = True
            self._spawn(old.ws.close(code=4000, message=b"Session resumed elsewhere."))
        for frame_seq, text in session.buffer:
            if frame_seq > seq:
                conn.send(text)
        conn.send(session.frame("RESUMED", {"_trace": ["fake-discord"]}))
        self._attach(conn, session, "resumed")

    @staticmethod
    def _can_replay(session: GatewaySession, seq: int) -> bool:
        if seq >= session.seq:
            return True
        return bool(session.buffer) and session.buffer[0][0] <= seq + 1

    async def _on_request_members(self, conn: Connection, data: JSON) -> None:
        assert conn.session is not None
        state = self.fake.state
        guild = state.guilds.get(int(data.get("guild_id") or 0))
        if guild is None:
            return
        wanted = {int(u) for u in data.get("user_ids") or []}
        query = (data.get("query") or "").lower()
        members, limit = [], int(data.get("limit") or 0)
        for uid in guild.members:
            user = state.users[uid]
            if wanted and uid not in wanted:
                continue
            if query and not user["username"].lower().startswith(query):
                continue
            members.append(state.member_payload(guild, uid))
        chunk: JSON = {
            "guild_id": str(guild.id),
            "members": members[: limit or None],
            "chunk_index": 0,
            "chunk_count": 1,
            "nonce": data.get("nonce"),
            "not_found": [str(u) for u in wanted if u not in guild.members],
        }
        if data.get("presences"):
            chunk["presences"] = []
        conn.send(conn.session.frame("GUILD_MEMBERS_CHUNK", chunk))

    def _ready_payload(self, session: GatewaySession) -> JSON:
        fake, state = self.fake, self.fake.state
        user = {
            **state.users[state.bot_user_id],
            "verified": True,
            "mfa_enabled": False,
            "email": None,
        }
        ready: JSON = {
            "v": 10,
            "user": user,
            "session_id": session.session_id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "guilds": [
                {"id": str(g), "unavailable": True} for g in state.guilds if session.owns(g)
            ],
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
            "user_settings": {},
            "_trace": ["fake-discord"],
        }
        if session.shard is not None:
            ready["shard"] = list(session.shard)
        return ready

    def _attach(self, conn: Connection, session: GatewaySession, kind: str) -> None:
        session.conn = conn
        conn.session = session
        conn.send(lambda: self._mark_live(kind))

    # --- liveness ------------------------------------------------------------------------------
    def _mark_live(self, kind: str) -> None:
        if kind == "identified":
            self.identify_count += 1
        else:
            self.resume_count += 1
        self.live_count += 1
        self.last_live_kind = kind
        for predicate, future in list(self._waiters):
            if not future.done() and predicate():
                future.set_result(None)

    async def wait_until(
        self,
        predicate: Callable[[], bool],
        timeout: float,
        what: str,
    ) -> None:
        """Wait until ``predicate()`` holds; re-checked whenever a session goes live."""
        if predicate():
            return
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        entry = (predicate, future)
        self._waiters.append(entry)
        try:
            await asyncio.wait_for(future, timeout)
        except TimeoutError:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}") from None
        finally:
            self._waiters.remove(entry)

    # --- dispatch & faults -----------------------------------------------------------------------
    def dispatch(self, event: str, data: JSON, guild_id: int | None = None) -> int:
        """Send (or buffer for RESUME) ``event`` to every interested session."""
        bot_id = self.fake.state.bot_user_id
        need = required_intent(event, data, guild_id, bot_id)
        delivered = 0
        for session in list(self.sessions.values()):
            if not session.owns(guild_id) or (need and not session.intents & need):
                continue
            seen = data
            if not session.intents & p.INTENT_MESSAGE_CONTENT:
                seen = without_content(event, data, guild_id, bot_id)
            text = session.frame(event, seen)
            if session.conn is not None:
                session.conn.send(text)
            delivered += 1
        return delivered

    async def drop(self, close_code: int, *, invalidate: bool | None = None) -> int:
        """Close every socket with ``close_code`` (1006 = abort the TCP connection)."""
        conns = list(self.connections)
        for conn in conns:
            conn.closed_by_server = True
            session, conn.session = conn.session, None
            if session is not None:
                session.conn = None
                if invalidate or (invalidate is None and close_code in INVALIDATING_CLOSE_CODES):
                    self.sessions.pop(session.session_id, None)
            await self._close_socket(conn, close_code)
        return len(conns)

    @staticmethod
    async def _close_socket(conn: Connection, close_code: int) -> None:
        if close_code == 1006:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
            return
        with contextlib.suppress(asyncio.TimeoutError, ConnectionError, RuntimeError):
            await asyncio.wait_for(conn.ws.close(code=close_code, message=b"fake drop"), 5)

    def send_op(self, op: int, data: Any) -> int:
        """Send a raw opcode frame to every identified socket (e.g. RECONNECT)."""
        conns = [c for c in self.connections if c.session is not None]
        for conn in conns:
            conn.send(_frame(op, data))
        return len(conns)

    def invalidate(self, resumable: bool) -> int:
        """Send INVALID_SESSION; non-resumable sessions are forgotten immediately."""
        conns = [c for c in self.connections if c.session is not None]
        for conn in conns:
            if not resumable and conn.session is not None:
                self.sessions.pop(conn.session.session_id, None)
            conn.send(_frame(OP_INVALID_SESSION, resumable))
        return len(conns)

    async def close_all(self) -> None:
        await self.drop(1001, invalidate=True)
