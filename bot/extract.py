"""An article's main text and metadata from a fetched page, with trafilatura.

trafilatura is only ever given the text of a page the bot fetched itself (bot/fetch.py);
it is never given a URL to fetch. Parsing runs in worker threads of its own (two at a
time, bot/workers.py), on at most `MAX_HTML_CHARS` characters, and the caller waits at
most `PARSE_SECONDS`: a page built to be slow to parse can keep a worker busy, but
never the event loop, nor the bot's exit.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date

from bot.errors import BadInput
from bot.fetch import Fetched
from bot.text import strip_control
from bot.workers import Workers

log = logging.getLogger(__name__)

MAX_HTML_CHARS = 2_000_000
PARSE_SECONDS = 15.0
MIN_TEXT_CHARS = 100  # less is a menu or an error page, not an article
_PARSERS = Workers("extract", 2)


@dataclass(frozen=True, slots=True)
class Extracted:
    title: str | None
    author: str | None
    publisher: str | None
    published: date | None
    text: str


class ExtractFailed(BadInput):
    """Nothing readable came out of the page; safe to show."""


def _date(value: str | None) -> date | None:
    if not value or not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        return None


def _field(value: object) -> str | None:
    text = strip_control(str(value)).strip() if value else ""
    return " ".join(text.split()) or None


def extract_sync(html: str, url: str) -> Extracted:
    """The main text (paragraphs separated by newlines) and what the page says of itself."""
    import trafilatura  # slow to import; only the fetch paths need it
    from trafilatura.settings import Document

    document = trafilatura.bare_extraction(
        html[:MAX_HTML_CHARS],
        url=url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        deduplicate=False,
    )
    # a Document, as as_dict is left False; None when it found nothing
    found = document if isinstance(document, Document) else None
    text = ((found.text if found else None) or "").strip()
    if found is None or len(text) < MIN_TEXT_CHARS:
        raise ExtractFailed("I couldn't find an article's text on that page; nothing was saved.")
    return Extracted(
        title=_field(found.title),
        author=_field(found.author),
        publisher=_field(found.sitename) or _field(found.hostname),
        published=_date(found.date),
        text=strip_control(text),
    )


def plain_text(fetched: Fetched) -> Extracted:
    """A text/plain page: the text is the article; its first line stands in for a title."""
    text = strip_control(fetched.text()).strip()
    if not text:
        raise ExtractFailed("That page is empty; nothing was saved.")
    first = text.splitlines()[0].strip()
    return Extracted(first[:200] or None, None, None, None, text)


async def extract(fetched: Fetched) -> Extracted:
    """Extract off the event loop, within PARSE_SECONDS."""
    if fetched.content_type == "text/plain":
        return plain_text(fetched)
    try:
        return await _PARSERS.run(PARSE_SECONDS, _extract_page, fetched)
    except TimeoutError:
        log.warning("extraction of %s took over %.0f s; gave up", fetched.final_url, PARSE_SECONDS)
        raise ExtractFailed("That page took too long to read; nothing was saved.") from None


def _extract_page(fetched: Fetched) -> Extracted:
    try:
        return extract_sync(fetched.text(), fetched.final_url)
    except ExtractFailed:
        raise
    except Exception:
        log.exception("trafilatura failed on %s", fetched.final_url)
        raise ExtractFailed("I couldn't read that page; nothing was saved.") from None
