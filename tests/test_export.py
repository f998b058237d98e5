"""`export` writes the store back to the curated format; `build` on it gives the same
briefing, moderators' rows included."""

from __future__ import annotations

from pathlib import Path

from bot import briefing, curation, moderation
from bot.build import build
from bot.export import export
from bot.models import Change
from bot.render.text import render
from bot.store import Store
from tests.conftest import FIXED_NOW

GUILD = 4242


async def _answers(store: Store, guild: int | None) -> list[str]:
    answers = [
        await briefing.who(store, "kim", guild, FIXED_NOW),
        await briefing.who(store, None, guild, FIXED_NOW),  # roles and their provenance
        await briefing.sanctions(store, guild),
        await briefing.timeline(store, guild, FIXED_NOW),
        await briefing.search(store, "summit desperation", guild),
        await briefing.sources(store, guild),  # the source date's label
        await briefing.meeting(store, 2, guild, FIXED_NOW),  # date and status labels
    ]
    return [render(briefing.anchor(answer, FIXED_NOW)) for answer in answers]


async def _add_guild_rows(store: Store) -> None:
    change = Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW)
    source = await moderation.add_source(
        store,
        change,
        title="Local note",
        text="Kim and Moon will meet in Seoul.\r\nSoon.",
        published="2026-11-20",
    )
    await moderation.add_fact(
        store,
        change,
        subject="Kim",
        statement="Kim and Moon plan a meeting in Seoul.",
        kind="reported",
        source=source,
        quote="Kim and Moon will meet in Seoul.",
        topic="meetings",
    )
    await moderation.add_meeting(
        store,
        change,
        title="Seoul talks",
        when="2026-12-03 10:00 Asia/Seoul",
        where="Seoul",
        participants="Kim Jong Un, Moon",
        source=source,
        quote="will meet in Seoul",
    )
    retracted = await moderation.add_fact(
        store,
        change,
        subject="Putin",
        statement="Withdrawn claim.",
        kind="opinion",
        source=source,
        quote="Soon.",
    )
    await moderation.retract_fact(store, Change(1, GUILD, FIXED_NOW, "test"), retracted)


async def test_export_then_build_gives_the_same_answers(store: Store, tmp_path: Path) -> None:
    await _add_guild_rows(store)
    out = tmp_path / "export"
    counts = await export(store, out, GUILD)
    assert counts == {"sources": 2, "facts": 25, "meetings": 3}
    assert curation.check(curation.load(out)) == []
    copy = await Store.open(tmp_path / "copy.sqlite3")
    try:
        await build(copy, out)
        for guild in (None, GUILD):
            assert await _answers(copy, guild) == await _answers(store, guild)
        assert (await copy.counts(GUILD)).facts == (await store.counts(GUILD)).facts
    finally:
        await copy.close()


async def test_export_without_a_guild_leaves_server_rows_out(store: Store, tmp_path: Path) -> None:
    await _add_guild_rows(store)
    counts = await export(store, tmp_path / "shared")
    assert counts == {"sources": 1, "facts": 23, "meetings": 2}
    written = "".join(p.read_text("utf-8") for p in (tmp_path / "shared").rglob("*.toml"))
    assert "Seoul" not in written


async def test_exported_source_text_is_byte_for_byte(store: Store, tmp_path: Path) -> None:
    await _add_guild_rows(store)
    await export(store, tmp_path / "e", GUILD)
    original = (curation.DATA_DIR / "sources" / "kim-putin-vladivostok-2019.txt").read_bytes()
    exported = (tmp_path / "e" / "sources" / "kim-putin-vladivostok-2019.txt").read_bytes()
    assert exported == original
    local = next((tmp_path / "e" / "sources").glob("guild-*.txt")).read_bytes()
    assert local == b"Kim and Moon will meet in Seoul.\r\nSoon."
