"""Smoke tests: a real discord.py ``commands.Bot`` talking to ``tests.fakediscord``."""

from __future__ import annotations

import asyncio
import io
from collections.abc import AsyncIterator
from dataclasses import dataclass

import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

from tests.conftest import wait_until
from tests.fakediscord import FakeDiscord, pointed_at, run_client, settle, stop_client

pytestmark = [pytest.mark.asyncio, pytest.mark.timeout(60)]

MESSAGES_POST = r"^/channels/\d+/messages$"
BOT_PERMISSIONS = discord.Permissions(ban_members=True, kick_members=True)


class PanelView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Press", custom_id="demo:press")
    async def press(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.send_message("pressed", ephemeral=True)

    @discord.ui.button(label="Close", custom_id="demo:close")
    async def close(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="closed", view=None)


class FeedbackModal(discord.ui.Modal, title="Feedback"):
    text = discord.ui.TextInput(label="Text", custom_id="feedback:text")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"thanks: {self.text.value}")


@app_commands.command(name="echo", description="Echo text back")
async def echo(interaction: discord.Interaction, text: str) -> None:
    await interaction.response.send_message(f"echo: {text}")


@echo.autocomplete("text")
async def echo_autocomplete(
    interaction: discord.Interaction, current: str
) -> list[app_commands.Choice[str]]:
    words = ("kim", "kite", "zed")
    return [app_commands.Choice(name=w, value=w) for w in words if w.startswith(current)]


@app_commands.command(name="slow", description="Deferred answer")
async def slow(interaction: discord.Interaction) -> None:
    await interaction.response.defer(thinking=True)
    await interaction.edit_original_response(content="done slowly")


@app_commands.command(name="feedback", description="Open a modal")
async def feedback(interaction: discord.Interaction) -> None:
    await interaction.response.send_modal(FeedbackModal(custom_id="feedback:modal"))


@app_commands.command(name="purge", description="Moderators only")
@app_commands.default_permissions(manage_messages=True)
@app_commands.choices(scope=[app_commands.Choice(name="All", value="all")])
async def purge(interaction: discord.Interaction, scope: str) -> None:
    await interaction.response.send_message(f"purged {scope}")


fact = app_commands.Group(name="fact", description="Facts about people")


@fact.command(name="add", description="Add a fact")
async def fact_add(interaction: discord.Interaction, who: discord.Member, text: str) -> None:
    await interaction.response.send_message(f"{who.name}: {text}")
    await interaction.followup.send("saved privately", ephemeral=True)


class DemoBot(commands.Bot):
    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = intents.guild_messages = intents.message_content = True
        super().__init__(
            command_prefix="!", intents=intents, allowed_mentions=discord.AllowedMentions.none()
        )

    async def setup_hook(self) -> None:
        for command in (echo, slow, feedback, purge, fact):
            self.tree.add_command(command)
        for command in (ping, twice, panel, upload, recent, ban):
            self.add_command(command)
        await self.tree.sync()


@commands.command()
async def ping(ctx: commands.Context) -> None:
    await ctx.send("pong")


@commands.command()
async def twice(ctx: commands.Context) -> None:
    """Answers, works a little, answers again: what settle() must wait for."""
    await ctx.send("first")
    await asyncio.sleep(0.3)
    await ctx.send("second")


@commands.command()
async def panel(ctx: commands.Context) -> None:
    await ctx.send("panel", view=PanelView())


@commands.command()
async def upload(ctx: commands.Context) -> None:
    await ctx.send("report", file=discord.File(io.BytesIO(b"42"), filename="report.txt"))


@commands.command()
async def recent(ctx: commands.Context) -> None:
    contents = [m.content async for m in ctx.channel.history(limit=3, before=ctx.message)]
    await ctx.send(" | ".join(contents))


@commands.command()
async def ban(ctx: commands.Context, member: discord.Member) -> None:
    try:
        await member.ban(reason="spam")
    except discord.Forbidden as exc:
        await ctx.send(f"cannot ban: {exc.code}")
    else:
        await ctx.send(f"banned {member.name}")


@dataclass
class World:
    fake: FakeDiscord
    bot: DemoBot
    guild: int
    channel: int
    alice: int


@pytest_asyncio.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    fake = await FakeDiscord(heartbeat_interval_ms=500).start()
    try:
        with pointed_at(fake):
            yield fake
    finally:
        await fake.stop()


