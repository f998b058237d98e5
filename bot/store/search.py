"""Search: a parsed query (bot.query) as one SQL query a page, over the full-text index
and the facts about whoever a term names, ranked by FTS5's bm25 (on PostgreSQL, by its
own text search: bot.store.pgsearch gives the same functions another TextIndex)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from bot.errors import BadInput
from bot.models import Fact
from bot.query import Clause, Query, Results, Term
from bot.query import parse as parse_query
from bot.store import facts
from bot.store.sql import Read, one, placeholders, visible

# Search ranking: FTS5's bm25 weights for facts_fts's columns (statement, quotes, topics,
# names): a word in the statement counts twice one in a name or topic, four times one
# in a quote.
BM25 = "bm25(facts_fts, 4.0, 2.0, 1.0, 2.0)"
# The same as facts.FACT_SELECT, for a search page, with how many facts matched in all
# (`hits` is the search's materialised result, so the count costs no second search).
COUNTED_SELECT = """
SELECT f.*, e.name AS subject_name, (SELECT COUNT(*) FROM hits) AS matched
FROM facts f JOIN entities e ON e.id = f.subject_id
"""


class TextIndex:
    """How a search reaches the full-text index: here SQLite's FTS5 table `facts_fts`
    (its rowid a fact's id), searched with FTS5 expressions; each fragment names the
    parameter that holds the expression."""

    def hits(self, param: str) -> str:
        """(id, score) of the visible facts matching :param; a lower score ranks first."""
        return (
            f"SELECT f.id, {BM25} AS score FROM facts_fts JOIN facts f ON f.id = facts_fts.rowid"
            f" WHERE facts_fts MATCH :{param} AND f.retracted = 0 AND {visible('f')}"
        )

    def scores(self, param: str) -> str:
        """(rowid, score) of every fact matching :param."""
        return f"SELECT rowid, {BM25} AS score FROM facts_fts WHERE facts_fts MATCH :{param}"

    def matching(self, param: str) -> str:
        """The ids of the facts matching :param."""
        return f"SELECT rowid FROM facts_fts WHERE facts_fts MATCH :{param}"

    def expression(self, query: Query, *, every: bool) -> str:
        return query.fts(every=every)

    def bind(self, param: str, expression: str, terms: list[Term]) -> dict[str, object]:
        """The parameters of a ranked fragment (hits, scores): the expression; on
        PostgreSQL the terms too, each weighed by how rare it is as bm25 weighs it."""
        return {param: expression}

    def term(self, term: Term) -> str:
        return term.fts()

    def any_term(self, terms: list[Term]) -> str:
        return " OR ".join(term.fts() for term in terms)


FTS5 = TextIndex()


async def search(
    read: Read, query: str, guild_id: int | None, limit: int = 10, index: TextIndex = FTS5
) -> list[Fact]:
    """The first `limit` facts for a query as typed (see bot.query for the syntax)."""
    try:
        parsed = parse_query(query)
    except BadInput:
        return []
    return (await search_page(read, parsed, guild_id, 0, limit, index)).facts


async def search_page(
    read: Read,
    query: Query,
    guild_id: int | None,
    offset: int,
    limit: int,
    index: TextIndex = FTS5,
) -> Results:
    """Facts matching a parsed query, best first (FTS5's bm25), from `offset`, with
    how many match in all. SQLite combines the terms, ranks and counts in one query;
    a query that names no one goes to the full-text index as one FTS5 expression."""
    if not query.clauses:
        return Results([], 0)
    conditions, params = await _term_conditions(read, query, guild_id, index)
    params |= {"limit": limit, "offset": offset}
    names_someone = any(key.startswith("e") for key in params)
    page = _page_by_names if names_someone else _page_by_text
    asked = _Asked(read, query, conditions, params, index)
    found, total = await page(asked, every=True)
    loosened = False
    if total == 0 and not query.explicit and len(query.terms()) > 1:
        found, total = await page(asked, every=False)
        loosened = total > 0
    unmatched: list[str] = []
    if query.explicit or loosened or (total == 0 and len(query.terms()) > 1):
        for term in query.terms():  # a plain AND query with results matched them all
            if not await _count_matches(read, conditions[term], params, limit=1):
                unmatched.append(term.text)
    return Results(await facts.hydrate(read, found), total, tuple(unmatched), loosened)


@dataclass(frozen=True, slots=True)
class _Asked:
    """One search's parts, as both ways of finding a page take them."""

    read: Read
    query: Query
    conditions: dict[Term, str]
    params: dict
    index: TextIndex


# After the WITH clauses that make `hits` (id, score): the page of facts, best first.
_RANKED_PAGE = (
    f" {COUNTED_SELECT} JOIN hits ON hits.id = f.id"
    " ORDER BY hits.score, f.id LIMIT :limit OFFSET :offset"
)


async def _page_by_text(asked: _Asked, *, every: bool) -> tuple[list[sqlite3.Row], int]:
    query, params, index = asked.query, asked.params, asked.index
    expression = index.expression(query, every=every)
    found = await asked.read(
        f"WITH hits AS MATERIALIZED ({index.hits('q')}){_RANKED_PAGE}",
        {**params, **index.bind("q", expression, query.terms())},
    )
    where = f"f.id IN ({index.matching('q')})"
    return found, await _total(asked.read, found, where, {**params, "q": expression})


async def _page_by_names(asked: _Asked, *, every: bool) -> tuple[list[sqlite3.Row], int]:
    """Facts found by text or by whom they are about; those whose text matches rank
    first (by bm25), then the rest, oldest first."""
    query, index = asked.query, asked.index
    where = _query_where(query.clauses, asked.conditions, every=every)
    ranking = index.any_term(query.terms())
    found = await asked.read(
        f"WITH scores AS MATERIALIZED ({index.scores('ranking')}),"
        " hits AS MATERIALIZED (SELECT f.id, COALESCE(r.score, 0) AS score FROM facts f"
        " LEFT JOIN scores r ON r.rowid = f.id"
        f" WHERE f.retracted = 0 AND {visible('f')} AND ({where})){_RANKED_PAGE}",
        {**asked.params, **index.bind("ranking", ranking, query.terms())},
    )
    return found, await _total(asked.read, found, where, asked.params)


async def _total(read: Read, found: list[sqlite3.Row], where: str, params: dict) -> int:
    """The count the page query carried, or, for a page past the end, a count."""
    if found:
        return int(found[0]["matched"])
    return await _count_matches(read, where, params) if params["offset"] else 0


async def _count_matches(read: Read, where: str, params: dict, limit: int = -1) -> int:
    """How many visible facts meet `where` (counting stops at `limit`, -1: none)."""
    bound = " LIMIT :count_limit" if limit >= 0 else ""
    row = await one(
        read,
        "SELECT COUNT(*) FROM (SELECT 1 FROM facts f WHERE f.retracted = 0"
        f" AND {visible('f')} AND ({where}){bound}) AS counted",
        {**params, "count_limit": limit} if bound else params,
    )
    return int(row[0]) if row else 0


async def _term_conditions(
    read: Read, query: Query, guild_id: int | None, index: TextIndex
) -> tuple[dict[Term, str], dict[str, object]]:
    """An SQL condition on `f` for each term, and the parameters they share. A term
    matches its text in the full-text index and, when it is someone's name ("UN",
    "state department"), the facts about them. A name of two letters or fewer ("UN",
    "US") matches by the facts about them only: as text it would find "Un's", "us"."""
    negated = [term for clause in query.clauses for term in clause.must_not]
    conditions: dict[Term, str] = {}
    params: dict[str, object] = {"guild": guild_id}
    for number, term in enumerate(dict.fromkeys([*query.terms(), *negated])):
        keys = term.name_keys()
        named = await one(
            read,
            f"SELECT entity_id, folded FROM aliases WHERE folded IN ({placeholders(keys)})"
            " ORDER BY length(folded) DESC LIMIT 1",
            keys,
        )
        parts = []
        if named is None or len(named["folded"]) > 2:
            params[f"t{number}"] = index.term(term)
            parts.append(f"f.id IN ({index.matching(f't{number}')})")
        if named is not None:
            params[f"e{number}"] = named["entity_id"]
            parts.append(
                f"f.subject_id = :e{number} OR f.id IN (SELECT fact_id FROM fact_entities"
                f" WHERE entity_id = :e{number})"
            )
        conditions[term] = " OR ".join(parts)
    return conditions, params


def _query_where(
    clauses: tuple[Clause, ...], conditions: dict[Term, str], *, every: bool = True
) -> str:
    """The query as one SQL condition (built from our own fragments; every value typed is
    a bound parameter): any clause; a clause needs all its terms (with every=False, any)
    and none of its NOT terms."""
    joiner = " AND " if every else " OR "
    parts = []
    for clause in clauses:
        must = joiner.join(f"({conditions[term]})" for term in clause.must)
        exclude = "".join(f" AND NOT ({conditions[term]})" for term in clause.must_not)
        parts.append(f"(({must}){exclude})")
    return " OR ".join(parts) or "1 = 0"
