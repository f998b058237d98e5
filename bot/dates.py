"""Reading dates and times as people type them, with python-dateutil.

Everything returned is explicit about its zone and precision; nothing here reads the
clock: the caller passes `now`.
"""

from __future__ import annotations

import functools
import re
import zoneinfo
from datetime import UTC, date, datetime, time, timedelta, tzinfo

from dateutil import parser as date_parser
from dateutil import tz
from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta
from dateutil.zoneinfo import get_zonefile_instance

from bot.errors import BadInput
from bot.models import Precision, When

_WEEKDAYS = {
    "monday": MO,
    "tuesday": TU,
    "wednesday": WE,
    "thursday": TH,
    "friday": FR,
    "saturday": SA,
    "sunday": SU,
}

# Abbreviations people actually type. Ambiguous ones (CST: China or US Central; IST:
# India, Ireland or Israel) are refused rather than guessed.
ZONE_ABBREVIATIONS = {
    "UTC": "UTC",
    "GMT": "UTC",
    "Z": "UTC",
    "KST": "Asia/Seoul",
    "JST": "Asia/Tokyo",
    "MSK": "Europe/Moscow",
    "VLAT": "Asia/Vladivostok",
    "ICT": "Asia/Ho_Chi_Minh",
    "HKT": "Asia/Hong_Kong",
    "CET": "Europe/Paris",
    "CEST": "Europe/Paris",
    "BST": "Europe/London",
    "EST": "America/New_York",
    "EDT": "America/New_York",
    "PST": "America/Los_Angeles",
    "PDT": "America/Los_Angeles",
}
_AMBIGUOUS_ZONES = {"CST", "IST", "AST"}

_TIME_OF_DAY = re.compile(r"\b\d{1,2}(:\d{2})\b|\b\d{1,2}\s*(am|pm)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b\d{4}\b")
_NUMERIC_DMY = re.compile(r"\b(\d{1,2})[/.](\d{1,2})[/.](\d{2,4})\b")
_RELATIVE = re.compile(r"^(this|next|last)\s+([a-z]+)\b\s*(.*)$", re.IGNORECASE)
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+\-\u2212])(\d{1,2})(?::?(\d{2}))?$", re.IGNORECASE)
WEST_MOST, EAST_MOST = 12 * 3600, 14 * 3600  # UTC-12:00 (Baker Island) to UTC+14:00 (Line Is.)
_OFFSET_RANGE = "UTC offsets run from UTC-12:00 to UTC+14:00; try `UTC+9` or `-05:00`."
FIRST_YEAR, LAST_YEAR = 1900, 2100  # meeting dates outside these are typing mistakes


def zone(name: str) -> tuple[str, tzinfo]:
    """An IANA zone name, a common abbreviation or a UTC offset as people type it
    (`GMT+9`, `UTC-12`, `+05:45`), as (canonical name, tzinfo)."""
    cleaned = name.strip()
    upper = cleaned.upper()
    if upper in _AMBIGUOUS_ZONES:
        raise BadInput(f"`{cleaned}` is ambiguous; use an IANA zone such as `Asia/Seoul`.")
    seconds = _typed_offset(cleaned)
    if seconds is not None:
        return offset_zone(seconds)
    canonical = ZONE_ABBREVIATIONS.get(upper, cleaned)
    # Only names from the zone database: gettz would also open any file path it is given.
    info = tz.gettz(canonical) if canonical in known_zones() else None
    if info is None:
        raise BadInput(
            f"Unknown time zone `{cleaned[:40]}`; use an IANA name such as "
            "`Asia/Seoul` or `Europe/Moscow`, KST, JST, MSK, UTC, or an offset like `UTC+9`."
        )
    return canonical, info


def _typed_offset(text: str) -> int | None:
    """Seconds east of UTC for `GMT+9`, `UTC-12`, `+09:00`, `+0545`; None if `text` is
    not an offset. As people type it, GMT+9 is nine hours ahead of UTC: the reverse of
    POSIX and of IANA's `Etc/GMT+9`, which are left to `zone` as names."""
    match = _OFFSET.match(text)
    if match is None:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if minutes >= 60:
        raise BadInput(_OFFSET_RANGE)
    sign = -1 if match.group(1) in "-\u2212" else 1
    return sign * (hours * 3600 + minutes * 60)