@pytest_asyncio.fixture
async def world(fake: FakeDiscord) -> AsyncIterator[World]:
    guild = fake.add_guild(name="Alpha", bot_permissions=BOT_PERMISSIONS.value)
    channel = fake.add_channel(guild, name="general")
    alice = fake.add_member(guild, name="alice")
    bot = DemoBot()
    task = await run_client(fake, bot)
    try:
        yield World(fake, bot, guild, channel, alice)
    finally:
        await stop_client(bot, task)


async def say(w: World, content: str, expect: str) -> dict:
    """Post ``content`` as alice and wait for the bot message starting with ``expect``."""
    await w.fake.send_message(w.channel, w.alice, content)
    return await w.fake.wait_for_message(w.channel, lambda m: m["content"].startswith(expect))


async def test_identify_and_prefix_reply(world: World) -> None:
    fake = world.fake
    expected = discord.Intents(guilds=True, guild_messages=True, message_content=True)
    assert fake.intents == expected.value
    assert world.bot.get_guild(world.guild) is not None
    assert world.bot.application_id == fake.application_id
    assert await world.bot.is_owner(discord.Object(fake.owner_id))  # type: ignore[arg-type]
    reply = await say(world, "!ping", "pong")
    assert reply["allowed_mentions"]["parse"] == []
    assert reply["message"]["author"]["id"] == str(fake.bot_user_id)


async def test_slash_command_answer_and_sync(world: World) -> None:
    fake = world.fake
    assert fake.sync_count == 1
    names = {c["name"] for c in fake.registered_commands[None]}
    assert names == {"echo", "slow", "feedback", "purge", "fact"}
    inter = await fake.invoke_slash(world.channel, world.alice, "echo", {"text": "hello"})
    answer = await fake.wait_for_interaction_response(inter)
    assert answer["content"] == "echo: hello"
    assert answer["interaction_id"] == inter.id
    assert inter.callback_type == 4


async def test_autocomplete_choices(world: World) -> None:
    choices = await world.fake.autocomplete(
        world.channel, world.alice, "echo", focused="text", value="ki"
    )
    assert choices == [{"name": "kim", "value": "kim"}, {"name": "kite", "value": "kite"}]


async def test_button_click_and_component_update(world: World) -> None:
    fake = world.fake
    panel_msg = await say(world, "!panel", "panel")
    inter = await fake.click_button(world.channel, world.alice, panel_msg["id"], "demo:press")
    answer = await fake.wait_for_interaction_response(inter)
    assert answer["content"] == "pressed"
    assert answer["ephemeral"]
    inter = await fake.click_button(world.channel, world.alice, panel_msg["id"], "demo:close")
    update = await fake.wait_for_interaction_response(inter)
    assert (update["op"], update["id"], update["content"]) == ("edit", panel_msg["id"], "closed")
    assert update["components"] == []


async def test_modal_submit(world: World) -> None:
    fake = world.fake
    opener = await fake.invoke_slash(world.channel, world.alice, "feedback")
    assert (await fake.wait_for_interaction_callback(opener))["type"] == 9
    inter = await fake.submit_modal(
        world.channel, world.alice, "feedback:modal", {"feedback:text": "great"}
    )
    answer = await fake.wait_for_interaction_response(inter)
    assert answer["content"] == "thanks: great"


async def test_deferred_then_edit_original(world: World) -> None:
    fake = world.fake
    inter = await fake.invoke_slash(world.channel, world.alice, "slow")
    answer = await fake.wait_for_interaction_response(inter)
    assert answer["content"] == "done slowly"
    assert answer["source"] == "webhook_edit"
    assert inter.callback_type == 5
    ops = [(m["op"], m["content"]) for m in fake.messages(world.channel)]
    assert ops == [("create", ""), ("edit", "done slowly")]


async def test_group_subcommand_with_member_option_and_followup(world: World) -> None:
    fake = world.fake
    bob = fake.add_member(world.guild, name="bob")
    inter = await fake.invoke_slash(
        world.channel, world.alice, "fact add", {"who": bob, "text": "tall"}
    )
    answer = await fake.wait_for_interaction_response(inter)
    assert answer["content"] == "bob: tall"
    followup = await fake.wait_for_message(world.channel, lambda m: m["source"] == "followup")
    assert followup["ephemeral"]
    assert followup["interaction_id"] == inter.id


async def test_client_side_command_checks(world: World) -> None:
    fake = world.fake
    with pytest.raises(PermissionError):
        await fake.invoke_slash(world.channel, world.alice, "purge", {"scope": "all"})
    mod = fake.add_member(
        world.guild, name="mod", permissions=discord.Permissions(manage_messages=True).value
    )
    with pytest.raises(ValueError, match="choices"):
        await fake.invoke_slash(world.channel, mod, "purge", {"scope": "some"})
    with pytest.raises(LookupError):
        await fake.invoke_slash(world.channel, mod, "nope")
    inter = await fake.invoke_slash(world.channel, mod, "purge", {"scope": "all"})
    assert (await fake.wait_for_interaction_response(inter))["content"] == "purged all"


