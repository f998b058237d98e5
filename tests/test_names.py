"""Names, holders and search in the briefing layer (issue 10, section 4)."""

from __future__ import annotations

from bot import briefing, moderation
from bot.models import Change
from bot.render.common import kind_text
from bot.store import Store
from bot.usertext import plain
from tests.conftest import FIXED_NOW, asking


async def _add_entity(store: Store, key: str, name: str) -> None:
    async with store.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO entities(key, name, type) VALUES (?, ?, 'person')", (key, name)
        )
        await conn.execute(
            "INSERT INTO aliases(folded, alias, entity_id) VALUES (?, ?, ?)",
            (name.casefold(), name, cursor.lastrowid),
        )


# --- a short name ---------------------------------------------------------------------


async def test_a_bare_surname_says_it_is_the_only_one(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "kim")
    assert answer.title == "Kim Jong Un"
    note = "“Kim” is taken to mean Kim Jong Un, the only Kim in the briefing"
    assert note in plain(answer.intro)
    full = await briefing.who(store, asking(None, FIXED_NOW), "Kim Jong Un")
    assert "taken to mean" not in full.intro


async def test_a_bare_surname_names_the_others_when_there_are_others(store: Store) -> None:
    await _add_entity(store, "kim-yo-jong", "Kim Yo Jong")
    answer = await briefing.who(store, asking(None, FIXED_NOW), "Kim")
    assert answer.title == "Kim Jong Un"
    assert "the briefing also has Kim Yo Jong" in plain(answer.intro)
    assert "the only Kim" not in answer.intro


async def test_a_full_name_in_another_script_gets_no_note(store: Store) -> None:
    for spelling in ("김정은", "Kim Jung Un", "Ким Чен Ын"):
        answer = await briefing.who(store, asking(None, FIXED_NOW), spelling)
        assert answer.title == "Kim Jong Un"
        assert "taken to mean" not in answer.intro


# --- holders of views -----------------------------------------------------------------


def _fact_ids(answer: briefing.Answer) -> set[int]:
    return {ref.fact_id for ref in answer.refs if ref.fact_id is not None}


async def _fact_id(store: Store, key: str) -> int:
    return next(f.id for f in await store.facts_in_scope(None) if f.key == key)


async def test_who_analysts_shows_the_views_attributed_to_them(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "analysts")
    assert answer.found
    assert plain(answer.title) == "Analysts"
    assert _fact_ids(answer) == {await _fact_id(store, "analysts-global-force")}
    labels = [plain(kind_text(line)) for section in answer.sections for line in section.lines]
    assert labels == ["Attributed view: Analysts"]
    assert "not a person or body" in answer.intro


async def test_holders_match_on_words_so_officials_finds_many_officials(store: Store) -> None:
    for typed, key in [
        ("officials", "officials-ploy"),
        ("critics", "critics-self-defence"),
        ("European leaders", "europeans-allies-against-us"),
        ("european leader", "europeans-allies-against-us"),
        ("the critics?", "critics-self-defence"),
    ]:
        answer = await briefing.who(store, asking(None, FIXED_NOW), typed)
        assert answer.found, typed
        assert await _fact_id(store, key) in _fact_ids(answer), typed


async def test_a_name_that_is_neither_entity_nor_holder_is_still_no_entry(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "astronauts")
    assert not answer.found
    assert answer.refs == []


async def test_a_servers_own_holders_stay_in_that_server(store: Store) -> None:
    change = Change(actor_id=7, guild_id=42, at=FIXED_NOW)
    await moderation.add_fact(
        store,
        change,
        subject="Kim Jong Un",
        statement="Seoul's pundits expect little from the meeting.",
        kind="attributed",
        source=1,
        quote="Many believe the outcome of this meeting is far too predictable.",
        attributed_to="Seoul pundits",
    )
    assert "Seoul pundits" in await store.holders(42)
    assert "Seoul pundits" not in await store.holders(43)
    assert (await briefing.who(store, asking(42, FIXED_NOW), "pundits")).found
    assert not (await briefing.who(store, asking(43, FIXED_NOW), "pundits")).found
    assert not (await briefing.who(store, asking(None, FIXED_NOW), "pundits")).found


# --- search -----------------------------------------------------------------------------


def _result_ids(answer: briefing.Answer) -> list[int]:
    return [ref.fact_id for ref in answer.refs if ref.fact_id is not None]


async def test_search_un_sanctions_finds_the_un_sanctions_facts(store: Store) -> None:
    answer = await briefing.search(store, asking(None), "UN sanctions")
    un = (await store.find_entity("United Nations")).entity
    assert un is not None
    wanted = {
        fact.id
        for fact in await store.facts_about(un.id, None)
        if "sanction" in (fact.statement + fact.citations[0].quote).casefold()
    }
    assert wanted
    assert set(_result_ids(answer)) == wanted
    # Not Kim's "Un's objective … lifting sanctions".
    assert await _fact_id(store, "objective-keep-nukes-lift-sanctions") not in wanted


async def test_search_or_ranks_facts_with_either_word_not_he_or_she(store: Store) -> None:
    answer = await briefing.search(store, asking(None), "sanctions OR russia")
    child = await _fact_id(store, "child-parent-analogy")  # "he or she"
    ids = _result_ids(answer)
    assert child not in ids[:5]
    texts = [line.text.casefold() for s in answer.sections for line in s.lines]
    assert all("sanction" in t or "russia" in t for t in texts[:5]), texts[:5]


async def test_search_not_excludes(store: Store) -> None:
    answer = await briefing.search(store, asking(None), "sanctions NOT russia")
    texts = [line.text.casefold() for s in answer.sections for line in s.lines]
    assert texts and not any("russia" in t for t in texts)


async def test_search_a_quoted_phrase(store: Store) -> None:
    answer = await briefing.search(store, asking(None), '"economic sanctions"')
    assert answer.found
    quotes = [ref.quote.casefold() for ref in answer.refs]
    assert all("economic sanctions" in q for q in quotes), quotes


async def test_search_only_stop_words_finds_nothing_and_says_why(store: Store) -> None:
    answer = await briefing.search(store, asking(None), "the")
    assert not answer.found
    assert answer.refs == []
    assert "“the”" in plain(answer.intro) and "too common" in answer.intro


async def test_search_says_which_words_matched_nothing(store: Store) -> None:
    answer = await briefing.search(store, asking(None), "nuclear test")
    assert "Nothing matched “test”" in plain(answer.intro)
    assert answer.found  # the facts about "nuclear", said to be a looser match
    assert "have some of the words" in answer.intro


async def test_search_says_when_results_are_cut_and_pages_on(store: Store) -> None:
    kim = (await store.find_entity("Kim Jong Un")).entity
    assert kim is not None
    total = len(await store.facts_about(kim.id, None))  # every mention of Kim is linked
    assert 10 < total <= 20
    first = await briefing.search(store, asking(None), "kim")
    assert f"1–10 of {total}" in first.intro
    assert [plain(hint.command) for hint in first.hints] == ["!search kim page:2"]
    second = await briefing.search(store, asking(None), "kim page:2")
    assert f"11–{total} of {total}" in second.intro
    assert not second.hints
    assert not set(_result_ids(first)) & set(_result_ids(second))
    assert len(set(_result_ids(first)) | set(_result_ids(second))) == total
    past = await briefing.search(store, asking(None), "kim page:3")
    assert not past.found and "2 pages" in past.intro
