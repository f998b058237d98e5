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
from bot.text import Span
from tests.conftest import FIXED_NOW, asking

GUILD = 4242


async def _answers(store: Store, guild: int | None) -> list[str]:
    answers = [
        await briefing.who(store, asking(guild, FIXED_NOW), "kim"),
        await briefing.who(store, asking(guild, FIXED_NOW), None),  # roles and their provenance
        await briefing.sanctions(store, asking(guild)),
        await briefing.timeline(store, asking(guild, FIXED_NOW)),
        await briefing.search(store, asking(guild), "summit desperation"),
        await briefing.sources(store, asking(guild)),  # the source date's label
        await briefing.meeting(store, asking(guild, FIXED_NOW), 2),  # date and status labels
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


async def test_rebuilding_a_servers_export_into_the_same_store_changes_nothing(
    store: Store, tmp_path: Path
) -> None:
    await _add_guild_rows(store)
    before = {guild: await _answers(store, guild) for guild in (None, GUILD)}
    counts = (await store.counts(GUILD), await store.usage(GUILD))
    out = tmp_path / "export"
    await export(store, out, GUILD)
    await build(store, out)
    report = await build(store, out)
    assert report.added == 0 and report.updated == 0, report
    for guild in (None, GUILD):
        assert await _answers(store, guild) == before[guild]
    assert (await store.counts(GUILD), await store.usage(GUILD)) == counts


async def test_an_export_whose_ids_another_store_uses_is_refused_clearly(
    store: Store, tmp_path: Path
) -> None:
    """Another store's export, its numbers taken here by different rows: refused, with
    a message that says which item and what to do, and nothing is written."""
    from bot.errors import DataError

    other = await Store.open(tmp_path / "other.sqlite3")
    try:
        await build(other)
        await _add_guild_rows(other)
        await export(other, tmp_path / "theirs", GUILD)
    finally:
        await other.close()
    change = Change(actor_id=1, guild_id=777, at=FIXED_NOW)
    await moderation.add_source(store, change, title="Mine", text="Not theirs at all.")
    generation = store.generation
    try:
        await build(store, tmp_path / "theirs")
    except DataError as refused:
        assert any("source 'guild-4242-source-" in p and "id" in p for p in refused.problems)
    else:
        raise AssertionError("the clash was not refused")
    assert store.generation == generation


async def test_building_a_servers_export_twice_from_the_command_line_works(
    store: Store, tmp_path: Path, capsys
) -> None:
    import asyncio

    from bot import cli

    await _add_guild_rows(store)
    await export(store, tmp_path / "export", GUILD)
    args = ["--db", str(store.path), "--data", str(tmp_path / "export"), "build"]
    codes = [await asyncio.to_thread(cli.main, args) for _ in range(2)]
    printed = capsys.readouterr()
    assert codes == [0, 0], printed.err
    assert "Traceback" not in printed.err and "UNIQUE" not in printed.err
    assert "0 added, 0 updated" in printed.out.splitlines()[-1], printed.out


# --- a curated source's text changes under servers' citations ---------------------------


async def test_a_changed_source_text_re_verifies_every_citation_of_it(
    data_copy: Path, tmp_path: Path
) -> None:
    import re

    from bot.text import quote_matches_span

    store = await Store.open(tmp_path / "s.sqlite3")
    try:
        await build(store, data_copy)
        change = Change(actor_id=1, guild_id=GUILD, at=FIXED_NOW)
        common = {"subject": "Kim", "kind": "opinion", "source": 1}
        broken = await moderation.add_fact(
            store,
            change,
            statement="Cites the share widget.",
            quote="Pin It on Pinterest",
            **common,
        )
        moved = await moderation.add_fact(
            store,
            change,
            statement="Cites a passage that moves.",
            quote="signals a bit of desperation",
            **common,
        )
        meeting = await moderation.add_meeting(
            store,
            change,
            title="Widget talks",
            when="2019-04-25",
            where="Seoul",
            participants="Kim Jong Un",
            source=1,
            quote="Pin It on Pinterest",
            status="held",
        )
        # The curator edits the text: a line added at the top (every offset moves) and
        # the widget's wording changed; the curated facts' offsets are left to `build`.
        text_file = data_copy / "sources" / "kim-putin-vladivostok-2019.txt"
        text = text_file.read_text("utf-8")
        text_file.write_text(
            "Updated.\n" + text.replace("Pin It on Pinterest", "Pin it on Pinterest"),
            "utf-8",
            newline="",
        )
        for toml in [*(data_copy / "briefing").glob("*.toml"), data_copy / "entities.toml"]:
            toml.write_text(re.sub(r", at = \[\d+, \d+\]", "", toml.read_text("utf-8")), "utf-8")
        await build(store, data_copy)

        assert await store.fact(broken, GUILD) is None  # withdrawn, not shown as verbatim
        kept = await store.fact(moved, GUILD)
        assert kept is not None
        new_text = (await store.source(1, None, with_text=True)).text  # type: ignore[union-attr]
        for citation in kept.citations:
            assert quote_matches_span(new_text, citation.quote, Span(citation.start, citation.end))
        shown = render(await briefing.meeting(store, asking(GUILD, FIXED_NOW), meeting.meeting_id))
        assert "no longer in source S1" in " ".join(shown.split()), shown
        audit = await store.audit_log(GUILD, 10)
        reasons = {(a.action, a.object_type, a.object_id): a.reason for a in audit}
        assert "no longer" in reasons[("retract", "fact", broken)]
        assert "no longer" in reasons[("flag", "meeting", meeting.meeting_id)]
        assert not await store.audit_log(GUILD + 1, 10)
        # Every curated fact is still shown, each quote verbatim at its offsets.
        for fact in await store.facts_in_scope(None):
            for citation in fact.citations:
                span = Span(citation.start, citation.end)
                assert quote_matches_span(new_text, citation.quote, span), citation
    finally:
        await store.close()
