"""Paging views are bounded in number, not only by their ten-minute timeout: 10,000
members asking for long answers must not pin 10,000 views. Past the bound the oldest
stops, and its buttons say they expired, as after a restart."""

from __future__ import annotations

from bot.views import AnswerView, LivePages
from tests.e2e.conftest import World
from tests.e2e.test_commands import PAGE, add_long_kim_facts, footer


async def test_past_the_bound_the_oldest_page_buttons_expire(world: World) -> None:
    await add_long_kim_facts(world, 8)
    world.bot.live_pages.limit = 2
    answers = [await world.ask("!search padding", user=world.alice) for _ in range(3)]
    assert len(world.bot.live_pages) == 2

    oldest = await world.fake.click_button(
        world.channel, world.alice, answers[0]["id"], "answer:next"
    )
    reply = await world.fake.wait_for_interaction_response(oldest, timeout=3.2)
    assert "These buttons have expired" in reply["content"]

    newest = await world.fake.click_button(
        world.channel, world.alice, answers[2]["id"], "answer:next"
    )
    turned = await world.fake.wait_for_interaction_response(newest, timeout=3.2)
    assert PAGE.search(footer(turned)).group(1) == "2"


def test_live_pages_keep_at_most_their_limit() -> None:
    live = LivePages(limit=3)
    views = [AnswerView.__new__(AnswerView) for _ in range(5)]
    stopped = []
    for number, view in enumerate(views):
        view.stop = lambda number=number: stopped.append(number)  # type: ignore[method-assign]
        live.add(view, 100 + number)
    assert len(live) == 3 and stopped == [0, 1]
    assert 100 not in live and 101 not in live and 104 in live
    live.discard(104)
    assert 104 not in live and len(live) == 2


def test_one_server_flooding_pushes_out_its_own_pages_not_another_servers() -> None:
    """A hostile server asking for many long answers must not expire the page buttons
    of a quiet one: past the bound, the server holding the most live pages gives up
    its oldest."""
    live = LivePages(limit=3)
    stopped: list[int] = []

    def view(number: int) -> AnswerView:
        made = AnswerView.__new__(AnswerView)
        made.stop = lambda: stopped.append(number)  # type: ignore[method-assign]
        return made

    live.add(view(1), 1, scope=10)  # the quiet server's one answer, the oldest of all
    for number in range(2, 8):
        live.add(view(number), number, scope=20)  # the flood
    assert 1 in live, "the quiet server's buttons were expired by another server"
    assert len(live) == 3 and stopped == [2, 3, 4, 5]
    assert 6 in live and 7 in live
