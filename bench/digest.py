"""Daily-digest fan-out: N servers all due at the same minute, one dispatcher tick.

`python -m bench.digest [--quick]` (or through `python -m bench`). The real BriefingBot
(real discord.py client, real store, real DigestDispatcher and Pacer) connects to the
loopback fake Discord in this process and event loop. N servers, each with one text
channel, exist before the bot connects, so they arrive in its cache with READY's
GUILD_CREATEs. Every server is subscribed through `store.set_digest` for the same UTC
minute (in four zones: UTC, Asia/Seoul, Europe/London, America/New_York, each at its
local time of that minute). The bot's clock (injected) is then moved to that minute and
one `dispatcher.tick()` is timed with perf_counter.

The fake answers like Discord's global limit: a sliding one-second window over every
REST call the bot makes; the 51st call inside any second gets a global 429
(`X-RateLimit-Global`, `retry_after`). Figures come from the fake's call log (`fake.calls`,
stamped with the loop's monotonic time as each request arrives): total calls, 429s, the
most calls in any one-second window (sliding, and in fixed windows from the first call),
and per-server delivery latency (from the start of the tick to the arrival of the
server's first page). The digest content is the standing summary (nothing changed since
the subscription), one page per server, so one POST per server.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import logging
import re
import tempfile
import time
from collections import Counter, deque
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import machine, machine_line, summarise, table
from bot.config import Config
from bot.core import BriefingBot
from bot.dates import zone as zone_info
from bot.models import Change
from bot.pacing import Pacer
from bot.schedule import local_day
from tests.fakediscord import FakeDiscord, pointed_at, run_client, stop_client
from tests.fakediscord.faults import FaultResponse, RouteLimit, too_many_requests

GLOBAL_LIMIT = 50  # requests per second, Discord's global limit for a bot
ZONES = ("UTC", "Asia/Seoul", "Europe/London", "America/New_York")
MESSAGES_ROUTE = "/channels/{channel_id}/messages"


class GlobalLimit(RouteLimit):
    """Every REST call counts against one sliding one-second window; over the limit the
    answer is a global 429. Calls under the limit get the fake's usual (generous)
    per-route headers, so discord.py is not told to slow down in advance."""

    def __init__(self, limit: int = GLOBAL_LIMIT, window: float = 1.0) -> None:
        super().__init__("*", re.compile(""), limit, window)
        self.recent: deque[float] = deque()
        self.refused = 0

    def check(self, path: str, now: float) -> tuple[dict[str, str], FaultResponse | None]:
        while self.recent and now - self.recent[0] >= self.window:
            self.recent.popleft()
        if len(self.recent) >= self.limit:
            self.refused += 1
            retry_after = max(self.window - (now - self.recent[0]), 0.001)
            return {}, too_many_requests(retry_after, is_global=True, limit=self.limit)
        self.recent.append(now)
        return {}, None


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def peak_sliding(times: list[float], window: float = 1.0) -> int:
    ordered = sorted(times)
    return max(
        (bisect.bisect_left(ordered, t + window) - i for i, t in enumerate(ordered)), default=0
    )


def peak_fixed(times: list[float], start: float, window: float = 1.0) -> int:
    counts = Counter(int((t - start) // window) for t in times)
    return max(counts.values(), default=0)


async def _wait_for(predicate, within: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + within
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out waiting for {what}")
        await asyncio.sleep(0.05)


async def _chatter(fake: FakeDiscord, channel: int, users: list[int], rate: float) -> int:
    """Users run `!sanctions` at `rate` per second (rotating users: the per-user cooldown
    is 5 in 10 s) until cancelled; returns how many were sent."""
    sent = 0
    with contextlib.suppress(asyncio.CancelledError):
        while True:
            await fake.send_message(channel, users[sent % len(users)], "!sanctions")
            sent += 1
            await asyncio.sleep(1 / rate)
    return sent


async def run_async(servers: int, chatter: float = 0.0) -> dict[str, Any]:
    """One fan-out of `servers`; with `chatter`, users also run that many commands per
    second in another server while it runs."""
    logging.getLogger("discord").setLevel(logging.CRITICAL)  # 429 retries, counted below
    logging.getLogger("bot.digests").setLevel(logging.CRITICAL)  # failures: TickReport
    workdir = Path(tempfile.mkdtemp(prefix="bench-digest-"))
    fake = FakeDiscord(heartbeat_interval_ms=30_000, interaction_timeout=None)
    await fake.start()
    channels: dict[int, int] = {}
    for n in range(servers):
        guild = fake.add_guild(name=f"Server {n}")
        channels[guild] = fake.add_channel(guild, name="digest")
    lobby = fake.add_guild(name="Lobby")
    lobby_channel = fake.add_channel(lobby, name="chat")
    lobby_users = [fake.add_member(lobby, f"user{n}") for n in range(40)]
    # A minute after the curated data's import stamp, so the digest is the standing
    # summary (nothing changed): one page per server.
    due = (datetime.now(UTC) + timedelta(days=1)).replace(second=0, microsecond=0)
    clock = Clock(due - timedelta(hours=1))
    config = Config(token="fake-token", api_base=fake.api_base, db_path=workdir / "store.sqlite3")
    bot = BriefingBot(config, clock=clock)
    bot.run_digests = False  # the benchmark runs the tick itself
    task = None
    try:
        with pointed_at(fake):
            started = time.perf_counter()
            task = await run_client(fake, bot, identify_timeout=60.0)
            await _wait_for(lambda: len(bot.guilds) > servers, 60.0, "the guilds in cache")
            connect_s = time.perf_counter() - started
            store = bot.store
            started = time.perf_counter()
            for n, (guild, channel) in enumerate(channels.items()):
                zone = ZONES[n % len(ZONES)]
                local = due.astimezone(zone_info(zone)[1]).time()
                change = Change(actor_id=fake.owner_id, guild_id=guild, at=clock.now)
                await store.set_digest(guild, channel, local, zone, change)
            subscribe_s = time.perf_counter() - started
            cog = bot.get_cog("Digest")
            assert cog is not None
            dispatcher = cog.dispatcher  # type: ignore[attr-defined]
            pacer: Pacer = dispatcher.pacer
            limit = GlobalLimit()
            fake.faults.add_limit(limit)
            fake.calls.clear()
            clock.now = due
            loop = asyncio.get_running_loop()
            t0 = loop.time()
            talk = (
                asyncio.create_task(_chatter(fake, lobby_channel, lobby_users, chatter))
                if chatter
                else None
            )
            started = time.perf_counter()
            report = await dispatcher.tick()
            tick_s = time.perf_counter() - started
            commands = 0
            if talk is not None:
                talk.cancel()
                commands = await talk
            calls = list(fake.calls)
            await asyncio.sleep(0.2)  # let the last MESSAGE_CREATE echoes settle
    finally:
        await stop_client(bot, task)
        await fake.stop()

    times = [c.time for c in calls]
    accepted = [c.time for c in calls if c.status != 429]
    lobby_path = f"/channels/{lobby_channel}/messages"
    posts = [
        c
        for c in calls
        if c.method == "POST" and c.route == MESSAGES_ROUTE and c.path != lobby_path
    ]
    answers = [c for c in calls if c.path == lobby_path]
    ok_posts = [c for c in posts if c.status == 200]
    first_page: dict[str, float] = {}
    for c in ok_posts:
        first_page.setdefault(c.path, c.time - t0)
    latencies = sorted(first_page.values())
    per_channel = Counter(c.path for c in ok_posts)
    days = {local_day(due, zone) for zone in ZONES}
    return {
        "servers": servers,
        "chatter_per_s": chatter,
        "commands_sent": commands,
        "answers_ok": sum(1 for c in answers if c.status == 200),
        "answers_429": sum(1 for c in answers if c.status == 429),
        "due_utc": due.isoformat(),
        "local_days": sorted(d.isoformat() for d in days),
        "connect_s": connect_s,
        "subscribe_s": subscribe_s,
        "tick_s": tick_s,
        "sent": len(report.sent),
        "failed": len(report.failed),
        "skipped": len(report.skipped),
        "disabled": len(report.disabled),
        "rest_calls": len(calls),
        "posts_ok": len(ok_posts),
        "posts_429": sum(1 for c in posts if c.status == 429),
        "pages_per_digest": (len(ok_posts) / len(per_channel)) if per_channel else 0.0,
        "channels_with_digest": len(per_channel),
        "http_429": sum(1 for c in calls if c.status == 429),
        "refused_by_limiter": limit.refused,
        "peak_1s_sliding": peak_sliding(times),
        "peak_1s_sliding_accepted": peak_sliding(accepted),
        "peak_1s_fixed": peak_fixed(times, times[0]) if times else 0,
        "mean_rate": (len(calls) / (times[-1] - times[0])) if len(times) > 1 else 0.0,
        "deliveries_per_s": len(report.sent) / tick_s if tick_s else 0.0,
        "latency_s": summarise(latencies),
        "pacer": {"rate": pacer.rate, "burst": pacer.burst},
        "concurrency": dispatcher.slots._value,  # the semaphore's size
        "statuses": dict(Counter(c.status for c in calls)),
    }


CHATTER = 10.0  # commands per second from users during the second run


def run(quick: bool) -> dict[str, Any]:
    """Run the benchmark (200 servers with `quick`, else 1,000): the fan-out alone, then
    again while users run CHATTER commands per second elsewhere. Returns the figures."""
    info = machine()
    servers = 200 if quick else 1000
    alone = asyncio.run(run_async(servers))
    busy = asyncio.run(run_async(servers, CHATTER))
    return {"machine": info, "servers": servers, "runs": {"alone": alone, "with_commands": busy}}


METHOD = [
    "in-process: the real BriefingBot (discord.py client, store, DigestDispatcher, Pacer) "
    "against the loopback fake Discord in the same event loop, over 127.0.0.1",
    "N servers with one channel each, created before the bot connects (in its cache from "
    "READY); every server subscribed via store.set_digest for the same UTC minute, in four "
    "zones (UTC, Asia/Seoul, Europe/London, America/New_York) at each one's local time",
    "the injected clock is moved to that minute; one dispatcher.tick() timed with "
    "perf_counter; content = standing summary (nothing changed), 1 page per server",
    f"the fake enforces a global limit of {GLOBAL_LIMIT} requests per sliding second "
    "(global 429 above it); peak rate = most REST calls whose arrival (fake's loop time) "
    "falls in any 1-second window",
    "latency = tick start to the arrival of a server's first page at the fake",
    f"second run: the same, while users run `!sanctions` at {CHATTER:.0f}/s in another "
    "server (each answer is one more REST call, not paced by the digest Pacer)",
]


def _rows(data: dict[str, Any]) -> list[tuple[str, object]]:
    lat = data["latency_s"]
    return [
        ("servers due at the same minute", data["servers"]),
        (
            "digests sent / failed / skipped / disabled",
            f"{data['sent']} / {data['failed']} / {data['skipped']} / {data['disabled']}",
        ),
        ("tick (total delivery time), s", data["tick_s"]),
        ("deliveries per second", data["deliveries_per_s"]),
        ("pages per digest", data["pages_per_digest"]),
        ("REST calls arriving during the tick", data["rest_calls"]),
        ("  digest POSTs accepted / 429", f"{data['posts_ok']} / {data['posts_429']}"),
        (
            "  commands run; answers accepted / 429",
            f"{data['commands_sent']}; {data['answers_ok']} / {data['answers_429']}",
        ),
        ("429 answers, all calls", data["http_429"]),
        ("peak calls in any 1 s (sliding)", data["peak_1s_sliding"]),
        ("peak accepted calls in any 1 s", data["peak_1s_sliding_accepted"]),
        ("peak calls in a fixed 1 s window", data["peak_1s_fixed"]),
        ("mean call rate, per s", data["mean_rate"]),
        (
            "first page latency p50 / p95 / max, s",
            f"{lat.get('p50', 0):.2f} / {lat.get('p95', 0):.2f} / {lat.get('max', 0):.2f}",
        ),
        (
            "pacer rate / burst; send concurrency",
            f"{data['pacer']['rate']:.0f}/s / {data['pacer']['burst']}; {data['concurrency']}",
        ),
        ("bot connect (N guilds), s", data["connect_s"]),
        ("subscribing N servers, s", data["subscribe_s"]),
    ]


def render(data: dict[str, Any]) -> str:
    alone, busy = data["runs"]["alone"], data["runs"]["with_commands"]
    rows = [
        (label, value, other)
        for (label, value), (_, other) in zip(_rows(alone), _rows(busy), strict=True)
    ]
    lines = [
        "== Daily digest fan-out ==",
        "",
        "Method:",
        *[f"  - {line}" for line in METHOD],
        "",
        table(["figure", "digests alone", f"+ {CHATTER:.0f} commands/s"], rows),
        "",
        machine_line(data["machine"]),
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 servers instead of 1,000")
    args = parser.parse_args(argv)
    data = run(args.quick)
    print(render(data))
    alone = data["runs"]["alone"]
    ok = alone["sent"] == alone["servers"] and alone["http_429"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
