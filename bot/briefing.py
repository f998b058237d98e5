"""What each answer contains, as plain data (bot.answers); the renderers decide how it
looks.

Every read builder takes `(store, asker, *args)`: the asker (bot.answers.Asker) says whose
facts they see (its scope: a server id, or None for DMs and the console), the time and the
command prefix. Nothing here formats for Discord or a terminal.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime, timedelta

from bot.answers import Answer, Asker, Hint, Line, Ref, Section, labels_of
from bot.errors import BadInput, NotFound
from bot.models import (
    AuditEntry,
    Citation,
    Entity,
    Fact,
    Kind,
    Meeting,
    MeetingStatus,
    Precision,
    Provenance,
    Published,
    Source,
    When,
)
from bot.query import MAX_TERMS, Query, Results
from bot.query import parse as parse_query
from bot.store import Store
from bot.store.store import ANSWER_LIMIT
from bot.text import fold, holder_completes, holder_matches, one_line, quoted
from bot.usertext import user

MAX_QUERY = 200
MAX_NAME = 100
# A line whose sources are older than this says the time it speaks for ("as of April 2019").
DATED_AFTER = timedelta(weeks=3)
# Default for BRIEFING_STALE_AFTER_DAYS: past this, answers say their newest source is old.
STALE_AFTER_DAYS = 30

# Section order in answers: reporting first, opinion last and always labelled.
_KIND_HEADINGS = {
    Kind.REPORTED: "Reported",
    Kind.QUOTE: "In their own words",
    Kind.ATTRIBUTED: "Views the source attributes to others",
    Kind.OPINION: "The author's opinion (not established fact)",
}
# Kinds whose lines name whose view or words they are.
_HELD = (Kind.ATTRIBUTED, Kind.QUOTE)


def fact_line(answer: Answer, fact: Fact, *, verbatim_quotes: bool = True) -> Line:
    """A fact as an answer line. A quote-kind fact shows the party's words verbatim."""
    text = user(fact.statement)
    if fact.kind is Kind.QUOTE and verbatim_quotes and fact.citations:
        text = user(quoted(fact.citations[0].quote))
    markers = answer.cite(fact.citations, fact.id)
    holder = fact.attributed_to or "unnamed" if fact.kind in _HELD else ""
    return Line(
        text=text,
        kind=fact.kind,
        holder=user(holder) if holder else "",
        fact_id=fact.id,
        markers=markers,
        labels=labels_of(fact.provenance),
        source_ids=_source_ids(fact.citations),
    )


def _source_ids(citations: tuple[Citation, ...]) -> tuple[int, ...]:
    return tuple(dict.fromkeys(citation.source_id for citation in citations))


def role_line(answer: Answer, entity: Entity, *, detail: bool = False) -> Line:
    """An entity's role, with the passages that state it or the label saying where else
    it comes from; never a citation that does not state it."""
    provenance = entity.role_provenance
    return Line(
        user(entity.role),
        lead=user(entity.name),
        markers=answer.cite(provenance.citations, entity_id=entity.id),
        labels=labels_of(provenance),
        detail=detail,
        source_ids=_source_ids(provenance.citations),
    )


def facts_by_kind(answer: Answer, facts: list[Fact]) -> list[Section]:
    sections = []
    for kind, heading in _KIND_HEADINGS.items():
        lines = [fact_line(answer, fact) for fact in facts if fact.kind is kind]
        if lines:
            sections.append(Section(heading, lines, kind))
    return sections


async def _attach_sources(store: Store, answer: Answer, guild_id: int | None) -> Answer:
    wanted = {ref.source_id for ref in answer.refs}
    answer.sources = [source for source in await store.sources(guild_id) if source.id in wanted]
    return answer


# --- time anchoring ------------------------------------------------------------------


def last_day(published: Published) -> date:
    """The latest day a source dated this loosely can have been written."""
    value = published.value
    if published.precision is Precision.WEEK:
        return value + timedelta(days=6)
    if published.precision is Precision.MONTH:
        return value.replace(day=calendar.monthrange(value.year, value.month)[1])
    if published.precision is Precision.YEAR:
        return value.replace(month=12, day=31)
    return value


def as_of_text(published: Published) -> str:
    if published.precision is Precision.YEAR:
        return f"{published.value.year}"
    return f"{published.value:%B %Y}"


def age_text(days: int) -> str:
    """'over 7 years', 'over 2 months', '45 days': never more than it is."""
    if days >= 365:
        years = days // 365
        return f"over {years} year{'s' if years != 1 else ''}"
    if days >= 61:
        return f"over {days // 30} months"
    return f"{days} days"


def anchor(
    answer: Answer, now: datetime, stale_after: timedelta = timedelta(days=STALE_AFTER_DAYS)
) -> Answer:
    """Say the time old lines speak for, and add the freshness line when the newest
    source the answer rests on is older than `stale_after`. Relative to `now`, never the
    wall clock; safe to call again."""
    today = now.date()
    published = {s.id: s.published for s in answer.sources if s.published is not None}
    for section in answer.sections:
        for line in section.lines:
            dated = [published[i] for i in line.source_ids if i in published]
            old = dated and all(today - last_day(p) > DATED_AFTER for p in dated)
            line.as_of = as_of_text(max(dated, key=last_day)) if old else ""
    answer.freshness = ""
    if published:
        newest = max(published.values(), key=last_day)
        age = (today - last_day(newest)).days
        if age > stale_after.days:
            answer.freshness = (
                f"Newest source: {as_of_text(newest)}, {age_text(age)} old — "
                "this briefing may be out of date"
            )
    return answer


