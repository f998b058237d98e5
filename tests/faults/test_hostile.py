"""Hostile input to every command, by prefix and by slash, and spam.

Arguments are fuzzed with empty and huge values, control, zero-width and right-to-left
characters, Hangul and emoji, markdown and code blocks, mass and role mentions, SQL,
FTS5 syntax, malformed flags, impossible dates and unknown zones. Each command gets one
reply: a clear message or a correct answer, never an error id or a traceback. Nothing
the bot sends can ping. The store changes only when a moderator's write was valid, and
then by exactly one audited change in that server. The bot stays responsive.

Read commands have a per-user cooldown (5 in 10 s), so every example asks as a new
member, in a new channel (which also shows that each command got exactly one reply).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.faults.conftest import (
    QUOTE,
    LoopLag,
    World,
    assert_cannot_ping,
    assert_no_leak,
    embed_text,
    settled_messages,
    stored_state,
    title,
)

CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
FRAGMENTS = [
    "",
    " ",
    "kim",
    "김정은",
    "Путин",
    "🚀",
    "👨‍👩‍👧‍👦",
    "\x00",
    "\x07",
    "\x1b[31m",
    "\x7f",
    "\u0085",
    "\r\n",
    "\t",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u202e",
    "\u2066",
    "\u061c",
    "**bold**",
    "__u__",
    "||spoiler||",
    "> quote",
    "[link](https://evil.example)",
    "```",
    "```py\nprint(1)\n```",
    "`",
    "@everyone",
    "@here",
    "<@&{role}>",
    "<@{user}>",
    "<#{channel}>",
    "'; DROP TABLE facts; --",
    '" OR 1=1 --',
    '"',
    "*",
    "NEAR(",
    "NEAR(kim putin, 2)",
    "AND OR",
    "NOT",
    "^kim",
    "statement:kim",
    "(((",
    "-",
    ":",
    "subject:",
    "kind:",
    "source:",
    "quote:",
    "scope: global",
    "Feb 30",
    "25:99",
    "Mars/Olympus",
    "2026-02-30 10:00",
    "-1",
    "0",
    "4611686018427387905",
    "99999999999999999999999999",
    "1e9",
    "١٢",
    "１２",
    "NaN",
]
HUGE = ["x" * 10_000, "김" * 4000, "🚀" * 3000, "@everyone " * 600, "\u200b" * 5000]
DATES = [
    "Feb 30",
    "25:99",
    "2026-02-30 10:00 Asia/Seoul",
    "2027-01-05 25:99 Asia/Seoul",
    "2027-01-05 10:00 Mars/Olympus",
    "Mars/Olympus",
    "next Thursday 15:00 Europe/Moscow",
    "Dec 3 10am KST",
    "2027-03-14 02:30 America/New_York",
    "2027-11-07 01:30 America/New_York",
    "9999-99-99",
    "0000-00-00 00:00",
    "10000-01-01",
    "yesterday",
    "tomorrow 3pm CST",
    "1e400",
    "",
]

CLOCKS = ["09:00", "9am", "9:15 pm", "23:59", "0:00", "24:00", "25:99", "12:60", "noon", "-1"]
ZONES = ["Asia/Seoul", "KST", "utc", "Europe/Moscow", "CST", "Mars/Olympus", "Asia/Seoul/", ""]

# No callback, the bot's or the fake's, may hold the event loop longer than this.
MAX_LAG = 0.05

fragments = st.lists(st.sampled_from(FRAGMENTS), min_size=0, max_size=4).map("".join)
weird_text = st.text(
    alphabet=st.characters(codec="utf-8", categories=["L", "M", "N", "P", "S", "Z", "Cc", "Cf"]),
    max_size=40,
)
hostile = st.one_of(fragments, weird_text, st.sampled_from(HUGE))
dates = st.one_of(st.sampled_from(DATES), fragments)
FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    derandomize=True,
)


@dataclass
class Asker:
    """Sends one command as a new member in a new channel and checks the one reply."""

    world: World
    count: int = 0
    unsent: str = ""  # why the last slash command or form never reached the bot

    def fill(self, value: str) -> str:
        for name, snowflake in [
            ("role", self.world.mod_role),
            ("user", self.world.dave),
            ("channel", self.world.channel),
        ]:
            value = value.replace("{" + name + "}", str(snowflake))
        return value

    def member(self, moderator: bool) -> int:
        self.count += 1
        roles = [self.world.mod_role] if moderator else []
        return self.world.fake.add_member(self.world.guild, f"fuzz{self.count}", roles=roles)

    async def prefix(self, content: str, *, moderator: bool = False) -> dict:
        fake = self.world.fake
        channel = fake.add_channel(self.world.guild, f"fuzz-{self.count}")
        async with LoopLag() as lag:
            await fake.send_message(channel, self.member(moderator), self.fill(content))
            reply = await fake.wait_for_message(channel, timeout=10)
        self.check(reply)
        lag.check(MAX_LAG)
        return reply

    async def slash(
        self, command: str, options: dict, *, moderator: bool = False, form: dict | None = None
    ) -> dict | None:
        async with LoopLag() as lag:
            reply = await self._slash(command, options, moderator=moderator, form=form)
        lag.check(MAX_LAG)
        return reply

    async def _slash(
        self, command: str, options: dict, *, moderator: bool = False, form: dict | None = None
    ) -> dict | None:
        """The visible answer to a slash command; if the bot opens a form (modal), it is
        filled with the defaults the bot gave plus ``form``, as Discord's client would."""
        fake = self.world.fake
        channel = fake.add_channel(self.world.guild, f"fuzz-{self.count}")
        user = self.member(moderator)
        filled = {k: self.fill(v) if isinstance(v, str) else v for k, v in options.items()}
        self.unsent = ""
        try:
            inter = await fake.invoke_slash(channel, user, command, filled)
        except ValueError as refused:
            # Discord's client would not send it (length, type or range)
            self.unsent = f"Discord's client refuses the options: {refused}"
            return None
        callback = await fake.wait_for_interaction_callback(inter, timeout=10)
        if callback["type"] != 9:
            reply = await fake.wait_for_interaction_response(inter, timeout=10)
            self.check(reply)
            return reply
        modal = callback["data"]
        inputs = [c for row in modal["components"] for c in row.get("components", [])]
        values = {c["custom_id"]: c.get("value") or "" for c in inputs}
        values |= {k: self.fill(v) for k, v in (form or {}).items() if k in values}
        for spec in inputs:
            value = values[spec["custom_id"]]
            too_long = len(value) > spec.get("max_length", 4000)
            if too_long or (spec.get("required", True) and not value):
                # the form won't submit: Discord's client enforces these
                self.unsent = f"the form refuses {spec['custom_id']}: {len(value)} characters"
                return None
        submitted = await fake.submit_modal(channel, user, modal["custom_id"], values)
        reply = await fake.wait_for_interaction_response(submitted, timeout=10)
        self.check(reply)
        return reply

    def check(self, reply: dict) -> None:
        assert_no_leak(reply)
        assert_cannot_ping(reply)
        assert embed_text(reply).strip(), "an empty reply"


