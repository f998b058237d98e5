"""REST fault injection (``fail_next``) and optional enforced per-route rate limits."""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .errors import default_error_body


@dataclass
class FaultResponse:
    """A canned response the REST layer sends instead of running the handler."""

    status: int
    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


def ratelimit_headers(limit: int, remaining: int, reset_after: float, bucket: str) -> dict:
    return {
        "X-RateLimit-Limit": str(limit),
        "X-RateLimit-Remaining": str(max(remaining, 0)),
        "X-RateLimit-Reset": f"{time.time() + reset_after:.3f}",
        "X-RateLimit-Reset-After": f"{reset_after:.3f}",
        "X-RateLimit-Bucket": bucket,
    }


def too_many_requests(
    retry_after: float, *, is_global: bool = False, bucket: str | None = None, limit: int = 1
) -> FaultResponse:
    """A 429 discord.py accepts as a real rate limit (``Via`` header + JSON body).

    Without ``bucket`` the REST layer fills in the route's usual bucket hash.
    """
    headers = ratelimit_headers(limit, 0, retry_after, bucket or "")
    if bucket is None:
        del headers["X-RateLimit-Bucket"]
    headers.update(
        {
            "Via": "1.1 google",
            "Retry-After": str(math.ceil(retry_after)),
            "X-RateLimit-Scope": "global" if is_global else "user",
        }
    )
    if is_global:
        headers["X-RateLimit-Global"] = "true"
    body = {
        "message": "You are being rate limited.",
        "retry_after": retry_after,
        "global": is_global,
        "code": 0,
    }
    return FaultResponse(429, body, headers)


@dataclass
class FaultRule:
    """Answer the next ``times`` requests matching ``method`` + ``path_regex`` with a fault."""

    method: str
    path_regex: re.Pattern[str]
    status: int
    retry_after: float = 0.2
    times: int = 1
    code: int | None = None
    message: str | None = None
    body: Any = None
    is_global: bool = False
    delay: float = 0.0
    hits: int = 0

    def matches(self, method: str, path: str) -> bool:
        method_ok = self.method in ("*", method.upper())
        return method_ok and self.times > self.hits and bool(self.path_regex.search(path))

    def respond(self) -> FaultResponse:
        self.hits += 1
        if self.status == 429:
            fault = too_many_requests(self.retry_after, is_global=self.is_global)
            if self.body is not None:
                fault.body = self.body
        else:
            body = (
                self.body
                if self.body is not None
                else default_error_body(self.status, self.code, self.message)
            )
            fault = FaultResponse(self.status, body)
        fault.delay = self.delay
        return fault


@dataclass
class RouteLimit:
    """Enforce ``limit`` requests per ``window`` seconds per distinct path (fixed window)."""

    method: str
    path_regex: re.Pattern[str]
    limit: int
    window: float
    _windows: dict[str, tuple[float, int]] = field(default_factory=dict)

    def matches(self, method: str, path: str) -> bool:
        return self.method in ("*", method.upper()) and bool(self.path_regex.search(path))

    def check(self, path: str, now: float) -> tuple[dict[str, str], FaultResponse | None]:
        """Count one request; returns (headers for a normal answer, or a 429 when over)."""
        start, count = self._windows.get(path, (now, 0))
        if now - start >= self.window:
            start, count = now, 0
        reset_after = max(self.window - (now - start), 0.001)
        bucket = f"limit-{id(self):x}"
        if count >= self.limit:
            return {}, too_many_requests(reset_after, bucket=bucket, limit=self.limit)
        self._windows[path] = (start, count + 1)
        return ratelimit_headers(self.limit, self.limit - count - 1, reset_after, bucket), None


class FaultInjector:
    """Holds the active fault rules and route limits, consulted for every REST request."""

    def __init__(self) -> None:
        self.rules: list[FaultRule] = []
        self.limits: list[RouteLimit] = []

    def add_rule(self, rule: FaultRule) -> FaultRule:
        self.rules.append(rule)
        return rule

    def add_limit(self, limit: RouteLimit) -> RouteLimit:
        self.limits.append(limit)
        return limit

    def clear(self) -> None:
        self.rules.clear()
        self.limits.clear()

    def check(self, method: str, path: str, now: float) -> tuple[dict, FaultResponse | None]:
        for rule in self.rules:
            if rule.matches(method, path):
                return {}, rule.respond()
        for limit in self.limits:
            if limit.matches(method, path):
                return limit.check(path, now)
        return {}, None
