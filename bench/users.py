"""`python -m bench users`: memory over 100,000 commands from 10,000 distinct users,
our bot against the bare baseline bot, with the real cooldowns on.

The bots run at once, each in its own process with its own fake Discord (one server,
50 channels, 10,000 members). Commands go in batches, taking turns:
closed loop over the 50 channels, cycling `!who kim`, `/who name:kim`, `!sanctions` and
`!search sanctions`, each from the next of the 10,000 members in turn (so every member
sends 10 commands, one every 10,000 commands: the cooldown of 5 in 10 s never fires,
and every command is answered). After each batch: VmRSS of each bot, and what each
holds, from the bot's own process (written every 0.5 s to a file): discord.py's caches
(messages, members, users, views) and ours (cooldown buckets, notices, answer cache,
live paging views). Slope = least squares over the second half of the batches.

ours = the real BriefingBot (`bench.botproc`'s build of it, nothing patched, cooldowns
on, and discord.py's message cache off: max_messages=None); ours+msgcache = the same
with discord.py's default message cache back on (1,000 messages, set on the instance
after login); bare = `bench.botproc baseline`. All through
`python -m bench.users NAME`, which only adds the stats writer.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import Report, summarise, table
from bench.loopback import ACTIONS, BotProcess, RotatingUsers, drive, start_world, wait_connected

CHANNELS = 50
STATS_EVERY = 0.5


BOTS = ("ours", "ours+msgcache", "bare")  # ours+msgcache: max_messages=1000


def settings(quick: bool) -> dict[str, int]:
    if quick:
        return {"commands": 20_000, "users": 10_000, "batch": 2_000}
    return {"commands": 100_000, "users": 10_000, "batch": 10_000}


def slope(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of y over x."""
    if len(points) < 2:
        return float("nan")
    mean_x = sum(x for x, _ in points) / len(points)
    mean_y = sum(y for _, y in points) / len(points)
    spread = sum((x - mean_x) ** 2 for x, _ in points)
    return sum((x - mean_x) * (y - mean_y) for x, y in points) / spread if spread else 0.0


async def read_stats(path: Path) -> dict[str, Any]:
    await asyncio.sleep(STATS_EVERY * 2.5)  # a fresh file after the batch
    try:
        return json.loads(await asyncio.to_thread(path.read_text))
    except (OSError, ValueError):
        return {}


async def run_async(cfg: dict[str, int]) -> Report:
    actions = list(ACTIONS.values())
    with tempfile.TemporaryDirectory(prefix="bench-users-") as tmp:
        work = Path(tmp)
        worlds, bots, stats = {}, {}, {}
        for name in BOTS:
            worlds[name] = await start_world(CHANNELS, cfg["users"])
            stats[name] = work / f"{name}.stats.json"
            bots[name] = BotProcess.module(
                name,
                ["bench.users", name],
                worlds[name].fake,
                work,
                BRIEFING_DB=str(work / f"{name}.sqlite3"),
                BENCH_USER_STATS=str(stats[name]),
            )
        found: dict[str, Any] = {name: {"batches": []} for name in bots}
        try:
            for name, bot in bots.items():
                await bot.start()
                await wait_connected(worlds[name], bot)
            await asyncio.sleep(3.0)  # on_ready, the loops' first ticks
            pickers = {name: RotatingUsers(worlds[name].users) for name in bots}
            for name, bot in bots.items():
                found[name]["start"] = {"rss_kib": bot.rss(), "held": await read_stats(stats[name])}
            sent = 0
            while sent < cfg["commands"]:
                size = min(cfg["batch"], cfg["commands"] - sent)
                for name, bot in bots.items():
                    run = await drive(worlds[name], bot, actions, size, CHANNELS, pickers[name])
                    found[name]["batches"].append(
                        {
                            "after": sent + size,
                            "answered": len(run.latencies) - run.errors,
                            "errors": run.errors,
                            "timeouts": run.timeouts,
                            "throughput": run.throughput,
                            "cpu_ms_per_command": run.bot_cpu * 1000 / max(1, size),
                            "latency_ms": summarise(x * 1000 for x in run.latencies),
                            "rss_kib": bot.rss(),
                            "held": await read_stats(stats[name]),
                        }
                    )
                sent += size
        finally:
            for name, bot in bots.items():
                await bot.stop()
                await worlds[name].fake.stop()
    return _report(cfg, found)


