"""Extraction: the article's text and metadata from pages the tests wrote, with no
network of trafilatura's own, bounded in time; and what is stored from it."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

from bot import articles, extract
from bot.errors import BadInput
from bot.extract import Extracted, ExtractFailed, extract_sync
from bot.fetch import Fetched
from tests.conftest import FIXED_NOW

PAGES = Path(__file__).parent / "web" / "pages"


def page(name: str) -> str:
    return (PAGES / name).read_text(encoding="utf-8")


def fetched(body: bytes, content_type: str = "text/html") -> Fetched:
    return Fetched(
        url="https://wire.example/a",
        final_url="https://wire.example/a",
        status=200,
        content_type=content_type,
        body=body,
        fetched_at=FIXED_NOW,
    )


@pytest.fixture
def no_network(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Any attempt to resolve or connect fails the test (and is recorded)."""
    tried: list[str] = []

    def refuse(*args: object, **kwargs: object) -> None:
        tried.append(repr(args[:2]))
        raise AssertionError("extraction tried to use the network")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    return tried


def test_a_wire_report_yields_its_text_and_metadata(no_network: list[str]) -> None:
    found = extract_sync(page("wire.html"), "https://wire.example/world/asia/koreas-hotline")
    assert found.title == "Koreas agree to reopen liaison hotline, Seoul says"
    assert found.author == "Min-ji Park"
    assert found.publisher == "Harbour Wire"
    assert str(found.published) == "2026-11-24"
    assert "liaison officers would resume twice-daily calls from Thursday" in found.text
    assert '"We hope this channel becomes the first step' in found.text
    assert "Cookie settings" not in found.text and "Markets close higher" not in found.text
    assert no_network == []


def test_an_op_ed_yields_its_json_ld_metadata(no_network: list[str]) -> None:
    found = extract_sync(page("oped.html"), "https://review.example/opinion/sanctions")
    assert found.title == "Sanctions alone will not bring Pyongyang back to the table"
    assert found.author == "Daniel Whitcombe"
    assert found.publisher == "The Peninsula Review"
    assert str(found.published) == "2026-11-19"
    assert "Does\nanyone seriously think" not in found.text  # paragraphs are joined lines
    assert "Does anyone seriously think another round of designations" in found.text
    assert "Great piece" not in found.text  # comments are not the article
    assert no_network == []


def test_a_page_with_no_article_is_refused() -> None:
    with pytest.raises(ExtractFailed, match="couldn't find an article"):
        extract_sync("<html><body><nav>Home</nav></body></html>", "https://x.example/")


async def test_plain_text_is_the_article_itself() -> None:
    found = await extract.extract(fetched(b"Briefing notes\nLine two.", "text/plain"))
    assert found.title == "Briefing notes"
    assert found.text == "Briefing notes\nLine two."


async def test_a_slow_parse_is_abandoned_without_blocking(monkeypatch: pytest.MonkeyPatch) -> None:
    def slow(html: str, url: str) -> Extracted:
        time.sleep(1.0)
        raise AssertionError("should have been abandoned")

    monkeypatch.setattr(extract, "extract_sync", slow)
    monkeypatch.setattr(extract, "PARSE_SECONDS", 0.2)
    started = time.monotonic()
    with pytest.raises(ExtractFailed, match="too long"):
        await extract.extract(fetched(b"<html></html>"))
    assert time.monotonic() - started < 0.8


async def test_a_parser_crash_is_a_one_line_refusal(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(html: str, url: str) -> Extracted:
        raise ValueError("lxml exploded")

    monkeypatch.setattr(extract, "extract_sync", broken)
    with pytest.raises(ExtractFailed, match="couldn't read that page"):
        await extract.extract(fetched(b"<html></html>"))


def test_stored_metadata_is_cleaned_and_bounded() -> None:
    found = Extracted(
        title="\u0007Koreas   agree\n" + "x" * 400,
        author="A" * 500,
        publisher=None,
        published=None,
        text="Body.",
    )
    draft, ours = articles.draft_of(articles.Article(fetched(b"x"), found))
    assert not ours
    assert draft.title.startswith("Koreas agree x") and len(draft.title) == 200
    assert draft.author is not None and len(draft.author) == articles.META_LIMIT
    assert draft.text == "Body."


def test_a_page_with_no_title_gets_one_marked_ours() -> None:
    found = Extracted(None, None, None, None, "Body.")
    draft, ours = articles.draft_of(articles.Article(fetched(b"x"), found))
    assert ours
    assert draft.title == "Page at https://wire.example/a"


def test_an_article_over_the_source_limit_is_refused() -> None:
    found = Extracted("T", None, None, None, "word " * 50_000)
    with pytest.raises(BadInput, match="over 200 kB"):
        articles.draft_of(articles.Article(fetched(b"x"), found))


async def test_a_parse_still_busy_does_not_hold_up_exit(monkeypatch: pytest.MonkeyPatch) -> None:
    """A parse left running after its timeout is in a daemon thread, so stopping the bot
    (SIGTERM: out within 5 s) does not wait for it."""
    release = threading.Event()

    def stuck(html: str, url: str) -> Extracted:
        release.wait(30)
        raise AssertionError("abandoned")

    monkeypatch.setattr(extract, "extract_sync", stuck)
    monkeypatch.setattr(extract, "PARSE_SECONDS", 0.2)
    with pytest.raises(ExtractFailed):
        await extract.extract(fetched(b"<html></html>"))
    busy = [t for t in threading.enumerate() if t.name.startswith("extract")]
    try:
        assert busy and all(t.daemon for t in busy)
    finally:
        release.set()
