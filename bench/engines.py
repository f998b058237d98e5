"""`python -m bench engines`: `!who kim` and `/who name:kim` on SQLite versus PostgreSQL,
and two bot processes versus one, in the same run.

Part 1, the engines: one bot process on a SQLite file and one on a PostgreSQL database
(a throwaway cluster started for the run, as the tests start one), each with its answer
cache on (what users get: a repeated question is answered from memory) and off (the
`nocache` what-if of bench/whatif.py: every answer is built from the store, so the
engine is on every command's path). All four bots are up at once, each with its own
fake Discord; rounds alternate between them (ABCD, DCBA...) so drift on the shared box
hits all alike. Ratios are PostgreSQL over SQLite.

Part 2, processes: one process running all four shards against two processes running
two each (BRIEFING_SHARD_COUNT=4, BRIEFING_SHARD_IDS=0-3, or 0-1 and 2-3), the same
load spread over four servers, one on each shard, on the same store; both set-ups up at
once, rounds alternating. On PostgreSQL (what several processes are for) and on SQLite
(several processes on one file on one machine).

Part 3, moving a store: `python -m bot copy-store` of a synthetic store, SQLite to
SQLite, SQLite to PostgreSQL and back: the copy's time, the whole command's (with its
proof) and its peak memory.

CPU per command is the bot processes' utime+stime (/proc) and, on PostgreSQL, the
database server's processes too (the postmaster's children), which SQLite spends inside
the bot's own process.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import Report, cpu_seconds, summarise, table
from bench.loopback import (
    ACTIONS,
    Action,
    BotProcess,
    ReplyLog,
    Run,
    World,
    drive,
)
from bot.build import build
from bot.store import Store
from tests.fakediscord import FakeDiscord

SHARDS = 4
MEMBERS = 800  # per server: enough that no member passes the per-user limit (see Rotation)
COMMANDS = ("!who kim", "/who name:kim")


def settings(quick: bool) -> dict[str, Any]:
    """N for each part; BENCH_COPY_FACTS sets the copied store's size (e.g. 100000)."""
    if quick:
        found = {"n": 120, "rounds": 2, "warmup": 30, "concurrency": (1, 16), "copy_facts": 5_000}
    else:
        found = {"n": 600, "rounds": 3, "warmup": 100, "concurrency": (1, 32), "copy_facts": 20_000}
    found["copy_facts"] = int(os.environ.get("BENCH_COPY_FACTS", found["copy_facts"]))
    return found


# --- the databases -----------------------------------------------------------------------


class Databases:
    """Where each bot's store lives: SQLite files in the work folder; PostgreSQL
    databases in a throwaway cluster (tests/pgcluster.py), when PostgreSQL is installed."""

    def __init__(self, work: Path) -> None:
        self.work = work
        self.cluster: Any = None
        self.why_no_postgres = ""

    def start(self) -> None:
        try:
            from tests.pgcluster import Cluster
        except ImportError:
            self.why_no_postgres = "this checkout has no PostgreSQL engine (tests/pgcluster.py)"
            return
        try:
            self.cluster = Cluster.start()
        except Exception as error:  # report SQLite's figures anyway
            self.why_no_postgres = f"the PostgreSQL cluster did not start: {error}"
            return
        if self.cluster is None:
            self.why_no_postgres = "PostgreSQL is not installed (initdb not found)"

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()

    @property
    def engines(self) -> tuple[str, ...]:
        return ("sqlite", "postgresql") if self.cluster is not None else ("sqlite",)

    async def new(self, engine: str, name: str) -> str:
        """A new, built store; its BRIEFING_DB."""
        if engine == "sqlite":
            where = str(self.work / f"{name}.sqlite3")
        else:
            from tests.pgcluster import create_database

            where = self.cluster.url(await asyncio.to_thread(create_database, self.cluster))
        store = await Store.open(where)
        try:
            await build(store)
        finally:
            await store.close()
        return where

    def server_cpu(self) -> float:
        """CPU seconds of the PostgreSQL server's processes so far (0 without one)."""
        if self.cluster is None:
            return 0.0
        try:
            pid = int((self.cluster.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError):
            return 0.0
        return cpu_seconds(pid) + sum(cpu_seconds(child) for child in _children(pid))


def _children(parent: int) -> list[int]:
    found = []
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, ValueError, IndexError):
            raw = Path(entry.path, "stat").read_text()
            if int(raw[raw.rindex(")") + 2 :].split()[1]) == parent:
                found.append(int(entry.name))
    return found


