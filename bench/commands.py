"""`python -m bench commands`: command throughput and latency, ours against a baseline.

Both bots run at once, each in its own process with its own loopback fake Discord (in
this process), so they never see each other's traffic. For every command and
concurrency level the rounds alternate ours/baseline (ABAB, then BABA...), so drift on
the shared box hits both alike. Then our own work per command is timed in-process.
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import pstats
import shlex
import signal
import statistics
import tempfile
from pathlib import Path
from typing import Any

from bench import ROOT, Report, short_path, summarise, table
from bench import ownwork as own
from bench.loopback import (
    ACTIONS,
    Action,
    BotProcess,
    Run,
    UserPicker,
    World,
    drive,
    fixed_users,
    start_world,
    wait_connected,
)

CONCURRENCY = (1, 50)
THROUGHPUT_TARGET = 0.85  # ours / the baseline's throughput (issue 11)
THROUGHPUT_FLOOR = THROUGHPUT_TARGET  # profile when ours is below the target
# Distinct members asking, each command from the next one in turn: the real per-user
# cooldown (5 commands in 10 s) stays on, and never fires while fewer than
# ASKERS / 2 commands are answered per second (6,000 askers: up to 3,000 a second).
ASKERS = 6_000


def settings(quick: bool) -> dict[str, int]:
    if quick:
        return {"n": 300, "rounds": 2, "warmup": 40, "own_n": 300, "profile_n": 600}
    return {"n": 1000, "rounds": 4, "warmup": 100, "own_n": 2000, "profile_n": 2000}


def _written(path: Path) -> bool:
    return path.exists() and path.stat().st_size > 0


async def _profile_run(world: World, bot: BotProcess, path: Path, n: int) -> pstats.Stats:
    """`n` x `!who kim` at concurrency 50 with cProfile on in the bot process."""
    await asyncio.to_thread(path.unlink, missing_ok=True)
    bot.signal(signal.SIGUSR1)
    await asyncio.sleep(0.2)
    await drive(world, bot, [ACTIONS["!who kim"]], n, 50, world.askers)
    bot.signal(signal.SIGUSR2)
    for _ in range(200):
        if _written(path):
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(0.2)
    return pstats.Stats(str(path))


# Entry points whose cumulative time tells where a command's time goes.
CALL_PATHS = (
    ("gateway frame received + parsed (discord.py)", "discord/gateway.py", "received_message"),
    ("MESSAGE_CREATE -> Message (discord.py)", "discord/state.py", "parse_message_create"),
    ("INTERACTION_CREATE parse (discord.py)", "discord/state.py", "parse_interaction_create"),
    ("Bot.get_context (discord.py)", "discord/ext/commands/bot.py", "get_context"),
    ("Command.invoke: checks, cooldown, args", "discord/ext/commands/core.py", "prepare"),
    ("BriefingContext.cached_answer (ours, total)", "bot/context.py", "cached_answer"),
    ("  AnswerCache.get (ours)", "bot/cache.py", "get"),
    ("BriefingContext.answer (ours, uncached, total)", "bot/context.py", "answer"),
    ("  briefing.who (ours, main thread only)", "bot/briefing.py", "who"),
    ("  Store._all (ours, main thread only)", "bot/store/store.py", "_all"),
    ("  Store._hydrate (ours, main thread only)", "bot/store/store.py", "_hydrate"),
    ("  render_pages (ours)", "bot/render/embeds.py", "render_pages"),
    ("  BriefingContext.send_pages (ours + discord.py)", "bot/context.py", "send_pages"),
    ("    quotes_view: stateless Quotes button (ours)", "bot/views.py", "quotes_view"),
    ("    AnswerView.__init__ (ours, discord.ui)", "bot/views.py", "__init__"),
    ("    Messageable.send (discord.py)", "discord/abc.py", "send"),
    ("HTTPClient.request (discord.py + aiohttp)", "discord/http.py", "request"),
    ("aiosqlite Connection._execute (queue put)", "aiosqlite/core.py", "_execute"),
)


def _category(filename: str, function: str) -> str:
    if filename == "~":
        if "epoll" in function:
            return "idle (epoll wait)"
        if "SimpleQueue" in function:
            return "handoff to aiosqlite thread (queue put)"
        return "C builtins (json, sockets, ...)"
    if filename.startswith(str(ROOT / "bot")) or filename.startswith(str(ROOT / "cogs")):
        return "ours: bot/ + cogs/"
    for marker, name in (
        ("/discord/", "discord.py"),
        ("/aiohttp/", "aiohttp + yarl + multidict"),
        ("/yarl/", "aiohttp + yarl + multidict"),
        ("/multidict/", "aiohttp + yarl + multidict"),
        ("/aiosqlite/", "aiosqlite"),
        ("/asyncio/", "asyncio"),
        ("/json/", "json (Python part)"),
        ("/rapidfuzz/", "rapidfuzz"),
    ):
        if marker in filename:
            return name
    return "other Python (stdlib: enum, logging, ...)"


def summarise_profile(stats: pstats.Stats, commands: int, top: int = 15) -> dict[str, Any]:
    """Own time by package (ms per command) and the top functions by own time."""
    raw: dict = stats.stats  # type: ignore[attr-defined]
    by_category: dict[str, float] = {}
    functions = []
    for (filename, line, function), (_cc, calls, tottime, cumtime, _callers) in raw.items():
        key = _category(filename, function)
        by_category[key] = by_category.get(key, 0.0) + tottime
        where = short_path(filename)
        functions.append((tottime, calls, cumtime, f"{where}:{line}({function})"))
    functions.sort(reverse=True)
    paths = {}
    for label, suffix, function in CALL_PATHS:
        cumulative = calls = 0
        for (filename, _line, name), (_cc, n, _tt, cumtime, _callers) in raw.items():
            if name == function and filename.endswith(suffix):
                cumulative += cumtime
                calls += n
        if calls:
            paths[label] = {
                "calls_per_command": calls / commands,
                "cumulative_us_per_command": cumulative * 1e6 / commands,
            }
    busy = sum(v for k, v in by_category.items() if not k.startswith("idle"))
    return {
        "commands": commands,
        "busy_ms_per_command": busy * 1000 / commands,
        "by_category_ms_per_command": {
            k: v * 1000 / commands for k, v in sorted(by_category.items(), key=lambda kv: -kv[1])
        },
        "call_paths": paths,
        "top_functions": [
            {
                "function": name,
                "calls_per_command": calls / commands,
                "own_us_per_command": tottime * 1e6 / commands,
                "cumulative_us_per_command": cumtime * 1e6 / commands,
            }
            for tottime, calls, cumtime, name in functions[:top]
        ],
    }


def _profile_tables(name: str, summary: dict[str, Any]) -> list[str]:
    busy = summary["busy_ms_per_command"]
    rows = [
        [k, v, (100 * v / busy) if not k.startswith("idle") else float("nan")]
        for k, v in summary["by_category_ms_per_command"].items()
    ]
    first = table(
        ["where the event-loop thread spends its time", "ms/cmd", "% of busy"],
        rows,
        title=(
            f"Profile of the {name} bot process (cProfile, event-loop thread, "
            f"{summary['commands']} x `!who kim` at concurrency 50); busy {busy:.2f} ms/cmd"
        ),
    )
    paths = table(
        ["call path (cumulative, event-loop thread)", "calls/cmd", "cum us/cmd"],
        [
            [label, v["calls_per_command"], v["cumulative_us_per_command"]]
            for label, v in summary["call_paths"].items()
        ],
    )
    second = table(
        ["top functions by own time", "calls/cmd", "own us/cmd", "cum us/cmd"],
        [
            [
                f["function"][-90:],
                f["calls_per_command"],
                f["own_us_per_command"],
                f["cumulative_us_per_command"],
            ]
            for f in summary["top_functions"]
        ],
    )
    return [first, paths, second]


def _aggregate(runs: list[Run]) -> dict[str, Any]:
    latencies = [x * 1000 for run in runs for x in run.latencies]
    done = sum(len(run.latencies) for run in runs)
    wall = sum(run.wall for run in runs)
    return {
        "commands": done,
        "rounds": len(runs),
        "throughput": done / wall if wall else 0.0,
        "throughput_per_round": [round(run.throughput, 1) for run in runs],
        "latency_ms": summarise(latencies),
        "bot_cpu_ms_per_command": sum(r.bot_cpu for r in runs) * 1000 / max(done, 1),
        "bot_cpu_ms_per_round": [r.bot_cpu * 1000 / max(len(r.latencies), 1) for r in runs],
        "driver_cpu_ms_per_command": sum(r.driver_cpu for r in runs) * 1000 / max(done, 1),
        "errors": sum(r.errors for r in runs),
        "timeouts": sum(r.timeouts for r in runs),
    }


# Bot variants: which bot (bench/botproc.py) and extra environment. The what-ifs patch
# only the benchmark's own bot process (bench/whatif.py).
VARIANTS: dict[str, tuple[str, dict[str, str]]] = {
    "ours": ("ours", {}),
    "baseline": ("baseline", {}),
    "ours-nocooldown": ("ours", {"BENCH_WHATIF": "nocooldown"}),
    "ours-nocooldown, 50 askers": ("ours", {"BENCH_WHATIF": "nocooldown"}),
    "baseline, 50 askers": ("baseline", {}),
    "ours+orjson": ("ours", {"BENCH_WHATIF": "orjson"}),
    "ours+uvloop": ("ours", {"BENCH_WHATIF": "uvloop"}),
    "ours+msgcache": ("ours", {"BENCH_WHATIF": "msgcache"}),
    "ours-nofreeze": ("ours", {"BENCH_WHATIF": "nofreeze"}),
    "ours-noskipecho": ("ours", {"BENCH_WHATIF": "noskipecho"}),
    "ours+syncreads": ("ours", {"BENCH_WHATIF": "syncreads"}),
    "ours-noview": ("ours", {"BENCH_WHATIF": "noview"}),
    "ours-nocache": ("ours", {"BENCH_WHATIF": "nocache"}),
}
# Variants asked by one member per channel (50 in all), as this benchmark did before
# it used thousands of askers: with the cooldown on, most of their commands would be
# refused, so ours runs without it there.
FEW_ASKERS = ("ours-nocooldown, 50 askers", "baseline, 50 askers")


# With BENCH_BEFORE=<git revision>, the what-if run adds "ours@before": our bot with
# bot/, cogs/ and data/ as they were at that revision (this bench/ and tests/), to give
# a change's figure before and after in the same run.
BEFORE = "ours@before"


async def before_tree(work: Path) -> Path:
    """bot/, cogs/ and data/ at BENCH_BEFORE, extracted under `work` (read-only git)."""
    target = work / "before-tree"
    if not target.exists():
        target.mkdir(parents=True)
        revision = os.environ["BENCH_BEFORE"]
        archive = await asyncio.create_subprocess_shell(
            f"git -C {shlex.quote(str(ROOT))} archive {shlex.quote(revision)} bot cogs data"
            f" | tar -x -C {shlex.quote(str(target))}"
        )
        if await archive.wait() != 0:
            raise RuntimeError(f"could not extract revision {revision!r}")
    return target


OPTIONAL = ("orjson", "uvloop")  # what-ifs needing a package the project does not pin


def _needs(name: str) -> list[str]:
    wanted = VARIANTS[name][1].get("BENCH_WHATIF", "").split(",")
    return [module for module in OPTIONAL if module in wanted]


def available(name: str) -> bool:
    """Whether a variant can run here: orjson / uvloop importable, or installed in
    BENCH_EXTRA_PATH (a directory given to those variants' processes only, so the
    others run on the project's environment alone)."""
    extra = os.environ.get("BENCH_EXTRA_PATH", "")
    return all(
        importlib.util.find_spec(module) is not None or (extra and Path(extra, module).exists())
        for module in _needs(name)
    )


def askers(world: World, name: str) -> UserPicker:
    return fixed_users(world) if name in FEW_ASKERS else world.askers


class Pair:
    """Fresh bot processes (ours and the baseline, or any VARIANTS), each with its own
    fake Discord."""

    def __init__(self, work: Path, tag: str, names: tuple[str, ...] = ("ours", "baseline")):
        self.work = work / tag
        self.names = names
        self.worlds: dict[str, World] = {}
        self.bots: dict[str, BotProcess] = {}

    async def __aenter__(self) -> Pair:
        try:
            await self._start()
        except BaseException:
            await self.__aexit__()
            raise
        await asyncio.sleep(0.5)
        return self

    async def _start(self) -> None:
        for name in self.names:
            which, extra = VARIANTS[name]
            world = await start_world(max(CONCURRENCY), ASKERS)
            env = {
                "BENCH_PROFILE": str(self.work / f"{name}.prof"),
                "BENCH_STATS": str(self.work / f"{name}.stats.json"),
                **extra,
            }
            if which == "ours":
                env["BRIEFING_DB"] = str(self.work / f"{name}.sqlite3".replace(" ", "_"))
            if _needs(name) and os.environ.get("BENCH_EXTRA_PATH"):
                env["PYTHONPATH"] = os.pathsep.join((str(ROOT), os.environ["BENCH_EXTRA_PATH"]))
            if name == BEFORE:
                env["PYTHONPATH"] = os.pathsep.join((str(await before_tree(self.work)), str(ROOT)))
            bot = BotProcess.module(name, ["bench.botproc", which], world.fake, self.work, **env)
            self.worlds[name], self.bots[name] = world, bot
            await bot.start()
            await wait_connected(world, bot)

    async def __aexit__(self, *exc: object) -> None:
        for name, bot in self.bots.items():
            await bot.stop()
            await self.worlds[name].fake.stop()

    async def warm_up(self, actions: list[Action], n: int) -> None:
        for name, bot in self.bots.items():
            for action in actions:
                world = self.worlds[name]
                await drive(world, bot, [action], n, 10, world.askers, sample=action.label)

    async def stats(self) -> dict[str, Any]:
        """Each bot's GC and view statistics (written by the bot every 0.5 s), and RSS."""
        await asyncio.sleep(0.6)
        found = {}
        for name, bot in self.bots.items():
            path = self.work / f"{name}.stats.json"
            text = await asyncio.to_thread(path.read_text)
            found[name] = {**json.loads(text), "rss_kib": bot.rss()}
        return found


def _sample(entry: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": (entry.get("embeds") or [{}])[0].get("title"),
        "payload_json_chars": len(json.dumps(entry.get("payload"))),
        "buttons": sum(len(row.get("components", [])) for row in entry["components"]),
    }


async def scenario(
    work: Path, cfg: dict[str, int], action: Action, concurrency: int, tag: str
) -> dict[str, Any]:
    """Fresh processes for both bots, a warm-up, then rounds alternating ours/baseline."""
    async with Pair(work, tag) as pair:
        await pair.warm_up([action], cfg["warmup"])
        runs: dict[str, list[Run]] = {"ours": [], "baseline": []}
        for round_ in range(cfg["rounds"]):
            order = ("ours", "baseline") if round_ % 2 == 0 else ("baseline", "ours")
            for name in order:
                world = pair.worlds[name]
                run = await drive(
                    world, pair.bots[name], [action], cfg["n"], concurrency, world.askers
                )
                runs[name].append(run)
        stats = await pair.stats()
        samples = {name: _sample(pair.worlds[name].log.samples[action.label]) for name in runs}
    entry: dict[str, Any] = {"command": action.label, "concurrency": concurrency}
    for name in runs:
        entry[name] = {**_aggregate(runs[name]), "process": stats[name], "reply": samples[name]}
    ours, base = entry["ours"], entry["baseline"]
    entry["ratio_throughput_ours_over_baseline"] = (
        ours["throughput"] / base["throughput"] if base["throughput"] else None
    )
    entry["ratio_throughput_per_round"] = [
        a.throughput / b.throughput if b.throughput else 0.0
        for a, b in zip(runs["ours"], runs["baseline"], strict=True)
    ]
    entry["ratio_bot_cpu_ours_over_baseline"] = (
        ours["bot_cpu_ms_per_command"] / base["bot_cpu_ms_per_command"]
        if base["bot_cpu_ms_per_command"]
        else None
    )
    return entry


async def profile_pair(work: Path, cfg: dict[str, int]) -> dict[str, Any]:
    profiles = {}
    async with Pair(work, "profile") as pair:
        await pair.warm_up([ACTIONS["!who kim"]], cfg["warmup"])
        for name in ("ours", "baseline"):
            stats = await _profile_run(
                pair.worlds[name], pair.bots[name], pair.work / f"{name}.prof", cfg["profile_n"]
            )
            profiles[name] = summarise_profile(stats, cfg["profile_n"])
    return profiles


async def what_if_load(work: Path, cfg: dict[str, int]) -> dict[str, Any]:
    """`!who kim` at concurrency 50 on ours, each what-if and the baseline, interleaved."""
    action = ACTIONS["!who kim"]
    if os.environ.get("BENCH_BEFORE"):
        VARIANTS[BEFORE] = ("ours", {})
    wanted = os.environ.get("BENCH_VARIANTS")  # e.g. "ours+uvloop;ours@before"
    chosen = ["ours", "baseline", *wanted.split(";")] if wanted else list(VARIANTS)
    names = tuple(name for name in VARIANTS if name in chosen and available(name))
    async with Pair(work, "what-if", names) as fleet:
        await fleet.warm_up([action], cfg["warmup"])
        runs: dict[str, list[Run]] = {name: [] for name in names}
        for round_ in range(cfg["rounds"]):
            # Each round starts at another variant (and every other one runs backwards),
            # so no variant always runs first, last or next to the same neighbours.
            turned = names[round_ % len(names) :] + names[: round_ % len(names)]
            order = turned if round_ % 2 == 0 else tuple(reversed(turned))
            for name in order:
                world = fleet.worlds[name]
                bot = fleet.bots[name]
                run = await drive(world, bot, [action], cfg["n"], 50, askers(world, name))
                runs[name].append(run)
        stats = await fleet.stats()
    return {name: {**_aggregate(runs[name]), "process": stats[name]} for name in names}


def _paired(side: dict[str, Any], ours: dict[str, Any], key: str) -> list[float]:
    """Per interleaved round: this variant's figure over ours in the same round."""
    return [a / b for a, b in zip(side[key], ours[key], strict=True) if b]


def _median_spread(values: list[float]) -> str:
    if not values:
        return "-"
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def _what_if_table(found: dict[str, Any]) -> str:
    ours = found["ours"]
    rows = [
        [
            name,
            side["throughput"],
            _median_spread(_paired(side, ours, "throughput_per_round")),
            side["throughput"] / found["baseline"]["throughput"],
            side["latency_ms"]["p50"],
            side["latency_ms"]["p99"],
            side["bot_cpu_ms_per_command"],
            _median_spread(_paired(side, ours, "bot_cpu_ms_per_round")),
            sum(side["process"]["gc"]["pause_total_ms"]) / max(side["commands"], 1),
            side["process"]["rss_kib"]["VmRSS"] / 1024,
            side["errors"] + side["timeouts"],
        ]
        for name, side in found.items()
    ]
    return table(
        [
            "variant",
            "cmd/s",
            "vs ours: median of rounds (min-max)",
            "vs base",
            "p50 ms",
            "p99 ms",
            "CPU ms/cmd",
            "CPU vs ours: median (min-max)",
            "GC ms/cmd",
            "RSS MiB",
            "errors",
        ],
        rows,
        title=(
            "What-if under load (`!who kim`, concurrency 50, same rounds and N, interleaved, "
            "each round starting at another variant): ours with one patch each "
            "(bench/whatif.py), and the baseline; "
            "'vs ours' pairs each round with ours' run in the same round"
        ),
    )


async def run_async(cfg: dict[str, int], own_data: dict[str, Any], profile_mode: str) -> Report:
    loop = asyncio.get_running_loop()
    with tempfile.TemporaryDirectory(prefix="bench-commands-") as tmp:
        work = Path(os.environ.get("BENCH_WORKDIR") or tmp)
        began = loop.time()
        results = {}
        for label, action in ACTIONS.items():
            for concurrency in CONCURRENCY:
                tag = f"scenario-{len(results) + 1}"
                results[f"{label} @{concurrency}"] = await scenario(
                    work, cfg, action, concurrency, tag
                )
        load_seconds = loop.time() - began
        worst_ratio = min(e["ratio_throughput_ours_over_baseline"] or 0.0 for e in results.values())
        worst_own = max(c["total_us"]["p50"] for c in own_data["cases"].values())
        want_profile = profile_mode == "always" or (
            profile_mode == "auto" and (worst_ratio < THROUGHPUT_FLOOR or worst_own > own.TARGET_US)
        )
        profiles = await profile_pair(work, cfg) if want_profile else {}
        # The levers' what-ifs always (they are the issue's), unless told --profile never.
        what_ifs = await what_if_load(work, cfg) if profile_mode != "never" else {}
    return _report(cfg, results, own_data, profiles, what_ifs, load_seconds)


def _spread(values: list[float]) -> str:
    return f"{min(values):.2f}-{max(values):.2f}" if values else "-"


def _met(value: float | None, target: float) -> str:
    return "-" if value is None else "yes" if value >= target else "NO"


def _process_row(entry: dict[str, Any], name: str) -> list[object]:
    side = entry[name]
    process = side["process"]
    gc_ = process["gc"]
    return [
        entry["command"],
        entry["concurrency"],
        name,
        side["commands"] + 0,
        process["rss_kib"]["VmRSS"] / 1024,
        process["views_tracked"],
        gc_["collections"][2],
        gc_["pause_max_ms"][2],
        sum(gc_["pause_total_ms"]) / max(side["commands"], 1),
        side["reply"]["payload_json_chars"],
        side["reply"]["buttons"],
    ]


def _views_note(results: dict[str, Any], cfg: dict[str, int]) -> str:
    answered = cfg["warmup"] + cfg["n"] * cfg["rounds"]
    live = max(entry["ours"]["process"]["views_tracked"] for entry in results.values())
    gc_max = max(entry["ours"]["process"]["gc"]["pause_max_ms"][2] for entry in results.values())
    if live > answered / 2:
        return (
            f"Ours kept up to {live:,} live message views after {answered:,} answers (each "
            "answer's buttons stay alive for 600 s): memory grows with the commands answered "
            f"in the last 10 minutes, and full GC pauses reached {gc_max:.0f} ms."
        )
    return (
        f"Ours kept at most {live:,} live message views after {answered:,} answers; the "
        f"longest full GC pause was {gc_max:.0f} ms."
    )


def _report(
    cfg: dict[str, int],
    results: dict[str, Any],
    own_data: dict[str, Any],
    profiles: dict[str, Any],
    what_ifs: dict[str, Any],
    load_seconds: float,
) -> Report:
    throughput_rows, latency_rows, process_rows = [], [], []
    for entry in results.values():
        ours, base = entry["ours"], entry["baseline"]
        throughput_rows.append(
            [
                entry["command"],
                entry["concurrency"],
                ours["commands"],
                ours["throughput"],
                base["throughput"],
                entry["ratio_throughput_ours_over_baseline"],
                _spread(entry["ratio_throughput_per_round"]),
                f">= {THROUGHPUT_TARGET:.2f}",
                _met(entry["ratio_throughput_ours_over_baseline"], THROUGHPUT_TARGET),
                ours["bot_cpu_ms_per_command"],
                base["bot_cpu_ms_per_command"],
                entry["ratio_bot_cpu_ours_over_baseline"],
                f"{ours['errors'] + ours['timeouts']}/{base['errors'] + base['timeouts']}",
            ]
        )
        latency_rows.append(
            [
                entry["command"],
                entry["concurrency"],
                ours["latency_ms"]["p50"],
                ours["latency_ms"]["p95"],
                ours["latency_ms"]["p99"],
                base["latency_ms"]["p50"],
                base["latency_ms"]["p95"],
                base["latency_ms"]["p99"],
                ours["latency_ms"]["p50"] / base["latency_ms"]["p50"],
            ]
        )
        process_rows += [_process_row(entry, "ours"), _process_row(entry, "baseline")]
    tables = [
        table(
            [
                "command",
                "conc",
                "N each",
                "ours cmd/s",
                "base cmd/s",
                "ours/base",
                "per round",
                "target",
                "met",
                "ours CPU ms/cmd",
                "base CPU ms/cmd",
                "CPU ours/base",
                "err ours/base",
            ],
            throughput_rows,
            title=(
                "Throughput (commands/s, rounds pooled; per round = ours/base of each "
                "interleaved round pair, min-max) and bot-process CPU per command"
            ),
        ),
        table(
            ["command", "conc", "ours p50", "p95", "p99", "base p50", "p95", "p99", "p50 ratio"],
            latency_rows,
            title="Latency, ms: the fake dispatching the event -> the fake receiving the reply",
        ),
        own.render(own_data),
        table(
            [
                "command",
                "conc",
                "bot",
                "cmds",
                "RSS MiB",
                "live views",
                "gen2 GCs",
                "gen2 max ms",
                "GC ms/cmd",
                "reply chars",
                "buttons",
            ],
            process_rows,
            title=(
                "Each bot process at the end of its scenario (fresh processes per scenario; "
                "cmds excludes the warm-up)"
            ),
        ),
    ]
    for name, summary in profiles.items():
        tables += _profile_tables(name, summary)
    if what_ifs:
        tables.append(_what_if_table(what_ifs))
    own_profiles = own_data.get("profiles") or {}
    if own_profiles.get("who kim"):
        tables.append(
            "cProfile of our own work in-process (who kim lookup + render, top by own time):\n"
            + own_profiles["who kim"]
        )
    method = [
        "Loopback fake Discord (tests/fakediscord, REST + gateway on 127.0.0.1) in the "
        "driver process; each bot in its own process (python -m bench.botproc), pointed at "
        "its own fake via DISCORD_API_BASE, gateway discovered from /gateway/bot, real "
        "discord.py client; FakeDiscord(interaction_timeout=None).",
        "ours = BriefingBot with every cog and the real store (built from data/ into a temp "
        "file), exactly as `python -m bot` runs it: the real per-user cooldown (5 read "
        "commands in 10 s) is on.",
        "baseline = plain commands.Bot, same intents, AllowedMentions.none(), same prefix "
        "options, hybrid commands who/sanctions/search answering one constant ~2 KB embed "
        "(no store, no buttons).",
        f"Per command and concurrency: fresh processes for both bots, {cfg['warmup']} "
        f"warm-up commands each, then {cfg['rounds']} rounds of N = {cfg['n']} per bot, "
        "alternating ours/baseline (AB, BA, AB...).",
        f"Closed loop: `conc` channels in one guild of {ASKERS:,} members; each channel "
        "sends its next command when its reply arrives; every command comes from the next "
        f"member in turn ({ASKERS:,} distinct askers, so no one asks more than 5 times in "
        "10 s below 3,000 commands/s: the cooldown never refuses, and an answer that is "
        "not the command's embed counts as an error).",
        "cmd/s = replies / wall time, pooled over rounds; latency = the fake's loop time "
        "from just before it dispatches MESSAGE_CREATE / INTERACTION_CREATE (the "
        "interaction's created_at) to when its REST handler records the bot's visible reply.",
        "CPU ms/cmd = utime+stime of the bot process (/proc/<pid>/stat) over the rounds / "
        "commands: the drift-proof cost figure (10 ms tick resolution).",
        "GC and live views: reported by the bot process itself (gc.callbacks; discord.py's "
        "view store), see bench/botproc.py.",
        f"Own work: in-process, N = {cfg['own_n']} per command after warm-up, "
        "perf_counter_ns; the what-if repeats it with the store's reads synchronous.",
    ]
    first = next(iter(results.values()))
    notes = [
        f"load phase took {load_seconds:.0f} s; the fake's own CPU per command "
        f"({first['command']} @{first['concurrency']}): ours "
        f"{first['ours']['driver_cpu_ms_per_command']:.2f} ms, baseline "
        f"{first['baseline']['driver_cpu_ms_per_command']:.2f} ms.",
        "At the baseline's highest rates the fake (one process, one core) is the limit, so "
        "base cmd/s is a lower bound and ours/base an upper bound; CPU ms/cmd is not "
        "affected by that.",
        "What-ifs: each lever of issue 11 as a patch on ours (bench/whatif.py); "
        "'ours-nocooldown, 50 askers' and 'baseline, 50 askers' are this benchmark's old "
        "method (one member per channel, cooldown off), for the gap between harnesses; "
        "ours+orjson and ours+uvloop need those packages in BENCH_EXTRA_PATH (see "
        "bench/requirements.txt; orjson is not a dependency: with it a forged 2^64 slash "
        "option reads as a float). BENCH_BEFORE=<rev> adds ours@before (bot/, cogs/, "
        "data/ at rev).",
        "Profiles: cProfile sees only the event-loop thread (SQLite running in aiosqlite's "
        "worker thread shows up as idle epoll wait), counts every resumption of a coroutine "
        "as a call, and adds overhead of its own; read the shares, not the absolute times.",
        _views_note(results, cfg),
    ]
    data = {
        "settings": cfg,
        "results": results,
        "own_work": own_data,
        "profiles": profiles,
        "what_if_under_load": what_ifs,
    }
    return Report(
        "commands",
        "Command throughput and latency: our bot vs a baseline discord.py bot",
        method,
        tables,
        data,
        notes,
    )


def run(quick: bool = False, profile: str = "auto") -> Report:
    """`profile`: "auto" (profile when ours is below 0.85 of the baseline's throughput
    or our own work misses 1 ms p50), "always" or "never" (no profile, no what-ifs)."""
    cfg = settings(quick)
    # Our own work first, alone on the box; then the two bots under load.
    own_data = own.run(cfg["own_n"], cfg["warmup"], profile)
    return asyncio.run(run_async(cfg, own_data, profile))
