"""From a URL to a stored source: fetch, extract, bound and clean, store with provenance.

Everything a page says about itself is untrusted: metadata is cleaned and cut to the
same limits as typed input, the text is stored exactly as extracted (that is what facts
cite, character for character) and refused when it is over the source size limit.
The moderator then confirms or corrects the metadata (`confirm_metadata`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

from bot import quotas
from bot.answers import Answer, Line, Section
from bot.errors import BadInput, NotFound
from bot.extract import Extracted, extract
from bot.feedmodels import FetchRecord
from bot.fetch import PAGE_TYPES, Fetched, Fetcher
from bot.models import Change, Precision, Published, Source, SourceDraft
from bot.moderation import LIMITS, SOURCE_TEXT_MAX_BYTES, clean, parse_published, parse_url
from bot.store import Store
from bot.text import strip_control
from bot.usertext import user

META_LIMIT = 200  # author, publisher: as long as a title
# Where a fetched source's date comes from, said wherever the date is shown: the page's
# own metadata, not a passage of its text.
FROM_PAGE = "from the page's metadata"
CONFIRMED = "from the page's metadata, confirmed by a moderator"
FETCHES_PER_SERVER = 2  # pages one server may have in flight at once
_in_flight: dict[int | None, int] = {}


@dataclass(frozen=True, slots=True)
class Article:
    fetched: Fetched
    extracted: Extracted


def bounded(value: str | None, limit: int) -> str | None:
    """Untrusted one-line text: control characters out, blanks squeezed, cut to `limit`."""
    text = " ".join(strip_control(value or "").split())
    if not text:
        return None
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@contextmanager
def fetch_slot(guild_id: int | None) -> Iterator[None]:
    """At most FETCHES_PER_SERVER pages in flight per server: one server's moderators
    cannot tie up the bot's fetching (each fetch is also bounded in time and size)."""
    if _in_flight.get(guild_id, 0) >= FETCHES_PER_SERVER:
        raise BadInput("This server already has pages being fetched; try again in a moment.")
    _in_flight[guild_id] = _in_flight.get(guild_id, 0) + 1
    try:
        yield
    finally:
        _in_flight[guild_id] -= 1
        if not _in_flight[guild_id]:
            del _in_flight[guild_id]


async def fetch_article(fetcher: Fetcher, url: str, now: datetime) -> Article:
    fetched = await fetcher.fetch(url, PAGE_TYPES, now)
    return Article(fetched, await extract(fetched))


def draft_of(article: Article) -> tuple[SourceDraft, bool]:
    """The source to store, and whether its title is ours (the page gave none)."""
    found = article.extracted
    if len(found.text.encode()) > SOURCE_TEXT_MAX_BYTES:
        raise BadInput(
            f"The article's text is over {SOURCE_TEXT_MAX_BYTES // 1000} kB; nothing was saved."
        )
    title = bounded(found.title, LIMITS["title"])
    url = shown_url(article.fetched.final_url)
    published = None
    if found.published:
        when = found.published
        published = Published(when, Precision.DAY, f"{when.day} {when:%B %Y} ({FROM_PAGE})")
    draft = SourceDraft(
        title=title or f"Page at {bounded(article.fetched.final_url, 150)}",
        text=found.text,
        published=published,
        url=url,
        publisher=bounded(found.publisher, META_LIMIT),
        author=bounded(found.author, META_LIMIT),
    )
    return draft, title is None


def shown_url(url: str) -> str | None:
    """The page's address as sources keep it (checked as a typed URL is), or None."""
    try:
        return parse_url(url)
    except BadInput:
        return None


def record_of(article: Article) -> FetchRecord:
    fetched = article.fetched
    return FetchRecord(
        url=fetched.url[: LIMITS["url"]],
        final_url=fetched.final_url[: LIMITS["url"]],
        content_type=fetched.content_type,
        fetched_at=fetched.fetched_at,
        body_sha256=fetched.sha256,
        text_sha256=hashlib.sha256(article.extracted.text.encode()).hexdigest(),
    )


