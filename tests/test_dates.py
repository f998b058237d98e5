"""Reading meeting dates as people type them: zones, precision, DST and refusals."""

from __future__ import annotations

import contextlib
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.dates import parse_clock, parse_when, resolve_relative_day, zone
from bot.errors import BadInput
from bot.models import Precision
from tests.conftest import FIXED_NOW


def test_fixed_now_is_a_friday() -> None:
    # The relative-day expectations below rely on it.
    assert FIXED_NOW.date() == date(2026, 11, 27)
    assert FIXED_NOW.weekday() == 4


def test_iso_date_time_with_iana_zone_is_converted_to_utc() -> None:
    when = parse_when("2026-12-03 10:00 Asia/Seoul", FIXED_NOW)
    assert when.start == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert when.start.utcoffset() == timedelta(0)
    assert when.tz == "Asia/Seoul"
    assert when.precision is Precision.MINUTE
    assert when.end is None
    assert "Asia/Seoul" in when.resolution


def test_month_name_and_am_with_abbreviation() -> None:
    when = parse_when("Dec 3 10am KST", FIXED_NOW)
    assert when.start == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)
    assert when.tz == "Asia/Seoul"
    assert when.precision is Precision.MINUTE


def test_lowercase_abbreviation_is_accepted() -> None:
    assert parse_when("Dec 3 10am kst", FIXED_NOW).start == datetime(2026, 12, 3, 1, tzinfo=UTC)


def test_next_weekday_with_time_and_zone() -> None:
    when = parse_when("next Thursday 15:00 Europe/Moscow", FIXED_NOW)
    # Friday 27 Nov -> Thursday 3 Dec; 15:00 Moscow (UTC+3) is 12:00 UTC.
    assert when.start == datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert when.tz == "Europe/Moscow"
    assert when.precision is Precision.MINUTE
    assert "next Thursday" in when.resolution


def test_bare_date_has_day_precision_at_local_midnight() -> None:
    when = parse_when("2026-12-03", FIXED_NOW)
    assert when.start == datetime(2026, 12, 3, 0, 0, tzinfo=UTC)
    assert when.precision is Precision.DAY
    assert when.tz == "UTC"

    seoul = parse_when("2026-12-03", FIXED_NOW, default_tz="Asia/Seoul")
    assert seoul.start == datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
    assert seoul.precision is Precision.DAY
    assert seoul.tz == "Asia/Seoul"


def test_date_without_year_that_has_passed_rolls_to_next_year() -> None:
    when = parse_when("Jan 5", FIXED_NOW)
    assert when.start == datetime(2027, 1, 5, tzinfo=UTC)
    assert when.precision is Precision.DAY
    assert "next occurrence" in when.resolution


def test_date_without_year_still_ahead_stays_this_year() -> None:
    assert parse_when("Dec 24", FIXED_NOW).start == datetime(2026, 12, 24, tzinfo=UTC)
    # Today is not "passed".
    assert parse_when("Nov 27", FIXED_NOW).start == datetime(2026, 11, 27, tzinfo=UTC)


def test_today_and_tomorrow() -> None:
    assert parse_when("today", FIXED_NOW).start == datetime(2026, 11, 27, tzinfo=UTC)
    tomorrow = parse_when("tomorrow 9am", FIXED_NOW)
    assert tomorrow.start == datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
    assert tomorrow.precision is Precision.MINUTE


def test_nonexistent_time_in_spring_forward_gap_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        parse_when("2026-03-08 02:30 America/New_York", FIXED_NOW)
    message = str(caught.value)
    assert "does not exist" in message
    assert "America/New_York" in message
    assert "2026-03-08 02:30" in message


def test_repeated_time_in_fall_back_hour_is_refused() -> None:
    with pytest.raises(BadInput) as caught:
        parse_when("2026-11-01 01:30 America/New_York", FIXED_NOW)
    message = str(caught.value)
    assert "happens twice" in message
    assert "America/New_York" in message