# --- bots on sharded worlds --------------------------------------------------------------


class Group:
    """The bot processes of one set-up, seen as one bot by `drive` (name, summed CPU)."""

    def __init__(self, name: str, bots: list[BotProcess]) -> None:
        self.name = name
        self.bots = bots

    def cpu(self) -> float:
        return sum(bot.cpu() for bot in self.bots)

    def alive(self) -> bool:
        return all(bot.alive() for bot in self.bots)

    def stderr_tail(self) -> str:
        return "\n\n".join(f"[{b.name}]\n{b.stderr_tail()}" for b in self.bots)


@dataclass
class ShardedWorld(World):
    """A world whose channels are spread over one server per shard, with each server's
    members apart (a lane speaks as its own server's members)."""

    members: list[list[int]] = field(default_factory=list)


async def sharded_world(channels: int, members: int = MEMBERS) -> ShardedWorld:
    """A started fake with one server on each of SHARDS shards, `channels` channels in
    all spread over them (lane i in server i % SHARDS), `members` members in each."""
    fake = FakeDiscord(interaction_timeout=None, resume_buffer=256)
    fake.log = log = ReplyLog()
    await fake.start()
    guilds = [
        fake.add_guild(f"Bench {shard}", guild_id=fake.guild_id_on_shard(shard, SHARDS))
        for shard in range(SHARDS)
    ]
    lanes = [
        fake.add_channel(guilds[lane % SHARDS], name=f"bench-{lane}") for lane in range(channels)
    ]
    people = [
        [fake.add_member(guild, f"m{g}-{n}") for n in range(members)]
        for g, guild in enumerate(guilds)
    ]
    return ShardedWorld(fake, log, guilds[0], lanes, [p[0] for p in people], people)


class Rotation:
    """Each lane's next command from the next member of its server, in turn, across runs:
    the bot's per-user limit (a few commands per user in ten seconds) stays out of the way
    as long as a server's members outnumber what it is sent in ten seconds / that limit."""

    def __init__(self, world: ShardedWorld) -> None:
        self.members = world.members
        self.sent = [0] * len(world.members)

    def __call__(self, lane: int, _count: int) -> int:
        guild = lane % len(self.members)
        self.sent[guild] += 1
        return self.members[guild][self.sent[guild] % len(self.members[guild])]


@dataclass
class Setup:
    """One bot set-up under test: its world, its processes, its store."""

    name: str
    world: ShardedWorld
    group: Group
    db: str
    shards: int = SHARDS
    users: Rotation | None = None
    runs: dict[str, list[Run]] = field(default_factory=dict)
    server_cpu: dict[str, float] = field(default_factory=dict)


async def start_setup(
    name: str, db: str, splits: list[str], work: Path, channels: int, extra: dict[str, str]
) -> Setup:
    """Processes running the shard ranges in `splits` (one process each), on one fake."""
    world = await sharded_world(channels)
    bots = []
    for index, shard_ids in enumerate(splits):
        env = {
            "BRIEFING_DB": db,
            "BENCH_NO_COOLDOWN": "1",
            "BRIEFING_SHARD_COUNT": str(SHARDS),
            "BRIEFING_SHARD_IDS": shard_ids,
            **extra,
        }
        bot = BotProcess.module(
            f"{name}-{index}", ["bench.botproc", "ours"], world.fake, work / name, **env
        )
        bots.append(bot)
    setup = Setup(name, world, Group(name, bots), db, users=Rotation(world))
    try:
        for bot in bots:
            await bot.start()
        await _connected(setup)
    except BaseException:
        await stop_setup(setup)
        raise
    return setup