async def test_multipart_upload_is_recorded(world: World) -> None:
    reply = await say(world, "!upload", "report")
    assert reply["files"] == ["report.txt"]
    call = world.fake.calls_to("POST", MESSAGES_POST)[-1]
    assert call.json["content"] == "report"
    assert call.files[0].data == b"42"


async def test_history_includes_seeded_messages(world: World) -> None:
    fake = world.fake
    for text in ("one", "two", "three"):
        fake.add_message(world.channel, world.alice, text)
    reply = await say(world, "!recent", "three")
    assert reply["content"] == "three | two | one"


async def test_ban_respects_permissions_and_hierarchy(world: World) -> None:
    fake = world.fake
    bob = fake.add_member(world.guild, name="bob")
    reply = await say(world, f"!ban <@{bob}>", "banned")
    assert reply["content"] == "banned bob"
    assert fake.calls_to("PUT", r"/bans/")[-1].reason == "spam"
    moderator_role = fake.add_role(world.guild, "Mods", permissions=0)
    carol = fake.add_member(world.guild, name="carol", roles=[moderator_role])
    reply = await say(world, f"!ban <@{carol}>", "cannot ban")
    assert reply["content"] == "cannot ban: 50013"


async def test_settle_waits_for_a_handler_still_at_work(world: World) -> None:
    await say(world, "!twice", "first")
    await settle(world.fake)
    assert [m["content"] for m in world.fake.messages(world.channel)] == ["first", "second"]


async def test_settle_names_what_never_settles(world: World) -> None:
    world.fake.fail_next("POST", MESSAGES_POST, status=429, retry_after=5.0)
    await world.fake.send_message(world.channel, world.alice, "!ping")
    await wait_until(lambda: bool(world.fake.calls_to("POST", MESSAGES_POST)), 5, "the send")
    with pytest.raises(TimeoutError, match="still in flight"):
        await settle(world.fake, timeout=0.3)


async def test_429_is_retried_and_answer_arrives_once(world: World) -> None:
    fake = world.fake
    fake.fail_next("POST", MESSAGES_POST, status=429, retry_after=0.2)
    await say(world, "!ping", "pong")
    await settle(world.fake)
    posts = fake.calls_to("POST", MESSAGES_POST)
    assert [(c.status, c.injected) for c in posts] == [(429, True), (200, False)]
    assert [m["content"] for m in fake.messages(world.channel)] == ["pong"]


async def test_drop_1006_then_bot_still_answers(world: World) -> None:
    assert await world.fake.drop_gateway(1006) == "resumed"
    await say(world, "!ping", "pong")


async def test_close_4000_resume_replays_missed_events(world: World) -> None:
    fake = world.fake
    await fake.drop_gateway(4000, reconnect_timeout=None)
    await say(world, "!ping", "pong")  # dispatched while offline, replayed on RESUME
    assert fake.gateway.resume_count == 1
    assert fake.gateway.identify_count == 1


async def test_close_4009_reidentifies(world: World) -> None:
    # discord.py sleeps 5 s before a non-initial IDENTIFY (Client.before_identify_hook).
    assert await world.fake.drop_gateway(4009) == "identified"
    assert world.fake.gateway.identify_count == 2
    await say(world, "!ping", "pong")


async def test_rest_errors_forbidden_and_unknown_channel(world: World) -> None:
    fake, bot = world.fake, world.bot
    fake.forbid_channel(world.channel)
    with pytest.raises(discord.Forbidden) as forbidden:
        await bot.http.send_message(world.channel, params=_params("hi"))
    assert forbidden.value.code == 50013
    fake.remove_channel(world.channel)
    with pytest.raises(discord.NotFound) as missing:
        await bot.http.send_message(world.channel, params=_params("hi"))
    assert missing.value.code == 10003
    with pytest.raises(discord.NotFound):
        await bot.http.request(Route("GET", "/nope"))
    assert fake.calls[-1].route is None


async def test_pointed_at_restores_discord_globals(fake: FakeDiscord) -> None:
    assert fake.api_base == Route.BASE
    with pointed_at(fake):
        assert str(DiscordWebSocket.DEFAULT_GATEWAY) == fake.gateway_url
    assert fake.api_base == Route.BASE  # the outer fixture's setting is back


def _params(content: str) -> discord.http.MultipartParameters:
    return discord.http.handle_message_parameters(content=content)
