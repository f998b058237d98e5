"""What someone typed into `search`, read into terms the store can look up safely.

The syntax, as `help search` states it:
- words: a fact must have every word (if none has them all, facts with some are shown,
  and the answer says so); the last word may be half typed;
- "quoted words": those words together, in that order;
- OR between words: either side (`sanctions OR russia`); AND is the default;
- NOT or a leading minus: without that word (`sanctions NOT russia`, `sanctions -russia`);
- page:N: the Nth page of results.
Operators count only in capitals: a lowercase "or" is an ordinary (and common) word.
Common words ("the", "of") are left out, and the answer says which.

Nothing typed reaches FTS5 as syntax: each term becomes one quoted FTS5 string made of
letters and digits only (see Term.fts).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.errors import BadInput
from bot.models import Fact
from bot.text import STOP_WORDS, lookup_keys, normalise_for_match, strip_control, words

MAX_TERMS = 12
MAX_PAGE = 1000
_TOKEN = re.compile(r'"[^"]*"?|\S+')
_PAGE = re.compile(r"page:(\d{1,6})", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Term:
    """One word or quoted phrase. `text` is as typed (for messages and name lookup)."""

    text: str
    words: tuple[str, ...]
    phrase: bool = False
    prefix: bool = False

    def fts(self) -> str:
        """The term as an FTS5 string: its words (letters and digits only) in quotes."""
        return '"' + " ".join(self.words) + '"' + ("*" if self.prefix else "")

    def name_keys(self) -> list[str]:
        """Spellings to look up as an entity's name ("UN", "state department")."""
        return lookup_keys(self.text)


@dataclass(frozen=True, slots=True)
class Clause:
    """Facts matching every `must` term and no `must_not` term."""

    must: tuple[Term, ...]
    must_not: tuple[Term, ...] = ()


@dataclass(frozen=True, slots=True)
class Query:
    clauses: tuple[Clause, ...]
    ignored: tuple[str, ...] = ()  # common words left out, as typed
    page: int = 1
    explicit: bool = False  # OR, AND, NOT or quotes used: no "some of the words" fallback
    truncated: bool = False  # more than MAX_TERMS terms; the rest were not searched
    base: str = ""  # the query without page:N, to tell the reader how to page on

    def fts(self, *, every: bool = True) -> str:
        """The whole query as one FTS5 expression of quoted terms (for queries that name
        no one): clauses ORed, a clause's terms ANDed (ORed with every=False), NOT
        terms subtracted."""
        clauses = []
        for clause in self.clauses:
            joiner = " AND " if every else " OR "
            expression = "(" + joiner.join(term.fts() for term in clause.must) + ")"
            if clause.must_not:
                expression += " NOT (" + " OR ".join(t.fts() for t in clause.must_not) + ")"
            clauses.append(f"({expression})")
        return " OR ".join(clauses)

    def terms(self) -> list[Term]:
        """Every term a fact could match, each once."""
        seen: list[Term] = []
        for clause in self.clauses:
            seen += [term for term in clause.must if term not in seen]
        return seen


@dataclass(frozen=True, slots=True)
class Results:
    """One page of a search: the facts, how many matched in all, and what to tell the
    reader about the query (terms that matched nothing; whether it was loosened)."""

    facts: list[Fact]
    total: int
    unmatched: tuple[str, ...] = ()
    loosened: bool = False  # no fact had every word: these have some of them


@dataclass
class _Reader:
    clauses: list[Clause] = field(default_factory=list)
    must: list[Term] = field(default_factory=list)
    must_not: list[Term] = field(default_factory=list)
    ignored: list[str] = field(default_factory=list)
    negate: bool = False
    explicit: bool = False
    count: int = 0

    def add(self, term: Term, negate: bool) -> None:
        if self.count >= MAX_TERMS:
            return
        self.count += 1
        (self.must_not if negate else self.must).append(term)

    def close_clause(self) -> None:
        if self.must_not and not self.must:
            raise BadInput("`NOT` needs something to search for too, e.g. `sanctions NOT russia`.")
        if self.must:
            self.clauses.append(Clause(tuple(self.must), tuple(self.must_not)))
        self.must, self.must_not, self.negate = [], [], False


def parse(text: str) -> Query:
    """Read a search query; BadInput (with a message to show) when it cannot mean
    anything, such as `NOT russia` alone or `page:0`."""
    cleaned = normalise_for_match(strip_control(text))
    page, cleaned = _page(cleaned)
    reader = _Reader()
    tokens = _TOKEN.findall(cleaned)
    for index, token in enumerate(tokens):
        _read(reader, token, last=index == len(tokens) - 1)
    reader.close_clause()
    return Query(
        clauses=tuple(reader.clauses),
        ignored=tuple(reader.ignored),
        page=page,
        explicit=reader.explicit,
        truncated=reader.count >= MAX_TERMS and len(tokens) > MAX_TERMS,
        base=cleaned.strip(),
    )


def _page(text: str) -> tuple[int, str]:
    found = _PAGE.search(text)
    if found is None:
        return 1, text
    page = int(found.group(1))
    if not 1 <= page <= MAX_PAGE:
        raise BadInput(f"Pages are numbered from 1 to {MAX_PAGE}, e.g. `search kim page:2`.")
    return page, (text[: found.start()] + text[found.end() :]).strip()


def _read(reader: _Reader, token: str, *, last: bool) -> None:
    negate, reader.negate = reader.negate, False
    if token == "OR":
        reader.explicit = True
        reader.close_clause()
    elif token == "AND":
        reader.explicit = True
    elif token == "NOT":
        reader.explicit = True
        reader.negate = True
    elif token.startswith('"'):
        reader.explicit = True
        phrase = token.strip('"')
        if found := tuple(words(phrase)):
            reader.add(Term(phrase, found, phrase=True), negate)
    elif token.startswith("-") and len(token) > 1:
        reader.explicit = True
        _word(reader, token[1:], negate=True, last=False)
    else:
        _word(reader, token, negate=negate, last=last)


def _word(reader: _Reader, token: str, *, negate: bool, last: bool) -> None:
    keys = lookup_keys(token)
    if not keys:
        return  # punctuation only
    found = tuple(words(keys[-1]))
    if len(found) == 1 and found[0] in STOP_WORDS:
        reader.ignored.append(token)
        return
    reader.add(Term(token, found, prefix=last and not negate), negate)
