"""A small PNG timeline of meetings and sources, for `timeline` and digests.

Pure: meetings, sources and `now` in, PNG bytes out; nothing here reads the store or the
clock. The picture carries the same marks as the text (a date that is public record or
inferred says so; a source shows the date it speaks for), shows past and upcoming
differently, and is bounded: at most MAX_ITEMS rows, the rest counted. Drawing takes
tens of milliseconds, so callers run it off the event loop (bot.pictures).
"""

from __future__ import annotations

import functools
import io
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from PIL import Image, ImageDraw, ImageFont

from bot.dates import as_local
from bot.models import Meeting, MeetingStatus, Precision, Provenance, Source, When

# Discord shows an embed's image at most 400 px wide (about 300 on a phone), so the
# picture is drawn with few, large words: about half size on screen, still legible.
WIDTH = 720
MAX_ITEMS = 6  # rows drawn; the rest are counted in the header
TITLE_MAX = 120  # characters of a meeting or source title considered before fitting

DATE_SIZE, TITLE_SIZE, DETAIL_SIZE, TAG_SIZE, SMALL_SIZE = 32, 30, 24, 21, 21
HEADER = 92
ROW = 128
TODAY_ROW = 52
LEGEND = 70
MARGIN = 24
AXIS_X = 44
TEXT_X = 76

BACKGROUND = (49, 51, 56)  # Discord's dark message background
INK = (242, 243, 245)
MUTED = (181, 186, 193)
FAINT = (128, 132, 142)
PAST = (148, 155, 164)
UPCOMING = (88, 101, 242)  # blurple
CANCELLED = (237, 66, 69)
SOURCE = (254, 231, 92)
RECORD = (87, 242, 135)  # public record / inferred tags
TODAY = (235, 69, 158)


@dataclass(frozen=True, slots=True)
class Row:
    """One item on the timeline."""

    at: datetime  # for ordering
    date: str
    title: str
    detail: str  # status, participants, or the source's role
    marks: tuple[str, ...]  # provenance tags: "date: public record", "as of Apr 2019"
    shape: str  # "past", "upcoming", "cancelled", "source"


# --- fonts -------------------------------------------------------------------------------


@functools.cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont:
    """Noto Sans (Latin, Greek, Cyrillic) from the fontpkg-noto-sans package; Pillow's
    built-in scalable font if that is missing."""
    try:
        import fontpkg_noto_sans  # optional: the picture still draws without it

        path = fontpkg_noto_sans.ROOT / "files" / "NotoSans[wdth,wght].ttf"
        font = ImageFont.truetype(str(path), size)
        font.set_variation_by_name("Bold" if bold else "Regular")
        return font
    except (ImportError, OSError):
        return ImageFont.load_default(size=size)  # type: ignore[return-value]


@functools.cache
def _missing_mask(size: int, bold: bool) -> bytes:
    return bytes(_font(size, bold).getmask("\ue000"))  # a private-use point: no glyph


@functools.cache
def _has_glyph(char: str, size: int, bold: bool) -> bool:
    return char.isspace() or bytes(_font(size, bold).getmask(char)) != _missing_mask(size, bold)


def drawable(text: str, size: int, bold: bool = False) -> str:
    """`text` without control and format characters (direction overrides, zero-width
    marks), and with characters the font cannot draw (e.g. Hangul) shown as '?', so the
    picture never shows empty boxes; the text answer has the exact words."""
    shown = (c for c in text if unicodedata.category(c)[0] != "C")
    return "".join(c if _has_glyph(c, size, bold) else "?" for c in shown)


def _fit(text: str, size: int, width: int, bold: bool = False) -> str:
    """`text` shortened with an ellipsis to fit `width` pixels."""
    text = drawable(" ".join(text.split())[:TITLE_MAX], size, bold)
    font = _font(size, bold)
    if font.getlength(text) <= width:
        return text
    while text and font.getlength(text + "…") > width:
        text = text[:-1]
    return text.rstrip() + "…"


# --- what the rows say -------------------------------------------------------------------


def _day(moment: datetime) -> str:
    return f"{moment.day} {moment:%b %Y}"


def when_text(when: When) -> str:
    """A meeting's date, short and no more exact than known."""
    start = as_local(when.start, when.tz)
    if when.precision is Precision.MINUTE:
        return f"{_day(start)}, {start:%H:%M} {when.tz}"
    if when.precision is Precision.DAY:
        if not when.end:
            return _day(start)
        end = as_local(when.end, when.tz)
        if (start.year, start.month) == (end.year, end.month):
            return f"{start.day}–{_day(end)}"
        return f"{_day(start)} – {_day(end)}"
    if when.precision is Precision.WEEK:
        return f"week of {_day(start)}"
    if when.precision is Precision.MONTH:
        return f"{start:%b %Y}"
    return f"{start.year}"


