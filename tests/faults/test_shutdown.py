"""SIGTERM ends the bot within 5 seconds, whatever the Discord connection is doing.

Service managers wait 10 s before SIGKILL. Seen before: with Discord unreachable the bot
logged "signal received; shutting down" and then slept through discord.py's reconnect
backoff (up to 14 s, and minutes as the backoff grows) before it exited. Each state is
run as a real process (`python -m bot`) against the fake Discord: connected; connected
with a reply stalled; reconnecting (the fake stopped, the backoff long); never connected
(a gateway, or a REST address, that accepts TCP and never answers); the whole process
group signalled, the parent shell going first; and SIGHUP. A refused first gateway
connection, which discord.py gives up on, ends the bot promptly with a clear line.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.fakediscord import FakeDiscord
from tests.faults.conftest import ROOT, TOKEN, populate, stop_process, wait_until

BUDGET = 5.0  # seconds from SIGTERM to the process gone


def bot_env(fake: FakeDiscord, db: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    return env | {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": fake.api_base,
        "BRIEFING_DB": str(db),
        "BRIEFING_LOG_LEVEL": "INFO",
        **extra,
    }


async def start(fake: FakeDiscord, tmp_path: Path, **extra: str) -> asyncio.subprocess.Process:
    log = tmp_path / "bot.log"
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=bot_env(fake, tmp_path / "store.sqlite3", **extra),
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("ab"),
    )


def log_of(tmp_path: Path) -> str:
    path = tmp_path / "bot.log"
    return path.read_text(errors="replace") if path.exists() else ""


async def wait_for_log(tmp_path: Path, text: str, timeout: float) -> None:
    await wait_until(lambda: text in log_of(tmp_path), timeout, f"{text!r} in the log", 0.05)


# discord.py says "for shard ID n" since the bot is an AutoShardedBot.
BACKOFF = re.compile(r"Attempting a reconnect (?:for shard ID \d+ )?in (\d+\.\d+)s")


async def wait_for_long_backoff(tmp_path: Path, at_least: float = BUDGET + 1) -> None:
    """Until discord.py has just gone to sleep for `at_least` seconds before its next
    reconnect attempt (its backoff is random and doubles: 2, 4, 8, 16 s at most...), so
    a bot that waits for the backoff to end cannot pass."""

    def sleeping_long() -> bool:
        delays = BACKOFF.findall(log_of(tmp_path))
        return bool(delays) and float(delays[-1]) >= at_least

    await wait_until(sleeping_long, 90, f"a reconnect backoff of {at_least}s or more", 0.02)


async def sigterm_and_time(process: asyncio.subprocess.Process) -> float:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout=BUDGET + 10)
    finally:
        await stop_process(process)
    return time.monotonic() - started


def assert_clean_exit(process: asyncio.subprocess.Process, took: float, tmp_path: Path) -> None:
    log = log_of(tmp_path)
    assert took < BUDGET, f"took {took:.1f}s to exit after SIGTERM\n{log[-3000:]}"
    assert process.returncode == 0, log[-3000:]
    assert "signal received; shutting down" in log
    assert TOKEN not in log


class SilentServer:
    """Accepts TCP connections and never answers: a Discord that packets reach but
    nothing comes back from."""

    def __init__(self) -> None:
        self.connections = 0
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> SilentServer:
        self._server = await asyncio.start_server(self._hold, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None
        self._server.close()

    @property
    def port(self) -> int:
        assert self._server is not None
        return self._server.sockets[0].getsockname()[1]

    async def _hold(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        await reader.read()  # until the client gives up
        writer.close()


def refused_address() -> str:
    """A gateway address where nothing listens: every connection is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"ws://127.0.0.1:{port}/gateway"


# --- the states -------------------------------------------------------------------------------


