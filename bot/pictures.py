"""Pictures that go with answers: the meetings an answer cites, drawn as a timeline
and attached to the answer's first embed (a Discord adapter: bot/render/picture.py draws).

The picture shows what the text shows: the meetings the answer cites (so a digest's
picture has the digest's meetings, the timeline's the timeline's) and the sources they
rest on. Drawing runs in a worker thread so no answer blocks the event loop.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections import OrderedDict
from collections.abc import Hashable
from datetime import datetime

import discord

from bot.answers import Answer
from bot.briefing import is_over
from bot.dates import as_local
from bot.models import Meeting, Source
from bot.render.picture import timeline_png
from bot.store import Store

log = logging.getLogger(__name__)

FILENAME = "timeline.png"
CACHE_SIZE = 32  # pictures kept (about 75 KB each), most recently used first

_drawn: OrderedDict[Hashable, bytes] = OrderedDict()


async def _draw(
    meetings: list[Meeting], sources: list[Source], now: datetime, title: str, tz: str
) -> bytes:
    """Draw in a worker thread, or reuse the picture of the same meetings, sources, day
    and tenses (all the picture depends on), so repeated asks cost no drawing."""
    key = (
        tuple(meetings),
        tuple(sources),
        as_local(now, tz).date(),
        tz,
        tuple(is_over(m, now) for m in meetings),
        title,
    )
    if (png := _drawn.get(key)) is not None:
        _drawn.move_to_end(key)
        return png
    png = await asyncio.to_thread(timeline_png, meetings, sources, now, title=title, tz=tz)
    _drawn[key] = png
    while len(_drawn) > CACHE_SIZE:
        _drawn.popitem(last=False)
    return png


def meeting_ids(answer: Answer) -> set[int]:
    return {ref.meeting_id for ref in answer.refs if ref.meeting_id is not None}


async def timeline_picture(
    store: Store,
    answer: Answer,
    guild_id: int | None,
    now: datetime,
    *,
    title: str,
    tz: str = "UTC",
) -> bytes | None:
    """The PNG for the meetings `answer` cites, or None when it cites none or drawing
    failed (logged)."""
    wanted = meeting_ids(answer)
    if not wanted:
        return None
    meetings = [m for m in await store.meetings(guild_id) if m.id in wanted]
    if not meetings:
        return None
    cited = {c.source_id for m in meetings for c in m.citations}
    sources = [s for s in answer.sources if s.id in cited]
    try:
        return await _draw(meetings, sources, now, title, tz)
    except Exception:  # the picture is extra: the answer and the digest go out without it
        log.exception("timeline picture could not be drawn; sending the answer without it")
        return None


def with_picture(embed: discord.Embed, picture: bytes | None) -> tuple[discord.Embed, dict]:
    """The embed showing `picture` as its image, and the file to send with it; a copy,
    so a cached page is never changed."""
    if picture is None:
        return embed, {}
    shown = embed.copy()
    shown.set_image(url=f"attachment://{FILENAME}")
    return shown, {"file": discord.File(io.BytesIO(picture), filename=FILENAME)}