def _marks(*parts: tuple[Provenance, str]) -> tuple[str, ...]:
    """Tags for what is public record or inferred, one per label: "date, status: public
    record" (short enough to sit beside a date)."""
    labelled: dict[str, list[str]] = {"public record": [], "inferred": []}
    for provenance, what in parts:
        if provenance.public_record:
            labelled["public record"].append(what)
        if provenance.inferred:
            labelled["inferred"].append(what)
    return tuple(f"{', '.join(whats)}: {label}" for label, whats in labelled.items() if whats)


def _status(meeting: Meeting, past: bool) -> str:
    if meeting.status is MeetingStatus.SCHEDULED and past:
        return "was scheduled; no outcome recorded"
    return meeting.status.value


def meeting_row(meeting: Meeting, now: datetime) -> Row:
    past = meeting.when.finishes() <= now
    shape = "cancelled" if meeting.status is MeetingStatus.CANCELLED else "past"
    if shape == "past" and not past:
        shape = "upcoming"
    people = ", ".join(p.name for p in meeting.participants)
    place = f" · {meeting.place.name}" if meeting.place else ""
    tense = "past" if past else "upcoming"
    return Row(
        at=meeting.when.start,
        date=when_text(meeting.when),
        title=meeting.title,
        detail=f"{_status(meeting, past)} ({tense}) · {people}{place}".rstrip(" ·"),
        marks=_marks((meeting.date_provenance, "date"), (meeting.status_provenance, "status")),
        shape=shape,
    )


def published_text(source: Source) -> str:
    published = source.published
    if published is None:
        return "date unknown"
    value = published.value
    if published.precision is Precision.DAY:
        return f"{value.day} {value:%b %Y}"
    if published.precision is Precision.WEEK:
        return f"week of {value.day} {value:%b %Y}"
    if published.precision is Precision.MONTH:
        return f"{value:%b %Y}"
    return f"{value.year}"


def source_row(source: Source) -> Row | None:
    published = source.published
    if published is None:
        return None
    at = datetime.combine(published.value, time(), tzinfo=UTC)
    return Row(
        at=at,
        date=published_text(source),
        title=f"S{source.id}: {source.title}",
        detail=f"source written · everything from S{source.id} is as of {published.value:%B %Y}",
        marks=_marks((published.provenance, "date")),
        shape="source",
    )


def rows_for(
    meetings: Sequence[Meeting], sources: Sequence[Source], now: datetime
) -> tuple[list[Row], int]:
    """The rows to draw, oldest first, and how many were left out (the oldest go first,
    as in the text's "the latest N meetings")."""
    rows = [meeting_row(m, now) for m in meetings]
    rows += [row for s in sources if (row := source_row(s)) is not None]
    rows.sort(key=lambda row: (row.at, row.shape != "source", row.title))
    left_out = max(0, len(rows) - MAX_ITEMS)
    return rows[left_out:], left_out


# --- drawing -----------------------------------------------------------------------------


def _dot(draw: ImageDraw.ImageDraw, y: int, shape: str) -> None:
    x, r = AXIS_X, 13
    box = (x - r, y - r, x + r, y + r)
    if shape == "past":
        draw.ellipse(box, fill=PAST)
    elif shape == "upcoming":
        draw.ellipse(box, fill=BACKGROUND, outline=UPCOMING, width=5)
    elif shape == "cancelled":
        draw.ellipse(box, fill=BACKGROUND, outline=CANCELLED, width=4)
        draw.line((x - 7, y - 7, x + 7, y + 7), fill=CANCELLED, width=4)
        draw.line((x - 7, y + 7, x + 7, y - 7), fill=CANCELLED, width=4)
    else:
        draw.rectangle((x - 11, y - 11, x + 11, y + 11), fill=SOURCE)


def _gap_text(earlier: datetime, later: datetime) -> str:
    days = (later - earlier).days
    if days >= 730:
        return f"{days // 365} years on"
    if days >= 61:
        return f"{days // 30} months on"
    return ""


def _tags(draw: ImageDraw.ImageDraw, y: int, marks: Sequence[str]) -> int:
    """Provenance tags, right-aligned on the date line; returns where they begin. They
    are never dropped: the date line is short, and a title goes on its own line."""
    font = _font(TAG_SIZE, bold=True)
    tags = [drawable(mark, TAG_SIZE, bold=True) for mark in marks]
    widths = [int(font.getlength(tag)) + 18 for tag in tags]
    x = start = WIDTH - MARGIN - sum(widths) - 8 * max(0, len(widths) - 1)
    for tag, width in zip(tags, widths, strict=True):
        draw.rounded_rectangle((x, y + 4, x + width, y + 36), radius=8, outline=RECORD, width=2)
        draw.text((x + 9, y + 7), tag, font=font, fill=RECORD)
        x += width + 8
    return start


