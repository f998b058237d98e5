"""Importing checked curated data: an upsert keyed by each item's stable `key`.

An item whose file text has not changed since the last import (same `curated_hash`) is
left alone, so edits and retractions that curators made at run time survive a rebuild;
rows that moderators added have no key and are never touched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from bot.curation import (
    Bundle,
    CitationSpec,
    EntitySpec,
    FactSpec,
    MeetingSpec,
    ProvenanceSpec,
    SourceSpec,
    resolve_when,
    spec_hash,
)
from bot.errors import DataError
from bot.store import audit, index, links
from bot.store.rows import iso, provenance_json, returned
from bot.text import Span, find_quote, find_quotes, fold, quote_matches_span


@dataclass
class ImportReport:
    added: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.added} added, {self.updated} updated, {self.unchanged} unchanged"


class _Importer:
    def __init__(self, conn: aiosqlite.Connection, bundle: Bundle, now: datetime) -> None:
        self.conn = conn
        self.bundle = bundle
        self.report = ImportReport()
        self.now = now.isoformat()
        self.entity_ids: dict[str, int] = {}
        self.source_ids: dict[str, int] = {}
        self.changed_entities: list[int] = []
        self.changed_facts: list[int] = []
        self.changed_sources: dict[int, str] = {}  # id -> new text
        # Rows whose provenance cites a source, written once every source has its id.
        self.pending: list[tuple[str, str, int, ProvenanceSpec | None]] = []

    async def _existing(self, table: str, key: str) -> tuple[int, str | None] | None:
        async with self.conn.execute(
            f"SELECT id, curated_hash FROM {table} WHERE key = ?", (key,)
        ) as cursor:
            row = await cursor.fetchone()
        return (row["id"], row["curated_hash"]) if row else None

    def _count(self, existing: tuple[int, str | None] | None, digest: str) -> bool:
        """Tally the item; True when it must be written."""
        if existing is None:
            self.report.added += 1
            return True
        if existing[1] != digest:
            self.report.updated += 1
            return True
        self.report.unchanged += 1
        return False

    async def run(self) -> ImportReport:
        for entity in self.bundle.entities:
            await self._entity(entity)
        for source in self.bundle.sources:
            await self._source(source)
        await self._write_pending()
        for fact in self.bundle.facts:
            await self._fact(fact)
        for meeting in self.bundle.meetings:
            await self._meeting(meeting)
        await self._retire_removed_facts()
        for source_id, text in self.changed_sources.items():
            await self._reverify(source_id, text)
        stale = set(self.changed_facts)
        stale.update(await index.facts_of_entities(self.conn, self.changed_entities))
        await index.refresh_facts(self.conn, sorted(stale))
        return self.report

    async def _retire_removed_facts(self) -> None:
        """A curated fact deleted from the files is retracted, not erased: it leaves the
        answers but keeps its history and its id."""
        keys = [fact.key for fact in self.bundle.facts]
        marks = ",".join("?" for _ in keys) or "NULL"
        async with self.conn.execute(
            f"UPDATE facts SET retracted = 1, curated_hash = NULL, updated_at = ? "
            f"WHERE origin = 'curated' AND retracted = 0 AND key NOT IN ({marks}) RETURNING id",
            [self.now, *keys],
        ) as cursor:
            retired = [row[0] for row in await cursor.fetchall()]
        for fact_id in retired:
            await audit.record(
                self.conn,
                at=self.now,
                action="retract",
                kind="fact",
                object_id=fact_id,
                reason="removed from the curated data files",
            )
        self.report.updated += len(retired)

    async def _adopt(self, table: str, spec: SourceSpec | FactSpec | MeetingSpec) -> None:
        """An exported server row keeps its id. Built back into the store it came from,
        the row with that id is the same one, still without a key: give it the key, so
        the build updates it instead of inserting it twice. A row of another server, or
        with another key, under that id is a clash: refused, naming the item."""
        if spec.id is None:
            return
        async with self.conn.execute(
            f"SELECT key, guild_id FROM {table} WHERE id = ?", (spec.id,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None or row["key"] == spec.key:
            return
        if row["key"] is None and row["guild_id"] == spec.guild_id is not None:
            await self.conn.execute(f"UPDATE {table} SET key = ? WHERE id = ?", (spec.key, spec.id))
            return
        kind = table[:-1]
        raise DataError(
            [
                f"{kind} '{spec.key}': id {spec.id} is another {kind} in this store "
                f"(not the one this export was made from); delete its `id = {spec.id}` "
                "line to import it under a new number"
            ]
        )

    async def _upsert(self, table: str, key: str, values: Mapping[str, object]) -> int:
        """Insert or update by key; `created_at` is kept from the first insert and an
        update bumps `version` where the table has one."""
        if values.get("id", 0) is None:  # no id given: the database numbers the row
            values = {column: value for column, value in values.items() if column != "id"}
        columns = ["key", *values]
        insert_only = {"created_at", "id"}
        updates = [
            f"{column} = excluded.{column}" for column in values if column not in insert_only
        ]
        if table in {"facts", "meetings"}:
            updates.append(f"version = {table}.version + 1")
        async with self.conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' for _ in columns)}) "
            f"ON CONFLICT(key) DO UPDATE SET {', '.join(updates)} RETURNING id",
            [key, *values.values()],
        ) as cursor:
            row = returned(await cursor.fetchone())
        return int(row[0])

    async def _entity(self, spec: EntitySpec) -> None:
        digest = spec_hash(spec)
        existing = await self._existing("entities", spec.key)
        if not self._count(existing, digest) and existing is not None:
            self.entity_ids[spec.key] = existing[0]
            return
        values = {
            "name": spec.name,
            "type": spec.type,
            "role": spec.role,
            "summary": spec.summary,
            "curated_hash": digest,
        }
        entity_id = await self._upsert("entities", spec.key, values)
        self.entity_ids[spec.key] = entity_id
        self.pending.append(("entities", "role_provenance", entity_id, spec.role_provenance))
        await self.conn.execute("DELETE FROM aliases WHERE entity_id = ?", (entity_id,))
        spellings = {fold(alias): alias for alias in reversed([spec.name, *spec.aliases])}
        spellings.setdefault(fold(spec.key), spec.key)
        # `check` made every alias unique in the files, so an alias still held by another
        # entity in the store is one that moved here: take it over.
        losers = await self._alias_owners(list(spellings), entity_id)
        await self.conn.executemany(
            "INSERT INTO aliases(folded, alias, entity_id) VALUES (?, ?, ?) "
            "ON CONFLICT(folded) DO UPDATE SET alias = excluded.alias, "
            "entity_id = excluded.entity_id",
            [(folded, alias, entity_id) for folded, alias in spellings.items()],
        )
        self.changed_entities += [entity_id, *losers]

    def _provenance(self, spec: ProvenanceSpec | None) -> str | None:
        """The provenance column value, with its citations' sources as ids."""
        if spec is None:
            return None
        texts = {source.key: source for source in self.bundle.sources}
        citations = []
        for cite in spec.citations:
            start, end = cite.at or _first_span(texts[cite.source].text, cite.quote)
            citations.append(
                {
                    "source_id": self.source_ids[cite.source],
                    "source_title": texts[cite.source].title,
                    "quote": cite.quote,
                    "start": start,
                    "end": end,
                }
            )
        return provenance_json(spec.public_record, spec.url, spec.inferred, citations)

    async def _write_pending(self) -> None:
        for table, column, row_id, spec in self.pending:
            await self.conn.execute(
                f"UPDATE {table} SET {column} = ? WHERE id = ?", (self._provenance(spec), row_id)
            )
        self.pending.clear()

    async def _alias_owners(self, folded: list[str], entity_id: int) -> list[int]:
        marks = ",".join("?" for _ in folded)
        async with self.conn.execute(
            f"SELECT DISTINCT entity_id FROM aliases WHERE folded IN ({marks}) AND entity_id != ?",
            [*folded, entity_id],
        ) as cursor:
            return [row[0] for row in await cursor.fetchall()]

    async def _source(self, spec: SourceSpec) -> None:
        await self._adopt("sources", spec)
        digest = spec_hash(spec)
        existing = await self._existing("sources", spec.key)
        if not self._count(existing, digest) and existing is not None:
            self.source_ids[spec.key] = existing[0]
            return
        values = {
            "guild_id": spec.guild_id,
            "title": spec.title,
            "title_is_ours": int(spec.title_is_ours),
            "url": spec.url,
            "publisher": spec.publisher,
            "author": spec.author,
            "published": spec.published,
            "published_precision": spec.published_precision if spec.published else None,
            "published_note": spec.published_note,
            "text": spec.text,
            "origin": "curated",
            "curated_hash": digest,
            "created_at": self.now,
            "id": spec.id,
        }
        old_text = await self._source_text(existing[0]) if existing else spec.text
        source_id = await self._upsert("sources", spec.key, values)
        self.source_ids[spec.key] = source_id
        if old_text != spec.text:
            self.changed_sources[source_id] = spec.text
        published = spec.published_provenance
        self.pending.append(("sources", "published_provenance", source_id, published))

    async def _source_text(self, source_id: int) -> str:
        async with self.conn.execute(
            "SELECT text FROM sources WHERE id = ?", (source_id,)
        ) as cursor:
            row = returned(await cursor.fetchone())
        return str(row[0])

    async def _reverify(self, source_id: int, text: str) -> None:
        """After a source's text changed, every citation of it, in every server: kept if
        its quote is still at its offsets, moved if the quote is elsewhere in the text,
        and otherwise its fact withdrawn, or its meeting flagged, with an audited reason,
        so nothing is shown as verbatim that the source no longer says."""
        async with self.conn.execute(
            'SELECT c.id, c.fact_id, c.meeting_id, c.quote, c.start, c."end",'
            " COALESCE(f.guild_id, m.guild_id) AS guild_id FROM citations c"
            " LEFT JOIN facts f ON f.id = c.fact_id LEFT JOIN meetings m ON m.id = c.meeting_id"
            " WHERE c.source_id = ?",
            (source_id,),
        ) as cursor:
            cites = await cursor.fetchall()
        stale = [
            c for c in cites if not quote_matches_span(text, c["quote"], Span(c["start"], c["end"]))
        ]
        for cite, spans in zip(stale, find_quotes(text, [c["quote"] for c in stale]), strict=True):
            if spans:
                first = spans[0]
                await self.conn.execute(
                    'UPDATE citations SET quote = ?, start = ?, "end" = ? WHERE id = ?',
                    (text[first.start : first.end], first.start, first.end, cite["id"]),
                )
                if cite["fact_id"]:
                    self.changed_facts.append(cite["fact_id"])
                continue
            why = (
                f"its cited passage “{cite['quote'][:80]}” is no longer in source S{source_id}"
                " (the source's text was changed)"
            )
            if cite["fact_id"]:
                await self._withdraw_fact(cite["fact_id"], cite["guild_id"], why)
            else:
                await self._flag_meeting(cite["meeting_id"], cite["guild_id"], source_id, why)

    async def _withdraw_fact(self, fact_id: int, guild_id: int | None, why: str) -> None:
        async with self.conn.execute(
            "UPDATE facts SET retracted = 1, version = version + 1, updated_at = ?"
            " WHERE id = ? AND retracted = 0 RETURNING id",
            (self.now, fact_id),
        ) as cursor:
            withdrawn = await cursor.fetchone()
        if withdrawn:
            await self._audit(guild_id, "retract", "fact", fact_id, why)
            self.report.updated += 1

    async def _flag_meeting(
        self, meeting_id: int, guild_id: int | None, source_id: int, why: str
    ) -> None:
        note = f"its cited passage is no longer in source S{source_id}"
        async with self.conn.execute(
            "UPDATE meetings SET status_note = CASE WHEN status_note = '' THEN :note"
            " ELSE status_note || '; ' || :note END, version = version + 1, updated_at = :now"
            " WHERE id = :id AND instr(status_note, :note) = 0 RETURNING id",
            {"note": note, "now": self.now, "id": meeting_id},
        ) as cursor:
            flagged = await cursor.fetchone()
        if flagged:
            await self._audit(guild_id, "flag", "meeting", meeting_id, why)
            self.report.updated += 1

    async def _audit(
        self, guild_id: int | None, action: str, kind: str, object_id: int, why: str
    ) -> None:
        await audit.record(
            self.conn,
            at=self.now,
            action=action,
            kind=kind,
            object_id=object_id,
            guild_id=guild_id,
            reason=why,
        )

    def _citation_rows(self, specs: list[CitationSpec]) -> list[links.CitationRow]:
        texts = {source.key: source.text for source in self.bundle.sources}
        found = []
        for spec in specs:
            start, end = spec.at or _first_span(texts[spec.source], spec.quote)
            found.append((self.source_ids[spec.source], spec.quote, start, end))
        return found

    async def _fact(self, spec: FactSpec) -> None:
        await self._adopt("facts", spec)
        digest = spec_hash(spec)
        existing = await self._existing("facts", spec.key)
        if not self._count(existing, digest):
            return
        values = {
            "guild_id": spec.guild_id,
            "subject_id": self.entity_ids[spec.subject],
            "statement": spec.statement,
            "kind": spec.kind,
            "attributed_to": spec.attributed_to,
            "retracted": int(spec.retracted),
            "provenance": self._provenance(spec.provenance),
            "origin": "curated",
            "curated_hash": digest,
            "created_at": self.now,
            "updated_at": self.now,
            "id": spec.id,
        }
        fact_id = await self._upsert("facts", spec.key, values)
        await self._fact_links(fact_id, spec)
        self.changed_facts.append(fact_id)

    async def _fact_links(self, fact_id: int, spec: FactSpec) -> None:
        involved = [self.entity_ids[key] for key in spec.entities]
        citations = self._citation_rows(spec.citations)
        await links.write_fact_links(self.conn, fact_id, spec.topics, involved, citations)

    async def _meeting(self, spec: MeetingSpec) -> None:
        await self._adopt("meetings", spec)
        digest = spec_hash(spec)
        existing = await self._existing("meetings", spec.key)
        if not self._count(existing, digest):
            return
        when = resolve_when(spec, {source.key: source for source in self.bundle.sources})
        place_id = self.entity_ids.get(spec.place) if spec.place else None
        values = {
            "guild_id": spec.guild_id,
            "title": spec.title,
            "place_id": place_id,
            "place_text": await self._entity_name(place_id) if place_id else spec.place_name,
            "starts_at": iso(when.start),
            "ends_at": iso(when.end),
            "tz": when.tz,
            "precision": when.precision.value,
            "resolution": when.resolution,
            "status": spec.status,
            "status_note": spec.status_note,
            "date_provenance": self._provenance(spec.date_provenance),
            "status_provenance": self._provenance(spec.status_provenance),
            "origin": "curated",
            "curated_hash": digest,
            "created_at": self.now,
            "updated_at": self.now,
            "id": spec.id,
        }
        meeting_id = await self._upsert("meetings", spec.key, values)
        participants: list[tuple[int | None, str]] = []
        for person in spec.participants:
            if isinstance(person, dict):
                participants.append((None, str(person["name"])))
            else:
                entity_id = self.entity_ids[person]
                participants.append((entity_id, await self._entity_name(entity_id)))
        citations = self._citation_rows(spec.citations)
        await links.write_meeting_links(self.conn, meeting_id, participants, citations)

    async def _entity_name(self, entity_id: int) -> str:
        async with self.conn.execute(
            "SELECT name FROM entities WHERE id = ?", (entity_id,)
        ) as cursor:
            row = returned(await cursor.fetchone())
        return str(row[0])


def _first_span(text: str, quote: str) -> tuple[int, int]:
    span = find_quote(text, quote)[0]
    return span.start, span.end


async def import_bundle(conn: aiosqlite.Connection, bundle: Bundle, now: datetime) -> ImportReport:
    """Upsert a checked bundle inside the caller's transaction."""
    report = await _Importer(conn, bundle, now).run()
    await conn.execute(
        "INSERT INTO meta(key, value) VALUES ('data_fingerprint', ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (bundle.fingerprint,),
    )
    return report
