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
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time

from PIL import Image, ImageDraw, ImageFont

from bot.dates import as_local
from bot.models import Meeting, MeetingStatus, Precision, Provenance, Source, When

WIDTH = 800
MAX_ITEMS = 10  # rows drawn; the rest are counted in the header
TITLE_MAX = 120  # characters of a meeting or source title considered before fitting

HEADER = 78
ROW = 62
TODAY_ROW = 44
LEGEND = 52
MARGIN = 28
AXIS_X = 60
TEXT_X = 88

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
    """`text` with characters the font cannot draw (e.g. Hangul) shown as '?', so the
    picture never shows empty boxes; the text answer has the exact words."""
    return "".join(c if _has_glyph(c, size, bold) else "?" for c in text)


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


def _marks(provenance: Provenance, what: str) -> list[str]:
    marks = []
    if provenance.public_record:
        marks.append(f"{what}: public record")
    if provenance.inferred:
        marks.append(f"{what}: inferred")
    return marks


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
        marks=tuple(
            _marks(meeting.date_provenance, "date") + _marks(meeting.status_provenance, "status")
        ),
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
        marks=tuple(_marks(published.provenance, "date")),
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
    x, r = AXIS_X, 9
    box = (x - r, y - r, x + r, y + r)
    if shape == "past":
        draw.ellipse(box, fill=PAST)
    elif shape == "upcoming":
        draw.ellipse(box, fill=BACKGROUND, outline=UPCOMING, width=4)
    elif shape == "cancelled":
        draw.ellipse(box, fill=BACKGROUND, outline=CANCELLED, width=3)
        draw.line((x - 5, y - 5, x + 5, y + 5), fill=CANCELLED, width=3)
        draw.line((x - 5, y + 5, x + 5, y - 5), fill=CANCELLED, width=3)
    else:
        draw.rectangle((x - 8, y - 8, x + 8, y + 8), fill=SOURCE)


def _gap_text(earlier: datetime, later: datetime) -> str:
    days = (later - earlier).days
    if days >= 730:
        return f"{days // 365} years after the item above"
    if days >= 61:
        return f"{days // 30} months after the item above"
    return ""


def _row(draw: ImageDraw.ImageDraw, y: int, row: Row) -> None:
    _dot(draw, y + 14, row.shape)
    faded = row.shape in ("past", "cancelled")
    date_font = _font(22, bold=True)
    date = drawable(row.date, 22, bold=True)
    colour = {"upcoming": UPCOMING, "cancelled": CANCELLED, "source": SOURCE}.get(row.shape, INK)
    draw.text((TEXT_X, y), date, font=date_font, fill=colour)
    after_date = TEXT_X + int(date_font.getlength(date)) + 14
    width = WIDTH - MARGIN - after_date
    draw.text((after_date, y), _fit(row.title, 22, width), font=_font(22), fill=INK)
    tag_font = _font(15, bold=True)
    tags = [drawable(mark, 15, bold=True) for mark in row.marks]
    widths = [int(tag_font.getlength(tag)) + 14 for tag in tags]
    # Provenance tags are never dropped: the detail text gives way to them.
    x = WIDTH - MARGIN - sum(widths) - 8 * len(widths)
    detail = _fit(row.detail, 17, max(40, x - TEXT_X - 12))
    draw.text((TEXT_X, y + 30), detail, font=_font(17), fill=MUTED if faded else INK)
    for tag, width in zip(tags, widths, strict=True):
        draw.rounded_rectangle((x, y + 30, x + width, y + 52), radius=6, outline=RECORD, width=2)
        draw.text((x + 7, y + 32), tag, font=tag_font, fill=RECORD)
        x += width + 8


def _today(draw: ImageDraw.ImageDraw, y: int, now: datetime, last: datetime | None) -> None:
    middle = y + TODAY_ROW // 2
    for x in range(TEXT_X, WIDTH - MARGIN, 16):
        draw.line((x, middle, x + 8, middle), fill=TODAY, width=2)
    gap = _gap_text(last, now) if last else ""
    label = f" Today, {_day(now)}" + (f" · {gap}" if gap else "") + " "
    font = _font(17, bold=True)
    width = font.getlength(label)
    draw.rectangle((TEXT_X, middle - 12, TEXT_X + width, middle + 12), fill=BACKGROUND)
    draw.text((TEXT_X, middle - 12), label, font=font, fill=TODAY)
    draw.ellipse((AXIS_X - 6, middle - 6, AXIS_X + 6, middle + 6), fill=TODAY)


def _legend(draw: ImageDraw.ImageDraw, y: int) -> None:
    font = _font(16)
    x = AXIS_X - 9
    for shape, text in (
        ("past", "past"),
        ("upcoming", "upcoming"),
        ("cancelled", "cancelled"),
        ("source", "source written"),
    ):
        if shape == "past":
            draw.ellipse((x, y + 4, x + 14, y + 18), fill=PAST)
        elif shape == "upcoming":
            draw.ellipse((x, y + 4, x + 14, y + 18), outline=UPCOMING, width=3)
        elif shape == "cancelled":
            draw.ellipse((x, y + 4, x + 14, y + 18), outline=CANCELLED, width=3)
        elif shape == "source":
            draw.rectangle((x + 1, y + 5, x + 13, y + 17), fill=SOURCE)
        draw.text((x + 20, y), text, font=font, fill=MUTED)
        x += 20 + int(font.getlength(text)) + 22
    note = "Dates as the sources give them, unless tagged public record or inferred."
    draw.text((AXIS_X - 9, y + 24), _fit(note, 16, WIDTH - AXIS_X), font=font, fill=FAINT)


def layout_height(rows: Sequence[Row], today: bool) -> int:
    return HEADER + ROW * len(rows) + (TODAY_ROW if today else 0) + LEGEND + MARGIN // 2


def timeline_png(
    meetings: Sequence[Meeting],
    sources: Sequence[Source],
    now: datetime,
    *,
    title: str = "Timeline",
) -> bytes:
    """The picture as PNG bytes; the same input always gives the same bytes."""
    rows, left_out = rows_for(meetings, sources, now)
    today_at = next((i for i, row in enumerate(rows) if row.at > now), len(rows))
    image = Image.new("RGB", (WIDTH, layout_height(rows, True)), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.text(
        (MARGIN, 18), _fit(title, 28, WIDTH - 2 * MARGIN, True), font=_font(28, True), fill=INK
    )
    shown = f"{len(rows)} item{'s' if len(rows) != 1 else ''}, oldest first"
    if left_out:
        shown += f"; {left_out} older not shown"
    draw.text((MARGIN, 52), shown, font=_font(16), fill=MUTED)
    top = HEADER
    bottom = top + ROW * len(rows) + TODAY_ROW
    draw.line((AXIS_X, top + 8, AXIS_X, bottom - 20), fill=FAINT, width=3)
    y = top
    for index, row in enumerate(rows):
        if index == today_at:
            _today(draw, y, now, rows[index - 1].at if index else None)
            y += TODAY_ROW
        _row(draw, y, row)
        y += ROW
    if today_at == len(rows):
        _today(draw, y, now, rows[-1].at if rows else None)
        y += TODAY_ROW
    _legend(draw, y + 4)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()