async def unchanged_or_one_change(
    world: World, before: tuple, reply: dict, acknowledged: Callable[[str], bool]
) -> bool:
    """A write either changed this server by exactly one audited change, and said so, or
    changed nothing anywhere."""
    after = await stored_state(world)
    if acknowledged(embed_text(reply)):
        assert after[1:3] == before[1:3] and after[4:] == before[4:]
        assert len(after[3]) == len(before[3]) + 1, (before[3][:3], after[3][:3])
        return True
    assert after == before, embed_text(reply)[:300]
    return False


async def answered_or_unsent(
    world: World,
    asker: Asker,
    before: tuple,
    reply: dict | None,
    acknowledged: Callable[[str], bool],
) -> None:
    """A slash write either got its reply (checked as `unchanged_or_one_change`) or was
    never sent, because Discord's client refuses such options or such a form; then it
    changed nothing."""
    if reply is not None:
        await unchanged_or_one_change(world, before, reply, acknowledged)
        return
    assert asker.unsent, "the bot never answered"
    assert await stored_state(world) == before, asker.unsent


def no_control_in_stored_text(world: World) -> None:
    import sqlite3

    conn = sqlite3.connect(world.db_path)
    try:
        rows = conn.execute(
            "SELECT statement, COALESCE(attributed_to, '') FROM facts "
            "UNION ALL SELECT title, '' FROM meetings UNION ALL SELECT title, '' FROM sources"
        ).fetchall()
    finally:
        conn.close()
    for row in rows:
        for text in row:
            assert not CONTROL.search(text), repr(text[:80])


