"""Names, holders and search in the briefing layer (issue 10, section 4)."""

from __future__ import annotations

from bot import briefing
from bot.store import Store
from tests.conftest import FIXED_NOW


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
    answer = await briefing.who(store, "kim", None, FIXED_NOW)
    assert answer.title == "Kim Jong Un"
    assert "“kim” is taken to mean Kim Jong Un, the only Kim in the briefing" in answer.intro
    full = await briefing.who(store, "Kim Jong Un", None, FIXED_NOW)
    assert "taken to mean" not in full.intro


async def test_a_bare_surname_names_the_others_when_there_are_others(store: Store) -> None:
    await _add_entity(store, "kim-yo-jong", "Kim Yo Jong")
    answer = await briefing.who(store, "Kim", None, FIXED_NOW)
    assert answer.title == "Kim Jong Un"
    assert "the briefing also has Kim Yo Jong" in answer.intro
    assert "the only Kim" not in answer.intro


async def test_a_full_name_in_another_script_gets_no_note(store: Store) -> None:
    for spelling in ("김정은", "Kim Jung Un", "Ким Чен Ын"):
        answer = await briefing.who(store, spelling, None, FIXED_NOW)
        assert answer.title == "Kim Jong Un"
        assert "taken to mean" not in answer.intro
