"""The menu of pages under an answer of three pages or more, through the real client and
the fake Discord: each page labelled by what is on it, only the asker may use it (as
with the page buttons), and a forged pick turns to no page that is not there (issue 14)."""

from __future__ import annotations

from bot import moderation
from bot.models import Change
from tests.e2e.conftest import World, button_ids
from tests.e2e.test_commands import PAGE, component, footer

QUOTE = "Mere weeks after Kim Jung Un and U.S. President Donald Trump met in Hanoi"


async def add_long_views(world: World, count: int, repeat: int = 20) -> None:
    """Server A's own long views held by "padders", which `who padders` lists in full."""
    change = Change(actor_id=world.mod, guild_id=world.guild, at=world.clock.now)
    for number in range(count):
        statement = f"Padding view {number} for pagination. " + "Long detail. " * repeat
        await moderation.add_fact(
            world.bot.store,
            change,
            subject="Kim Jong Un",
            statement=statement[:480],
            kind="attributed",
            attributed_to="padders",
            source=1,
            quote=QUOTE,
        )


def _page(message: dict) -> tuple[int, int]:
    found = PAGE.search(footer(message))
    assert found, footer(message)
    return int(found.group(1)), int(found.group(2))


async def _long_answer(world: World) -> dict:
    await add_long_views(world, 20, repeat=40)
    answer = await world.ask("!who padders", user=world.alice)
    assert _page(answer)[1] >= 3
    return answer


async def test_a_long_answer_has_a_menu_of_its_pages(world: World) -> None:
    answer = await _long_answer(world)
    _, total = _page(answer)
    menu = component(answer, "answer:page")
    assert menu["type"] == 3
    labels = [(o["label"], o.get("description")) for o in menu["options"]]
    assert labels[0] == ("Page 1", "Views the source attributes to others")
    assert [label for label, _ in labels] == [f"Page {n}" for n in range(1, total + 1)]
    assert [o.get("default") for o in menu["options"]][:2] == [True, False]


async def test_only_the_asker_can_use_the_menu(world: World) -> None:
    answer = await _long_answer(world)
    _, total = _page(answer)
    other = await world.fake.select_menu(
        world.channel, world.dave, answer["id"], "answer:page", [str(total - 1)]
    )
    refusal = await world.fake.wait_for_interaction_response(other, timeout=10)
    assert refusal["flags"] & 64
    assert "Only the person who asked can turn these pages" in refusal["content"]
    assert _page(world.fake.find_message(answer["id"]))[0] == 1
    mine = await world.fake.select_menu(
        world.channel, world.alice, answer["id"], "answer:page", [str(total - 1)]
    )
    edited = await world.fake.wait_for_interaction_response(mine, timeout=10)
    assert edited["id"] == answer["id"] and _page(edited) == (total, total)
    assert component(edited, "answer:next").get("disabled") is True
    chosen = [o["label"] for o in component(edited, "answer:page")["options"] if o.get("default")]
    assert chosen == [f"Page {total}"]


async def test_a_forged_pick_stays_within_the_pages(world: World) -> None:
    answer = await _long_answer(world)
    _, total = _page(answer)
    for value, expected in (("999999", total), ("x", total), ("0", 1)):
        pick = await world.fake.select_menu(
            world.channel, world.alice, answer["id"], "answer:page", [value]
        )
        edited = await world.fake.wait_for_interaction_response(pick, timeout=10)
        assert _page(edited)[0] == expected, value


async def test_two_pages_need_no_menu(world: World) -> None:
    await add_long_views(world, 8, repeat=40)
    answer = await world.ask("!who padders", user=world.alice)
    assert _page(answer)[1] == 2
    assert "answer:page" not in button_ids(answer)
