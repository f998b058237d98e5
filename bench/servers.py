"""`python -m bench servers`: resident memory per server, and READY to the first
answer, at 1,000 and 10,000 servers, our bot against a bare discord.py bot.

Each bot runs in its own process (ours: `python -m bot`, production entry point, on a
store built beforehand; bare: `python -m bench.servers bare`, an AutoShardedBot with the
same intents and options answering a constant embed) against a loopback fake Discord
with N servers. Every server is shaped like a real one (seeded): 20-50 channels
(categories, text, voice), 10-30 roles, permission overwrites on most channels, and
five members in its GUILD_CREATE (the owner, the bot, three others). Servers are
spread over shards as Discord spreads them ((id >> 22) % shards), at most
SERVERS_PER_SHARD a shard (Discord requires sharding from 2,500), the shard count given
by /gateway/bot; both bots ask it. One more server, on the last shard, has the channel
the probe `!who kim` is sent to.

The fake keeps the N servers as bare records and makes each GUILD_CREATE when a shard
IDENTIFYs (its own payload code, `FakeState.guild_create_payload`): building 10,000
servers' worth of channel objects up front would cost the driver more than the bots.
"""

from __future__ import annotations

import asyncio
import math
import random
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from bench import Report, bench_env, python, summarise, table
from bench.loopback import BotProcess, ReplyLog
from tests.fakediscord import FakeDiscord
from tests.fakediscord import payloads as p
from tests.fakediscord.state import GuildData

SERVERS_PER_SHARD = 2_000
PROBE = "!who kim"
PROBE_MEMBERS = 200
SETTLE = 4.0  # seconds after the first answer before memory is read (on_ready is at ~2 s)
EPOCH_2020_MS = 1_577_836_800_000 - p.DISCORD_EPOCH_MS
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11


def settings(quick: bool) -> dict[str, Any]:
    if quick:
        return {"sizes": [10, 1_000, 10_000], "runs": 1}
    return {"sizes": [10, 1_000, 10_000], "runs": 2}


