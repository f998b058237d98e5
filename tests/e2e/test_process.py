"""The README's run command, as a real process: connects with a token, answers, logs
without the token, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.e2e.conftest import embed_text
from tests.fakediscord import FakeDiscord

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5.secret-token-value.do-not-log"


async def _start_bot(fake: FakeDiscord, db: Path, log: Path) -> asyncio.subprocess.Process:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "BRIEFING_"))}
    env |= {
        "DISCORD_TOKEN": TOKEN,
        "DISCORD_API_BASE": fake.api_base,
        "BRIEFING_DB": str(db),
        "BRIEFING_LOG_LEVEL": "DEBUG",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        cwd=ROOT,
        env=env,
        # A file, not a pipe: a debug log would fill a pipe nobody reads yet and stall the bot.
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=log.open("wb"),
    )


async def test_run_command_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        guild = fake.add_guild(name="Alpha")
        channel = fake.add_channel(guild)
        alice = fake.add_member(guild, "alice")
        log_path = tmp_path / "bot.log"
        process = await _start_bot(fake, tmp_path / "store.sqlite3", log_path)
        try:
            await fake.wait_identified(timeout=30)
            await fake.send_message(channel, alice, "!who putin")
            reply = await fake.wait_for_message(channel, timeout=15)
            assert reply["embeds"][0]["title"] == "Vladimir Putin"
            assert "Sources: S1" in embed_text(reply)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        log = log_path.read_text()
        assert process.returncode == 0, log
        assert TOKEN not in log
        assert "shutting down" in log
        assert fake.calls_to("GET", r"^/gateway/bot$"), "the gateway URL is discovered via REST"
