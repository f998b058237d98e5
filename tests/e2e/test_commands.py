"""Every user-facing command through the real discord.py client and the fake Discord.

Each test asserts what a member of the server would see: the text of the answer, its
citations and buttons, whether it is private, and that nothing pings anyone. Faults
(rate limits, 5xx, dropped gateway) must not lose or duplicate answers.

Read commands share a per-user cooldown (5 in 10 s, real time), so tests that run many
commands spread them over several members.
"""

from __future__ import annotations

import asyncio
import re
from datetime import UTC, datetime

import discord
import pytest

import bot as bot_package
from bot import briefing, catalog, checks, moderation
from bot.models import Change
from tests.e2e.conftest import World, button_ids, embed_text, settled_messages

EPHEMERAL = 64
LOADING = 128
STATE_DEPT = (
    "The United States is committed to working with interested parties, including Russia, "
    "on the robust and sustained implementation of U.N. sanctions in order to move forward "
    "with denuclearization"
)
SANCTIONS_FACT_ID = 12
PAGE = re.compile(r"Page (\d+)/(\d+)")


# --- helpers --------------------------------------------------------------------------------


def title(message: dict) -> str:
    return (message.get("embeds") or [{}])[0].get("title", "")


def footer(message: dict) -> str:
    return ((message.get("embeds") or [{}])[0].get("footer") or {}).get("text", "")


def field_names(message: dict) -> list[str]:
    return [f["name"] for e in message.get("embeds") or [] for f in e.get("fields", [])]


def component(message: dict, custom_id: str) -> dict:
    for row in message.get("components") or []:
        for item in row.get("components", []):
            if item.get("custom_id") == custom_id:
                return item
    raise AssertionError(f"no component {custom_id!r} in {button_ids(message)}")


def is_ephemeral(message: dict) -> bool:
    return bool(int(message.get("flags") or 0) & EPHEMERAL)


async def both(world: World, prefix: str, slash: str, options: dict | None = None) -> list[dict]:
    """The same question asked as `!prefix` (by alice) and as `/slash` (by dave)."""
    by_prefix = await world.ask(prefix, user=world.alice)
    by_slash = await world.slash(slash, options, user=world.dave)
    return [by_prefix, by_slash]


async def add_long_kim_facts(world: World, count: int) -> None:
    """Server-scoped facts about Kim, long enough to push `who kim` past one page."""
    store = world.bot.store
    change = Change(actor_id=world.mod, guild_id=world.guild, at=world.clock.now)
    for number in range(count):
        await moderation.add_fact(
            store,
            change,
            subject="Kim Jong Un",
            statement=f"Padding fact {number} for pagination. " + "Long reported detail. " * 20,
            kind="reported",
            source=1,
            quote="Mere weeks after Kim Jung Un and U.S. President Donald Trump met in Hanoi",
        )


# --- 1. read commands, by prefix and by slash -----------------------------------------------


async def test_who_without_a_name_lists_the_key_actors(world: World) -> None:
    for answer in await both(world, "!who", "who"):
        text = embed_text(answer)
        assert title(answer) == "Key actors in the briefing"
        for name in ("Kim Jong Un", "Vladimir Putin", "Donald Trump"):
            assert f"**{name}**" in text
        assert not is_ephemeral(answer)


async def test_who_with_a_name_gives_a_cited_profile(world: World) -> None:
    for answer in await both(world, "!who putin", "who", {"name": "putin"}):
        text = embed_text(answer)
        assert title(answer) == "Vladimir Putin"
        # The article's date is said once for all its lines (issue 14), not per line.
        assert "• **Vladimir Putin**: Russian President [1]\n" in text + "\n"
        assert "Cited lines are as of **April 2019**." in text
        # Meetings are one pick away, counted in the summary.
        assert "1 meeting" in text and "Putin–Kim summit in Vladivostok" not in text
        assert re.search(r"\[\d+\]", text)
        assert footer(answer).startswith("S1 · Apr 2019 · /sources")