class ServerWorld:
    """A fake Discord with `count` realistic servers, made on demand, and one probe
    server (a real one in the fake's state) on the last shard."""

    def __init__(self, count: int, seed: int = 1) -> None:
        self.count = count
        self.shards = max(1, math.ceil(count / SERVERS_PER_SHARD))
        self.fake = FakeDiscord(interaction_timeout=None, resume_buffer=64, shards=self.shards)
        self.log = ReplyLog()
        self.fake.log = self.log
        self.seed = seed
        self.made: dict[int, int] = {}  # synthetic server -> its number
        self.users: list[int] = []
        self.channel = 0
        self.ready_times: list[float] = []

    async def start(self) -> ServerWorld:
        fake = self.fake
        await fake.start()
        state = fake.state
        others = [state.add_user(f"person{i}") for i in range(60)]
        for number in range(self.count):
            guild_id = ((EPOCH_2020_MS + number) << 22) | 1
            self.made[guild_id] = number
            state.guilds[guild_id] = GuildData(
                guild_id, f"Server {number}", state.owner_id, p.iso()
            )
        self.others = others
        probe = fake.guild_id_on_shard(self.shards - 1, self.shards)
        fake.add_guild(name="Probe", guild_id=probe)
        self.channel = fake.add_channel(probe, name="general")
        self.users = [fake.add_member(probe, f"asker{i}") for i in range(PROBE_MEMBERS)]
        original = state.guild_create_payload

        def guild_create(guild_id: int, *, unavailable: bool | None = None) -> dict[str, Any]:
            number = self.made.get(guild_id)
            if number is None:
                return original(guild_id, unavailable=unavailable)
            bare = state.guilds[guild_id]
            state.guilds[guild_id] = self._server(guild_id, number)
            try:
                return original(guild_id, unavailable=unavailable)
            finally:
                state.guilds[guild_id] = bare

        state.guild_create_payload = guild_create  # type: ignore[method-assign]
        return self

    def _server(self, guild_id: int, number: int) -> GuildData:
        """Server `number`: the same every time it is made (seeded by its number)."""
        rng = random.Random(self.seed * 1_000_003 + number)
        state = self.fake.state
        guild = GuildData(guild_id, f"Server {number}", state.owner_id, "2020-01-01T00:00:00+00:00")
        ids = iter(range(guild_id + 1, guild_id + 1000))
        guild.roles[guild_id] = p.role_payload(
            guild_id, "@everyone", permissions=p.DEFAULT_EVERYONE_PERMISSIONS, position=0
        )
        roles = []
        for position in range(1, rng.randint(10, 30) + 1):
            role = next(ids)
            permissions = rng.choice((0, 0, 1 << 3, 1 << 5, 1 << 13, VIEW_CHANNEL | SEND_MESSAGES))
            guild.roles[role] = p.role_payload(
                role,
                f"role-{position}",
                permissions=permissions,
                position=position,
                color=rng.randrange(1 << 24),
                hoist=rng.random() < 0.3,
                mentionable=rng.random() < 0.3,
            )
            roles.append(role)
        bot_role = next(ids)
        bot_name = state.users[state.bot_user_id]["username"]
        guild.roles[bot_role] = p.role_payload(
            bot_role,
            bot_name,
            permissions=p.DEFAULT_EVERYONE_PERMISSIONS,
            position=len(roles) + 1,
            managed=True,
            tags={"bot_id": str(state.bot_user_id)},
        )
        members = [state.owner_id, state.bot_user_id, *rng.sample(self.others, 3)]
        for user in members:
            held = [bot_role] if user == state.bot_user_id else rng.sample(roles, 2)
            guild.members[user] = p.member_fields(held, joined_at="2020-01-01T00:00:00+00:00")
        category = None
        for position in range(rng.randint(20, 50)):
            channel = next(ids)
            kind = rng.choices((p.CHANNEL_CATEGORY, p.CHANNEL_TEXT, p.CHANNEL_VOICE), (1, 7, 2))[0]
            payload = p.channel_payload(
                channel,
                guild_id,
                f"channel-{position}",
                type_=kind,
                position=position,
                topic=f"What channel {position} is for" if kind == p.CHANNEL_TEXT else None,
                parent_id=category if kind != p.CHANNEL_CATEGORY else None,
            )
            payload["permission_overwrites"] = _overwrites(rng, guild_id, roles, members)
            guild.channels[channel] = payload
            if kind == p.CHANNEL_CATEGORY:
                category = channel
        return guild

    async def watch_ready(self) -> None:
        """Stamp each IDENTIFY (the fake answers it with READY at once)."""
        loop = asyncio.get_running_loop()
        while True:
            while len(self.ready_times) < len(self.fake.gateway.identifies):
                self.ready_times.append(loop.time())
            await asyncio.sleep(0.002)


def _overwrites(
    rng: random.Random, guild_id: int, roles: list[int], members: list[int]
) -> list[dict[str, Any]]:
    found = []
    if rng.random() < 0.5:
        found.append({"id": str(guild_id), "type": 0, "allow": "0", "deny": str(SEND_MESSAGES)})
    for role in rng.sample(roles, rng.randint(0, 3)):
        allow = rng.choice((VIEW_CHANNEL, SEND_MESSAGES, VIEW_CHANNEL | SEND_MESSAGES))
        found.append({"id": str(role), "type": 0, "allow": str(allow), "deny": "0"})
    if rng.random() < 0.1:
        found.append(
            {"id": str(rng.choice(members)), "type": 1, "allow": "0", "deny": str(VIEW_CHANNEL)}
        )
    return found


async def first_answer(world: ServerWorld, bot: BotProcess, limit: float) -> dict[str, float]:
    """Once every shard has IDENTIFYed, `!who kim` in the probe server every 100 ms
    (from another member each time) until one is answered."""
    fake, log = world.fake, world.log
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while fake.gateway.identify_count < world.shards:
        if not bot.alive():
            raise RuntimeError(f"{bot.name} exited early:\n{bot.stderr_tail()}")
        if loop.time() > deadline:
            raise TimeoutError(f"{bot.name}: shards not connected\n{bot.stderr_tail()}")
        await asyncio.sleep(0.01)
    probe = 0
    answered: float | None = None
    while answered is None:
        if loop.time() > deadline:
            raise TimeoutError(f"{bot.name}: no answer\n{bot.stderr_tail()}")
        future: asyncio.Future[tuple[float, bool]] = loop.create_future()
        log.pending[world.channel] = future
        await fake.send_message(world.channel, world.users[probe % len(world.users)], PROBE)
        probe += 1
        try:
            answered = (await asyncio.wait_for(asyncio.shield(future), 0.1))[0]
        except TimeoutError:
            continue
    log.pending.pop(world.channel, None)
    first_ready, last_ready = world.ready_times[0], world.ready_times[-1]
    return {
        "first_ready_s": first_ready - bot.started_at,
        "ready_to_answer_s": answered - first_ready,
        "last_ready_to_answer_s": answered - last_ready,
        "probes": probe,
    }


