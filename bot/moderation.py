"""What moderators and curators may write, checked before it reaches the store.

Each function validates and bounds what was typed, verifies quotes against the stored
source text, resolves names and dates, and hands the store a draft. Anything wrong
comes back as BadInput with a message the moderator can act on; nothing is stored then.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import urlsplit

from dateutil import parser as date_parser

from bot import dates, quotas
from bot.errors import BadInput, not_in_scope
from bot.models import (
    Change,
    CitationDraft,
    Fact,
    FactDraft,
    Kind,
    Meeting,
    MeetingDraft,
    MeetingStatus,
    Precision,
    Published,
    SourceDraft,
    Table,
    When,
)
from bot.store import Store
from bot.text import closest_passage, find_quote, one_line, strip_control

log = logging.getLogger(__name__)
T = TypeVar("T")

LIMITS = {
    "title": 200,
    "statement": 500,
    "quote": 1000,
    "attributed_to": 100,
    "topic": 100,
    "url": 500,
    "reason": 300,
    "subject": 100,
    "where": 100,
    "participants": 500,
    "when": 80,
    "published": 40,
}
SOURCE_TEXT_MAX_BYTES = 200_000
NEAR_MISS_SECONDS = 2.0
# RFC 3986: unreserved, reserved (without the IP-literal brackets) and percent escapes.
_URL_CHARS = re.compile(r"[A-Za-z0-9\-._~:/?#@!$&'()*+,;=%]+")
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?")


def clean(value: str | None, field: str, *, required: bool = True) -> str:
    """One line (controls and direction marks removed, blanks collapsed), length bounded."""
    text = one_line(value or "")
    if not text:
        if required:
            raise BadInput(f"`{field}` is required.")
        return ""
    limit = LIMITS[field]
    if len(text) > limit:
        raise BadInput(f"`{field}` is {len(text)} characters; the limit is {limit}.")
    return text


# --- what moderators type, as values ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class FactInput:
    """A new fact as typed (the `fact add` flags, a form, a review queue's accepted
    draft): checked and resolved by `add_fact`."""

    subject: str
    statement: str
    kind: str
    source: int
    quote: str
    attributed_to: str | None = None
    topic: str | None = None
    entities: tuple[int, ...] = ()  # other entities it is about (a drafted fact's)


@dataclass(frozen=True, slots=True)
class FactEdits:
    """What `fact edit` was given; a value left as None stays as it is."""

    statement: str | None = None  # checked in this order
    kind: str | None = None
    attributed_to: str | None = None
    topic: str | None = None
    quote: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingInput:
    """A new meeting as typed (the `meeting add` flags): checked by `add_meeting`."""

    title: str
    when: str
    where: str
    participants: str
    source: int
    quote: str
    status: str | None = None


@dataclass(frozen=True, slots=True)
class MeetingEdits:
    """What `meeting edit` was given; a value left as None stays as it is."""

    title: str | None = None
    when: str | None = None
    where: str | None = None
    participants: str | None = None
    status: str | None = None


def given(edits: FactEdits | MeetingEdits) -> dict[str, str]:
    """The values an edit was given, by name."""
    return {f.name: value for f in fields(edits) if (value := getattr(edits, f.name)) is not None}


def parse_kind(value: str) -> Kind:
    try:
        return Kind(value.strip().lower())
    except ValueError:
        raise BadInput("`kind` must be one of: reported, quote, attributed, opinion.") from None


def parse_status(value: str | None) -> MeetingStatus:
    if not value:
        return MeetingStatus.SCHEDULED
    try:
        return MeetingStatus(value.strip().lower())
    except ValueError:
        raise BadInput("`status` must be one of: scheduled, held, postponed, cancelled.") from None


def parse_topics(value: str | None) -> tuple[str, ...]:
    text = clean(value, "topic", required=False).lower()
    return tuple(dict.fromkeys(t.strip() for t in text.split(",") if t.strip()))


def parse_published(value: str | None) -> Published | None:
    """'2019-04-22' (day), 'April 2019' (month) or '2019' (year), stored as precise as typed."""
    text = clean(value, "published", required=False)
    if not text:
        return None
    try:
        parsed = date_parser.parse(text, default=datetime(1, 1, 1))
    except (ValueError, OverflowError):
        raise BadInput(f"Could not read `{text}` as a date; try `2019-04-22`.") from None
    if re.fullmatch(r"\d{4}", text):
        precision = Precision.YEAR
    elif _month_only(text):
        precision = Precision.MONTH
    else:
        precision = Precision.DAY
    return Published(parsed.date(), precision, "")


def _month_only(text: str) -> bool:
    """'2019-04', '2019/4' or 'April 2019': a month, with no day given."""
    if re.fullmatch(r"\d{4}[-/.]\d{1,2}", text):
        return True
    return not re.search(r"\b\d{1,2}\b(?!\d)", re.sub(r"\d{4}", "", text))


def parse_url(value: str | None) -> str | None:
    """A well-formed http(s) URL, parsed (not pattern-matched): a scheme, a host name,
    and only the characters a URL may hold (RFC 3986), so it can never carry markdown
    such as `)[x](https://…`."""
    text = clean(value, "url", required=False)
    if not text:
        return None
    problem = "`url` must be a web address such as `https://example.org/page`."
    if not _URL_CHARS.fullmatch(text):
        raise BadInput(problem)
    try:
        parts = urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a bad port)
    except ValueError:
        raise BadInput(problem) from None
    if parts.scheme not in {"http", "https"} or not _HOST.fullmatch(host):
        raise BadInput(problem)
    return text


async def verified_citation(
    store: Store, source_id: int, quote: str, guild: int | None
) -> CitationDraft:
    """The quote as a citation, if it is verbatim in a source this scope can see."""
    text = clean(quote, "quote")
    source = await store.source(source_id, guild, with_text=True)
    if source is None or source.text is None:
        raise BadInput(f"There is no source {source_id} here; add it with `source add` first.")
    spans = await _quote_work(find_quote, source.text, text)
    if not spans:
        near = await _near_miss(source.text, text)
        hint = f" The closest passage is: “{near}”" if near else ""
        raise BadInput(f"That quote is not in source {source_id} word for word.{hint}")
    span = spans[0]
    # Store the source's own characters (curly quotes and all), not what was typed.
    return CitationDraft(source_id, source.text[span.start : span.end], span.start, span.end)


# Quote checks over a source of up to 200 kB are CPU work: they run off the event loop,
# one at a time, so however many moderators check quotes at once, the loop's thread
# competes for the GIL with one of them only, and members' answers stay quick.
_QUOTE_CHECKS = ThreadPoolExecutor(max_workers=1, thread_name_prefix="quote-check")


def _quote_work(work: Callable[[str, str], T], source_text: str, quote: str) -> Awaitable[T]:
    return asyncio.get_running_loop().run_in_executor(_QUOTE_CHECKS, work, source_text, quote)


async def _near_miss(source_text: str, quote: str) -> str | None:
    """The closest passage, looked for off the event loop and given up on after
    NEAR_MISS_SECONDS (waiting for other checks included): it is only a hint."""
    try:
        return await asyncio.wait_for(
            _quote_work(closest_passage, source_text, quote), NEAR_MISS_SECONDS
        )
    except TimeoutError:
        log.warning("closest-passage search gave up after %s s", NEAR_MISS_SECONDS)
        return None


async def resolve_entity_id(store: Store, name: str, field: str) -> int:
    match = await store.find_entity(name)
    if match.entity is None:
        hint = f" Did you mean {', '.join(match.suggestions)}?" if match.suggestions else ""
        raise BadInput(f"`{field}`: no entry for “{name}”.{hint}")
    return match.entity.id


async def _named(store: Store, name: str) -> tuple[int | None, str]:
    """A known entity's id and canonical name, or the name as typed."""
    match = await store.find_entity(name)
    return (match.entity.id, match.entity.name) if match.entity else (None, name)


