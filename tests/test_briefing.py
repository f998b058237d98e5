"""What each answer contains: kinds kept apart, citations verbatim, canonical names,
and meetings placed correctly in time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot import briefing
from bot.answers import Answer, Line
from bot.errors import BadInput, NotFound
from bot.models import Kind
from bot.render.common import describe_source, kind_text
from bot.store import Store
from bot.usertext import plain
from tests.conftest import FIXED_NOW, asking

OPINION_HEADING = "The author's opinion (not established fact)"
STATEMENT = (
    "\u201cThe United States is committed to working with interested parties, including "
    "Russia, on the robust and sustained implementation of U.N. sanctions in order to move "
    "forward with denuclearization,\u201d"
)


async def _source_text(store: Store) -> str:
    [source] = await store.sources(None)
    full = await store.source(source.id, None, with_text=True)
    assert full is not None and full.text is not None
    return full.text


def _fact_lines(answer: Answer) -> list[tuple[str, Line, int]]:
    """(section heading, line, fact id) for every line that shows a fact."""
    found = []
    for section in answer.sections:
        for line in section.lines:
            if line.fact_id is not None:
                found.append((section.heading, line, line.fact_id))
    return found


async def _assert_cited_verbatim(store: Store, answer: Answer) -> None:
    text = await _source_text(store)
    markers = {ref.marker for ref in answer.refs}
    assert answer.refs
    for ref in answer.refs:
        assert ref.quote in text, ref.quote
    for section in answer.sections:
        for line in section.lines:
            assert set(line.markers) <= markers
    for _, line, fact_id in _fact_lines(answer):
        assert line.markers, f"fact {fact_id} has no citation marker"
    # One marker a line, numbered in order (a line citing two passages has two refs).
    distinct = list(dict.fromkeys(ref.marker for ref in answer.refs))
    assert distinct == [str(n) for n in range(1, len(distinct) + 1)]
    for section in answer.sections:
        for line in section.lines:
            assert len(line.markers) <= 1
    [source] = await store.sources(None)
    assert [s.id for s in answer.sources] == [source.id]


# --- who -----------------------------------------------------------------------------------


async def test_who_kim_groups_facts_by_kind(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "kim")
    assert answer.found is True
    assert answer.title == "Kim Jong Un"
    # The role is a line of its own, citing the passage that states it.
    role = answer.sections[0]
    assert role.heading == "Role"
    [line] = role.lines
    assert "The North Korean leader" in line.text
    assert [answer.refs[int(m) - 1].quote for m in line.markers] == ["the North Korean leader"]
    assert [section.heading for section in answer.sections[1:]] == [
        "Key reported facts",
        "More reported",
        "Views the source attributes to others",
        OPINION_HEADING,
        "Meetings",
    ]
    # Summary first: role and three reported facts; the rest folded, for the menu.
    assert [s.folded for s in answer.sections] == [False, False, True, True, True, True]
    assert len(answer.sections[1].lines) == briefing.KEY_FACTS
    headings_for_kind = {
        Kind.REPORTED: ("Key reported facts", "More reported"),
        Kind.QUOTE: "In their own words",
        Kind.ATTRIBUTED: "Views the source attributes to others",
        Kind.OPINION: OPINION_HEADING,
    }
    lines = _fact_lines(answer)
    kim = (await store.find_entity("kim")).entity
    assert kim is not None
    assert sorted(fid for _, _, fid in lines) == sorted(
        f.id for f in await store.facts_about(kim.id, None)
    )
    for heading, line, fact_id in lines:
        fact = await store.fact(fact_id, None)
        assert fact is not None
        expected = headings_for_kind[fact.kind]
        assert heading in expected if isinstance(expected, tuple) else heading == expected
        if fact.kind is Kind.OPINION:
            assert kind_text(line) == "Author's opinion"
        elif fact.kind is Kind.ATTRIBUTED:
            assert fact.attributed_to
            assert plain(kind_text(line)) == f"Attributed view: {fact.attributed_to}"
        else:
            assert kind_text(line) == "Reported"


async def test_who_kim_names_who_holds_each_attributed_view(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "kim")
    labels = {plain(kind_text(line)) for _, line, _ in _fact_lines(answer)}
    assert {
        "Attributed view: Analysts",
        "Attributed view: Many officials",
        "Attributed view: Some European leaders",
        "Attributed view: Critics of the United States",
    } <= labels


async def test_who_kim_cites_every_line_verbatim(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "kim")
    await _assert_cited_verbatim(store, answer)
    meetings = next(s for s in answer.sections if s.heading == "Meetings")
    assert len(meetings.lines) == 2
    assert all(line.markers for line in meetings.lines)


async def test_who_uses_the_canonical_name_for_the_articles_spelling(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "Kim Jung Un")
    assert answer.title == "Kim Jong Un"
    for spelling in ("김정은", "Kim Jong-un", "KIM JONG UN"):
        assert (await briefing.who(store, asking(None, FIXED_NOW), spelling)).title == "Kim Jong Un"


async def test_who_unknown_name_suggests_and_invents_nothing(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "Vladimir Puttin")
    assert answer.found is False
    assert answer.sections == []
    assert answer.refs == []
    assert answer.suggestions[0] == "Vladimir Putin"
    assert "Vladimir Puttin" in answer.title


async def test_who_unknown_name_without_any_close_match(store: Store) -> None:
    answer = await briefing.who(store, asking(None, FIXED_NOW), "Xi Jinping")
    assert answer.found is False
    assert answer.sections == []
    assert "nothing is made up" in answer.intro


async def test_who_refuses_an_absurdly_long_name(store: Store) -> None:
    with pytest.raises(BadInput, match="too long"):
        await briefing.who(store, asking(None, FIXED_NOW), "k" * 101)


async def test_who_without_a_name_lists_key_actors(store: Store) -> None:
    for empty in (None, "", "   "):
        answer = await briefing.who(store, asking(None, FIXED_NOW), empty)
        assert answer.title == "Key actors in the briefing"
        [section] = answer.sections
        leads = [plain(line.lead) for line in section.lines]
        for name in ("Kim Jong Un", "Vladimir Putin", "Donald Trump", "U.S. State Department"):
            assert name in leads
        # People and organisations only: no countries or places.
        assert "North Korea" not in leads
        assert "Hanoi" not in leads
        assert leads[0] == "Kim Jong Un"


# --- sanctions -----------------------------------------------------------------------------


async def test_sanctions_has_the_state_department_statement_verbatim(store: Store) -> None:
    source = await _source_text(store)
    assert source[1014:1209] == STATEMENT
    answer = await briefing.sanctions(store, asking(None))
    assert answer.title == "Sanctions on North Korea"
    positions = next(s for s in answer.sections if s.heading == "Stated positions (verbatim)")
    [line] = positions.lines
    # The speaker is named once, as the holder; the text is their words, verbatim.
    assert plain(line.text).startswith(STATEMENT)
    assert plain(line.holder) == "U.S. State Department"
    assert plain(kind_text(line)) == "Quote: U.S. State Department"
    assert STATEMENT in [ref.quote for ref in answer.refs]


async def test_sanctions_keeps_opinion_in_its_own_section(store: Store) -> None:
    answer = await briefing.sanctions(store, asking(None))
    # The article reports nothing on sanctions in its own voice: what it says is the
    # State Department's words and the author's opinion (facts 8 and 13 are withdrawn).
    assert [s.heading for s in answer.sections] == [
        "Stated positions (verbatim)",
        OPINION_HEADING,
    ]
    lines = _fact_lines(answer)
    opinion_ids = set()
    for heading, line, fact_id in lines:
        fact = await store.fact(fact_id, None)
        assert fact is not None
        assert "sanctions" in fact.topics
        if fact.kind is Kind.OPINION:
            opinion_ids.add(fact_id)
            assert heading == OPINION_HEADING
            assert kind_text(line) == "Author's opinion"
        else:
            assert heading != OPINION_HEADING
            assert kind_text(line) != "Author's opinion"
    expected = {
        f.id for f in await store.facts_by_topic("sanctions", None) if f.kind is Kind.OPINION
    }
    assert opinion_ids == expected
    assert len(expected) == 5
    # Every sanctions fact is shown exactly once.
    shown = [fid for _, _, fid in lines]
    assert sorted(shown) == sorted(f.id for f in await store.facts_by_topic("sanctions", None))
    await _assert_cited_verbatim(store, answer)


async def test_sanctions_effect_section_is_reporting_on_the_economy(store: Store) -> None:
    answer = await briefing.sanctions(store, asking(None))
    # The author's "crippling" and "no doubt…the effects of economic sanctions" are
    # opinion, so there is no reported effect to show; they stay under the opinion heading.
    assert "Their reported effect" not in [s.heading for s in answer.sections]
    opinion = next(s for s in answer.sections if s.heading == OPINION_HEADING)
    texts = [plain(line.text) for line in opinion.lines]
    assert any("crippling" in text for text in texts)
    assert any("effects of economic sanctions" in text for text in texts)


# --- meetings ------------------------------------------------------------------------------


async def test_next_meeting_today_shows_the_most_recent_past_one(store: Store) -> None:
    answer = await briefing.next_meeting(store, asking(None, FIXED_NOW))
    assert answer.intro == "No upcoming meeting is recorded in the briefing."
    [section] = answer.sections
    assert section.heading == "Most recent (past)"
    [line] = section.lines
    assert plain(line.lead) == "Putin–Kim summit in Vladivostok"
    assert line.past is True
    assert line.when is not None
    assert line.when.tz == "Asia/Vladivostok"
    assert line.when.start == datetime(2019, 4, 24, 14, 0, tzinfo=UTC)
    await _assert_cited_verbatim(store, answer)


async def test_next_meeting_two_days_before_vladivostok(store: Store) -> None:
    answer = await briefing.next_meeting(store, asking(None, datetime(2019, 4, 23, tzinfo=UTC)))
    assert answer.intro == ""
    [section] = answer.sections
    assert section.heading == "Upcoming"
    [line] = section.lines
    assert "Vladivostok" in line.place
    assert "Vladimir Putin, Kim Jong Un" in plain(line.text)
    assert line.past is False


@pytest.mark.parametrize(
    ("now", "upcoming"),
    [
        # 25 April 2019 23:59 in Vladivostok: still the summit's day.
        (datetime(2019, 4, 25, 13, 59, tzinfo=UTC), True),
        # Midnight into the 26th in Vladivostok: over.
        (datetime(2019, 4, 25, 14, 0, tzinfo=UTC), False),
    ],
)
async def test_vladivostok_day_ends_at_local_midnight(
    store: Store, now: datetime, upcoming: bool
) -> None:
    answer = await briefing.next_meeting(store, asking(None, now))
    [section] = answer.sections
    assert (section.heading == "Upcoming") is upcoming
    assert "Vladivostok" in section.lines[0].place


async def test_hanoi_counts_as_not_over_while_it_is_on(store: Store) -> None:
    answer = await briefing.next_meeting(
        store, asking(None, datetime(2019, 2, 27, 12, 0, tzinfo=UTC))
    )
    [section] = answer.sections
    assert section.heading == "Upcoming"
    [line] = section.lines
    assert plain(line.lead) == "Trump–Kim summit in Hanoi"
    assert line.past is False


async def test_timeline_is_in_date_order(store: Store) -> None:
    answer = await briefing.timeline(store, asking(None, FIXED_NOW))
    [section] = answer.sections
    assert len(section.lines) == 2
    assert "Hanoi" in section.lines[0].place
    assert "Vladivostok" in section.lines[1].place
    assert all(line.past for line in section.lines)
    assert section.lines[0].when is not None and section.lines[1].when is not None
    assert section.lines[0].when.start < section.lines[1].when.start
    await _assert_cited_verbatim(store, answer)


async def test_timeline_between_the_summits(store: Store) -> None:
    answer = await briefing.timeline(store, asking(None, datetime(2019, 3, 15, tzinfo=UTC)))
    assert [line.past for line in answer.sections[0].lines] == [True, False]


# --- search, fact, sources -----------------------------------------------------------------


@pytest.mark.parametrize("empty", ["", "   "])
async def test_empty_search_is_refused(store: Store, empty: str) -> None:
    with pytest.raises(BadInput, match="Search for something"):
        await briefing.search(store, asking(None), empty)


async def test_overlong_search_is_refused(store: Store) -> None:
    with pytest.raises(BadInput, match="too long"):
        await briefing.search(store, asking(None), "sanctions " * 30)


async def test_search_answer(store: Store) -> None:
    answer = await briefing.search(store, asking(None), "denuclearization")
    assert answer.found is True
    # Only the State Department's statement: fact 13, cut from inside it, is withdrawn.
    assert answer.intro == "1 match, most relevant first."
    await _assert_cited_verbatim(store, answer)
    nothing = await briefing.search(store, asking(None), "zzzzqqq")
    assert nothing.found is False
    assert nothing.sections == []


async def test_missing_fact_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="no fact 9999"):
        await briefing.fact(store, asking(None), 9999)


async def test_fact_answer_shows_kind_and_verbatim_quote(store: Store) -> None:
    answer = await briefing.fact(store, asking(None), 12)
    assert answer.title == "Fact 12"
    assert [s.heading for s in answer.sections] == ["Statement", "Verbatim from the source"]
    statement = answer.sections[0].lines[0]
    assert plain(kind_text(statement)) == "Quote: U.S. State Department"
    assert plain(statement.text).startswith("The U.S. State Department was quoted as saying")
    assert "The article gives no speaker, date or occasion" in plain(statement.text)
    # The quotation and the attribution words after it, each verbatim.
    assert [plain(line.text) for line in answer.sections[1].lines] == [
        STATEMENT,
        "“U.S. State Department”",
    ]
    await _assert_cited_verbatim(store, answer)


async def test_sources_answer_invents_no_publisher(store: Store) -> None:
    answer = await briefing.sources(store, asking(None))
    [line] = answer.sections[0].lines
    assert line.source is not None
    text = describe_source(line.source)
    assert "(title ours)" in text
    assert "publisher: unknown" in text
    assert "author: unknown" in text
    assert "URL unknown" in text
    assert "written in the days before Thursday 25 April 2019" in text
