"""Moderation through the real discord.py client against the fake Discord: who may write,
what each server sees, retraction and history, restart, dates and harmless mentions."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord

from bot.render.common import escape_markdown
from tests.e2e.conftest import World, cited_facts, embed_text

MANAGE_GUILD = discord.Permissions(manage_guild=True).value

ARTICLE = (
    "Beijing will host a new round of consultations in Kaesong, officials said on Monday.\n"
    "“We’re  ready to talk without preconditions,” the Chinese envoy said.\n\n"
    "The first session is set for December 3 at 10:00 Seoul time, in Panmunjom."
)
QUOTE = "Beijing will host a new round of consultations in Kaesong"
STATEMENT = "China will host consultations in Kaesong, officials said."
MEETING_QUOTE = "The first session is set for December 3 at 10:00 Seoul time"
REFUSED = "Only this server's moderators"
# 2026-12-03 10:00 Asia/Seoul
DEC3_10_KST = int(datetime(2026, 12, 3, 1, 0, tzinfo=UTC).timestamp())


def number_after(text: str, pattern: str) -> int:
    found = re.search(pattern, text)
    assert found, f"{pattern!r} not in {text!r}"
    return int(found.group(1))


async def add_source(world: World, user: int | None = None) -> int:
    """A moderator adds ARTICLE as an attached .txt to a prefix command."""
    await world.fake.send_message(
        world.channel,
        user or world.mod,
        "!source add title: Kaesong talks published: 2026-11-20 url: https://example.org/k",
        attachments={"article.txt": ARTICLE.encode()},
    )
    reply = await world.fake.wait_for_message(world.channel, timeout=10)
    return number_after(embed_text(reply), r"Added source S(\d+)")


async def add_fact(
    world: World, source_id: int, statement: str = STATEMENT, topic: str = "talks"
) -> int:
    reply = await world.ask(
        f"!fact add subject: China statement: {statement} kind: reported "
        f"source: {source_id} quote: {QUOTE} topic: {topic}",
        user=world.mod,
    )
    return number_after(embed_text(reply), r"Added fact (\d+)")


async def add_meeting(world: World, source_id: int, when: str = "Dec 3 10am KST") -> dict:
    return await world.slash(
        "meeting add",
        {
            "title": "Kaesong consultations",
            "when": when,
            "where": "Panmunjom",
            "participants": "Kim Jong Un, Chinese envoy",
            "source": source_id,
            "quote": MEETING_QUOTE,
        },
        user=world.mod,
    )


async def stored_state(world: World) -> tuple:
    """What a refused command must leave alone, in both servers and the shared scope."""
    store = world.bot.store
    return (
        await store.counts(world.guild),
        await store.counts(world.guild_b),
        [a.id for a in await store.audit_log(world.guild, 500)],
        [a.id for a in await store.audit_log(world.guild_b, 500)],
        [a.id for a in await store.audit_log(None, 500)],
    )


# --- adding, and what each server sees -------------------------------------------------


async def test_moderator_adds_a_source_by_attachment_and_by_slash(world: World) -> None:
    source_id = await add_source(world)
    stored = await world.bot.store.source(source_id, world.guild, with_text=True)
    assert stored is not None and stored.text == ARTICLE
    assert stored.guild_id == world.guild
    assert stored.url == "https://example.org/k"
    shown = embed_text(await world.ask(f"!source {source_id}", user=world.alice))
    assert "Kaesong talks" in shown and "Beijing will host" in shown
    hidden = embed_text(
        await world.ask(f"!source {source_id}", user=world.bob, channel=world.channel_b)
    )
    assert f"no source {source_id}" in hidden
    assert "Kaesong" not in embed_text(
        await world.ask("!sources", user=world.bob, channel=world.channel_b)
    )

    answer = await world.slash(
        "source add",
        {"title": "Pasted article", "text": "Pasted text about Kaesong.", "published": "2026"},
        user=world.mod,
    )
    slash_id = number_after(embed_text(answer), r"Added source S(\d+)")
    pasted = await world.bot.store.source(slash_id, world.guild, with_text=True)
    assert pasted is not None and pasted.text == "Pasted text about Kaesong."
    assert pasted.published is not None and pasted.published.precision.value == "year"
    assert await world.bot.store.source(slash_id, world.guild_b) is None


async def test_attachment_must_be_text(world: World) -> None:
    before = await stored_state(world)
    await world.fake.send_message(
        world.channel,
        world.mod,
        "!source add title: A picture",
        attachments={"photo.png": b"\x89PNG\r\n"},
    )
    reply = await world.fake.wait_for_message(world.channel, timeout=10)
    assert ".txt" in embed_text(reply)
    assert await stored_state(world) == before


async def test_facts_added_by_prefix_and_slash_show_only_in_their_server(world: World) -> None:
    source_id = await add_source(world)
    prefix_id = await add_fact(world, source_id)
    answer = await world.slash(
        "fact add",
        {
            "subject": "China",
            "statement": "A Chinese envoy said they were ready to talk.",
            "kind": "quote",
            "source": source_id,
            "quote": '"We\'re ready to talk without preconditions,"',
            "attributed_to": "Chinese envoy",
            "topic": "talks",
        },
        user=world.mod,
    )
    slash_id = number_after(embed_text(answer), r"Added fact (\d+)")
    assert "this server only" in embed_text(answer)
    quoted = await world.bot.store.fact(slash_id, world.guild)
    assert quoted is not None
    assert quoted.citations[0].quote == "“We’re  ready to talk without preconditions,”"

    who_a_message = await world.ask("!who China", user=world.alice)
    who_a = embed_text(who_a_message)
    assert {prefix_id, slash_id} <= cited_facts(who_a_message)
    assert "Kaesong" in who_a
    search_a = await world.ask("!search Kaesong", user=world.alice)
    assert prefix_id in cited_facts(search_a)

    who_b_message = await world.ask("!who China", user=world.bob, channel=world.channel_b)
    who_b = embed_text(who_b_message)
    assert "Kaesong" not in who_b and prefix_id not in cited_facts(who_b_message)
    assert slash_id not in cited_facts(who_b_message)
    search_b = embed_text(
        await world.ask("!search Kaesong", user=world.bob, channel=world.channel_b)
    )
    assert "Nothing in the briefing matches" in search_b
    shown_b = embed_text(
        await world.ask(f"!fact {prefix_id}", user=world.bob, channel=world.channel_b)
    )
    assert f"no fact {prefix_id}" in shown_b
    slash_b = await world.slash(
        "search", {"query": "Kaesong"}, user=world.bob, channel=world.channel_b
    )
    assert "Kaesong" not in embed_text(slash_b).replace("Search: Kaesong", "")


async def test_sanctions_and_key_actors_show_a_servers_facts_only_there(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id, topic="sanctions")
    sanctions_a = await world.ask("!sanctions", user=world.alice)
    assert fact_id in cited_facts(sanctions_a)
    sanctions_b = await world.ask("!sanctions", user=world.bob, channel=world.channel_b)
    assert fact_id not in cited_facts(sanctions_b) and "Kaesong" not in embed_text(sanctions_b)
    shared = await world.bot.store.facts_by_topic("sanctions", None)
    assert await world.bot.store.facts_by_topic("sanctions", world.guild_b) == shared


async def test_server_facts_do_not_reach_direct_messages(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    dm = world.fake.dm_channel(world.alice)
    answer = await world.slash("fact show", {"fact_id": fact_id}, user=world.alice, channel=dm)
    assert f"no fact {fact_id}" in embed_text(answer)
    search = await world.slash("search", {"query": "Kaesong"}, user=world.alice, channel=dm)
    assert "Nothing in the briefing matches" in embed_text(search)


async def test_meeting_becomes_next_meeting_only_in_its_server(world: World) -> None:
    source_id = await add_source(world)
    answer = await add_meeting(world, source_id)
    text = embed_text(answer)
    meeting_id = number_after(text, r"Added meeting (\d+)")
    # The reply echoes how the date was read, as a Discord timestamp.
    assert f"<t:{DEC3_10_KST}:F>" in text
    assert "Asia/Seoul" in text
    meeting = await world.bot.store.meeting(meeting_id, world.guild)
    assert meeting is not None
    assert meeting.when.start == datetime(2026, 12, 3, 1, 0, tzinfo=UTC)

    next_a = embed_text(await world.ask("!next-meeting", user=world.alice))
    assert "Kaesong consultations" in next_a and f"<t:{DEC3_10_KST}:F>" in next_a
    assert f"<t:{DEC3_10_KST}:R>" in next_a  # upcoming: a live countdown
    next_b = embed_text(await world.ask("!next-meeting", user=world.bob, channel=world.channel_b))
    assert "Kaesong consultations" not in next_b
    assert "No upcoming meeting" in next_b
    timeline_b = embed_text(await world.ask("!timeline", user=world.bob, channel=world.channel_b))
    assert "Kaesong" not in timeline_b
    assert "Kaesong consultations" in embed_text(await world.ask("!timeline", user=world.alice))

    # Once it is over it is no longer upcoming.
    world.clock.now = datetime(2026, 12, 3, 3, 0, tzinfo=UTC)
    later = embed_text(await world.ask("!next-meeting", user=world.dave))
    assert "No upcoming meeting" in later
    assert "Most recent (past)" in later and "Kaesong consultations" in later


async def test_meeting_by_prefix_with_relative_date_and_refusals(world: World) -> None:
    source_id = await add_source(world)
    reply = await world.ask(
        "!meeting add title: Follow-up when: next Thursday 15:00 Europe/Moscow where: Moscow "
        f"participants: Vladimir Putin, Kim Jong Un source: {source_id} quote: {MEETING_QUOTE}",
        user=world.mod,
    )
    text = embed_text(reply)
    number_after(text, r"Added meeting (\d+)")
    stamp = int(datetime(2026, 12, 3, 12, 0, tzinfo=UTC).timestamp())
    assert f"<t:{stamp}:F>" in text
    assert "2026-12-03" in text and "Europe/Moscow" in text

    before = await stored_state(world)
    for when, message in [
        ("2026-12-03 10:00 Mars/Olympus", "Unknown time zone"),
        ("2026-11-01 10:00 UTC", "in the past"),
        ("03/12/2026", "could be day/month or month/day"),
        ("Dec 3 10am CST", "ambiguous"),
    ]:
        refused = await world.ask(
            f"!meeting add title: Bad when: {when} where: Seoul participants: Kim "
            f"source: {source_id} quote: {MEETING_QUOTE}",
            user=world.mod,
        )
        assert message in embed_text(refused), when
    assert await stored_state(world) == before

    held = await world.ask(
        "!meeting add title: Earlier talk when: 2026-11-01 where: Seoul participants: Kim "
        f"source: {source_id} quote: {MEETING_QUOTE} status: held",
        user=world.mod,
    )
    assert "Added meeting" in embed_text(held)
    assert "date known, time not" in embed_text(held)


async def test_meeting_edit_and_cancel(world: World) -> None:
    source_id = await add_source(world)
    meeting_id = number_after(
        embed_text(await add_meeting(world, source_id)), r"Added meeting (\d+)"
    )
    edited = embed_text(
        await world.ask(
            f"!meeting edit {meeting_id} when: 2026-12-04 09:30 Asia/Tokyo", user=world.mod
        )
    )
    assert f"Meeting {meeting_id} corrected" in edited
    assert f"<t:{int(datetime(2026, 12, 4, 0, 30, tzinfo=UTC).timestamp())}:F>" in edited
    other = embed_text(
        await world.ask(
            f"!meeting cancel {meeting_id} spite", user=world.bmod, channel=world.channel_b
        )
    )
    assert "no meeting" in other.lower()
    cancelled = embed_text(
        await world.ask(f"!meeting cancel {meeting_id} Talks called off", user=world.mod)
    )
    assert f"Meeting {meeting_id} marked cancelled" in cancelled
    meeting = await world.bot.store.meeting(meeting_id, world.guild)
    assert meeting is not None and meeting.status.value == "cancelled"
    assert meeting.status_note == "Talks called off"
    assert "No upcoming meeting" in embed_text(await world.ask("!next-meeting"))


# --- who may write ---------------------------------------------------------------------


async def test_plain_member_is_refused_and_nothing_is_stored(world: World) -> None:
    source_id = await add_source(world)
    before = await stored_state(world)
    commands = [
        f"!fact add subject: China statement: X kind: reported source: {source_id} quote: {QUOTE}",
        "!fact edit 1 statement: X",
        "!fact retract 1 because",
        "!fact restore 1",
        "!fact history 1",
        f"!meeting add title: T when: 2026-12-03 where: S participants: K source: {source_id} "
        f"quote: {MEETING_QUOTE}",
        "!meeting cancel 1 because",
        "!audit",
    ]
    for command in commands:
        reply = await world.ask(command, user=world.alice)
        assert REFUSED in embed_text(reply), command
        assert "Nothing was changed" in embed_text(reply)
    await world.fake.send_message(
        world.channel,
        world.alice,
        "!source add title: Mine",
        attachments={"article.txt": b"Some text."},
    )
    reply = await world.fake.wait_for_message(world.channel, timeout=10)
    assert REFUSED in embed_text(reply)
    slash = await world.slash(
        "fact add",
        {"subject": "China", "statement": "X", "kind": "reported", "source": 1, "quote": "Pin"},
        user=world.alice,
    )
    assert REFUSED in embed_text(slash)
    assert slash["ephemeral"]
    assert await stored_state(world) == before


async def test_another_servers_moderator_cannot_touch_our_fact(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    before = await stored_state(world)
    for command in [
        f"!fact edit {fact_id} statement: Hijacked",
        f"!fact retract {fact_id} spite",
        f"!fact restore {fact_id}",
    ]:
        reply = await world.ask(command, user=world.bmod, channel=world.channel_b)
        assert "There is no fact here" in embed_text(reply), command
    history = embed_text(
        await world.ask(f"!fact history {fact_id}", user=world.bmod, channel=world.channel_b)
    )
    assert STATEMENT not in history and str(world.mod) not in history
    # Nor can they cite our source.
    reply = await world.ask(
        f"!fact add subject: China statement: X kind: reported source: {source_id} quote: {QUOTE}",
        user=world.bmod,
        channel=world.channel_b,
    )
    assert f"no source {source_id} here" in embed_text(reply)
    assert await stored_state(world) == before
    fact = await world.bot.store.fact(fact_id, world.guild)
    assert fact is not None and fact.statement == STATEMENT and fact.version == 1


async def test_shared_facts_are_for_curators_only(world: World) -> None:
    before = await stored_state(world)
    refused = embed_text(await world.ask("!fact edit 1 statement: Mod rewrite", user=world.mod))
    assert "only the bot's curators" in refused
    refused = embed_text(await world.ask("!fact retract 1 nope", user=world.mod))
    assert "only the bot's curators" in refused
    global_add = embed_text(
        await world.ask(
            "!fact add subject: China statement: Shared claim kind: reported source: 1 "
            "quote: Pin It on Pinterest scope: global",
            user=world.mod,
        )
    )
    assert "Only the bot's curators can change the shared facts" in global_add
    global_meeting = embed_text(
        await world.ask(
            "!meeting add title: T when: 2026-12-03 where: Seoul participants: Kim source: 1 "
            "quote: Pin It on Pinterest scope: global",
            user=world.mod,
        )
    )
    assert "Only the bot's curators" in global_meeting
    global_source = await world.slash(
        "source add", {"title": "T", "text": "Body.", "scope": "global"}, user=world.mod
    )
    assert "Only the bot's curators" in embed_text(global_source)
    assert await stored_state(world) == before

    edited = embed_text(
        await world.ask("!fact edit 1 statement: Curator's clearer wording.", user=world.owner)
    )
    assert "Fact 1 corrected" in edited
    seen_in_b = embed_text(await world.ask("!fact 1", user=world.bob, channel=world.channel_b))
    assert "Curator's clearer wording." in seen_in_b
    [entry] = await world.bot.store.audit_log(None, 5)
    assert (entry.actor_id, entry.guild_id, entry.action) == (world.owner, None, "edit")

    added = embed_text(
        await world.ask(
            "!fact add subject: China statement: A shared curator claim. kind: reported "
            "source: 1 quote: Pin It on Pinterest scope: global",
            user=world.owner,
        )
    )
    shared_id = number_after(added, r"Added fact (\d+)")
    assert "shared with every server" in added
    assert "A shared curator claim." in embed_text(
        await world.ask(f"!fact {shared_id}", user=world.bob, channel=world.channel_b)
    )


async def test_curator_edit_with_scope_global_does_not_store_the_flag(world: World) -> None:
    reply = await world.ask(
        "!fact edit 1 statement: Curator's wording. scope: global", user=world.owner
    )
    assert "Fact 1 corrected" in embed_text(reply)
    fact = await world.bot.store.fact(1, None)
    assert fact is not None and fact.statement == "Curator's wording."


async def test_quote_not_in_the_source_is_refused_with_the_closest_passage(world: World) -> None:
    source_id = await add_source(world)
    before = await stored_state(world)
    reply = await world.ask(
        f"!fact add subject: China statement: X kind: reported source: {source_id} "
        "quote: Beijing will host a fresh round of consultations in Kaesong",
        user=world.mod,
    )
    text = embed_text(reply)
    assert "not in source" in text and "word for word" in text
    assert "closest passage" in text
    assert "Beijing will host a new round of consultations in Kaesong" in text
    assert await stored_state(world) == before


async def test_modrole_set_by_a_server_manager_makes_a_member_moderator(world: World) -> None:
    source_id = await add_source(world)
    editors = world.fake.add_role(world.guild, "Editors")
    manager = world.fake.add_member(world.guild, "manager", permissions=MANAGE_GUILD)
    command = (
        f"!fact add subject: China statement: Dave's fact. kind: reported source: {source_id} "
        f"quote: {QUOTE}"
    )
    assert REFUSED in embed_text(await world.ask(command, user=world.dave))

    for user in (world.alice, world.mod):  # plain member; Manage Messages is not enough
        refused = embed_text(await world.ask(f"!modrole set {editors}", user=user))
        assert "Manage Server" in refused, refused
    assert await world.bot.store.mod_role(world.guild) is None

    done = embed_text(await world.ask(f"!modrole set {editors}", user=manager))
    assert f"<@&{editors}>" in done
    assert await world.bot.store.mod_role(world.guild) == editors
    world.fake.set_member_roles(world.guild, world.dave, [editors])
    added = embed_text(await world.ask(command, user=world.dave))
    fact_id = number_after(added, r"Added fact (\d+)")
    [entry, *_] = await world.bot.store.history("fact", fact_id, world.guild)
    assert entry.actor_id == world.dave
    # The role is this server's only: it means nothing in server B.
    assert await world.bot.store.mod_role(world.guild_b) is None
    actions = [a.action for a in await world.bot.store.audit_log(world.guild, 10)]
    assert "modrole" in actions


# --- corrections, history, audit, restart ----------------------------------------------


async def test_edit_retract_restore_history_and_audit(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    edited = embed_text(
        await world.ask(
            f"!fact edit {fact_id} statement: China is to host talks in Kaesong.",
            user=world.mod,
        )
    )
    assert f"Fact {fact_id} corrected" in edited and "China is to host talks" in edited
    fact = await world.bot.store.fact(fact_id, world.guild)
    assert fact is not None and fact.version == 2 and fact.citations[0].quote == QUOTE

    retracted = embed_text(
        await world.ask(f"!fact retract {fact_id} Misread the source", user=world.mod)
    )
    assert f"Fact {fact_id} retracted" in retracted
    gone = embed_text(await world.ask(f"!fact {fact_id}", user=world.alice))
    assert f"no fact {fact_id}" in gone
    assert fact_id not in cited_facts(await world.ask("!who China", user=world.alice))
    assert "Nothing in the briefing matches" in embed_text(
        await world.ask("!search Kaesong", user=world.alice)
    )

    history = embed_text(await world.ask(f"!fact history {fact_id}", user=world.mod))
    assert f"user {world.mod}: add fact {fact_id}" in history
    assert f"user {world.mod}: edit fact {fact_id}" in history
    assert f"user {world.mod}: retract fact {fact_id}" in history
    assert "Reason: “Misread the source”" in history
    assert "China is to host talks" in history  # what the edit changed

    restored = embed_text(await world.ask(f"!fact restore {fact_id}", user=world.mod))
    assert f"Fact {fact_id} restored" in restored
    assert "China is to host talks" in embed_text(
        await world.ask(f"!fact {fact_id}", user=world.dave)
    )

    audit = embed_text(await world.ask("!audit 10", user=world.mod))
    for action in ("restore", "retract", "edit", "add"):
        assert f"user {world.mod}: {action} fact {fact_id}" in audit
    assert "Reason: “Misread the source”" in audit
    assert "add source" in audit
    audit_b = embed_text(await world.ask("!audit", user=world.bmod, channel=world.channel_b))
    assert f"fact {fact_id}" not in audit_b
    assert "0 change(s)" in audit_b

    slash_history = await world.slash("fact history", {"fact_id": fact_id}, user=world.mod)
    assert slash_history["ephemeral"]
    assert "Reason: “Misread the source”" in embed_text(slash_history)


async def test_slash_edit_and_retract(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    answer = await world.slash(
        "fact edit", {"fact_id": fact_id, "topic": "talks, china"}, user=world.mod
    )
    assert f"Fact {fact_id} corrected" in embed_text(answer)
    answer = await world.slash(
        "fact retract", {"fact_id": fact_id, "reason": "Duplicate"}, user=world.mod
    )
    assert f"Fact {fact_id} retracted" in embed_text(answer)
    fact = await world.bot.store.fact(fact_id, world.guild, include_retracted=True)
    assert fact is not None and fact.retracted and set(fact.topics) == {"talks", "china"}
    refused = await world.slash(
        "fact restore", {"fact_id": fact_id}, user=world.bmod, channel=world.channel_b
    )
    assert "There is no fact here" in embed_text(refused)


async def test_additions_survive_a_restart(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    await add_meeting(world, source_id)
    await world.ask(f"!fact retract {fact_id} Checking", user=world.mod)
    await world.restart()
    source = await world.bot.store.source(source_id, world.guild, with_text=True)
    assert source is not None and source.text == ARTICLE
    assert f"no fact {fact_id}" in embed_text(await world.ask(f"!fact {fact_id}"))
    await world.ask(f"!fact restore {fact_id}", user=world.mod)
    assert STATEMENT in embed_text(await world.ask(f"!fact {fact_id}", user=world.dave))
    assert "Kaesong consultations" in embed_text(await world.ask("!next-meeting"))
    assert "Kaesong consultations" not in embed_text(
        await world.ask("!next-meeting", user=world.bob, channel=world.channel_b)
    )
    actions = [e.action for e in await world.bot.store.history("fact", fact_id, world.guild)]
    assert actions == ["add", "retract", "restore"]


# --- harmless display ------------------------------------------------------------------


async def test_mentions_are_stored_as_typed_and_never_ping(world: World) -> None:
    source_id = await add_source(world)
    typed = f"@everyone and <@&{world.mod_role}> and <@{world.alice}> said **hi** `x`"
    fact_id = await add_fact(world, source_id, statement=typed)
    fact = await world.bot.store.fact(fact_id, world.guild)
    assert fact is not None and fact.statement == typed
    shown = await world.ask(f"!fact {fact_id}", user=world.alice)
    assert escape_markdown(typed) in embed_text(shown)  # shown as typed, not as markdown
    await world.slash("fact show", {"fact_id": fact_id}, user=world.alice)
    await world.ask("!who China", user=world.dave)

    sent = world.fake.messages(world.channel)
    assert len(sent) >= 5
    for message in sent:
        assert message["allowed_mentions"] is not None, message
        assert message["allowed_mentions"].get("parse") == [], message
        assert not message["allowed_mentions"].get("roles")
        assert not message["allowed_mentions"].get("users")


async def test_control_characters_are_stripped_from_what_is_stored(world: World) -> None:
    source_id = await add_source(world)
    answer = await world.slash(
        "fact add",
        {
            "subject": "China",
            "statement": "Bell\x07 and escape\x1b[31m gone",
            "kind": "opinion",
            "source": source_id,
            "quote": QUOTE,
        },
        user=world.mod,
    )
    fact_id = number_after(embed_text(answer), r"Added fact (\d+)")
    fact = await world.bot.store.fact(fact_id, world.guild)
    assert fact is not None and fact.statement == "Bell and escape[31m gone"


async def test_overlong_statement_is_refused(world: World) -> None:
    source_id = await add_source(world)
    before = await stored_state(world)
    reply = await world.ask(
        f"!fact add subject: China statement: {'s' * 501} kind: reported source: {source_id} "
        f"quote: {QUOTE}",
        user=world.mod,
    )
    assert "`statement` is 501 characters; the limit is 500" in embed_text(reply)
    assert await stored_state(world) == before


async def test_unknown_subject_is_refused_with_a_suggestion(world: World) -> None:
    source_id = await add_source(world)
    reply = await world.ask(
        f"!fact add subject: Putn statement: X kind: reported source: {source_id} quote: {QUOTE}",
        user=world.mod,
    )
    assert "Did you mean" in embed_text(reply) and "Vladimir Putin" in embed_text(reply)


async def test_attached_source_over_200_kb_or_not_utf8_is_refused(world: World) -> None:
    before = await stored_state(world)
    for name, data, message in [
        ("big.txt", b"a" * 200_001, "over 200 kB"),
        ("latin1.txt", "Café talks".encode("latin-1"), "not UTF-8"),
    ]:
        await world.fake.send_message(
            world.channel, world.mod, "!source add title: Too much", attachments={name: data}
        )
        reply = await world.fake.wait_for_message(world.channel, timeout=10)
        assert message in embed_text(reply), name
    assert await stored_state(world) == before


async def test_meeting_of_one_server_is_not_shown_in_another(world: World) -> None:
    source_id = await add_source(world)
    meeting_id = number_after(
        embed_text(await add_meeting(world, source_id)), r"Added meeting (\d+)"
    )
    shown = embed_text(await world.ask(f"!meeting {meeting_id}", user=world.alice))
    assert "Kaesong consultations" in shown and f"<t:{DEC3_10_KST}:F>" in shown
    hidden = embed_text(
        await world.ask(f"!meeting {meeting_id}", user=world.bob, channel=world.channel_b)
    )
    assert f"no meeting {meeting_id}" in hidden
    edit = embed_text(
        await world.ask(
            f"!meeting edit {meeting_id} title: Hijacked", user=world.bmod, channel=world.channel_b
        )
    )
    assert "There is no meeting here" in edit


async def test_audit_limit_and_scope(world: World) -> None:
    source_id = await add_source(world)
    fact_id = await add_fact(world, source_id)
    one = embed_text(await world.ask("!audit 1", user=world.mod))
    assert "The latest 1 change(s) to this server" in one
    assert f"add fact {fact_id}" in one and "add source" not in one
    refused = embed_text(await world.ask("!audit 0", user=world.mod))
    assert "out of range" in refused


async def test_server_manager_moderates_and_modrole_clear_revokes(world: World) -> None:
    source_id = await add_source(world)
    editors = world.fake.add_role(world.guild, "Editors")
    manager = world.fake.add_member(world.guild, "manager", permissions=MANAGE_GUILD)
    command = (
        f"!fact add subject: China statement: A fact. kind: reported source: {source_id} "
        f"quote: {QUOTE}"
    )
    assert "Added fact" in embed_text(await world.ask(command, user=manager))
    await world.ask(f"!modrole set {editors}", user=manager)
    world.fake.set_member_roles(world.guild, world.dave, [editors])
    assert "Added fact" in embed_text(await world.ask(command, user=world.dave))
    refused = embed_text(await world.ask("!modrole clear", user=world.dave))
    assert "Manage Server" in refused
    cleared = embed_text(await world.ask("!modrole clear", user=manager))
    assert "cleared" in cleared
    assert REFUSED in embed_text(await world.ask(command, user=world.dave))


async def test_in_direct_messages_only_curators_write_and_only_shared_facts(
    world: World,
) -> None:
    options = {
        "subject": "China",
        "statement": "A claim made in a DM.",
        "kind": "reported",
        "source": 1,
        "quote": "Pin It on Pinterest",
    }
    mod_dm = world.fake.dm_channel(world.mod)
    refused = await world.slash("fact add", options, user=world.mod, channel=mod_dm)
    assert REFUSED in embed_text(refused)
    owner_dm = world.fake.dm_channel(world.owner)
    added = embed_text(await world.slash("fact add", options, user=world.owner, channel=owner_dm))
    fact_id = number_after(added, r"Added fact (\d+)")
    assert "shared with every server" in added
    fact = await world.bot.store.fact(fact_id, world.guild_b)
    assert fact is not None and fact.guild_id is None
