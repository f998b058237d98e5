"""Moderators' and curators' writes (bot.moderation over the store): validation, scope,
versions, retraction, meetings' dates, the audit trail and transactional failure."""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import moderation
from bot.errors import BadInput, Conflict, NotFound
from bot.models import Change, CitationDraft, Kind, MeetingStatus, Precision, RowOwner, Table
from bot.store import Store
from bot.text import strip_control
from tests.conftest import FIXED_NOW

# About the store's behaviour: these run on SQLite and on PostgreSQL (tests/conftest.py).
BOTH_ENGINES = True
# What each engine raises for a row that breaks a constraint.
INTEGRITY = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)

G1 = 111_111_111_111
G2 = 222_222_222_222
MOD1 = 1001
MOD2 = 2002
CURATOR = 9009

ARTICLE = (
    "Officials in Seoul said on Monday that the talks would resume next week.\n"
    "“We’re  ready to meet without preconditions,” the envoy said.\n\n"
    "Analysts doubt that sanctions relief is on the table before the summit."
)
QUOTE = "Officials in Seoul said on Monday that the talks would resume next week."
CURLY_QUOTE = "“We’re  ready to meet without preconditions,”"
# Markdown, mention syntax, quotes, blanks and control characters a statement may hold.
STATEMENT_CHARS = [*"ab <>@&#*_`~|[]()\\:\"'’“\n\t", "\x00", "\x1b", "\x7f"]
TYPED_STRAIGHT = '"We\'re ready to meet without preconditions,"'


def change(guild: int | None = G1, actor: int = MOD1, reason: str = "", at=FIXED_NOW) -> Change:
    return Change(actor_id=actor, guild_id=guild, at=at, reason=reason)


async def add_source(store: Store, guild: int | None = G1, **overrides) -> int:
    fields = {"title": "Talks to resume", "text": ARTICLE, "published": "2026-11-20"}
    fields.update(overrides)
    actor = CURATOR if guild is None else MOD1
    return await moderation.add_source(store, change(guild, actor), **fields)


async def add_fact(store: Store, source_id: int, guild: int | None = G1, **overrides) -> int:
    fields = {
        "subject": "Kim Jong Un",
        "statement": "Talks are to resume next week, officials in Seoul said.",
        "kind": "reported",
        "source": source_id,
        "quote": QUOTE,
        "topic": "diplomacy, talks",
    }
    fields.update(overrides)
    actor = CURATOR if guild is None else MOD1
    return await moderation.add_fact(store, change(guild, actor), **fields)


async def snapshot(store: Store, guild: int | None = G1) -> tuple:
    """Everything a refused write must leave untouched, as seen from one scope."""
    counts = await store.counts(guild)
    audit = await store.audit_log(guild, 1000)
    shared = await store.audit_log(None, 1000)
    sources = await store.sources(guild)
    return counts, [a.id for a in audit], [a.id for a in shared], [s.id for s in sources]


async def kim(store: Store) -> int:
    match = await store.find_entity("Kim Jong Un")
    assert match.entity is not None
    return match.entity.id


# --- sources ---------------------------------------------------------------------------


async def test_add_source_is_visible_only_in_its_own_server(store: Store) -> None:
    source_id = await add_source(store, url="https://example.org/talks")
    mine = await store.source(source_id, G1, with_text=True)
    assert mine is not None
    assert mine.guild_id == G1
    assert mine.text == ARTICLE
    assert mine.url == "https://example.org/talks"
    assert await store.source(source_id, G2) is None
    assert await store.source(source_id, None) is None
    assert source_id not in [s.id for s in await store.sources(G2)]
    [entry] = await store.audit_log(G1, 10)
    assert (entry.action, entry.object_type, entry.object_id) == ("add", "source", source_id)
    assert (entry.actor_id, entry.guild_id, entry.at) == (MOD1, G1, FIXED_NOW)


@pytest.mark.parametrize(
    ("typed", "expected", "precision"),
    [
        ("2019", date(2019, 1, 1), Precision.YEAR),
        ("April 2019", date(2019, 4, 1), Precision.MONTH),
        ("2019-04-22", date(2019, 4, 22), Precision.DAY),
    ],
)
async def test_add_source_keeps_the_published_date_as_precise_as_typed(
    store: Store, typed: str, expected: date, precision: Precision
) -> None:
    source_id = await add_source(store, published=typed)
    source = await store.source(source_id, G1)
    assert source is not None and source.published is not None
    assert source.published.value == expected
    assert source.published.precision is precision


