"""The first answer after connecting is as quick as the next: nothing the bot could
have loaded at start is loaded on the event loop by the first question."""

from __future__ import annotations

from pathlib import Path

from bot import dates
from bot.build import build
from bot.config import Config
from bot.core import BriefingBot
from bot.store import Store
from tests.e2e.conftest import MutableClock, embed_text
from tests.fakediscord import FakeDiscord, pointed_at, run_client, stop_client


async def test_the_zone_database_is_read_at_start_not_by_the_first_answer(
    tmp_path: Path,
) -> None:
    """Listing the zone names reads dateutil's bundled database (~0.1-0.2 s of CPU);
    `!who kim` shows meetings in their zones, so the first one did it on the loop. The
    store is built beforehand (as after the first start), so the start builds nothing."""
    built = await Store.open(tmp_path / "s.sqlite3")
    await build(built)
    await built.close()
    dates.known_zones.cache_clear()
    async with FakeDiscord() as fake:
        guild = fake.add_guild(name="Alpha")
        channel = fake.add_channel(guild, name="briefing")
        member = fake.add_member(guild, "alice")
        config = Config(token="t", api_base=fake.api_base, db_path=tmp_path / "s.sqlite3")
        with pointed_at(fake):
            bot = BriefingBot(config, clock=MutableClock())
            task = await run_client(fake, bot)
            try:
                assert dates.known_zones.cache_info().currsize == 1  # read before connecting
                await fake.send_message(channel, member, "!who kim")
                reply = await fake.wait_for_message(channel, timeout=10)
                assert "Kim Jong Un" in embed_text(reply)
            finally:
                await stop_client(bot, task)
