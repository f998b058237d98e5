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


def test_a_database_password_is_redacted_whatever_its_characters(captured: io.StringIO) -> None:
    """Database passwords are chosen by people: short, with any characters. Where one
    reaches a record (a driver's message quoting the URL), it is replaced all the same."""
    password = "s3cr3t-Pass!"
    logs.setup("INFO", [], passwords=[password, ""])
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(captured)
    logging.getLogger("test").warning("cannot use postgresql://bot:%s@db/briefing", password)
    text = captured.getvalue()
    assert password not in text
    assert "postgresql://bot:[password redacted]@db/briefing" in text


def test_copy_store_keeps_both_urls_passwords_out_of_the_log(captured: io.StringIO) -> None:
    from bot import cli

    args = cli.parser().parse_args(
        ["copy-store", "postgresql://a:first-Pass@h/a", "postgresql://b@h/b?password=second-Pass"]
    )
    cli._configured(args)
    handler = logging.getLogger().handlers[0]
    handler.setStream(captured)  # type: ignore[attr-defined]
    logging.getLogger("test").warning("first-Pass and second-Pass")
    assert "first-Pass" not in captured.getvalue() and "second-Pass" not in captured.getvalue()