async def test_sanctions_quotes_the_state_department_verbatim_and_labels_opinion(
    world: World,
) -> None:
    for answer in await both(world, "!sanctions", "sanctions"):
        text = embed_text(answer)
        assert title(answer) == "Sanctions on North Korea"
        assert STATE_DEPT in text
        assert "Stated positions (verbatim)" in field_names(answer)
        # Opinion is kept apart from the reporting: folded, counted, one pick away.
        fields = answer["embeds"][0]["fields"]
        assert "The author's opinion (not established fact)" not in field_names(answer)
        assert "**More:** 5 opinions" in answer["embeds"][0]["description"]
        for other in fields:
            assert "The author" not in other["value"]


async def test_next_meeting_with_todays_clock_shows_vladivostok_as_past(world: World) -> None:
    for answer in await both(world, "!next-meeting", "next-meeting"):
        text = embed_text(answer)
        assert title(answer) == "Next meeting"
        assert "No upcoming meeting" in text
        assert "Most recent (past)" in field_names(answer)
        assert "Vladivostok" in text
        # Date first, then what and where, and whether it was held.
        assert "• **25 Apr 2019** — **Putin–Kim summit in Vladivostok** (held)" in text
        assert "<t:" not in text  # no live countdown for a past meeting


async def test_next_meeting_before_the_summit_shows_it_as_upcoming(world: World) -> None:
    world.clock.now = datetime(2019, 4, 23, 12, 0, tzinfo=UTC)
    for answer in await both(world, "!next-meeting", "next-meeting"):
        text = embed_text(answer)
        assert "No upcoming meeting" not in text
        assert field_names(answer) == ["Upcoming"]
        assert "Putin–Kim summit in Vladivostok" in text
        assert "• **25 Apr 2019** (upcoming) — **Putin–Kim summit in Vladivostok**" in text


async def test_timeline_lists_hanoi_before_vladivostok(world: World) -> None:
    for answer in await both(world, "!timeline", "timeline"):
        text = embed_text(answer)
        assert title(answer) == "Timeline"
        hanoi = text.index("Trump–Kim summit in Hanoi")
        vladivostok = text.index("Putin–Kim summit in Vladivostok")
        assert hanoi < vladivostok
        assert "• **27–28 Feb 2019** — **Trump–Kim summit in Hanoi** (held)" in text


async def test_search_finds_sanctions_facts_with_citations(world: World) -> None:
    for answer in await both(world, "!search sanctions", "search", {"query": "sanctions"}):
        text = embed_text(answer)
        assert title(answer) == "Search: sanctions"
        assert re.search(r"\d+ match(es)?, most relevant first", text)
        assert f"f{SANCTIONS_FACT_ID}" in (quotes_button(answer) or "").split(":")[-1].split(",")
        assert f"💬 “{STATE_DEPT}" in text  # tagged as a quote in the mixed list
        assert "💬 their own words" in text  # the legend
        assert footer(answer).startswith("S1 · Apr 2019")


async def test_fact_shows_the_verbatim_quote(world: World) -> None:
    answers = await both(world, "!fact 12", "fact show", {"fact_id": SANCTIONS_FACT_ID})
    for answer in answers:
        text = embed_text(answer)
        assert title(answer) == f"Fact {SANCTIONS_FACT_ID}"
        assert "Verbatim from the source" in field_names(answer)
        assert f"“{STATE_DEPT},”" in text
        assert "— U.S. State Department [1]" in text  # the holder at the end
        assert footer(answer).startswith("S1 · Apr 2019")


async def test_sources_marks_our_title_and_unknown_fields(world: World) -> None:
    for answer in await both(world, "!sources", "sources"):
        text = embed_text(answer)
        assert title(answer) == "Sources"
        assert "S1: Kim Jong Un turns to Putin ahead of the Vladivostok summit (title ours)" in text
        assert "publisher: unknown" in text
        assert "author: unknown" in text
        assert "URL unknown" in text


async def test_source_shows_the_opening_of_the_text(world: World) -> None:
    answers = await both(world, "!source 1", "source show", {"source_id": 1})
    for answer in answers:
        text = embed_text(answer)
        assert title(answer) == "Source S1"
        assert "(title ours)" in text
        assert "Opening" in field_names(answer)
        assert "Mere weeks after Kim Jung Un and U.S. President Donald Trump met in Hanoi" in text