# --- sources ---------------------------------------------------------------------------


async def add_source(
    store: Store,
    change: Change,
    *,
    title: str | None,
    text: str,
    url: str | None = None,
    published: str | None = None,
) -> int:
    body = strip_control(text or "")
    if not body.strip():
        raise BadInput("The source text is empty; paste it or attach a .txt file.")
    size = len(body.encode())
    if size > SOURCE_TEXT_MAX_BYTES:
        raise BadInput(f"The source text is over {SOURCE_TEXT_MAX_BYTES // 1000} kB.")
    draft = SourceDraft(
        title=clean(title, "title"),
        text=body,
        published=parse_published(published),
        url=parse_url(url),
    )
    return await store.add_source(
        draft, change, check=lambda usage: quotas.check_source(usage, size)
    )


# --- facts -----------------------------------------------------------------------------


def _check_attribution(kind: Kind, attributed_to: str | None) -> None:
    if kind in {Kind.QUOTE, Kind.ATTRIBUTED} and not attributed_to:
        raise BadInput(f"A `{kind.value}` fact needs `attributed_to`: whose words or view is it?")


async def add_fact(
    store: Store, change: Change, fact: FactInput | None = None, /, **typed: Any
) -> int:
    """Check and store a new fact. `typed`: FactInput's fields as keywords, for callers
    that hold them loose (tests, a review queue)."""
    fact = fact if fact is not None else FactInput(**typed)
    parsed_kind = parse_kind(fact.kind)
    attributed = clean(fact.attributed_to, "attributed_to", required=False) or None
    _check_attribution(parsed_kind, attributed)
    draft = FactDraft(
        subject_id=await resolve_entity_id(store, clean(fact.subject, "subject"), "subject"),
        statement=clean(fact.statement, "statement"),
        kind=parsed_kind,
        citations=(await verified_citation(store, fact.source, fact.quote, change.guild_id),),
        topics=parse_topics(fact.topic),
        attributed_to=attributed,
        entity_ids=fact.entities,
    )
    return await store.add_fact(draft, change, check=quotas.check_fact)


