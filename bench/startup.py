"""`python -m bench startup`: from process start to the first answered command, and the
bot's memory before and after 10,000 commands.

Our bot is started exactly as in production, `python -m bot`, with DISCORD_TOKEN and
DISCORD_API_BASE pointing at a loopback fake Discord in this process (the gateway is
discovered from /gateway/bot), a temporary BRIEFING_DB and an empty working directory
(no .env). Nothing is patched: the per-user cooldown (5 commands / 10 s) stays on, so
the load comes from many members, none of whom sends more than 5 commands.
The baseline bot (`python -m bench.botproc baseline`) goes through the same steps.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from pathlib import Path
from typing import Any

from bench import Report, summarise, table
from bench.loopback import (
    ACTIONS,
    BotProcess,
    RotatingUsers,
    World,
    drive,
    start_world,
    wait_connected,
)

CHANNELS = 50
PROBE = "!who kim"


def settings(quick: bool) -> dict[str, int]:
    if quick:
        return {"commands": 10_000, "batch": 2_000, "starts": 1, "concurrency": 50}
    return {"commands": 10_000, "batch": 1_000, "starts": 3, "concurrency": 50}


async def first_answer(world: World, bot: BotProcess, synced: bool) -> dict[str, float]:
    """Milestones in seconds from the spawn: first REST call, IDENTIFY, first answer.

    After IDENTIFY a `!who kim` goes out every 50 ms (new channel and member each time)
    until one is answered; the answer's arrival at the fake is the milestone."""
    fake, log = world.fake, world.log
    loop = asyncio.get_running_loop()
    identified = await wait_connected(world, bot, synced=synced)
    waiting: dict[asyncio.Future[tuple[float, bool]], int] = {}
    probe = 0
    answered = None
    while answered is None:
        if loop.time() - identified > 60:
            raise TimeoutError(f"{bot.name}: no answer within 60 s\n{bot.stderr_tail()}")
        channel = world.channels[probe % len(world.channels)]
        future: asyncio.Future[tuple[float, bool]] = loop.create_future()
        log.pending[channel] = future
        await fake.send_message(channel, world.users[-1 - probe], PROBE)
        waiting[future] = channel
        probe += 1
        done, _ = await asyncio.wait(waiting, timeout=0.05)
        if done:
            answered = min(f.result()[0] for f in done)
    for future, channel in waiting.items():
        if not future.done():
            log.pending.pop(channel, None)
    await asyncio.sleep(0.2)  # let late answers to the other probes land
    first_call = fake.calls[0].time if fake.calls else float("nan")
    return {
        "first_rest_call_s": first_call - bot.started_at,
        "identify_s": identified - bot.started_at,
        "first_answer_s": answered - bot.started_at,
        "probes_sent": probe,
    }


def _ours(world: World, work: Path, db: Path) -> BotProcess:
    # Production entry point, production log level; only the store path is ours.
    return BotProcess.module(
        "ours", ["bot"], world.fake, work, BRIEFING_DB=str(db), BRIEFING_LOG_LEVEL="INFO"
    )


def _baseline(world: World, work: Path) -> BotProcess:
    return BotProcess.module("baseline", ["bench.botproc", "baseline"], world.fake, work)


async def start_times(work: Path, runs: int) -> dict[str, Any]:
    """Cold (new store: migrations, build from data/, slash sync) and warm (same store
    again: nothing to build or sync) starts of our bot, and the baseline's start."""
    found: dict[str, list[dict[str, float]]] = {"ours cold": [], "ours warm": [], "baseline": []}
    for run in range(runs):
        db = work / f"start-{run}.sqlite3"
        for label in ("ours cold", "ours warm", "baseline"):
            world = await start_world(CHANNELS, 200)
            bot = _baseline(world, work) if label == "baseline" else _ours(world, work, db)
            try:
                await bot.start()
                found[label].append(await first_answer(world, bot, label != "ours warm"))
            finally:
                await bot.stop()
                await world.fake.stop()
    return {
        label: {key: summarise([m[key] for m in runs_]) for key in runs_[0]}
        for label, runs_ in found.items()
    }


async def memory_under_load(work: Path, cfg: dict[str, int]) -> dict[str, Any]:
    """Both bots up at once (each with its own fake), then batches of commands sent to
    each in turn; RSS after start and after every batch."""
    users = math.ceil(cfg["commands"] / 5) + 100
    actions = list(ACTIONS.values())
    worlds = {
        "ours": await start_world(CHANNELS, users),
        "baseline": await start_world(CHANNELS, users),
    }
    bots = {
        "ours": _ours(worlds["ours"], work, work / "load.sqlite3"),
        "baseline": _baseline(worlds["baseline"], work),
    }
    found: dict[str, Any] = {name: {"batches": []} for name in bots}
    try:
        for name, bot in bots.items():
            await bot.start()
            found[name]["start"] = await first_answer(worlds[name], bot, True)
        await asyncio.sleep(1.0)
        pickers = {name: RotatingUsers(worlds[name].users[:-100]) for name in bots}
        for name, bot in bots.items():
            found[name]["rss_after_start_kib"] = bot.rss()
        sent = 0
        while sent < cfg["commands"]:
            size = min(cfg["batch"], cfg["commands"] - sent)
            for name, bot in bots.items():
                run = await drive(
                    worlds[name], bot, actions, size, cfg["concurrency"], pickers[name]
                )
                latencies = sorted(x * 1000 for x in run.latencies)
                found[name]["batches"].append(
                    {
                        "after": sent + size,
                        "throughput": run.throughput,
                        "latency_ms": summarise(latencies),
                        "errors": run.errors,
                        "timeouts": run.timeouts,
                        "cpu_ms_per_command": run.bot_cpu * 1000 / max(1, len(latencies)),
                        "rss_kib": bot.rss(),
                    }
                )
            sent += size
        await asyncio.sleep(1.0)
        for name, bot in bots.items():
            found[name]["rss_end_kib"] = bot.rss()
            found[name]["users"] = users
    finally:
        for name, bot in bots.items():
            await bot.stop()
            await worlds[name].fake.stop()
    return found


