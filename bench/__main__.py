"""`python -m bench [NAME ...|all] [--quick] [--profile auto|always|never]`.

Benchmarks are looked up in REGISTRY (name -> module); each module has
`run(quick: bool = False, profile: str = "auto") -> bench.Report`. To add one (e.g. the
digest fan-out), write bench/<name>.py with such a `run` and add one line to REGISTRY.
A module whose `run(quick)` returns a plain dict works too: its `render(data)` (if any)
gives the text, its docstring the title and method, and the dict goes to the JSON file.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import subprocess
import sys
import time
import traceback
from types import ModuleType

from bench import ROOT, Report, _git_commit, machine, machine_line, write_json

REGISTRY: dict[str, str] = {
    "commands": "bench.commands",  # throughput/latency through the fake, ours vs baseline
    "store": "bench.store",  # 100k facts / 10k entities: lookups, search, build, size
    "startup": "bench.startup",  # process start -> first answer; RSS before/after 10k commands
    "digest": "bench.digest",  # 1,000 servers' digests due at one minute: time, peak rate, 429s
    "intents": "bench.intents",  # CPU per 10k chat messages: message commands vs slash-only
    "chat": "bench.chat",  # CPU per ignored chat message, ours vs the bare bot (100k each)
    "users": "bench.users",  # RSS over 100k commands from 10k users, real cooldowns, vs bare
    "servers": "bench.servers",  # memory per server, READY -> first answer at 1k / 10k servers
    "engines": "bench.engines",  # who kim on SQLite vs PostgreSQL; two processes vs one
}


def parse(argv: list[str]) -> argparse.Namespace:
    top = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    top.add_argument(
        "names",
        nargs="*",
        default=["all"],
        help=f"benchmarks to run: all, or any of {', '.join(REGISTRY)}",
    )
    top.add_argument("--quick", action="store_true", help="smaller N (all in ~3 minutes)")
    top.add_argument(
        "--profile",
        choices=("auto", "always", "never"),
        default="auto",
        help="profile our hot path: auto = when below the targets (default)",
    )
    args = top.parse_args(argv)
    names = list(REGISTRY) if "all" in args.names else args.names
    unknown = [name for name in names if name not in REGISTRY]
    if unknown:
        top.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(REGISTRY)}")
    args.names = names
    return args


def call(name: str, module: ModuleType, quick: bool, profile: str) -> Report:
    """Run one benchmark module; adapt a `run(quick) -> dict` one to a Report."""
    parameters = inspect.signature(module.run).parameters
    kwargs: dict[str, object] = {"quick": quick}
    if "profile" in parameters:
        kwargs["profile"] = profile
    result = module.run(**kwargs)
    if isinstance(result, Report):
        return result
    render = getattr(module, "render", None)
    doc = (module.__doc__ or name).strip().split("\n\n")
    if render is not None:  # its text says how the figures were obtained
        text, method = render(result), []
    else:
        text = json.dumps(result, indent=2, default=str)
        method = [" ".join(part.split()) for part in doc[1:]] or ["see the module docstring"]
    return Report(
        name,
        doc[0].splitlines()[0],
        method,
        [text],
        result if isinstance(result, dict) else {"result": result},
    )


def code_state() -> str:
    """The commit, and whether the bot's code or data differ from it (read-only git)."""
    try:
        changed = subprocess.run(
            ["git", "status", "--porcelain", "--", "bot", "cogs", "data"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout.split("\n")
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    dirty = sorted({line[3:].split("/")[0] for line in changed if line.strip()})
    return _git_commit() + (f" + uncommitted changes in {', '.join(dirty)}" if dirty else "")


def main(argv: list[str] | None = None) -> int:
    args = parse(sys.argv[1:] if argv is None else argv)
    info = machine()
    print(machine_line(info))
    print(f"mode: {'quick' if args.quick else 'full'}; benchmarks: {', '.join(args.names)}\n")
    began = time.perf_counter()
    failed = []
    for name in args.names:
        module = importlib.import_module(REGISTRY[name])
        code = code_state()
        print(f"[{name}] code under test: {code}", flush=True)
        started = time.perf_counter()
        try:
            report = call(name, module, args.quick, args.profile)
        except Exception as error:  # report the others anyway
            failed.append(name)
            print(f"== {name} FAILED: {type(error).__name__}: {error}\n", flush=True)
            traceback.print_exc()
            continue
        report.seconds = time.perf_counter() - started
        after = code_state()
        report.data["code_under_test"] = code
        if after != code:
            report.notes.append(f"THE CODE CHANGED DURING THIS BENCHMARK: {code} -> {after}")
        print(report.text(), flush=True)
        print(f"-> {write_json(name, report, info)}\n", flush=True)
    print(f"total {time.perf_counter() - began:.0f} s" + (f"; FAILED: {failed}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
