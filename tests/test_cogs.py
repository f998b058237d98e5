"""Every registered command is in the help catalog (bot/catalog.py), and every catalog
entry is a registered command (python-discord's test_cogs.py idea): a command added
without help, or help left for a command that was removed or renamed, fails here.

The cogs are loaded into a real BriefingBot over a real store, without connecting to
Discord. Prefix commands are walked with their subcommands; so are the slash commands
(app_commands groups and the hybrid commands' app-command halves)."""

from __future__ import annotations

import pkgutil
from collections.abc import AsyncIterator

import pytest
from discord import app_commands
from discord.ext import commands

import cogs
from bot import catalog
from bot.config import Config
from bot.core import BriefingBot
from bot.store import Store

# Owners' maintenance commands, documented in the README, not in members' help.
OWNER_ONLY = {"sync"}


@pytest.fixture
async def bot(store: Store) -> AsyncIterator[BriefingBot]:
    client = BriefingBot(Config(token="unused"), store=store, run_digests=False)
    await client._async_setup_hook()  # what `async with client` does, without closing the store
    for module in pkgutil.iter_modules(cogs.__path__):
        await client.load_extension(f"cogs.{module.name}")
    try:
        yield client
    finally:
        for name in list(client.extensions):
            await client.unload_extension(name)


def fallbacks(bot: BriefingBot) -> dict[str, str]:
    """A hybrid group's fallback (`/digest status`, `feed list`) names the group's own
    command (`!digest`, `!feed`)."""
    return {
        f"{group.qualified_name} {group.fallback}": group.qualified_name
        for group in bot.walk_commands()
        if isinstance(group, commands.HybridGroup) and group.fallback
    }


def catalog_entries(bot: BriefingBot) -> dict[str, catalog.CommandInfo]:
    """The catalog by the name of the command each entry is about."""
    same = fallbacks(bot)
    return {
        same.get(info.name, info.name): info
        for info in catalog.COMMANDS + catalog.MODERATOR_COMMANDS
    }


def documented(bot: BriefingBot, name: str) -> bool:
    """A command is in the catalog under its own name, or is a subcommand its group's
    entry names in its usage (`modrole set <role> | show | clear`)."""
    entries = catalog_entries(bot)
    if name in entries:
        return True
    group, _, sub = name.rpartition(" ")
    return group in entries and sub in entries[group].usage.replace("|", " ").split()


def prefix_commands(bot: BriefingBot) -> set[str]:
    return {command.qualified_name for command in bot.walk_commands()}


def slash_commands(bot: BriefingBot) -> set[str]:
    """Slash commands by the name of the command they run (see `fallbacks`)."""
    same = fallbacks(bot)
    names = set()
    for command in bot.tree.walk_commands():
        if isinstance(command, app_commands.Group):
            continue  # a group is documented through its subcommands
        names.add(same.get(command.qualified_name, command.qualified_name))
    return names


async def test_every_prefix_command_is_in_the_help(bot: BriefingBot) -> None:
    missing = sorted(n for n in prefix_commands(bot) - OWNER_ONLY if not documented(bot, n))
    assert missing == []


async def test_every_slash_command_is_in_the_help(bot: BriefingBot) -> None:
    missing = sorted(n for n in slash_commands(bot) - OWNER_ONLY if not documented(bot, n))
    assert missing == []


async def test_every_help_entry_is_a_command(bot: BriefingBot) -> None:
    assert sorted(set(catalog_entries(bot)) - prefix_commands(bot)) == []


async def test_the_two_lists_really_are_compared(bot: BriefingBot) -> None:
    """The checks above see subcommands of both kinds, and refuse what is not listed."""
    assert {"fact add", "digest set", "modrole clear"} <= prefix_commands(bot)
    assert {"fact add", "digest preview", "digest"} <= slash_commands(bot)
    assert documented(bot, "modrole clear") and documented(bot, "digest preview")
    assert not documented(bot, "fact frobnicate") and not documented(bot, "nonesuch")