def _report(cfg: dict[str, int], found: dict[str, Any]) -> Report:
    ours, bare = found["ours"]["batches"], found["bare"]["batches"]
    cached = found["ours+msgcache"]["batches"]
    rows = []
    for mine, theirs, third in zip(ours, bare, cached, strict=True):
        held = mine["held"]
        rows.append(
            [
                f"{mine['after']:,}",
                mine["rss_kib"]["VmRSS"] / 1024,
                third["rss_kib"]["VmRSS"] / 1024,
                theirs["rss_kib"]["VmRSS"] / 1024,
                held.get("cooldown_users", "?"),
                held.get("notices", "?"),
                held.get("answers_cached", "?"),
                held.get("live_pages", "?"),
                held.get("views", "?"),
                held.get("messages_cached", "?"),
                held.get("members_cached", "?"),
                held.get("users_cached", "?"),
                f"{mine['errors'] + mine['timeouts']}/{theirs['errors'] + theirs['timeouts']}",
                mine["throughput"],
                theirs["throughput"],
            ]
        )
    half = len(ours) // 2
    slopes = {
        name: slope([(b["after"] / 1000, b["rss_kib"]["VmRSS"]) for b in batches[half:]])
        for name, batches in (("ours", ours), ("ours+msgcache", cached), ("bare", bare))
    }
    start = {name: found[name]["start"]["rss_kib"]["VmRSS"] / 1024 for name in found}
    summary = [
        [
            name,
            start[name],
            found[name]["batches"][-1]["rss_kib"]["VmRSS"] / 1024,
            found[name]["batches"][-1]["rss_kib"]["VmHWM"] / 1024,
            slopes[name],
        ]
        for name in BOTS
    ]
    tables = [
        table(
            [
                "after cmds",
                "ours RSS MiB",
                "ours, 1,000 messages cached",
                "bare RSS MiB",
                "cooldown users",
                "notices",
                "answers",
                "live pages",
                "views",
                "messages",
                "members",
                "users",
                "err o/b",
                "ours cmd/s",
                "bare cmd/s",
            ],
            rows,
            title=(
                f"{cfg['commands']:,} commands from {cfg['users']:,} users, RSS after each "
                "batch; what ours holds (discord.py's caches: ours' process)"
            ),
        ),
        table(
            ["bot", "RSS at start MiB", "at end MiB", "peak MiB", "slope KiB / 1,000 cmds"],
            summary,
            title="The curve's slope over the second half (target: flat, as the bare bot's)",
        ),
    ]
    method = [line.strip() for line in (__doc__ or "").split("\n\n")[1:]]
    extra_mib = (cached[-1]["rss_kib"]["VmRSS"] - ours[-1]["rss_kib"]["VmRSS"]) / 1024
    notes = [
        f"Slope over the second half: ours {slopes['ours']:+.1f} KiB per 1,000 commands, "
        f"ours with the message cache {slopes['ours+msgcache']:+.1f}, bare "
        f"{slopes['bare']:+.1f}.",
        "discord.py's message cache (1,000 messages by default; ours sets max_messages="
        f"None) would cost {extra_mib:.1f} MiB at the end (ours with it minus ours).",
    ]
    return Report(
        "users",
        f"Memory over {cfg['commands']:,} commands from {cfg['users']:,} users",
        method,
        tables,
        {"settings": cfg, "runs": found, "slopes_kib_per_1000": slopes},
        notes,
    )


def run(quick: bool = False, profile: str = "auto") -> Report:
    return asyncio.run(run_async(settings(quick)))


# --- in the bot's process: bench.botproc's bot, with a stats writer -----------------------


def held(client: Any) -> dict[str, Any]:
    """What the bot holds that could grow with users, channels or messages."""
    state = client._connection
    found: dict[str, Any] = {
        "time": time.time(),
        "messages_cached": len(state._messages or ()),
        "members_cached": sum(len(guild._members) for guild in client.guilds),
        "users_cached": len(state._users),
        "views": len(state._view_store._views),
        "synced_views": len(state._view_store._synced_message_views),
        "gc_objects": len(gc.get_objects()),
    }
    if hasattr(client, "live_pages"):
        from bot import checks

        found["live_pages"] = len(client.live_pages)
        limiters = checks._LIMITERS.get(client, {})
        found["cooldown_users"] = sum(len(buckets) for buckets in limiters.values())
        errors = client.get_cog("Errors")
        found["notices"] = len(errors.notices) if errors is not None else "?"
        found["answers_cached"] = len(client.answers)
    return found


def main(which: str) -> int:
    from bench import botproc

    if which == "ours+msgcache":
        from collections import deque

        from bot.core import BriefingBot

        login = BriefingBot.login

        async def login_with_message_cache(self: Any, token: str) -> None:
            await login(self, token)
            self._connection.max_messages = 1000
            self._connection._messages = deque(maxlen=1000)

        BriefingBot.login = login_with_message_cache  # type: ignore[method-assign]

    path = Path(os.environ["BENCH_USER_STATS"])

    async def write_stats(client: Any, _path: Path, _watch: Any) -> None:
        while True:
            path.with_suffix(".tmp").write_text(json.dumps(held(client)))
            path.with_suffix(".tmp").replace(path)
            await asyncio.sleep(STATS_EVERY)

    botproc.write_stats = write_stats  # type: ignore[assignment]
    os.environ["BENCH_STATS"] = str(path)
    return asyncio.run(botproc.serve("baseline" if which == "bare" else "ours"))


if __name__ == "__main__":
    if len(sys.argv) != 2 or sys.argv[1] not in BOTS:
        print(f"usage: python -m bench.users {'|'.join(BOTS)}", file=sys.stderr)
        sys.exit(2)
    sys.exit(main(sys.argv[1]))
