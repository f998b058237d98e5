"""The review queue of a drafted source: candidates a moderator accepts, edits, skips or
splits, one at a time. No Discord here: the cog turns clicks into these calls.

A queue belongs to the moderator who opened it, in the server it was opened in, for one
scope, until it expires; every action checks that first (`Queue.refusal`). Accepting
goes through `moderation.add_fact`, the same verified, audited (and quota-checked) write
path as `fact add`; nothing is written any other way.
"""

from __future__ import annotations

import asyncio
import secrets
import weakref
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from bot import drafting, moderation
from bot.drafting import Candidate
from bot.errors import BadInput, NotFound
from bot.models import Change, Kind
from bot.store import Store, reviews
from bot.text import find_quote

QUEUE_LIFETIME = timedelta(hours=24)
QUEUES_PER_MODERATOR = 3  # open queues per moderator per server; the oldest gives way
QUEUES_PER_SERVER = 20
MAX_CANDIDATES = 300
DRAFT_SECONDS = 30.0  # drafting runs off the event loop and is given up on after this
# Drafting is CPU work (a 200 kB source takes 1-3 s): two at a time, whoever asks.
DRAFTS_AT_ONCE = 2
_SLOTS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore] = (
    weakref.WeakKeyDictionary()
)


def _drafting_slots() -> asyncio.Semaphore:
    loop = asyncio.get_running_loop()
    if loop not in _SLOTS:
        _SLOTS[loop] = asyncio.Semaphore(DRAFTS_AT_ONCE)
    return _SLOTS[loop]


PENDING, ACCEPTED, SKIPPED = "pending", "accepted", "skipped"


@dataclass(slots=True)
class Item:
    """One candidate as the queue keeps it: what the drafter proposed, as edited."""

    start: int
    end: int
    quote: str
    statement: str
    kind: str
    reason: str
    holder: str | None = None
    subject: str | None = None
    entity_ids: list[int] = field(default_factory=list)
    dates: list[str] = field(default_factory=list)  # how each relative date was read
    state: str = PENDING
    fact_id: int | None = None
    edited: bool = False

    @classmethod
    def of(cls, candidate: Candidate) -> Item:
        return cls(
            start=candidate.start,
            end=candidate.end,
            quote=candidate.quote,
            statement=candidate.statement,
            kind=candidate.kind.value,
            reason=candidate.reason,
            holder=candidate.holder,
            subject=candidate.subject,
            entity_ids=list(candidate.entity_ids),
            dates=[d.reasoning for d in candidate.dates],
        )


@dataclass(slots=True)
class Queue:
    id: str
    guild_id: int
    moderator_id: int
    scope: int | None
    source_id: int
    items: list[Item]
    position: int
    created_at: datetime
    expires_at: datetime
    truncated: int = 0  # candidates left out past MAX_CANDIDATES

    @property
    def current(self) -> Item:
        return self.items[self.position]

    def counts(self) -> dict[str, int]:
        out = {PENDING: 0, ACCEPTED: 0, SKIPPED: 0}
        for item in self.items:
            out[item.state] += 1
        return out

    def refusal(self, user_id: int, guild_id: int | None, now: datetime) -> str | None:
        """Why a click by `user_id` in `guild_id` does not count, or None if it does."""
        if self.expires_at <= now:
            return "This review queue has expired; run `source draft` again. Nothing was changed."
        if user_id != self.moderator_id or guild_id != self.guild_id:
            return (
                "This review queue belongs to the moderator who opened it; open your own "
                "with `source draft`. Nothing was changed."
            )
        return None

    def next_pending(self, after: int) -> int:
        """The next pending candidate after `after`, wrapping round; `after` if none."""
        count = len(self.items)
        for step in range(1, count + 1):
            index = (after + step) % count
            if self.items[index].state == PENDING:
                return index
        return after

    def items_json(self) -> list[dict[str, Any]]:
        return [asdict(item) for item in self.items]


def items_from_json(raw: list[dict[str, Any]]) -> list[Item]:
    return [Item(**entry) for entry in raw]


def new_id() -> str:
    return secrets.token_urlsafe(12)


# --- drafting a source -------------------------------------------------------------


async def draft_source(
    store: Store, source_id: int, guild_id: int | None
) -> tuple[list[Item], int]:
    """The candidates for a source this scope can see, at most MAX_CANDIDATES of them,
    and how many were left out."""
    source = await store.source(source_id, guild_id, with_text=True)
    if source is None or source.text is None:
        raise NotFound(f"There is no source {source_id} here; see `sources`.")
    aliases = await reviews.draft_aliases(store)
    published = source.published.value if source.published else None
    precision = source.published.precision.value if source.published else "day"
    try:
        async with _drafting_slots():
            candidates = await asyncio.wait_for(
                asyncio.to_thread(drafting.draft, source.text, aliases, published, precision),
                DRAFT_SECONDS,
            )
    except TimeoutError:
        raise BadInput(f"Source {source_id} took too long to draft; it may be too long.") from None
    if not candidates:
        raise BadInput(f"Source {source_id} has no sentences to draft.")
    items = [Item.of(c) for c in candidates[:MAX_CANDIDATES]]
    return items, max(0, len(candidates) - MAX_CANDIDATES)


# --- actions -----------------------------------------------------------------------