async def test_about_shows_version_and_counts(world: World) -> None:
    counts = await world.bot.store.counts(world.guild)
    for answer in await both(world, "!about", "about"):
        text = embed_text(answer)
        assert title(answer) == "About this briefing bot"
        assert f"Version {bot_package.__version__}" in text
        assert (
            f"{counts.facts} facts, {counts.meetings} meetings, 1 source, "
            f"{counts.entities} entities"
        ) in text
        assert counts.facts > 1 and counts.meetings > 1 and counts.sources == 1


async def test_help_lists_every_command_and_is_private_as_slash(world: World) -> None:
    by_prefix, by_slash = await both(world, "!help", "help")
    for answer in (by_prefix, by_slash):
        lines = answer["embeds"][0]["description"].splitlines()
        assert title(answer) == "Briefing commands"
        for name in catalog.NAMES:
            # One line per command, starting with its usage.
            assert sum(line.startswith(f"`!{name}") for line in lines) >= 1, (name, lines)
        # Moderators' commands are not shown to everyone.
        assert not any(
            name in answer["embeds"][0]["description"] for name in ("fact add", "modrole")
        )
    assert is_ephemeral(by_slash)


async def test_help_mod_is_shown_to_moderators_only(world: World) -> None:
    refused = await world.ask("!help mod", user=world.dave)
    assert "for this server's moderators only" in embed_text(refused)
    assert "fact add" not in embed_text(refused)
    shown = await world.ask("!help mod", user=world.mod)
    assert title(shown) == "Moderator commands"
    for name in catalog.MODERATOR_NAMES:
        assert f"`!{name}" in shown["embeds"][0]["description"], name
    slash = await world.slash("help", {"command": "mod"}, user=world.mod)
    assert title(slash) == "Moderator commands" and is_ephemeral(slash)
    slash_member = await world.slash("help", {"command": "mod"}, user=world.dave)
    assert "moderators only" in embed_text(slash_member) and is_ephemeral(slash_member)


# --- 2. citations and the Quotes button -----------------------------------------------------


async def test_answers_carry_markers_sources_footer_and_a_quotes_button(world: World) -> None:
    actors = embed_text(await world.ask("!who"))
    assert re.findall(r"\[(\d+)\]", actors)[:3] == ["1", "2", "3"]  # one a line, in order
    answer = await world.ask("!sanctions")
    assert footer(answer) == "S1 · Apr 2019 · /sources · [n] → Quotes"
    assert "\n" not in footer(answer) and "`" not in footer(answer)
    assert quotes_button(answer) is not None

    # Anyone may read the quotes, privately.
    click = await world.fake.click_button(
        world.channel, world.dave, answer["id"], quotes_button(answer)
    )
    quotes = await world.fake.wait_for_interaction_response(click, timeout=10)
    assert is_ephemeral(quotes)
    assert title(quotes).startswith("Verbatim quotes")
    quote_text = embed_text(quotes)
    assert STATE_DEPT in quote_text
    # The marker maps to its fact and source, once, and the panel says what it covers.
    assert f"**[1] fact {SANCTIONS_FACT_ID} · S1**: “{STATE_DEPT}" in quote_text
    assert "for this answer" in quote_text
    assert "→ Quotes" not in footer(quotes)  # no circular pointer to itself
    # The original answer is untouched.
    assert world.fake.find_message(answer["id"])["embeds"] == answer["embeds"]


async def test_answers_without_citations_have_no_quotes_button(world: World) -> None:
    answer = await world.ask("!sources")
    assert quotes_button(answer) is None


def quotes_button(message: dict) -> str | None:
    """The custom_id of a message's Quotes button: the stateless one of a one-page answer
    ("quotes:f12,…") or the paged answer's own ("answer:quotes")."""
    return next(
        (i for i in button_ids(message) if i.startswith("quotes:") or i == "answer:quotes"),
        None,
    )


# --- 3. pagination --------------------------------------------------------------------------


