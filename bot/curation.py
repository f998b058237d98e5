"""The curated data in `data/`: reading it, checking it, and writing it back.

`data/entities.toml` lists entities and their aliases; each `data/briefing/*.toml`
holds one source with its facts and meetings. Everything here is plain data: the store
imports a checked `Bundle`, and `export` turns store contents back into the same format.
"""

from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import MISSING, Field, asdict, dataclass, field, fields, is_dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from dateutil import parser as date_parser

from bot import dates
from bot.errors import BadInput
from bot.models import Kind, MeetingStatus, Precision, Published, When
from bot.text import Span, closest_passage, find_quote, fold, quote_matches_span

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


def spec_hash(spec: object) -> str:
    """A stable digest of one curated item, to tell whether the file changed it.

    Fields left at their default are not part of it, so adding an optional field to the
    format does not make every item look changed.
    """
    values = {
        f.name: getattr(spec, f.name)
        for f in fields(spec)  # type: ignore[arg-type]
        if getattr(spec, f.name) != _default(f)
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
    return asdict(value) if is_dataclass(value) else str(value)  # type: ignore[arg-type]


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
        citations=_citations(item.pop(f"{prefix}citations", []), default_source)
        if prefix
        else [],
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
    for fact in bundle.facts:
        problems += _check_fact(fact, entity_keys, sources)
    for meeting in bundle.meetings:
        problems += _check_meeting(meeting, entity_keys, sources)
    problems += _check_unique_keys(bundle)
    return problems


def _check_entities(entities: list[EntitySpec]) -> list[str]:
    problems = []
    owner: dict[str, str] = {}
    for entity in entities:
        for alias in [entity.name, entity.key, *entity.aliases]:
            folded = fold(alias)
            other = owner.setdefault(folded, entity.key)
            if other != entity.key:
                problems.append(
                    f"entity '{entity.key}': alias '{alias}' already points at entity '{other}'"
                )
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
    return problems


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
