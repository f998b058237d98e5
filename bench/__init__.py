"""Benchmarks for the briefing bot: `python -m bench [all|commands|store|startup] [--quick]`.

Every benchmark prints its figures and how they were obtained (machine, N, concurrency,
method) as plain text, and writes the same as JSON to bench/results/<name>.json. The box
these run on is shared, so absolute times drift; where a comparison matters (our bot
against a baseline bot) both run side by side in the same run, interleaved.

This module holds what the benchmarks share: machine facts, percentiles, /proc readings,
plain-text tables and the result files.
"""

from __future__ import annotations

import json
import os
import platform
import re
import sqlite3
import subprocess
import sys
import sysconfig
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Report:
    """What one benchmark hands back: text for people, data for the JSON file."""

    name: str
    title: str
    method: list[str]
    tables: list[str]
    data: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def text(self) -> str:
        parts = [f"== {self.title} =="]
        if self.method:
            parts += ["", "Method:"]
            parts += [f"  - {line}" for line in self.method]
        for table in self.tables:
            parts += ["", table]
        if self.notes:
            parts += ["", "Notes:"]
            parts += [f"  - {line}" for line in self.notes]
        parts += ["", f"({self.name} took {self.seconds:.1f} s)"]
        return "\n".join(parts)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "?"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _git_commit() -> str:
    try:
        found = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        )
        return found.stdout.strip() or "?"
    except (OSError, subprocess.SubprocessError):
        return "?"


def machine() -> dict[str, Any]:
    """Facts about the box and the software, printed with every result."""
    return {
        "nproc": os.cpu_count(),
        "usable_cpus": len(os.sched_getaffinity(0)),
        "cpu": _cpu_model(),
        "loadavg_at_start": [round(x, 2) for x in os.getloadavg()],
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "discord.py": _version("discord.py"),
        "aiohttp": _version("aiohttp"),
        "aiosqlite": _version("aiosqlite"),
        "sqlite": sqlite3.sqlite_version,
        "git_commit": _git_commit(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def machine_line(info: dict[str, Any]) -> str:
    return (
        f"machine: nproc={info['nproc']} ({info['cpu']}), load {info['loadavg_at_start']}, "
        f"Python {info['python']}, discord.py {info['discord.py']}, aiohttp {info['aiohttp']}, "
        f"aiosqlite {info['aiosqlite']}, SQLite {info['sqlite']}, commit {info['git_commit']}"
    )


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of already sorted values (q in 0..100)."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), round(q / 100 * len(sorted_values) + 0.5)))
    return sorted_values[rank - 1]


def summarise(values: Iterable[float]) -> dict[str, float]:
    """n, mean, p50, p95, p99 and max of a sample."""
    ordered = sorted(values)
    if not ordered:
        return {"n": 0}
    return {
        "n": len(ordered),
        "mean": sum(ordered) / len(ordered),
        "p50": percentile(ordered, 50),
        "p95": percentile(ordered, 95),
        "p99": percentile(ordered, 99),
        "max": ordered[-1],
    }


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], title: str = "") -> str:
    """A plain-text table: first column left-aligned, the others right-aligned."""
    cells = [[str(h) for h in headers]] + [[_cell(v) for v in row] for row in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(headers))]

    def line(row: list[str]) -> str:
        out = [row[0].ljust(widths[0])]
        out += [value.rjust(width) for value, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    body = [line(cells[0]), rule, *(line(row) for row in cells[1:])]
    return "\n".join(([title] if title else []) + body)


def _cell(value: object) -> str:
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 10:
            return f"{value:.1f}"
        return f"{value:.2f}"
    return str(value)


def write_json(name: str, report: Report, info: dict[str, Any]) -> Path:
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "title": report.title,
        "machine": info,
        "method": report.method,
        "notes": report.notes,
        "seconds": round(report.seconds, 2),
        "results": report.data,
        "text": report.text(),
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n", encoding="utf-8")
    return path


# --- /proc readings of another process ---------------------------------------------------


def rss_kib(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of a process, in KiB, from /proc/<pid>/status."""
    found: dict[str, int] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = int(value.split()[0])
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used, from /proc/<pid>/stat."""
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()
    # After "pid (comm) ", field 3 (state) is index 0; utime and stime are fields 14, 15.
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def bench_env(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Environment for a child process: this repository importable, no stray .env."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    env.setdefault("PYTHONHASHSEED", "0")
    env.update(extra or {})
    return env


def python() -> str:
    return sys.executable


def now() -> float:
    return time.perf_counter()


def short_path(text: str) -> str:
    """File names in profiles, relative: the repository, site-packages, the stdlib."""
    stdlib = sysconfig.get_paths()["stdlib"]
    for prefix, label in ((str(ROOT) + "/", ""), (stdlib + "/", "stdlib/")):
        text = text.replace(prefix, label)
    return re.sub(r"\S*site-packages/", "", text)
