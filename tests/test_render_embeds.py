"""The rendered embeds: snapshots of the answers the README shows, checked in as text
(regenerate deliberately with UPDATE_SNAPSHOTS=1 and review the diff), and a property:
every page stays within Discord's limits and no citation marker is lost."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import briefing
from bot.answers import Answer, Line, Section
from bot.models import Kind
from bot.render.embeds import render_pages
from bot.store import Store
from cogs.meta import help_embed
from tests.conftest import FIXED_NOW, asking

SNAPSHOTS = Path(__file__).parent / "snapshots"


def embed_text(embed: discord.Embed) -> str:
    """An embed as a reader sees it, one part a line: title, description, each field's
    name and value, footer."""
    data = embed.to_dict()
    parts = [f"# {data.get('title', '')}", data.get("description", "") or ""]
    for field in data.get("fields", []):
        parts += [f"## {field['name']}", field["value"]]
    parts.append(f"-- {(data.get('footer') or {}).get('text', '')}")
    return "\n".join(part for part in parts if part)


def _check(name: str, embeds: list[discord.Embed]) -> None:
    text = "\n\n=== next page ===\n\n".join(embed_text(embed) for embed in embeds) + "\n"
    path = SNAPSHOTS / f"{name}.txt"
    if os.environ.get("UPDATE_SNAPSHOTS"):
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"no snapshot {path}: run with UPDATE_SNAPSHOTS=1 and review it"
    assert text == path.read_text(encoding="utf-8"), f"{name} changed: see {path}"


def _pages(answer: Answer) -> list[discord.Embed]:
    return [page.embed for page in render_pages(briefing.anchor(answer, FIXED_NOW))]


async def test_who_kim(store: Store) -> None:
    _check("who-kim", _pages(await briefing.who(store, asking(None), "kim")))


async def test_sanctions(store: Store) -> None:
    _check("sanctions", _pages(await briefing.sanctions(store, asking(None))))


async def test_timeline(store: Store) -> None:
    _check("timeline", _pages(await briefing.timeline(store, asking(None))))


async def test_next_meeting(store: Store) -> None:
    _check("next-meeting", _pages(await briefing.next_meeting(store, asking(None))))


async def test_digest_standing_summary(store: Store) -> None:
    since = datetime.now(UTC) + timedelta(days=1)  # nothing changed since: the summary
    answer = await briefing.digest(store, asking(1), since)
    answer.footer_note = "Daily digest · ref 0123456789"
    _check("digest", _pages(answer))


async def test_digest_summary(store: Store) -> None:
    # Everything curated counts as changed: the summary of a digest with many changes.
    answer = await briefing.digest(store, asking(1), datetime(2000, 1, 1, tzinfo=UTC))
    answer = briefing.digest_summary(answer)
    answer.footer_note = "Daily digest · ref 0123456789"
    pages = _pages(answer)
    assert len(pages) == 1
    _check("digest-summary", pages)


def test_help() -> None:
    _check("help", [help_embed("!")])


# --- limits ------------------------------------------------------------------------------

_text = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=1500)
_line = st.builds(
    Line,
    text=_text,
    lead=st.text(max_size=80),
    kind=st.none() | st.sampled_from(Kind),
    holder=st.text(max_size=60),
)
_section = st.builds(
    Section,
    heading=st.text(min_size=1, max_size=300),
    lines=st.lists(_line, max_size=12),
    kind=st.none() | st.sampled_from(Kind),
)


@settings(max_examples=60, deadline=None)
@given(
    title=st.text(max_size=400),
    intro=st.text(max_size=5000),
    sections=st.lists(_section, max_size=30),
)
def test_every_page_within_discords_limits_and_no_marker_lost(
    title: str, intro: str, sections: list[Section]
) -> None:
    answer = Answer(title=title, intro=intro, sections=sections)
    marker = 0
    for section in sections:
        for line in section.lines:
            marker += 1
            line.markers = [str(marker)]
    pages = render_pages(answer)
    shown = set()
    for page in pages:
        data = page.embed.to_dict()
        fields = data.get("fields", [])
        assert len(data.get("title", "")) <= 256
        assert len(data.get("description", "") or "") <= 4096
        assert len(fields) <= 25
        assert all(len(f["name"]) <= 256 and 0 < len(f["value"]) <= 1024 for f in fields)
        footer = (data.get("footer") or {}).get("text", "")
        assert len(footer) <= 2048 and "\n" not in footer
        total = len(data.get("title", "")) + len(data.get("description", "") or "")
        total += sum(len(f["name"]) + len(f["value"]) for f in fields) + len(footer)
        assert total <= 6000
        shown |= {m for f in fields for m in _markers(f["value"], marker)}
    assert shown == {str(n) for n in range(1, marker + 1)}


def _markers(value: str, count: int) -> set[str]:
    return {str(n) for n in range(1, count + 1) if f"[{n}]" in value}


# --- page labels, for the menu of pages ---------------------------------------------------


def test_pages_are_labelled_by_their_sections_and_meeting_dates() -> None:
    from bot.models import Precision, When

    start = datetime(2019, 1, 1, tzinfo=UTC)
    events = [
        Line(
            "Kim, Putin " * 8,
            lead=f"Meeting {n}",
            when=When(start + timedelta(days=7 * n), "UTC", Precision.DAY),
            past=True,
            markers=[str(n + 1)],
        )
        for n in range(80)
    ]
    answer = Answer(title="Timeline", sections=[Section("Events", events)])
    answer.sections.append(Section("Sources", [Line("the article")]))
    pages = render_pages(answer)
    assert len(pages) > 2
    labels = [page.label for page in pages]
    assert labels[0].startswith("Events: 1 Jan 2019 – ")
    assert all(label.startswith("Events: ") and " – " in label for label in labels)
    assert labels[-1].endswith(" – 7 Jul 2020 · Sources")  # the 80th week
    plain_answer = Answer(title="t", sections=[Section("Views", [Line("x")])])
    assert render_pages(plain_answer)[0].label == "Views"