async def test_sigterm_while_connected(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        populate(fake)
        process = await start(fake, tmp_path)
        try:
            await fake.wait_identified(timeout=30)
            await wait_for_log(tmp_path, "connected as", timeout=10)
        finally:
            took = await sigterm_and_time(process)
    assert_clean_exit(process, took, tmp_path)


async def test_sigterm_while_reconnecting(tmp_path: Path) -> None:
    fake = await FakeDiscord(token=TOKEN).start()
    try:
        populate(fake)
        process = await start(fake, tmp_path)
        try:
            await fake.wait_identified(timeout=30)
            await wait_for_log(tmp_path, "connected as", timeout=10)
            await fake.stop()  # Discord gone: the gateway drops and refuses reconnects
            await wait_for_long_backoff(tmp_path)
        finally:
            took = await sigterm_and_time(process)
    finally:
        await fake.stop()
    assert_clean_exit(process, took, tmp_path)


@pytest.mark.parametrize("silent", ["gateway", "rest"])
async def test_sigterm_when_discord_was_never_reached(tmp_path: Path, silent: str) -> None:
    """Discord's address answers nothing: the bot is waiting on the gateway's handshake
    (after logging in over REST), or on the login itself."""
    async with SilentServer() as server, FakeDiscord(token=TOKEN) as fake:
        populate(fake)
        if silent == "gateway":
            extra = {"DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{server.port}/gateway"}
        else:
            extra = {"DISCORD_API_BASE": f"http://127.0.0.1:{server.port}/api/v10"}
        process = await start(fake, tmp_path, **extra)
        try:
            await wait_until(lambda: server.connections > 0, 30, "the bot to try Discord")
            await asyncio.sleep(0.5)  # and wait on it
            assert fake.gateway.identify_count == 0
        finally:
            took = await sigterm_and_time(process)
    assert_clean_exit(process, took, tmp_path)


async def test_a_gateway_refusing_the_first_connection_ends_the_bot_clearly(
    tmp_path: Path,
) -> None:
    """discord.py gives up when its very first gateway connection fails (it then trips
    over the session it never had): the bot exits 1 promptly, saying what it could not
    reach, rather than with discord.py's AttributeError."""
    async with FakeDiscord(token=TOKEN) as fake:
        populate(fake)
        url = refused_address()
        process = await start(fake, tmp_path, DISCORD_GATEWAY_URL=url)
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            await stop_process(process)
    log = log_of(tmp_path)
    assert process.returncode == 1, log[-3000:]
    assert f"could not connect to Discord's gateway at {url}: " in log, log[-3000:]
    assert "NoneType" not in log, log[-3000:]


async def test_sigterm_with_a_command_still_running(tmp_path: Path) -> None:
    """A running command gets a grace period to answer, but not past the budget: a
    reply that cannot be sent (REST stalled) does not hold the exit up."""
    async with FakeDiscord(token=TOKEN) as fake:
        server = populate(fake)
        process = await start(fake, tmp_path)
        try:
            await fake.wait_identified(timeout=30)
            await wait_for_log(tmp_path, "connected as", timeout=10)
            fake.fail_next("POST", r"^/channels/\d+/messages$", delay=BUDGET + 3)
            await fake.send_message(server.channel, server.alice, "!who kim")
            await wait_until(
                lambda: bool(fake.calls_to("POST", r"^/channels/\d+/messages$")),
                10,
                "the reply to be on its way",
            )
        finally:
            took = await sigterm_and_time(process)
    assert_clean_exit(process, took, tmp_path)


async def test_sighup_when_the_terminal_goes_is_a_clean_shutdown(tmp_path: Path) -> None:
    """A bot started from a terminal that is then closed gets SIGHUP: it shuts down as
    for SIGTERM (its answers finish, the store is closed), not killed mid-write."""
    async with FakeDiscord(token=TOKEN) as fake:
        populate(fake)
        process = await start(fake, tmp_path)
        try:
            await fake.wait_identified(timeout=30)
            await wait_for_log(tmp_path, "connected as", timeout=10)
            started = time.monotonic()
            process.send_signal(signal.SIGHUP)
            await asyncio.wait_for(process.wait(), timeout=BUDGET + 10)
            took = time.monotonic() - started
        finally:
            await stop_process(process)
    assert_clean_exit(process, took, tmp_path)


# --- the process group ------------------------------------------------------------------------


def gone(pid: int) -> bool:
    """Whether the process has exited (a zombie nobody reaped counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "Z"
    except FileNotFoundError:
        return True


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("discord", ["connected", "unreachable"])
async def test_sigterm_to_the_process_group_with_the_parent_shell(
    tmp_path: Path, discord: str
) -> None:
    """`sh -c 'python -m bot & wait'` in its own group, the group signalled: the shell
    goes at once, and the bot, now an orphan, still exits within the budget."""
    pidfile = tmp_path / "bot.pid"
    fake = await FakeDiscord(token=TOKEN).start()
    try:
        populate(fake)
        script = (
            f'"{sys.executable}" -m bot 2>>"{tmp_path / "bot.log"}" & echo $! >"{pidfile}"; wait'
        )
        shell = await asyncio.create_subprocess_exec(
            "/bin/sh",
            "-c",
            script,
            cwd=ROOT,
            env=bot_env(fake, tmp_path / "store.sqlite3"),
            stdin=asyncio.subprocess.DEVNULL,
            start_new_session=True,
        )
        try:
            await wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 10, "pid")
            pid = int(pidfile.read_text())
            await fake.wait_identified(timeout=30)
            await wait_for_log(tmp_path, "connected as", timeout=10)
            if discord == "unreachable":
                await fake.stop()
                await wait_for_long_backoff(tmp_path)
            started = time.monotonic()
            os.killpg(shell.pid, signal.SIGTERM)
            await asyncio.wait_for(shell.wait(), timeout=5)
            try:
                await wait_until(lambda: gone(pid), BUDGET + 10, "the bot to exit", 0.02)
            finally:
                if not gone(pid):
                    os.kill(pid, signal.SIGKILL)
            took = time.monotonic() - started
        finally:
            await stop_process(shell)
    finally:
        await fake.stop()
    log = log_of(tmp_path)
    assert took < BUDGET, f"took {took:.1f}s to exit after SIGTERM\n{log[-3000:]}"
    assert "signal received; shutting down" in log
    assert "Traceback" not in log.split("signal received; shutting down", 1)[1], log[-3000:]


def test_the_watchdog_ends_a_shutdown_that_hangs() -> None:
    """The last resort: a non-daemon thread that never ends (as an unclosed aiosqlite
    connection's) would keep the interpreter from exiting; the watchdog exits anyway."""
    script = (
        "import threading, time\n"
        "from bot import logs\n"
        "from bot.core import _watchdog\n"
        "logs.setup('INFO')\n"
        "_watchdog(0.3)\n"
        "threading.Thread(target=time.sleep, args=(60,)).start()\n"
    )
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert time.monotonic() - started < BUDGET
    assert result.returncode == 1
    assert "shutdown took longer than 0.3 s; exiting now" in result.stderr
