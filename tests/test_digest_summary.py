"""The posted digest's summary (bot.briefing.digest_summary) and its Show all button's
custom_id (bot.views), without Discord: counts per kind, which items come first, fresh
markers, and custom_ids read strictly (issue 14)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import briefing
from bot.answers import Answer, Line, Ref, Section
from bot.models import Kind, Precision, When
from bot.render.embeds import render_pages
from bot.views import CUSTOM_ID_MAX, digest_custom_id, digest_window

SINCE = datetime(2026, 11, 27, 12, 0, 0, 123456, tzinfo=UTC)
UNTIL = datetime(2026, 11, 28, 0, 0, tzinfo=UTC)


def _full(*changes: tuple[str, Kind, str], upcoming: int = 0, meetings: int = 0) -> Answer:
    """A digest as `briefing.digest` builds it: one section per change label (key
    added/corrected/retracted), meetings changed and ahead; every line cites a fact."""
    answer = Answer(title="Daily briefing", day=date(2026, 11, 28), window=(SINCE, UNTIL))
    by_key: dict[str, list[Line]] = {}
    for number, (key, kind, text) in enumerate(changes, start=1):
        ref = Ref(str(number), 1, "S", f"quote {number}", fact_id=number)
        answer.refs.append(ref)
        line = Line(text, kind=kind, markers=[ref.marker], fact_id=number, source_ids=(1,))
        by_key.setdefault(key, []).append(line)
    for key in ("added", "corrected", "retracted"):
        if key in by_key:
            heading = f"{key.title()} since the last digest"
            answer.sections.append(Section(heading, by_key[key], key=key))
    when = When(UNTIL + timedelta(days=2), "UTC", Precision.DAY)

    def meeting(n: int) -> Line:
        marker = str(100 + n)
        answer.refs.append(Ref(marker, 1, "S", f"meeting quote {n}", meeting_id=n))
        return Line("Kim, Xi", lead=f"Meeting {n}", when=when, past=False, markers=[marker])

    if meetings:
        lines = [meeting(n) for n in range(1, meetings + 1)]
        answer.sections.append(Section("Meetings added or changed", lines, key="meetings"))
    if upcoming:
        lines = [meeting(n) for n in range(1, upcoming + 1)]
        answer.sections.append(Section("In the next seven days", lines, key="upcoming"))
    return answer


def _texts(answer: Answer) -> list[str]:
    return [line.lead or line.text for s in answer.sections for line in s.lines]


def test_counts_per_kind_and_how_many_were_corrected_or_retracted() -> None:
    full = _full(
        ("added", Kind.REPORTED, "a"),
        ("added", Kind.REPORTED, "b"),
        ("added", Kind.ATTRIBUTED, "c"),
        ("corrected", Kind.OPINION, "d"),
        ("retracted", Kind.REPORTED, "e"),
        meetings=1,
    )
    assert briefing.change_counts(full) == (
        "3 reported · 1 view · 1 opinion · 1 meeting (1 corrected, 1 retracted)"
    )


def test_the_top_items_are_retractions_corrections_then_reporting() -> None:
    full = _full(
        ("added", Kind.OPINION, "opinion"),
        ("added", Kind.REPORTED, "reported 1"),
        ("added", Kind.REPORTED, "reported 2"),
        ("added", Kind.ATTRIBUTED, "view"),
        ("retracted", Kind.OPINION, "retracted"),
        ("corrected", Kind.REPORTED, "corrected"),
    )
    summary = briefing.digest_summary(full)
    # shown in the digest's own order (added, corrected, retracted)
    assert _texts(summary) == ["reported 1", "corrected", "retracted"]
    assert summary.rest == 3
    assert summary.sections[0].heading == "Added since the last digest (1 of 4)"
    assert summary.sections[1].heading == "Corrected since the last digest"
    assert "**Show all** lists the other 3" in summary.intro
    assert summary.window == (SINCE, UNTIL) and summary.day == full.day


def test_markers_are_numbered_afresh_and_only_shown_lines_are_cited() -> None:
    full = _full(*[("added", Kind.REPORTED, f"fact {n}") for n in range(1, 7)], upcoming=1)
    summary = briefing.digest_summary(full)
    markers = [m for s in summary.sections for line in s.lines for m in line.markers]
    assert markers == ["1", "2", "3", "4"]
    assert [ref.marker for ref in summary.refs] == markers
    assert [ref.fact_id for ref in summary.refs[:3]] == [1, 2, 3]
    assert summary.refs[3].meeting_id == 1
    # the full digest is untouched (its button shows it again)
    assert [line.markers for line in full.sections[0].lines][3] == ["4"]


def test_a_meeting_both_changed_and_ahead_is_shown_once() -> None:
    full = _full(("added", Kind.REPORTED, "a"), meetings=1, upcoming=1)
    summary = briefing.digest_summary(full)
    assert [s.key for s in summary.sections] == ["added", "upcoming"]
    assert summary.rest == 0  # one meeting, shown: nothing is left to a button
    assert digest_custom_id(summary) is None
    assert "1 meeting" in summary.intro


def test_few_meetings_ahead_are_shown_the_rest_counted() -> None:
    full = _full(("added", Kind.REPORTED, "a"), upcoming=5)
    summary = briefing.digest_summary(full)
    assert _texts(summary) == ["a", "Meeting 1", "Meeting 2"]
    assert summary.rest == 3


def test_a_digest_with_nothing_changed_is_kept_whole() -> None:
    standing = Answer(title="Daily briefing", sections=[Section("Key actors", [Line("x")])])
    assert briefing.digest_summary(standing) is standing
    assert standing.rest == 0 and digest_custom_id(standing) is None


def test_a_summary_of_many_long_changes_is_one_page() -> None:
    long = "word " * 190
    full = _full(*[("added", Kind.REPORTED, f"{n} {long}") for n in range(40)], upcoming=9)
    [page] = render_pages(briefing.digest_summary(full))
    assert len(page.embed) <= 6000


# --- the Show all button's custom_id -----------------------------------------------------


def test_the_custom_id_holds_the_exact_window_and_day() -> None:
    summary = briefing.digest_summary(_full(*[("added", Kind.REPORTED, "x")] * 5))
    custom_id = digest_custom_id(summary)
    assert custom_id is not None and len(custom_id) <= CUSTOM_ID_MAX
    window = digest_window(custom_id, UNTIL + timedelta(hours=1))
    assert window is not None
    assert (window.since, window.until, window.day) == (SINCE, UNTIL, date(2026, 11, 28))
    # posted by a process whose clock runs a little ahead: still its window
    assert digest_window(custom_id, UNTIL - timedelta(minutes=4)) == window
    assert digest_window(custom_id, UNTIL - timedelta(minutes=6)) is None


@pytest.mark.parametrize(
    "custom_id",
    [
        "digest:5:4:20261128",  # ends before it starts
        "digest:1:99999999999999999:20261128",  # ends in the future
        "digest:1:2:20261399",  # no such day
        "digest:1:2:00000000",
        "digest:123456789012345678:2:20261128",  # more digits than the template allows
        "digest:1:2:20261128:extra",
        "digest:-1:2:20261128",
        "digest:1:2:2026112",
        "digest:" + "9" * 200,
        "quotes:f1",
        "",
    ],
)
def test_a_forged_custom_id_names_no_window(custom_id: str) -> None:
    assert digest_window(custom_id, UNTIL) is None


# --- limits: a summary stays one page within Discord's limits, and loses no marker ---------

_change = st.tuples(
    st.sampled_from(["added", "corrected", "retracted"]),
    st.sampled_from(Kind),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=500),
)


@settings(max_examples=60, deadline=None)
@given(
    changes=st.lists(_change, max_size=60),
    upcoming=st.integers(0, 30),
    meetings=st.integers(0, 30),
)
def test_a_summary_is_within_limits_and_shows_every_marker_it_cites(
    changes: list[tuple[str, Kind, str]], upcoming: int, meetings: int
) -> None:
    full = _full(*changes, upcoming=upcoming, meetings=meetings)
    summary = briefing.digest_summary(full)
    pages = render_pages(summary)
    shown: set[str] = set()
    for page in pages:
        data = page.embed.to_dict()
        fields = data.get("fields", [])
        assert len(page.embed) <= 6000 and len(fields) <= 25
        assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in fields)
        shown |= {m for m in page.markers}
    assert shown == {ref.marker for ref in summary.refs}
    if summary is not full:
        assert len(pages) == 1  # a statement is at most 500 characters: one page
        lines = sum(len(s.lines) for s in summary.sections)
        assert lines <= briefing.TOP_CHANGES + 2 * briefing.TOP_MEETINGS
        custom_id = digest_custom_id(summary)
        assert (custom_id is None) == (summary.rest == 0)