def _rest_calls(fake: FakeDiscord) -> dict[str, int]:
    """REST calls made by the bot so far, by method and route shape."""
    shapes: Counter[str] = Counter()
    for call in fake.calls:
        shape = "/".join("{id}" if part.isdigit() else part for part in call.path.split("/"))
        shapes[f"{call.method} {shape}"] += 1
    return dict(shapes.most_common())


async def one_start(name: str, count: int, work: Path, db: Path) -> dict[str, Any]:
    world = await ServerWorld(count).start()
    watcher = asyncio.create_task(world.watch_ready())
    if name == "ours":
        bot = BotProcess.module("ours", ["bot"], world.fake, work, BRIEFING_DB=str(db))
    else:
        bot = BotProcess.module("bare", ["bench.servers", "bare"], world.fake, work)
    try:
        await bot.start()
        found = await first_answer(world, bot, 120 + count / 50)
        await asyncio.sleep(SETTLE)
        found["rss_kib"] = bot.rss()
        found["cpu_s"] = bot.cpu()
        found["rest_calls"] = _rest_calls(world.fake)
        found["shards"] = world.shards
        return found
    finally:
        watcher.cancel()
        await bot.stop()
        await world.fake.stop()


def prebuild(db: Path) -> None:
    """Our store, built once (`python -m bot build`), so no start builds it."""
    env = bench_env({"BRIEFING_DB": str(db)})
    subprocess.run([python(), "-m", "bot", "build"], env=env, cwd=db.parent, check=True,
                   capture_output=True)  # fmt: skip


async def run_async(cfg: dict[str, Any]) -> Report:
    found: dict[str, dict[int, list[dict[str, Any]]]] = {"ours": {}, "bare": {}}
    with tempfile.TemporaryDirectory(prefix="bench-servers-") as tmp:
        work = Path(tmp)
        db = work / "briefing.sqlite3"
        await asyncio.to_thread(prebuild, db)
        for run in range(cfg["runs"]):
            for count in cfg["sizes"]:
                order = ("bare", "ours") if (run + count) % 2 else ("ours", "bare")
                for name in order:  # interleaved, alternating which goes first
                    found[name].setdefault(count, []).append(await one_start(name, count, work, db))
    return _report(cfg, found)


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return summarise([run[key] for run in runs])["p50"]


def _rss(runs: list[dict[str, Any]]) -> float:
    return summarise([run["rss_kib"]["VmRSS"] for run in runs])["p50"]


