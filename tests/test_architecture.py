"""The layers in ARCHITECTURE.md, enforced on imports: each module's imports are read
with `ast` (including those under TYPE_CHECKING and inside functions), so a module that
reaches into a layer it must not use fails here, not in review. Also: cogs do not touch
the store at run time (no `ctx.store`, no `bot.store`), which imports alone would not
show."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

STORE = "bot.store"
BRIEFING = {"bot.briefing"}
WRITERS = {
    "bot.moderation",
    "bot.settings",
    "bot.digests",
    "bot.articles",
    "bot.feeds",
    "bot.review",
}
RENDER = "bot.render"
ADAPTERS = {
    "bot.context",
    "bot.checks",
    "bot.views",
    "bot.delivery",
    "bot.pictures",
    "bot.cache",
    "bot.forms",
    "bot.flags",
    "bot.core",
}
FRONT_ENDS = {
    "bot.cli",
    "bot.console",
    "bot.build",
    "bot.export",
    "bot.storecopy",
    "bot.__main__",
}
SHARED = {
    "bot.answers",
    "bot.models",
    "bot.errors",
    "bot.text",
    "bot.usertext",
    "bot.dates",
    "bot.schedule",
    "bot.query",
    "bot.curation",
    "bot.quotas",
    "bot.pacing",
    "bot.catalog",
    "bot.config",
    "bot.logs",
    "bot.clock",
    "bot.fetch",
    "bot.extract",
    "bot.feedmodels",
    "bot.workers",
    "bot.drafting",
    "bot.drafteval",
}
DISCORD = ("discord",)
SQL = ("sqlite3", "aiosqlite", "asyncpg")
# The engines behind bot.store.Store: nothing above the store may know which one it is.
ENGINES = ("bot.store.sqlite", "bot.store.postgres", "bot.store.pgsearch", "bot.store.database")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules(*packages: str) -> list[Path]:
    return sorted(p for package in packages for p in (ROOT / package).rglob("*.py"))


def imports(path: Path) -> set[str]:
    """Every module `path` imports, by full dotted name (`from bot import briefing` is
    bot.briefing; relative imports are not used in this project)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            assert node.level == 0, f"{path}: relative import"
            found.add(node.module)
            found |= {f"{node.module}.{alias.name}" for alias in node.names}
    return found


def within(name: str, *layers: str | set[str]) -> bool:
    """Whether module `name` is (in) one of `layers`: a package prefix or a set of names."""
    for layer in layers:
        names = {layer} if isinstance(layer, str) else layer
        if any(name == n or name.startswith(n + ".") for n in names):
            return True
    return False


# Known crossings, to be removed: the review queue's dataclasses (Queue, Item, their
# states) live in bot/review.py beside its logic, so the store and render import them
# from there. Moving them to a models module (as bot/feedmodels.py is for feeds) ends it.
KNOWN_CROSSINGS = {
    ("bot.store.reviews", "bot.review"),
    ("bot.render.review", "bot.review"),
}


def offending(path: Path, *forbidden: str | set[str] | tuple[str, ...]) -> list[str]:
    flat: list[str | set[str]] = []
    for layer in forbidden:
        flat += list(layer) if isinstance(layer, tuple) else [layer]
    name = module_name(path)
    return sorted(
        found
        for found in imports(path)
        if within(found, *flat) and not within(found, *(b for a, b in KNOWN_CROSSINGS if a == name))
    )


def test_every_module_of_bot_is_in_a_layer() -> None:
    """A new module must be placed (here and in ARCHITECTURE.md) to be checked."""
    layers = (STORE, RENDER, BRIEFING, WRITERS, ADAPTERS, FRONT_ENDS, SHARED)
    unplaced = [module_name(p) for p in modules("bot") if not within(module_name(p), *layers)]
    assert unplaced == ["bot"]


# Cogs that still reach the store (a branch that predates the rule), to be moved like the
# others, their logic into bot/ functions that take the store: this list may only shrink.
STILL_TO_MOVE: set[str] = set()


@pytest.mark.parametrize("path", modules("cogs"), ids=lambda p: p.name)
def test_cogs_never_import_the_store_or_sql(path: Path) -> None:
    if path.name in STILL_TO_MOVE:
        return
    assert offending(path, STORE, SQL) == []