async def test_only_the_asker_turns_pages(world: World) -> None:
    await add_long_kim_facts(world, 8)
    answer = await world.ask("!search padding", user=world.alice)
    match = PAGE.search(footer(answer))
    assert match, footer(answer)
    assert match.group(1) == "1"
    total = int(match.group(2))
    assert total > 1
    assert {"answer:previous", "answer:next", "answer:quotes"} <= set(button_ids(answer))
    assert component(answer, "answer:previous").get("disabled") is True
    assert not component(answer, "answer:next").get("disabled")

    # Someone else: a private refusal, and the page stays as it was.
    other = await world.fake.click_button(world.channel, world.dave, answer["id"], "answer:next")
    refusal = await world.fake.wait_for_interaction_response(other, timeout=10)
    assert is_ephemeral(refusal)
    assert "Only the person who asked can turn these pages" in refusal["content"]
    assert PAGE.search(footer(world.fake.find_message(answer["id"]))).group(1) == "1"

    # The asker: the same message is edited to page 2.
    mine = await world.fake.click_button(world.channel, world.alice, answer["id"], "answer:next")
    edited = await world.fake.wait_for_interaction_response(mine, timeout=10)
    assert edited["op"] == "edit"
    assert edited["id"] == answer["id"]
    assert f"Page 2/{total}" in footer(edited)
    assert f"Page 2/{total}" in footer(world.fake.find_message(answer["id"]))
    assert not component(edited, "answer:previous").get("disabled")
    assert title(edited) == "Search: padding"


async def test_the_bot_keeps_answering_after_a_page_turn(world: World) -> None:
    await add_long_kim_facts(world, 8)
    answer = await world.ask("!search padding", user=world.alice)
    mine = await world.fake.click_button(world.channel, world.alice, answer["id"], "answer:next")
    edited = await world.fake.wait_for_interaction_response(mine, timeout=10)
    assert "Page 2/" in footer(edited)
    page_two_markers = re.findall(r"\[(\d+)\]", "\n".join(field_names(edited)) + embed_text(edited))
    assert page_two_markers

    # Quotes now show the citations of page 2, and other commands still work.
    click = await world.fake.click_button(world.channel, world.dave, answer["id"], "answer:quotes")
    quotes = await world.fake.wait_for_interaction_response(click, timeout=3)
    assert is_ephemeral(quotes)
    assert set(re.findall(r"\[(\d+)\]", embed_text(quotes))) == set(page_two_markers)
    await world.fake.send_message(world.channel, world.dave, "!who putin")
    later = await world.fake.wait_for_message(world.channel, timeout=3)
    assert title(later) == "Vladimir Putin"


async def test_buttons_on_answers_from_before_a_restart_still_answer(world: World) -> None:
    answer = await world.ask("!who kim")
    await world.restart()
    click = await world.fake.click_button(
        world.channel, world.dave, answer["id"], quotes_button(answer)
    )
    # Discord gives a bot 3 seconds to acknowledge an interaction.
    reply = await world.fake.wait_for_interaction_response(click, timeout=3.2)
    assert is_ephemeral(reply)


async def test_page_buttons_from_before_a_restart_say_they_expired(world: World) -> None:
    """Page buttons under an answer from before a restart have nothing behind them: a
    click is told so, privately, instead of "This interaction failed"; a live one still
    turns the page."""
    await add_long_kim_facts(world, 8)
    answer = await world.ask("!search padding", user=world.alice)
    await world.restart()
    click = await world.fake.click_button(world.channel, world.alice, answer["id"], "answer:next")
    reply = await world.fake.wait_for_interaction_response(click, timeout=3.2)
    assert is_ephemeral(reply)
    assert "These buttons have expired" in reply["content"]
    assert PAGE.search(footer(world.fake.find_message(answer["id"]))).group(1) == "1"

    fresh = await world.ask("!search padding", user=world.alice)
    mine = await world.fake.click_button(world.channel, world.alice, fresh["id"], "answer:next")
    assert "Page 2/" in footer(await world.fake.wait_for_interaction_response(mine, timeout=10))


# --- 4. autocomplete ------------------------------------------------------------------------


async def test_who_autocomplete_offers_canonical_names(world: World) -> None:
    latin = await world.fake.autocomplete(world.channel, world.alice, "who", "name", "ki")
    assert "Kim Jong Un" in [choice["name"] for choice in latin]
    assert all(choice["name"] == choice["value"] for choice in latin)
    hangul = await world.fake.autocomplete(world.channel, world.alice, "who", "name", "김")
    assert "Kim Jong Un" in [choice["value"] for choice in hangul]


# --- 5. deferred slash answers --------------------------------------------------------------


