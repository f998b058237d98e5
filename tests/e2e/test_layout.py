"""The summary-first layout through the fake Discord: `who` shows role and key facts,
the rest behind a menu; a not-found answer offers buttons that run its suggestions.
Both are stateless items whose custom ids are validated and answered in the clicker's
own scope, privately."""

from __future__ import annotations

from bot import moderation
from bot.models import Change
from tests.e2e.conftest import World, embed_text

HUGE = "9" * 16


def _components(message: dict) -> list[dict]:
    return [c for row in message.get("components") or [] for c in row.get("components", [])]


def _menu(message: dict) -> dict:
    return next(c for c in _components(message) if c["type"] == 3)


async def test_who_kim_fits_one_screen_and_its_menu_opens_each_kind(world: World) -> None:
    answer = await world.ask("!who kim")
    embed = answer["embeds"][0]
    names = [f["name"] for f in embed["fields"]]
    assert names[:2] == ["Role", "Key reported facts"]
    assert "Views the source attributes to others" not in names
    assert "**More:** 2 more reported · 5 views · 6 opinions · 2 meetings" in embed["description"]
    assert len(embed_text(answer)) < 1400  # summary first: well under one screen
    menu = _menu(answer)
    assert menu["custom_id"] == f"open:who:{(await _kim(world))}"
    values = [option["value"] for option in menu["options"]]
    assert values == ["more reported", "views", "opinions", "meetings"]
    pick = await world.fake.select_menu(
        world.channel, world.dave, answer["id"], menu["custom_id"], ["opinions"]
    )
    opened = await world.fake.wait_for_interaction_response(pick, timeout=10)
    assert opened["flags"] & 64  # private to the one who picked
    text = embed_text(opened)
    assert "The author's opinion (not established fact)" in text
    assert "The author was sure that Kim Jong Un's aim" in text
    assert "Cited lines are as of **April 2019**." in text  # once, not per line


async def test_the_menu_answers_in_the_pickers_own_server(world: World) -> None:
    kim = await _kim(world)
    await moderation.add_fact(
        world.bot.store,
        Change(actor_id=world.mod, guild_id=world.guild, at=world.clock()),
        subject="Kim Jong Un",
        statement="Alpha's own note: Kim was said to favour Kaesong.",
        kind="opinion",
        source=1,
        quote="Kim Jung Un",
    )
    for channel, user, shown in (
        (world.channel, world.dave, True),
        (world.channel_b, world.bob, False),
    ):
        answer = await world.ask("!who kim", user=user, channel=channel)
        menu = _menu(answer)
        assert menu["custom_id"] == f"open:who:{kim}"
        pick = await world.fake.select_menu(
            channel, user, answer["id"], menu["custom_id"], ["opinions"]
        )
        opened = await world.fake.wait_for_interaction_response(pick, timeout=10)
        assert ("Kaesong" in embed_text(opened)) is shown


async def test_a_forged_menu_is_answered_clearly(world: World) -> None:
    answer = await world.ask("!fact 1")
    fake = world.fake
    for custom_id, value in (
        (f"open:who:{HUGE}", "views"),
        ("open:who:0", "views"),
        ("open:sanctions:0", "nonsense"),
    ):
        select = {"type": 3, "custom_id": custom_id, "options": [{"label": "x", "value": value}]}
        stored = fake.find_message(int(answer["id"]))
        message = {**stored, "components": [{"type": 1, "components": [select]}]}
        data = {"custom_id": custom_id, "component_type": 3, "values": [value]}
        inter = fake._new_interaction(3, world.channel, world.dave, data, message=message)
        reply = await fake.wait_for_interaction_response(inter, timeout=10)
        assert reply["flags"] & 64
        assert "not in this server's briefing" in embed_text(reply) or "not in this server" in (
            reply.get("content") or ""
        ), reply


async def test_sanctions_folds_the_authors_opinions(world: World) -> None:
    answer = await world.ask("!sanctions")
    names = [f["name"] for f in answer["embeds"][0]["fields"]]
    assert "The author's opinion (not established fact)" not in names
    assert "Stated positions (verbatim)" in names
    menu = _menu(answer)
    assert menu["custom_id"] == "open:sanctions:0"
    pick = await world.fake.select_menu(
        world.channel, world.alice, answer["id"], menu["custom_id"], ["opinions"]
    )
    opened = await world.fake.wait_for_interaction_response(pick, timeout=10)
    assert "The author described the sanctions as crippling" in embed_text(opened)


async def test_a_suggestion_button_runs_the_suggestion(world: World) -> None:
    answer = await world.ask("!who kim jung-o")
    assert "Did you mean" in embed_text(answer)
    buttons = [c for c in _components(answer) if c.get("custom_id", "").startswith("suggest:")]
    kim = await _kim(world)
    assert f"suggest:{kim}" in [b["custom_id"] for b in buttons]
    click = await world.fake.click_button(world.channel, world.dave, answer["id"], f"suggest:{kim}")
    reply = await world.fake.wait_for_interaction_response(click, timeout=10)
    assert reply["flags"] & 64
    assert reply["embeds"][0]["title"] == "Kim Jong Un"
    # A forged id beyond any row is refused in one clear line.
    stored = world.fake.find_message(int(answer["id"]))
    button = {"type": 2, "style": 2, "label": "x", "custom_id": f"suggest:{HUGE}"}
    message = {**stored, "components": [{"type": 1, "components": [button]}]}
    data = {"custom_id": f"suggest:{HUGE}", "component_type": 2}
    inter = world.fake._new_interaction(3, world.channel, world.dave, data, message=message)
    forged = await world.fake.wait_for_interaction_response(inter, timeout=10)
    assert forged["flags"] & 64 and "No such entry" in (forged.get("content") or "")


async def _kim(world: World) -> int:
    kim = (await world.bot.store.find_entity("Kim Jong Un")).entity
    assert kim is not None
    return kim.id