async def _connected(setup: Setup, limit: float = 90.0) -> None:
    """Every shard identified and the slash commands synced; then one answer from each
    server, so no process is still starting when the measuring begins."""
    fake, loop = setup.world.fake, asyncio.get_running_loop()
    deadline = loop.time() + limit
    while fake.gateway.identify_count < setup.shards or not fake.registered_commands.get(None):
        if not setup.group.alive():
            raise RuntimeError(f"{setup.name} exited early:\n{setup.group.stderr_tail()}")
        if loop.time() > deadline:
            raise TimeoutError(
                f"{setup.name} did not connect ({fake.gateway.identify_count} IDENTIFYs, "
                f"commands synced: {bool(fake.registered_commands.get(None))}):\n"
                f"{setup.group.stderr_tail()}"
            )
        await asyncio.sleep(0.02)
    every_server = World(
        fake,
        setup.world.log,
        setup.world.guild,
        setup.world.channels[:SHARDS],
        setup.world.users[:SHARDS],
    )
    while True:
        run = await drive(
            every_server,
            _as_bot(setup.group),
            [ACTIONS["!who kim"]],
            SHARDS,
            SHARDS,
            _users(setup),
        )
        if not (run.errors or run.timeouts):
            return
        if loop.time() > deadline:
            raise TimeoutError(f"{setup.name} does not answer:\n{setup.group.stderr_tail()}")


def _users(setup: Setup) -> Rotation:
    assert setup.users is not None
    return setup.users


def _as_bot(group: Group) -> BotProcess:
    """`drive` reads only `name` and `cpu()` of its bot."""
    return group  # type: ignore[return-value]


async def stop_setup(setup: Setup) -> None:
    for bot in setup.group.bots:
        with contextlib.suppress(ProcessLookupError):
            await bot.stop()
    await setup.world.fake.stop()


@contextlib.asynccontextmanager
async def setups(*pending: Callable[[], Any]) -> AsyncIterator[list[Setup]]:
    started: list[Setup] = []
    try:
        for start in pending:
            started.append(await start())
        await asyncio.sleep(0.5)
        yield started
    finally:
        for setup in started:
            await stop_setup(setup)


async def rounds(
    all_setups: list[Setup], databases: Databases, action: Action, concurrency: int, cfg: dict
) -> None:
    """Warm-up, then `rounds` rounds of N commands on each set-up, alternating order."""
    key = f"{action.label} @{concurrency}"
    for setup in all_setups:
        world = setup.world
        await drive(
            world, _as_bot(setup.group), [action], cfg["warmup"], concurrency, _users(setup)
        )
        setup.runs[key], setup.server_cpu[key] = [], 0.0
    for round_ in range(cfg["rounds"]):
        order = all_setups if round_ % 2 == 0 else list(reversed(all_setups))
        for setup in order:
            world = setup.world
            before = databases.server_cpu() if setup.db.startswith("postgres") else 0.0
            run = await drive(
                world, _as_bot(setup.group), [action], cfg["n"], concurrency, _users(setup)
            )
            after = databases.server_cpu() if setup.db.startswith("postgres") else 0.0
            setup.runs[key].append(run)
            setup.server_cpu[key] += after - before


def pooled(setup: Setup, key: str) -> dict[str, Any]:
    runs = setup.runs[key]
    done = sum(len(r.latencies) for r in runs)
    wall = sum(r.wall for r in runs)
    bot_cpu = sum(r.bot_cpu for r in runs)
    server = setup.server_cpu.get(key, 0.0)
    latency = summarise(1000 * x for r in runs for x in r.latencies)
    return {
        "commands": done,
        "throughput": done / wall if wall else 0.0,
        "latency_ms": latency,
        "bot_cpu_ms_per_command": bot_cpu * 1000 / max(done, 1),
        "db_server_cpu_ms_per_command": server * 1000 / max(done, 1),
        "total_cpu_ms_per_command": (bot_cpu + server) * 1000 / max(done, 1),
        "driver_cpu_ms_per_command": sum(r.driver_cpu for r in runs) * 1000 / max(done, 1),
        "errors": sum(r.errors for r in runs),
        "timeouts": sum(r.timeouts for r in runs),
    }


# --- part 1: the engines -----------------------------------------------------------------