@pytest.mark.parametrize("typed", ["2019-04", "2019/04"])
async def test_iso_year_month_is_month_precision(store: Store, typed: str) -> None:
    source_id = await add_source(store, published=typed)
    source = await store.source(source_id, G1)
    assert source is not None and source.published is not None
    assert source.published.value == date(2019, 4, 1)
    assert source.published.precision is Precision.MONTH


async def test_add_source_text_is_bounded_to_200_kb(store: Store) -> None:
    at_limit = "a" * moderation.SOURCE_TEXT_MAX_BYTES
    assert await add_source(store, text=at_limit)
    before = await snapshot(store)
    with pytest.raises(BadInput, match="200 kB"):
        await add_source(store, text=at_limit + "b")
    # Bytes, not characters: 66,667 three-byte Hangul syllables are over 200 kB.
    with pytest.raises(BadInput, match="200 kB"):
        await add_source(store, text="한" * 66_667)
    assert await snapshot(store) == before


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"text": "  \n\t "}, "empty"),
        ({"title": ""}, "`title` is required"),
        ({"title": "t" * 201}, "`title` is 201 characters; the limit is 200"),
        ({"url": "javascript:alert(1)"}, "http"),
        ({"published": "not a date at all"}, "Could not read"),
    ],
)
async def test_add_source_refusals_store_nothing(
    store: Store, overrides: dict, message: str
) -> None:
    before = await snapshot(store)
    with pytest.raises(BadInput, match=message):
        await add_source(store, **overrides)
    assert await snapshot(store) == before


async def test_source_title_of_200_characters_is_accepted(store: Store) -> None:
    source_id = await add_source(store, title="t" * 200)
    source = await store.source(source_id, G1)
    assert source is not None and source.title == "t" * 200


# --- adding facts ----------------------------------------------------------------------


async def test_add_fact_stores_a_cited_fact_for_this_server_only(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    assert fact.guild_id == G1
    assert fact.subject.name == "Kim Jong Un"
    assert fact.kind is Kind.REPORTED
    assert fact.statement == "Talks are to resume next week, officials in Seoul said."
    assert set(fact.topics) == {"diplomacy", "talks"}
    assert fact.version == 1
    [citation] = fact.citations
    assert citation.source_id == source_id
    assert citation.quote == QUOTE
    assert ARTICLE[citation.start : citation.end] == QUOTE
    # Invisible anywhere else.
    assert await store.fact(fact_id, G2) is None
    assert await store.fact(fact_id, None) is None
    assert fact_id in [f.id for f in await store.facts_about(await kim(store), G1)]
    assert fact_id not in [f.id for f in await store.facts_about(await kim(store), G2)]
    assert fact_id in [f.id for f in await store.search("resume next week", G1)]
    assert fact_id not in [f.id for f in await store.search("resume next week", G2)]
    # Audited with actor, server, time and the new state.
    [entry] = await store.history("fact", fact_id, G1)
    assert (entry.action, entry.actor_id, entry.guild_id, entry.at) == (
        "add",
        MOD1,
        G1,
        FIXED_NOW,
    )
    assert entry.before is None
    assert entry.after is not None and entry.after["statement"] == fact.statement


async def test_add_fact_may_cite_a_shared_source(store: Store) -> None:
    fact_id = await add_fact(
        store, 1, quote="Mere weeks after Kim Jung Un and U.S. President Donald Trump met in Hanoi"
    )
    fact = await store.fact(fact_id, G1)
    assert fact is not None and fact.citations[0].source_id == 1


async def test_quote_typed_with_straight_quotes_matches_curly_source(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(
        store,
        source_id,
        kind="quote",
        attributed_to="The envoy",
        quote=TYPED_STRAIGHT,
        statement="The envoy said they were ready to meet without preconditions.",
    )
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    # The source's own characters are stored, curly quotes and double space included.
    assert fact.citations[0].quote == CURLY_QUOTE
    assert fact.attributed_to == "The envoy"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"subject": "Putn"}, r"no entry for “Putn”.*Did you mean .*Vladimir Putin"),
        ({"subject": ""}, "`subject` is required"),
        ({"kind": "rumour"}, "`kind` must be one of: reported, quote, attributed, opinion"),
        ({"kind": "quote"}, "A `quote` fact needs `attributed_to`"),
        ({"kind": "attributed"}, "An? `attributed` fact needs `attributed_to`"),
        ({"kind": "quote", "attributed_to": "  \x00 "}, "needs `attributed_to`"),
        ({"statement": "s" * 501}, "`statement` is 501 characters; the limit is 500"),
        ({"statement": " \x01\x02 "}, "`statement` is required"),
        ({"quote": "q" * 1001}, "`quote` is 1001 characters; the limit is 1000"),
        ({"attributed_to": "a" * 101, "kind": "quote"}, "limit is 100"),
        ({"source": 999_999}, "There is no source 999999 here"),
    ],
)
async def test_add_fact_refusals_explain_and_store_nothing(
    store: Store, overrides: dict, message: str
) -> None:
    source_id = await add_source(store)
    before = await snapshot(store)
    with pytest.raises(BadInput, match=message):
        await add_fact(store, source_id, **overrides)
    assert await snapshot(store) == before


