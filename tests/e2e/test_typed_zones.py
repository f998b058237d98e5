"""UTC offsets as people type them, end to end (issue 9, Low): `meeting add` with
`GMT+9` is stored at the right instant and shown in that offset, an impossible offset
is refused with one clear line and nothing stored, and `digest set` takes offsets too."""

from __future__ import annotations

import re
from datetime import UTC, datetime

from tests.e2e.conftest import World, embed_text
from tests.faults.conftest import QUOTE, stored_state

MEETING = (
    "!meeting add title: Offset talks when: {when} where: Seoul participants: Kim Jong Un "
    f"source: 1 quote: {QUOTE}"
)


async def test_gmt_plus_nine_is_nine_hours_ahead_of_utc(world: World) -> None:
    reply = embed_text(await world.ask(MEETING.format(when="Dec 3 10:00 GMT+9"), user=world.mod))
    assert "Added meeting" in reply, reply
    stamp = int(datetime(2026, 12, 3, 1, 0, tzinfo=UTC).timestamp())  # 10:00 at UTC+09:00
    assert f"<t:{stamp}:F>" in reply and "UTC+09:00" in reply
    meeting_id = int(re.search(r"Added meeting (\d+)", reply).group(1))  # type: ignore[union-attr]
    meeting = await world.bot.store.meeting(meeting_id, world.guild)
    assert meeting is not None and meeting.when.tz == "UTC+09:00"
    shown = embed_text(await world.ask(f"!meeting {meeting_id}", user=world.alice))
    assert "error id" not in shown and "Offset talks" in shown


async def test_an_impossible_offset_is_refused_and_nothing_stored(world: World) -> None:
    before = await stored_state(world)
    for when in ("Dec 3 10:00 UTC+25", "Dec 3 10:00 +24:00", "Dec 3 10:00 UTC-12 KST"):
        reply = embed_text(await world.ask(MEETING.format(when=when), user=world.mod))
        assert "error id" not in reply and "Something went wrong" not in reply, reply
        assert "UTC offsets run" in reply or "more than one time zone" in reply, reply
    assert await stored_state(world) == before


async def test_digest_set_takes_an_offset(world: World) -> None:
    reply = embed_text(await world.ask(f"!digest set <#{world.channel}> 9am GMT+9", user=world.mod))
    assert "09:00 UTC+09:00" in reply, reply
    next_stamp = int(datetime(2026, 11, 28, 0, 0, tzinfo=UTC).timestamp())  # 09:00 at +9
    assert f"<t:{next_stamp}:F>" in reply
