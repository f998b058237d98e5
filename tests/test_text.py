"""Text normalisation: what a user types must match the source's curly quotes and NBSP."""

from __future__ import annotations

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.curation import DATA_DIR
from bot.text import (
    Span,
    closest_passage,
    find_quote,
    fold,
    holder_completes,
    lookup_keys,
    normalise_for_match,
    quote_matches_span,
    quoted,
)

SOURCE = (DATA_DIR / "sources" / "kim-putin-vladivostok-2019.txt").read_text(encoding="utf-8")

# Straight-quote, single-space versions of passages whose source text has U+2019,
# U+201C/U+201D and U+00A0 in them.
TYPED_SUMMIT = (
    "Russian President Vladimir Putin and Kim Jung Un are set to meet this Thursday in "
    "the Russian port city of Vladivostok."
)
TYPED_STATEMENT = (
    '"The United States is committed to working with interested parties, including Russia, '
    "on the robust and sustained implementation of U.N. sanctions in order to move forward "
    'with denuclearization,"'
)


def _straighten(text: str) -> str:
    """What someone typing on an ordinary keyboard produces for a passage."""
    table = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})
    return " ".join(text.translate(table).split())


def test_source_really_has_curly_quotes_and_nbsp() -> None:
    # The tests below are only meaningful if the source is the awkward kind of text.
    assert "\u00a0" in SOURCE
    assert "\u2019" in SOURCE
    assert "\u201c" in SOURCE
    assert "\u201d" in SOURCE


def test_straight_single_spaced_quote_finds_nbsp_passage() -> None:
    spans = find_quote(SOURCE, TYPED_SUMMIT)
    assert spans == [Span(419, 539)]
    raw = SOURCE[419:539]
    assert "in \u00a0the Russian" in raw
    assert raw.startswith("Russian President")
    assert raw.endswith("Vladivostok.")
    assert quote_matches_span(SOURCE, TYPED_SUMMIT, spans[0])


def test_straight_double_quotes_find_curly_quoted_statement() -> None:
    spans = find_quote(SOURCE, TYPED_STATEMENT)
    assert spans == [Span(1014, 1209)]
    assert SOURCE[1014] == "\u201c"
    assert SOURCE[1208] == "\u201d"
    assert quote_matches_span(SOURCE, TYPED_STATEMENT, spans[0])


def test_straight_apostrophe_finds_curly_apostrophe() -> None:
    spans = find_quote(SOURCE, "Un's objective is self evident")
    assert spans == [Span(540, 570)]
    assert SOURCE[540:570] == "Un\u2019s objective is self evident"


def test_repeated_passage_returns_every_place() -> None:
    spans = find_quote(SOURCE, "Kim Jung Un")
    raw_places = [i for i in range(len(SOURCE)) if SOURCE.startswith("Kim Jung Un", i)]
    assert [span.start for span in spans] == raw_places
    assert len(spans) == 5
    assert all(SOURCE[s.start : s.end] == "Kim Jung Un" for s in spans)


def test_quote_not_in_source_finds_nothing() -> None:
    assert find_quote(SOURCE, "Kim Jong Un and Donald Trump met in Singapore") == []
    assert find_quote(SOURCE, "   ") == []
    assert find_quote(SOURCE, "") == []


def test_quote_matches_span_rejects_wrong_or_impossible_offsets() -> None:
    assert not quote_matches_span(SOURCE, TYPED_SUMMIT, Span(420, 540))
    assert not quote_matches_span(SOURCE, TYPED_SUMMIT, Span(419, 538))
    assert not quote_matches_span(SOURCE, TYPED_SUMMIT, Span(-1, 539))
    assert not quote_matches_span(SOURCE, TYPED_SUMMIT, Span(539, 419))
    assert not quote_matches_span(SOURCE, "x", Span(0, len(SOURCE) + 1))


def test_normalise_for_match_straightens_and_collapses() -> None:
    assert normalise_for_match("  \u201cA\u00a0 \n b\u2019s\u201d\t") == '"A b\'s"'
    assert normalise_for_match("U.S.\u2013Russia \u2014 ties") == "U.S.-Russia - ties"


def test_fold_ignores_case_and_accents() -> None:
    assert fold("Hà Nội") == "ha noi"
    assert fold("HA NOI") == "ha noi"
    assert fold("KÍM  JONG-un") == "kim jong-un"
    assert fold("Kim\u00a0Jong\u2013Un") == "kim jong-un"
    assert fold("Владимир Путин") == "владимир путин"