def _row(draw: ImageDraw.ImageDraw, y: int, row: Row) -> None:
    """Three lines: the date (and its tags), the title, then status and who."""
    _dot(draw, y + 20, row.shape)
    faded = row.shape in ("past", "cancelled")
    colour = {"upcoming": UPCOMING, "cancelled": CANCELLED, "source": SOURCE}.get(row.shape, INK)
    tags_at = _tags(draw, y, row.marks) if row.marks else WIDTH - MARGIN
    date = _fit(row.date, DATE_SIZE, max(60, tags_at - TEXT_X - 12), bold=True)
    draw.text((TEXT_X, y), date, font=_font(DATE_SIZE, bold=True), fill=colour)
    title = _fit(row.title, TITLE_SIZE, WIDTH - MARGIN - TEXT_X)
    draw.text((TEXT_X, y + 42), title, font=_font(TITLE_SIZE), fill=MUTED if faded else INK)
    detail = _fit(row.detail, DETAIL_SIZE, WIDTH - MARGIN - TEXT_X)
    draw.text((TEXT_X, y + 82), detail, font=_font(DETAIL_SIZE), fill=MUTED)


def today_label(now: datetime, tz: str, last: datetime | None) -> str:
    """ "Today, 28 Nov 2026 (Asia/Seoul) · 7 years on": the day in `tz`, and how long
    after the item above it."""
    gap = _gap_text(last, now) if last else ""
    return f"Today, {_day(as_local(now, tz))} ({tz})" + (f" · {gap}" if gap else "")


def _today(
    draw: ImageDraw.ImageDraw, y: int, now: datetime, tz: str, last: datetime | None
) -> None:
    middle = y + TODAY_ROW // 2 - 6
    for x in range(TEXT_X, WIDTH - MARGIN, 18):
        draw.line((x, middle, x + 9, middle), fill=TODAY, width=3)
    label = f" {today_label(now, tz, last)} "
    font = _font(SMALL_SIZE + 3, bold=True)
    width = font.getlength(label)
    draw.rectangle((TEXT_X, middle - 16, TEXT_X + width, middle + 16), fill=BACKGROUND)
    draw.text((TEXT_X, middle - 16), label, font=font, fill=TODAY)
    draw.ellipse((AXIS_X - 8, middle - 8, AXIS_X + 8, middle + 8), fill=TODAY)


def _legend(draw: ImageDraw.ImageDraw, y: int) -> None:
    font = _font(SMALL_SIZE)
    x = AXIS_X - 12
    for shape, text in (
        ("past", "past"),
        ("upcoming", "upcoming"),
        ("cancelled", "cancelled"),
        ("source", "source written"),
    ):
        box = (x, y + 6, x + 18, y + 24)
        if shape == "past":
            draw.ellipse(box, fill=PAST)
        elif shape == "upcoming":
            draw.ellipse(box, outline=UPCOMING, width=4)
        elif shape == "cancelled":
            draw.ellipse(box, outline=CANCELLED, width=4)
        else:
            draw.rectangle(box, fill=SOURCE)
        draw.text((x + 26, y), text, font=font, fill=MUTED)
        x += 26 + int(font.getlength(text)) + 26
    note = "Dates as the sources give them, unless tagged."
    draw.text((AXIS_X - 12, y + 34), _fit(note, SMALL_SIZE, WIDTH - AXIS_X), font=font, fill=FAINT)


def layout_height(rows: Sequence[Row], today: bool) -> int:
    return HEADER + ROW * len(rows) + (TODAY_ROW if today else 0) + LEGEND + MARGIN // 2


def timeline_png(
    meetings: Sequence[Meeting],
    sources: Sequence[Source],
    now: datetime,
    *,
    title: str = "Timeline",
    tz: str = "UTC",
) -> bytes:
    """The picture as PNG bytes; the same input always gives the same bytes. `tz`: the
    zone whose day "Today" names (a digest's; UTC where the reader's zone is unknown)."""
    rows, left_out = rows_for(meetings, sources, now)
    today_at = next((i for i, row in enumerate(rows) if row.at > now), len(rows))
    image = Image.new("RGB", (WIDTH, layout_height(rows, True)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    heading = _fit(title, 34, WIDTH - 2 * MARGIN, True)
    draw.text((MARGIN, 12), heading, font=_font(34, True), fill=INK)
    shown = f"{len(rows)} item{'s' if len(rows) != 1 else ''}, oldest first"
    if left_out:
        shown += f"; {left_out} older not shown"
    draw.text((MARGIN, 56), shown, font=_font(SMALL_SIZE), fill=MUTED)
    top = HEADER
    bottom = top + ROW * len(rows) + TODAY_ROW
    draw.line((AXIS_X, top + 20, AXIS_X, bottom - 32), fill=FAINT, width=4)
    y = top
    for index, row in enumerate(rows):
        if index == today_at:
            _today(draw, y, now, tz, rows[index - 1].at if index else None)
            y += TODAY_ROW
        _row(draw, y, row)
        y += ROW
    if today_at == len(rows):
        _today(draw, y, now, tz, rows[-1].at if rows else None)
        y += TODAY_ROW
    _legend(draw, y + 4)
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=6)
    return out.getvalue()