async def compare_engines(work: Path, databases: Databases, cfg: dict) -> dict[str, Any]:
    plans = []
    for engine in databases.engines:
        for cache, extra in (("cache", {}), ("nocache", {"BENCH_WHATIF": "nocache"})):
            name = f"{engine}-{cache}"
            db = await databases.new(engine, name)

            async def start(name: str = name, db: str = db, extra: dict = extra) -> Setup:
                return await start_setup(name, db, ["0-3"], work, max(cfg["concurrency"]), extra)

            plans.append(start)
    results: dict[str, Any] = {}
    async with setups(*plans) as started:
        for label in COMMANDS:
            for concurrency in cfg["concurrency"]:
                await rounds(started, databases, ACTIONS[label], concurrency, cfg)
        for setup in started:
            results[setup.name] = {key: pooled(setup, key) for key in setup.runs}
    return results


# --- part 2: processes -------------------------------------------------------------------

SPLITS = {"1 process x 4 shards": ["0-3"], "2 processes x 2 shards": ["0-1", "2-3"]}


async def compare_processes(work: Path, databases: Databases, cfg: dict) -> dict[str, Any]:
    results: dict[str, Any] = {}
    channels = max(cfg["concurrency"])
    for engine in databases.engines:
        plans = []
        for splits in SPLITS.values():
            tag = f"{engine}-{len(splits)}p"
            # A store of its own: the bot syncs slash commands once per store, and each
            # set-up has a fake Discord of its own to sync them with.
            db = await databases.new(engine, tag)

            async def start(tag: str = tag, splits: list[str] = splits, db: str = db) -> Setup:
                return await start_setup(tag, db, splits, work, channels, {})

            plans.append(start)
        async with setups(*plans) as started:
            for command in COMMANDS:
                await rounds(started, databases, ACTIONS[command], channels, cfg)
            for setup, label in zip(started, SPLITS, strict=True):
                results[f"{engine}: {label}"] = {key: pooled(setup, key) for key in setup.runs}
    return results


# --- part 3: copy-store ----------------------------------------------------------------