@pytest.fixture
def asker(world: World) -> Asker:
    return Asker(world)


# --- read commands ----------------------------------------------------------------------


READ_PREFIX = ["who", "search", "fact", "source", "meeting", "help", "sanctions", "timeline"]


@FUZZ
@given(command=st.sampled_from(READ_PREFIX), value=hostile)
async def test_read_commands_by_prefix_survive_hostile_arguments(
    world: World, asker: Asker, command: str, value: str
) -> None:
    before = await stored_state(world)
    await asker.prefix(f"!{command} {value}")
    assert await stored_state(world) == before


@FUZZ
@given(value=hostile)
async def test_unknown_commands_and_bare_prefixes_survive(
    world: World, asker: Asker, value: str
) -> None:
    fake = world.fake
    channel = fake.add_channel(world.guild, "unknown")
    async with LoopLag() as lag:
        await fake.send_message(channel, asker.member(False), asker.fill(f"!{value}"))
        await fake.send_message(channel, asker.member(False), "!who kim")
        await fake.wait_for_message(channel, lambda e: title(e) == "Kim Jong Un", timeout=10)
        replies = await settled_messages(world, channel)
    lag.check(MAX_LAG)
    # `!who kim`'s answer, and for the unknown command one "no such command" or, as
    # another bot's command would be, silence
    assert 1 <= len(replies) <= 2, [embed_text(e)[:80] for e in replies]
    assert [title(e) for e in replies].count("Kim Jong Un") == 1
    for reply in replies:
        asker.check(reply)


@FUZZ
@given(
    command=st.sampled_from(["who", "search"]),
    value=st.one_of(hostile, st.sampled_from(["x" * 6000, "김" * 6000])),
)
async def test_read_commands_by_slash_survive_hostile_text(
    world: World, asker: Asker, command: str, value: str
) -> None:
    option = "name" if command == "who" else "query"
    before = await stored_state(world)
    reply = await asker.slash(command, {option: value})
    assert reply is not None or asker.unsent, "the bot never answered"
    assert await stored_state(world) == before


@FUZZ
@given(
    command=st.sampled_from(["fact show", "source show", "meeting show", "audit"]),
    number=st.one_of(
        st.integers(-(2**70), 2**70), st.sampled_from([0, 1, -1, 2**62, 2**62 + 1, 2**63])
    ),
)
async def test_numeric_slash_options_survive_any_number(
    world: World, asker: Asker, command: str, number: int
) -> None:
    option = {"fact show": "fact_id", "source show": "source_id", "meeting show": "meeting_id"}
    before = await stored_state(world)
    reply = await asker.slash(command, {option.get(command, "limit"): number}, moderator=True)
    assert reply is not None or asker.unsent, "the bot never answered"
    assert await stored_state(world) == before


