"""When a daily digest is due, on the server's wall clock, across daylight-saving changes.

Pure functions of a subscription and a "now"; nothing here sleeps or reads the clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from dateutil import tz

from bot.dates import zone
from bot.models import DigestSubscription

GRACE = timedelta(hours=6)


def due_at(day: date, local_time: time, tz_name: str) -> datetime:
    """The UTC instant of `local_time` on `day` in the zone.

    A time the clocks skip (02:30 on a spring-forward night) moves forward by the gap, so
    the digest still goes out that day; a time that happens twice (autumn) is taken at
    its first occurrence, so it goes out once.
    """
    _, info = zone(tz_name)
    wall = datetime.combine(day, local_time, tzinfo=info)  # fold=0: the first occurrence
    return tz.resolve_imaginary(wall).astimezone(UTC)


def local_day(moment: datetime, tz_name: str) -> date:
    return moment.astimezone(zone(tz_name)[1]).date()


@dataclass(frozen=True, slots=True)
class Due:
    day: date
    at: datetime
    late: timedelta

    @property
    def missed(self) -> bool:
        """Past the grace window: skip the day rather than post a stale digest."""
        return self.late > GRACE


def due_days(sub: DigestSubscription, now: datetime) -> list[Due]:
    """Days whose digest is due by `now` and not yet sent (yesterday's, if the bot was
    down over midnight, and today's), oldest first."""
    today = local_day(now, sub.tz)
    found = []
    for day in (today - timedelta(days=1), today):
        at = due_at(day, sub.local_time, sub.tz)
        already = sub.last_sent_day is not None and day <= sub.last_sent_day
        if at <= now and at > (sub.active_from or sub.since) and not already:
            found.append(Due(day, at, now - at))
    return found


def next_due(sub: DigestSubscription, now: datetime) -> datetime:
    """The next time this subscription wants attention: a delivery due and not yet past
    the grace window, or else its first due time after now that is not already sent.

    Total for any stored state: the search starts at the later of today and the day
    after the last one sent, and a day's due time is after now by the next day at most.
    """
    pending = [due.at for due in due_days(sub, now) if not due.missed]
    if pending:
        return min(pending)
    after = max(now, sub.active_from or now)  # nothing is due before the setting
    day = local_day(after, sub.tz)
    if sub.last_sent_day is not None:
        day = max(day, sub.last_sent_day + timedelta(days=1))
    while (at := due_at(day, sub.local_time, sub.tz)) <= after:
        day += timedelta(days=1)
    return at


def rezoned_last_day(sub: DigestSubscription, tz_name: str) -> date | None:
    """The last day sent, restated for a change of zone.

    A digest is for one local day, and a day in one zone is not the same day in another
    (09:00 on the 28th in Kiritimati is 19:00 on the 26th at UTC-12). After a change of
    zone the last digest counts for the local date, in the new zone, on which it went
    out: that day has had its digest, the next one has not. The same zone keeps its
    days as they were (yesterday's digest sent after midnight still leaves today's due).
    """
    if sub.tz == tz_name or sub.last_sent_at is None:
        return sub.last_sent_day
    return local_day(sub.last_sent_at, tz_name)