async def _synthetic_store(path: Path, facts: int) -> None:
    from bench import synthetic

    data = synthetic.generate(facts=facts, entities=facts // 10, sources=max(facts // 200, 5))
    store = await Store.open(path)
    try:
        await synthetic.insert(store, data)
        await synthetic.fill_fts(store, [], [])
    finally:
        await store.close()


def _copy_store(source: str, target: str) -> dict[str, Any]:
    """`python -m bot copy-store` as a child process: its wall time, the time of the copy
    itself (its own line), and its peak RSS (wait4's rusage)."""
    import re
    import subprocess
    import time

    from bench import bench_env, python

    started = time.perf_counter()
    child = subprocess.Popen(
        [python(), "-m", "bot", "copy-store", source, target],
        env=bench_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    out, err = child.stdout.read(), child.stderr.read()  # type: ignore[union-attr]
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    if child.returncode:
        raise RuntimeError(f"copy-store failed: {err or out}")
    copied = re.search(r"copied \d+ tables, (\d+) rows, in one transaction \(([\d.]+) s\)", out)
    assert copied and "proof: the exports are identical" in out, out
    return {
        "rows": int(copied.group(1)),
        "copy_s": float(copied.group(2)),
        "whole_command_s": wall,
        "peak_rss_mib": usage.ru_maxrss / 1024,
        "proof": [line for line in out.splitlines() if line.startswith("proof:")],
    }


async def copy_store_timings(work: Path, databases: Databases, facts: int) -> dict[str, Any]:
    source = work / "synthetic.sqlite3"
    await _synthetic_store(source, facts)
    found = {"facts": facts}
    hops = [("SQLite -> SQLite", str(source), str(work / "copy.sqlite3"))]
    if databases.cluster is not None:
        from tests.pgcluster import create_database

        url = databases.cluster.url(await asyncio.to_thread(create_database, databases.cluster))
        hops += [("SQLite -> PostgreSQL", str(source), url),
                 ("PostgreSQL -> SQLite", url, str(work / "back.sqlite3"))]  # fmt: skip
    for label, origin, target in hops:
        try:
            found[label] = await asyncio.to_thread(_copy_store, origin, target)
        except Exception as error:  # reported in the table; the other parts stand
            found[label] = {"failed": f"{type(error).__name__}: {error}"[:300]}
    return found


def _copy_table(found: dict[str, Any]) -> str:
    rows = [
        [label, side["rows"], side["copy_s"], side["whole_command_s"], side["peak_rss_mib"]]
        if "failed" not in side
        else [label, "FAILED", side["failed"][:60], "", ""]
        for label, side in found.items()
        if isinstance(side, dict)
    ]
    return table(
        ["copy-store", "rows", "copy s", "whole command s (with its proof)", "peak RSS MiB"],
        rows,
        title=f"copy-store of a synthetic store of {found['facts']:,} facts (bench/synthetic.py)",
    )


# --- the report --------------------------------------------------------------------------


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _side_rows(found: dict[str, Any], *cpu: str) -> list[list[Any]]:
    """A row per bot and command: commands, throughput, p50, p99, the `cpu` columns,
    errors and timeouts."""
    return [
        [
            name,
            key,
            side["commands"],
            side["throughput"],
            side["latency_ms"]["p50"],
            side["latency_ms"]["p99"],
            *(side[column] for column in cpu),
            side["errors"] + side["timeouts"],
        ]
        for name, by_key in found.items()
        for key, side in by_key.items()
    ]


def _engine_tables(found: dict[str, Any]) -> list[str]:
    rows = _side_rows(found, "bot_cpu_ms_per_command", "db_server_cpu_ms_per_command")
    tables = [
        table(
            [
                "bot",
                "command @conc",
                "N",
                "cmd/s",
                "p50 ms",
                "p99 ms",
                "bot CPU ms/cmd",
                "PG server CPU ms/cmd",
                "errors",
            ],
            rows,
            title="Each engine, answer cache on and off (rounds pooled)",
        )
    ]
    if "postgresql-cache" in found:
        ratio_rows = []
        for cache in ("cache", "nocache"):
            pg, lite = found[f"postgresql-{cache}"], found[f"sqlite-{cache}"]
            for key in lite:
                p, s = pg[key], lite[key]
                ratio_rows.append(
                    [
                        cache,
                        key,
                        _ratio(p["throughput"], s["throughput"]),
                        _ratio(p["latency_ms"]["p50"], s["latency_ms"]["p50"]),
                        _ratio(p["latency_ms"]["p99"], s["latency_ms"]["p99"]),
                        _ratio(p["total_cpu_ms_per_command"], s["total_cpu_ms_per_command"]),
                    ]
                )
        tables.append(
            table(
                [
                    "answer cache",
                    "command @conc",
                    "cmd/s PG/SQLite",
                    "p50 PG/SQLite",
                    "p99 PG/SQLite",
                    "CPU PG/SQLite (bot + server)",
                ],
                ratio_rows,
                title="PostgreSQL over SQLite, same run",
            )
        )
    return tables


def _process_tables(found: dict[str, Any]) -> list[str]:
    rows = _side_rows(found, "total_cpu_ms_per_command", "driver_cpu_ms_per_command")
    ratio_rows = []
    for one_name in [n for n in found if n.endswith(next(iter(SPLITS)))]:
        engine = one_name.split(":")[0]
        one, two = found[one_name], found[f"{engine}: {list(SPLITS)[1]}"]
        for key in one:
            ratio_rows.append(
                [
                    engine,
                    key,
                    _ratio(two[key]["throughput"], one[key]["throughput"]),
                    _ratio(two[key]["latency_ms"]["p50"], one[key]["latency_ms"]["p50"]),
                    _ratio(two[key]["latency_ms"]["p99"], one[key]["latency_ms"]["p99"]),
                    _ratio(
                        two[key]["total_cpu_ms_per_command"], one[key]["total_cpu_ms_per_command"]
                    ),
                ]
            )
    return [
        table(
            [
                "set-up",
                "command @conc",
                "N",
                "cmd/s",
                "p50 ms",
                "p99 ms",
                "CPU ms/cmd (bots + PG)",
                "fake CPU ms/cmd",
                "errors",
            ],
            rows,
            title="One process on four shards vs two on two each (same load, same store)",
        ),
        table(
            ["engine", "command @conc", "cmd/s 2p/1p", "p50 2p/1p", "p99 2p/1p", "CPU 2p/1p"],
            ratio_rows,
            title="Two processes over one, same run",
        ),
    ]


def method(cfg: dict[str, Any], databases: Databases) -> list[str]:
    concurrency = " and ".join(str(c) for c in cfg["concurrency"])
    return [
        "Loopback fake Discord (tests/fakediscord) in the driver process, one per bot set-up; "
        "each bot a real process (python -m bench.botproc ours: BriefingBot, every cog; "
        "commands rotate over each server's 800 members, so the per-user limit never "
        "answers instead), gateway from /gateway/bot, four shards "
        "(BRIEFING_SHARD_COUNT=4), one server on each shard.",
        "Stores built from data/ before the bots start: a SQLite file, or a database in a "
        "throwaway PostgreSQL cluster (initdb in a temporary folder, TCP on 127.0.0.1, "
        "fsync off, as the tests' cluster); the bots reach it by its postgresql:// URL.",
        f"Closed loop: `conc` channels ({concurrency}) spread over the four servers, one "
        "member per channel; each channel sends its next command when its reply arrives. "
        f"Per command and concurrency: {cfg['warmup']} warm-up commands per set-up, then "
        f"{cfg['rounds']} rounds of N = {cfg['n']} per set-up, the order alternating "
        "(ABCD, DCBA...); figures pooled over the rounds.",
        "cmd/s = replies / wall time; latency = the fake's loop time from just before it "
        "dispatches MESSAGE_CREATE / INTERACTION_CREATE to when it records the bot's "
        "visible reply; CPU = utime+stime from /proc (bot processes; plus the PostgreSQL "
        "server's processes over the same rounds), per command.",
        "nocache = bench/whatif.py's `nocache` (the answer cache keeps nothing), so every "
        "answer is read from the store; `cache` = the bot as shipped.",
        "Part 2 runs `!who kim` and `/who name:kim` at the highest concurrency; each set-up "
        "has a store of its own (both processes of the two-process set-up share theirs), "
        "answer cache on.",
        f"Part 3: `python -m bot copy-store` as a child process on a synthetic store of "
        f"{cfg['copy_facts']:,} facts and a tenth as many entities (bench/synthetic.py): "
        "'copy s' is the command's own figure for the copy (read, write, commit), the whole "
        "command adds opening both stores and the proof (tables read back, exports); peak "
        "RSS from wait4.",
        *(
            [f"PostgreSQL left out: {databases.why_no_postgres}."]
            if databases.why_no_postgres
            else []
        ),
    ]


async def run_async(cfg: dict[str, Any]) -> Report:
    with tempfile.TemporaryDirectory(prefix="bench-engines-") as tmp:
        work = Path(os.environ.get("BENCH_WORKDIR") or tmp)
        databases = Databases(work)
        await asyncio.to_thread(databases.start)
        try:
            engines = await compare_engines(work, databases, cfg)
            processes = await compare_processes(work, databases, cfg)
            copies = await copy_store_timings(work, databases, cfg["copy_facts"])
        finally:
            await asyncio.to_thread(databases.stop)
    tables = [*_engine_tables(engines), *_process_tables(processes), _copy_table(copies)]
    notes = [
        "The box has 2 cores shared with the fake Discord (the driver, one process): two bot "
        "processes cannot have a core each while the fake needs one; 'fake CPU ms/cmd' says "
        "how much of a core the driver itself spent.",
    ]
    data = {
        "settings": {**cfg, "concurrency": list(cfg["concurrency"])},
        "engines": engines,
        "processes": processes,
        "copy_store": copies,
    }
    return Report(
        "engines",
        "SQLite vs PostgreSQL, and two bot processes vs one",
        method(cfg, databases),
        tables,
        data,
        notes,
    )


def run(quick: bool = False) -> Report:
    return asyncio.run(run_async(settings(quick)))
