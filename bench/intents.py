"""What slash-only mode saves: the bot's CPU per 10,000 ordinary chat messages, with
message commands (the Message Content intent) and without (BRIEFING_MESSAGE_COMMANDS=off).

Two real bot processes (`python -m bench.botproc ours`, the real BriefingBot with every
cog), one per mode, each on its own loopback fake Discord and its own store, both
running for the whole benchmark. The driver sends them blocks of ordinary chat messages
(no prefix, no mention) in turn, default then slash-only then default..., so both modes
see the same machine load; each block ends with a message that mentions the bot
(`@bot about`, answered in both modes), and the block's CPU is the bot process's user +
system CPU (from /proc/<pid>/stat) from before the first message to that answer. The
fake drops a message's text, embeds and attachments for a session without the intent,
as Discord does, but still delivers the message (the bot asks for GUILD_MESSAGES in
both modes: mentions of the bot must reach it). The idle CPU of each process over the
same time (heartbeats, the digest loop) is measured in a quiet block and reported
beside it: that is also what a bot costs when no messages arrive at all.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import machine
from bench.loopback import BotProcess, World, prune, start_world, wait_connected

MODES = {"default": "on", "slash-only": "off"}
CHAT = (
    "did anyone read the piece on the Vladivostok summit?",
    "I think the sanctions question will come up again next week",
    "lol same, the talks never go anywhere",
    "here is a long message about the peninsula, its history and its future, " * 3,
)


async def _start(mode: str, work: Path) -> tuple[World, BotProcess]:
    world = await start_world(channels=4, users=50)
    bot = BotProcess.module(
        mode,
        ["bench.botproc", "ours"],
        world.fake,
        work / mode,
        BRIEFING_DB=str(work / mode / "store.sqlite3"),
        BRIEFING_MESSAGE_COMMANDS=MODES[mode],
        BENCH_NO_COOLDOWN="1",
    )
    await bot.start()
    await wait_connected(world, bot, 120)
    await asyncio.sleep(1.0)  # let startup work (sync, first digest pass) finish
    return world, bot


async def _block(
    world: World, bot: BotProcess, messages: int, *, closing: str = ""
) -> tuple[float, float]:
    """Send `messages` chat messages, then `closing` (default: a mention asking `about`);
    (bot CPU s, wall s) until its answer."""
    fake = world.fake
    channel = world.channels[0]
    before, began = bot.cpu(), time.perf_counter()
    for number in range(messages):
        user = world.users[number % len(world.users)]
        await fake.send_message(
            world.channels[number % len(world.channels)], user, CHAT[number % len(CHAT)]
        )
        if number % 200 == 199:
            await asyncio.sleep(0)  # let the writer tasks flush
    answered = asyncio.get_running_loop().create_future()
    world.log.pending[channel] = answered  # the bench log hands the next reply here
    await fake.send_message(channel, world.askers(0, 0), closing or f"<@{fake.bot_user_id}> about")
    _, ok = await asyncio.wait_for(answered, 120)
    if not ok:
        raise RuntimeError(f"{bot.name}: the mention was not answered with an embed")
    if world.log.unexpected:
        raise RuntimeError(f"{bot.name} answered {world.log.unexpected} chat message(s)")
    spent, wall = bot.cpu() - before, time.perf_counter() - began
    prune(fake)
    return spent, wall


async def _idle(bot: BotProcess, seconds: float) -> float:
    before = bot.cpu()
    await asyncio.sleep(seconds)
    return bot.cpu() - before


async def run_async(total: int, blocks: int) -> dict[str, Any]:
    per_block = total // blocks
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        started = {mode: await _start(mode, work) for mode in MODES}
        try:
            cpu: dict[str, list[float]] = {mode: [] for mode in MODES}
            wall: dict[str, list[float]] = {mode: [] for mode in MODES}
            for _ in range(blocks):
                for mode, (world, bot) in started.items():  # interleaved
                    spent, took = await _block(world, bot, per_block)
                    cpu[mode].append(spent)
                    wall[mode].append(took)
            mean_wall = statistics.mean(w for walls in wall.values() for w in walls)
            idle = {mode: await _idle(bot, mean_wall) for mode, (_, bot) in started.items()}
        finally:
            for world, bot in started.values():
                await bot.stop()
                await world.fake.stop()
    scale = 10_000 / per_block
    return {
        "messages_per_block": per_block,
        "blocks_per_mode": blocks,
        "cpu_s_per_10k": {m: [round(c * scale, 3) for c in cpu[m]] for m in MODES},
        "wall_s_per_block": {m: [round(w, 3) for w in wall[m]] for m in MODES},
        "idle_cpu_s_per_block_time": {m: round(idle[m], 3) for m in MODES},
        "idle_cpu_s_per_10k_time": {m: round(idle[m] * scale, 3) for m in MODES},
    }


def run(quick: bool = False) -> dict[str, Any]:
    """10,000 messages per mode in 5 blocks (quick: 2,000 in 2)."""
    total, blocks = (2_000, 2) if quick else (10_000, 5)
    return {"machine": machine(), **asyncio.run(run_async(total, blocks))}


def render(data: dict[str, Any]) -> str:
    per10k = data["cpu_s_per_10k"]
    lines = [
        "== CPU per 10,000 ordinary chat messages: message commands on vs slash-only ==",
        f"{data['blocks_per_mode']} interleaved blocks of {data['messages_per_block']} "
        "messages per mode, scaled to 10,000; bot process user+system CPU",
        f"{'mode':<12} {'median s':>9} {'min s':>7} {'max s':>7} {'idle s*':>8}  blocks",
    ]
    for mode, values in per10k.items():
        lines.append(
            f"{mode:<12} {statistics.median(values):>9.2f} {min(values):>7.2f} "
            f"{max(values):>7.2f} {data['idle_cpu_s_per_10k_time'][mode]:>8.2f}  {values}"
        )
    default, slash = (statistics.median(per10k[m]) for m in MODES)
    if default:
        lines.append(
            f"slash-only / default = {slash / default:.2f} "
            f"(saves {default - slash:.2f} CPU s per 10,000 messages)"
        )
    lines.append(
        "* idle: the same process's CPU over the time 10,000 messages took, with none sent"
    )
    lines += ["", "Method:", *(" " + line for line in (__doc__ or "").split("\n\n")[1:])]
    return "\n".join(lines)


if __name__ == "__main__":
    print(render(run(quick=False)))
