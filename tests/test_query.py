"""Reading what someone typed into `search`: words, "phrases", OR / AND / NOT, stop
words and page:N, never letting FTS5 syntax through."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.errors import BadInput
from bot.query import parse


def _shape(text: str) -> list[tuple[list[str], list[str]]]:
    return [
        ([t.text for t in clause.must], [t.text for t in clause.must_not])
        for clause in parse(text).clauses
    ]


def test_words_must_all_match_and_stop_words_are_left_out() -> None:
    query = parse("the sanctions on Russia")
    assert _shape("the sanctions on Russia") == [(["sanctions", "Russia"], [])]
    assert query.ignored == ("the", "on")
    assert not query.explicit


def test_or_separates_alternatives_and_lowercase_or_is_a_word() -> None:
    assert _shape("sanctions OR russia") == [(["sanctions"], []), (["russia"], [])]
    assert parse("sanctions OR russia").explicit
    assert _shape("he or she sanctions") == [(["sanctions"], [])]


def test_and_is_implicit_and_not_or_minus_excludes() -> None:
    assert _shape("sanctions AND russia") == [(["sanctions", "russia"], [])]
    assert _shape("sanctions NOT russia") == [(["sanctions"], ["russia"])]
    assert _shape("sanctions -russia") == [(["sanctions"], ["russia"])]


def test_quotes_make_a_phrase_even_unclosed() -> None:
    [clause] = parse('"economic sanctions" korea').clauses
    assert clause.must[0].phrase and clause.must[0].words == ("economic", "sanctions")
    assert parse('"the state department').clauses[0].must[0].words == (
        "the",
        "state",
        "department",
    )


def test_punctuation_and_possessives_come_off_words() -> None:
    [clause] = parse("Kim's putin? U.S.").clauses
    assert [t.words for t in clause.must] == [("kim",), ("putin",), ("u", "s")]


def test_the_last_plain_word_may_be_half_typed() -> None:
    [clause] = parse("nuclear denucleari").clauses
    assert [t.prefix for t in clause.must] == [False, True]
    assert not parse('nuclear "test"').clauses[0].must[1].prefix


def test_page_is_read_and_bounded() -> None:
    assert parse("kim page:2").page == 2
    assert _shape("kim page:2") == [(["kim"], [])]
    assert parse("kim").page == 1
    with pytest.raises(BadInput):
        parse("kim page:0")


def test_dangling_operators_are_ignored_but_not_alone_is_refused() -> None:
    assert _shape("OR sanctions OR") == [(["sanctions"], [])]
    assert _shape("AND OR") == []
    with pytest.raises(BadInput, match="NOT"):
        parse("NOT russia")


def test_fts_expressions_are_always_one_quoted_string() -> None:
    for text in ["sanc*)", "NEAR(a b)", '"', "^x", "a:b", "'; DROP TABLE facts; --"]:
        for clause in parse(text).clauses:
            for term in clause.must:
                body = term.fts().removesuffix("*")
                assert body.startswith('"') and body.endswith('"')
                assert '"' not in body[1:-1]


@given(st.text(max_size=200))
def test_any_input_parses_or_is_refused_with_a_message(text: str) -> None:
    try:
        query = parse(text)
    except BadInput as error:
        assert str(error)
        return
    assert len([t for c in query.clauses for t in (*c.must, *c.must_not)]) <= 12
