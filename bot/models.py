"""Domain objects shared by the store, the briefing and the renderers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum


class Kind(StrEnum):
    """What sort of claim a fact is; answers always show it."""

    REPORTED = "reported"  # the source reports it as fact
    QUOTE = "quote"  # a named party's own words
    ATTRIBUTED = "attributed"  # a view the source attributes to others
    OPINION = "opinion"  # the author's own view or speculation


class Table(StrEnum):
    """The rows a moderator's change can point at by number, by their table's name."""

    FACTS = "facts"
    MEETINGS = "meetings"

    @property
    def noun(self) -> str:
        return {"facts": "fact", "meetings": "meeting"}[self.value]


@dataclass(frozen=True, slots=True)
class RowOwner:
    """Whose a fact or meeting is: a server's (its id) or shared by all (None)."""

    guild_id: int | None


class Precision(StrEnum):
    """How much of a date or time is known."""

    MINUTE = "minute"
    DAY = "day"
    WEEK = "week"
    MONTH = "month"
    YEAR = "year"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    POSTPONED = "postponed"
    CANCELLED = "cancelled"


@dataclass(frozen=True, slots=True)
class Citation:
    source_id: int
    source_title: str
    quote: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a line comes from: verbatim passages that state it, or a curator's label.

    `public_record` is outside knowledge a curator adds (a note, and optionally a URL);
    `inferred` is the curator's reasoning from the sources, in plain words. A line with
    neither label rests on its citations alone.
    """

    citations: tuple[Citation, ...] = ()
    public_record: str = ""
    url: str | None = None
    inferred: str = ""

    @property
    def labelled(self) -> bool:
        return bool(self.public_record or self.inferred)

    def __bool__(self) -> bool:
        return bool(self.citations) or self.labelled


NO_PROVENANCE = Provenance()


@dataclass(frozen=True, slots=True)
class Published:
    """A source's publication date, no more exact than what is known."""

    value: date
    precision: Precision
    note: str = ""
    provenance: Provenance = NO_PROVENANCE


@dataclass(frozen=True, slots=True)
class When:
    """A meeting's time: UTC instants plus the zone and precision they were given in.

    For day precision `start` is local midnight of the first day in `tz`; `end`, when
    set, is the start of the last day (day precision) or the end instant (minute).
    """

    start: datetime
    tz: str
    precision: Precision
    end: datetime | None = None
    resolution: str = ""

    def finishes(self) -> datetime:
        """The instant after which the meeting is certainly over."""
        last = self.end or self.start
        if self.precision is Precision.MINUTE:
            return last if self.end else last + timedelta(hours=1)
        if self.precision is Precision.DAY:
            return last + timedelta(days=1)
        if self.precision is Precision.WEEK:
            return last + timedelta(weeks=1)
        if self.precision is Precision.MONTH:
            return last + timedelta(days=31)
        return last + timedelta(days=366)


@dataclass(frozen=True, slots=True)
class Source:
    id: int
    key: str
    title: str
    title_is_ours: bool
    published: Published | None
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    guild_id: int | None = None
    text: str | None = None  # loaded only when asked for


@dataclass(frozen=True, slots=True)
class EntityRef:
    id: int
    name: str


@dataclass(frozen=True, slots=True)
class Entity:
    id: int
    key: str
    name: str
    type: str  # person, country, organisation, place, group
    role: str
    aliases: tuple[str, ...] = ()
    summary: str = ""
    role_provenance: Provenance = NO_PROVENANCE


@dataclass(frozen=True, slots=True)
class Fact:
    id: int
    key: str | None
    subject: EntityRef
    statement: str
    kind: Kind
    topics: tuple[str, ...]
    citations: tuple[Citation, ...]
    attributed_to: str | None = None
    entities: tuple[EntityRef, ...] = ()
    guild_id: int | None = None
    retracted: bool = False
    version: int = 1
    # A label for what the statement adds beyond its citations (public record, inference).
    provenance: Provenance = NO_PROVENANCE


@dataclass(frozen=True, slots=True)
class Meeting:
    id: int
    key: str | None
    title: str
    when: When
    status: MeetingStatus
    participants: tuple[EntityRef, ...]
    place: EntityRef | None
    citations: tuple[Citation, ...]
    status_note: str = ""
    guild_id: int | None = None
    version: int = 1
    # What the date and the status rest on when the citations do not state them.
    date_provenance: Provenance = NO_PROVENANCE
    status_provenance: Provenance = NO_PROVENANCE


@dataclass(frozen=True, slots=True)
class Counts:
    sources: int
    entities: int
    facts: int
    meetings: int


@dataclass(frozen=True, slots=True)
class Usage:
    """What one server has stored, counted against its quota (bot.quotas)."""

    sources: int
    source_bytes: int
    facts: int
    meetings: int


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """The result of looking up a name: the entity, or close suggestions."""

    entity: Entity | None
    suggestions: tuple[str, ...] = field(default=())
    alias: str = ""  # the spelling that matched, as stored ("Kim")


@dataclass(frozen=True, slots=True)
class CitationDraft:
    source_id: int
    quote: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class SourceDraft:
    title: str
    text: str
    published: Published | None
    url: str | None = None
    publisher: str | None = None
    author: str | None = None


@dataclass(frozen=True, slots=True)
class FactDraft:
    subject_id: int
    statement: str
    kind: Kind
    citations: tuple[CitationDraft, ...]
    topics: tuple[str, ...] = ()
    attributed_to: str | None = None
    entity_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class MeetingDraft:
    title: str
    when: When
    status: MeetingStatus
    participants: tuple[tuple[int | None, str], ...]
    place: tuple[int | None, str] | None
    citations: tuple[CitationDraft, ...]
    status_note: str = ""


@dataclass(frozen=True, slots=True)
class Change:
    """Who makes a change, for which scope, and why: every write carries one."""

    actor_id: int
    guild_id: int | None  # the row's scope: a server, or None for shared facts
    at: datetime
    reason: str = ""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    at: datetime
    actor_id: int | None
    guild_id: int | None
    action: str
    object_type: str
    object_id: int | None
    before: dict | None
    after: dict | None
    reason: str


@dataclass(frozen=True, slots=True)
class DigestSubscription:
    guild_id: int
    channel_id: int
    local_time: time
    tz: str
    enabled: bool
    since: datetime
    active_from: datetime | None = None  # set or re-enabled at; nothing is due before
    disabled_reason: str | None = None
    reason_told: bool = True
    last_sent_day: date | None = None
    last_sent_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Delivery:
    guild_id: int
    local_day: date
    state: str  # sending, sent, skipped
    nonce: str
    message_id: int | None
    at: datetime
