"""Impossible meeting dates (issue 9, Medium 8): refused at input, end to end; and a
bad row already in the store (planted directly, as another version or a hand edit
could leave it) never breaks `timeline`, `next-meeting`, `who` or a digest, in its own
server or, for a shared row, in every server. The row is left out and logged with an
error id; the answer shows the rest."""

from __future__ import annotations

import logging
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot import cache
from bot.digests import DigestDispatcher
from tests.conftest import FIXED_NOW
from tests.faults.conftest import QUOTE, World, embed_text, stored_state

MEETING = (
    "!meeting add title: {title} when: {when} where: Seoul participants: Kim Jong Un "
    f"source: 1 quote: {QUOTE} status: held"
)
BROKEN = ("Something went wrong", "error id")


def assert_clear(reply: dict) -> str:
    text = embed_text(reply)
    assert not any(marker in text for marker in BROKEN), text[:400]
    return text


@pytest.mark.parametrize(
    "when", ["Dec 31 9999", "9999-12-31 10:00 Asia/Seoul", "0001-01-01", "2101-01-01", "1899-12-31"]
)
async def test_a_meeting_outside_1900_to_2100_is_refused_and_not_stored(
    world: World, when: str
) -> None:
    before = await stored_state(world)
    reply = await world.ask(MEETING.format(title="Far talks", when=when), user=world.mod)
    text = assert_clear(reply)
    assert "between 1900 and 2100" in text, text
    assert await stored_state(world) == before


async def test_editing_a_meeting_to_the_year_9999_is_refused(world: World) -> None:
    added = assert_clear(
        await world.ask(MEETING.format(title="Near talks", when="2026-11-01"), user=world.mod)
    )
    meeting_id = int(added.split("Added meeting ")[1].split()[0].strip(".:"))
    before = await stored_state(world)
    reply = await world.ask(f"!meeting edit {meeting_id} when: Dec 31 9999", user=world.mod)
    assert "between 1900 and 2100" in assert_clear(reply)
    assert await stored_state(world) == before


def plant_meetings(db_path: Path, guild_id: int | None) -> list[int]:
    """Rows no current input path can write: a held meeting in 9999 (shown in Seoul
    time, a day later still: past the last date Python has), and a start that is not
    a date at all. Both list Kim Jong Un, so `who kim` meets them."""
    stamp = (FIXED_NOW + timedelta(minutes=1)).isoformat()
    conn = sqlite3.connect(db_path)
    try:
        with conn:
            (kim,) = conn.execute("SELECT id FROM entities WHERE name = 'Kim Jong Un'").fetchone()
            ids = []
            for starts_at, title in (
                ("9999-12-31T00:00:00+00:00", "Planted talks in 9999"),
                ("not a date", "Planted talks with no date"),
            ):
                cursor = conn.execute(
                    "INSERT INTO meetings(guild_id, title, place_text, starts_at, tz, precision,"
                    " status, origin, created_at, updated_at)"
                    " VALUES (?, ?, 'Seoul', ?, 'Asia/Seoul', 'day', 'held', 'moderator', ?, ?)",
                    (guild_id, title, starts_at, stamp, stamp),
                )
                ids.append(int(cursor.lastrowid or 0))
                conn.execute(
                    "INSERT INTO meeting_participants(meeting_id, position, entity_id, name)"
                    " VALUES (?, 0, ?, 'Kim Jong Un')",
                    (ids[-1], kim),
                )
    finally:
        conn.close()
    return ids


async def answers_survive(world: World, user: int, channel: int) -> None:
    timeline = assert_clear(await world.ask("!timeline", user=user, channel=channel))
    assert "Putin–Kim summit in Vladivostok" in timeline  # the rest is shown
    assert "Planted talks" not in timeline
    assert_clear(await world.ask("!next-meeting", user=user, channel=channel))
    who = assert_clear(await world.ask("!who kim", user=user, channel=channel))
    assert "Kim Jong Un" in who


@pytest.mark.parametrize("shared", [False, True], ids=["server-row", "shared-row"])
async def test_a_bad_meeting_row_breaks_no_answer_and_no_digest(
    world: World, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, shared: bool
) -> None:
    # The rows are planted by another writer; the answer cache sees them at its next look
    # for outside changes (once a second): here it looks every time instead of sleeping.
    monkeypatch.setattr(cache, "OUTSIDE_CHECK", 0.0)
    world.bot.run_digests = False
    cog = world.bot.get_cog("Digest")
    assert cog is not None
    if cog._task is not None:  # type: ignore[attr-defined]
        cog._task.cancel()  # type: ignore[attr-defined]
    dispatcher: DigestDispatcher = cog.dispatcher  # type: ignore[attr-defined]
    reply = await world.ask(f"!digest set <#{world.channel}> 09:00 UTC", user=world.mod)
    assert "Daily digest set" in assert_clear(reply)
    ids = plant_meetings(world.db_path, None if shared else world.guild)
    with caplog.at_level(logging.ERROR):
        await answers_survive(world, world.alice, world.channel)
        if shared:  # a shared row reaches every server
            await answers_survive(world, world.bob, world.channel_b)
        world.clock.now = FIXED_NOW.replace(hour=9) + timedelta(days=1)
        report = await dispatcher.tick()
    assert report.sent == [world.guild] and report.failed == []
    logged = "\n".join(r.getMessage() for r in caplog.records)
    for meeting_id in ids:
        assert f"meeting {meeting_id}" in logged, logged[:2000]
    assert "error " in logged
