"""Meetings: reading them, with their participants and citations, as the bot shows
them; a row that cannot be shown is left out and logged once."""

from __future__ import annotations

import json
import logging
import sqlite3
from collections import defaultdict
from datetime import datetime

from bot.dates import FIRST_YEAR, LAST_YEAR, as_local
from bot.errors import BriefingError
from bot.logs import new_error_id
from bot.models import Citation, EntityRef, Meeting, When
from bot.store import rows
from bot.store.sql import ANSWER_LIMIT, Read, one, visible

log = logging.getLogger(__name__)

# A meeting's links in one query, tagged by `part` (0 participant, in order; 1 citation,
# as stored): one aiosqlite round trip, the ids bound as one JSON array.
MEETING_LINKS = """
WITH wanted(id) AS (SELECT value FROM json_each(:ids))
SELECT 0 AS part, p.meeting_id AS owner, p.position AS sort, p.entity_id AS ref,
       p.name AS text, NULL AS source_id, NULL AS source_title, NULL AS quote,
       NULL AS start, NULL AS "end"
  FROM meeting_participants p WHERE p.meeting_id IN (SELECT id FROM wanted)
UNION ALL
SELECT 1, c.meeting_id, c.id, NULL, NULL, c.source_id, s.title, c.quote, c.start, c."end"
  FROM citations c JOIN sources s ON s.id = c.source_id
 WHERE c.meeting_id IN (SELECT id FROM wanted)
ORDER BY part, sort
"""

# Rows already logged as unusable, kept by the Store: (table, id).
Unusable = set[tuple[str, int]]


async def meetings(read: Read, unusable: Unusable, guild_id: int | None) -> list[Meeting]:
    """Every visible meeting, in date order; the briefing decides past or upcoming."""
    found = await read(
        f"SELECT * FROM meetings m WHERE {visible('m')} ORDER BY m.starts_at, m.id",
        {"guild": guild_id},
    )
    return await hydrate_meetings(read, unusable, found)


async def meeting(
    read: Read, unusable: Unusable, meeting_id: int, guild_id: int | None
) -> Meeting | None:
    row = await one(
        read,
        f"SELECT * FROM meetings m WHERE m.id = :id AND {visible('m')}",
        {"id": meeting_id, "guild": guild_id},
    )
    return (await hydrate_meetings(read, unusable, [row]))[0] if row else None


async def meetings_involving(
    read: Read, unusable: Unusable, entity_id: int, guild_id: int | None, limit: int = ANSWER_LIMIT
) -> list[Meeting]:
    """The entity's meetings in date order (the first `limit`)."""
    found = await read(
        f"SELECT * FROM meetings m WHERE {visible('m')} AND (m.place_id = :e OR m.id IN "
        "(SELECT meeting_id FROM meeting_participants WHERE entity_id = :e)) "
        "ORDER BY m.starts_at, m.id LIMIT :limit",
        {"e": entity_id, "guild": guild_id, "limit": limit},
    )
    return await hydrate_meetings(read, unusable, found)


async def latest_meetings(
    read: Read, unusable: Unusable, guild_id: int | None, limit: int
) -> list[Meeting]:
    """The `limit` latest visible meetings, in date order."""
    found = await read(
        f"SELECT * FROM (SELECT * FROM meetings m WHERE {visible('m')}"
        " ORDER BY m.starts_at DESC, m.id DESC LIMIT :limit) AS latest ORDER BY starts_at, id",
        {"guild": guild_id, "limit": limit},
    )
    return await hydrate_meetings(read, unusable, found)


async def meetings_changed_since(
    read: Read,
    unusable: Unusable,
    since: datetime,
    guild_id: int | None,
    limit: int = ANSWER_LIMIT,
    until: datetime | None = None,
) -> list[Meeting]:
    """Visible meetings last changed after `since` (and not after `until`, if given)."""
    params: dict[str, object] = {"since": since.isoformat(), "guild": guild_id, "limit": limit}
    bound = ""
    if until is not None:
        bound, params["until"] = " AND m.updated_at <= :until", until.isoformat()
    found = await read(
        f"SELECT * FROM meetings m WHERE m.updated_at > :since{bound} AND {visible('m')}"
        " ORDER BY m.starts_at, m.id LIMIT :limit",
        params,
    )
    return await hydrate_meetings(read, unusable, found)


async def hydrate_meetings(
    read: Read, unusable: Unusable, meeting_rows: list[sqlite3.Row]
) -> list[Meeting]:
    ids = [row["id"] for row in meeting_rows]
    if not ids:
        return []
    people: dict[int, list[EntityRef]] = defaultdict(list)
    cited: dict[int, list[Citation]] = defaultdict(list)
    for row in await read(MEETING_LINKS, {"ids": json.dumps(ids)}):
        if row["part"] == 0:
            people[row["owner"]].append(EntityRef(row["ref"] or 0, row["text"]))
        else:
            cited[row["owner"]].append(rows.citation(row))
    built = (meeting_or_none(row, people, cited, unusable) for row in meeting_rows)
    return [meeting for meeting in built if meeting is not None]


def meeting_or_none(
    row: sqlite3.Row,
    people: dict[int, list[EntityRef]],
    citations: dict[int, list[Citation]],
    unusable: Unusable,
) -> Meeting | None:
    """One meeting row that cannot be used (a start that is not a date, or one so far
    out that its end or its local time cannot be worked out) must not break every
    answer that lists meetings, nor a digest: it is left out, and logged once with an
    error id for an operator to mend."""
    try:
        meeting = rows.meeting(row, people[row["id"]], citations[row["id"]])
        usable_when(meeting.when)
    except (ValueError, TypeError, AttributeError, OverflowError, BriefingError):
        if ("meeting", row["id"]) not in unusable:
            unusable.add(("meeting", row["id"]))
            log.exception(
                "error %s: meeting %s (server %s) cannot be shown and is left out of "
                "answers; correct or remove its row",
                new_error_id(),
                row["id"],
                row["guild_id"],
            )
        return None
    return meeting


def usable_when(when: When) -> None:
    """Raise ValueError unless a stored time lies within the years answers can show."""
    for moment in (when.start, when.end, when.finishes()):
        if moment is not None and not FIRST_YEAR <= moment.year <= LAST_YEAR + 1:
            raise ValueError(f"{moment.isoformat()} is outside {FIRST_YEAR}-{LAST_YEAR}")
    as_local(when.start, when.tz)
