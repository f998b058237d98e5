"""A bot in its own process, for the load benchmarks: `python -m bench.botproc ours|baseline`.

`ours` is the real BriefingBot (every cog, the real store) built exactly as `python -m bot`
builds it, with one change made on the instance after `login()` (which runs setup_hook and
loads the cogs): when BENCH_NO_COOLDOWN=1 (bench/intents.py; `bench commands` keeps the
cooldown on) the shared per-user limiter always allows, and every command's own
cooldown mapping, if any, is replaced by
an empty `CooldownMapping(None, ...)`, so the per-user limit (5 commands / 10 s) does not
turn load into "you're asking a bit fast" errors. Nothing in bot/ or cogs/ is edited.

`baseline` is a plain discord.py commands.Bot with the same intents, AllowedMentions.none()
and prefix options, and hybrid commands of the same names (`who`, `sanctions`, `search`)
that answer one constant embed without touching a store. It measures what discord.py, the
fake and the loopback cost by themselves.

Both read DISCORD_TOKEN and DISCORD_API_BASE (and BRIEFING_DB for ours), discover the
gateway from /gateway/bot like the real bot, and stop cleanly on SIGTERM.

What-ifs: BENCH_WHATIF=syncreads|noview|nocache|nocooldown|orjson|stdjson|nomsgcache|
gcfreeze|uvloop (or several, comma-separated) applies those patches from bench/whatif.py
to this process's bot after login (uvloop: before the loop starts), to size a suggested
optimisation; such a bot is always reported under its own name (e.g. `ours+syncreads`).

Profiling: with BENCH_PROFILE=<file>, SIGUSR1 starts cProfile in the event-loop thread
and SIGUSR2 stops it and writes the stats to <file> (the driver brackets a load run).

Statistics: with BENCH_STATS=<file>, the process rewrites <file> every 0.5 s with the
garbage collector's work (collections and pause times per generation, from gc.callbacks),
the number of live objects it tracks, and how many message views discord.py holds.
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import gc
import inspect
import json
import os
import signal
import sys
import time
from pathlib import Path

import discord
from discord.ext import commands

from bench import whatif
from bot import logs
from bot.config import Config
from bot.core import BriefingBot, intents, point_at

# A constant answer of about the size of a real one (title, description, four fields,
# a footer: ~2 KB of JSON), so both bots send comparable payloads.
_FIELD = (
    "• *Reported:* A constant line standing in for a cited fact, long enough to look like "
    "one, with a marker at the end (fact 1) [1]\n"
)
BASELINE_EMBED = discord.Embed(
    title="Baseline answer",
    description="A constant embed from the baseline bot: no store, no rendering.",
    colour=discord.Colour.blurple(),
)
for _heading in ("Reported", "In their own words", "Views attributed", "Opinion"):
    BASELINE_EMBED.add_field(name=_heading, value=_FIELD * 3, inline=False)
BASELINE_EMBED.set_footer(text="Sources: S1: a constant source line; publisher: none")


class BaselineCog(commands.Cog):
    @commands.hybrid_command(name="who", description="Baseline: constant answer")
    async def who(self, ctx: commands.Context, *, name: str | None = None) -> None:
        await ctx.send(embed=BASELINE_EMBED)

    @commands.hybrid_command(name="sanctions", description="Baseline: constant answer")
    async def sanctions(self, ctx: commands.Context) -> None:
        await ctx.send(embed=BASELINE_EMBED)

    @commands.hybrid_command(name="search", description="Baseline: constant answer")
    async def search(self, ctx: commands.Context, *, query: str) -> None:
        await ctx.send(embed=BASELINE_EMBED)


class BaselineBot(commands.Bot):
    # Whether setup asks /gateway/bot for the gateway: an unsharded client would
    # otherwise connect to discord.py's default; a sharded one asks it itself.
    discovers_gateway = True

    def __init__(self, api_base: str | None) -> None:
        super().__init__(
            command_prefix="!",
            intents=intents(),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            case_insensitive=True,
            strip_after_prefix=True,
        )
        self.api_base = api_base

    async def login(self, token: str) -> None:
        point_at(self.api_base, None)
        await super().login(token)

    async def setup_hook(self) -> None:
        if self.api_base and self.discovers_gateway:  # like BriefingBot's /gateway/bot
            _, url, _ = await self.http.get_bot_gateway()
            point_at(None, url)
        await self.add_cog(BaselineCog())
        await self.tree.sync()


def disable_cooldowns(bot: commands.Bot) -> int:
    """Give every command an empty cooldown mapping (on this instance only)."""
    changed = 0
    for command in bot.walk_commands():
        if command._buckets.valid:
            command._buckets = commands.CooldownMapping(None, commands.BucketType.default)
            changed += 1
    return changed


class Profiler:
    """cProfile switched on and off by SIGUSR1 / SIGUSR2 (event-loop thread only)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.profile: cProfile.Profile | None = None

    def start(self) -> None:
        self.profile = cProfile.Profile()
        self.profile.enable()

    def stop(self) -> None:
        if self.profile is not None:
            self.profile.disable()
            self.profile.dump_stats(self.path)
            self.profile = None


