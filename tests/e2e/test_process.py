"""The README's run command, as a real process: connects with a token, answers, logs
without the token, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import signal
from pathlib import Path

from tests.e2e.conftest import MANAGE_MESSAGES, embed_text, start_bot_process
from tests.fakediscord import FakeDiscord
from tests.web.site import Site

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "MTIzNDU2Nzg5.secret-token-value.do-not-log"


async def test_run_command_answers_and_stops_cleanly_on_sigterm(tmp_path: Path) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        guild = fake.add_guild(name="Alpha")
        channel = fake.add_channel(guild)
        alice = fake.add_member(guild, "alice")
        log_path = tmp_path / "bot.log"
        process = await start_bot_process(
            fake, tmp_path / "store.sqlite3", log_path, TOKEN, log_level="DEBUG"
        )
        try:
            await fake.wait_identified(timeout=30)
            await fake.send_message(channel, alice, "!who putin")
            reply = await fake.wait_for_message(channel, timeout=15)
            assert reply["embeds"][0]["title"] == "Vladimir Putin"
            assert "S1 · Apr 2019 · /sources" in embed_text(reply)
        finally:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), timeout=30)
        log = log_path.read_text()
        assert process.returncode == 0, log
        assert TOKEN not in log
        assert "shutting down" in log
        assert fake.calls_to("GET", r"^/gateway/bot$"), "the gateway URL is discovered via REST"


async def test_the_fetch_allowlist_reaches_the_running_bot(tmp_path: Path) -> None:
    """BRIEFING_FETCH_ALLOW, set as an operator would, lets the bot process fetch from
    the local site; anything else on loopback stays refused."""
    site = await Site().start()
    try:
        async with FakeDiscord(token=TOKEN) as fake:
            guild = fake.add_guild(name="Alpha")
            channel = fake.add_channel(guild)
            mods = fake.add_role(guild, "Mods", permissions=MANAGE_MESSAGES)
            mod = fake.add_member(guild, "mod", roles=[mods])
            log_path = tmp_path / "bot.log"
            process = await start_bot_process(
                fake,
                tmp_path / "store.sqlite3",
                log_path,
                TOKEN,
                extra_env={"BRIEFING_FETCH_ALLOW": site.allow},
            )
            try:
                await fake.wait_identified(timeout=30)
                url = site.url("/world/koreas-hotline")
                await fake.send_message(channel, mod, f"!source add url: {url}")
                reply = await fake.wait_for_message(channel, timeout=30)
                assert "Author: Min-ji Park" in embed_text(reply)
                other = f"http://127.0.0.1:{site.port + 1}/"
                await fake.send_message(channel, mod, f"!source add url: {other}")
                refused = await fake.wait_for_message(channel, timeout=30)
                assert "it is a loopback address" in embed_text(refused)
            finally:
                process.send_signal(signal.SIGTERM)
                await asyncio.wait_for(process.wait(), timeout=30)
            assert process.returncode == 0, log_path.read_text()
    finally:
        await site.stop()


async def test_an_ungranted_message_content_intent_ends_the_bot_saying_what_to_do(
    tmp_path: Path,
) -> None:
    async with FakeDiscord(token=TOKEN) as fake:
        fake.add_guild(name="Alpha")
        fake.disallowed_intents = 1 << 15  # MESSAGE_CONTENT not granted in the portal
        log_path = tmp_path / "bot.log"
        process = await start_bot_process(fake, tmp_path / "store.sqlite3", log_path, TOKEN)
        try:
            await asyncio.wait_for(process.wait(), timeout=30)
        finally:
            if process.returncode is None:
                process.kill()
                await process.wait()
    log = log_path.read_text()
    assert process.returncode == 1, log[-2000:]
    assert "set BRIEFING_MESSAGE_COMMANDS=off" in log, log[-2000:]
