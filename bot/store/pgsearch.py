"""Full-text search on PostgreSQL: its own text search in place of SQLite's FTS5.

Each fact's document is one tsvector in `facts_fts` (rowid = the fact's id), built from
the same parts as FTS5's columns, weighted as bm25's column weights rank them: A the
statement, B quotes, C names (the subject's and involved entities' aliases, who a view
is attributed to), D topics. Text is folded as FTS5's unicode61 tokenizer folds it
(accents removed, lower case, any punctuation a separator) before the 'simple'
configuration (no stemming, no stop words) reads it. A parsed query (bot.query) becomes
a tsquery: a phrase's words joined by `<->`, a half-typed last word a prefix (`:*`).
Ranking is ts_rank over those weights, normalised by document length, each term's rank
weighed by its rarity as bm25's IDF weighs it: close to bm25, not the same, so facts
whose scores are close may come in another order than SQLite's; ties go by id on both.
"""

from __future__ import annotations

from collections.abc import Iterable

from bot.models import Fact
from bot.query import Query, Results, Term
from bot.store import search as sqlite_search
from bot.store.postgres import Connection
from bot.store.sql import Read, visible

# ts_rank's weights, in its order {D, C, B, A}: topics 1, names 2, quotes 2, statement 4
# (bm25's weights for FTS5's columns, scaled to at most 1); 1: divided by 1 + log(length).
WEIGHTS = "'{0.25, 0.5, 0.5, 1.0}'"
# Each term's weight, as FTS5's bm25 weighs it: ln((N - n + 0.5) / (n + 0.5)), at least
# 1e-6, N facts indexed, n of them matching the term; a rare word ranks its facts above a
# common one's (a word in most facts, such as "kim", hardly counts at all).
_IDF = """WITH idf AS MATERIALIZED (
    SELECT q, CAST(GREATEST(ln((n_all - n + 0.5) / (n + 0.5)), 1e-6) AS double precision) AS w
      FROM (
        SELECT to_tsquery('simple', t) AS q,
               (SELECT count(*) FROM facts_fts x WHERE x.document @@ to_tsquery('simple', t)) AS n,
               (SELECT count(*) FROM facts_fts) AS n_all
          FROM unnest(CAST(:{param}_terms AS text[])) AS t) AS counted)"""
_SCORE = f"-(SELECT sum(idf.w * ts_rank({WEIGHTS}, d.document, idf.q, 1)) FROM idf)"


class PgTextIndex(sqlite_search.TextIndex):
    def hits(self, param: str) -> str:
        return (
            f"{_IDF.format(param=param)} SELECT f.id, {_SCORE} AS score FROM facts_fts d"
            " JOIN facts f ON f.id = d.rowid"
            f" WHERE d.document @@ to_tsquery('simple', :{param})"
            f" AND f.retracted = 0 AND {visible('f')}"
        )

    def scores(self, param: str) -> str:
        return (
            f"{_IDF.format(param=param)} SELECT d.rowid, {_SCORE} AS score FROM facts_fts d"
            f" WHERE d.document @@ to_tsquery('simple', :{param})"
        )

    def bind(self, param: str, expression: str, terms: list[Term]) -> dict[str, object]:
        return {param: expression, f"{param}_terms": [self.term(term) for term in terms]}

    def matching(self, param: str) -> str:
        return f"SELECT rowid FROM facts_fts WHERE document @@ to_tsquery('simple', :{param})"

    def expression(self, query: Query, *, every: bool) -> str:
        clauses = []
        for clause in query.clauses:
            joiner = " & " if every else " | "
            expression = "(" + joiner.join(self.term(term) for term in clause.must) + ")"
            if clause.must_not:
                expression += " & !(" + " | ".join(self.term(t) for t in clause.must_not) + ")"
            clauses.append(f"({expression})")
        return " | ".join(clauses)

    def term(self, term: Term) -> str:
        """Words are letters and digits only (bot.query), folded as the documents are."""
        words = [f"'{_fold(word)}'" for word in term.words]
        if term.prefix and words:
            words[-1] += ":*"
        return "(" + " <-> ".join(words) + ")"

    def any_term(self, terms: list[Term]) -> str:
        return " | ".join(self.term(term) for term in terms)


def _fold(word: str) -> str:
    return word.lower().replace("'", "")


INDEX = PgTextIndex()


async def search(read: Read, query: str, guild_id: int | None, limit: int = 10) -> list[Fact]:
    return await sqlite_search.search(read, query, guild_id, limit, INDEX)


async def search_page(
    read: Read, query: Query, guild_id: int | None, offset: int, limit: int
) -> Results:
    return await sqlite_search.search_page(read, query, guild_id, offset, limit, INDEX)


# --- keeping the index in step (bot.store.index calls these on PostgreSQL) ----------------

# Each fact's document; briefing_fold (made by the migrations) folds text as FTS5 does.
# The names are those of the subject and the involved entities as one IN list: an OR of
# the two kept PostgreSQL off the aliases index, scanning every alias for every fact
# (a rebuild at 100,000 facts ran for minutes).
_DOCUMENTS = """
INSERT INTO facts_fts(rowid, document)
SELECT f.id,
       setweight(to_tsvector('simple', briefing_fold(f.statement)), 'A')
    || setweight(to_tsvector('simple', briefing_fold(COALESCE(
           (SELECT string_agg(quote, ' ' ORDER BY id) FROM citations WHERE fact_id = f.id),
           ''))), 'B')
    || setweight(to_tsvector('simple', briefing_fold(
           COALESCE((SELECT string_agg(a.alias, ' ' ORDER BY a.rowid) FROM aliases a
                      WHERE a.entity_id IN (SELECT f.subject_id UNION ALL
                                            SELECT entity_id FROM fact_entities
                                             WHERE fact_id = f.id)), '')
           || ' ' || COALESCE(f.attributed_to, ''))), 'C')
    || setweight(to_tsvector('simple', briefing_fold(COALESCE(
           (SELECT string_agg(topic, ' ' ORDER BY topic) FROM fact_topics
             WHERE fact_id = f.id), ''))), 'D')
FROM facts f WHERE {where}
"""


async def refresh_facts(conn: Connection, fact_ids: Iterable[int]) -> None:
    wanted = list(fact_ids)
    if not wanted:
        return
    await conn.raw.execute("DELETE FROM facts_fts WHERE rowid = ANY($1::bigint[])", wanted)
    await conn.raw.execute(_DOCUMENTS.format(where="f.id = ANY($1::bigint[])"), wanted)


async def rebuild_facts(conn: Connection) -> None:
    await conn.raw.execute("TRUNCATE facts_fts")
    await conn.raw.execute(_DOCUMENTS.format(where="TRUE"))
