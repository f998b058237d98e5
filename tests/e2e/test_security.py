"""Findings of the security review (issue 9) that have no other home, end to end:
a moderator pointing the digest at a channel they cannot use, `modrole set @everyone`,
and ids too large for the store, typed or forged."""

from __future__ import annotations

import discord

from tests.e2e.conftest import World, embed_text

VIEW = discord.Permissions(view_channel=True).value
SEND = discord.Permissions(send_messages=True).value
BOT_CAN_POST = discord.Permissions(view_channel=True, send_messages=True, embed_links=True).value
HUGE = 2**64 + 7  # above SQLite's (and Discord's) 2^63 - 1


def hidden_channel(world: World, name: str, *, deny: int) -> int:
    """A channel in server A that the bot can post in but the moderators' role cannot
    (and @everyone neither): `deny` is taken from both."""
    channel = world.fake.add_channel(world.guild, name)
    world.fake.set_channel_permissions(channel, world.guild, deny=deny)
    world.fake.set_channel_permissions(channel, world.mod_role, deny=deny)
    world.fake.set_channel_permissions(channel, world.fake.bot_user_id, allow=BOT_CAN_POST)
    return channel


# --- the digest goes only where the moderator could post it themselves ---------------------


async def test_a_moderator_cannot_point_the_digest_at_a_channel_they_cannot_see(
    world: World,
) -> None:
    secret = hidden_channel(world, "staff-only", deny=VIEW)
    reply = await world.ask(f"!digest set <#{secret}> 09:00 UTC", user=world.mod)
    text = embed_text(reply)
    assert "You can't see or post in" in text, text
    assert "Nothing was changed" in text
    assert await world.bot.store.digest(world.guild) is None


async def test_a_moderator_cannot_point_the_digest_at_a_channel_they_cannot_post_in(
    world: World,
) -> None:
    announcements = hidden_channel(world, "announcements", deny=SEND)
    answer = await world.slash(
        "digest set", {"channel": announcements, "time": "09:00"}, user=world.mod
    )
    assert "You can't see or post in" in embed_text(answer)
    assert answer["flags"] & 64  # private
    assert await world.bot.store.digest(world.guild) is None


async def test_a_moderator_may_choose_a_channel_they_can_post_in(world: World) -> None:
    news = world.fake.add_channel(world.guild, "news")
    reply = await world.ask(f"!digest set <#{news}> 09:00 UTC", user=world.mod)
    assert "Daily digest set for" in embed_text(reply)
    sub = await world.bot.store.digest(world.guild)
    assert sub is not None and sub.channel_id == news


# --- modrole set @everyone would make every member a moderator --------------------------


async def test_modrole_set_everyone_is_refused(world: World) -> None:
    by_prefix = await world.ask("!modrole set @everyone", user=world.owner)
    by_slash = await world.slash("modrole set", {"role": world.guild}, user=world.owner)
    for reply in (by_prefix, by_slash):
        text = embed_text(reply)
        assert "@everyone" in text and "every member" in text, text
        assert "Nothing was changed" in text
    assert await world.bot.store.mod_role(world.guild) is None
    # And a plain member is still refused a moderator's command.
    refused = await world.ask("!fact retract 1 no reason", user=world.alice)
    assert "Only this server's moderators" in embed_text(refused)


# --- ids beyond 2^63 are refused at parsing, typed or forged ----------------------------

DISCORD_INT_MAX = 2**53 - 1  # Discord refuses integer options (and bounds) beyond this


def integer_options(options: list[dict]):
    for option in options:
        if option["type"] == 4:
            yield option
        yield from integer_options(option.get("options") or [])


async def test_no_integer_option_has_a_bound_discord_would_reject(world: World) -> None:
    commands = [c for scope in world.fake.registered_commands.values() for c in scope]
    bounds = [
        (command["name"], option["name"], option.get("max_value"))
        for command in commands
        for option in integer_options(command.get("options") or [])
    ]
    assert bounds
    too_big = [b for b in bounds if b[2] is None or b[2] > DISCORD_INT_MAX]
    assert not too_big, too_big


async def forged_slash(world: World, user: int, command: str, options: dict, **forged) -> dict:
    """A slash command whose option values skip the checks a Discord client makes (as a
    forged or buggy client could send): built with valid values, then overwritten."""
    fake = world.fake
    data = fake._command_data(world.channel, user, command, options)

    def overwrite(node: dict) -> None:
        for option in node.get("options") or []:
            if option["name"] in forged:
                option["value"] = forged[option["name"]]
            overwrite(option)

    overwrite(data)
    inter = fake._new_interaction(2, world.channel, user, data, name=command)
    return await fake.wait_for_interaction_response(inter, timeout=10)


def assert_clear_refusal(reply: dict) -> None:
    text = embed_text(reply)
    assert "out of range" in text, text
    assert "error id" not in text and "went wrong" not in text, text


async def test_a_huge_source_number_is_refused_clearly(world: World) -> None:
    typed = [
        f"!fact add subject: Kim kind: opinion source: {HUGE} statement: x quote: signals",
        f"!meeting add title: T when: 2026-12-03 where: Seoul participants: Kim "
        f"source: {HUGE} quote: signals",
        f"!fact {HUGE}",
        f"!source {HUGE}",
        f"!fact edit {HUGE} statement: x",
    ]
    for content in typed:
        assert_clear_refusal(await world.ask(content, user=world.mod))
    options = {"subject": "Kim", "kind": "opinion", "source": 1, "statement": "x", "quote": "q"}
    forged = await forged_slash(world, world.owner, "fact add", options, source=HUGE)
    assert_clear_refusal(forged)
    assert forged["flags"] & 64
    forged_fact = await forged_slash(world, world.dave, "fact show", {"fact_id": 1}, fact_id=HUGE)
    assert_clear_refusal(forged_fact)
    assert (await world.bot.store.counts(world.guild)).facts == 21


async def test_a_forged_quotes_button_with_a_huge_id_is_answered_clearly(world: World) -> None:
    answer = await world.ask("!fact 1")
    fake = world.fake
    for custom_id in (f"quotes:f{HUGE}", f"quotes:m{'9' * 90}", "quotes:f0,m0"):
        # The message as a forged interaction carries it, with the forged button on it.
        button = {"type": 2, "style": 1, "label": "Quotes", "custom_id": custom_id}
        stored = fake.find_message(int(answer["id"]))
        message = {**stored, "components": [{"type": 1, "components": [button]}]}
        data = {"custom_id": custom_id, "component_type": 2}
        inter = fake._new_interaction(3, world.channel, world.dave, data, message=message)
        reply = await fake.wait_for_interaction_response(inter, timeout=10)
        assert reply["flags"] & 64
        assert "No quotes to show" in embed_text(reply), embed_text(reply)