async def test_a_slow_slash_answer_is_deferred_then_delivered(world: World) -> None:
    world.bot.defer_after = 0
    inter = await world.fake.invoke_slash(world.channel, world.alice, "sanctions", {})
    callback = await world.fake.wait_for_interaction_callback(inter, timeout=10)
    assert callback["type"] == 5
    answer = await world.fake.wait_for_interaction_response(inter, timeout=10)
    assert answer["source"] in {"followup", "webhook_edit"}
    assert title(answer) == "Sanctions on North Korea"
    assert STATE_DEPT in embed_text(answer)
    assert quotes_button(answer) is not None
    assert world.fake.calls_to(None, r"^/webhooks/")


# --- 6. mentions ----------------------------------------------------------------------------


def _no_pings(allowed: dict | None, where: str) -> None:
    assert allowed is not None, f"{where}: no allowed_mentions sent"
    assert allowed.get("parse") == [], f"{where}: {allowed}"
    assert not allowed.get("users"), f"{where}: {allowed}"
    assert not allowed.get("roles"), f"{where}: {allowed}"


def _message_bodies(world: World) -> list[tuple[str, dict]]:
    """Every JSON body the bot sent that creates or edits a message."""
    bodies = []
    for call in world.fake.calls:
        body = call.json
        if not isinstance(body, dict):
            continue
        if re.search(r"^/channels/\d+/messages(/\d+)?$", call.path) or call.path.startswith(
            "/webhooks/"
        ):
            bodies.append((f"{call.method} {call.path}", body))
        elif re.search(r"^/interactions/\d+/[^/]+/callback$", call.path):
            data = body.get("data") or {}
            if any(key in data for key in ("content", "embeds", "components")):
                bodies.append((f"{call.method} {call.path} type {body.get('type')}", data))
    return bodies


async def test_no_message_the_bot_sends_can_ping_anyone(world: World) -> None:
    await world.ask("!who @everyone", user=world.alice)
    await world.ask("!search <@&123> @here", user=world.alice)
    await world.ask(f"!who <@{world.dave}>", user=world.alice)
    await world.ask(f"!who <@&{world.mod_role}>", user=world.alice)
    await world.ask("!nxt-meeting @everyone", user=world.alice)
    answer = await world.ask("!sanctions", user=world.dave)
    await world.ask("!fact 99999", user=world.dave)
    await world.ask("!help", user=world.dave)
    await world.slash("who", {"name": "@everyone"}, user=world.mod)
    await world.slash("search", {"query": "@here sanctions"}, user=world.mod)
    await world.slash("fact show", {"fact_id": 99999}, user=world.mod)
    world.bot.defer_after = 0
    await world.slash("timeline", user=world.owner)
    world.bot.defer_after = 2.0
    click = await world.fake.click_button(
        world.channel, world.owner, answer["id"], quotes_button(answer)
    )
    await world.fake.wait_for_interaction_response(click, timeout=10)
    # A page turn (an interaction UPDATE_MESSAGE edit) last: see the page-turn xfail below.
    await add_long_kim_facts(world, 8)
    paged = await world.ask("!search padding", user=world.mod)
    turn = await world.fake.click_button(world.channel, world.mod, paged["id"], "answer:next")
    assert (await world.fake.wait_for_interaction_response(turn, timeout=10))["op"] == "edit"
    await world.settle()

    logged = world.fake.messages(world.channel)
    assert len(logged) >= 15
    assert any(
        entry["op"] == "edit" and entry["source"] == "interaction_callback" for entry in logged
    )
    for entry in logged:
        if entry["flags"] & LOADING:
            continue  # the "thinking…" placeholder of a deferred answer has no text
        if entry["op"] == "create":
            _no_pings(entry["allowed_mentions"], f"{entry['source']} {embed_text(entry)[:60]!r}")
        elif entry["allowed_mentions"] is not None:
            _no_pings(entry["allowed_mentions"], f"edit {entry['id']}")
    bodies = _message_bodies(world)
    assert bodies
    for where, body in bodies:
        if body.get("content") or body.get("embeds"):
            _no_pings(body.get("allowed_mentions"), where)
    # The text of the answers does not turn into raw mass mentions either.
    assert not any("@everyone" in (entry["content"] or "") for entry in logged)


# --- 7. errors ------------------------------------------------------------------------------


async def test_unknown_command_suggests_the_closest(world: World) -> None:
    reply = await world.ask("!nxt-meeting")
    assert "There is no command `nxt-meeting`" in embed_text(reply)
    assert "Did you mean `!next-meeting`?" in embed_text(reply)


