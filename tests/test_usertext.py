"""People's text in answers: marked by the briefing, shown literally by the renderers."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.answers import Line
from bot.render.common import escape_markdown, for_discord
from bot.render.text import line_text
from bot.usertext import CLOSE, OPEN, plain, user


def test_markdown_in_peoples_text_is_escaped_and_the_bots_own_is_kept() -> None:
    text = f"**{user('**Fake** [x](https://evil.example)')}**: {user('<@1> `c`')}"
    assert for_discord(text) == r"**\*\*Fake\*\* \[x\](https://evil.example)**: \<@1\> \`c\`"


def test_what_counts_only_at_the_start_of_a_line_is_escaped_on_every_line() -> None:
    assert escape_markdown("# h\n> q\n1. x\n  - y\n-# s") == "\\# h\n\\> q\n1\\. x\n  \\- y\n\\-# s"
    assert escape_markdown("Kim Jong-un, 2026-12-03, 1.5%") == "Kim Jong-un, 2026-12-03, 1.5%"


def test_a_source_url_in_the_bots_text_is_shown_as_itself() -> None:
    assert for_discord("S1: t; https://example.org/a_b") == "S1: t; <https://example.org/a_b>"


def test_the_console_shows_peoples_text_as_typed_and_no_bold_of_its_own() -> None:
    line = Line("plain", lead=user("**kept** [x](y)"))
    assert line_text(line) == "**kept** [x](y): plain"


@given(st.text(max_size=60))
def test_stored_text_cannot_forge_or_break_a_mark(typed: str) -> None:
    marked = user(typed)
    assert plain(marked) == typed.replace(OPEN, "").replace(CLOSE, "")
    assert marked.count(OPEN) == marked.count(CLOSE) <= 1
    assert OPEN not in for_discord(f"a {marked} b") and CLOSE not in for_discord(marked)