async def add_article(
    store: Store,
    fetcher: Fetcher,
    change: Change,
    url: str,
    *,
    title: str | None = None,
    published: str | None = None,
) -> int:
    """Fetch `url` and store it as a source of `change`'s scope; returns its id. A title
    or date the moderator typed replaces what the page says (checked first, before any
    fetching)."""
    typed_title = clean(title, "title", required=False) or None
    typed_date = parse_published(published)
    with fetch_slot(change.guild_id):
        article = await fetch_article(fetcher, url, change.at)
    draft, title_is_ours = draft_of(article)
    if typed_title or typed_date:
        draft = dataclasses.replace(
            draft, title=typed_title or draft.title, published=typed_date or draft.published
        )
        title_is_ours = title_is_ours and not typed_title
    size = len(draft.text.encode())
    return await store.add_fetched_source(
        draft,
        title_is_ours,
        record_of(article),
        change,
        check=lambda usage: quotas.check_source(usage, size),
    )


async def confirm_metadata(
    store: Store,
    change: Change,
    source_id: int,
    *,
    title: str | None = None,
    author: str | None = None,
    publisher: str | None = None,
    published: str | None = None,
    keep: bool = False,
) -> None:
    """Confirm a fetched source's metadata (`keep`), or replace it with what the
    moderator typed (each field checked like any typed input; blank means unknown)."""
    source = await fetched_source(store, source_id, change.guild_id)
    if keep:
        title, author, publisher = source.title, source.author, source.publisher
        date = source.published
        if date is not None and date.note.endswith(f"({FROM_PAGE})"):
            note = date.note.replace(f"({FROM_PAGE})", f"({CONFIRMED})")
            date = dataclasses.replace(date, note=note)
    else:
        title = clean(title, "title")
        author = bounded(author, META_LIMIT)
        publisher = bounded(publisher, META_LIMIT)
        date = parse_published(published)
    await store.correct_source_metadata(
        source_id,
        title=title or source.title,
        author=author,
        publisher=publisher,
        published=date,
        change=change,
    )


async def fetched_source(store: Store, source_id: int, guild_id: int | None) -> Source:
    source = await store.source(source_id, guild_id, with_text=True)
    if source is None or source.guild_id != guild_id or await store.source_fetch(source_id) is None:
        raise NotFound(f"There is no fetched source S{source_id} of this server's.")
    return source


async def review_answer(store: Store, source_id: int, guild_id: int | None, note: str) -> Answer:
    """What was fetched for a source, and its metadata, for a moderator to check."""
    source = await fetched_source(store, source_id, guild_id)
    record = await store.source_fetch(source_id)
    assert record is not None  # fetched_source found its fetch record
    return extracted_answer(source, record, note=note)


def check_url(url: str | None) -> str:
    text = parse_url(url)
    if not text:
        raise BadInput("Give the page's address: `source add url: https://…`.")
    return text


# --- what the moderator is shown ------------------------------------------------------


def extracted_answer(source: Source, record: FetchRecord, *, note: str = "") -> Answer:
    """What was extracted, for the moderator to confirm or correct. Everything the page
    gave is marked as supplied text, so it shows literally."""
    text = source.text or ""
    ours = " (title ours: the page gave none)" if source.title_is_ours else ""
    lines = [
        Line(f"Title: {user(source.title)}{ours}"),
        Line(f"Author: {user(source.author) if source.author else 'not found'}"),
        Line(f"Publisher: {user(source.publisher) if source.publisher else 'not found'}"),
        Line("Published: ", published=source),
        Line(f"Fetched: {source.url or 'URL not kept'} at {record.fetched_at:%Y-%m-%d %H:%M} UTC"),
        Line(f"Text: {len(text):,} characters, sha256 {record.body_sha256[:16]}… of the page"),
    ]
    opening = text.strip()[:500] + ("…" if len(text.strip()) > 500 else "")
    confirmed = (
        "Metadata confirmed by a moderator."
        if record.confirmed_at
        else "Check the metadata: **Confirm** it, or **Edit metadata** to correct it."
    )
    return Answer(
        title=f"Source S{source.id}: fetched",
        intro=f"{note}\n{confirmed}".strip(),
        sections=[Section("Extracted", lines), Section("Opening", [Line(user(opening))])],
    )
