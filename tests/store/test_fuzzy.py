"""Fuzzy suggestions through the prefilter (bot/store/fuzzy.py) rank exactly as scoring
every alias with rapidfuzz's WRatio did: on every real curated alias with typos of
every kind, on synthetic names, and on hostile queries."""

from __future__ import annotations

import random
import unicodedata

import pytest

from bench.synthetic import generate
from bot.store import Store
from bot.store.entities import NAME_SUGGESTION_CUTOFF
from bot.store.fuzzy import MAX_QUERY, NameIndex, full_scan
from bot.text import fold

CUTOFF = NAME_SUGGESTION_CUTOFF
LIMITS = (15, 75)  # suggestions (5 names, 3 aliases each) and autocomplete (25 names)
LETTERS = "abcdefghijklmnopqrstuvwxyz -.'"


def misspellings(text: str, rng: random.Random) -> list[str]:
    """Every single deletion and swap of neighbours, a few substitutions and insertions,
    two slips at once, and prefixes (what autocomplete asks with)."""
    found = [text[:i] + text[i + 1 :] for i in range(len(text))]
    found += [text[:i] + text[i + 1] + text[i] + text[i + 2 :] for i in range(len(text) - 1)]
    for _ in range(4):
        i = rng.randrange(len(text))
        found.append(text[:i] + rng.choice(LETTERS) + text[i + 1 :])
        found.append(text[:i] + rng.choice(LETTERS) + text[i:])
        j = rng.randrange(len(text))
        found.append((text[:i] + text[i + 1 :])[:j] + rng.choice(LETTERS) + text[j + 1 :])
    found += [text[:n] for n in range(2, min(len(text), 8))]
    return found


def without_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def assert_same_ranking(index: NameIndex, queries: list[str]) -> None:
    differing = [
        (query, limit)
        for query in dict.fromkeys(queries)
        for limit in LIMITS
        if index.rank(query, limit, CUTOFF) != full_scan(query, index.names, limit, CUTOFF)
    ]
    assert differing == []


async def test_every_real_alias_misspelt_ranks_as_the_full_scan(store: Store) -> None:
    index = await store._aliases()
    spelt = [row["alias"] for row in await store._all("SELECT alias FROM aliases", ())]
    assert len(index) > 50
    rng = random.Random(11)
    queries = [query for alias in index.names for query in rng.sample(misspellings(alias, rng), 12)]
    queries += [fold(without_accents(alias)) for alias in spelt]
    queries += [fold(rng.choice(misspellings(alias, rng))) for alias in spelt]
    assert_same_ranking(index, [query for query in queries if query])


async def store_names(store: Store, entity_ids: list[int]) -> list[str]:
    rows = await store._all("SELECT id, name FROM entities", ())
    by_id = {row["id"]: row["name"] for row in rows}
    return [by_id[entity_id] for entity_id in entity_ids]


async def test_suggestions_are_the_full_scans(store: Store) -> None:
    """What a user sees: the names suggested for a typo, through the Store."""
    assert (await store.find_entity("vladimr ptin")).suggestions[0] == "Vladimir Putin"
    index = await store._aliases()
    for typed in ("putn", "kim jung", "nroth korea", "trmp", "moon jae"):
        expected = []
        for found in full_scan(typed, index.names, 15, CUTOFF):
            entity_id = index.aliases[found][1]
            if entity_id not in expected:
                expected.append(entity_id)
        assert await store.suggest_names(typed) == tuple(await store_names(store, expected[:5]))


@pytest.fixture(scope="module")
def synthetic() -> NameIndex:
    data = generate(2_000, 300, sources=20)
    return NameIndex([(folded, entity) for folded, _, entity in data.aliases if len(folded) > 2])


def test_synthetic_names_misspelt_rank_as_the_full_scan(synthetic: NameIndex) -> None:
    index = synthetic
    rng = random.Random(5)
    queries = []
    for alias in rng.sample(index.names, 25):
        queries += rng.sample(misspellings(alias, rng), 8)
    assert_same_ranking(index, queries)


@pytest.mark.parametrize(
    "query",
    [
        "kim\tjong-un",  # other blanks, which rapidfuzz splits words on too
        "kim\x1cjong-un",
        "kim\u00a0jong un",
        "kim  jong  un",
        " kim jong un ",
        "kim kim kim",  # repeated words
        "jong jong-un",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",  # one letter many times
        "k",
        "kj",
        "ким чен ын",  # other scripts, whose letters share 19 classes
        "김정은",
        "金正恩 kim",
        "kim 2019",
        "🙂🙂 kim",
        "x" * (MAX_QUERY + 1),  # too long for the counts: scored in full
        "kim jong-un " * 30,
    ],
)
def test_hostile_queries_rank_as_the_full_scan(query: str, synthetic: NameIndex) -> None:
    assert_same_ranking(synthetic, [query, query[::-1], query.upper()])


def test_nothing_to_rank() -> None:
    assert NameIndex([]).rank("kim", 15, CUTOFF) == []
    assert NameIndex([("kim jong-un", 1)]).rank("", 15, CUTOFF) == []
    assert NameIndex([("kim jong-un", 1)]).rank("kim", 0, CUTOFF) == []


async def test_a_write_that_leaves_the_aliases_alone_keeps_the_index(store: Store) -> None:
    """Every write forgets the alias list; the index (~1 s to build at 100,000 aliases)
    is kept when the list read again is the same, and made anew when it is not."""
    index = await store._aliases()
    await store.set_meta("unrelated", "1")
    assert await store._aliases() is index
    async with store.transaction() as conn:
        await conn.execute(
            "INSERT INTO aliases(folded, alias, entity_id) VALUES ('zzyzx bay', 'Zzyzx Bay', 1)"
        )
    fresh = await store._aliases()
    assert fresh is not index and "zzyzx bay" in fresh.names
    assert (await store.find_entity("zzyzx bya")).suggestions
