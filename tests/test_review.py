"""The review queue without Discord: drafting a stored source, accept, edit, split,
skip, the binding to opener and server, and the store's bounds on open queues."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot import moderation, review
from bot.errors import BadInput, NotFound
from bot.models import Change
from bot.review import ACCEPTED, PENDING, SKIPPED, Queue
from bot.store import Store, reviews
from tests.conftest import FIXED_NOW

GUILD, OTHER, MOD = 111, 222, 7
TEXT = (
    "North Korea and Russia agreed on Monday to open a rail link, the ministry said. "
    "Analysts speculate that Kim Jong Un wants grain. Perhaps it is a gesture."
)


async def new_queue(store: Store, source_id: int, moderator: int = MOD) -> Queue:
    items, left_out = await review.draft_source(store, source_id, GUILD)
    queue = Queue(
        review.new_id(),
        GUILD,
        moderator,
        GUILD,
        source_id,
        items,
        0,
        FIXED_NOW,
        FIXED_NOW + review.QUEUE_LIFETIME,
        left_out,
    )
    await reviews.open_queue(store, queue, per_moderator=3, per_server=5)
    return queue


@pytest.fixture
async def source_id(store: Store) -> int:
    change = Change(actor_id=MOD, guild_id=GUILD, at=FIXED_NOW)
    return await moderation.add_source(
        store, change, title="Rail", text=TEXT, published="2026-11-26"
    )


async def test_drafting_a_stored_source_and_the_queue_round_trips(
    store: Store, source_id: int
) -> None:
    queue = await new_queue(store, source_id)
    assert [item.kind for item in queue.items] == ["reported", "attributed", "opinion"]
    assert queue.items[0].dates == [
        "“on Monday” read as Monday 23 November 2026: the sentence is in the past tense: "
        "the Monday on or before the source's date, Thursday 26 November 2026"
    ]
    loaded = await reviews.load_queue(store, queue.id)
    assert loaded is not None and loaded.items == queue.items and loaded.scope == GUILD


async def test_another_servers_source_cannot_be_drafted(store: Store, source_id: int) -> None:
    with pytest.raises(NotFound):
        await review.draft_source(store, source_id, OTHER)


async def test_accept_writes_once_through_fact_add(store: Store, source_id: int) -> None:
    queue = await new_queue(store, source_id)
    before = (await store.counts(GUILD)).facts
    fact_id, added = await review.accept(store, queue, MOD, FIXED_NOW)
    assert added
    fact = await store.fact(fact_id, GUILD)
    assert fact is not None and fact.guild_id == GUILD
    assert fact.citations[0].quote == queue.items[0].quote
    assert {e.name for e in fact.entities} >= {"Russia"}
    assert (await store.audit_log(GUILD, 1))[0].action == "add"
    # A second press (or a retry after a crash) finds the fact instead of adding another.
    queue.items[0].state = PENDING
    assert await review.accept(store, queue, MOD, FIXED_NOW) == (fact_id, False)
    assert (await store.counts(GUILD)).facts == before + 1
    assert (await store.counts(OTHER)).facts == before


async def test_edit_checks_every_value_like_fact_add(store: Store, source_id: int) -> None:
    queue = await new_queue(store, source_id)
    values = {
        "statement": "Analysts think Kim wants grain.",
        "kind": "attributed",
        "holder": "Analysts",
        "subject": "Kim",
        "quote": "Kim Jong Un wants grain",
    }
    queue.position = 1
    await review.edit(store, queue, **values)
    item = queue.current
    assert (item.statement, item.quote, item.edited) == (
        values["statement"],
        "Kim Jong Un wants grain",
        True,
    )
    assert TEXT[item.start : item.end] == item.quote
    for bad, message in [
        ({"kind": "rumour"}, "`kind` must be one of"),
        ({"quote": "words not in it"}, "word for word"),
        ({"subject": "Nobody Known"}, "no entry for"),
        ({"kind": "quote", "holder": ""}, "needs a holder"),
    ]:
        with pytest.raises(BadInput, match=message):
            await review.edit(store, queue, **{**values, **bad})


async def test_split_at_a_phrase_or_at_the_next_clause(store: Store, source_id: int) -> None:
    queue = await new_queue(store, source_id)
    await review.split(store, queue, "the ministry said")
    assert [i.quote for i in queue.items[:2]] == [
        "North Korea and Russia agreed on Monday to open a rail link,",
        "the ministry said.",
    ]
    with pytest.raises(BadInput, match="not in this candidate"):
        await review.split(store, queue, "grain")
    queue.position = 2  # "Analysts speculate…": one clause, no boundary to cut at
    with pytest.raises(BadInput, match="one clause"):
        await review.split(store, queue, "")


async def test_skip_and_next_pending(store: Store, source_id: int) -> None:
    queue = await new_queue(store, source_id)
    review.skip(queue)
    assert queue.items[0].state == SKIPPED
    assert queue.next_pending(0) == 1
    queue.items[1].state = queue.items[2].state = ACCEPTED
    assert queue.next_pending(0) == 0  # nothing left: stay


def test_only_the_opener_in_the_same_server_before_expiry() -> None:
    queue = Queue("q", GUILD, MOD, GUILD, 1, [], 0, FIXED_NOW, FIXED_NOW + timedelta(hours=1))
    assert queue.refusal(MOD, GUILD, FIXED_NOW) is None
    assert "belongs to the moderator" in (queue.refusal(MOD + 1, GUILD, FIXED_NOW) or "")
    assert "belongs to the moderator" in (queue.refusal(MOD, OTHER, FIXED_NOW) or "")
    assert "expired" in (queue.refusal(MOD, GUILD, FIXED_NOW + timedelta(hours=2)) or "")


async def test_open_queues_are_bounded_per_moderator_and_server(
    store: Store, source_id: int
) -> None:
    first = await new_queue(store, source_id)
    for _ in range(3):
        await new_queue(store, source_id)
    assert await reviews.load_queue(store, first.id) is None  # the oldest of four gave way
    for moderator in range(10, 16):
        await new_queue(store, source_id, moderator)
    rows = await store._all("SELECT COUNT(*) FROM review_queues WHERE guild_id = ?", (GUILD,))
    assert rows[0][0] == 5


async def test_forms_and_buttons_stay_within_discords_limits(store: Store, source_id: int) -> None:
    from cogs.review import EditForm, SplitForm, custom_id, queue_view

    queue = await new_queue(store, source_id)
    queue.items[0].holder = "h" * 300
    edit = EditForm(custom_id(queue, "editform"), queue.current)
    split = SplitForm(custom_id(queue, "splitform"))
    for form in (edit, split):
        assert len(form.title) <= 45 and len(form.custom_id) <= 100
        for item in form.children:
            assert len(item.label) <= 45  # type: ignore[attr-defined]
            default = item.default or ""  # type: ignore[attr-defined]
            assert len(default) <= (item.max_length or 4000)  # type: ignore[attr-defined]
    queue.position = len(queue.items) - 1
    for button in queue_view(queue).children:
        assert len(button.custom_id or "") <= 100  # type: ignore[attr-defined]


def test_the_review_page_shows_stored_text_literally() -> None:
    from bot.render.review import review_embed

    item = review.Item(
        0, 30, "[click](https://evil.example) <@1>", "**Bold** claim", "reported", ""
    )
    queue = Queue("q", GUILD, MOD, GUILD, 1, [item], 0, FIXED_NOW, FIXED_NOW)
    embed = review_embed(queue, "# Title [x](https://evil.example)")
    shown = "\n".join([embed.description or ""] + [f.value or "" for f in embed.fields])
    assert "\\[click\\](https://evil.example) \\<@1\\>" in shown
    assert "\\*\\*Bold\\*\\* claim" in shown
    assert "\\[x\\]" in shown


async def test_accept_honours_the_servers_fact_quota(
    store: Store, source_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot import quotas

    monkeypatch.setattr(quotas, "SERVER_QUOTA", quotas.Quota(25, 2_000_000, 1, 300))
    queue = await new_queue(store, source_id)
    await review.accept(store, queue, MOD, FIXED_NOW)
    queue.position = 1
    with pytest.raises(BadInput, match="its limit of 1"):
        await review.accept(store, queue, MOD, FIXED_NOW)
    assert queue.items[1].state == PENDING
