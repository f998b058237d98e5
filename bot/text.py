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
    if len(text) > CHUNK:
        return "".join(_normalise_piece(piece) for piece in _pieces(text)).strip()
    return _normalise_piece(text).strip()


def _normalise_piece(text: str) -> str:
    return _WHITESPACE.sub(" ", text.translate(_QUOTE_MAP))


# A source of 200 kB is normalised a piece at a time: each C-level call holds the GIL,
# and a short hold lets the event loop's thread run between pieces.
CHUNK = 8192
_WORD_START = re.compile(r"(?<=\s)\S")


def _pieces(text: str) -> list[str]:
    """The text cut into pieces of about CHUNK characters, each cut at the start of a
    word, so no run of blanks is split between two pieces."""
    pieces, start = [], 0
    while len(text) - start > CHUNK:
        found = _WORD_START.search(text, start + CHUNK, start + 2 * CHUNK)
        cut = found.start() if found else start + 2 * CHUNK
        while cut < len(text) and text[cut - 1].isspace() and text[cut].isspace():
            cut += 1  # a piece of nothing but blanks: cut after them
        pieces.append(text[start:cut])
        start = cut
    pieces.append(text[start:])
    return pieces


def fold(text: str) -> str:
    """Case- and accent-insensitive key for names: 'Kím  JONG-un' -> 'kim jong-un'.

    NFKD then dropping combining marks removes accents; recomposing with NFC keeps
    Hangul syllables whole (they decompose into jamo, which are not marks).
    """
    decomposed = unicodedata.normalize("NFKD", normalise_for_match(text))
    # Mn: accents; Cf: invisible format characters (zero-width, BOM, bidi controls).
    stripped = "".join(c for c in decomposed if unicodedata.category(c) not in {"Mn", "Cf"})
    return unicodedata.normalize("NFC", stripped).casefold()


# What may surround a name as typed ("putin?", "'kim'", "(Trump)"): quotes are already
# straight after fold. A full stop is stripped last, because aliases end with one ("U.S.").
_EDGE_PUNCTUATION = "?!,;:'\"()[]{}<>«»¿¡"
_POSSESSIVE = re.compile(r"(?<=\w)'s?$")


def lookup_keys(text: str) -> list[str]:
    """Folded keys to try, in order, for a name as someone typed it: as typed, without
    surrounding punctuation ("putin?"), without a possessive ("Kim's", "analysts'"), and
    without a final full stop. Inner punctuation stays ("N. Korea", "Kim Jong-un")."""
    key = fold(text)
    bare = key.strip(_EDGE_PUNCTUATION).strip()
    plain = _POSSESSIVE.sub("", bare).strip()
    candidates = [key, bare, plain, plain.rstrip(".").strip()]
    keys: list[str] = []
    for candidate in candidates:
        if candidate and candidate not in keys and any(c.isalnum() for c in candidate):
            keys.append(candidate)
    return keys


# Words that carry no meaning in a search or a holder's name ("the", "of"). Capitalised
# OR, AND and NOT are search operators, read before this list is consulted.
_STOP = """a an and are as at be been but by can could did do does for from had has have he
her his i if in into is it its me my no not of on or our she so than that the their them
then there these they this those to was we were what when which who whom whose why will
with would you your"""
STOP_WORDS = frozenset(_STOP.split())


def words(text: str) -> list[str]:
    """The folded words of `text`, punctuation dropped: "Many (U.S.) officials" ->
    ["many", "u", "s", "officials"]."""
    return "".join(c if c.isalnum() else " " for c in fold(text)).split()


def _stem(word: str) -> str:
    return word[:-1] if len(word) > 3 and word.endswith("s") else word


def holder_matches(query: str, holder: str) -> bool:
    """Whether every meaningful word typed appears in a holder's name, singular or
    plural: "officials" finds "Many officials", "european leader" "Some European leaders"."""
    wanted = {_stem(w) for w in words(query) if w not in STOP_WORDS}
    return bool(wanted) and wanted <= {_stem(w) for w in words(holder)}


def holder_completes(typed: str, holder: str) -> bool:
    """Whether a holder's name could be what someone is typing: each word typed starts
    a word of the name ("analy" -> "Analysts", "europ lead" -> "Some European leaders")."""
    wanted = words(typed)
    names = words(holder)
    return bool(wanted) and all(any(n.startswith(w) for n in names) for w in wanted)


