"""Turning database rows into domain objects (and back into column values)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from datetime import date, datetime, time

from bot.models import (
    AuditEntry,
    Citation,
    Delivery,
    DigestSubscription,
    Entity,
    EntityRef,
    Fact,
    Kind,
    Meeting,
    MeetingStatus,
    Precision,
    Provenance,
    Published,
    Source,
    When,
)

Row = sqlite3.Row  # aiosqlite hands back sqlite3.Row objects


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def returned(row: Row | None) -> Row:
    """The row a statement always gives back (INSERT … RETURNING, a PRAGMA, a row
    just written); LookupError if SQLite gave none."""
    if row is None:
        raise LookupError("SQLite returned no row where one was certain")
    return row


def parse_iso(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)) if value else None


def provenance_json(
    public_record: str = "",
    url: str | None = None,
    inferred: str = "",
    citations: Iterable[dict] = (),
) -> str | None:
    """The column value for a provenance (None when there is nothing to say)."""
    value = {
        "citations": list(citations),
        "public_record": public_record,
        "url": url,
        "inferred": inferred,
    }
    value = {key: item for key, item in value.items() if item}
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None


def provenance(value: object) -> Provenance:
    """A provenance column back as a Provenance (empty for NULL or unreadable JSON)."""
    if not value:
        return Provenance()
    try:
        raw = json.loads(str(value))
        citations = tuple(
            Citation(
                source_id=int(item["source_id"]),
                source_title=str(item.get("source_title", "")),
                quote=str(item["quote"]),
                start=int(item["start"]),
                end=int(item["end"]),
            )
            for item in raw.get("citations", [])
        )
        url = raw.get("url")
        return Provenance(
            citations=citations,
            public_record=str(raw.get("public_record", "")),
            url=str(url) if url else None,
            inferred=str(raw.get("inferred", "")),
        )
    except (ValueError, TypeError, KeyError, AttributeError):
        return Provenance()  # one bad row must not break an answer


def _column(row: Row, name: str) -> object:
    """A column that older queries may not select."""
    return row[name] if name in row.keys() else None  # noqa: SIM118 - Row `in` tests values


def source(row: Row, *, with_text: bool = False) -> Source:
    published = None
    if row["published"]:
        published = Published(
            datetime.fromisoformat(str(row["published"])).date(),
            Precision(str(row["published_precision"])),
            str(row["published_note"] or ""),
            provenance(_column(row, "published_provenance")),
        )
    return Source(
        id=row["id"],
        key=str(row["key"] or ""),
        title=str(row["title"]),
        title_is_ours=bool(row["title_is_ours"]),
        published=published,
        url=row["url"],
        publisher=row["publisher"],
        author=row["author"],
        guild_id=row["guild_id"],
        text=str(row["text"]) if with_text else None,
    )


def entity(row: Row, aliases: Iterable[str] = ()) -> Entity:
    return Entity(
        id=row["id"],
        key=str(row["key"]),
        name=str(row["name"]),
        type=str(row["type"]),
        role=str(row["role"]),
        aliases=tuple(aliases),
        summary=str(row["summary"]),
        role_provenance=provenance(_column(row, "role_provenance")),
    )


def citation(row: Row) -> Citation:
    return Citation(
        source_id=row["source_id"],
        source_title=str(row["source_title"]),
        quote=str(row["quote"]),
        start=row["start"],
        end=row["end"],
    )


def fact(
    row: Row,
    topics: Iterable[str],
    entities: Iterable[EntityRef],
    citations: Iterable[Citation],
) -> Fact:
    return Fact(
        id=row["id"],
        key=row["key"],
        subject=EntityRef(row["subject_id"], str(row["subject_name"])),
        statement=str(row["statement"]),
        kind=Kind(str(row["kind"])),
        topics=tuple(sorted(topics)),
        citations=tuple(citations),
        attributed_to=row["attributed_to"],
        entities=tuple(entities),
        guild_id=row["guild_id"],
        retracted=bool(row["retracted"]),
        version=row["version"],
        provenance=provenance(_column(row, "provenance")),
    )


def when(row: Row) -> When:
    """A meeting's time; every meeting has a start (ValueError for a row without one)."""
    return When(
        start=datetime.fromisoformat(str(row["starts_at"])),
        tz=str(row["tz"]),
        precision=Precision(str(row["precision"])),
        end=parse_iso(row["ends_at"]),
        resolution=str(row["resolution"]),
    )


def meeting(
    row: Row,
    participants: Iterable[EntityRef],
    citations: Iterable[Citation],
) -> Meeting:
    place = None
    if row["place_text"]:
        place = EntityRef(int(row["place_id"] or 0), str(row["place_text"]))
    return Meeting(
        id=row["id"],
        key=row["key"],
        title=str(row["title"]),
        when=when(row),
        status=MeetingStatus(str(row["status"])),
        participants=tuple(participants),
        place=place,
        citations=tuple(citations),
        status_note=str(row["status_note"]),
        guild_id=row["guild_id"],
        version=row["version"],
        date_provenance=provenance(_column(row, "date_provenance")),
        status_provenance=provenance(_column(row, "status_provenance")),
    )


def audit_entry(row: Row) -> AuditEntry:
    return AuditEntry(
        id=row["id"],
        at=datetime.fromisoformat(row["at"]),
        actor_id=row["actor_id"],
        guild_id=row["guild_id"],
        action=row["action"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        before=json.loads(row["before"]) if row["before"] else None,
        after=json.loads(row["after"]) if row["after"] else None,
        reason=row["reason"] or "",
    )


def subscription(row: Row) -> DigestSubscription:
    return DigestSubscription(
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        local_time=time.fromisoformat(row["local_time"]),
        tz=row["tz"],
        enabled=bool(row["enabled"]),
        since=datetime.fromisoformat(row["since"]),
        active_from=datetime.fromisoformat(row["active_from"]),
        disabled_reason=row["disabled_reason"],
        reason_told=bool(row["reason_told"]),
        last_sent_day=date.fromisoformat(row["last_sent_day"]) if row["last_sent_day"] else None,
        last_sent_at=parse_iso(row["last_sent_at"]),
    )


def delivery(row: Row) -> Delivery:
    return Delivery(
        guild_id=row["guild_id"],
        local_day=date.fromisoformat(row["local_day"]),
        state=row["state"],
        nonce=row["nonce"],
        message_id=row["message_id"],
        at=datetime.fromisoformat(row["at"]),
    )