# --- who -------------------------------------------------------------------------------


async def who(store: Store, asker: Asker, name: str | None = None) -> Answer:
    if not name or not name.strip():
        return await key_actors(store, asker)
    if len(name) > MAX_NAME:
        raise BadInput(f"That name is too long (at most {MAX_NAME} characters).")
    match = await store.find_entity(name)
    if match.entity is None:
        held = await holder(store, asker, name)
        if held is not None:
            return held
        return Answer(
            title=f"No entry for “{user(name.strip())}”",
            intro="The briefing has no one by that name, and nothing is made up to fill the gap.",
            found=False,
            suggestions=match.suggestions,
            suggested=await _suggested(store, match.suggestions),
        )
    return await profile(store, asker, match.entity, match.alias)


# How many reported facts a profile shows before the rest are folded away.
KEY_FACTS = 3


async def profile(store: Store, asker: Asker, entity: Entity, alias: str = "") -> Answer:
    """One entity's cited profile: role and key reported facts first; the other kinds
    and meetings in folded sections (renderers with menus show them on demand)."""
    guild_id, now = asker.scope, asker.now
    answer = Answer(title=entity.name, subject_id=entity.id)
    if entity.aliases:
        answer.intro = f"Also written: {', '.join(entity.aliases[:8])}"
    if alias and _is_short_name(entity, alias):
        others = await store.names_with_word(alias, entity.id)
        note = _short_name_note(entity, alias, others)
        answer.intro = f"{note}\n{answer.intro}".strip()
    facts = await store.facts_about(entity.id, guild_id)
    if entity.role:
        answer.sections = [Section("Role", [role_line(answer, entity, detail=True)])]
    answer.sections += _folded(facts_by_kind(answer, facts))
    if len(facts) >= ANSWER_LIMIT:
        answer.hints.append(
            Hint(f"Showing the first {ANSWER_LIMIT} facts; the rest:", f"{asker.prefix}search")
        )
    meetings = await store.meetings_involving(entity.id, guild_id, ANSWER_LIMIT)
    if len(meetings) >= ANSWER_LIMIT:
        answer.intro += f"\nShowing {ANSWER_LIMIT} of the meetings, oldest first."
    if meetings:
        lines = [meeting_line(answer, m, now) for m in meetings]
        answer.sections.append(Section("Meetings", lines, key="meetings", folded=True))
    if not facts and not meetings:
        answer.intro += "\nThe sources say nothing more about them yet."
    return await _attach_sources(store, answer, guild_id)


_FOLD_KEYS = {
    Kind.REPORTED: "more reported",
    Kind.QUOTE: "quotes",
    Kind.ATTRIBUTED: "views",
    Kind.OPINION: "opinions",
}


def _folded(sections: list[Section]) -> list[Section]:
    """A profile's kinds: the first KEY_FACTS reported facts shown, everything else in
    folded sections keyed by kind."""
    out = []
    for section in sections:
        if section.kind is Kind.REPORTED:
            out.append(Section("Key reported facts", section.lines[:KEY_FACTS], Kind.REPORTED))
            rest = section.lines[KEY_FACTS:]
            if rest:
                out.append(Section("More reported", rest, Kind.REPORTED, "more reported", True))
            continue
        assert section.kind is not None
        section.key, section.folded = _FOLD_KEYS[section.kind], True
        out.append(section)
    return out


async def who_by_id(store: Store, asker: Asker, entity_id: int) -> Answer:
    """The profile of entity `entity_id` (for buttons and menus that name it)."""
    entity = await store.entity(entity_id)
    if entity is None:
        raise NotFound("That entry is no longer in the briefing.")
    return await profile(store, asker, entity)