async def editable_fact(store: Store, fact_id: int, change: Change) -> Fact:
    """The fact as the change's scope sees it. Whether the change may write it is the
    store's guard's to say (bot/store/changes.py), with the same words as here."""
    fact = await store.fact(fact_id, change.guild_id, include_retracted=True)
    if fact is None:
        raise not_in_scope(Table.FACTS.noun, fact_id, change.guild_id)
    return fact


def draft_of(fact: Fact) -> FactDraft:
    citations = tuple(CitationDraft(c.source_id, c.quote, c.start, c.end) for c in fact.citations)
    return FactDraft(
        subject_id=fact.subject.id,
        statement=fact.statement,
        kind=fact.kind,
        citations=citations,
        topics=fact.topics,
        attributed_to=fact.attributed_to,
        entity_ids=tuple(e.id for e in fact.entities),
    )


async def _fact_values(
    store: Store, change: Change, draft: FactDraft, edits: FactEdits
) -> dict[str, Any]:
    """The draft's new values for what an edit was given, checked."""
    values: dict[str, Any] = {}
    for name, value in given(edits).items():
        if name == "statement":
            values["statement"] = clean(value, "statement")
        elif name == "kind":
            values["kind"] = parse_kind(value)
        elif name == "attributed_to":
            values["attributed_to"] = clean(value, "attributed_to", required=False) or None
        elif name == "topic":
            values["topics"] = parse_topics(value)
        elif name == "quote":
            source_id = draft.citations[0].source_id
            citation = await verified_citation(store, source_id, value, change.guild_id)
            values["citations"] = (citation,)
    return values


async def edit_fact(
    store: Store,
    change: Change,
    fact_id: int,
    edits: FactEdits | None = None,
    /,
    *,
    version: int | None = None,
    **typed: Any,
) -> FactDraft:
    """Check and store a correction. `typed`: FactEdits's fields as keywords."""
    edits = edits if edits is not None else FactEdits(**typed)
    fact = await editable_fact(store, fact_id, change)
    draft = replace(draft_of(fact), **await _fact_values(store, change, draft_of(fact), edits))
    if draft == draft_of(fact):
        raise BadInput("Nothing to change: give at least one new value.")
    _check_attribution(draft.kind, draft.attributed_to)
    await store.edit_fact(fact_id, draft, version if version is not None else fact.version, change)
    return draft


def with_reason(change: Change, missing: str) -> Change:
    """The change with its reason cleaned like every other stored text."""
    reason = clean(change.reason, "reason", required=False)
    if not reason:
        raise BadInput(missing)
    return replace(change, reason=reason)


async def retract_fact(store: Store, change: Change, fact_id: int) -> None:
    change = with_reason(change, "Say why the fact is retracted: `fact retract <id> <reason>`.")
    fact = await editable_fact(store, fact_id, change)
    await store.set_fact_retracted(fact_id, True, fact.version, change)


async def restore_fact(store: Store, change: Change, fact_id: int) -> None:
    fact = await editable_fact(store, fact_id, change)
    await store.set_fact_retracted(fact_id, False, fact.version, change)


# --- meetings --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class MeetingResult:
    meeting_id: int
    when: When


