"""The answer model: what every read command returns, as structured plain data.

Nothing here is formatted for a medium. A line says what it is (a fact of some kind, a
named lead, a time, a source, a moment of the audit log) in fields, and each renderer
(`bot.render.embeds`, `bot.render.text`) decides how that looks: bold, tags, dates,
Discord timestamps. Text people supplied is marked with `bot.usertext.user`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from bot.models import Citation, Kind, Provenance, Source, When


@dataclass(frozen=True, slots=True)
class Asker:
    """Who is asking, as every read builder sees it: whose facts (`scope`, a server id or
    None for DMs and the console), at what time, with which command prefix."""

    scope: int | None
    now: datetime
    prefix: str = "!"
    started: datetime | None = None  # when the bot started, for `about`


@dataclass(frozen=True, slots=True)
class Ref:
    """One citation in an answer: its marker, the verbatim quote and where it is from."""

    marker: str
    source_id: int
    source_title: str
    quote: str
    fact_id: int | None = None
    meeting_id: int | None = None
    entity_id: int | None = None  # a role's citation


@dataclass(frozen=True, slots=True)
class Label:
    """Where part of a line comes from when no cited passage states it: `what` names the
    part ("date", "status"; "" for the whole line)."""

    provenance: Provenance
    what: str = ""


@dataclass(frozen=True, slots=True)
class Hint:
    """A pointer to another command ("for the rest: !search kim"); renderers show the
    command as a command (with the prefix the asker uses)."""

    text: str
    command: str


@dataclass(slots=True)
class Line:
    text: str
    lead: str = ""  # a name or title the line is about, shown before the text
    kind: Kind | None = None  # a fact's kind: renderers show it as a tag
    holder: str = ""  # whose view or words (attributed, quote), marked user()
    markers: list[str] = field(default_factory=list)
    when: When | None = None  # renderers format times for their medium
    past: bool | None = None
    when_label: str = "When"
    at: datetime | None = None  # the moment of an audit entry
    source: Source | None = None  # a line describing a source
    published: Source | None = None  # a line giving when this source was published
    labels: list[Label] = field(default_factory=list)  # public record / inferred
    detail: bool = False  # show a public-record note and URL, not just the label
    source_ids: tuple[int, ...] = ()  # what the line speaks for, for `as of`
    as_of: str = ""  # set by `anchor`: "April 2019" when those sources are old
    fact_id: int | None = None  # the fact the line shows, if any
    place: str = ""  # a meeting's place
    status: str = ""  # a meeting's status ("held", "postponed: …")


@dataclass(slots=True)
class Section:
    heading: str
    lines: list[Line] = field(default_factory=list)
    kind: Kind | None = None  # every line is of this kind: no line repeats it
    key: str = ""  # names a folded section ("views", "opinions"), in menus and counts
    folded: bool = False  # shown on demand where the medium has menus, else in full


@dataclass(slots=True)
class Answer:
    title: str
    intro: str = ""
    sections: list[Section] = field(default_factory=list)
    refs: list[Ref] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    found: bool = True
    suggestions: tuple[str, ...] = ()
    footer_note: str = ""
    freshness: str = ""  # set by `anchor`: "Newest source: April 2019, over 7 years old…"
    hints: list[Hint] = field(default_factory=list)
    day: date | None = None  # the day the answer is for (a digest's), after the title
    panel: bool = False  # the Quotes panel itself: its footer points to no Quotes button
    # What a menu under the answer reopens: an entity's id for `who`, 0 for `sanctions`.
    subject_id: int | None = None
    suggested: tuple[tuple[str, int], ...] = ()  # (name, entity id) for suggestion buttons
    # A digest's window: the changes after the first moment up to the second; its
    # summary's button shows the whole digest of that window again.
    window: tuple[datetime, datetime] | None = None
    rest: int = 0  # how many of the digest's items a summary leaves to its button

    def cite(
        self,
        citations: tuple[Citation, ...],
        fact_id: int | None = None,
        meeting_id: int | None = None,
        entity_id: int | None = None,
    ) -> list[str]:
        """One marker for what one line cites, however many passages that is (a quote and
        the words naming its speaker): numbered as they appear, and a line citing the
        same passages again gets the same marker. [] when nothing is cited."""
        wanted = [(citation.source_id, citation.quote) for citation in citations]
        if not wanted:
            return []
        cited: dict[str, list[tuple[int, str]]] = {}  # one pass over the refs, in order
        for ref in self.refs:
            cited.setdefault(ref.marker, []).append((ref.source_id, ref.quote))
        for marker, passages in cited.items():
            if passages == wanted:
                return [marker]
        marker = str(len(cited) + 1)
        for citation in citations:
            self.refs.append(
                Ref(
                    marker,
                    citation.source_id,
                    citation.source_title,
                    citation.quote,
                    fact_id,
                    meeting_id,
                    entity_id,
                )
            )
        return [marker]


def labels_of(provenance: Provenance, what: str = "") -> list[Label]:
    return [Label(provenance, what)] if provenance.labelled else []