@pytest.mark.parametrize(
    ("asked", "expected"),
    [
        ("!who 김정은", "Kim Jong Un"),
        ("!who KIM JONG UN", "Kim Jong Un"),
        ("!who   kim  ", "Kim Jong Un"),
        *[
            pytest.param(
                f"!who {name}",
                "Kim Jong Un",
                id=f"who-{label}",
            )
            for name, label in [
                ("kim\u200b", "zero-width-space"),
                ("\ufeffkim", "bom"),
                ("\u202ekim\u202c", "rtl-override"),
            ]
        ],
        ("!search sanctions*", None),
        ('!search "sanctions', None),
        ("!search sanctions NEAR( russia", None),
        ("!search '; DROP TABLE facts; --", None),
        ("!fact ００１２", None),
    ],
)
async def test_hostile_spellings_of_good_questions_get_answers(
    world: World, asker: Asker, asked: str, expected: str | None
) -> None:
    reply = await asker.prefix(asked)
    if expected:
        assert title(reply) == expected, embed_text(reply)[:300]
    assert await world.bot.store.integrity_check() == "ok"


# --- dates and zones -------------------------------------------------------------------


MEETING = (
    "!meeting add title: Fuzz talks when: {when} where: Seoul participants: Kim Jong Un "
    f"source: 1 quote: {QUOTE}"
)


@pytest.mark.parametrize("command", ["meeting", "digest"])
@pytest.mark.parametrize("path", ["/etc/passwd", "/proc/self/environ"])
async def test_a_file_path_given_as_a_zone_gets_a_clear_message(
    world: World, asker: Asker, command: str, path: str
) -> None:
    before = await stored_state(world)
    if command == "meeting":
        content = MEETING.format(when=f"2027-01-05 10:00 {path}") + " status: scheduled"
    else:
        content = f"!digest set <#{world.channel}> 09:00 {path}"
    reply = await asker.prefix(content, moderator=True)
    assert "Unknown time zone" in embed_text(reply), embed_text(reply)
    assert await stored_state(world) == before


@pytest.mark.skipif(
    not Path("/usr/share/zoneinfo/Asia/Seoul").is_file(), reason="needs the system tz files"
)
@pytest.mark.parametrize("command", ["meeting", "digest"])
@pytest.mark.parametrize(
    "path", ["Asia/../Asia/Seoul", "../../../../usr/share/zoneinfo/Asia/Seoul"]
)
async def test_a_path_is_not_taken_for_a_time_zone(
    world: World, asker: Asker, command: str, path: str
) -> None:
    before = await stored_state(world)
    if command == "meeting":
        content = MEETING.format(when=f"2027-01-05 10:00 {path}")
    else:
        content = f"!digest set <#{world.channel}> 09:00 {path}"
    reply = await asker.prefix(content, moderator=True)
    assert "Unknown time zone" in embed_text(reply), embed_text(reply)
    assert await stored_state(world) == before


@pytest.mark.parametrize("when", ["-1", "2027", "99"])
async def test_a_bare_number_or_year_is_not_taken_for_a_meeting_date(
    world: World, asker: Asker, when: str
) -> None:
    before = await stored_state(world)
    reply = await asker.prefix(MEETING.format(when=when) + " status: held", moderator=True)
    assert "Added meeting" not in embed_text(reply), embed_text(reply)
    assert await stored_state(world) == before


async def test_a_past_meeting_is_not_confirmed_as_upcoming(world: World, asker: Asker) -> None:
    reply = await asker.prefix(MEETING.format(when="2019-04-25") + " status: held", moderator=True)
    assert "Added meeting" in embed_text(reply)
    assert "upcoming" not in embed_text(reply), embed_text(reply)
    assert "past" in embed_text(reply)


# --- moderators' writes ------------------------------------------------------------------


FACT_FIELDS = {
    "subject": "Kim Jong Un",
    "statement": "A fuzzed statement.",
    "kind": "opinion",
    "source": "1",
    "quote": QUOTE,
    "topic": "fuzz",
}


@FUZZ
@given(field=st.sampled_from(sorted(FACT_FIELDS)), value=hostile)
async def test_fact_add_with_one_hostile_field_is_stored_cleanly_or_refused(
    world: World, asker: Asker, field: str, value: str
) -> None:
    fields = dict(FACT_FIELDS) | {field: value}
    content = "!fact add " + " ".join(f"{k}: {v}" for k, v in fields.items())
    before = await stored_state(world)
    reply = await asker.prefix(content, moderator=True)
    await unchanged_or_one_change(world, before, reply, lambda t: "Added fact" in t)
    no_control_in_stored_text(world)