def parse_meeting_time(text: str, now: datetime, status: MeetingStatus) -> When:
    when = dates.parse_when(clean(text, "when"), now)
    if status is MeetingStatus.SCHEDULED and when.finishes() <= now:
        raise BadInput(
            f"{when.start:%Y-%m-%d %H:%M} UTC is in the past; a scheduled meeting must be "
            "upcoming (add it with `status: held` if it already took place)."
        )
    return when


async def _people(store: Store, participants: str) -> tuple[tuple[int | None, str], ...]:
    names = [n.strip() for n in clean(participants, "participants").split(",") if n.strip()]
    if len(names) > 20:
        raise BadInput("At most 20 participants.")
    return tuple([await _named(store, name) for name in names])


async def add_meeting(
    store: Store, change: Change, meeting: MeetingInput | None = None, /, **typed: Any
) -> MeetingResult:
    """Check and store a new meeting. `typed`: MeetingInput's fields as keywords."""
    meeting = meeting if meeting is not None else MeetingInput(**typed)
    parsed_status = parse_status(meeting.status)
    parsed_when = parse_meeting_time(meeting.when, change.at, parsed_status)
    draft = MeetingDraft(
        title=clean(meeting.title, "title"),
        when=parsed_when,
        status=parsed_status,
        participants=await _people(store, meeting.participants),
        place=await _named(store, clean(meeting.where, "where")),
        citations=(await verified_citation(store, meeting.source, meeting.quote, change.guild_id),),
    )
    meeting_id = await store.add_meeting(draft, change, check=quotas.check_meeting)
    return MeetingResult(meeting_id, parsed_when)


async def editable_meeting(store: Store, meeting_id: int, change: Change) -> Meeting:
    """The meeting as the change's scope sees it (the store's guard decides the write)."""
    meeting = await store.meeting(meeting_id, change.guild_id)
    if meeting is None:
        raise not_in_scope(Table.MEETINGS.noun, meeting_id, change.guild_id)
    return meeting


def meeting_draft_of(meeting: Meeting) -> MeetingDraft:
    return MeetingDraft(
        title=meeting.title,
        when=meeting.when,
        status=meeting.status,
        participants=tuple((p.id or None, p.name) for p in meeting.participants),
        place=(meeting.place.id or None, meeting.place.name) if meeting.place else None,
        citations=tuple(
            CitationDraft(c.source_id, c.quote, c.start, c.end) for c in meeting.citations
        ),
        status_note=meeting.status_note,
    )


async def _meeting_values(
    store: Store, change: Change, draft: MeetingDraft, edits: MeetingEdits
) -> dict[str, Any]:
    """The draft's new values for what an edit was given, checked (the status before the
    time: whether a new time may be in the past depends on it)."""
    values: dict[str, Any] = {}
    typed = given(edits)
    if "title" in typed:
        values["title"] = clean(typed["title"], "title")
    if "status" in typed:
        values["status"] = parse_status(typed["status"])
    status = values.get("status", draft.status)
    if "when" in typed:
        values["when"] = parse_meeting_time(typed["when"], change.at, status)
    if "where" in typed:
        values["place"] = await _named(store, clean(typed["where"], "where"))
    if "participants" in typed:
        values["participants"] = await _people(store, typed["participants"])
    return values


async def edit_meeting(
    store: Store,
    change: Change,
    meeting_id: int,
    edits: MeetingEdits | None = None,
    /,
    **typed: Any,
) -> MeetingResult:
    """Check and store a correction. `typed`: MeetingEdits's fields as keywords."""
    edits = edits if edits is not None else MeetingEdits(**typed)
    meeting = await editable_meeting(store, meeting_id, change)
    before = meeting_draft_of(meeting)
    draft = replace(before, **await _meeting_values(store, change, before, edits))
    if draft == meeting_draft_of(meeting):
        raise BadInput("Nothing to change: give at least one new value.")
    await store.edit_meeting(meeting_id, draft, meeting.version, change)
    return MeetingResult(meeting_id, draft.when)


async def cancel_meeting(store: Store, change: Change, meeting_id: int) -> None:
    change = with_reason(change, "`reason` is required.")
    reason = change.reason
    meeting = await editable_meeting(store, meeting_id, change)
    if meeting.status is MeetingStatus.CANCELLED:
        raise BadInput(f"Meeting {meeting_id} is already cancelled.")
    draft = replace(meeting_draft_of(meeting), status=MeetingStatus.CANCELLED, status_note=reason)
    await store.edit_meeting(meeting_id, draft, meeting.version, change, action="cancel")