def offset_zone(seconds: int) -> tuple[str, tzinfo]:
    """A fixed UTC offset as a zone named `UTC+09:00`, within the offsets in use."""
    if not -WEST_MOST <= seconds <= EAST_MOST:
        raise BadInput(_OFFSET_RANGE)
    if seconds == 0:
        return "UTC", tz.UTC
    hours, minutes = divmod(abs(seconds) // 60, 60)
    name = f"UTC{'+' if seconds > 0 else '-'}{hours:02d}:{minutes:02d}"
    return name, tz.tzoffset(name, seconds)


@functools.cache
def known_zones() -> frozenset[str]:
    """IANA zone names: the system's database and the copy bundled with dateutil."""
    bundled = set(get_zonefile_instance().zones)
    return frozenset(bundled | zoneinfo.available_timezones() | {"UTC"})


def resolve_relative_day(phrase: str, anchor: date) -> tuple[date, str]:
    """'this Thursday' / 'next Thursday' / 'last Thursday' against `anchor`.

    'this X' is the first X on or after the anchor, as a writer means it ("set to meet
    this Thursday"); 'next X' the first X after the anchor; 'last X' the one before.
    relativedelta does the calendar arithmetic.
    """
    match = _RELATIVE.match(phrase.strip())
    if not match or match.group(2).lower() not in _WEEKDAYS:
        raise BadInput(f"`{phrase}` is not a relative weekday such as `this Thursday`.")
    which, day_name = match.group(1).lower(), match.group(2).lower()
    weekday = _WEEKDAYS[day_name]
    if which == "this":
        step = relativedelta(weekday=weekday(+1))
    elif which == "next":
        step = relativedelta(days=+1, weekday=weekday(+1))
    else:
        step = relativedelta(days=-1, weekday=weekday(-1))
    resolved = anchor + step
    how = f"'{phrase.strip()}' counted from {anchor.isoformat()}: {resolved}"
    return resolved, how


def _is_zone_word(word: str) -> bool:
    upper = word.upper()
    return (
        upper in ZONE_ABBREVIATIONS
        or upper in _AMBIGUOUS_ZONES
        or _OFFSET.match(word) is not None
        or ("/" in word and any(char.isalpha() for char in word))  # IANA-like, not 3/12
    )


def _split_zone(text: str, default_tz: str) -> tuple[str, str, tzinfo, bool]:
    """Take the zone out of `text`, wherever it was typed ("Dec 3 10:00 KST 2026");
    fall back to `default_tz`. The flag says whether a zone was typed."""
    words = text.split()
    found = [word for word in words if _is_zone_word(word)] if len(words) > 1 else []
    if len(found) > 1:
        shown = ", ".join(f"`{word[:20]}`" for word in found[:3])
        raise BadInput(f"{shown}: that is more than one time zone; give one.")
    if found:
        name, info = zone(found[0])
        return " ".join(word for word in words if word != found[0]), name, info, True
    name, info = zone(default_tz)
    return text, name, info, False


def _zone_in_text(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's hook for a zone it finds inside a word ("10:00+09:00"): offsets
    within range are used, names must be zones we know; nothing is dropped."""
    if offset is not None and (name is None or name.upper() in ("UTC", "GMT", "Z")):
        return offset_zone(offset)[1]
    return zone(name)[1] if name else None


def _no_zone(name: str | None, offset: int | None) -> None:
    if name is not None or offset is not None:
        raise BadInput(
            "Give the time zone as its own word after the time, such as `10:00 UTC+9` "
            "or `10:00 Asia/Seoul`."
        )


def _refuse_ambiguous_numeric(text: str) -> None:
    match = _NUMERIC_DMY.search(text)
    if match:
        first, second = int(match.group(1)), int(match.group(2))
        if first <= 12 and second <= 12 and first != second:
            raise BadInput(
                f"`{match.group(0)}` could be day/month or month/day; "
                "write it as `2026-12-03` or `Dec 3 2026`."
            )


def _local_now(now: datetime, info: tzinfo) -> datetime:
    return now.astimezone(info)


def _parse_date_part(text: str, local_now: datetime) -> tuple[datetime, str]:
    """The date (and maybe time) in `text`, in the local zone's wall clock."""
    default = local_now.replace(hour=0, minute=0, second=0, microsecond=0, tzinfo=None)
    relative = _RELATIVE.match(text)
    lowered = text.lower()
    if relative and relative.group(2).lower() in _WEEKDAYS:
        day, how = resolve_relative_day(f"{relative.group(1)} {relative.group(2)}", default.date())
        rest = relative.group(3)
        base = datetime.combine(day, time())
        return (_parse_clock_onto(rest, base) if rest else base), how
    for word, offset in (("today", 0), ("tomorrow", 1)):
        if lowered.startswith(word):
            base = default + timedelta(days=offset)
            rest = text[len(word) :].strip()
            how = f"'{word}' from {default.date().isoformat()}"
            return (_parse_clock_onto(rest, base) if rest else base), how
    _refuse_ambiguous_numeric(text)
    parsed = _parse_full_date(text, default)
    how = f"'{text}' read as a calendar date"
    if not _YEAR.search(text) and parsed.replace(tzinfo=None) < default:
        parsed += relativedelta(years=1)
        how += ", next occurrence (no year given)"
    return parsed, how


def _parse_full_date(text: str, default: datetime) -> datetime:
    """dateutil fills whatever is missing from `default`; parse against two defaults
    and refuse when the day or month came from them rather than from the text."""
    # A default that differs from `default` in both month and day.
    other = datetime(2001, 3 if default.month == 2 else 2, 4 if default.day == 3 else 3)
    try:
        parsed = date_parser.parse(text, default=default, tzinfos=_zone_in_text)
        check = date_parser.parse(text, default=other, tzinfos=_zone_in_text)
    except (ValueError, OverflowError):
        raise BadInput(
            f"Could not read `{text[:60]}` as a date; try `2026-12-03 10:00 Asia/Seoul` "
            "or `Dec 3 10am KST`."
        ) from None
    if (parsed.month, parsed.day) != (check.month, check.day):
        raise BadInput(f"`{text[:60]}` is not a full date: give the day and the month.")
    if not FIRST_YEAR <= parsed.year <= LAST_YEAR:
        raise BadInput(
            f"`{text[:60]}` is in the year {parsed.year}; meeting dates must fall "
            f"between {FIRST_YEAR} and {LAST_YEAR}."
        )
    return parsed


def _parse_clock_onto(text: str, base: datetime) -> datetime:
    clock = parse_clock(text)
    return base.replace(hour=clock.hour, minute=clock.minute)


def parse_clock(text: str) -> time:
    """A time of day as people type it: '09:00', '9am', '21:30', '9:15 pm'."""
    cleaned = text.strip()
    if not _TIME_OF_DAY.search(cleaned) or len(cleaned) > 12:
        raise BadInput(f"Could not read `{cleaned[:40]}` as a time of day; try `09:00` or `9am`.")
    try:
        parsed = date_parser.parse(cleaned, default=datetime(2000, 1, 1), tzinfos=_no_zone)
    except (ValueError, OverflowError):
        raise BadInput(
            f"Could not read `{cleaned[:40]}` as a time of day; try `09:00` or `9am`."
        ) from None
    if parsed.date() != date(2000, 1, 1):
        raise BadInput(f"`{cleaned[:40]}` looks like a date, not a time of day.")
    return parsed.time()


def localise(wall: datetime, info: tzinfo, zone_name: str) -> datetime:
    """Attach a zone to a wall-clock time, refusing times that do not exist or repeat."""
    aware = wall.replace(tzinfo=info)
    if not tz.datetime_exists(aware):
        raise BadInput(
            f"{wall:%Y-%m-%d %H:%M} does not exist in {zone_name} "
            "(the clocks skip it for daylight saving); pick another time."
        )
    if tz.datetime_ambiguous(aware):
        raise BadInput(
            f"{wall:%Y-%m-%d %H:%M} happens twice in {zone_name} "
            "(the clocks go back); give the time in UTC instead."
        )
    return aware


def first_instant(day: datetime, info: tzinfo) -> datetime:
    """The start of a day in a zone; where midnight is skipped by a DST change, the first
    moment that exists (a bare date must never be refused for a time nobody typed)."""
    return tz.resolve_imaginary(day.replace(hour=0, minute=0, tzinfo=info))


def parse_when(text: str, now: datetime, default_tz: str = "UTC") -> When:
    """A meeting time as typed: '2026-12-03 10:00 Asia/Seoul', 'Dec 3 10am KST',
    'next Thursday 15:00 Europe/Moscow', or a bare date (day precision)."""
    if not text.strip():
        raise BadInput("Give a date, such as `2026-12-03 10:00 Asia/Seoul`.")
    body, zone_name, info, typed = _split_zone(text.strip()[:80], default_tz)
    wall, how = _parse_date_part(body, _local_now(now, info))
    if wall.tzinfo is not None:  # an offset in a word ("T10:00+09:00") wins over the zone
        offset = wall.utcoffset()
        if not typed and offset is not None:  # and names it, if no zone was typed
            zone_name, info = offset_zone(int(offset.total_seconds()))
        wall = wall.astimezone(info).replace(tzinfo=None)
    has_time = bool(_TIME_OF_DAY.search(body))
    precision = Precision.MINUTE if has_time else Precision.DAY
    aware = localise(wall, info, zone_name) if has_time else first_instant(wall, info)
    resolution = f"{how}; zone {zone_name}; precision {precision.value}"
    return When(aware.astimezone(UTC), zone_name, precision, None, resolution)


def as_local(moment: datetime, zone_name: str) -> datetime:
    _, info = zone(zone_name)
    return moment.astimezone(info)
