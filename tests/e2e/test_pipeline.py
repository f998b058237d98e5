"""Issue 13 from end to end: a moderator follows a feed, a new item appears, they draft
it, accept three candidates (editing one), skip the rest; members then see the new
facts, cited and labelled, and the next digest lists them as added."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.conftest import FIXED_NOW
from tests.e2e.conftest import World, button_ids, embed_text, open_folded
from tests.e2e.test_digest import (
    NEXT_9AM_KST,
    digests_in,
    new_channel,
    set_digest,
    stop_digest_loop,
)
from tests.e2e.test_digest import tick as tick_digests
from tests.e2e.test_feeds import follow, posts, review_channel, site  # noqa: F401 (fixture)
from tests.e2e.test_feeds import tick as tick_feeds
from tests.e2e.test_review import fact_number, press
from tests.web.site import Site

PARAGRAPHS = (
    "North Korea and Russia agreed on Monday to reopen a rail link across the Tumen River, "
    "the Russian transport ministry said in a statement to reporters in Moscow.",
    "Analysts speculate that Kim Jong Un wants Russian grain and fuel before the winter "
    "sets in along the border.",
    "“We will build this bridge together, whatever anyone in the West says about it,” "
    "Vladimir Putin said at a meeting with officials.",
    "The link is obviously a political gesture as much as it is a trade route between the "
    "two neighbours.",
    "China has not commented on the plan, which its own rail operators had proposed years ago.",
)
EDITED = "Putin said Russia and North Korea would build the Tumen bridge together."


async def test_follow_draft_review_and_members_and_the_digest_see_the_facts(
    world: World,
    site: Site,  # noqa: F811 (the feed tests' fixture)
) -> None:
    await stop_digest_loop(world)
    digests = await new_channel(world, world.guild, "digests")
    await set_digest(world, digests)
    world.clock.now = FIXED_NOW + timedelta(minutes=5)
    site.add_entry("tumen", "Koreas and Russia to reopen Tumen rail link", FIXED_NOW, PARAGRAPHS)
    review = await review_channel(world)
    await follow(world, site, review)
    await tick_feeds(world)
    (item,) = posts(world, review, "Koreas and Russia to reopen Tumen rail link")
    draft = await world.fake.click_button(review, world.mod, int(item["id"]), button_ids(item)[0])
    page = await world.fake.wait_for_interaction_response(draft, timeout=20)
    assert page["ephemeral"]
    text = embed_text(page)
    assert "candidate 1 of" in text and "Nothing is added until you press Accept" in text
    total = int(text.split("candidate 1 of ")[1].split()[0])

    # Accept until the Putin quotation, which is edited first; skip what is left.
    accepted: list[int] = []
    channel = review
    while len(accepted) < 3:
        text = embed_text(page)
        if "Russian grain" in text or "North Korea and Russia agreed" in text:
            page = await press(world, page, "accept", channel=channel)
            accepted.append(fact_number(page))
        elif "build this bridge together" in text:
            click = await world.fake.click_button(
                channel, world.mod, int(page["id"]), _button(page, "edit")
            )
            modal = await world.fake.wait_for_interaction_callback(click, timeout=10)
            submitted = await world.fake.submit_modal(
                channel,
                world.mod,
                modal["data"]["custom_id"],
                {
                    "statement": EDITED,
                    "kind": "quote",
                    "holder": "Vladimir Putin",
                    "subject": "Putin",
                    "quote": "We will build this bridge together, whatever anyone in the West "
                    "says about it",
                },
            )
            page = await world.fake.wait_for_interaction_response(submitted, timeout=10)
            page = world.fake.find_message(int(page["id"])) or page
            page = await press(world, page, "accept", channel=channel)
            accepted.append(fact_number(page))
        else:
            page = await press(world, page, "skip", channel=channel)
    while "Every candidate is reviewed" not in embed_text(page):
        page = await press(world, page, "skip", channel=channel)
    assert f"3 accepted · {total - 3} skipped · 0 pending" in embed_text(page)

    # Members see the facts, cited and labelled.
    summary = await world.ask("!who putin", user=world.alice)
    assert "1 quote" in embed_text(summary)  # folded, one pick away
    who = await open_folded(world, summary, "quotes")
    assert "— Vladimir Putin [" in who and "whatever anyone in the West" in who
    found = embed_text(await world.ask("!search rail link", user=world.dave))
    assert "• 📰 " in found and "Tumen River" in found
    assert re.search(r"S[2-9] · [^\n]*· /sources", found)  # the cited source, in the footer
    analysts = embed_text(await world.ask("!who analysts", user=world.alice))
    assert "Russian grain and fuel" in analysts

    # The next digest lists them as added.
    world.clock.now = NEXT_9AM_KST
    await tick_digests(world)
    digest = "\n".join(embed_text(m) for m in digests_in(world, digests))
    for fact_id in accepted:
        added = await world.bot.store.fact(fact_id, world.guild)
        assert added is not None
        # A quote shows its words verbatim; other kinds their statement.
        shown = added.citations[0].quote if added.kind.value == "quote" else added.statement
        assert shown.split(",")[0][:40] in digest


def _button(message: dict, action: str) -> str:
    return next(i for i in button_ids(message) if i.startswith("review:") and f":{action}:" in i)
