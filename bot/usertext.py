"""Marking the text that people supplied, so each renderer can show it literally.

Answers mix the bot's own words and formatting with what moderators stored (statements,
titles, names, quotes, reasons). The briefing wraps each stored text with `user()`; the
Discord renderer escapes markdown inside the marks (a stored `[x](https://…)` or
`**bold**` shows as typed) and the console renderer just drops them. The marks are the
Unicode isolates FSI/PDI, which input cleaning removes, so stored text cannot forge one.
"""

from __future__ import annotations

import re
from collections.abc import Callable

OPEN, CLOSE = "\u2068", "\u2069"
_MARKED = re.compile(f"{OPEN}([^{OPEN}{CLOSE}]*){CLOSE}")


def user(value: object) -> str:
    """`value` (a stored or typed text) marked as someone's text, not the bot's."""
    text = str(value).replace(OPEN, "").replace(CLOSE, "")
    return f"{OPEN}{text}{CLOSE}" if text else ""


def plain(text: str) -> str:
    """The text without the marks."""
    return text.replace(OPEN, "").replace(CLOSE, "")


def render_marked(
    text: str, literal: Callable[[str], str], own: Callable[[str], str] = lambda t: t
) -> str:
    """The text with each marked part passed through `literal` and the bot's own parts
    through `own`, and no marks left."""
    out, at = [], 0
    for found in _MARKED.finditer(text):
        out += [own(plain(text[at : found.start()])), literal(found.group(1))]
        at = found.end()
    out.append(own(plain(text[at:])))
    return "".join(out)
