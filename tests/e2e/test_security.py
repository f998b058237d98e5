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