async def test_another_bots_command_gets_no_answer(world: World) -> None:
    """`!` is a common prefix: `!play`, `!ping`, `!rank` are other bots' commands, and
    only a close match to one of ours gets "There is no command…"."""
    for content in ["!play despacito", "!ping", "!rank", "!meme", "!stop"]:
        await world.fake.send_message(world.channel, world.alice, content)
    reply = await world.ask("!whoo kim", user=world.dave)
    assert "Did you mean `!who`?" in embed_text(reply)
    logged = await settled_messages(world, world.channel)
    assert len(logged) == 1, [embed_text(e)[:60] for e in logged]


async def test_what_the_bot_remembers_about_notices_is_bounded(world: World) -> None:
    """One entry per user and typed name grew without end; now it is per user and
    kind of notice, and ages."""
    errors = world.bot.get_cog("Errors")
    names = [f"!nxt-meeting{'x' * (n % 3)}" for n in range(3)]
    names += [f"!zq{n}" for n in range(60)]
    for name in names:
        await world.fake.send_message(world.channel, world.alice, name)
    await world.ask("!who kim", user=world.alice)
    assert len(errors.notices) <= 2, len(errors.notices)


async def test_unknown_name_invents_nothing(world: World) -> None:
    reply = await world.ask("!who nobodyxyz")
    text = embed_text(reply)
    assert title(reply) == "No entry for “nobodyxyz”"
    assert "nothing is made up" in text
    assert not field_names(reply)
    assert "(fact " not in text
    assert not re.search(r"\[\d+\]", text)
    assert quotes_button(reply) is None
    assert "Sources:" not in footer(reply)


async def test_fact_with_a_non_number_gives_usage(world: World) -> None:
    reply = await world.ask("!fact abc")
    assert embed_text(reply) == "I couldn't read that. Usage: `!fact <id>`"


async def test_missing_fact_says_so(world: World) -> None:
    reply = await world.ask("!fact 99999")
    assert embed_text(reply) == "There is no fact 99999 in this server's briefing."


async def test_slash_errors_are_private(world: World) -> None:
    missing = await world.slash("fact show", {"fact_id": 99999})
    assert is_ephemeral(missing)
    assert embed_text(missing) == "There is no fact 99999 in this server's briefing."
    source = await world.slash("source show", {"source_id": 424242})
    assert is_ephemeral(source)
    assert "There is no source 424242" in embed_text(source)


async def test_a_slash_error_after_a_defer_is_still_private(world: World) -> None:
    world.bot.defer_after = 0
    inter = await world.fake.invoke_slash(
        world.channel, world.alice, "fact show", {"fact_id": 99999}
    )
    assert (await world.fake.wait_for_interaction_callback(inter, timeout=10))["type"] == 5
    await world.fake.wait_for_interaction_response(inter, timeout=10)
    await world.settle()
    shown = [e for e in inter.entries if e["op"] != "delete" and not e["flags"] & LOADING]
    error = [e for e in shown if "There is no fact 99999" in embed_text(e)]
    assert len(error) == 1
    assert is_ephemeral(error[0])
    # Nothing public is left behind: no thinking placeholder, no public copy of the error.
    public = world.fake.find_message(inter.original_message_id)
    assert public is None or is_ephemeral(public)