@pytest.mark.parametrize("path", modules("bot/render"), ids=lambda p: p.name)
def test_render_reads_answers_only(path: Path) -> None:
    assert offending(path, STORE, WRITERS, ADAPTERS, FRONT_ENDS, "cogs") == []


@pytest.mark.parametrize("path", modules("bot/store"), ids=lambda p: p.name)
def test_the_store_knows_nothing_above_it(path: Path) -> None:
    above = (DISCORD, BRIEFING, RENDER, WRITERS, ADAPTERS, FRONT_ENDS, "cogs")
    assert offending(path, *above) == []


@pytest.mark.parametrize(
    "name", sorted(BRIEFING | WRITERS), ids=lambda name: name.removeprefix("bot.")
)
def test_briefing_and_writers_need_no_discord_and_no_rendering(name: str) -> None:
    path = ROOT / (name.replace(".", "/") + ".py")
    assert offending(path, DISCORD, RENDER, ADAPTERS, FRONT_ENDS, "cogs") == []


@pytest.mark.parametrize("name", sorted(SHARED), ids=lambda name: name.removeprefix("bot."))
def test_shared_modules_import_no_layer(name: str) -> None:
    path = ROOT / (name.replace(".", "/") + ".py")
    layers = (DISCORD, STORE, BRIEFING, RENDER, WRITERS, ADAPTERS, FRONT_ENDS, "cogs")
    assert offending(path, *layers) == []


def test_only_the_store_uses_sql() -> None:
    users = [module_name(p) for p in modules("bot", "cogs") if offending(p, SQL)]
    assert all(within(name, STORE) for name in users), users


def test_nothing_above_the_store_knows_its_engine() -> None:
    users = [module_name(p) for p in modules("bot", "cogs") if offending(p, ENGINES)]
    assert all(within(name, STORE) for name in users), users


def test_only_the_client_loads_cogs() -> None:
    users = [module_name(p) for p in modules("bot") if offending(p, "cogs")]
    assert users == ["bot.core"]


def store_calls(path: Path) -> list[str]:
    """Every reach for the store in a cog (`ctx.store`, `self.bot.store`, `client.store`,
    `bot._store`): at run time, past every import check. Cogs hand bot/ functions the
    store with `ctx.act(...)` / `bot.act(...)` instead."""
    return [
        f"line {node.lineno}: {ast.unparse(node)}"
        for node in ast.walk(ast.parse(path.read_text(), str(path)))
        if isinstance(node, ast.Attribute) and node.attr in {"store", "_store"}
    ]


@pytest.mark.parametrize("path", modules("cogs"), ids=lambda p: p.name)
def test_cogs_do_not_call_the_store(path: Path) -> None:
    if path.name in STILL_TO_MOVE:
        assert store_calls(path), f"{path.name} no longer reaches the store: drop it from the list"
        return
    assert store_calls(path) == [], (
        "cogs hand their work to bot/ with ctx.act(fn, ...) or bot.act(fn, ...), where fn "
        "(in briefing, moderation, settings…) takes the store first; see ARCHITECTURE.md"
    )


def test_the_run_time_check_sees_a_store_call(tmp_path: Path) -> None:
    """The check above can fail: it finds the shapes cogs used before (issue 12)."""
    probe = tmp_path / "cog.py"
    probe.write_text(
        "async def f(ctx, self, interaction):\n"
        "    await ctx.store.digest(1)\n"
        "    await self.bot.store.complete_names('k')\n"
        "    store = interaction.client.store\n"
        "    await f(ctx.store)\n"
    )
    lines = {found.split(":")[0] for found in store_calls(probe)}
    assert lines == {"line 2", "line 3", "line 4", "line 5"}


def test_error_ids_and_the_time_come_from_one_place_each() -> None:
    """Error ids are made by bot.logs.new_error_id only, and "now" is read by bot.clock
    only (everything else is given a clock or a time)."""
    ids = [module_name(p) for p in modules("bot", "cogs") if offending(p, ("uuid",))]
    assert ids == ["bot.logs"]
    readers = [module_name(p) for p in modules("bot", "cogs") if "datetime.now(" in p.read_text()]
    assert readers == ["bot.clock"]
