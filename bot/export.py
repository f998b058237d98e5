"""Writing the store back to the curated format, so a server's curation can be reviewed
and version-controlled; `build` on the result gives the same briefing again.

Without a guild, the shared rows are written; with one, that server's rows as well
(each keeping its `guild_id`). Rows that moderators added get keys made from their ids.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import tzinfo
from pathlib import Path
from typing import Any

import tomli_w

from bot.dates import zone
from bot.models import Entity, Fact, Meeting, Provenance, Source
from bot.store import Store

HEADER = "# Exported from the briefing store by `python -m bot export`.\n"


def _source_key(source: Source) -> str:
    return source.key or f"guild-{source.guild_id}-source-{source.id}"


def _drop_empty(table: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in table.items() if value not in (None, "", [], False)}


def _provenance(prefix: str, provenance: Provenance, source_keys: dict[int, str]) -> dict:
    """A provenance in the curated format: `{prefix}citations`, `{prefix}public_record`,
    `{prefix}inferred` (a fact's own citations are written apart, so no prefix-less
    citations here)."""
    record = _drop_empty({"note": provenance.public_record, "url": provenance.url})
    table: dict[str, Any] = {
        f"{prefix}public_record": record or None,
        f"{prefix}inferred": provenance.inferred,
    }
    if prefix:
        table[f"{prefix}citations"] = _citations(provenance.citations, source_keys)
    return _drop_empty(table)


def _entity_table(entity: Entity, source_keys: dict[int, str]) -> dict[str, Any]:
    return _drop_empty(
        {
            "key": entity.key,
            "name": entity.name,
            "type": entity.type,
            "role": entity.role,
            **_provenance("role_", entity.role_provenance, source_keys),
            "summary": entity.summary,
            "aliases": list(entity.aliases),
        }
    )


def _source_table(source: Source, file: str, source_keys: dict[int, str]) -> dict[str, Any]:
    published = source.published
    dated = _provenance("published_", published.provenance, source_keys) if published else {}
    return _drop_empty(
        {
            "key": _source_key(source),
            "id": source.id,
            "file": file,
            "title": source.title,
            "title_is_ours": source.title_is_ours,
            "url": source.url,
            "publisher": source.publisher,
            "author": source.author,
            "guild_id": source.guild_id,
            "published": published.value.isoformat() if published else None,
            "published_precision": published.precision.value if published else None,
            "published_note": published.note if published else None,
            **dated,
        }
    )


def _citations(items: tuple, source_keys: dict[int, str]) -> list[dict[str, Any]]:
    return [
        {"quote": c.quote, "at": [c.start, c.end], "source": source_keys[c.source_id]}
        for c in items
    ]


def _fact_table(fact: Fact, keys: dict[int, str], source_keys: dict[int, str]) -> dict[str, Any]:
    return _drop_empty(
        {
            "key": fact.key or f"guild-{fact.guild_id}-fact-{fact.id}",
            "id": fact.id,
            "subject": keys[fact.subject.id],
            "entities": [keys[e.id] for e in fact.entities],
            "topics": list(fact.topics),
            "kind": fact.kind.value,
            "attributed_to": fact.attributed_to,
            "statement": fact.statement,
            "guild_id": fact.guild_id,
            "retracted": fact.retracted,
            **_provenance("", fact.provenance, source_keys),
            "citations": _citations(fact.citations, source_keys),
        }
    )


def _meeting_table(meeting: Meeting, keys: dict[int, str], source_keys: dict[int, str]) -> dict:
    when = meeting.when
    local = when.start.astimezone(_zone(when.tz))
    date = local.strftime("%Y-%m-%d %H:%M" if when.precision.value == "minute" else "%Y-%m-%d")
    end = when.end.astimezone(_zone(when.tz)).strftime("%Y-%m-%d") if when.end else None
    people = [keys.get(p.id, {"name": p.name}) for p in meeting.participants]
    place = meeting.place
    return _drop_empty(
        {
            "key": meeting.key or f"guild-{meeting.guild_id}-meeting-{meeting.id}",
            "id": meeting.id,
            "title": meeting.title,
            "participants": people,
            "place": keys.get(place.id) if place else None,
            "place_name": place.name if place and place.id not in keys else None,
            "date": date,
            "end": end,
            "tz": when.tz,
            "date_basis": when.resolution,
            "status": meeting.status.value,
            "status_note": meeting.status_note,
            **_provenance("date_", meeting.date_provenance, source_keys),
            **_provenance("status_", meeting.status_provenance, source_keys),
            "guild_id": meeting.guild_id,
            "citations": _citations(meeting.citations, source_keys),
        }
    )


def _zone(name: str) -> tzinfo:
    return zone(name)[1]


async def export(store: Store, out: Path, guild_id: int | None = None) -> dict[str, int]:
    """Write entities.toml, sources/*.txt and briefing/*.toml under `out`."""
    (out / "sources").mkdir(parents=True, exist_ok=True)
    (out / "briefing").mkdir(parents=True, exist_ok=True)
    entities = await store.entities()
    keys = {entity.id: entity.key for entity in entities}
    sources = [
        await store.source(s.id, guild_id, with_text=True) for s in await store.sources(guild_id)
    ]
    source_keys = {s.id: _source_key(s) for s in sources if s}
    tables = [_entity_table(e, source_keys) for e in entities]
    (out / "entities.toml").write_text(HEADER + tomli_w.dumps({"entities": tables}), "utf-8")
    facts: dict[int, list[dict]] = defaultdict(list)
    for fact in await store.facts_in_scope(guild_id):
        facts[fact.citations[0].source_id].append(_fact_table(fact, keys, source_keys))
    meetings: dict[int, list[dict]] = defaultdict(list)
    for meeting in await store.meetings(guild_id):
        meetings[meeting.citations[0].source_id].append(_meeting_table(meeting, keys, source_keys))
    for source in sources:
        assert source is not None and source.text is not None
        name = source_keys[source.id]
        (out / "sources" / f"{name}.txt").write_text(source.text, "utf-8", newline="")
        document = {
            "source": _source_table(source, f"sources/{name}.txt", source_keys),
            "facts": facts[source.id],
            "meetings": meetings[source.id],
        }
        (out / "briefing" / f"{name}.toml").write_text(HEADER + tomli_w.dumps(document), "utf-8")
    return {
        "sources": len(sources),
        "facts": sum(map(len, facts.values())),
        "meetings": sum(map(len, meetings.values())),
    }