async def test_an_unexpected_error_shows_an_id_not_a_traceback(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(*args: object, **kwargs: object) -> briefing.Answer:
        raise RuntimeError("database exploded: secret internals")

    monkeypatch.setattr(briefing, "sanctions", broken)
    for reply in (await world.ask("!sanctions"), await world.slash("sanctions", user=world.dave)):
        text = embed_text(reply)
        assert re.search(r"error id `[0-9a-f]{8}`", text), text
        assert "Traceback" not in text
        assert "RuntimeError" not in text
        assert "secret internals" not in text
    assert is_ephemeral(reply)


# --- 8. cooldown ----------------------------------------------------------------------------


async def test_cooldown_tells_a_spammer_once_and_spares_others(world: World) -> None:
    for _ in range(7):
        await world.fake.send_message(world.channel, world.alice, "!sources")
    # Five answers and one "try again"; the seventh message is ignored.
    for _ in range(6):
        await world.fake.wait_for_message(world.channel, timeout=10)
    other = await world.ask("!sources", user=world.dave)
    assert title(other) == "Sources"
    logged = await settled_messages(world, world.channel)
    try_again = [e for e in logged if "try again" in embed_text(e)]
    answers = [e for e in logged if title(e) == "Sources"]
    assert len(try_again) == 1, [embed_text(e)[:80] for e in logged]
    assert "You're asking a bit fast" in embed_text(try_again[0])
    assert len(answers) == 6  # five for alice, one for dave
    assert len(logged) == 7


async def test_the_cooldown_is_one_bucket_per_user_across_read_commands(world: World) -> None:
    """At most 5 read commands in 10 s per user, whichever commands they are."""
    asked = ["!who kim", "!sanctions", "!timeline", "!sources", "!next-meeting", "!about"]
    for content in asked:
        await world.fake.send_message(world.channel, world.alice, content)
    for _ in asked:
        await world.fake.wait_for_message(world.channel, timeout=10)
    slash = await world.slash("search", {"query": "sanctions"}, user=world.alice)
    other = await world.ask("!who putin", user=world.dave)
    assert title(other) == "Vladimir Putin"
    logged = await settled_messages(world, world.channel)
    throttled = [e for e in logged if "You're asking a bit fast" in embed_text(e)]
    assert len(throttled) == 2, [embed_text(e)[:60] for e in logged]  # the 6th, and the slash
    assert "try again in" in embed_text(throttled[0])
    assert "You're asking a bit fast" in embed_text(slash)
    assert is_ephemeral(slash)
    answered = [e for e in logged if e not in throttled]
    assert len(answered) == 6  # five for alice, one for dave


async def test_moderator_writes_have_a_cooldown_per_moderator(world: World) -> None:
    """A moderator's writes (each a quote check and a write transaction) are paced too;
    another server's moderator is not slowed by it."""
    limit = checks.MODERATOR_RATE
    for number in range(limit + 1):
        await world.fake.send_message(
            world.channel, world.mod, f"!fact retract {90000 + number} cooldown test"
        )
    for _ in range(limit + 1):
        await world.fake.wait_for_message(world.channel, timeout=10)
    logged = await settled_messages(world, world.channel)
    throttled = [e for e in logged if "You're asking a bit fast" in embed_text(e)]
    assert len(throttled) == 1, [embed_text(e)[:60] for e in logged]
    assert len(logged) == limit + 1
    assert all("There is no fact here" in embed_text(e) for e in logged if e not in throttled)
    # The other server's moderator writes at once, and reads are a separate bucket.
    other = await world.ask(
        f"!digest set <#{world.channel_b}> 09:00 UTC",
        user=world.bmod,
        channel=world.channel_b,
    )
    assert "Daily digest set" in embed_text(other)
    read = await world.ask("!who kim", user=world.mod)
    assert title(read) == "Kim Jong Un"


# --- 9. faults ------------------------------------------------------------------------------


async def test_a_rate_limited_answer_arrives_exactly_once(world: World) -> None:
    world.fake.fail_next("POST", r"/channels/\d+/messages$", status=429, retry_after=0.3)
    answer = await world.ask("!who putin")
    assert title(answer) == "Vladimir Putin"
    logged = await settled_messages(world, world.channel)
    assert len(logged) == 1
    posts = world.fake.calls_to("POST", r"/channels/\d+/messages$")
    assert [call.status for call in posts] == [429, 200]


async def test_a_server_error_is_retried_and_answered_once(world: World) -> None:
    world.fake.fail_next("POST", r"/channels/\d+/messages$", status=500)
    await world.fake.send_message(world.channel, world.alice, "!who putin")
    answer = await world.fake.wait_for_message(world.channel, timeout=15)
    assert title(answer) == "Vladimir Putin"
    logged = await settled_messages(world, world.channel)
    assert len(logged) == 1
    posts = world.fake.calls_to("POST", r"/channels/\d+/messages$")
    assert [call.status for call in posts] == [500, 200]


@pytest.mark.parametrize("how", ["prefix", "slash", "refusal"])
async def test_a_shutdown_lets_an_answer_on_its_way_go_out(world: World, how: str) -> None:
    """The drain before a shutdown waits for work in flight: a command's answer (or a
    refusal's error reply) held up by a rate limit still arrives; nothing else runs."""
    path = r"/channels/\d+/messages$" if how != "slash" else r"/interactions/"
    world.fake.fail_next("POST", path, status=429, retry_after=0.8)
    if how == "slash":
        task = asyncio.create_task(world.slash("who", {"name": "putin"}, user=world.alice))
    else:
        text = "!who putin" if how == "prefix" else "!audit"
        await world.fake.send_message(world.channel, world.alice, text)
        task = None
    for _ in range(500):
        if world.fake.calls_to("POST", path):
            break
        await asyncio.sleep(0.01)
    assert len(world.bot.in_flight) == 1
    await world.bot.drain(5.0)
    assert len(world.bot.in_flight) == 0
    posts = world.fake.calls_to("POST", path)
    assert [call.status for call in posts] == [429, 200]
    if task is not None:
        assert title(await task) == "Vladimir Putin"


@pytest.mark.parametrize("close_code", [1006, 4000])
async def test_commands_work_after_the_gateway_drops(world: World, close_code: int) -> None:
    before = await world.ask("!who putin")
    assert title(before) == "Vladimir Putin"
    assert await world.fake.drop_gateway(close_code) in {"resumed", "identified"}
    after = await world.ask("!who kim", user=world.dave)
    assert title(after) == "Kim Jong Un"
    logged = await settled_messages(world, world.channel)
    assert len(logged) == 2
    slash = await world.slash("timeline", user=world.mod)
    assert title(slash) == "Timeline"


# --- 10. slash command sync -----------------------------------------------------------------


async def test_commands_sync_once_and_on_the_owners_request(world: World) -> None:
    fake = world.fake
    assert fake.sync_count >= 1
    registered = {c["name"] for scope in fake.registered_commands.values() for c in scope}
    assert {"who", "sanctions", "next-meeting", "fact", "search"} <= registered
    assert {"timeline", "sources", "source", "about", "help"} <= registered
    synced = fake.sync_count

    await world.restart()
    assert fake.sync_count == synced
    assert title(await world.ask("!who putin")) == "Vladimir Putin"

    refused = await world.ask("!sync", user=world.alice)
    assert embed_text(refused) == "Only the bot's owners can do that."
    assert fake.sync_count == synced

    done = await world.ask("!sync", user=world.owner)
    assert done["content"] == "Slash commands synced."
    assert fake.sync_count == synced + 1


def synced_option(world: World, path: str) -> dict:
    """The synced payload of option `path` ("fact add kind"): what Discord shows users."""
    *names, option = path.split()
    found = {"options": [c for scope in world.fake.registered_commands.values() for c in scope]}
    for name in [*names, option]:
        found = next(o for o in found["options"] if o["name"] == name)
    return found


async def test_slash_users_pick_a_kind_or_a_status_from_a_list(world: World) -> None:
    """`kind` and `status` are offered as choices (Discord takes no other value), and
    the options' descriptions state moderation's own length limits."""
    kinds = ["reported", "quote", "attributed", "opinion"]
    statuses = ["scheduled", "held", "postponed", "cancelled"]
    for path, values in [
        ("fact add kind", kinds),
        ("fact edit kind", kinds),
        ("meeting add status", statuses),
        ("meeting edit status", statuses),
    ]:
        assert [c["value"] for c in synced_option(world, path)["choices"]] == values, path
    assert "at most 500 characters" in synced_option(world, "fact add statement")["description"]
    assert "at most 1000 characters" in synced_option(world, "fact add quote")["description"]
    assert "at most 200 characters" in synced_option(world, "source add title")["description"]
    # The prefix command reads a kind as before: any case, the same refusal otherwise.
    reply = await world.ask(
        "!fact add subject: Kim Jong Un kind: Rumour source: 1 statement: x quote: y",
        user=world.mod,
    )
    assert "`kind` must be one of: reported, quote, attributed, opinion." in embed_text(reply)


# --- 11. intents ----------------------------------------------------------------------------


async def test_the_bot_asks_only_for_the_intents_it_needs(world: World) -> None:
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.message_content = True
    assert world.fake.intents == wanted.value
    assert all(int(p["intents"]) == wanted.value for p in world.fake.identify_payloads)
    assert wanted.value == (1 << 0) | (1 << 9) | (1 << 15)