def strip_control(text: str) -> str:
    """Remove control characters (keeping newlines and tabs) from user input."""
    return _CONTROL.sub("", text)


# Marks that change the direction of the text around them, on top of _CONTROL's.
_DIRECTION_MARKS = re.compile(r"[\u200e\u200f\u061c]")


def one_line(text: str) -> str:
    """User text as one line: controls and direction marks removed, every run of blanks
    (newlines and line separators included) one space. Every free text a moderator
    stores, and every stored text placed in a one-line answer, goes through this."""
    return " ".join(_DIRECTION_MARKS.sub("", strip_control(text)).split())


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
    if not normalise_for_match(quote):
        return []
    return find_quotes(source_text, [quote])[0]


def find_quotes(source_text: str, quotes: list[str]) -> list[list[Span]]:
    """find_quote for many quotes in one source, normalising the source once."""
    haystack, index = _normalised_with_map(source_text)
    found = []
    for quote in quotes:
        needle = normalise_for_match(quote)
        spans: list[Span] = []
        start = haystack.find(needle) if needle else -1
        while start != -1:
            last = start + len(needle) - 1
            spans.append(Span(index[start], index[last] + 1))
            start = haystack.find(needle, start + 1)
        found.append(spans)
    return found


def quote_matches_span(source_text: str, quote: str, span: Span) -> bool:
    """True when the raw text at `span` is `quote` up to normalisation."""
    if not 0 <= span.start < span.end <= len(source_text):
        return False
    return normalise_for_match(source_text[span.start : span.end]) == normalise_for_match(quote)


# The near-miss search is bounded so that no quote or source makes it slow: only the
# first PROBE_CHARS of the quote are aligned, and only against the CANDIDATES windows of
# the source that share the most words with it (each rapidfuzz call holds the GIL, so
# each must be short even when it runs in a thread).
PROBE_CHARS = 240
# A passage this similar to a mistyped quote (rapidfuzz partial ratio, 0-100) is shown.
PASSAGE_CUTOFF = 60
CANDIDATES = 6
_WORD = re.compile(r"\w+")


def closest_passage(source_text: str, quote: str) -> str | None:
    """The passage of the source most like `quote`, to help someone fix a near miss."""
    from rapidfuzz import fuzz

    needle = normalise_for_match(quote)
    if not needle:
        return None
    haystack = normalise_for_match(source_text)
    probe = needle[:PROBE_CHARS]
    best = None
    for start, end in _candidate_windows(haystack, probe):
        found = fuzz.partial_ratio_alignment(
            probe, haystack[start:end], score_cutoff=PASSAGE_CUTOFF
        )
        if found is not None and (best is None or found.score > best[0]):
            best = (found.score, start + found.dest_start)
    if best is None:
        return None
    begin = best[1]
    end = min(len(haystack), begin + len(needle))
    while end < len(haystack) and haystack[end].isalnum():  # finish the last word
        end += 1
    return haystack[begin:end]


def _candidate_windows(haystack: str, probe: str) -> list[tuple[int, int]]:
    """Character ranges of the source that share the most words with the probe."""
    if len(haystack) <= 2 * len(probe) + 40:
        return [(0, len(haystack))]
    words = _WORD.findall(probe)
    wanted = {word.casefold() for word in words}
    if not wanted:
        return []
    places = [(m.start(), m.group().casefold() in wanted) for m in _WORD.finditer(haystack)]
    size = len(words)
    totals = [0]
    for _, hit in places:
        totals.append(totals[-1] + hit)
    # The best-scoring word position in each stretch of the source (a plain loop, not a
    # sort of every position, so the GIL is never held for long).
    best: dict[int, tuple[int, int]] = {}
    for i in range(max(1, len(places) - size + 1)):
        score = totals[min(i + size, len(places))] - totals[i]
        if score and score > best.get(i // size, (0, 0))[0]:
            best[i // size] = (score, i)
    top = sorted(best.values(), reverse=True)[:CANDIDATES]
    windows = []
    for _, i in top:
        start = max(0, places[i][0] - len(probe) // 2)
        windows.append((start, start + 2 * len(probe)))
    return windows


def quoted(text: str) -> str:
    """Wrap a verbatim quote in quotation marks, unless it already opens with one."""
    stripped = text.strip()
    opens = "" if stripped[:1] in {"“", '"', "‘", "'"} else "“"
    closes = "" if stripped[-1:] in {"”", '"', "’", "'"} else "”"
    return f"{opens}{stripped}{closes}"