@FUZZ
@given(field=st.sampled_from(["subject", "statement", "quote", "attributed_to"]), value=hostile)
async def test_fact_add_by_slash_with_one_hostile_field_is_stored_cleanly_or_refused(
    world: World, asker: Asker, field: str, value: str
) -> None:
    options: dict = dict(FACT_FIELDS) | {"source": 1, field: value}
    before = await stored_state(world)
    reply = await asker.slash("fact add", options, moderator=True, form={field: value})
    await answered_or_unsent(world, asker, before, reply, lambda t: "Added fact" in t)
    no_control_in_stored_text(world)


@FUZZ
@example(field="statement", value="@everyone **bold** 김정은 🚀")
@given(field=st.sampled_from(["statement", "quote"]), value=hostile)
async def test_the_fact_form_with_one_hostile_field_is_stored_cleanly_or_refused(
    world: World, asker: Asker, field: str, value: str
) -> None:
    """`/fact add` without statement and quote opens a form; one of its fields is hostile."""
    options = {"subject": "Kim Jong Un", "kind": "opinion", "source": 1}
    form = {"statement": "A statement typed in the form.", "quote": QUOTE} | {field: value}
    before = await stored_state(world)
    reply = await asker.slash("fact add", options, moderator=True, form=form)
    await answered_or_unsent(world, asker, before, reply, lambda t: "Added fact" in t)
    no_control_in_stored_text(world)


@FUZZ
@example(when="next Thursday 15:00 Europe/Moscow", status="")
@example(when="Dec 3 10am KST", status="")
@example(when="2019-04-25", status=" status: held")
@given(when=dates, status=st.sampled_from(["", " status: held", " status: Mars"]))
async def test_meeting_add_with_hostile_dates_is_stored_or_refused_clearly(
    world: World, asker: Asker, when: str, status: str
) -> None:
    content = MEETING.format(when=when) + status
    before = await stored_state(world)
    reply = await asker.prefix(content, moderator=True)
    await unchanged_or_one_change(world, before, reply, lambda t: "Added meeting" in t)


@FUZZ
@example(clock="9am", zone_name="Asia/Seoul")
@example(clock="25:99", zone_name="Mars/Olympus")
@given(
    clock=st.one_of(st.sampled_from(CLOCKS), fragments),
    zone_name=st.one_of(st.sampled_from(ZONES), fragments),
)
async def test_digest_set_with_hostile_times_and_zones_is_set_or_refused_clearly(
    world: World, asker: Asker, clock: str, zone_name: str
) -> None:
    before = await stored_state(world)
    reply = await asker.prefix(
        f"!digest set <#{world.channel}> {clock} {zone_name}", moderator=True
    )
    changed = await unchanged_or_one_change(world, before, reply, lambda t: "Daily digest set" in t)
    if changed:
        await asker.prefix("!digest off", moderator=True)


@FUZZ
@given(
    command=st.sampled_from(
        ["fact edit 1 statement:", "fact retract 1", "meeting cancel 1", "source add title:"]
    ),
    value=hostile,
)
async def test_other_writes_with_hostile_values_never_leak_or_change_shared_rows(
    world: World, asker: Asker, command: str, value: str
) -> None:
    """Fact 1 and meeting 1 are shared: a server's moderator may not change them."""
    before = await stored_state(world)
    reply = await asker.prefix(f"!{command} {value}", moderator=True)
    await unchanged_or_one_change(world, before, reply, lambda t: "Added source" in t)