def _change(queue: Queue, actor_id: int, now: datetime) -> Change:
    return Change(actor_id=actor_id, guild_id=queue.scope, at=now)


async def accept(store: Store, queue: Queue, actor_id: int, now: datetime) -> tuple[int, bool]:
    """Add the current candidate as a fact, through the same path as `fact add`: the
    fact's id, and False if a fact of this scope already cited exactly this span."""
    item = queue.current
    if item.state == ACCEPTED:
        raise BadInput(f"Already accepted as fact {item.fact_id}.")
    if not item.subject:
        raise BadInput("This candidate has no subject; press **Edit** and give one.")
    existing = await reviews.fact_citing(store, queue.source_id, item.start, item.end, queue.scope)
    if existing is not None:
        # A double click, or a crash between the write and the queue's update.
        item.state, item.fact_id = ACCEPTED, existing
        return existing, False
    fact_id = await moderation.add_fact(
        store,
        _change(queue, actor_id, now),
        subject=item.subject,
        statement=item.statement,
        kind=item.kind,
        source=queue.source_id,
        quote=item.quote,
        attributed_to=item.holder,
        entities=tuple(item.entity_ids),
    )
    item.state, item.fact_id = ACCEPTED, fact_id
    return fact_id, True


def skip(queue: Queue) -> None:
    item = queue.current
    if item.state == ACCEPTED:
        raise BadInput(f"Already accepted as fact {item.fact_id}; `fact retract` withdraws it.")
    item.state = SKIPPED


async def edit(
    store: Store,
    queue: Queue,
    *,
    statement: str,
    kind: str,
    holder: str,
    subject: str,
    quote: str,
) -> None:
    """Change the current candidate; every value is checked as `fact add` would."""
    item = queue.current
    if item.state == ACCEPTED:
        raise BadInput(f"Already accepted as fact {item.fact_id}; use `fact edit` instead.")
    parsed_kind = moderation.parse_kind(kind)
    new_holder = moderation.clean(holder, "attributed_to", required=False) or None
    if parsed_kind in {Kind.QUOTE, Kind.ATTRIBUTED} and not new_holder:
        raise BadInput(f"A `{parsed_kind.value}` candidate needs a holder: whose words or view?")
    new_subject = moderation.clean(subject, "subject")
    await moderation.resolve_entity_id(store, new_subject, "subject")
    citation = await moderation.verified_citation(store, queue.source_id, quote, queue.scope)
    queue.items[queue.position] = replace(
        item,
        statement=moderation.clean(statement, "statement"),
        kind=parsed_kind.value,
        holder=new_holder if parsed_kind in {Kind.QUOTE, Kind.ATTRIBUTED} else None,
        subject=new_subject,
        quote=citation.quote,
        start=citation.start,
        end=citation.end,
        edited=True,
        reason="edited by the moderator",
    )


async def split(store: Store, queue: Queue, at: str) -> None:
    """Cut the current candidate in two: before `at` (a phrase of its citation) and from
    it on, or, with `at` empty, at its first sentence or clause boundary. Both halves
    are drafted afresh."""
    item = queue.current
    if item.state == ACCEPTED:
        raise BadInput(f"Already accepted as fact {item.fact_id}; it cannot be split.")
    source = await store.source(queue.source_id, queue.scope, with_text=True)
    if source is None or source.text is None:
        raise NotFound(f"Source {queue.source_id} is no longer here.")
    text = source.text
    cut = _cut_point(text, item, at.strip())
    aliases = await reviews.draft_aliases(store)
    published = source.published.value if source.published else None
    precision = source.published.precision.value if source.published else "day"
    halves = [
        Item.of(drafting.candidate_for(text, start, end, aliases, published, precision))
        for start, end in ((item.start, cut), (cut, item.end))
    ]
    halves = [h for h in halves if h.quote.strip()]
    if len(halves) < 2:
        raise BadInput("That would leave one part empty; give a phrase from the middle.")
    queue.items[queue.position : queue.position + 1] = halves


def _cut_point(text: str, item: Item, at: str) -> int:
    if at:
        spans = find_quote(text[item.start : item.end], at)
        if not spans:
            raise BadInput("That phrase is not in this candidate's citation word for word.")
        return item.start + spans[0].start
    for boundary in drafting.boundaries(text, item.start, item.end):
        return boundary
    raise BadInput(
        "This candidate is one clause; give the phrase the second part should start with."
    )


# --- the queue as cogs/review.py keeps it (in the store) ----------------------------------


async def open_queue(store: Store, queue: Queue) -> None:
    """Keep a new queue, within QUEUES_PER_MODERATOR and QUEUES_PER_SERVER."""
    await reviews.open_queue(
        store, queue, per_moderator=QUEUES_PER_MODERATOR, per_server=QUEUES_PER_SERVER
    )


async def load_queue(store: Store, queue_id: str) -> Queue | None:
    return await reviews.load_queue(store, queue_id)


async def save_queue(store: Store, queue: Queue) -> None:
    await reviews.save_queue(store, queue)


async def source_title(store: Store, queue: Queue) -> str:
    """The title of the source a queue drafts from, as its page shows it."""
    source = await store.source(queue.source_id, queue.scope)
    return source.title if source else f"S{queue.source_id}"