async def test_statement_of_exactly_500_characters_is_accepted(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id, statement="s" * 500)
    fact = await store.fact(fact_id, G1)
    assert fact is not None and len(fact.statement) == 500


async def test_quote_not_in_the_source_is_refused_with_the_closest_passage(store: Store) -> None:
    source_id = await add_source(store)
    before = await snapshot(store)
    with pytest.raises(BadInput) as refused:
        await add_fact(
            store, source_id, quote="Officials in Seoul said on Tuesday that talks would resume"
        )
    message = str(refused.value)
    assert f"not in source {source_id} word for word" in message
    assert "closest passage" in message
    assert "Officials in Seoul said on Monday that the talks would resume" in message
    assert await snapshot(store) == before


async def test_a_source_of_another_server_cannot_be_cited(store: Store) -> None:
    source_id = await add_source(store, guild=G1)
    before = await snapshot(store, G2)
    with pytest.raises(BadInput, match=f"no source {source_id} here"):
        await add_fact(store, source_id, guild=G2)
    # Nor can the shared facts cite a server's source.
    with pytest.raises(BadInput, match=f"no source {source_id} here"):
        await add_fact(store, source_id, guild=None)
    assert await snapshot(store, G2) == before


async def test_text_is_stored_as_typed_with_control_characters_stripped(store: Store) -> None:
    source_id = await add_source(store)
    typed = "@everyone <@&123> <@456> **bold** `code` [x](https://e.org) \x00\x07\x1b\x7fend"
    fact_id = await add_fact(store, source_id, statement=typed)
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    assert fact.statement == "@everyone <@&123> <@456> **bold** `code` [x](https://e.org) end"


async def test_c1_control_characters_are_stripped_too(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id, statement="before\x85\x9b[31mafter")
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    assert fact.statement == "before[31mafter"


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    typed=st.text(
        alphabet=st.sampled_from(STATEMENT_CHARS),
        min_size=1,
        max_size=60,
    )
)
async def test_any_statement_is_stored_as_typed_on_one_line_minus_controls(
    store: Store, typed: str
) -> None:
    """Blanks and newlines become single spaces (a stored text never spans lines)."""
    expected = " ".join(strip_control(typed).split())
    try:
        fact_id = await add_fact(store, 1, statement=typed, quote="Pin It on Pinterest")
    except BadInput as refused:
        assert not expected, refused
        return
    fact = await store.fact(fact_id, G1)
    assert fact is not None and fact.statement == expected


# --- editing, versions and conflicts ---------------------------------------------------


async def test_edit_fact_changes_only_the_given_fields_and_bumps_the_version(
    store: Store,
) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    before = await store.fact(fact_id, G1)
    assert before is not None
    later = FIXED_NOW + timedelta(hours=1)
    await moderation.edit_fact(
        store, change(at=later, reason="typo"), fact_id, statement="Talks resume next week."
    )
    after = await store.fact(fact_id, G1)
    assert after is not None
    assert after.statement == "Talks resume next week."
    assert after.version == before.version + 1
    assert replace(after, statement=before.statement, version=before.version) == before
    entries = await store.history("fact", fact_id, G1)
    assert [e.action for e in entries] == ["add", "edit"]
    edit = entries[-1]
    assert edit.at == later and edit.reason == "typo" and edit.actor_id == MOD1
    assert edit.before is not None and edit.after is not None
    assert edit.before["statement"] == before.statement
    assert edit.after["statement"] == "Talks resume next week."


