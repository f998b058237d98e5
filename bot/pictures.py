"""Pictures that go with answers: the meetings an answer cites, drawn as a timeline
and attached to the answer's first embed (a Discord adapter: bot/render/picture.py draws).

The picture shows what the text shows: the meetings the answer cites (so a digest's
picture has the digest's meetings, the timeline's the timeline's) and the sources they
rest on. Drawing runs in a worker thread so no answer blocks the event loop.
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime

import discord

from bot.briefing import Answer
from bot.render.picture import timeline_png
from bot.store import Store

FILENAME = "timeline.png"


def meeting_ids(answer: Answer) -> set[int]:
    return {ref.meeting_id for ref in answer.refs if ref.meeting_id is not None}


async def timeline_picture(
    store: Store, answer: Answer, guild_id: int | None, now: datetime, *, title: str
) -> bytes | None:
    """The PNG for the meetings `answer` cites, or None when it cites none."""
    wanted = meeting_ids(answer)
    if not wanted:
        return None
    meetings = [m for m in await store.meetings(guild_id) if m.id in wanted]
    if not meetings:
        return None
    cited = {c.source_id for m in meetings for c in m.citations}
    sources = [s for s in answer.sources if s.id in cited]
    return await asyncio.to_thread(timeline_png, meetings, sources, now, title=title)


def with_picture(embed: discord.Embed, picture: bytes | None) -> tuple[discord.Embed, dict]:
    """The embed showing `picture` as its image, and the file to send with it; a copy,
    so a cached page is never changed."""
    if picture is None:
        return embed, {}
    shown = embed.copy()
    shown.set_image(url=f"attachment://{FILENAME}")
    return shown, {"file": discord.File(io.BytesIO(picture), filename=FILENAME)}
