"""The curated data in `data/`: reading it, checking it, and writing it back.

`data/entities.toml` lists entities and their aliases; each `data/briefing/*.toml`
holds one source with its facts and meetings. Everything here is plain data: the store
imports a checked `Bundle`, and `export` turns store contents back into the same format.
"""

from __future__ import annotations

import hashlib
import json
import re
import tomllib
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dateutil import parser as date_parser

from bot import dates
from bot.errors import BadInput
from bot.models import Kind, MeetingStatus, Precision, Published, When
from bot.text import (
    Span,
    closest_passage,
    find_quote,
    fold,
    normalise_for_match,
    quote_matches_span,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

DATA_DIR = Path(__file__).resolve().parent.parent / "data"


@dataclass(slots=True)
class CitationSpec:
    quote: str
    at: tuple[int, int] | None
    source: str  # source key


@dataclass(slots=True)
class ProvenanceSpec:
    """What a role, date or status rests on: verbatim citations, or a curator's label.

    In the files it is written beside the thing it supports, with that thing's name as a
    prefix: `role_citations = [...]`, `date_public_record = { note = "...", url = "..." }`,
    `published_inferred = "..."`; on a fact, `public_record` and `inferred` label what its
    statement adds beyond its citations.
    """

    citations: list[CitationSpec] = field(default_factory=list)
    public_record: str = ""
    url: str | None = None
    inferred: str = ""

    @property
    def labelled(self) -> bool:
        return bool(self.public_record.strip() or self.inferred.strip())


@dataclass(slots=True)
class SourceSpec:
    key: str
    title: str
    text: str
    title_is_ours: bool = False
    published: str | None = None
    published_precision: str = "day"
    published_note: str = ""
    url: str | None = None
    publisher: str | None = None
    author: str | None = None
    guild_id: int | None = None
    id: int | None = None  # set by export, so a rebuilt store keeps its numbers
    published_provenance: ProvenanceSpec | None = None


@dataclass(slots=True)
class EntitySpec:
    key: str
    name: str
    type: str
    role: str = ""
    aliases: list[str] = field(default_factory=list)
    summary: str = ""
    role_provenance: ProvenanceSpec | None = None


@dataclass(slots=True)
class FactSpec:
    key: str
    subject: str  # entity key
    statement: str
    kind: str
    citations: list[CitationSpec]
    topics: list[str] = field(default_factory=list)
    entities: list[str] = field(default_factory=list)
    attributed_to: str | None = None
    guild_id: int | None = None
    retracted: bool = False
    id: int | None = None
    provenance: ProvenanceSpec | None = None  # labels only; the citations are above


@dataclass(slots=True)
class MeetingSpec:
    key: str
    title: str
    date: str
    tz: str
    status: str
    citations: list[CitationSpec]
    # Entity keys, or {name = "..."} for someone without an entry (kept as typed).
    participants: list[str | dict] = field(default_factory=list)
    place: str | None = None
    place_name: str | None = None  # a place without an entry
    end: str | None = None
    relative_to: str | None = None
    date_basis: str = ""
    resolution: str | None = None  # set by export: how the date was first worked out
    status_note: str = ""
    guild_id: int | None = None
    id: int | None = None
    date_provenance: ProvenanceSpec | None = None
    status_provenance: ProvenanceSpec | None = None


@dataclass(slots=True)
class Bundle:
    """Everything read from the data folder, not yet checked."""

    entities: list[EntitySpec] = field(default_factory=list)
    sources: list[SourceSpec] = field(default_factory=list)
    facts: list[FactSpec] = field(default_factory=list)
    meetings: list[MeetingSpec] = field(default_factory=list)
    fingerprint: str = ""


def spec_hash(spec: DataclassInstance) -> str:
    """A stable digest of one curated item, to tell whether the file changed it.

    Fields left at their default are not part of it, so adding an optional field to the
    format does not make every item look changed.
    """
    values = {
        f.name: getattr(spec, f.name) for f in fields(spec) if getattr(spec, f.name) != _default(f)
    }
    payload = json.dumps(values, sort_keys=True, ensure_ascii=False, default=_plain)
    return hashlib.sha256(payload.encode()).hexdigest()[:16]


def _default(f: Field) -> object:
    if f.default is not MISSING:
        return f.default
    if f.default_factory is not MISSING:
        return f.default_factory()
    return MISSING


def _plain(value: object) -> object:
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    return str(value)


# --- reading -----------------------------------------------------------------------


def _citations(items: list[dict], default_source: str) -> list[CitationSpec]:
    out = []
    for item in items:
        at = item.get("at")
        out.append(
            CitationSpec(
                quote=item.get("quote", ""),
                at=(int(at[0]), int(at[1])) if at else None,
                source=item.get("source", default_source),
            )
        )
    return out


PROVENANCE_PARTS = ("citations", "public_record", "inferred")


def take_provenance(item: dict, prefix: str, default_source: str) -> ProvenanceSpec | None:
    """Pop `{prefix}citations`, `{prefix}public_record` and `{prefix}inferred` from a
    curated table; None when it has none of them."""
    names = [f"{prefix}{part}" for part in PROVENANCE_PARTS]
    if prefix == "":
        names = names[1:]  # a fact's own citations are its `citations`
    if not any(name in item for name in names):
        return None
    record = item.pop(f"{prefix}public_record", None) or {}
    if isinstance(record, str):
        record = {"note": record}
    return ProvenanceSpec(
        citations=_citations(item.pop(f"{prefix}citations", []), default_source) if prefix else [],
        public_record=str(record.get("note", "")),
        url=record.get("url"),
        inferred=str(item.pop(f"{prefix}inferred", "")),
    )


def _read_briefing(path: Path, bundle: Bundle) -> None:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    source = dict(raw["source"])
    text_path = path.parent.parent / source.pop("file")
    text = text_path.read_bytes().decode("utf-8")  # bytes as they are: no newline translation
    key = source["key"]
    published = take_provenance(source, "published_", key)
    bundle.sources.append(SourceSpec(text=text, published_provenance=published, **source))
    for fact in raw.get("facts", []):
        cites = _citations(fact.pop("citations", []), key)
        labels = take_provenance(fact, "", key)
        bundle.facts.append(FactSpec(citations=cites, provenance=labels, **fact))
    for meeting in raw.get("meetings", []):
        cites = _citations(meeting.pop("citations", []), key)
        on_date = take_provenance(meeting, "date_", key)
        on_status = take_provenance(meeting, "status_", key)
        bundle.meetings.append(
            MeetingSpec(
                citations=cites, date_provenance=on_date, status_provenance=on_status, **meeting
            )
        )


def _read_entity(item: dict) -> EntitySpec:
    role = take_provenance(item, "role_", "")
    return EntitySpec(role_provenance=role, **item)


def fingerprint(data_dir: Path = DATA_DIR) -> str:
    """A digest of every data file, so start-up can tell whether the store is stale."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.rglob("*")):
        if path.is_file() and path.suffix in {".toml", ".txt"}:
            digest.update(str(path.relative_to(data_dir)).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def load(data_dir: Path = DATA_DIR) -> Bundle:
    """Read the data folder. Raises BadInput for files that are not valid TOML."""
    bundle = Bundle(fingerprint=fingerprint(data_dir))
    entities_file = data_dir / "entities.toml"
    try:
        if entities_file.exists():
            raw = tomllib.loads(entities_file.read_text(encoding="utf-8"))
            bundle.entities = [_read_entity(item) for item in raw.get("entities", [])]
        for path in sorted((data_dir / "briefing").glob("*.toml")):
            _read_briefing(path, bundle)
    except (tomllib.TOMLDecodeError, KeyError, TypeError) as error:
        raise BadInput(f"cannot read the data files: {error}") from None
    return bundle


# --- resolving dates ---------------------------------------------------------------


def published_of(spec: SourceSpec) -> Published | None:
    if not spec.published:
        return None
    value = date_parser.isoparse(spec.published).date()
    return Published(value, Precision(spec.published_precision), spec.published_note)


def resolve_when(meeting: MeetingSpec, sources: dict[str, SourceSpec]) -> When:
    """Turn a curated meeting's date into a When, recording how it was resolved, in
    plain words: the curator's `date_basis` when given, else how the text was read."""
    zone_name, info = dates.zone(meeting.tz)
    if meeting.relative_to == "published":
        anchor = _publication_anchor(meeting, sources)
        day, _ = dates.resolve_relative_day(meeting.date, anchor)
        start, has_time = datetime.combine(day, datetime.min.time()), False
        how = (
            f"the source says '{meeting.date}'; counted from its date, {anchor:%-d %B %Y}, "
            f"that is {day:%A %-d %B %Y}"
        )
    else:
        start = date_parser.parse(meeting.date)
        has_time = ":" in meeting.date
        how = f"given as {meeting.date}"
    end = date_parser.parse(meeting.end) if meeting.end else None
    precision = Precision.MINUTE if has_time else Precision.DAY

    def instant(wall: datetime) -> datetime:
        if has_time:
            return dates.localise(wall, info, zone_name).astimezone(UTC)
        return dates.first_instant(wall, info).astimezone(UTC)

    return When(
        start=instant(start),
        tz=zone_name,
        precision=precision,
        end=instant(end) if end else None,
        resolution=meeting.resolution or meeting.date_basis or f"{how}; zone {zone_name}",
    )


def _publication_anchor(meeting: MeetingSpec, sources: dict[str, SourceSpec]) -> date:
    source_key = meeting.citations[0].source if meeting.citations else ""
    source = sources.get(source_key)
    published = published_of(source) if source else None
    if published is None:
        raise BadInput("relative date needs a cited source with a publication date")
    return published.value


# --- checking ----------------------------------------------------------------------


def check(bundle: Bundle) -> list[str]:
    """Every problem in the bundle, each naming where it is and what is wrong."""
    problems: list[str] = []
    entity_keys = {entity.key for entity in bundle.entities}
    sources = {source.key: source for source in bundle.sources}
    problems += _check_entities(bundle.entities)
    problems += _check_sources(bundle.sources)
    for entity in bundle.entities:
        problems += _check_role(entity, sources)
    for fact in bundle.facts:
        problems += _check_fact(fact, entity_keys, sources)
    for meeting in bundle.meetings:
        problems += _check_meeting(meeting, entity_keys, sources)
    problems += _check_unique_keys(bundle)
    problems += check_editorial(bundle)
    return problems


def from_discord(spec: SourceSpec | FactSpec | MeetingSpec) -> bool:
    """A row that moderators (or curators, on Discord) added, written back by `export`:
    moderation checked it when it was added, and it carries what they gave, so the
    editorial rules for the curated files (labels, names) do not apply to it."""
    return spec.guild_id is not None or spec.key.startswith("guild-")


def alias_key(alias: str) -> str:
    """What two spellings must not share across entities: case, accents and dots
    ignored, so "Un" (the article's Kim) and "U.N." or "UN" (the United Nations) clash."""
    return fold(alias).replace(".", "").strip()


def _check_entities(entities: list[EntitySpec]) -> list[str]:
    problems = []
    owner: dict[str, tuple[str, str]] = {}
    for entity in entities:
        for alias in [entity.name, entity.key, *entity.aliases]:
            other, spelling = owner.setdefault(alias_key(alias), (entity.key, alias))
            if other != entity.key:
                problems.append(
                    f"entity '{entity.key}': alias '{alias}' collides, ignoring case and dots, "
                    f"with '{spelling}' of entity '{other}'"
                )
    return problems


def _check_role(entity: EntitySpec, sources: dict) -> list[str]:
    if not entity.role.strip():
        return []
    where = f"entity '{entity.key}' role"
    return check_provenance(where, entity.role_provenance, sources, needs_one=True)


def check_provenance(
    where: str, spec: ProvenanceSpec | None, sources: dict, *, needs_one: bool
) -> list[str]:
    """A provenance's citations are verbatim and its labels say something; with
    `needs_one`, a line with neither citation nor label is refused."""
    if spec is None or not (spec.citations or spec.labelled):
        if needs_one:
            return [
                f"{where}: no citation and no label (cite a passage that states it, or add "
                "public_record = { note = ... } or inferred = ...)"
            ]
        return []
    problems = []
    if spec.public_record == "" and spec.url:
        problems.append(f"{where}: a public-record URL needs a note")
    for citation in spec.citations:
        source = sources.get(citation.source)
        if source is None:
            problems.append(f"{where}: unknown source '{citation.source}'")
            continue
        problems += _check_quote(where, citation, source)
    return problems


def _check_sources(sources: list[SourceSpec]) -> list[str]:
    problems = []
    for source in sources:
        try:
            published_of(source)
        except ValueError as error:
            problems.append(f"source '{source.key}': unparseable published date: {error}")
        if not source.text.strip():
            problems.append(f"source '{source.key}': text is empty")
        if source.published and not from_discord(source):
            where = f"source '{source.key}' date"
            problems += check_provenance(
                where, source.published_provenance, {source.key: source}, needs_one=True
            )
    return problems


def _check_fact(fact: FactSpec, entity_keys: set[str], sources: dict) -> list[str]:
    where = f"fact '{fact.key}'"
    problems = []
    for key in [fact.subject, *fact.entities]:
        if key not in entity_keys:
            problems.append(f"{where}: unknown entity '{key}'")
    if fact.kind not in {kind.value for kind in Kind}:
        problems.append(f"{where}: unknown kind '{fact.kind}' (reported/quote/attributed/opinion)")
    if fact.kind in {Kind.QUOTE, Kind.ATTRIBUTED} and not fact.attributed_to:
        problems.append(f"{where}: a {fact.kind} needs attributed_to")
    if not fact.statement.strip():
        problems.append(f"{where}: empty statement")
    problems += check_citations(where, fact.citations, sources)
    problems += check_provenance(where, fact.provenance, sources, needs_one=False)
    return problems


def _check_meeting(meeting: MeetingSpec, entity_keys: set[str], sources: dict) -> list[str]:
    where = f"meeting '{meeting.key}'"
    problems = []
    people = [p for p in meeting.participants if isinstance(p, str)]
    keys = [*people, *([meeting.place] if meeting.place else [])]
    for guest in meeting.participants:
        if isinstance(guest, dict) and not str(guest.get("name", "")).strip():
            problems.append(f"{where}: a participant without an entry needs a name")
    problems += [f"{where}: unknown entity '{key}'" for key in keys if key not in entity_keys]
    if meeting.status not in {status.value for status in MeetingStatus}:
        problems.append(f"{where}: unknown status '{meeting.status}'")
    try:
        resolve_when(meeting, sources)
    except (ValueError, OverflowError, BadInput) as error:
        problems.append(f"{where}: unparseable date '{meeting.date}': {error}")
    problems += check_citations(where, meeting.citations, sources)
    if not from_discord(meeting):
        problems += _check_meeting_lines(where, meeting, sources)
    return problems


def _check_meeting_lines(where: str, meeting: MeetingSpec, sources: dict) -> list[str]:
    """The date and status lines: each needs its own citation or label, unless the
    meeting's citations state it (the date's day number is in them, or the status is
    "scheduled", which is what a cited announcement states)."""
    problems = []
    cited = " ".join(citation.quote for citation in meeting.citations)
    day = _day_of_month(meeting.date)
    date_stated = day is not None and re.search(rf"\b0?{day}\b", cited) is not None
    problems += check_provenance(
        f"{where} date", meeting.date_provenance, sources, needs_one=not date_stated
    )
    needs_status = meeting.status not in {MeetingStatus.SCHEDULED.value}
    held = re.search(r"\b(met|held|took place)\b", cited) is not None
    problems += check_provenance(
        f"{where} status",
        meeting.status_provenance,
        sources,
        needs_one=needs_status and not (meeting.status == "held" and held),
    )
    return problems


def _day_of_month(text: str) -> int | None:
    """The day a curated meeting's date names, if it is a calendar date."""
    try:
        return date_parser.parse(text).day if re.search(r"\d", text) else None
    except (ValueError, OverflowError):
        return None


def check_citations(where: str, citations: list[CitationSpec], sources: dict) -> list[str]:
    if not citations:
        return [f"{where}: no citation (every fact and meeting needs a verbatim quote)"]
    problems = []
    for citation in citations:
        source = sources.get(citation.source)
        if source is None:
            problems.append(f"{where}: unknown source '{citation.source}'")
            continue
        problems += _check_quote(where, citation, source)
    return problems


def _check_quote(where: str, citation: CitationSpec, source: SourceSpec) -> list[str]:
    spans = find_quote(source.text, citation.quote)
    short = citation.quote[:80]
    if not spans:
        near = closest_passage(source.text, citation.quote)
        hint = f"; closest passage: '{near}'" if near else ""
        return [f"{where}: quote not found verbatim in source '{source.key}': '{short}'{hint}"]
    if citation.at is None:
        return []
    if not quote_matches_span(source.text, citation.quote, Span(*citation.at)):
        found = ", ".join(f"[{span.start}, {span.end}]" for span in spans)
        offsets = list(citation.at)
        return [
            f"{where}: offsets {offsets} do not point at the quote '{short}' (found at {found})"
        ]
    return []


def _check_unique_keys(bundle: Bundle) -> list[str]:
    problems = []
    for label, items in (
        ("fact", bundle.facts),
        ("meeting", bundle.meetings),
        ("source", bundle.sources),
        ("entity", bundle.entities),
    ):
        seen: set[str] = set()
        for item in items:
            if item.key in seen:
                problems.append(f"{label} '{item.key}': key used twice")
            seen.add(item.key)
    return problems


# --- the editorial lint ------------------------------------------------------------

# Capitalised words that start sentences without naming anyone.
_FUNCTION_WORDS = frozenset(
    re.findall(
        r"\w+",
        "the a an this that these those it its they their he she his her in on at by for "
        "of and but or as with while when perhaps",
    )
)
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_WORD = re.compile(r"[^\s\-\u2013\u2014/()\[\],;:!?“”\"]+")


def check_editorial(bundle: Bundle) -> list[str]:
    """What the file format cannot enforce: reported facts that are someone else's
    words, and statements that name or date what their citations do not."""
    problems = []
    sources = {source.key: source for source in bundle.sources}
    live = [fact for fact in bundle.facts if not fact.retracted and not from_discord(fact)]
    opinions = [
        (citation.source, citation.at or _span(sources, citation))
        for fact in live
        if fact.kind == Kind.OPINION
        for citation in fact.citations
        if citation.source in sources
    ]
    spellings = _entity_spellings(bundle.entities)
    for fact in live:
        if fact.kind == Kind.REPORTED:
            problems += _check_not_quoted(fact, sources, opinions)
        labelled = fact.provenance is not None and fact.provenance.labelled
        if not labelled:
            problems += _check_statement_stated(fact, spellings)
    return problems


def _span(sources: dict, citation: CitationSpec) -> tuple[int, int] | None:
    found = find_quote(sources[citation.source].text, citation.quote)
    return (found[0].start, found[0].end) if found else None


def quotations(text: str) -> list[tuple[int, int]]:
    """The spans of the quotations in a text (curly “…” or straight "…"), marks included."""
    spans = [(m.start(), m.end()) for m in re.finditer(r"“[^”]*”", text)]
    spans += [(m.start(), m.end()) for m in re.finditer(r'"[^"]*"', text)]
    return spans


def _inside(inner: tuple[int, int], outer: tuple[int, int]) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]


