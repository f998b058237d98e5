"""The REST layer: request parsing, recording, fault injection, routing and JSON responses.

Handlers are ``async def handler(fake, req) -> Any``: a dict/list becomes a 200 JSON reply,
``None`` a 204, a :class:`Reply` is sent as is, and an :class:`ApiError` becomes a Discord
error body. Responses use ``Content-Type: application/json`` exactly (discord.py compares the
header verbatim) and carry generous X-RateLimit headers so discord.py never throttles itself.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .errors import NOT_FOUND, UNAUTHORIZED, ApiError
from .faults import FaultInjector, FaultResponse, ratelimit_headers
from .recorder import RecordedCall, RecordedFile

if TYPE_CHECKING:
    from .server import FakeDiscord

_API_PREFIX = re.compile(r"^v\d+(/.*)?$")
_UNAUTHENTICATED = ("/webhooks/", "/interactions/")


@dataclass
class ApiRequest:
    """What a handler sees: parsed body, path parameters and query."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[RecordedFile]
    headers: dict[str, str]
    call: RecordedCall

    @property
    def body(self) -> dict[str, Any]:
        return self.json if isinstance(self.json, dict) else {}

    def id(self, name: str) -> int:
        """A snowflake path parameter (400 Invalid Form Body when not numeric)."""
        value = self.params[name]
        if not value.isdigit():
            raise ApiError(400, 50035, "Invalid Form Body", {name: "Value is not snowflake."})
        return int(value)

    def query_int(self, name: str, default: int | None = None) -> int | None:
        value = self.query.get(name)
        return int(value) if value not in (None, "") else default

    def query_flag(self, name: str) -> bool:
        return self.query.get(name, "").lower() in ("1", "true", "yes")


@dataclass
class Reply:
    """Explicit response from a handler."""

    status: int = 200
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)


Handler = Callable[["FakeDiscord", ApiRequest], Awaitable[Any]]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    regex: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        parts = re.split(r"\{(\w+)\}", self.template)
        pattern = "".join(
            f"(?P<{part}>[^/]+)" if i % 2 else re.escape(part) for i, part in enumerate(parts)
        )
        self.regex = re.compile(f"^{pattern}$")


def json_response(status: int, body: Any, headers: dict[str, str] | None = None) -> web.Response:
    """A JSON response whose Content-Type is exactly ``application/json``."""
    headers = dict(headers or {})
    if status == 204 or body is None:
        return web.Response(status=204 if status < 300 else status, headers=headers)
    headers["Content-Type"] = "application/json"
    return web.Response(status=status, body=json.dumps(body).encode(), headers=headers)


async def _read_body(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    if request.content_type == "multipart/form-data":
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode("utf-8", "replace"), []


async def _read_multipart(request: web.Request) -> tuple[Any, list[RecordedFile]]:
    reader = await request.multipart()
    payload: Any = None
    files: list[RecordedFile] = []
    while (part := await reader.next()) is not None:
        data = await part.read(decode=False)  # type: ignore[union-attr]
        name = part.name or ""
        if name == "payload_json":
            payload = json.loads(data)
        else:
            files.append(
                RecordedFile(name, part.filename, part.headers.get("Content-Type"), bytes(data))
            )
    return payload, files


@dataclass
class LateAnswer:
    """Calls that take effect at once but are answered ``delay`` seconds later."""

    method: str
    path: re.Pattern[str]
    delay: float
    times: int

    def take(self, call: RecordedCall) -> bool:
        if self.times <= 0 or self.method not in ("*", call.method):
            return False
        if not self.path.search(call.path):
            return False
        self.times -= 1
        return True


class RestServer:
    """Dispatches ``/api/v{N}/...`` requests to route handlers."""

    def __init__(self, fake: FakeDiscord, routes: list[Route], faults: FaultInjector) -> None:
        self.fake = fake
        self.routes = routes
        self.faults = faults
        self.late: list[LateAnswer] = []

    async def handle(self, request: web.Request) -> web.StreamResponse:
        match = _API_PREFIX.match(request.match_info.get("tail", ""))
        path = (match.group(1) or "/") if match else "/" + request.match_info.get("tail", "")
        body, files = await _read_body(request)
        call = RecordedCall(
            method=request.method,
            path=path,
            query=dict(request.query),
            json=body,
            headers=dict(request.headers),
            time=asyncio.get_running_loop().time(),
            files=files,
        )
        self.fake.calls.append(call)
        status, payload, headers = await self._respond(call)
        call.status, call.response = status, payload
        return json_response(status, payload, headers)

    async def _respond(self, call: RecordedCall) -> tuple[int, Any, dict[str, str]]:
        if not self._authorized(call):
            return UNAUTHORIZED[0], ApiError.of(UNAUTHORIZED).body(), {}
        route, params = self._match(call.method, call.path)
        call.route = route.template if route else None
        limit_headers, fault = self.faults.check(call.method, call.path, call.time)
        if fault is not None:
            return await self._fault(call, fault)
        headers = limit_headers or self._default_headers(call)
        if route is None:
            return NOT_FOUND[0], ApiError.of(NOT_FOUND).body(), headers
        status, body, extra = await self._run(route, params, call)
        late = next((rule for rule in self.late if rule.take(call)), None)
        if late is not None:
            await asyncio.sleep(late.delay)
        return status, body, {**headers, **extra}

    async def _run(
        self, route: Route, params: dict[str, str], call: RecordedCall
    ) -> tuple[int, Any, dict[str, str]]:
        req = ApiRequest(
            call.method, call.path, params, call.query, call.json, call.files, call.headers, call
        )
        try:
            result = await route.handler(self.fake, req)
        except ApiError as exc:
            return exc.status, exc.body(), {}
        if isinstance(result, Reply):
            return result.status, result.body, result.headers
        return (204 if result is None else 200), result, {}

    async def _fault(
        self, call: RecordedCall, fault: FaultResponse
    ) -> tuple[int, Any, dict[str, str]]:
        call.injected = True
        if fault.delay:
            await asyncio.sleep(fault.delay)
        headers = dict(fault.headers)
        if fault.status == 429:
            headers.setdefault("X-RateLimit-Bucket", self._bucket(call))
        return fault.status, fault.body, headers

    def _authorized(self, call: RecordedCall) -> bool:
        token = self.fake.token
        if token is None or call.path.startswith(_UNAUTHENTICATED):
            return True
        return call.headers.get("Authorization") == f"Bot {token}"

    @staticmethod
    def _bucket(call: RecordedCall) -> str:
        key = f"{call.method} {call.route or call.path}".encode()
        return hashlib.blake2b(key, digest_size=8).hexdigest()

    def _default_headers(self, call: RecordedCall) -> dict[str, str]:
        limit = self.fake.ratelimit_limit
        return ratelimit_headers(
            limit, limit - 1, self.fake.ratelimit_reset_after, self._bucket(call)
        )

    def _match(self, method: str, path: str) -> tuple[Route | None, dict[str, str]]:
        for route in self.routes:
            if route.method == method:
                found = route.regex.match(path)
                if found:
                    return route, found.groupdict()
        return None, {}
