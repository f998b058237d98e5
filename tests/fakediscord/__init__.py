"""A loopback fake Discord (REST + gateway) for testing an unmodified discord.py bot.

Usage (inside one event loop, e.g. a pytest-asyncio test)::

    from tests.fakediscord import FakeDiscord, pointed_at, run_client, stop_client

    fake = await FakeDiscord(heartbeat_interval_ms=1000).start()
    guild = fake.add_guild(name="Alpha")          # before or after the client connects
    channel = fake.add_channel(guild, name="general")
    alice = fake.add_member(guild, name="alice", permissions=0)
    with pointed_at(fake):                        # Route.BASE / DEFAULT_GATEWAY, restored
        task = await run_client(fake, bot)        # login + connect + fake.wait_identified()
        await fake.send_message(channel, alice, "!ping")
        reply = await fake.wait_for_message(channel)  # dict: content, embeds, allowed_mentions
        inter = await fake.invoke_slash(channel, alice, "echo", {"text": "hi"})
        answer = await fake.wait_for_interaction_response(inter)
        fake.fail_next("POST", r"/channels/\\d+/messages$", status=429)  # REST faults
        assert await fake.drop_gateway(1006) == "resumed"  # gateway faults
        await settle(fake)                        # no handler running, no request open
        await stop_client(bot, task)              # close the bot before fake.stop()
    await fake.stop()

Don't wait for ``on_ready``: discord.py fires it ~2 s after the last GUILD_CREATE.
Everything the bot does is recorded: ``fake.calls`` (REST, with path/json/status),
``fake.messages(channel)`` (bot messages, edits, interaction answers and followups),
``fake.registered_commands`` / ``fake.sync_count`` and ``fake.intents``.
Ids are ints in this API and strings inside Discord payloads; see ``FakeDiscord``.
"""

from .errors import ApiError
from .faults import FaultRule, RouteLimit
from .harness import pointed_at, run_client, settle, stop_client
from .interactions import FakeInteraction
from .recorder import MessageLog, RecordedCall, RecordedFile
from .server import FakeDiscord

__all__ = [
    "ApiError",
    "FakeDiscord",
    "FakeInteraction",
    "FaultRule",
    "MessageLog",
    "RecordedCall",
    "RecordedFile",
    "RouteLimit",
    "pointed_at",
    "run_client",
    "settle",
    "stop_client",
]