def _report(cfg: dict[str, Any], found: dict[str, dict[int, list[dict[str, Any]]]]) -> Report:
    sizes = cfg["sizes"]
    smallest = sizes[0]
    memory_rows, time_rows = [], []
    per_server: dict[str, dict[int, float]] = {"ours": {}, "bare": {}}
    for count in sizes:
        for name in ("ours", "bare"):
            base = _rss(found[name][smallest])
            if count != smallest:
                per_server[name][count] = (_rss(found[name][count]) - base) / (count - smallest)
        row: list[object] = [f"{count:,}", found["ours"][count][0]["shards"]]
        row += [_rss(found["ours"][count]) / 1024, _rss(found["bare"][count]) / 1024]
        if count != smallest:
            ours, bare = per_server["ours"][count], per_server["bare"][count]
            row += [ours, bare, ours / bare if bare else float("nan")]
        else:
            row += ["-", "-", "-"]
        memory_rows.append(row)
        time_rows.append(
            [
                f"{count:,}",
                _median(found["ours"][count], "ready_to_answer_s"),
                _median(found["bare"][count], "ready_to_answer_s"),
                _median(found["ours"][count], "ready_to_answer_s")
                / _median(found["bare"][count], "ready_to_answer_s"),
                _median(found["ours"][count], "last_ready_to_answer_s"),
                _median(found["bare"][count], "last_ready_to_answer_s"),
                _median(found["ours"][count], "cpu_s"),
                _median(found["bare"][count], "cpu_s"),
            ]
        )
    largest = sizes[-1]
    rest = {name: found[name][largest][0]["rest_calls"] for name in ("ours", "bare")}
    rest_rows = [
        [route, rest["ours"].get(route, 0), rest["bare"].get(route, 0)]
        for route in sorted(set(rest["ours"]) | set(rest["bare"]))
    ]
    tables = [
        table(
            [
                "servers",
                "shards",
                "ours RSS MiB",
                "bare RSS MiB",
                "ours KiB/server",
                "bare KiB/server",
                "ratio",
            ],
            memory_rows,
            title=(
                f"Resident memory {SETTLE:.0f} s after the first answer (VmRSS; KiB per "
                f"server = growth over the {smallest}-server run)"
            ),
        ),
        table(
            [
                "servers",
                "ours READY->answer s",
                "bare",
                "ratio",
                "ours last shard's READY->answer",
                "bare",
                "ours CPU s (whole start)",
                "bare",
            ],
            time_rows,
            title="From the first shard's READY to the first answer in a server on the last shard",
        ),
        table(
            ["REST calls at start, by route", "ours", "bare"],
            rest_rows,
            title=f"What each bot asked the fake over REST, {largest:,} servers",
        ),
    ]
    method = [
        "ours = `python -m bot` (BRIEFING_DB built beforehand with `python -m bot build`, "
        "so no start builds it); bare = `python -m bench.servers bare`: a discord.py "
        "AutoShardedBot with our intents (guilds, guild messages, message content), "
        "AllowedMentions.none(), hybrid commands of the same names answering a constant "
        "embed (bench/botproc.py's BaselineCog), its commands synced at start.",
        "Servers: 20-50 channels (1/10 categories, 7/10 text, 2/10 voice), 10-30 roles "
        "plus the bot's managed role, overwrites on most channels (@everyone, 0-3 roles, "
        "sometimes a member), 5 members in GUILD_CREATE; seeded, the same for both bots. "
        f"Shards: ceil(N / {SERVERS_PER_SHARD:,}), recommended by /gateway/bot.",
        "READY times are stamped when the fake receives each IDENTIFY (it answers READY "
        "and then the shard's GUILD_CREATEs at once); discord.py spaces its shards' "
        "IDENTIFYs 5 s apart, the same for both bots. The probe goes once every shard has "
        "IDENTIFYed, every 100 ms; the answer's arrival at the fake is the milestone.",
        f"Memory: VmRSS {SETTLE:.0f} s after the first answer; per server = (RSS at N - "
        f"RSS at {smallest}) / (N - {smallest}), medians of {cfg['runs']} run(s). Runs "
        "interleave ours and bare, alternating which starts first.",
    ]
    notes = []
    for count, ratio in (
        (count, per_server["ours"][count] / per_server["bare"][count])
        for count in sizes[1:]
        if per_server["bare"][count]
    ):
        notes.append(
            f"{count:,} servers: ours keeps {ratio:.2f}x the bare bot's memory per server."
        )
    return Report(
        "servers",
        "Servers: memory per server and READY to first answer",
        method,
        tables,
        {
            "settings": cfg,
            "runs": {k: {str(n): v for n, v in d.items()} for k, d in found.items()},
            "per_server_kib": per_server,
        },
        notes,
    )


def run(quick: bool = False, profile: str = "auto") -> Report:
    return asyncio.run(run_async(settings(quick)))


# --- the bare bot, in its own process ------------------------------------------------------


def bare_main() -> int:
    from discord.ext import commands

    from bench.botproc import BaselineBot
    from bot import logs
    from bot.config import Config

    class BareBot(BaselineBot, commands.AutoShardedBot):
        """bench.botproc's baseline (same options, constant answers), sharded."""

        discovers_gateway = False

    config = Config.from_env()
    logs.setup(config.log_level, [config.token or ""])
    client = BareBot(config.api_base)

    async def serve() -> None:
        import signal

        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stopping.set)
        async with client:
            runner = asyncio.create_task(client.start(config.token or ""))
            waiter = asyncio.create_task(stopping.wait())
            await asyncio.wait([runner, waiter], return_when=asyncio.FIRST_COMPLETED)
            await client.close()
            runner.cancel()

    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    if sys.argv[1:] != ["bare"]:
        print("usage: python -m bench.servers bare", file=sys.stderr)
        sys.exit(2)
    sys.exit(bare_main())
