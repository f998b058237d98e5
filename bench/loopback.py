"""Driving a bot process through the loopback fake Discord (tests/fakediscord).

The fake runs in this (the driver's) process and event loop; each bot runs in its own
process, as it would in production, and connects to the fake over 127.0.0.1 (REST and
gateway). That keeps the bot's CPU apart from the fake's, so /proc tells how much CPU
the bot spent per command, and the 2-core box gives the fake one core and the bot the
other.

Latency is measured with the fake's own clock (the driver loop's monotonic time): from
just before the fake dispatches the gateway event (MESSAGE_CREATE, or INTERACTION_CREATE
whose `created_at` the fake stamps) to the moment the fake's REST handler records the
bot's visible reply (channel message, or interaction callback / followup / edit).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import os
import signal
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench import bench_env, cpu_seconds, python, rss_kib
from tests.fakediscord import FakeDiscord, MessageLog, botmessages
from tests.fakediscord.payloads import FLAG_LOADING

REPLY_TIMEOUT = 30.0
PR_SET_PDEATHSIG = 1


@dataclass(frozen=True)
class Action:
    """One command as a user sends it: `!who kim` typed, or `/who name:kim` invoked."""

    label: str
    text: str = ""  # prefix form
    slash: str = ""  # slash command name
    options: dict[str, Any] = field(default_factory=dict)


ACTIONS = {
    "!who kim": Action("!who kim", text="!who kim"),
    "/who name:kim": Action("/who name:kim", slash="who", options={"name": "kim"}),
    "!sanctions": Action("!sanctions", text="!sanctions"),
    "!search sanctions": Action("!search sanctions", text="!search sanctions"),
}


class ReplyLog(MessageLog):
    """A MessageLog that keeps nothing: it hands the next visible bot message in a
    channel to the one command waiting there (one command in flight per channel)."""

    def __init__(self) -> None:
        super().__init__()
        self.pending: dict[int, asyncio.Future[tuple[float, bool]]] = {}
        self.unexpected = 0
        self.samples: dict[str, dict[str, Any]] = {}
        self.sample_next: str | None = None

    def record(self, entry: dict[str, Any]) -> None:
        if entry["op"] == "delete" or entry["flags"] & FLAG_LOADING:
            return
        future = self.pending.pop(entry["channel_id"], None)
        if future is None or future.done():
            self.unexpected += 1
            return
        embeds = entry.get("embeds") or []
        ok = bool(embeds) and bool(embeds[0].get("title"))
        if self.sample_next is not None:
            self.samples[self.sample_next] = entry
            self.sample_next = None
        future.set_result((entry["time"], ok))


@dataclass
class World:
    fake: FakeDiscord
    log: ReplyLog
    guild: int
    channels: list[int]
    users: list[int]
    # Each command from the next member in turn, over the world's whole life (warm-up,
    # rounds, profile): see RotatingUsers.
    askers: RotatingUsers = field(init=False)

    def __post_init__(self) -> None:
        self.askers = RotatingUsers(self.users)


def _light_record(
    fake: FakeDiscord,
    op: str,
    source: str,
    message: dict[str, Any],
    body: dict[str, Any] | None,
    files: Sequence[Any] = (),
    interaction: Any = None,
) -> dict[str, Any]:
    """The fake's message-log entry without its deep copies (what ReplyLog reads): the
    fake is the measuring instrument here, and copying every reply cost it more CPU
    per command than the bot spent answering."""
    flags = int(message.get("flags") or 0)
    entry: dict[str, Any] = {
        "op": op,
        "source": source,
        "id": int(message["id"]),
        "channel_id": int(message["channel_id"]),
        "embeds": message.get("embeds") or [],
        "components": message.get("components") or [],
        "flags": flags,
        "payload": body,
        "time": asyncio.get_running_loop().time(),
    }
    fake.log.record(entry)
    if interaction is not None:
        interaction.add_entry(entry)
    return entry


_resolve_attachment_urls = botmessages.resolve_attachment_urls


def _light_resolve(embeds: list[Any], attachments: list[Any]) -> list[Any]:
    return _resolve_attachment_urls(embeds, attachments) if attachments else embeds


def lighten_fake() -> None:
    """In this (the driver's) process only: the fake keeps no deep copies of replies."""
    botmessages.record = _light_record  # type: ignore[assignment]
    botmessages.resolve_attachment_urls = _light_resolve


async def start_world(channels: int, users: int) -> World:
    """A started fake with one guild, `channels` text channels and `users` members."""
    lighten_fake()
    fake = FakeDiscord(interaction_timeout=None, resume_buffer=256)
    log = ReplyLog()
    fake.log = log
    await fake.start()
    guild = fake.add_guild(name="Bench")
    channel_ids = [fake.add_channel(guild, name=f"bench-{i}") for i in range(channels)]
    user_ids = [fake.add_member(guild, f"member{i}") for i in range(users)]
    # The world's members and channels live as long as the run: keep them out of the
    # driver's full garbage collections (whose pauses would stall the fake).
    gc.collect()
    gc.freeze()
    return World(fake, log, guild, channel_ids, user_ids)


def prune(fake: FakeDiscord) -> None:
    """Forget what the fake recorded (calls, messages, interactions) between runs, so its
    bookkeeping does not grow with the number of commands sent."""
    fake.calls.clear()
    fake.interactions.by_id.clear()
    fake.interactions.by_token.clear()
    fake.state.messages.clear()
    fake.state.channel_messages.clear()
    fake._ephemeral.clear()


def _die_with_parent() -> None:
    """In the child, before exec: get SIGKILL if the driver dies (Linux prctl), so a
    crashed benchmark never leaves bots behind."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)


class BotProcess:
    """A bot in a child process (`argv`), pointed at a fake through the environment."""

    def __init__(self, name: str, argv: Sequence[str], env: dict[str, str], workdir: Path):
        self.name = name
        self.argv = list(argv)
        self.env = env
        self.workdir = workdir
        self.stderr_path = workdir / f"{name}.stderr.log"
        self.proc: asyncio.subprocess.Process | None = None
        self.started_at = 0.0

    @classmethod
    def module(
        cls, name: str, module_args: Sequence[str], fake: FakeDiscord, workdir: Path, **env: str
    ) -> BotProcess:
        extra = {
            "DISCORD_TOKEN": "fake-token",
            "DISCORD_API_BASE": fake.api_base,
            "BRIEFING_LOG_LEVEL": "WARNING",
            **env,
        }
        extra.pop("DISCORD_GATEWAY_URL", None)
        environ = bench_env(extra)
        environ.pop("DISCORD_GATEWAY_URL", None)
        return cls(name, [python(), "-m", *module_args], environ, workdir)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def start(self) -> float:
        """Spawn; returns the loop time just before the spawn."""
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.started_at = asyncio.get_running_loop().time()
        with self.stderr_path.open("wb") as stderr:
            self.proc = await asyncio.create_subprocess_exec(
                *self.argv,
                env=self.env,
                cwd=self.workdir,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.DEVNULL,
                stderr=stderr,
                preexec_fn=_die_with_parent,
            )
        return self.started_at

    def stderr_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.stderr_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def alive(self) -> bool:
        return self.proc is not None and self.proc.returncode is None

    def rss(self) -> dict[str, int]:
        return rss_kib(self.pid)

    def cpu(self) -> float:
        return cpu_seconds(self.pid)

    def signal(self, signum: int) -> None:
        if self.alive():
            os.kill(self.pid, signum)

    async def stop(self, grace: float = 20.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), grace)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        return self.proc.returncode


async def wait_connected(
    world: World, bot: BotProcess, limit: float = 60.0, *, synced: bool = True
) -> float:
    """Wait until the bot IDENTIFYs with the fake and (with `synced`) its slash commands
    are synced; returns the loop time of the IDENTIFY (as seen by the fake)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while world.fake.gateway.identify_count < 1:
        if not bot.alive():
            raise RuntimeError(f"{bot.name} exited early:\n{bot.stderr_tail()}")
        if loop.time() > deadline:
            raise TimeoutError(f"{bot.name} did not connect:\n{bot.stderr_tail()}")
        await asyncio.sleep(0.005)
    identified = loop.time()
    while synced and not world.fake.registered_commands.get(None):
        if loop.time() > deadline:
            raise TimeoutError(f"{bot.name} did not sync commands:\n{bot.stderr_tail()}")
        await asyncio.sleep(0.01)
    return identified


@dataclass
class Run:
    """One closed-loop load run: `n` commands over `concurrency` channels."""

    action: str
    bot: str
    n: int
    concurrency: int
    wall: float
    latencies: list[float]
    errors: int
    timeouts: int
    bot_cpu: float
    driver_cpu: float

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.wall if self.wall else 0.0


UserPicker = Callable[[int, int], int]


def fixed_users(world: World) -> UserPicker:
    """Lane i always speaks as user i (one member per channel)."""
    return lambda lane, _count: world.users[lane]


class RotatingUsers:
    """Each command from the next user in turn, across runs: with at least n/5 users no
    user sends more than 5 commands in n, so the real per-user cooldown (5 per 10 s)
    never fires."""

    def __init__(self, users: Sequence[int]) -> None:
        self.users = list(users)
        self.sent = 0

    def __call__(self, _lane: int, _count: int) -> int:
        user = self.users[self.sent % len(self.users)]
        self.sent += 1
        return user


async def drive(
    world: World,
    bot: BotProcess,
    actions: Sequence[Action],
    n: int,
    concurrency: int,
    pick_user: UserPicker,
    *,
    label: str | None = None,
    sample: str | None = None,
) -> Run:
    """Send `n` commands, `concurrency` at a time (one channel per lane, each lane waits
    for its reply before sending the next), cycling through `actions`."""
    fake, log = world.fake, world.log
    loop = asyncio.get_running_loop()
    issued = 0
    latencies: list[float] = []
    errors = timeouts = 0

    async def lane(index: int) -> None:
        nonlocal issued, errors, timeouts
        channel = world.channels[index]
        while issued < n:
            count = issued
            issued += 1
            action = actions[count % len(actions)]
            user = pick_user(index, count)
            future: asyncio.Future[tuple[float, bool]] = loop.create_future()
            log.pending[channel] = future
            if sample is not None and count == 0:
                log.sample_next = sample
            if action.slash:
                inter = await fake.invoke_slash(channel, user, action.slash, action.options)
                started = inter.created_at
            else:
                started = loop.time()
                await fake.send_message(channel, user, action.text)
            try:
                replied, ok = await asyncio.wait_for(future, REPLY_TIMEOUT)
            except TimeoutError:
                timeouts += 1
                log.pending.pop(channel, None)
                continue
            latencies.append(replied - started)
            errors += not ok

    cpu_before = bot.cpu()
    driver_before = os.times()
    began = loop.time()
    await asyncio.gather(*(lane(i) for i in range(concurrency)))
    wall = loop.time() - began
    driver_after = os.times()
    bot_cpu = bot.cpu() - cpu_before
    prune(fake)
    return Run(
        action=label or " + ".join(a.label for a in actions),
        bot=bot.name,
        n=n,
        concurrency=concurrency,
        wall=wall,
        latencies=latencies,
        errors=errors,
        timeouts=timeouts,
        bot_cpu=bot_cpu,
        driver_cpu=(driver_after.user + driver_after.system)
        - (driver_before.user + driver_before.system),
    )


@contextlib.asynccontextmanager
async def stopping(*bots: BotProcess):
    try:
        yield
    finally:
        for bot in bots:
            with contextlib.suppress(ProcessLookupError):
                await bot.stop()
