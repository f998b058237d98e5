"""The PNG timeline (bot.render.picture): a real PNG of the promised size, one row per
item up to the bound, the same bytes for the same input, and the text's marks."""

from __future__ import annotations

import io
import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from PIL import Image

from bot import briefing, pictures
from bot.pictures import timeline_picture
from bot.render import picture
from bot.store import Store
from tests.conftest import FIXED_NOW, asking


def decoded(png: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    image.load()
    return image


async def test_the_timeline_picture_is_a_phone_sized_png(store: Store) -> None:
    meetings = await store.meetings(None)
    sources = await store.sources(None)
    png = picture.timeline_png(meetings, sources, FIXED_NOW)
    image = decoded(png)
    rows, left_out = picture.rows_for(meetings, sources, FIXED_NOW)
    assert image.size == (picture.WIDTH, picture.layout_height(rows, True))
    assert 300 <= image.size[1] <= 700
    assert len(rows) == len(meetings) + 1 and left_out == 0  # two meetings and one source
    assert len(png) < 150_000


async def test_same_input_same_bytes(store: Store) -> None:
    meetings = await store.meetings(None)
    sources = await store.sources(None)
    first = picture.timeline_png(meetings, sources, FIXED_NOW)
    assert picture.timeline_png(meetings, sources, FIXED_NOW) == first
    later = picture.timeline_png(meetings, sources, FIXED_NOW + timedelta(days=1))
    assert later != first  # today's line moved


async def test_rows_carry_the_texts_marks_and_tenses(store: Store) -> None:
    meetings = await store.meetings(None)
    sources = await store.sources(None)
    rows, _ = picture.rows_for(meetings, sources, FIXED_NOW)
    by_title = {row.title: row for row in rows}
    hanoi = by_title["Trump–Kim summit in Hanoi"]
    assert hanoi.date == "27–28 Feb 2019" and hanoi.shape == "past"
    assert "date: public record" in hanoi.marks
    source = next(row for row in rows if row.shape == "source")
    assert source.date == "week of 22 Apr 2019"
    assert "as of April 2019" in source.detail and "date: inferred" in source.marks
    # Before the summit, the same meeting is upcoming.
    before = meetings[0].when.start - timedelta(days=30)
    assert picture.meeting_row(meetings[0], before).shape == "upcoming"


async def test_at_most_max_items_rows_are_drawn_and_the_rest_counted(store: Store) -> None:
    base = (await store.meetings(None))[0]
    many = [
        replace(base, id=100 + n, when=replace(base.when, start=base.when.start + timedelta(n)))
        for n in range(picture.MAX_ITEMS + 7)
    ]
    rows, left_out = picture.rows_for(many, [], FIXED_NOW)
    assert len(rows) == picture.MAX_ITEMS and left_out == 7
    assert rows[-1].at == many[-1].when.start  # the latest are kept, as in the text
    image = decoded(picture.timeline_png(many, [], FIXED_NOW))
    assert image.size[1] == picture.layout_height(rows, True)


def test_characters_the_font_lacks_show_as_question_marks() -> None:
    assert picture.drawable("Kim–Putin Ж é", 22) == "Kim–Putin Ж é"
    assert picture.drawable("김정은", 22) == "???"


async def test_an_answer_citing_no_meeting_has_no_picture(store: Store) -> None:
    answer = await briefing.sanctions(store, asking(None))
    assert await timeline_picture(store, answer, None, FIXED_NOW, title="x") is None
    timeline = await briefing.timeline(store, asking(None, FIXED_NOW))
    png = await timeline_picture(store, timeline, None, FIXED_NOW, title="Timeline")
    assert png is not None and decoded(png).size[0] == picture.WIDTH


async def test_drawn_off_the_event_loop_once_per_day_and_content(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    threads = []
    real = pictures.timeline_png

    def counting(*args: object, **kwargs: object) -> bytes:
        threads.append(threading.current_thread())
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pictures, "timeline_png", counting)
    monkeypatch.setattr(pictures, "_drawn", pictures.OrderedDict())
    answer = await briefing.timeline(store, asking(None, FIXED_NOW))
    first = await timeline_picture(store, answer, None, FIXED_NOW, title="Timeline")
    again = await timeline_picture(store, answer, None, FIXED_NOW, title="Timeline")
    assert first == again and len(threads) == 1
    assert threads[0] is not threading.main_thread()
    await timeline_picture(store, answer, None, FIXED_NOW + timedelta(days=1), title="Timeline")
    assert len(threads) == 2  # a new day draws anew


async def test_hostile_titles_draw_within_the_picture(store: Store) -> None:
    base = (await store.meetings(None))[0]
    titles = [
        "\u202eevil\u202c" + "Z\u0337\u0322\u031b" * 60,
        "\x00\x1b[31m" + "W" * 500,
        "김정은 " * 40,
        "",
    ]
    many = [replace(base, id=200 + n, title=t) for n, t in enumerate(titles)]
    image = decoded(picture.timeline_png(many, [], FIXED_NOW))
    assert image.size[0] == picture.WIDTH
    width = picture.WIDTH - picture.MARGIN - picture.TEXT_X
    font = picture._font(picture.TITLE_SIZE)
    for title in titles:
        fitted = picture._fit(title, picture.TITLE_SIZE, width)
        assert font.getlength(fitted) <= width  # never drawn past the edge
        assert "\x00" not in fitted and "\u202e" not in fitted  # never drawn


def test_today_is_the_day_in_the_digests_zone() -> None:
    evening = datetime(2026, 11, 27, 20, 0, tzinfo=UTC)  # 05:00 on the 28th in Seoul
    assert picture.today_label(evening, "UTC", None) == "Today, 27 Nov 2026 (UTC)"
    assert picture.today_label(evening, "Asia/Seoul", None) == "Today, 28 Nov 2026 (Asia/Seoul)"
    hanoi = datetime(2019, 2, 27, tzinfo=UTC)
    assert picture.today_label(evening, "UTC", hanoi).endswith("· 7 years on")


async def test_at_most_cache_size_pictures_are_kept(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A picture per day and title is kept: many titles or days never pile up."""
    monkeypatch.setattr(pictures, "timeline_png", lambda *args, **kwargs: b"png")
    monkeypatch.setattr(pictures, "_drawn", pictures.OrderedDict())
    answer = await briefing.timeline(store, asking(None, FIXED_NOW))
    for day in range(pictures.CACHE_SIZE + 10):
        when = FIXED_NOW + timedelta(days=day)
        await timeline_picture(store, answer, None, when, title=f"Timeline {day}")
    assert len(pictures._drawn) == pictures.CACHE_SIZE