def test_times_either_side_of_dst_are_accepted() -> None:
    before = parse_when("2026-03-08 01:30 America/New_York", FIXED_NOW)
    after = parse_when("2026-03-08 03:30 America/New_York", FIXED_NOW)
    assert before.start == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)  # EST, UTC-5
    assert after.start == datetime(2026, 3, 8, 7, 30, tzinfo=UTC)  # EDT, UTC-4


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Feb 30", "Could not read `Feb 30` as a date"),
        ("25:99", "Could not read `25:99` as a date"),
        ("2026-12-03 10:00 Mars/Olympus", "Unknown time zone `Mars/Olympus`"),
        ("03/04/2026", "`03/04/2026` could be day/month or month/day"),
        ("Dec 3 10am CST", "`CST` is ambiguous"),
        ("Dec 3 10am IST", "`IST` is ambiguous"),
        ("", "Give a date"),
        ("   ", "Give a date"),
    ],
)
def test_unusable_input_is_refused_with_a_clear_message(text: str, expected: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_when(text, FIXED_NOW)
    assert expected in str(caught.value)


def test_unambiguous_numeric_date_is_read() -> None:
    # 25 cannot be a month, so this is day/month.
    assert parse_when("25/04/2019", FIXED_NOW).start == datetime(2019, 4, 25, tzinfo=UTC)


def test_zone_refusals_suggest_a_fix() -> None:
    with pytest.raises(BadInput, match="Asia/Seoul"):
        zone("Mars/Olympus")
    with pytest.raises(BadInput, match="ambiguous"):
        zone("cst")
    assert zone("VLAT")[0] == "Asia/Vladivostok"
    assert zone("UTC")[0] == "UTC"


def test_written_utc_offset_is_honoured_or_refused() -> None:
    try:
        when = parse_when("2026-12-03T10:00+09:00", FIXED_NOW)
    except BadInput:
        return  # refusing is fine too
    assert when.start == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)


def test_bare_date_on_a_midnight_dst_day_is_accepted() -> None:
    # Lebanon moves clocks from 00:00 to 01:00 on the last Sunday of March.
    when = parse_when("2026-03-29 Asia/Beirut", FIXED_NOW)
    assert when.precision is Precision.DAY
    assert when.start == datetime(2026, 3, 28, 22, 0, tzinfo=UTC)  # 01:00 EEST


# --- relative days ---------------------------------------------------------------------


def test_this_thursday_from_the_articles_monday() -> None:
    day, how = resolve_relative_day("this Thursday", date(2019, 4, 22))
    assert day == date(2019, 4, 25)
    assert "this Thursday" in how
    assert "2019-04-22" in how


@pytest.mark.parametrize("anchor_day", range(19, 26))
def test_this_thursday_from_any_day_of_the_week_before(anchor_day: int) -> None:
    # Friday 19 April .. Thursday 25 April 2019 all mean the summit's Thursday.
    day, _ = resolve_relative_day("this Thursday", date(2019, 4, anchor_day))
    assert day == date(2019, 4, 25)


def test_next_and_last_thursday() -> None:
    assert resolve_relative_day("next Thursday", date(2019, 4, 22))[0] == date(2019, 4, 25)
    # On a Thursday, "next Thursday" is a week later and "this Thursday" is today.
    assert resolve_relative_day("next Thursday", date(2019, 4, 25))[0] == date(2019, 5, 2)
    assert resolve_relative_day("last Thursday", date(2019, 4, 25))[0] == date(2019, 4, 18)
    assert resolve_relative_day("THIS thursday", date(2019, 4, 22))[0] == date(2019, 4, 25)


@pytest.mark.parametrize("phrase", ["this Thursdy", "Thursday", "this week", "soon"])
def test_not_a_relative_weekday(phrase: str) -> None:
    with pytest.raises(BadInput, match="not a relative weekday"):
        resolve_relative_day(phrase, date(2019, 4, 22))


# --- clock times -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("9am", time(9, 0)),
        ("9 am", time(9, 0)),
        ("21:30", time(21, 30)),
        ("09:00", time(9, 0)),
        ("9:15 pm", time(21, 15)),
        ("12am", time(0, 0)),
        ("12pm", time(12, 0)),
    ],
)
def test_parse_clock(text: str, expected: time) -> None:
    assert parse_clock(text) == expected


@pytest.mark.parametrize(
    "text", ["nine", "25:99", "Dec 3", "12", "", "9:60", "at 9 in the evening"]
)
def test_parse_clock_refuses(text: str) -> None:
    with pytest.raises(BadInput, match="time of day"):
        parse_clock(text)


# --- UTC offsets and zones anywhere in the text (issue 9, Low) -------------------------