async def test_a_servers_own_fact_edited_with_hostile_text_keeps_it_harmless(
    world: World, asker: Asker
) -> None:
    added = await asker.prefix(
        f"!fact add subject: Kim Jong Un statement: Plain. kind: opinion source: 1 quote: {QUOTE}",
        moderator=True,
    )
    fact_id = int(re.search(r"Added fact (\d+)", embed_text(added)).group(1))  # type: ignore[union-attr]
    for value in [
        "@everyone <@&{role}> look\x00\x07 here\u202e",
        "```\n'; DROP TABLE facts; --\n```",
        "**Kim** said ||nothing|| 🚀 김정은",
    ]:
        before = await stored_state(world)
        reply = await asker.prefix(f"!fact edit {fact_id} statement: {value}", moderator=True)
        assert await unchanged_or_one_change(world, before, reply, lambda t: "corrected" in t)
        shown = await asker.prefix(f"!fact {fact_id}")
        assert title(shown) == f"Fact {fact_id}"
    no_control_in_stored_text(world)
    assert await world.bot.store.integrity_check() == "ok"


async def test_the_bot_is_responsive_and_nothing_it_sent_can_ping(
    world: World, asker: Asker
) -> None:
    """A short fixed tour of the worst values, then every message in every channel."""
    for value in [*HUGE, "@everyone", "<@&{role}>", "'; DROP TABLE facts; --", 'NEAR("*']:
        await asker.prefix(f"!who {value}")
        await asker.prefix(f"!search {value}")
        await asker.prefix(
            f"!fact add subject: Kim Jong Un statement: {value} kind: opinion source: 1 "
            f"quote: {QUOTE}",
            moderator=True,
        )
    assert title(await asker.prefix("!who kim")) == "Kim Jong Un"
    entries = world.fake.log.all_entries()
    assert entries
    for entry in entries:
        assert_cannot_ping(entry)


# --- spam -------------------------------------------------------------------------------


SPAM = 200


