"""What a hostile moderator types cannot disguise itself: forged audit lines, markdown
and links in stored text, and the limits each server has (end to end, fake Discord)."""

from __future__ import annotations

import re

from tests.e2e.conftest import World, embed_text
from tests.e2e.test_moderation import add_fact, add_meeting, add_source, number_after

FORGED = "typo\n• 2026-11-27 12:00 UTC, user 424242: retract fact 7. created.\u202e Reason: ok"


def audit_lines(message: dict) -> list[str]:
    """The lines of the audit's fields, as a reader sees them."""
    values = [f["value"] for e in message.get("embeds") or [] for f in e.get("fields", [])]
    return [line for value in values for line in value.split("\n")]


async def test_a_forged_reason_shows_as_one_line_in_the_audit(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    meeting = await add_meeting(world, source_id)
    meeting_id = number_after(embed_text(meeting), r"Added meeting (\d+)")
    retracted = await world.ask(f"!fact retract {fact_id} {FORGED}", user=world.mod)
    assert f"Fact {fact_id} retracted" in embed_text(retracted), embed_text(retracted)
    cancelled = await world.ask(f"!meeting cancel {meeting_id} {FORGED}", user=world.mod)
    assert "cancelled" in embed_text(cancelled), embed_text(cancelled)

    lines = audit_lines(await world.ask("!audit 10", user=world.mod))
    # One line per change, each the bot's own, the forged text quoted inside it.
    assert len(lines) == len(await world.bot.store.audit_log(world.guild, 10)), lines
    assert all(re.match(rf"• [\d-]+ [\d:]+ UTC, user {world.mod}: ", line) for line in lines)
    forged = [line for line in lines if "424242" in line]
    assert len(forged) == 2, lines
    assert all("Reason: “typo • 2026-11-27" in line for line in forged), forged
    assert not any("\u202e" in line for line in lines)
    stored = [a.reason for a in await world.bot.store.audit_log(world.guild, 2)]
    assert stored == [FORGED.replace("\n", " ").replace("\u202e", "")] * 2


async def test_who_by_any_case_is_one_cached_answer(world: World) -> None:
    before = world.bot.answers.misses
    for spelling in ["kim", "Kim", "kIm", "KIM  ", "Kím"]:
        answer = await world.ask(f"!who {spelling}", user=world.fake.add_member(world.guild, "q"))
        assert answer["embeds"][0]["title"] == "Kim Jong Un"
    assert world.bot.answers.misses == before + 1
    missed = await world.ask("!who KIMM JONG", user=world.dave)
    assert "KIMM JONG" in embed_text(missed)  # a miss still echoes the name as typed
    missed = await world.ask("!who kimm jong", user=world.alice)
    assert "kimm jong" in embed_text(missed)


# --- per-server quotas ------------------------------------------------------------------


def upload_text(number: int, size: int = 199_000) -> bytes:
    line = f"Source {number}: Beijing will host a new round of consultations in Kaesong.\n"
    return (line * (size // len(line) + 1)).encode()[:size]


async def upload(world: World, user: int, number: int, channel: int, scope: str = "") -> str:
    await world.fake.send_message(
        channel,
        user,
        f"!source add title: Upload {number}{scope}",
        attachments={f"upload-{number}.txt": upload_text(number)},
    )
    return embed_text(await world.fake.wait_for_message(channel, timeout=10))


async def test_a_server_cannot_store_more_source_text_than_its_quota(world: World) -> None:
    """The quota is 2,000 kB of source text a server: ten uploads of 199 kB fit (each by
    another moderator: one moderator's writes are paced by the moderators' cooldown)."""

    def moderator(number: int) -> int:
        return world.fake.add_member(world.guild, f"mod{number}", roles=[world.mod_role])

    for number in range(10):
        assert "Added source" in await upload(world, moderator(number), number, world.channel)
    refused = await upload(world, moderator(10), 10, world.channel)
    assert "Added source" not in refused
    assert "2,000 kB" in refused and "this server" in refused, refused
    # Another server, and the curators' shared sources, are not held back by it.
    assert "Added source" in await upload(world, world.bmod, 99, world.channel_b)
    shared = await upload(world, world.owner, 100, world.channel, scope=" scope: global")
    assert "Added source" in shared and "shared with every server" in shared
    assert (await world.bot.store.counts(world.guild)).sources == 1 + 10 + 1  # shared, A's


# --- stored text shows literally ------------------------------------------------------------

HOSTILE = "[Reuters](https://evil.example) said (fact 1) [1] • *Reported:* **so** `x` <@1> > q"


async def test_markdown_in_stored_text_shows_literally(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id, statement=HOSTILE)
    meeting = await add_meeting(world, source_id)
    meeting_id = number_after(embed_text(meeting), r"Added meeting (\d+)")
    await world.ask(
        f"!meeting edit {meeting_id} title: **Fake** [a](https://evil.example)", user=world.mod
    )
    shown = [
        embed_text(await world.ask(f"!fact {fact_id}", user=world.dave)),
        embed_text(await world.ask("!who china", user=world.alice)),
        embed_text(
            await world.ask(f"!search {HOSTILE[:40]}", user=world.fake.add_member(world.guild, "s"))
        ),
        embed_text(await world.ask("!timeline", user=world.fake.add_member(world.guild, "t"))),
    ]
    for text in shown:
        # Discord draws none of it: every markdown character arrives escaped.
        assert "[Reuters](" not in text and "[a](" not in text, text
        assert "**so**" not in text and "**Fake**" not in text, text
        assert "<@1>" not in text, text
    assert r"\[Reuters\](https://evil.example)" in shown[0], shown[0]
    assert r"\*Reported:\*" in shown[0]
    assert r"\*\*Fake\*\*" in shown[3], shown[3]


async def test_a_url_must_be_well_formed_and_is_shown_plainly(world: World) -> None:
    for bad in [
        "https://ok.example/a)[x](https://evil.example",
        "https://ok.example/<script>",
        "javascript:alert(1)",
        "https:///nohost",
        "https://exa mple.org",
        "ftp://example.org/file",
    ]:
        refused = await world.ask(
            f"!source add title: T url: {bad} text: Some text.", user=world.mod
        )
        assert "Added source" not in embed_text(refused), (bad, embed_text(refused))
        assert "url" in embed_text(refused)
    added = await world.ask(
        "!source add title: T url: https://example.org/a_b?x=1&y=(2) text: Some text.",
        user=world.mod,
    )
    assert "Added source" in embed_text(added), embed_text(added)
    listed = embed_text(await world.ask("!sources", user=world.dave))
    assert "<https://example.org/a_b?x=1&y=(2)>" in listed, listed
