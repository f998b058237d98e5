"""Helpers to point discord.py at a ``FakeDiscord`` and run a client against it."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import discord
import yarl
from discord.gateway import DiscordWebSocket
from discord.http import Route

if TYPE_CHECKING:
    from .server import FakeDiscord


@contextlib.contextmanager
def pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """Set ``Route.BASE`` / ``DiscordWebSocket.DEFAULT_GATEWAY`` to the fake; restore after."""
    old_base, old_gateway = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(fake.gateway_url)
    try:
        yield
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


async def _no_identify_delay(*args: Any, **kwargs: Any) -> None:
    return None


async def run_client(
    fake: FakeDiscord,
    client: discord.Client,
    *,
    token: str = "fake-token",
    identify_timeout: float = 10.0,
    fast_reidentify: bool = False,
) -> asyncio.Task[None]:
    """``login`` + ``connect`` in a task, then wait until the fake answered IDENTIFY.

    discord.py sleeps 5 s in ``Client.before_identify_hook`` before every non-initial
    IDENTIFY (after INVALID_SESSION / close 4009); ``fast_reidentify`` replaces that hook
    on this client instance with a no-op to keep such tests fast.
    """
    if fast_reidentify:
        client.before_identify_hook = _no_identify_delay  # type: ignore[method-assign]
    before = fake.gateway.identify_count
    await client.login(token)
    task = asyncio.create_task(client.connect(), name="fakediscord-client")
    await fake.wait_identified(identify_timeout, count=before + 1)
    return task


async def stop_client(client: discord.Client, task: asyncio.Task[None] | None = None) -> None:
    """Close the client (before ``fake.stop()``, or it keeps trying to reconnect)."""
    await client.close()
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
