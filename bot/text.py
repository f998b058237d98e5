"""Text normalisation shared by quote checks, alias lookup and search.

Quotes are stored verbatim; only *comparisons* use the normalised forms below, so a
user typing straight quotes or single spaces still matches the source's curly quotes
and non-breaking spaces.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_QUOTE_MAP = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u2013": "-",
        "\u2014": "-",
    }
)
_WHITESPACE = re.compile(r"\s+")
# C0 and C1 controls (not tab and newlines), and the bidi overrides and isolates that can
# make stored text display as something else.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def normalise_quote_char(char: str) -> str:
    """One character as quote matching sees it: straight quotes, spaces for any blank."""
    if char.isspace():
        return " "
    return char.translate(_QUOTE_MAP)


def normalise_for_match(text: str) -> str:
    """Whitespace collapsed, non-breaking spaces as spaces, curly quotes straight."""
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MAP)).strip()


def fold(text: str) -> str:
    """Case- and accent-insensitive key for names: 'Kím  JONG-un' -> 'kim jong-un'.

    NFKD then dropping combining marks removes accents; recomposing with NFC keeps
    Hangul syllables whole (they decompose into jamo, which are not marks).
    """
    decomposed = unicodedata.normalize("NFKD", normalise_for_match(text))
    # Mn: accents; Cf: invisible format characters (zero-width, BOM, bidi controls).
    stripped = "".join(c for c in decomposed if unicodedata.category(c) not in {"Mn", "Cf"})
    return unicodedata.normalize("NFC", stripped).casefold()


def strip_control(text: str) -> str:
    """Remove control characters (keeping newlines and tabs) from user input."""
    return _CONTROL.sub("", text)


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets [start, end) into a source's raw text."""

    start: int
    end: int


def _normalised_with_map(text: str) -> tuple[str, list[int]]:
    """Normalise like normalise_for_match, remembering each output char's raw index."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        norm = normalise_quote_char(char)
        if norm == " " and (not out or out[-1] == " "):
            continue
        out.append(norm)
        index.append(i)
    return "".join(out), index


def find_quote(source_text: str, quote: str) -> list[Span]:
    """Every place where `quote` occurs in `source_text`, up to normalisation."""
    needle = normalise_for_match(quote)
    if not needle:
        return []
    haystack, index = _normalised_with_map(source_text)
    spans: list[Span] = []
    start = haystack.find(needle)
    while start != -1:
        last = start + len(needle) - 1
        spans.append(Span(index[start], index[last] + 1))
        start = haystack.find(needle, start + 1)
    return spans


def quote_matches_span(source_text: str, quote: str, span: Span) -> bool:
    """True when the raw text at `span` is `quote` up to normalisation."""
    if not 0 <= span.start < span.end <= len(source_text):
        return False
    return normalise_for_match(source_text[span.start : span.end]) == normalise_for_match(quote)


def closest_passage(source_text: str, quote: str) -> str | None:
    """The passage of the source most like `quote`, to help someone fix a near miss."""
    from rapidfuzz import fuzz

    needle = normalise_for_match(quote)
    if not needle:
        return None
    haystack = normalise_for_match(source_text)
    result = fuzz.partial_ratio_alignment(needle, haystack)
    if result is None or result.score < 60:
        return None
    end = result.dest_end
    while end < len(haystack) and haystack[end].isalnum():  # finish the last word
        end += 1
    return haystack[result.dest_start : end]


def quoted(text: str) -> str:
    """Wrap a verbatim quote in quotation marks, unless it already opens with one."""
    stripped = text.strip()
    opens = "" if stripped[:1] in {"“", '"', "‘", "'"} else "“"
    closes = "" if stripped[-1:] in {"”", '"', "’", "'"} else "”"
    return f"{opens}{stripped}{closes}"