@pytest.mark.parametrize(
    ("text", "start", "label"),
    [
        # GMT+9 as people type it is UTC+09:00 (not POSIX's Etc/GMT+9, which is UTC-9)
        ("Dec 3 10:00 GMT+9", datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "UTC+09:00"),
        ("Dec 3 10:00 UTC+9", datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "UTC+09:00"),
        ("Dec 3 10:00 UTC-12", datetime(2026, 12, 3, 22, 0, tzinfo=UTC), "UTC-12:00"),
        ("Dec 3 10:00 +09:00", datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "UTC+09:00"),
        ("Dec 3 10:00 UTC+5:45", datetime(2026, 12, 3, 4, 15, tzinfo=UTC), "UTC+05:45"),
        ("Dec 3 10:00 GMT-03:30", datetime(2026, 12, 3, 13, 30, tzinfo=UTC), "UTC-03:30"),
        ("Dec 3 10:00 UTC+0", datetime(2026, 12, 3, 10, 0, tzinfo=UTC), "UTC"),
        ("2026-12-03T10:00+09:00", datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "UTC+09:00"),
        # a zone before the year is not dropped
        ("Dec 3 10:00 KST 2026", datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "Asia/Seoul"),
        ("Dec 3 KST 10:00", datetime(2026, 12, 3, 1, 0, tzinfo=UTC), "Asia/Seoul"),
        # IANA's Etc/GMT+N keeps its POSIX meaning: UTC-N
        ("Dec 3 10:00 Etc/GMT+9", datetime(2026, 12, 3, 19, 0, tzinfo=UTC), "Etc/GMT+9"),
    ],
)
def test_offsets_and_zones_as_typed(text: str, start: datetime, label: str) -> None:
    when = parse_when(text, FIXED_NOW)
    assert when.start == start
    assert when.tz == label
    assert when.precision is Precision.MINUTE
    zone(when.tz)  # the label is a zone the bot can show the time in again


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Dec 3 10:00 +24:00", "UTC offsets run from UTC-12:00 to UTC+14:00"),
        ("Dec 3 10:00 UTC+25", "UTC offsets run from UTC-12:00 to UTC+14:00"),
        ("Dec 3 10:00 UTC-13", "UTC offsets run from UTC-12:00 to UTC+14:00"),
        ("2026-12-03T10:00+24:00", "UTC offsets run from UTC-12:00 to UTC+14:00"),
        ("Dec 3 10:00 UTC+9:75", "UTC offsets run from UTC-12:00 to UTC+14:00"),
        ("Dec 3 10:00 XYZ", "Unknown time zone `XYZ`"),
        ("Dec 3 10:00 KST Europe/Moscow", "more than one time zone"),
    ],
)
def test_impossible_offsets_and_unknown_zones_are_refused(text: str, expected: str) -> None:
    with pytest.raises(BadInput) as caught:
        parse_when(text, FIXED_NOW)
    assert expected in str(caught.value)


def test_offset_names_work_as_digest_zones() -> None:
    assert zone("GMT+9")[0] == "UTC+09:00"
    assert zone("utc-12")[0] == "UTC-12:00"
    assert zone("UTC+09:00")[1].utcoffset(None) == timedelta(hours=9)
    with pytest.raises(BadInput, match="UTC offsets run"):
        zone("UTC+25")


def test_a_zone_typed_into_a_clock_time_is_not_dropped() -> None:
    with pytest.raises(BadInput):
        parse_clock("10:00+09:00")
    with pytest.raises(BadInput):
        parse_when("tomorrow 10:00+24:00", FIXED_NOW)


TOKENS = [
    "Dec", "3", "10:00", "10am", "2026", "9999", "0001", "GMT", "UTC", "KST", "Z", "+09:00",
    "-12", "+24:00", "GMT+9", "UTC-12", "UTC+25", "Etc/GMT+12", "Asia/Seoul", "Mars/Olympus",
    "next", "this", "Thursday", "today", "tomorrow", "T", "/", ":", "-", "+", "pm", "am",
    "25:99", "Feb", "30", "31", "03/04/2026", "2026-12-03T10:00+09:00", "CST", "..", "٣",
]  # fmt: skip


@settings(max_examples=400, deadline=None)
@given(
    text=st.one_of(
        st.text(max_size=40),
        st.lists(st.sampled_from(TOKENS), max_size=6).map(" ".join),
        st.lists(st.sampled_from(TOKENS), max_size=4).map("".join),
        st.lists(st.sampled_from(TOKENS), max_size=3).map(
            lambda words: " ".join(["Dec 3", *words])
        ),
    )
)
def test_no_input_raises_anything_but_bad_input(text: str) -> None:
    """Whatever is typed, the answer is a When or the bot's typed BadInput (a clear
    message), never a TypeError, ValueError or OverflowError."""
    for parse in (
        lambda: parse_when(text, FIXED_NOW),
        lambda: parse_when(text, FIXED_NOW, default_tz="Pacific/Kiritimati"),
        lambda: parse_clock(text),
        lambda: zone(text),
    ):
        with contextlib.suppress(BadInput):
            parse()
