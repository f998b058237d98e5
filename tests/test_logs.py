"""The log filter that keeps the bot token out of every record."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot import logs

TOKEN = "MTIzNDU2Nzg5MDEyMzQ1Njc4.GaBcDe.abcdefghijklmnopqrstuvwxyz0123456789AB"


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    """What logs.setup's handler writes, for the duration of one test."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


def _log(stream: io.StringIO, secrets: list[str], message: str, *args: object) -> str:
    logs.setup("INFO", secrets)
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(stream)
    logging.getLogger("test").info(message, *args)
    return stream.getvalue()


def test_the_token_is_redacted_wherever_it_appears_whole(captured: io.StringIO) -> None:
    text = _log(captured, [TOKEN], "token=%s; again: %s.", TOKEN, TOKEN)
    assert TOKEN not in text
    assert text.count("[token redacted]") == 2


def test_the_token_is_redacted_in_exception_text(captured: io.StringIO) -> None:
    logs.setup("INFO", [TOKEN])
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(captured)
    try:
        raise RuntimeError(f"login failed for {TOKEN}")
    except RuntimeError:
        logging.getLogger("test").exception("failed")
    assert TOKEN not in captured.getvalue()
    assert "[token redacted]" in captured.getvalue()


def test_a_short_token_does_not_redact_parts_of_ordinary_words(captured: io.StringIO) -> None:
    # DISCORD_TOKEN="is" once turned "this Discord" into "th[token redacted] Discord".
    text = _log(captured, ["is"], "connecting: this Discord is slow")
    assert "connecting: this Discord is slow" in text
    assert "[token redacted]" not in text


def test_a_plausible_token_inside_a_longer_word_is_left_alone(captured: io.StringIO) -> None:
    longer = f"x{TOKEN}y"
    text = _log(captured, [TOKEN], "not the token: %s", longer)
    assert longer in text


@pytest.mark.parametrize("secret", ["", "abc", "short-one", "two words here and more"])
def test_only_plausible_tokens_are_redacted(captured: io.StringIO, secret: str) -> None:
    text = _log(captured, [secret], "said %r", secret)
    assert "[token redacted]" not in text
