"""The fact store: building, schema, lookups, search and per-server visibility."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path

import aiosqlite
import pytest

from bot import curation
from bot.build import build
from bot.models import Kind
from bot.store import Store, database, postgres
from bot.text import normalise_for_match
from tests.store.conftest import sqlite_only

BRIEFING = Path("briefing") / "kim-putin-vladivostok-2019.toml"


@pytest.fixture(scope="module")
def bundle() -> curation.Bundle:
    return curation.load()


async def _sql(store: Store, sql: str, params: tuple = ()) -> list[tuple]:
    async with store.transaction() as conn, conn.execute(sql, params) as cursor:
        return [tuple(row) for row in await cursor.fetchall()]


async def _fact_id(store: Store, key: str) -> int:
    [(fact_id,)] = await _sql(store, "SELECT id FROM facts WHERE key = ?", (key,))
    return int(fact_id)


async def _insert_fact(store: Store, *, guild_id: int | None, statement: str) -> int:
    """A moderator-style fact (no key), with parameterised SQL."""
    [(kim,)] = await _sql(store, "SELECT id FROM entities WHERE key = 'kim-jong-un'")
    now = datetime(2026, 11, 27, tzinfo=UTC).isoformat()
    async with store.transaction() as conn:
        async with conn.execute(
            "INSERT INTO facts(guild_id, subject_id, statement, kind, origin, created_at, "
            "updated_at) VALUES (?, ?, ?, 'reported', 'moderator', ?, ?) RETURNING id",
            (guild_id, kim, statement, now, now),
        ) as cursor:
            row = await cursor.fetchone()
        await conn.execute(
            "INSERT INTO fact_topics(fact_id, topic) VALUES (?, 'sanctions')", (row[0],)
        )
    return int(row[0])


# --- building ----------------------------------------------------------------------------


async def test_first_build_adds_everything_and_is_fast(tmp_path: Path, bundle) -> None:
    store = await Store.open(tmp_path / "fresh.sqlite3")
    try:
        started = time.perf_counter()
        report = await build(store)
        elapsed = time.perf_counter() - started
    finally:
        await store.close()
    expected = len(bundle.entities) + len(bundle.sources) + len(bundle.facts)
    expected += len(bundle.meetings)
    assert (report.added, report.updated, report.unchanged) == (expected, 0, 0)
    assert elapsed < 1.0


async def test_second_build_changes_nothing(store: Store, bundle) -> None:
    before = await _sql(store, "SELECT id, key, version, updated_at FROM facts ORDER BY id")
    started = time.perf_counter()
    report = await build(store)
    assert time.perf_counter() - started < 1.0
    assert report.added == 0
    assert report.updated == 0
    assert report.unchanged == (
        len(bundle.entities) + len(bundle.sources) + len(bundle.facts) + len(bundle.meetings)
    )
    assert str(report) == f"0 added, 0 updated, {report.unchanged} unchanged"
    assert await _sql(store, "SELECT id, key, version, updated_at FROM facts ORDER BY id") == (
        before
    )


async def test_changed_fact_is_updated_in_place(store: Store, data_copy: Path) -> None:
    fact_id = await _fact_id(store, "kim-seeks-russian-support")
    path = data_copy / BRIEFING
    text = path.read_text(encoding="utf-8")
    old = 'statement = "The North Korean leader was making a play to gain Russian support'
    assert text.count(old) == 1
    new = 'statement = "The North Korean leader courted Russian influence."'
    path.write_text(text.replace(old + ' and influence."', new), "utf-8")
    report = await build(store, data_copy)
    assert (report.added, report.updated) == (0, 1)
    fact = await store.fact(fact_id, None)
    assert fact is not None
    assert fact.statement == "The North Korean leader courted Russian influence."
    assert fact.version == 2
    # The search index follows the edit.
    assert [f.id for f in await store.search("courted", None)] == [fact_id]


async def test_schema_version_and_pragmas(store: Store) -> None:
    latest = database.latest_version()
    assert latest == max(version for version, _ in database.migrations())
    assert latest >= 1
    # A schema version means the same on both engines: their migrations share numbers.
    assert [v for v, _ in postgres.migrations()] == [v for v, _ in database.migrations()]
    assert await store.schema_version() == latest
    assert await store.integrity_check() == "ok"
    sqlite_only(store)
    assert await _sql(store, "PRAGMA user_version") == [(latest,)]
    assert await _sql(store, "PRAGMA foreign_keys") == [(1,)]
    assert await store.integrity_check() == "ok"
    # WAL is a property of the file: a new connection sees it too.
    async with aiosqlite.connect(store.path) as conn, conn.execute("PRAGMA journal_mode") as c:
        assert (await c.fetchone())[0] == "wal"


async def test_reopening_does_not_migrate_again(store: Store) -> None:
    again = await Store.open(store.path)
    try:
        assert await again.schema_version() == database.latest_version()
        assert (await again.counts(None)).facts == (await store.counts(None)).facts
    finally:
        await again.close()


async def test_the_facts_fts_table_is_filled(store: Store, bundle) -> None:
    assert await _sql(store, "SELECT COUNT(*) FROM facts_fts") == [(len(bundle.facts),)]
    sqlite_only(store)
    names = {
        row[0] for row in await _sql(store, "SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    assert "facts_fts" in names
    assert await _sql(store, "SELECT COUNT(*) FROM facts_fts") == [(len(bundle.facts),)]
    # entities_fts (V1) was never queried: it is kept, but no longer written.
    assert await _sql(store, "SELECT COUNT(*) FROM entities_fts") == [(0,)]


async def test_counts(store: Store, bundle) -> None:
    counts = await store.counts(None)
    # Facts the files withdraw (retracted = true) keep their numbers but are not counted.
    assert counts.facts == len([f for f in bundle.facts if not f.retracted])
    assert counts.entities == len(bundle.entities)
    assert counts.sources == 1
    assert counts.meetings == 2


# --- entities ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("kim", "Kim Jong Un"),
        ("Kim Jong-un", "Kim Jong Un"),
        ("Kim Jong Un", "Kim Jong Un"),
        ("KIM JUNG UN", "Kim Jong Un"),
        ("  kim   jung   un ", "Kim Jong Un"),
        ("UN", "United Nations"),
        ("un", "United Nations"),
        ("Ким Чен Ын", "Kim Jong Un"),
        ("КНДР", "North Korea"),
        ("조선민주주의인민공화국", "North Korea"),
        ("김정은", "Kim Jong Un"),
        ("푸틴", "Vladimir Putin"),
        ("putin", "Vladimir Putin"),
        ("트럼프", "Donald Trump"),
        ("블라디보스토크", "Vladivostok"),
        ("하노이", "Hanoi"),
        ("DPRK", "North Korea"),
        ("N. Korea", "North Korea"),
        ("State Dept", "U.S. State Department"),
        ("Hà Nội", "Hanoi"),
        ("ha noi", "Hanoi"),
        ("HA NOI", "Hanoi"),
        ("U.N.", "United Nations"),
        ("kim-jong-un", "Kim Jong Un"),
        ("putin?", "Vladimir Putin"),
        ("Kim's", "Kim Jong Un"),
        ("'kim'", "Kim Jong Un"),
        ("“Putin”", "Vladimir Putin"),
        ("U.S.", "United States"),
        ("UN?", "United Nations"),
    ],
)
async def test_find_entity_by_alias(store: Store, typed: str, canonical: str) -> None:
    match = await store.find_entity(typed)
    assert match.entity is not None, typed
    assert match.entity.name == canonical
    assert match.suggestions == ()


@pytest.mark.parametrize("typed", ["조선", "Un sanctions"])
async def test_ambiguous_or_unknown_names_resolve_to_nobody(store: Store, typed: str) -> None:
    # 조선 also means the Joseon dynasty or Korea as a whole.
    assert (await store.find_entity(typed)).entity is None


async def test_found_entity_carries_role_and_aliases(store: Store) -> None:
    match = await store.find_entity("Kim Jung Un")
    entity = match.entity
    assert entity is not None
    assert entity.key == "kim-jong-un"
    assert entity.role == "The North Korean leader"
    [cited] = entity.role_provenance.citations
    assert cited.quote == "the North Korean leader"
    assert "Kim Jung Un" in entity.aliases
    assert "김정은" in entity.aliases
    # The canonical name is the name, not an "also written".
    assert "Kim Jong Un" not in entity.aliases


@pytest.mark.parametrize(("typed", "first"), [("putn", "Vladimir Putin"), ("trum", "Donald Trump")])
async def test_fuzzy_miss_suggests_the_right_name_first(
    store: Store, typed: str, first: str
) -> None:
    match = await store.find_entity(typed)
    assert match.entity is None
    assert match.suggestions
    assert match.suggestions[0] == first


async def test_fuzzy_typo_suggests_trump(store: Store) -> None:
    match = await store.find_entity("trunp")
    assert match.entity is None
    assert "Donald Trump" in match.suggestions


async def test_fuzzy_typo_suggests_trump_first(store: Store) -> None:
    match = await store.find_entity("trunp")
    assert match.suggestions[0] == "Donald Trump"


async def test_unknown_name_gets_no_entity_and_no_invented_suggestions(store: Store) -> None:
    match = await store.find_entity("Xi Jinping")
    assert match.entity is None
    assert "Xi Jinping" not in match.suggestions
    assert (await store.find_entity("   ")).entity is None


# --- facts -------------------------------------------------------------------------------


async def test_facts_about_kim(store: Store, bundle) -> None:
    kim = (await store.find_entity("kim")).entity
    assert kim is not None
    facts = await store.facts_about(kim.id, None)
    expected = {
        f.key
        for f in bundle.facts
        if (f.subject == "kim-jong-un" or "kim-jong-un" in f.entities) and not f.retracted
    }
    assert {fact.key for fact in facts} == expected
    assert len(facts) == len(expected)
    # Facts about him come before facts that merely involve him.
    subject_flags = [fact.subject.id == kim.id for fact in facts]
    assert subject_flags == sorted(subject_flags, reverse=True)
    assert facts[0].subject.name == "Kim Jong Un"


async def test_facts_by_topic_sanctions(store: Store, bundle) -> None:
    facts = await store.facts_by_topic("sanctions", None)
    expected = {f.key for f in bundle.facts if "sanctions" in f.topics and not f.retracted}
    assert {fact.key for fact in facts} == expected
    assert all("sanctions" in fact.topics for fact in facts)
    assert [fact.id for fact in facts] == sorted(fact.id for fact in facts)
    assert await store.facts_by_topic("weather", None) == []


async def test_fact_with_citations_matching_the_source(store: Store) -> None:
    fact_id = await _fact_id(store, "state-dept-statement")
    fact = await store.fact(fact_id, None)
    assert fact is not None
    assert fact.key == "state-dept-statement"
    assert fact.kind is Kind.QUOTE
    assert fact.attributed_to == "U.S. State Department"
    assert fact.subject.name == "U.S. State Department"
    assert set(fact.topics) == {"sanctions", "nuclear programme", "diplomacy"}
    assert {ref.name for ref in fact.entities} == {
        "United States",
        "Russia",
        "United Nations",
        "North Korea",
    }
    # The quotation, then the attribution after it.
    citation, attribution = fact.citations
    assert attribution.quote == "U.S. State Department"
    assert (attribution.start, attribution.end) == (1210, 1231)
    source = await store.source(citation.source_id, None, with_text=True)
    assert source is not None and source.text is not None
    assert (citation.start, citation.end) == (1014, 1209)
    assert citation.quote == source.text[citation.start : citation.end]
    assert citation.source_title == source.title


async def test_every_stored_citation_is_its_source_span(store: Store, bundle) -> None:
    [source] = await store.sources(None)
    full = await store.source(source.id, None, with_text=True)
    assert full is not None and full.text is not None
    for spec in bundle.facts:
        fact_id = await _fact_id(store, spec.key)
        fact = await store.fact(fact_id, None, include_retracted=spec.retracted)
        assert fact is not None
        assert fact.citations, spec.key
        for citation in fact.citations:
            raw = full.text[citation.start : citation.end]
            assert normalise_for_match(raw) == normalise_for_match(citation.quote), spec.key


async def test_missing_fact_is_none(store: Store) -> None:
    assert await store.fact(9999, None) is None


async def test_source_metadata_round_trips(store: Store) -> None:
    [source] = await store.sources(None)
    assert source.title_is_ours is True
    assert source.publisher is None
    assert source.url is None
    assert source.author is None
    assert source.published is not None
    assert source.published.value.isoformat() == "2019-04-22"
    assert source.published.precision.value == "week"
    assert source.text is None  # only loaded when asked for


# --- search ------------------------------------------------------------------------------


async def test_search_sanctions_returns_sanctions_facts_first(store: Store, bundle) -> None:
    results = await store.search("sanctions", None)
    sanctions_keys = {f.key for f in bundle.facts if "sanctions" in f.topics and not f.retracted}
    assert 0 < len(sanctions_keys) <= 10
    # Every fact tagged "sanctions" (they all say it), and those first.
    assert {fact.key for fact in results[: len(sanctions_keys)]} == sanctions_keys


async def test_search_finds_the_state_department_statement(store: Store) -> None:
    results = await store.search("State Department statement", None)
    keys = [fact.key for fact in results]
    assert "state-dept-statement" in keys[:2]


async def test_search_by_quote_words_and_accents(store: Store) -> None:
    results = await store.search("denuclearization", None)
    # Fact 13 (un-sanctions) is withdrawn: its words are the State Department's, fact 12.
    assert {fact.key for fact in results} == {"state-dept-statement"}
    assert await store.search("zzzzqqq", None) == []


async def test_search_half_typed_last_word(store: Store) -> None:
    results = await store.search("denucleari", None)
    assert {fact.key for fact in results} == {"state-dept-statement"}


@pytest.mark.parametrize(
    "hostile",
    ['"', "*", "NEAR(", "AND OR", "'; DROP TABLE facts; --", '"sanctions', "sanc*)", "^", ""],
)
async def test_hostile_search_never_breaks_anything(store: Store, bundle, hostile: str) -> None:
    results = await store.search(hostile, None)
    assert isinstance(results, list)
    assert await _sql(store, "SELECT COUNT(*) FROM facts") == [(len(bundle.facts),)]
    assert (await store.search("sanctions", None))[0].key is not None


# --- visibility --------------------------------------------------------------------------


async def test_server_fact_is_seen_only_in_that_server(store: Store) -> None:
    fact_id = await _insert_fact(store, guild_id=42, statement="A server-only note on Kim.")
    seen = await store.fact(fact_id, 42)
    assert seen is not None
    assert seen.statement == "A server-only note on Kim."
    assert seen.guild_id == 42
    assert await store.fact(fact_id, None) is None
    assert await store.fact(fact_id, 7) is None

    kim = (await store.find_entity("kim")).entity
    assert kim is not None
    assert fact_id in {f.id for f in await store.facts_about(kim.id, 42)}
    assert fact_id not in {f.id for f in await store.facts_about(kim.id, None)}
    assert fact_id not in {f.id for f in await store.facts_about(kim.id, 7)}
    assert fact_id in {f.id for f in await store.facts_by_topic("sanctions", 42)}
    assert fact_id not in {f.id for f in await store.facts_by_topic("sanctions", 7)}
    shared = (await store.counts(None)).facts
    assert (await store.counts(42)).facts == shared + 1
    assert (await store.counts(7)).facts == shared


async def test_shared_facts_are_seen_everywhere(store: Store) -> None:
    fact_id = await _fact_id(store, "state-dept-statement")
    for guild in (None, 7, 42):
        assert await store.fact(fact_id, guild) is not None


async def test_rebuild_keeps_moderator_rows(store: Store, data_copy: Path) -> None:
    fact_id = await _insert_fact(store, guild_id=None, statement="Added by a moderator.")
    row_before = await _sql(store, "SELECT * FROM facts WHERE id = ?", (fact_id,))
    topics_before = await _sql(store, "SELECT * FROM fact_topics WHERE fact_id = ?", (fact_id,))
    # A rebuild that really writes: one curated statement changed.
    path = data_copy / BRIEFING
    text = path.read_text(encoding="utf-8")
    old = "statement = \"North Korea's desire to move up the meeting had suddenly accelerated;"
    assert text.count(old) == 1
    path.write_text(text.replace(old, 'statement = "North Korea wanted to meet sooner;'), "utf-8")
    report = await build(store, data_copy)
    assert report.updated == 1
    assert await _sql(store, "SELECT * FROM facts WHERE id = ?", (fact_id,)) == row_before
    assert (
        await _sql(store, "SELECT * FROM fact_topics WHERE fact_id = ?", (fact_id,))
        == topics_before
    )
    fact = await store.fact(fact_id, None)
    assert fact is not None
    assert fact.key is None
    assert fact.statement == "Added by a moderator."


async def test_rebuild_after_an_alias_moves_to_an_earlier_entity(
    store: Store, data_copy: Path
) -> None:
    path = data_copy / "entities.toml"
    text = path.read_text(encoding="utf-8")
    # "State Dept" moves from the State Department to the United States (listed earlier).
    text = text.replace('"State Department", "State Dept", ', '"State Department", ')
    text = text.replace('aliases = ["U.S.", ', 'aliases = ["State Dept", "U.S.", ')
    path.write_text(text, encoding="utf-8")
    assert curation.check(curation.load(data_copy)) == []
    await build(store, data_copy)
    match = await store.find_entity("State Dept")
    assert match.entity is not None
    assert match.entity.name == "United States"
