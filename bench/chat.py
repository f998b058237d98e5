"""CPU per ignored chat message: our bot against the bare discord.py bot.

`python -m bench chat`: the bot's CPU per ordinary chat message it ignores, against
the bare discord.py baseline bot receiving the same messages.

With the Message Content intent the bot receives every message in every server, and
almost none are commands, so what an ignored message costs is what the bot costs most of
the time. Nothing is replied to such a message, so the figure is the bot process's own
CPU (user + system, from /proc/<pid>/stat), not a throughput.

Two bot processes, each on its own loopback fake Discord (same guild, channels and
members): ours (`python -m bench.botproc ours`, the real BriefingBot with every cog and
the real store, message commands on) and the baseline (`python -m bench.botproc
baseline`, a plain commands.Bot with the same intents and prefix options). The driver
sends them blocks of ordinary chat messages (no prefix, no mention, from members in
turn, over several channels) in turn, ours then the baseline then the baseline then
ours..., so both see the same machine load. Each block ends with one `!sanctions` (both
bots answer it with an embed); the block's CPU runs from before its first message to
that answer, so every chat message before it has been read and dropped. CPU per message
= block CPU / messages in the block; the ratio is taken per interleaved pair of blocks.
The idle CPU of each process over the same time, with nothing sent (heartbeats, our
digest loop), is measured after the blocks (over at least 5 s) and reported beside it.
With BENCH_BEFORE=<git revision>, a third bot, "ours@before", runs our bot/, cogs/ and
data/ as they were at that revision in the same interleaved blocks.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench import ROOT, machine
from bench.commands import before_tree
from bench.intents import _block, _idle
from bench.loopback import BotProcess, World, start_world, wait_connected

TARGET = 1.05  # ours / the baseline's CPU per ignored message (issue 11)
IDLE_SECONDS = 5.0
CLOSING = "!sanctions"


def bots() -> tuple[str, ...]:
    return (
        ("ours", "baseline", "ours@before")
        if os.environ.get("BENCH_BEFORE")
        else ("ours", "baseline")
    )


async def _start(name: str, work: Path) -> tuple[World, BotProcess]:
    world = await start_world(channels=8, users=2_000)
    which = "baseline" if name == "baseline" else "ours"
    tag = name.replace("@", "-")
    env = {"BRIEFING_DB": str(work / tag / "store.sqlite3")} if which == "ours" else {}
    if name == "ours@before":
        env["PYTHONPATH"] = os.pathsep.join((str(await before_tree(work)), str(ROOT)))
    bot = BotProcess.module(tag, ["bench.botproc", which], world.fake, work / tag, **env)
    await bot.start()
    await wait_connected(world, bot, 120)
    await asyncio.sleep(1.0)  # let startup work (sync, first digest pass) finish
    return world, bot


async def run_async(total: int, blocks: int) -> dict[str, Any]:
    per_block = total // blocks
    with tempfile.TemporaryDirectory(prefix="bench-chat-") as tmp:
        work = Path(tmp)
        names = bots()
        started = {name: await _start(name, work) for name in names}
        try:
            for world, bot in started.values():  # warm-up: imports, caches, first answer
                await _block(world, bot, 500, closing=CLOSING)
            cpu: dict[str, list[float]] = {name: [] for name in names}
            wall: dict[str, list[float]] = {name: [] for name in names}
            for number in range(blocks):
                order = names if number % 2 == 0 else tuple(reversed(names))
                for name in order:
                    world, bot = started[name]
                    spent, took = await _block(world, bot, per_block, closing=CLOSING)
                    cpu[name].append(spent)
                    wall[name].append(took)
            mean_wall = statistics.mean(w for walls in wall.values() for w in walls)
            span = max(mean_wall, IDLE_SECONDS)
            idle = {
                name: await _idle(bot, span) * mean_wall / span
                for name, (_, bot) in started.items()
            }
        finally:
            for world, bot in started.values():
                await bot.stop()
                await world.fake.stop()
    us = {name: [c * 1e6 / per_block for c in cpu[name]] for name in names}
    ratios = [o / b for o, b in zip(us["ours"], us["baseline"], strict=True) if b]
    return {
        "messages_per_block": per_block,
        "blocks_per_bot": blocks,
        "messages_per_bot": per_block * blocks,
        "cpu_us_per_message": {name: [round(v, 2) for v in us[name]] for name in names},
        "ratio_per_block_pair": [round(r, 3) for r in ratios],
        "ratio_pooled": sum(cpu["ours"]) / sum(cpu["baseline"]) if sum(cpu["baseline"]) else None,
        "wall_s_per_block": {name: [round(w, 3) for w in wall[name]] for name in names},
        "idle_cpu_us_per_message_time": {
            name: round(idle[name] * 1e6 / per_block, 2) for name in names
        },
        "target": TARGET,
        "ratio_ours_over_before_pooled": (
            sum(cpu["ours"]) / sum(cpu["ours@before"])
            if sum(cpu.get("ours@before", [])) > 0
            else None
        ),
    }


def run(quick: bool = False) -> dict[str, Any]:
    """100,000 messages per bot in 10 interleaved blocks (quick: 20,000 in 4)."""
    total, blocks = (20_000, 4) if quick else (100_000, 10)
    return {"machine": machine(), **asyncio.run(run_async(total, blocks))}


def render(data: dict[str, Any]) -> str:
    us = data["cpu_us_per_message"]
    ratios = data["ratio_per_block_pair"]
    lines = [
        f"{data['blocks_per_bot']} interleaved blocks of {data['messages_per_block']:,} "
        f"messages per bot ({data['messages_per_bot']:,} each); bot process user+system CPU",
        f"{'bot':<11} {'median us':>10} {'min':>7} {'max':>7} {'idle us*':>9}  per block",
    ]
    for name, values in us.items():
        lines.append(
            f"{name:<11} {statistics.median(values):>10.1f} {min(values):>7.1f} "
            f"{max(values):>7.1f} {data['idle_cpu_us_per_message_time'][name]:>9.2f}  {values}"
        )
    pooled = data["ratio_pooled"]
    met = "yes" if pooled is not None and pooled <= data["target"] else "NO"
    lines += [
        f"ours / baseline CPU per message: {pooled:.3f} pooled (target <= {data['target']:.2f}:"
        f" {met}); per block pair median {statistics.median(ratios):.3f}, "
        f"{min(ratios):.3f}-{max(ratios):.3f}",
        *(
            [f"ours / ours@before ({os.environ.get('BENCH_BEFORE')}): {before:.3f} pooled"]
            if (before := data.get("ratio_ours_over_before_pooled"))
            else []
        ),
        "* idle: the same process's CPU over the time one block took, with nothing sent, "
        "per message of a block (already inside the figures above)",
        "",
        "Method:",
        *(" " + " ".join(part.split()) for part in (__doc__ or "").split("\n\n")[1:]),
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run(quick=False)))
