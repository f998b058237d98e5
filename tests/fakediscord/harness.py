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


# Names discord.py gives the tasks that run event handlers, app commands and views.
_HANDLER_TASKS = ("discord.py: on_", "CommandTree-invoker", "discord-ui-")


def _handlers_running() -> bool:
    current = asyncio.current_task()
    return any(
        task is not current and not task.done() and task.get_name().startswith(_HANDLER_TASKS)
        for task in asyncio.all_tasks()
    )


async def settle(fake: FakeDiscord, timeout: float = 10.0) -> None:
    """Wait until nothing is in flight: no discord.py handler task (event, command, view,
    modal) runs in this loop and the fake is answering no request. A retried or paced
    send happens inside a handler, so once settled what the fake holds is final.

    Events the fake wrote that the client has not read yet are not seen: call this after
    something the client answered, which it read after them."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while _handlers_running() or not all(call.status for call in fake.calls):
        if loop.time() > deadline:
            raise TimeoutError(f"still in flight after {timeout}s")
        await asyncio.sleep(0.005)


async def stop_client(client: discord.Client, task: asyncio.Task[None] | None = None) -> None:
    """Close the client (before ``fake.stop()``, or it keeps trying to reconnect)."""
    await client.close()
    if task is not None:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