async def _suggested(store: Store, names: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    """The suggested names with the entity each names, for buttons that open them."""
    out: list[tuple[str, int]] = []
    for name in names[:SUGGESTED_MAX]:
        found = (await store.find_entity(name)).entity
        if found is not None and found.id not in {i for _, i in out}:
            out.append((found.name, found.id))
    return tuple(out)


SUGGESTED_MAX = 3


async def holder(store: Store, asker: Asker, name: str) -> Answer | None:
    """The views the sources attribute to a holder named like `name` ("analysts",
    "European leaders"), or None if no fact is attributed to anyone by that name."""
    guild_id = asker.scope
    holders = [h for h in await store.holders(guild_id) if holder_matches(name, h)]
    if not holders:
        return None
    facts = await store.facts_attributed_to(holders, guild_id)
    named = ", ".join(f"“{user(h)}”" for h in holders)
    answer = Answer(
        title=user(holders[0]) if len(holders) == 1 else f"Views held by “{user(name.strip())}”",
        intro=(
            f"{named}: not a person or body the briefing profiles, but the sources attribute "
            "these views or words to them."
        ),
    )
    answer.sections = facts_by_kind(answer, facts)
    if len(facts) >= ANSWER_LIMIT:
        answer.hints.append(
            Hint(f"Showing the first {ANSWER_LIMIT} facts; the rest:", f"{asker.prefix}search")
        )
    return await _attach_sources(store, answer, guild_id)


def _is_short_name(entity: Entity, alias: str) -> bool:
    """A person found by one word of their name ("Kim", "Putin"), not the whole of it."""
    words = entity.name.casefold().split()
    return entity.type == "person" and len(words) > 1 and alias.casefold() in words


def _short_name_note(entity: Entity, alias: str, others: list[str]) -> str:
    # The alias as stored, not as typed: answers are cached under the folded name.
    name, word = user(entity.name), user(alias)
    if not others:
        return f"“{word}” is taken to mean {name}, the only {word} in the briefing."
    also = ", ".join(user(other) for other in others)
    return f"“{word}” is taken to mean {name}; the briefing also has {also} (ask by full name)."


async def key_actors(store: Store, asker: Asker) -> Answer:
    guild_id = asker.scope
    answer = Answer(
        title="Key actors in the briefing",
        hints=[Hint("Ask about one:", f"{asker.prefix}who <name>")],
    )
    lines = []
    for entity, _ in await store.key_actors(guild_id):
        lines.append(role_line(answer, entity))
    answer.sections = [Section("People and organisations", lines)]
    return await _attach_sources(store, answer, guild_id)


# --- sanctions -------------------------------------------------------------------------


async def sanctions(store: Store, asker: Asker) -> Answer:
    guild_id = asker.scope
    facts = await store.facts_by_topic("sanctions", guild_id)
    answer = Answer(
        title="Sanctions on North Korea",
        subject_id=0,
        intro="What the sources report, who said what, and whose view each claim is.",
    )
    reported = [f for f in facts if f.kind is Kind.REPORTED]
    effect = [f for f in reported if "economy" in f.topics]
    what = [f for f in reported if f not in effect]
    groups = [
        ("What they are", what, Kind.REPORTED),
        ("Their reported effect", effect, Kind.REPORTED),
        ("Stated positions (verbatim)", [f for f in facts if f.kind is Kind.QUOTE], Kind.QUOTE),
        (
            "Views attributed to others",
            [f for f in facts if f.kind is Kind.ATTRIBUTED],
            Kind.ATTRIBUTED,
        ),
        (
            "The author's opinion (not established fact)",
            [f for f in facts if f.kind is Kind.OPINION],
            Kind.OPINION,
        ),
    ]
    for heading, group, kind in groups:
        if group:
            lines = [fact_line(answer, f) for f in group]
            # The author's opinions are folded: shown on demand, after the reporting.
            folded = kind is Kind.OPINION
            key = "opinions" if folded else ""
            answer.sections.append(Section(heading, lines, kind, key, folded))
    if not facts:
        answer.intro = "The briefing holds nothing on sanctions yet."
    elif len(facts) >= ANSWER_LIMIT:
        answer.hints.append(
            Hint(f"Showing the first {ANSWER_LIMIT} facts; the rest:", f"{asker.prefix}search")
        )
    return await _attach_sources(store, answer, guild_id)


# --- meetings --------------------------------------------------------------------------


def is_over(meeting: Meeting, now: datetime) -> bool:
    return meeting.when.finishes() <= now


def meeting_line(answer: Answer, meeting: Meeting, now: datetime) -> Line:
    people = ", ".join(user(p.name) for p in meeting.participants)
    status = meeting.status.value
    if meeting.status is MeetingStatus.SCHEDULED and is_over(meeting, now):
        status = "was scheduled; its date has passed and no outcome is recorded"
    if meeting.status_note:
        status += f": {user(meeting.status_note)}"
    extra = (*meeting.date_provenance.citations, *meeting.status_provenance.citations)
    return Line(
        text=people,
        lead=user(meeting.title),
        place=user(meeting.place.name) if meeting.place else "",
        status=status,
        markers=answer.cite((*meeting.citations, *extra), meeting_id=meeting.id),
        when=meeting.when,
        past=is_over(meeting, now),
        labels=labels_of(meeting.status_provenance, "status")
        + labels_of(meeting.date_provenance, "date"),
    )


def nearest_meeting(meetings: list[Meeting], now: datetime) -> tuple[Meeting, bool] | None:
    """The next meeting not yet over (True), else the latest past one (False)."""
    live = [m for m in meetings if m.status is not MeetingStatus.CANCELLED]
    upcoming = [m for m in live if not is_over(m, now)]
    if upcoming:
        return upcoming[0], True
    past = [m for m in live if is_over(m, now)]
    return (max(past, key=lambda m: m.when.start), False) if past else None


async def next_meeting(store: Store, asker: Asker) -> Answer:
    guild_id, now = asker.scope, asker.now
    answer = Answer(title="Next meeting")
    found = nearest_meeting(await store.meetings(guild_id), now)
    if found is None or not found[1]:
        answer.intro = "No upcoming meeting is recorded in the briefing."
    if found is not None:
        heading = "Upcoming" if found[1] else "Most recent (past)"
        answer.sections = [Section(heading, [meeting_line(answer, found[0], now)])]
    return await _attach_sources(store, answer, guild_id)


async def timeline(store: Store, asker: Asker) -> Answer:
    guild_id, now = asker.scope, asker.now
    meetings = await store.latest_meetings(guild_id, ANSWER_LIMIT)
    answer = Answer(title="Timeline", intro="Meetings and dated events, oldest first.")
    if len(meetings) >= ANSWER_LIMIT:
        answer.intro += f" Showing the latest {ANSWER_LIMIT} meetings."
    if not meetings:
        answer.intro = "No dated events are recorded yet."
    answer.sections = [Section("Events", [meeting_line(answer, m, now) for m in meetings])]
    return await _attach_sources(store, answer, guild_id)


# --- search, facts, sources ------------------------------------------------------------


SEARCH_PAGE = 10
_PAGE = re.compile(r"(?<!\S)page:\S*", re.IGNORECASE)


async def search(store: Store, asker: Asker, query: str) -> Answer:
    """Facts matching a query (syntax: bot.query), one page of SEARCH_PAGE at a time,
    saying how many matched in all, which words matched nothing and which were left out."""
    guild_id = asker.scope
    if not query.strip():
        raise BadInput("Search for something, e.g. `search sanctions`.")
    if len(query) > MAX_QUERY:
        raise BadInput(f"That search is too long (at most {MAX_QUERY} characters).")
    parsed = parse_query(query)
    answer = Answer(title=f"Search: {user(query.strip())}", found=False)
    if not parsed.clauses:
        answer.intro = _nothing_to_search(parsed.ignored)
        if not parsed.ignored:
            answer.hints.append(Hint("Try e.g.", f"{asker.prefix}search sanctions"))
        return answer
    notes = _query_notes(parsed)
    offset = (parsed.page - 1) * SEARCH_PAGE
    results = await store.search_page(parsed, guild_id, offset, SEARCH_PAGE)
    if results.unmatched and len(results.unmatched) < len(parsed.terms()):
        unmatched = ", ".join(f"“{user(word)}”" for word in results.unmatched)
        notes.insert(0, f"Nothing matched {unmatched}.")
    if not results.facts:
        answer.intro = " ".join([_nothing_found(results.total, parsed.page), *notes]).strip()
        return answer
    answer.found = True
    answer.intro = " ".join([*notes, _page_line(parsed, results, offset)]).strip()
    if offset + len(results.facts) < results.total:
        again = _PAGE.sub("", query).strip()
        answer.hints.append(
            Hint("The next ones:", f"{asker.prefix}search {user(again)} page:{parsed.page + 1}")
        )
    answer.sections = [Section("Results", [fact_line(answer, fact) for fact in results.facts])]
    return await _attach_sources(store, answer, guild_id)


def _query_notes(parsed: Query) -> list[str]:
    notes = []
    if parsed.ignored:
        ignored = ", ".join(f"“{user(word)}”" for word in parsed.ignored)
        notes.append(f"Common words left out: {ignored}.")
    if parsed.truncated:
        notes.append(f"Only the first {MAX_TERMS} words were searched.")
    return notes


def _nothing_to_search(ignored: tuple[str, ...]) -> str:
    if not ignored:
        return "There is no word to search for in that."
    shown = ", ".join(f"“{user(word)}”" for word in ignored)
    verb = "is" if len(ignored) == 1 else "are"
    return f"{shown} {verb} too common to search for; add a word that says more."


def _nothing_found(total: int, page: int) -> str:
    if total == 0:
        return "Nothing in the briefing matches that."
    pages = -(-total // SEARCH_PAGE)
    return (
        f"There is no page {page}: {total} {_plural(total, 'match', 'matches')} make "
        f"{pages} {_plural(pages, 'page', 'pages')}."
    )


def _page_line(parsed: Query, results: Results, offset: int) -> str:
    loose = "No fact has every word, so these have some of the words. " if results.loosened else ""
    shown = len(results.facts)
    if offset == 0 and shown == results.total:
        count = f"{shown} {_plural(shown, 'match', 'matches')}"
        return f"{loose}{count}, most relevant first."
    line = f"{loose}Matches {offset + 1}–{offset + shown} of {results.total}, most relevant first."
    return line


def _plural(count: int, one: str, many: str) -> str:
    return one if count == 1 else many


async def fact(store: Store, asker: Asker, fact_id: int) -> Answer:
    guild_id = asker.scope
    found = await store.fact(fact_id, guild_id)
    if found is None:
        raise NotFound(f"There is no fact {fact_id} in this server's briefing.")
    answer = Answer(title=f"Fact {found.id}")
    # The statement in the briefing's words, with its kind, citations and any label.
    details = [fact_line(answer, found, verbatim_quotes=False)]
    if found.topics:
        details.append(Line("Topics: " + ", ".join(user(t) for t in found.topics)))
    answer.sections = [Section("Statement", details)]
    quotes = [Line(user(quoted(ref.quote)), markers=[ref.marker]) for ref in answer.refs]
    answer.sections.append(Section("Verbatim from the source", quotes))
    return await _attach_sources(store, answer, guild_id)


def source_line(source: Source) -> Line:
    """A source as a line, with where its date comes from when that is not in it."""
    provenance = source.published.provenance if source.published else Provenance()
    return Line("", source=source, labels=labels_of(provenance, "date"), detail=True)


async def sources(store: Store, asker: Asker) -> Answer:
    guild_id = asker.scope
    found = await store.sources(guild_id)
    answer = Answer(title="Sources", intro="Everything the briefing is built from.")
    answer.sections = [Section("Sources", [source_line(s) for s in found])]
    answer.sources = found
    return answer


async def source(store: Store, asker: Asker, source_id: int) -> Answer:
    guild_id = asker.scope
    found = await store.source(source_id, guild_id, with_text=True)
    if found is None:
        raise NotFound(f"There is no source {source_id} in this server's briefing.")
    answer = Answer(title=f"Source S{found.id}")
    excerpt = (found.text or "").strip()
    answer.sections = [
        Section("Source", [source_line(found)]),
        Section("Opening", [Line(user(excerpt[:600]) + ("…" if len(excerpt) > 600 else ""))]),
    ]
    answer.sources = [found]
    return answer


async def about(store: Store, asker: Asker, shards: str = "") -> Answer:
    """`shards`: what this process runs, e.g. `shards 0, 1 of 4` (several processes may
    share the bot's shards)."""
    from bot import __version__

    guild_id, now = asker.scope, asker.now
    started = asker.started or now
    counts = await store.counts(guild_id)
    uptime = now - started
    hours, rest = divmod(int(uptime.total_seconds()), 3600)
    lines = [
        Line(f"Version {__version__}"),
        Line(
            ", ".join(
                f"{count} {_plural(count, one, many)}"
                for count, one, many in [
                    (counts.facts, "fact", "facts"),
                    (counts.meetings, "meeting", "meetings"),
                    (counts.sources, "source", "sources"),
                    (counts.entities, "entity", "entities"),
                ]
            )
        ),
        Line(f"Up for {hours}h {rest // 60}m"),
        Line(f"Facts kept in {store.engine}"),
    ]
    if shards:
        lines.append(Line(f"This process runs {shards}"))
    return Answer(
        title="About this briefing bot",
        intro="Cited briefings on the Korean peninsula.",
        sections=[Section("Status", lines)],
    )


# --- verbatim quotes -------------------------------------------------------------------

QUOTES_INTRO = "Exactly as the source has them."
# At most this many cited rows are looked up for one (possibly forged) Quotes button:
# its 100-character custom_id holds about that many ("f1,f2,…").
QUOTED_ROWS_MAX = 30


def quotes(
    title: str, refs: list[Ref], sources: list[Source], freshness: str = "", covers: str = ""
) -> Answer:
    """The verbatim quotes behind `refs`, one line a marker saying what it stands for
    (fact 12 · S1): the one builder of the Quotes panel, for a page of an answer and for
    a Quotes button alike. `covers` says which part of the answer ("page 1 of 2")."""
    lines = []
    for marker in dict.fromkeys(ref.marker for ref in refs):
        group = [ref for ref in refs if ref.marker == marker]
        first = group[0]
        what = (
            f"fact {first.fact_id}"
            if first.fact_id
            else f"meeting {first.meeting_id}"
            if first.meeting_id
            else "role"
            if first.entity_id
            else ""
        )
        ids = " · ".join(dict.fromkeys(f"S{ref.source_id}" for ref in group))
        lines.append(
            Line(
                " ".join(user(quoted(ref.quote)) for ref in group),
                lead=f"[{marker}] {what} · {ids}" if what else f"[{marker}] {ids}",
                fact_id=first.fact_id,
                source_ids=tuple(dict.fromkeys(ref.source_id for ref in group)),
            )
        )
    wanted = {ref.source_id for ref in refs}
    intro = f"{QUOTES_INTRO[:-1]}, for {covers}." if covers else QUOTES_INTRO
    return Answer(
        title=title,
        intro=intro,
        sections=[Section("Quotes", lines)] if lines else [],
        refs=list(refs),
        sources=[source for source in sources if source.id in wanted],
        freshness=freshness,
        panel=True,
    )


def page_quotes(answer: Answer, markers: list[str], covers: str = "") -> Answer:
    """The quotes behind the markers one page of `answer` shows."""
    refs = [ref for ref in answer.refs if ref.marker in markers]
    title = f"Verbatim quotes: {answer.title}"
    return quotes(title, refs, answer.sources, answer.freshness, covers)


async def cited_quotes(store: Store, asker: Asker, items: list[tuple[str, int]]) -> Answer:
    """The verbatim quotes behind the cited facts ("f", 12), meetings ("m", 2) and roles
    ("e", 1) a Quotes button names, as the asker's server sees them."""
    guild_id = asker.scope
    cited = Answer(title="Verbatim quotes")
    for kind, number in items[:QUOTED_ROWS_MAX]:
        if kind == "e":
            entity = await store.entity(number)
            if entity is not None:
                cited.cite(entity.role_provenance.citations, entity_id=number)
            continue
        found = (
            await store.fact(number, guild_id)
            if kind == "f"
            else await store.meeting(number, guild_id)
        )
        if found is not None:
            cited.cite(found.citations, number if kind == "f" else None)
    answer = quotes(cited.title, cited.refs, await store.sources(guild_id), covers="this answer")
    if not answer.refs:
        answer.intro = "No quotes to show: what this button cites is not in this server's briefing."
    return answer


# --- moderation views ------------------------------------------------------------------


async def meeting(store: Store, asker: Asker, meeting_id: int) -> Answer:
    guild_id, now = asker.scope, asker.now
    found = await store.meeting(meeting_id, guild_id)
    if found is None:
        raise NotFound(f"There is no meeting {meeting_id} in this server's briefing.")
    answer = Answer(title=f"Meeting {found.id}: {user(found.title)}")
    lines = [meeting_line(answer, found, now)]
    if found.when.resolution:
        lines.append(
            Line(
                f"How the date is known: {user(found.when.resolution)}",
                markers=answer.cite(found.date_provenance.citations or found.citations),
                labels=labels_of(found.date_provenance, "date"),
                detail=True,
            )
        )
    if found.status_provenance.labelled:
        lines.append(
            Line(
                f"Status: {found.status.value}",
                markers=answer.cite(found.status_provenance.citations),
                labels=labels_of(found.status_provenance),
                detail=True,
            )
        )
    answer.sections = [Section("Meeting", lines)]
    return await _attach_sources(store, answer, guild_id)


def _changes(before: dict | None, after: dict | None) -> str:
    if before is None:
        return "created"
    if after is None:
        return "removed"
    changed = [
        f"{key}: {_short(before.get(key))} → {_short(after.get(key))}"
        for key in sorted(after)
        if key not in {"version", "updated_at"} and before.get(key) != after.get(key)
    ]
    return "; ".join(changed) or "no field changed"


def _short(value: object) -> str:
    """A stored value in an audit line: one line, quoted, so whatever a moderator typed
    reads as their text and never as another line of the log."""
    if value is None or value == "":
        return "(none)"
    text = one_line(str(value))
    text = text if len(text) <= 80 else text[:79] + "…"
    return user(quoted(text)) if isinstance(value, str) else text


def _entry_line(entry: AuditEntry) -> Line:
    who = f"user {entry.actor_id}" if entry.actor_id else "the curated data"
    why = f" Reason: {_short(entry.reason)}" if entry.reason else ""
    text = (
        f"{who}: {entry.action} {entry.object_type} "
        f"{entry.object_id}. {_changes(entry.before, entry.after)}.{why}"
    )
    return Line(text, at=entry.at)


async def history(store: Store, asker: Asker, object_type: str, object_id: int) -> Answer:
    guild_id = asker.scope
    entries = await store.history(object_type, object_id, guild_id)
    answer = Answer(title=f"History of {object_type} {object_id}")
    if not entries:
        answer.intro = "No recorded changes (curated facts change only through the data files)."
    answer.sections = [Section("Changes, oldest first", [_entry_line(e) for e in entries])]
    return answer


async def audit(store: Store, asker: Asker, limit: int) -> Answer:
    guild_id = asker.scope
    entries = await store.audit_log(guild_id, limit)
    scope = "this server" if guild_id else "the shared facts"
    answer = Answer(title="Audit log", intro=f"The latest {len(entries)} change(s) to {scope}.")
    answer.sections = [Section("Newest first", [_entry_line(e) for e in entries])]
    return answer


def confirmation(
    title: str, *lines: str, when: When | None = None, now: datetime | None = None
) -> Answer:
    """A moderator's change, echoed back as it was understood."""
    body = [Line(text) for text in lines]
    if when is not None:
        past = now is not None and when.finishes() <= now
        body.append(Line("", when=when, past=past, when_label="Understood as"))
    return Answer(title=title, sections=[Section("Done", body)])


# --- daily digest ----------------------------------------------------------------------

UPCOMING_WINDOW = timedelta(days=7)
CHANGED_INTRO = "What changed in the briefing since the last digest."


def _change_label(fact: Fact) -> str:
    if fact.retracted:
        return "Retracted"
    return "Corrected" if fact.version > 1 else "Added"


async def digest(
    store: Store,
    asker: Asker,
    since: datetime,
    stale_after: timedelta = timedelta(days=STALE_AFTER_DAYS),
    day: date | None = None,
    until: datetime | None = None,
) -> Answer:
    """What changed in the asker's server since the last digest, meetings in the next
    seven days, and, when nothing changed, a short standing summary instead of silence;
    dated like every answer (see `anchor`). Titled with `day`, the server's local day it
    is for (else the UTC date of `now`). `until`: only changes up to then (a posted
    digest's window, shown again by its button); else up to `now`."""
    if asker.scope is None:
        raise ValueError("a digest is for one server")
    guild_id, now = asker.scope, asker.now
    answer = Answer(title="Daily briefing", day=day or now.date(), window=(since, until or now))
    changed = await store.facts_changed_since(since, guild_id, ANSWER_LIMIT, until)
    meetings = await store.meetings_changed_since(since, guild_id, ANSWER_LIMIT, until)
    for label in ("Added", "Corrected", "Retracted"):
        lines = [fact_line(answer, fact) for fact in changed if _change_label(fact) == label]
        if lines:
            answer.sections.append(
                Section(f"{label} since the last digest", lines, key=label.lower())
            )
    if meetings:
        lines = [meeting_line(answer, m, now) for m in meetings]
        answer.sections.append(Section("Meetings added or changed", lines, key="meetings"))
    upcoming = [
        m
        for m in await store.meetings(guild_id)
        if m.status is not MeetingStatus.CANCELLED
        and not is_over(m, now)
        and m.when.start <= now + UPCOMING_WINDOW
    ]
    if upcoming:
        lines = [meeting_line(answer, m, now) for m in upcoming]
        answer.sections.append(Section("In the next seven days", lines, key="upcoming"))
    if changed or meetings:
        answer.intro = CHANGED_INTRO
        if max(len(changed), len(meetings)) >= ANSWER_LIMIT:
            answer.intro += f" Showing the first {ANSWER_LIMIT} changed facts and meetings."
    else:
        answer.intro = "Nothing changed since the last digest. The standing picture:"
        answer.sections += await _standing_summary(store, answer, guild_id, now, bool(upcoming))
    return anchor(await _attach_sources(store, answer, guild_id), now, stale_after)


async def digest_again(
    store: Store,
    asker: Asker,
    since: datetime,
    until: datetime,
    day: date,
    stale_after: timedelta = timedelta(days=STALE_AFTER_DAYS),
) -> Answer:
    """A posted digest in full, for its Show all button: the changes of its window
    (after `since`, up to `until`) as they read now, in the asker's server; a fact
    changed again since is left to the next digest. Meetings ahead are as of now."""
    answer = await digest(store, asker, since, stale_after, day=day, until=until)
    if answer.intro.startswith(CHANGED_INTRO):
        whole = (
            f"All of this digest: what changed from <t:{int(since.timestamp())}:f> to "
            f"<t:{int(until.timestamp())}:f>, as it reads now."
        )
        answer.intro = whole + answer.intro.removeprefix(CHANGED_INTRO)
    return answer


# A posted digest is a summary: counts per kind, then these many items; its button
# shows the rest (see `digest_summary`).
TOP_CHANGES = 3
TOP_MEETINGS = 2
# Which changed facts a summary shows first: a retraction or correction changes what
# members may already believe; then reporting before views and opinions.
_CHANGE_ORDER = ("retracted", "corrected", "added")
_KIND_ORDER = (Kind.REPORTED, Kind.QUOTE, Kind.ATTRIBUTED, Kind.OPINION)
_KIND_COUNTS = {
    Kind.REPORTED: ("reported", "reported"),
    Kind.QUOTE: ("quote", "quotes"),
    Kind.ATTRIBUTED: ("view", "views"),
    Kind.OPINION: ("opinion", "opinions"),
}


def change_counts(answer: Answer) -> str:
    """What a digest's changes are, as counts per kind: "3 reported · 2 views · 1
    opinion · 1 meeting", and "(1 corrected, 1 retracted)" when there are such."""
    facts = [line for s in answer.sections if s.key in _CHANGE_ORDER for line in s.lines]
    counts = []
    for kind in _KIND_ORDER:
        count = sum(line.kind is kind for line in facts)
        if count:
            one, many = _KIND_COUNTS[kind]
            counts.append(f"{count} {_plural(count, one, many)}")
    meetings = sum(len(s.lines) for s in answer.sections if s.key == "meetings")
    if meetings:
        counts.append(f"{meetings} {_plural(meetings, 'meeting', 'meetings')}")
    text = " · ".join(counts)
    how = [
        f"{len(s.lines)} {s.key}" for s in answer.sections if s.key in ("corrected", "retracted")
    ]
    return f"{text} ({', '.join(how)})" if how and text else text


def digest_summary(full: Answer) -> Answer:
    """The digest as posted: what changed as counts per kind, the top few changes
    (retractions and corrections first, then reporting) and the next meetings; `rest`
    says how many items are left to the button that shows the whole `full` digest. A
    digest with nothing changed (the standing summary) is short already: it is kept."""
    changes = [s for s in full.sections if s.key in _CHANGE_ORDER or s.key == "meetings"]
    if not changes:
        return full
    picked = _top_changes(full)
    upcoming = next((s for s in full.sections if s.key == "upcoming"), None)
    ahead = upcoming.lines[:TOP_MEETINGS] if upcoming else []
    ahead_markers = {marker for line in ahead for marker in line.markers}
    summary = Answer(
        title=full.title,
        day=full.day,
        window=full.window,
        freshness=full.freshness,
        intro=f"What changed since the last digest: **{change_counts(full)}**.",
    )
    renumbered: dict[str, str] = {}
    for section in full.sections:
        if section.key == "upcoming":
            lines = ahead
        elif section.key == "meetings":
            # A changed meeting that is also ahead is shown there, once.
            fresh = [ln for ln in section.lines if not set(ln.markers) & ahead_markers]
            lines = fresh[:TOP_MEETINGS]
        else:
            lines = [line for line in section.lines if id(line) in picked]
        if lines:
            summary.sections.append(_recited(summary, full.refs, section, lines, renumbered))
    summary.rest = _left_out(full, picked | {id(line) for line in ahead}, set(renumbered))
    if summary.rest:
        summary.intro += f"\nThe top items are below; **Show all** lists the other {summary.rest}."
    wanted = {ref.source_id for ref in summary.refs}
    summary.sources = [source for source in full.sources if source.id in wanted]
    return summary


def _left_out(full: Answer, shown: set[int], markers: set[str]) -> int:
    """How many of the full digest's items a summary does not show: lines not `shown`
    (by identity), a meeting counted as shown when its citation is (a changed meeting
    that is also ahead is one item)."""
    left = 0
    for section in full.sections:
        for line in section.lines:
            meeting = section.key in ("meetings", "upcoming") and line.markers
            if id(line) not in shown and not (meeting and set(line.markers) <= markers):
                left += 1
    return left


def _top_changes(full: Answer) -> set[int]:
    """The TOP_CHANGES changed fact lines a summary shows (by identity)."""
    ranked = [
        (rank, _KIND_ORDER.index(line.kind) if line.kind else 0, order, line)
        for rank, key in enumerate(_CHANGE_ORDER)
        for section in full.sections
        if section.key == key
        for order, line in enumerate(section.lines)
    ]
    ranked.sort(key=lambda item: item[:3])
    return {id(item[3]) for item in ranked[:TOP_CHANGES]}


def _recited(
    summary: Answer, refs: list[Ref], section: Section, lines: list[Line], new: dict[str, str]
) -> Section:
    """`section` with only `lines`, their markers numbered afresh in `summary` (`new`:
    the full digest's markers already renumbered); its heading says when some of the
    section's lines are left to the button."""
    out = []
    for line in lines:
        for marker in line.markers:
            if marker not in new:
                new[marker] = str(len(new) + 1)
                group = [ref for ref in refs if ref.marker == marker]
                summary.refs += [dataclasses.replace(ref, marker=new[marker]) for ref in group]
        out.append(dataclasses.replace(line, markers=[new[m] for m in line.markers]))
    heading = section.heading
    if len(lines) < len(section.lines):
        heading = f"{heading} ({len(lines)} of {len(section.lines)})"
    return Section(heading, out, section.kind, section.key)


async def _standing_summary(
    store: Store, answer: Answer, guild_id: int, now: datetime, has_upcoming: bool
) -> list[Section]:
    actors = [role_line(answer, entity) for entity, _ in await store.key_actors(guild_id, limit=4)]
    sections = [Section("Key actors", actors or [Line("none recorded")])]
    picture = [
        f
        for f in await store.facts_by_topic("sanctions", guild_id)
        if f.kind in (Kind.REPORTED, Kind.QUOTE)
    ][:2]
    if picture:
        sections.append(Section("Sanctions", [fact_line(answer, f) for f in picture]))
    if not has_upcoming:
        found = nearest_meeting(await store.meetings(guild_id), now)
        if found is not None:
            heading = "Next meeting" if found[1] else "Most recent meeting (past)"
            sections.append(Section(heading, [meeting_line(answer, found[0], now)]))
    return sections


NAME_CHOICES = 25  # Discord shows at most 25 autocomplete choices
NAME_TYPED_MAX = 100  # an autocomplete option holds at most 100 characters


async def names_like(store: Store, typed: str, guild_id: int | None) -> list[str]:
    """Names to offer while someone types a name (the `who` autocomplete): entities,
    then the holders of views, who answer `who` too ("analysts")."""
    typed = typed[:NAME_TYPED_MAX]
    names = await store.complete_names(typed, limit=NAME_CHOICES)
    holders = await store.holders(guild_id)
    names += [h for h in holders if h not in names and holder_completes(typed, h)]
    return names[:NAME_CHOICES]


# --- how read commands call the builders -----------------------------------------------

Builder = Callable[..., Awaitable[Answer]]

# The read commands and their builders, for every front end (cogs, console, help).
READS: dict[str, Builder] = {
    "who": who,
    "sanctions": sanctions,
    "next-meeting": next_meeting,
    "timeline": timeline,
    "search": search,
    "fact": fact,
    "sources": sources,
    "source": source,
    "meeting": meeting,
    "about": about,
}


def _who_key(name: str | None = None) -> tuple:
    # Names are looked up folded (Kim, KIM, Kím are one answer).
    return (fold(name or ""),)


def _search_key(query: str) -> tuple:
    return (query.strip(),)


# Builders that read their arguments loosely, and so are cached under the loose form. An
# answer that echoes what was typed is then kept only if it found something (see
# `keeps_misses`), since another spelling would be shown the first one's.
_LOOSE_KEYS: dict[str, Callable[..., tuple]] = {"who": _who_key, "search": _search_key}
_ECHOED_MISSES = {"who"}


def cache_key(builder: Builder, args: tuple) -> tuple:
    """What an answer depends on besides the store, the asker's scope and the time: the
    builder and the arguments it is given, as it reads them."""
    loose = _LOOSE_KEYS.get(builder.__name__)
    return (builder.__name__, *(loose(*args) if loose else args))


def keeps_misses(builder: Builder) -> bool:
    """Whether an answer that found nothing may be kept under its key."""
    return builder.__name__ not in _ECHOED_MISSES
