"""The help catalog and the registered commands agree, both ways (python-discord's
test_cogs.py style), and every read command has the one builder all front ends call."""

from __future__ import annotations

import pkgutil
from pathlib import Path

import cogs
from bot import briefing, catalog
from bot.config import Config
from bot.core import BriefingBot
from bot.store import Store

OWNER_ONLY = {"sync"}  # not listed for members or moderators


async def _registered(store: Store, tmp_path: Path) -> set[str]:
    bot = BriefingBot(Config(token="x", db_path=tmp_path / "db.sqlite3"), store=store)
    bot.run_digests = False  # no loop: the bot never logs in here
    for module in pkgutil.iter_modules(cogs.__path__):
        await bot.load_extension(f"cogs.{module.name}")
    names = set()
    for command in bot.walk_commands():
        names.add(command.qualified_name)
        fallback = getattr(command, "fallback", None)  # a hybrid group's own slash name
        if fallback:
            names.add(f"{command.qualified_name} {fallback}")
    for name in list(bot.cogs):
        await bot.remove_cog(name)  # stops any loop a cog started on load
    return names - OWNER_ONLY


async def test_every_registered_command_is_in_the_help_catalog(
    store: Store, tmp_path: Path
) -> None:
    listed = set(catalog.NAMES + catalog.MODERATOR_NAMES)
    for name in await _registered(store, tmp_path):
        # A subcommand is covered by its own entry or by its group's (`modrole set`); a
        # group by its own entry or its subcommands' (`feed` by `feed add`).
        covered = name.split()[0] in listed or any(n.startswith(f"{name} ") for n in listed)
        assert name in listed or covered, name


async def test_every_catalog_entry_is_a_registered_command(store: Store, tmp_path: Path) -> None:
    registered = await _registered(store, tmp_path)
    for name in catalog.NAMES + catalog.MODERATOR_NAMES:
        assert name in registered, name


def test_every_read_command_has_its_builder() -> None:
    reads = {name for name in catalog.NAMES if name != "help"}
    assert reads == set(briefing.READS)