async def run_async(cfg: dict[str, int]) -> Report:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        work = Path(tmp)
        starts = await start_times(work, cfg["starts"])
        memory = await memory_under_load(work, cfg)
    return _report(cfg, starts, memory)


def _report(cfg: dict[str, int], starts: dict[str, Any], memory: dict[str, Any]) -> Report:
    start_rows = [
        [
            label,
            values["first_rest_call_s"]["n"],
            values["first_rest_call_s"]["p50"] * 1000,
            values["identify_s"]["p50"] * 1000,
            values["first_answer_s"]["p50"] * 1000,
            values["first_answer_s"]["max"] * 1000,
        ]
        for label, values in starts.items()
    ]
    batch_rows = []
    for index in range(len(memory["ours"]["batches"])):
        ours, base = memory["ours"]["batches"][index], memory["baseline"]["batches"][index]
        batch_rows.append(
            [
                ours["after"],
                ours["rss_kib"]["VmRSS"] / 1024,
                base["rss_kib"]["VmRSS"] / 1024,
                ours["throughput"],
                base["throughput"],
                ours["latency_ms"]["p50"],
                ours["latency_ms"]["p99"],
                base["latency_ms"]["p99"],
                ours["cpu_ms_per_command"],
                f"{ours['errors'] + ours['timeouts']}/{base['errors'] + base['timeouts']}",
            ]
        )
    summary_rows = []
    for name in ("ours", "baseline"):
        side = memory[name]
        before = side["rss_after_start_kib"]["VmRSS"] / 1024
        after = side["rss_end_kib"]["VmRSS"] / 1024
        summary_rows.append(
            [
                name,
                before,
                after,
                after - before,
                (after - before) * 1024 / cfg["commands"],
                side["rss_end_kib"]["VmHWM"] / 1024,
            ]
        )
    tables = [
        table(
            [
                "start (spawn -> ...)",
                "runs",
                "1st REST call ms",
                "IDENTIFY ms",
                "1st answer ms",
                "1st answer max",
            ],
            start_rows,
            title="Process start to first answered command (median of runs)",
        ),
        table(
            ["bot", "RSS after start MiB", "after load MiB", "growth MiB", "KiB/cmd", "peak MiB"],
            summary_rows,
            title=f"Resident memory (VmRSS) before and after {cfg['commands']:,} commands",
        ),
        table(
            [
                "after cmds",
                "ours RSS",
                "base RSS",
                "ours cmd/s",
                "base cmd/s",
                "ours p50 ms",
                "ours p99",
                "base p99",
                "ours CPU ms/cmd",
                "err o/b",
            ],
            batch_rows,
            title=f"Per batch of {cfg['batch']:,} (RSS in MiB, measured after the batch)",
        ),
    ]
    users = memory["ours"]["users"]
    method = [
        "ours = `python -m bot` as a subprocess (production entry point, nothing patched), "
        "DISCORD_TOKEN + DISCORD_API_BASE pointing at a loopback fake Discord in this "
        "process, a temporary BRIEFING_DB, an empty working directory; the baseline = "
        "`python -m bench.botproc baseline` (plain discord.py bot, constant embed).",
        "Times are the fake's loop clock: spawn (just before exec) -> the fake receives the "
        "first REST call (login) -> IDENTIFY -> the fake receives the first answer to "
        f"`{PROBE}` (sent every 50 ms after IDENTIFY until one is answered).",
        "Cold = new store (migrations, build from data/, slash-command sync); warm = the "
        "same store again (nothing to build, sync skipped because the hash is unchanged). "
        f"{cfg['starts']} run(s) each.",
        f"Load: {cfg['commands']:,} commands in batches of {cfg['batch']:,}, closed loop over "
        f"{cfg['concurrency']} channels, cycling !who kim, /who name:kim, !sanctions, "
        f"!search sanctions; {users:,} members so that no member sends more than 5 "
        "(the real cooldown stays on). Batches alternate between ours and the baseline, "
        "both running at once, each with its own fake.",
        "RSS = VmRSS from /proc/<pid>/status (peak = VmHWM), read after start + 1 s, after "
        "each batch, and 1 s after the last one.",
    ]
    growth = summary_rows[0][4]
    if growth > 5:
        memory_note = (
            f"Ours keeps {growth:.0f} KiB per command answered: memory grows with the "
            "commands of the last 10 minutes (answers whose buttons stay alive 600 s), and "
            "full garbage collections get slower as it grows (see the p99 column)."
        )
    else:
        memory_note = (
            f"Ours keeps {growth:.1f} KiB per command answered: memory is flat under load "
            "(the baseline: "
            f"{summary_rows[1][4]:.1f} KiB)."
        )
    notes = [memory_note]
    return Report(
        "startup",
        "Startup time and memory",
        method,
        tables,
        {"settings": cfg, "starts": starts, "memory": memory},
        notes,
    )


def run(quick: bool = False, profile: str = "auto") -> Report:
    return asyncio.run(run_async(settings(quick)))