async def test_edit_fact_quote_is_verified_again(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    with pytest.raises(BadInput, match="closest passage"):
        await moderation.edit_fact(store, change(), fact_id, quote="Analysts doubt that relief")
    await moderation.edit_fact(
        store, change(), fact_id, quote="Analysts doubt that sanctions relief is on the table"
    )
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    assert fact.citations[0].quote == "Analysts doubt that sanctions relief is on the table"
    assert fact.version == 2


async def test_edit_fact_to_quote_kind_needs_attribution(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    with pytest.raises(BadInput, match="attributed_to"):
        await moderation.edit_fact(store, change(), fact_id, kind="quote")
    await moderation.edit_fact(store, change(), fact_id, kind="quote", attributed_to="Officials")
    fact = await store.fact(fact_id, G1)
    assert fact is not None and fact.kind is Kind.QUOTE and fact.attributed_to == "Officials"


async def test_edit_with_nothing_new_is_refused(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    with pytest.raises(BadInput, match="Nothing to change"):
        await moderation.edit_fact(store, change(), fact_id, statement=fact.statement)


async def test_stale_version_is_a_conflict_and_changes_nothing(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    await moderation.edit_fact(store, change(), fact_id, statement="First correction.")
    current = await store.fact(fact_id, G1)
    assert current is not None and current.version == 2
    draft = replace(moderation.draft_of(current), statement="Based on the old version.")
    before = await snapshot(store)
    with pytest.raises(Conflict, match="Someone changed fact"):
        await store.edit_fact(fact_id, draft, 1, change())
    assert await snapshot(store) == before
    unchanged = await store.fact(fact_id, G1)
    assert unchanged == current


async def test_concurrent_edits_one_wins_one_conflicts_no_lost_update(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    start = await store.fact(fact_id, G1)
    assert start is not None
    draft = moderation.draft_of(start)
    first = replace(draft, statement="Edited by the first moderator.")
    second = replace(draft, statement="Edited by the second moderator.", topics=("other",))
    outcomes = await asyncio.gather(
        store.edit_fact(fact_id, first, start.version, change(actor=MOD1)),
        store.edit_fact(fact_id, second, start.version, change(actor=MOD1 + 1)),
        return_exceptions=True,
    )
    conflicts = [o for o in outcomes if isinstance(o, Conflict)]
    assert len(conflicts) == 1, outcomes
    winner_index = outcomes.index(None)
    winner = (first, second)[winner_index]
    final = await store.fact(fact_id, G1)
    assert final is not None
    assert final.version == start.version + 1
    assert final.statement == winner.statement
    assert set(final.topics) == set(winner.topics)
    edits = [e for e in await store.history("fact", fact_id, G1) if e.action == "edit"]
    assert len(edits) == 1
    assert edits[0].actor_id == (MOD1, MOD1 + 1)[winner_index]
    assert edits[0].after is not None and edits[0].after["statement"] == winner.statement


async def test_concurrent_edits_through_moderation_do_not_lose_updates(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    outcomes = await asyncio.gather(
        moderation.edit_fact(store, change(), fact_id, statement="One."),
        moderation.edit_fact(store, change(actor=MOD2), fact_id, topic="two"),
        return_exceptions=True,
    )
    final = await store.fact(fact_id, G1)
    assert final is not None
    applied = [o for o in outcomes if not isinstance(o, BaseException)]
    assert all(isinstance(o, Conflict) for o in outcomes if isinstance(o, BaseException))
    edits = [e for e in await store.history("fact", fact_id, G1) if e.action == "edit"]
    assert len(edits) == len(applied) == final.version - 1
    # Whatever landed is in the final state; nothing that landed was overwritten.
    for draft in applied:
        if draft.statement == "One.":
            assert final.statement == "One."
        if draft.topics == ("two",):
            assert final.topics == ("two",)


# --- retract and restore ---------------------------------------------------------------


async def test_retract_needs_a_reason(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    before = await snapshot(store)
    for reason in ("", "   "):
        with pytest.raises(BadInput, match="Say why"):
            await moderation.retract_fact(store, change(reason=reason), fact_id)
    with pytest.raises(BadInput, match="`reason` is 301 characters"):
        await moderation.retract_fact(store, change(reason="r" * 301), fact_id)
    assert await snapshot(store) == before
    assert await store.fact(fact_id, G1) is not None


async def test_retracted_fact_leaves_answers_but_stays_in_history(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    kim_id = await kim(store)
    facts_before = (await store.counts(G1)).facts
    await moderation.retract_fact(store, change(reason="Misread the source"), fact_id)
    assert await store.fact(fact_id, G1) is None
    assert fact_id not in [f.id for f in await store.facts_about(kim_id, G1)]
    assert fact_id not in [f.id for f in await store.search("resume next week", G1)]
    assert fact_id not in [f.id for f in await store.facts_by_topic("talks", G1)]
    assert (await store.counts(G1)).facts == facts_before - 1
    hidden = await store.fact(fact_id, G1, include_retracted=True)
    assert hidden is not None and hidden.retracted
    entries = await store.history("fact", fact_id, G1)
    assert [e.action for e in entries] == ["add", "retract"]
    assert entries[-1].reason == "Misread the source"
    assert entries[-1].before is not None and entries[-1].before["retracted"] is False
    assert entries[-1].after is not None and entries[-1].after["retracted"] is True
    with pytest.raises(Conflict, match="already retracted"):
        await moderation.retract_fact(store, change(reason="again"), fact_id)


async def test_restore_brings_a_retracted_fact_back(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    await moderation.retract_fact(store, change(reason="check"), fact_id)
    await moderation.restore_fact(store, change(), fact_id)
    fact = await store.fact(fact_id, G1)
    assert fact is not None and not fact.retracted and fact.version == 3
    assert fact_id in [f.id for f in await store.search("resume next week", G1)]
    assert [e.action for e in await store.history("fact", fact_id, G1)] == [
        "add",
        "retract",
        "restore",
    ]
    with pytest.raises(Conflict, match="not retracted"):
        await moderation.restore_fact(store, change(), fact_id)


# --- scope: a server's change touches only its own rows --------------------------------


async def test_a_server_cannot_change_another_servers_fact(store: Store) -> None:
    source_id = await add_source(store, guild=G2)
    fact_id = await add_fact(store, source_id, guild=G2)
    before = await snapshot(store, G2)
    theirs = change(G1)
    with pytest.raises(NotFound):
        await moderation.edit_fact(store, theirs, fact_id, statement="Hijacked.")
    with pytest.raises(NotFound):
        await moderation.retract_fact(store, replace(theirs, reason="spite"), fact_id)
    with pytest.raises(NotFound):
        await moderation.restore_fact(store, theirs, fact_id)
    # Even straight at the store with the right version.
    fact = await store.fact(fact_id, G2)
    assert fact is not None
    draft = replace(moderation.draft_of(fact), statement="Hijacked.")
    with pytest.raises(NotFound):
        await store.edit_fact(fact_id, draft, fact.version, theirs)
    with pytest.raises(NotFound):
        await store.set_fact_retracted(fact_id, True, fact.version, theirs)
    assert await snapshot(store, G2) == before
    assert await store.fact(fact_id, G2) == fact


async def test_a_server_cannot_change_a_shared_fact(store: Store) -> None:
    shared = await store.fact(1, None)
    assert shared is not None and shared.guild_id is None
    before = await snapshot(store, None)
    with pytest.raises(NotFound):
        await moderation.edit_fact(store, change(G1), 1, statement="Hijacked.")
    with pytest.raises(NotFound):
        await moderation.retract_fact(store, change(G1, reason="spite"), 1)
    draft = replace(moderation.draft_of(shared), statement="Hijacked.")
    with pytest.raises(NotFound):
        await store.edit_fact(1, draft, shared.version, change(G1))
    assert await snapshot(store, None) == before
    assert await store.fact(1, None) == shared


async def test_the_shared_scope_cannot_change_a_servers_fact(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    with pytest.raises(NotFound):
        await moderation.edit_fact(store, change(None, CURATOR), fact_id, statement="X.")


async def test_curator_edits_a_shared_fact_in_the_shared_scope(store: Store) -> None:
    await moderation.edit_fact(
        store, change(None, CURATOR, reason="clarity"), 1, statement="A clearer statement."
    )
    fact = await store.fact(1, G2)
    assert fact is not None and fact.statement == "A clearer statement." and fact.version == 2
    [entry] = await store.audit_log(None, 5)
    assert (entry.actor_id, entry.guild_id, entry.action) == (CURATOR, None, "edit")
    assert await store.audit_log(G1, 5) == []


async def test_history_of_a_servers_fact_is_hidden_from_other_servers(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    assert await store.history("fact", fact_id, G2) == []
    assert [e.object_id for e in await store.audit_log(G2, 50)] == []


# --- meetings --------------------------------------------------------------------------


async def add_meeting(store: Store, source: int, **overrides) -> moderation.MeetingResult:
    fields = {
        "title": "Working-level talks",
        "when": "2026-12-03 10:00 Asia/Seoul",
        "where": "Seoul",
        "participants": "Kim Jong Un, Vladimir Putin, A. N. Envoy",
        "source": source,
        "quote": QUOTE,
    }
    fields.update(overrides)
    return await moderation.add_meeting(store, change(), **fields)


@pytest.mark.parametrize(
    ("typed", "start", "zone", "precision"),
    [
        ("2026-12-03 10:00 Asia/Seoul", datetime(2026, 12, 3, 1, 0), "Asia/Seoul", "minute"),
        ("Dec 3 10am KST", datetime(2026, 12, 3, 1, 0), "Asia/Seoul", "minute"),
        (
            "next Thursday 15:00 Europe/Moscow",
            datetime(2026, 12, 3, 12, 0),
            "Europe/Moscow",
            "minute",
        ),
        ("2026-12-03", datetime(2026, 12, 3, 0, 0), "UTC", "day"),
    ],
)
async def test_add_meeting_reads_each_date_form(
    store: Store, typed: str, start: datetime, zone: str, precision: str
) -> None:
    source_id = await add_source(store)
    result = await add_meeting(store, source_id, when=typed)
    assert result.when.start == start.replace(tzinfo=UTC)
    assert result.when.tz == zone
    assert result.when.precision.value == precision
    assert result.when.resolution
    meeting = await store.meeting(result.meeting_id, G1)
    assert meeting is not None
    assert meeting.when.start == start.replace(tzinfo=UTC)
    assert meeting.status is MeetingStatus.SCHEDULED
    assert meeting.guild_id == G1
    assert [p.name for p in meeting.participants] == [
        "Kim Jong Un",
        "Vladimir Putin",
        "A. N. Envoy",
    ]
    assert await store.meeting(result.meeting_id, G2) is None
    assert result.meeting_id not in [m.id for m in await store.meetings(G2)]
    assert result.meeting_id not in [m.id for m in await store.meetings(None)]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"when": "2026-11-01 10:00 UTC"}, "in the past"),
        ({"when": "2026-12-03 10:00 Mars/Olympus"}, "Unknown time zone `Mars/Olympus`"),
        ({"when": "Dec 3 10am CST"}, "`CST` is ambiguous"),
        ({"when": "03/12/2026"}, "could be day/month or month/day"),
        ({"when": "someday soon"}, "Could not read"),
        ({"when": ""}, "`when` is required"),
        ({"status": "rumoured"}, "`status` must be one of"),
        ({"title": "t" * 201}, "`title` is 201 characters"),
        ({"quote": "Officials in Pyongyang said on Monday"}, "closest passage"),
        ({"participants": ", ".join(f"P{n}" for n in range(21))}, "At most 20"),
    ],
)
async def test_add_meeting_refusals_store_nothing(
    store: Store, overrides: dict, message: str
) -> None:
    source_id = await add_source(store)
    before = await snapshot(store)
    with pytest.raises(BadInput, match=message):
        await add_meeting(store, source_id, **overrides)
    assert await snapshot(store) == before


async def test_a_past_meeting_is_accepted_when_held(store: Store) -> None:
    source_id = await add_source(store)
    result = await add_meeting(store, source_id, when="2026-11-01 10:00 UTC", status="held")
    meeting = await store.meeting(result.meeting_id, G1)
    assert meeting is not None and meeting.status is MeetingStatus.HELD
    assert meeting.when.start == datetime(2026, 11, 1, 10, 0, tzinfo=UTC)


async def test_cancel_meeting_records_the_reason(store: Store) -> None:
    source_id = await add_source(store)
    result = await add_meeting(store, source_id)
    with pytest.raises(BadInput, match="`reason` is required"):
        await moderation.cancel_meeting(store, change(), result.meeting_id)
    await moderation.cancel_meeting(store, change(reason="Postponed sine die"), result.meeting_id)
    meeting = await store.meeting(result.meeting_id, G1)
    assert meeting is not None
    assert meeting.status is MeetingStatus.CANCELLED
    assert meeting.status_note == "Postponed sine die"
    assert meeting.version == 2
    entries = await store.history("meeting", result.meeting_id, G1)
    assert [e.action for e in entries] == ["add", "cancel"]
    assert entries[-1].reason == "Postponed sine die"
    with pytest.raises(BadInput, match="already cancelled"):
        await moderation.cancel_meeting(store, change(reason="again"), result.meeting_id)


async def test_edit_meeting_rereads_the_date(store: Store) -> None:
    source_id = await add_source(store)
    result = await add_meeting(store, source_id)
    edited = await moderation.edit_meeting(
        store, change(), result.meeting_id, when="Dec 4 09:30 JST", title="Rescheduled talks"
    )
    assert edited.when.start == datetime(2026, 12, 4, 0, 30, tzinfo=UTC)
    meeting = await store.meeting(result.meeting_id, G1)
    assert meeting is not None
    assert meeting.title == "Rescheduled talks" and meeting.when.tz == "Asia/Tokyo"
    assert meeting.version == 2


async def test_a_server_cannot_change_another_servers_or_a_shared_meeting(store: Store) -> None:
    source_id = await add_source(store)
    result = await add_meeting(store, source_id)
    other = change(G2, MOD2, reason="spite")
    with pytest.raises(NotFound):
        await moderation.edit_meeting(store, other, result.meeting_id, title="Hijacked")
    with pytest.raises(NotFound):
        await moderation.cancel_meeting(store, other, result.meeting_id)
    with pytest.raises(NotFound):
        await moderation.cancel_meeting(store, change(G1, reason="spite"), 1)
    meeting = await store.meeting(result.meeting_id, G1)
    assert meeting is not None and meeting.version == 1


# --- transactions: all of a write, or none of it ---------------------------------------


async def test_a_write_failing_midway_rolls_back_entirely(store: Store) -> None:
    source_id = await add_source(store)
    fact_id = await add_fact(store, source_id)
    fact = await store.fact(fact_id, G1)
    assert fact is not None
    before = await snapshot(store)
    # The version bump and statement update run before the citation insert fails.
    broken = replace(
        moderation.draft_of(fact),
        statement="Half-written.",
        citations=(CitationDraft(987_654, "nowhere", 0, 7),),
    )
    with pytest.raises(INTEGRITY):
        await store.edit_fact(fact_id, broken, fact.version, change())
    assert await store.fact(fact_id, G1) == fact
    assert await snapshot(store) == before
    # An add whose links fail leaves no fact row behind either.
    draft = replace(moderation.draft_of(fact), entity_ids=(987_654,))
    with pytest.raises(INTEGRITY):
        await store.add_fact(draft, change())
    assert await snapshot(store) == before
    # The store still takes writes afterwards.
    await moderation.edit_fact(store, change(), fact_id, statement="Fine now.")


async def test_out_of_scope_writes_are_refused_in_one_set_of_words(store: Store) -> None:
    """The store's guard is the authority (moderation no longer checks the scope again);
    whichever layer refuses, the words are the same, and only the two tables with a
    scope can be asked whose a row is."""
    words = "Fact 1 is not one of this server's facts, so it cannot be changed here."
    with pytest.raises(NotFound) as refused:
        await moderation.edit_fact(store, change(G1), 1, statement="Hijacked.")
    assert str(refused.value) == words
    with pytest.raises(NotFound) as refused:
        await moderation.restore_fact(store, change(G1), 1)
    assert str(refused.value) == words
    with pytest.raises(NotFound, match="Fact 99999 is not one of the shared facts"):
        await moderation.edit_fact(store, change(None), 99999, statement="Anything.")
    assert await store.row_owner(Table.FACTS, 1) == RowOwner(None)
    assert await store.row_owner(Table.MEETINGS, 99999) is None
    with pytest.raises(ValueError):
        await store.row_owner("audit", 1)  # type: ignore[arg-type]
