"""When a daily digest is due (bot.schedule): wall-clock times across daylight-saving
changes, the grace window, yesterday's digest after an outage, and `next_due`."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.models import DigestSubscription
from bot.schedule import GRACE, due_at, due_days, local_day, next_due

NEW_YORK = "America/New_York"
LONDON = "Europe/London"
SEOUL = "Asia/Seoul"
EARLY = datetime(2026, 1, 1, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def sub(
    local: time = time(9, 0),
    tz: str = SEOUL,
    since: datetime = EARLY,
    last_sent_day: date | None = None,
) -> DigestSubscription:
    return DigestSubscription(
        guild_id=1,
        channel_id=2,
        local_time=local,
        tz=tz,
        enabled=True,
        since=since,
        last_sent_day=last_sent_day,
    )


def simulate(subscription: DigestSubscription, start: datetime, end: datetime, step: timedelta):
    """Tick every `step` from `start` to `end` as the dispatcher would, marking each due day
    sent at the tick that found it. Returns [(day, sent at)] and the skipped days."""
    sent, skipped = [], []
    now = start
    while now <= end:
        for due in due_days(subscription, now):
            if due.missed:
                if due.day not in skipped:
                    skipped.append(due.day)
                continue
            sent.append((due.day, now))
            subscription = replace(subscription, last_sent_day=due.day, last_sent_at=now, since=now)
        now += step
    return sent, skipped


# --- due_at ------------------------------------------------------------------------------


def test_spring_forward_gap_new_york_goes_out_at_0330_local() -> None:
    # 2026-03-08: clocks jump 02:00 EST -> 03:00 EDT; 02:30 does not exist that day.
    at = due_at(date(2026, 3, 8), time(2, 30), NEW_YORK)
    assert at == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
    assert local_day(at, NEW_YORK) == date(2026, 3, 8)
    # the days around it are ordinary (EST before, EDT after)
    assert due_at(date(2026, 3, 7), time(2, 30), NEW_YORK) == utc(2026, 3, 7, 7, 30)
    assert due_at(date(2026, 3, 9), time(2, 30), NEW_YORK) == utc(2026, 3, 9, 6, 30)


def test_spring_forward_day_sends_exactly_once() -> None:
    subscription = sub(time(2, 30), NEW_YORK, since=utc(2026, 3, 7, 12))
    sent, skipped = simulate(
        subscription, utc(2026, 3, 7, 12), utc(2026, 3, 10, 12), timedelta(minutes=5)
    )
    assert [day for day, _ in sent] == [date(2026, 3, 8), date(2026, 3, 9), date(2026, 3, 10)]
    assert sent[0][1] == utc(2026, 3, 8, 7, 30)  # 03:30 EDT on the gap day
    assert sent[1][1] == utc(2026, 3, 9, 6, 30)  # 02:30 EDT the day after
    assert skipped == []


def test_fall_back_repeated_hour_first_occurrence_only() -> None:
    # 2026-11-01: 01:00-02:00 happens twice (EDT, then EST).
    at = due_at(date(2026, 11, 1), time(1, 30), NEW_YORK)
    assert at == utc(2026, 11, 1, 5, 30)  # 01:30 EDT, the first one
    subscription = sub(time(1, 30), NEW_YORK, since=utc(2026, 10, 30))
    sent, _ = simulate(
        subscription, utc(2026, 10, 31, 12), utc(2026, 11, 2, 12), timedelta(minutes=5)
    )
    days = [day for day, _ in sent]
    assert days == [date(2026, 11, 1), date(2026, 11, 2)]
    assert sent[0][1] == utc(2026, 11, 1, 5, 30)
    # the second 01:30 (06:30 UTC) is still 1 November locally: already sent
    assert (
        due_days(replace(subscription, last_sent_day=date(2026, 11, 1)), utc(2026, 11, 1, 6, 30))
        == []
    )


def test_europe_london_both_changes() -> None:
    # BST starts 2026-03-29 at 01:00 GMT (01:30 does not exist), ends 2026-10-25 at 02:00 BST.
    assert due_at(date(2026, 3, 29), time(1, 30), LONDON) == utc(2026, 3, 29, 1, 30)  # 02:30 BST
    assert due_at(date(2026, 3, 28), time(9, 0), LONDON) == utc(2026, 3, 28, 9, 0)  # GMT
    assert due_at(date(2026, 3, 30), time(9, 0), LONDON) == utc(2026, 3, 30, 8, 0)  # BST
    assert due_at(date(2026, 10, 25), time(1, 30), LONDON) == utc(2026, 10, 25, 0, 30)  # BST
    assert due_at(date(2026, 10, 26), time(9, 0), LONDON) == utc(2026, 10, 26, 9, 0)  # GMT
    for start, end in (
        (utc(2026, 3, 28, 12), utc(2026, 3, 31)),
        (utc(2026, 10, 24, 12), utc(2026, 10, 27)),
    ):
        sent, skipped = simulate(
            sub(time(1, 30), LONDON, since=start), start, end, timedelta(minutes=10)
        )
        days = [day for day, _ in sent]
        assert len(days) == len(set(days)) == 2
        assert skipped == []


def test_asia_seoul_has_no_dst() -> None:
    for day in (date(2026, 3, 8), date(2026, 3, 29), date(2026, 10, 25), date(2026, 11, 1)):
        assert due_at(day, time(9, 0), SEOUL) == datetime.combine(day, time(0, 0), tzinfo=UTC)
    assert due_at(date(2026, 6, 1), time(21, 30), SEOUL) == utc(2026, 6, 1, 12, 30)


def test_abbreviation_and_utc_zones() -> None:
    assert due_at(date(2026, 12, 1), time(9, 0), "KST") == utc(2026, 12, 1, 0, 0)
    assert due_at(date(2026, 12, 1), time(9, 0), "UTC") == utc(2026, 12, 1, 9, 0)


ZONES = [NEW_YORK, LONDON, SEOUL, "Australia/Lord_Howe", "America/Santiago", "UTC"]


@settings(max_examples=40, deadline=None)
@given(
    zone_name=st.sampled_from(ZONES),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 15, 30, 45]),
    start_day=st.dates(date(2026, 1, 1), date(2026, 12, 25)),
)
def test_property_one_digest_per_local_day(
    zone_name: str, hour: int, minute: int, start_day: date
) -> None:
    """Ticking every 15 minutes for four days: one digest per local day, on its day, never
    before its due time, within one tick after it."""
    step = timedelta(minutes=15)
    start = datetime.combine(start_day, time(0, 0), tzinfo=UTC)
    subscription = sub(time(hour, minute), zone_name, since=start)  # subscribed at start
    sent, skipped = simulate(subscription, start, start + timedelta(days=4), step)
    days = [day for day, _ in sent]
    assert skipped == []
    assert len(days) == len(set(days)) >= 3
    assert days == sorted(days)
    for day, at in sent:
        due = due_at(day, time(hour, minute), zone_name)
        assert local_day(due, zone_name) == day
        assert due <= at < due + step


# --- due_days ----------------------------------------------------------------------------

DAY = date(2026, 12, 1)
DUE = utc(2026, 12, 1, 0, 0)  # 09:00 KST


def test_not_due_before_the_time_and_due_at_it() -> None:
    subscription = sub(since=DUE - timedelta(days=1))
    assert due_days(subscription, DUE - timedelta(seconds=1)) == []
    [due] = due_days(subscription, DUE)
    assert (due.day, due.at, due.late, due.missed) == (DAY, DUE, timedelta(0), False)


def test_last_sent_day_suppresses_that_day() -> None:
    subscription = sub(since=DUE - timedelta(days=1), last_sent_day=DAY)
    assert due_days(subscription, DUE + timedelta(hours=1)) == []


def test_since_after_todays_time_means_not_due_today() -> None:
    # subscribed at 10:00 KST for 09:00: the first digest is tomorrow's
    subscription = sub(since=DUE + timedelta(hours=1))
    assert due_days(subscription, DUE + timedelta(hours=2)) == []
    assert next_due(subscription, DUE + timedelta(hours=2)) == DUE + timedelta(days=1)


def test_grace_boundary() -> None:
    subscription = sub(since=DUE - timedelta(days=1))
    [due] = due_days(subscription, DUE + GRACE)
    assert due.late == GRACE and not due.missed  # exactly six hours late: still sent
    [due] = due_days(subscription, DUE + GRACE + timedelta(minutes=1))
    assert due.missed


def test_down_over_midnight_yesterdays_digest_is_due() -> None:
    # 23:00 KST digest; the bot is back at 01:00 KST the next day, two hours late
    subscription = sub(time(23, 0), since=utc(2026, 11, 30))
    now = utc(2026, 12, 1, 16, 0)  # 01:00 KST on 2 December
    [due] = due_days(subscription, now)
    assert due.day == DAY and due.late == timedelta(hours=2) and not due.missed


def test_down_a_whole_day_skips_yesterday_sends_today() -> None:
    subscription = sub(since=utc(2026, 11, 29), last_sent_day=date(2026, 11, 30))
    now = utc(2026, 12, 2, 3, 0)  # 12:00 KST on 2 December; 1 Dec's digest is 27 h late
    dues = due_days(subscription, now)
    assert [(d.day, d.missed) for d in dues] == [(DAY, True), (date(2026, 12, 2), False)]
    assert next_due(subscription, now) == utc(2026, 12, 2, 0, 0)


# --- next_due ----------------------------------------------------------------------------


def test_next_due_is_today_before_the_time_tomorrow_after() -> None:
    subscription = sub(since=DUE - timedelta(days=1))
    assert next_due(subscription, DUE - timedelta(hours=3)) == DUE
    sent = replace(subscription, last_sent_day=DAY, since=DUE)
    assert next_due(sent, DUE + timedelta(minutes=1)) == DUE + timedelta(days=1)


def test_next_due_after_digest_now_earlier_the_same_day_is_tomorrows() -> None:
    # `digest now` at 07:00 KST counts as today's: 09:00 today is not next, tomorrow is
    early = DUE - timedelta(hours=2)
    subscription = sub(since=early, last_sent_day=DAY)
    assert next_due(subscription, early + timedelta(minutes=1)) == DUE + timedelta(days=1)
    assert due_days(subscription, DUE + timedelta(minutes=1)) == []


def test_next_due_while_overdue_is_the_overdue_time() -> None:
    subscription = sub(since=DUE - timedelta(days=1))
    assert next_due(subscription, DUE + timedelta(hours=1)) == DUE
    # once past the grace window it is tomorrow's
    assert next_due(subscription, DUE + timedelta(hours=7)) == DUE + timedelta(days=1)


def test_next_due_across_spring_forward() -> None:
    subscription = sub(time(2, 30), NEW_YORK, since=utc(2026, 3, 7, 8))
    assert next_due(subscription, utc(2026, 3, 7, 12)) == utc(2026, 3, 8, 7, 30)


@pytest.mark.parametrize("zone_name", ZONES)
def test_next_due_is_in_the_future_or_pending(zone_name: str) -> None:
    subscription = sub(time(2, 30), zone_name, since=utc(2026, 1, 1))
    now = utc(2026, 3, 8, 7, 0)
    found = next_due(subscription, now)
    pending = [d.at for d in due_days(subscription, now) if not d.missed]
    assert found in pending or (found > now and found - now <= timedelta(days=1, hours=1))