def _check_not_quoted(
    fact: FactSpec, sources: dict, opinions: list[tuple[str, tuple[int, int] | None]]
) -> list[str]:
    problems = []
    where = f"fact '{fact.key}'"
    for citation in fact.citations:
        source = sources.get(citation.source)
        span = citation.at or (_span(sources, citation) if source else None)
        if source is None or span is None:
            continue  # reported by check_citations
        if any(_inside(span, quote) for quote in quotations(source.text)):
            problems.append(
                f"{where}: a reported fact cites words inside someone else's quotation "
                f"('{citation.quote[:60]}'); make it a quote or attributed fact"
            )
        if any(
            key == citation.source and where_ and _inside(span, where_) for key, where_ in opinions
        ):
            problems.append(
                f"{where}: a reported fact cites words inside an opinion fact's passage "
                f"('{citation.quote[:60]}'); the same words cannot be both"
            )
    return problems


def _entity_spellings(entities: list[EntitySpec]) -> list[tuple[str, list[str]]]:
    """(entity key, folded spellings) for every entity, longest spellings first."""
    out = []
    for entity in entities:
        names = sorted({fold(n) for n in [entity.name, *entity.aliases]}, key=len, reverse=True)
        out.append((entity.key, [n for n in names if n]))
    return out


def _has_word(text: str, word: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(word)}(?!\w)", text) is not None