def test_fold_keeps_hangul_and_hanzi_whole() -> None:
    assert fold("김정은") == "김정은"
    assert fold("블라디보스토크") == "블라디보스토크"
    assert fold("金正恩") == "金正恩"
    # Not decomposed into jamo.
    assert len(fold("김정은")) == 3


def test_quoted_wraps_bare_text_in_curly_quotes() -> None:
    assert quoted("sanctions that are crippling his economy") == (
        "\u201csanctions that are crippling his economy\u201d"
    )
    assert quoted("  padded  ") == "\u201cpadded\u201d"


def test_quoted_does_not_double_an_existing_opening_quote() -> None:
    statement = SOURCE[1014:1209]
    assert quoted(statement) == statement
    assert quoted('"straight"') == '"straight"'
    assert quoted("\u2018single\u2019") == "\u2018single\u2019"


def test_quoted_does_not_double_a_closing_quote() -> None:
    # The tail of the State Department statement, as a curator could cite it.
    tail = "in order to move forward with denuclearization,\u201d"
    assert tail in SOURCE
    assert not quoted(tail).endswith("\u201d\u201d")


def test_closest_passage_points_at_a_near_miss() -> None:
    near = closest_passage(SOURCE, "The U.S. State Department will keep a careful eye on it")
    assert near is not None
    assert near.startswith("The U.S. State Department will keep a watchful eye")
    # The hint is text the curator can paste back: it is found in the source.
    assert find_quote(SOURCE, near)


def test_closest_passage_gives_nothing_for_unrelated_text() -> None:
    assert closest_passage(SOURCE, "zzzz qqqq xxxx") is None
    assert closest_passage(SOURCE, "  ") is None


@settings(max_examples=300, deadline=None)
@given(st.integers(0, len(SOURCE) - 1), st.integers(1, 250))
def test_any_typed_passage_of_the_source_is_found(start: int, length: int) -> None:
    raw = SOURCE[start : start + length]
    typed = _straighten(raw)
    assume(typed)
    spans = find_quote(SOURCE, typed)
    assert spans, typed
    assert any(normalise_for_match(SOURCE[s.start : s.end]) == typed for s in spans)
    # The place it was taken from is among them, without its surrounding blanks.
    first = start + (len(raw) - len(raw.lstrip()))
    last = start + len(raw.rstrip())
    assert Span(first, last) in spans
    assert quote_matches_span(SOURCE, typed, Span(first, last))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.sampled_from(["word", "Kim's", "\u2019", "\u201c", " ", "\u00a0", "\n", "\t", "  "]),
        min_size=1,
        max_size=300,
    ),
    st.integers(0, 5000),
)
def test_a_large_text_is_normalised_a_piece_at_a_time_to_the_same_result(
    parts: list[str], offset: int
) -> None:
    text = ("".join(parts) * 20_000)[offset : offset + 40_000]
    whole = " ".join(text.translate(str.maketrans({"\u2019": "'", "\u201c": '"'})).split())
    assert normalise_for_match(text) == whole


def test_closest_passage_finds_a_near_miss_deep_in_a_large_source() -> None:
    filler = " ".join(f"word{n}" for n in range(30_000))
    text = filler + " " + SOURCE + " " + filler
    near = closest_passage(text, "The U.S. State Department will keep a careful eye on it")
    assert near is not None
    assert near.startswith("The U.S. State Department will keep a watchful eye")


# --- names as people type them ---------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("putin?", "putin"),
        ("Kim's", "kim"),
        ("Kim’s", "kim"),
        ("'kim'", "kim"),
        ("“Kim”", "kim"),
        ("(Putin)!", "putin"),
        ("analysts'", "analysts"),
        ("U.S.", "u.s."),
    ],
)
def test_lookup_keys_end_with_the_bare_name(typed: str, key: str) -> None:
    keys = lookup_keys(typed)
    assert keys[0] == fold(typed)  # the literal spelling is tried first
    assert key in keys


def test_lookup_keys_keep_inner_punctuation() -> None:
    assert lookup_keys("N. Korea")[0] == "n. korea"
    assert lookup_keys("") == []
    assert lookup_keys("???") == []


def test_holder_completes_on_word_prefixes() -> None:
    assert holder_completes("analy", "Analysts")
    assert holder_completes("europ lead", "Some European leaders")
    assert not holder_completes("lead europa", "Some European leaders")
    assert not holder_completes("", "Analysts")