async def spam(world: World, content: str, spammer: int) -> tuple[list[dict], list[dict]]:
    """`SPAM` commands from one member in about a second, in their own channel, while
    another member asks five questions in another channel at the same time."""
    fake = world.fake
    noisy = fake.add_channel(world.guild, "noisy")
    calm = fake.add_channel(world.guild, "calm")
    other = fake.add_member(world.guild, "bystander")
    others = ["!who kim", "!sanctions", "!timeline", "!sources", "!fact 12"]
    async with LoopLag() as lag:
        for number in range(SPAM):
            await fake.send_message(noisy, spammer, content)
            if number % 40 == 0:
                await fake.send_message(calm, other, others[number // 40])
            await asyncio.sleep(0.005)
        for _ in others:
            await fake.wait_for_message(calm, timeout=10)
        # asked after the spam: once it is answered, every spammed message reached the bot
        last = fake.add_channel(world.guild, "after-spam")
        await fake.send_message(last, fake.add_member(world.guild, "latecomer"), "!sources")
        assert title(await fake.wait_for_message(last, timeout=10)) == "Sources"
        noisy_replies = await settled_messages(world, noisy)
    lag.check(MAX_LAG)
    return noisy_replies, fake.messages(calm)


@pytest.mark.parametrize(
    "content",
    ["!sources", "!fact twelve", "!search", "!who <@&1> @everyone"],
    ids=["read", "bad-argument", "missing-argument", "mentions"],
)
async def test_a_spammer_gets_a_handful_of_replies_and_others_are_all_answered(
    world: World, content: str
) -> None:
    spammer = world.fake.add_member(world.guild, "spammer")
    noisy, calm = await spam(world, content, spammer)
    assert 1 <= len(noisy) <= 6, [embed_text(e)[:60] for e in noisy]
    assert sum("asking a bit fast" in embed_text(e) for e in noisy) <= 1
    assert sorted(title(e) for e in calm) == sorted(
        ["Kim Jong Un", "Sanctions on North Korea", "Timeline", "Sources", "Fact 12"]
    )
    for entry in noisy + calm:
        assert_no_leak(entry)
        assert_cannot_ping(entry)


async def test_a_spammer_of_unknown_commands_gets_a_handful_of_replies(world: World) -> None:
    spammer = world.fake.add_member(world.guild, "spammer")
    noisy, calm = await spam(world, "!whoo kim", spammer)
    assert len(calm) == 5
    assert 1 <= len(noisy) <= 6, len(noisy)


async def test_a_plain_member_spamming_a_moderator_command_gets_a_handful_of_replies(
    world: World,
) -> None:
    spammer = world.fake.add_member(world.guild, "spammer")
    noisy, calm = await spam(
        world,
        f"!fact add subject: Kim statement: x kind: opinion source: 1 quote: {QUOTE}",
        spammer,
    )
    assert len(calm) == 5
    assert 1 <= len(noisy) <= 6, len(noisy)


# --- the event loop stays free -----------------------------------------------------------


ARTICLE = next((Path(__file__).resolve().parents[2] / "data" / "sources").glob("*.txt"))


def large_source(size: int = 199_000) -> str:
    """A ~200 kB source of the article's words in a shuffled order (what a moderator may
    upload: the largest text the bot accepts)."""
    import random

    words = ARTICLE.read_text(encoding="utf-8").split()
    chooser = random.Random(7)
    text = " ".join(chooser.choice(words) for _ in range(size // 4))
    return text.encode()[:size].decode(errors="ignore")


def near_misses(text: str) -> list[str]:
    """1,000-character quotes that are almost, or not at all, in the source."""
    passage = text[100_000:101_000]
    return [
        passage.replace("e", "E"),
        passage[:500] + "x" + passage[501:],
        "x" * 1000,
        " ".join(["sanctions"] * 110)[:1000],
    ]


async def add_large_source(world: World) -> int:
    """A moderator uploads the largest source the bot takes, as a .txt attachment; the
    upload itself holds the loop no longer than anything else."""
    channel = world.fake.add_channel(world.guild, "upload")
    async with LoopLag() as lag:
        await world.fake.send_message(
            channel,
            world.mod,
            "!source add title: A large upload",
            attachments={"large.txt": large_source().encode()},
        )
        reply = await world.fake.wait_for_message(channel, timeout=20)
    lag.check(MAX_LAG)
    found = re.search(r"Added source S(\d+)", embed_text(reply))
    assert found, embed_text(reply)[:300]
    return int(found.group(1))


async def test_near_miss_quotes_against_a_large_source_never_hold_the_loop(
    world: World, asker: Asker
) -> None:
    """Moderators' near misses in a row, then a member of the other server asks
    `!sanctions`: every callback is short, and the member's answer comes quickly."""
    source_id = await add_large_source(world)
    fake = world.fake
    loop = asyncio.get_running_loop()
    async with LoopLag() as lag:
        channels = []
        for quote in near_misses(large_source()):
            content = (
                "!fact add subject: Kim Jong Un statement: Near. kind: opinion "
                f"source: {source_id} quote: {quote}"
            )
            channels.append(fake.add_channel(world.guild, "near-miss"))
            await fake.send_message(channels[-1], asker.member(True), content)
        sent = loop.time()
        await fake.send_message(world.channel_b, world.bob, "!sanctions")
        answer = await fake.wait_for_message(
            world.channel_b, lambda e: title(e) == "Sanctions on North Korea", timeout=20
        )
        answered_in = loop.time() - sent
        for channel in channels:
            reply = await fake.wait_for_message(channel, timeout=20)
            assert "word for word" in embed_text(reply), embed_text(reply)[:300]
    assert_no_leak(answer)
    assert answered_in < 1.0, f"`!sanctions` took {answered_in:.1f} s"
    lag.check(MAX_LAG)
    # The exact quote, deep in the large source, and reading the source back: each
    # answered with the loop as free (Asker checks every command's callbacks).
    exact = large_source()[150_000:151_000].strip()
    added = await asker.prefix(
        "!fact add subject: Kim Jong Un statement: Exact. kind: opinion "
        f"source: {source_id} quote: {exact}",
        moderator=True,
    )
    assert "Added fact" in embed_text(added), embed_text(added)[:300]
    assert title(await asker.prefix(f"!source {source_id}")) == f"Source S{source_id}"