def _check_statement_stated(fact: FactSpec, spellings: list[tuple[str, list[str]]]) -> list[str]:
    """Every number and proper name in the statement is in a citation (a name may be
    cited in any of its entity's spellings: "Kim Jong Un" by "Kim Jung Un")."""
    cited = fold(" ".join(citation.quote for citation in fact.citations))
    statement = normalise_for_match(fact.statement)
    lowered = statement.lower()  # same length as `statement`, so positions line up
    covered = [False] * len(statement)
    for _, names in spellings:
        if not any(_has_word(cited, name) for name in names):
            continue
        for name in names:
            for match in re.finditer(rf"(?<!\w){re.escape(name)}(?!\w)", lowered):
                covered[match.start() : match.end()] = [True] * (match.end() - match.start())
    missing = []
    for match in _NUMBER.finditer(statement):
        if not all(covered[match.start() : match.end()]) and not _has_word(cited, match.group()):
            missing.append(match.group())
    for match in _WORD.finditer(statement):
        if all(covered[match.start() : match.end()]):
            continue
        word = re.sub(r"'s$", "", match.group()).strip("'.")
        if not word or not word[0].isupper():
            continue
        folded = fold(word)
        if folded in _FUNCTION_WORDS or _has_word(cited, folded):
            continue
        missing.append(match.group() if "." in match.group()[:-1] else word)
    if not missing:
        return []
    uncited = ", ".join(f"'{word}'" for word in dict.fromkeys(missing))
    return [
        f"fact '{fact.key}': the statement has {uncited}, which no citation contains; cite a "
        "passage that does, or label it (public_record = { note = ... } or inferred = ...)"
    ]