class GcWatch:
    """Pause times of the cyclic garbage collector, per generation (gc.callbacks)."""

    def __init__(self) -> None:
        self.started = 0.0
        self.count = [0, 0, 0]
        self.total = [0.0, 0.0, 0.0]
        self.longest = [0.0, 0.0, 0.0]
        gc.callbacks.append(self.callback)

    def callback(self, phase: str, info: dict) -> None:
        if phase == "start":
            self.started = time.perf_counter()
            return
        generation = info["generation"]
        pause = time.perf_counter() - self.started
        self.count[generation] += 1
        self.total[generation] += pause
        self.longest[generation] = max(self.longest[generation], pause)

    def snapshot(self) -> dict:
        return {
            "collections": self.count,
            "pause_total_ms": [round(t * 1000, 3) for t in self.total],
            "pause_max_ms": [round(t * 1000, 3) for t in self.longest],
        }


async def write_stats(client: commands.Bot, path: Path, watch: GcWatch) -> None:
    while True:
        views = client._connection._view_store
        stats = {
            "time": time.time(),
            "gc": watch.snapshot(),
            "views_tracked": len(views._synced_message_views),
            "view_items_tracked": sum(len(items) for items in views._views.values()),
        }
        path.with_suffix(".tmp").write_text(json.dumps(stats))
        path.with_suffix(".tmp").replace(path)
        await asyncio.sleep(0.5)


def ours(config: Config) -> BriefingBot:
    """BriefingBot as run_discord (`python -m bot`) makes it; an older revision's (see
    BENCH_BEFORE) may not know every option yet."""
    options = {"freeze_startup": True}
    known = inspect.signature(BriefingBot).parameters
    return BriefingBot(config, **{k: v for k, v in options.items() if k in known})


async def serve(which: str) -> int:
    config = Config.from_env()
    logs.setup(config.log_level, [config.token or ""])
    client: commands.Bot = ours(config) if which == "ours" else BaselineBot(config.api_base)
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stopping.set)
    loop.add_signal_handler(signal.SIGINT, stopping.set)
    if os.environ.get("BENCH_PROFILE"):
        profiler = Profiler(os.environ["BENCH_PROFILE"])
        loop.add_signal_handler(signal.SIGUSR1, profiler.start)
        loop.add_signal_handler(signal.SIGUSR2, profiler.stop)
    await client.login(config.token or "")  # runs setup_hook: store, cogs, command sync
    if os.environ.get("BENCH_NO_COOLDOWN") == "1":
        disable_cooldowns(client)
        whatif.nocooldown()  # the shared per-user limiter (bot/checks.py)
    if os.environ.get("BENCH_WHATIF"):
        whatif.apply(os.environ["BENCH_WHATIF"], client)
    tasks = [asyncio.create_task(client.connect()), asyncio.create_task(stopping.wait())]
    if os.environ.get("BENCH_STATS"):
        stats_path = Path(os.environ["BENCH_STATS"])
        tasks.append(asyncio.create_task(write_stats(client, stats_path, GcWatch())))
    await asyncio.wait(tasks[:2], return_when=asyncio.FIRST_COMPLETED)
    with contextlib.suppress(Exception):
        await asyncio.wait_for(client.close(), 10)
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return 0


def main() -> int:
    which = sys.argv[1] if len(sys.argv) > 1 else "ours"
    if which not in ("ours", "baseline"):
        print("usage: python -m bench.botproc ours|baseline", file=sys.stderr)
        return 2
    if "uvloop" in os.environ.get("BENCH_WHATIF", "").split(","):
        import uvloop

        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            return runner.run(serve(which))
    return asyncio.run(serve(which))


if __name__ == "__main__":
    sys.exit(main())
