"""Draft candidate facts from a source's text: rules and light NLP, no Discord, no models.

A draft is a proposal for a moderator to accept, edit, split or skip; nothing here writes
anywhere. Each candidate cites an exact span of the text (checked verbatim against it),
says what kind of claim it is and why, names whose view or words it is, the entities it
mentions (from the store's aliases, passed in) and any relative date it contains,
resolved against the source's publication date and marked as inferred.

Kinds, in the order they are decided:
- quote: a quotation (in quotation marks) with a named speaker next to it;
- attributed: the text gives the view to someone else ("analysts speculate", "critics
  argue", "many officials believe", "according to ..."), who becomes the holder;
- opinion: the author's own voice (hedges, evaluative words, rhetorical questions, first
  person, normative "should", figurative comparisons);
- reported: everything else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from itertools import pairwise

from dateutil.relativedelta import FR, MO, SA, SU, TH, TU, WE, relativedelta

from bot.models import Kind
from bot.text import normalise_quote_char

# --- sentences -------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return text.split()


# Words that end in a full stop without ending a sentence.
ABBREVIATIONS = frozenset(
    _words(
        """mr mrs ms dr prof gen sen rep gov lt col maj capt sgt adm cmdr st jr sr rev hon pres
    vs etc e.g i.e cf al approx dept univ corp inc ltd co no nos fig jan feb mar apr jun jul
    aug sep sept oct nov dec"""
    )
)
# After a dotted acronym ("U.S.", "U.N.") a sentence ends only if one of these follows.
SENTENCE_OPENERS = frozenset(
    _words(
        """the this that these those it its he she they we i his her their our a an but and
    yet so in on at for after before when while if as meanwhile however there here
    then many some most several analysts officials critics"""
    )
)
OPEN_QUOTES = '“‘"«'
CLOSE_QUOTES = '”’"»'
_TERMINAL = re.compile(r"[.!?]+")
_WORD_BEFORE = re.compile(r"([\w.’'-]+)$")
# Lines this short with no closing punctuation are page furniture ("Share This").
FURNITURE_WORDS = 5


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int
    end: int
    text: str


def split_sentences(text: str) -> list[Sentence]:
    """Sentences with their exact [start, end) spans, trimmed of surrounding blanks.
    Lines are hard boundaries; a full stop after an abbreviation, an initial or a dotted
    acronym is not, and nothing inside an open quotation is."""
    sentences: list[Sentence] = []
    for line_start, line in _lines(text):
        begin = 0
        for cut in _cuts(line):
            sentences.extend(_trimmed(text, line_start + begin, line_start + cut))
            begin = cut
        sentences.extend(_trimmed(text, line_start + begin, line_start + len(line)))
    return sentences


def _lines(text: str) -> Iterable[tuple[int, str]]:
    start = 0
    for line in text.splitlines(keepends=True):
        yield start, line
        start += len(line)


def _trimmed(text: str, start: int, end: int) -> list[Sentence]:
    while start < end and (text[start].isspace() or text[start] == "\ufeff"):
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return [Sentence(start, end, text[start:end])] if end > start else []


def _cuts(line: str) -> list[int]:
    """Offsets in `line` where a sentence ends (just after its closing punctuation and
    any closing quotation marks). A quotation mark that never closes is ignored."""
    cuts: list[int] = []
    depth = 0
    i = 0
    last_close = {
        "curly": max(line.rfind("”"), line.rfind("»")),
        "straight": line.rfind('"'),
    }
    while i < len(line):
        char = line[i]
        if char in ".!?":
            match = _TERMINAL.match(line, i)
            end = match.end() if match else i + 1
            while end < len(line) and line[end] in CLOSE_QUOTES + ")]":
                if line[end] in "”»" or (line[end] == '"' and depth > 0):
                    depth = max(0, depth - 1)
                end += 1
            if depth == 0 and _ends_sentence(line, i, end):
                cuts.append(end)
            i = end
            continue
        if char in "“«" or (char == '"' and depth == 0):
            kind = "curly" if char in "“«" else "straight"
            depth += 1 if last_close[kind] > i else 0
        elif char in "”»" or char == '"':
            depth = max(0, depth - 1)
        i += 1
    return cuts


_NEXT = re.compile(r"([ \t\u00a0]*)(\S{0,40})")
LOOK_BACK = 60  # characters looked at before a full stop, to find the word it ends


def _after(line: str, end: int) -> tuple[str, str]:
    """The blanks and the word that follow `end` (either may be empty)."""
    found = _NEXT.match(line, end)  # matches anywhere, if only the empty string
    return (found.group(1), found.group(2)) if found else ("", "")


def _next_starts_sentence(line: str, end: int) -> bool:
    blank, word = _after(line, end)
    return bool(blank) and bool(word) and (word[0].isupper() or word[0] in OPEN_QUOTES)


def _ends_sentence(line: str, dot: int, end: int) -> bool:
    """Whether the punctuation at `dot` (through `end`) ends a sentence. Looks only at
    a few characters either side, so a long line costs time in proportion to it."""
    following = _after(line, end)[1]
    at_end = not following
    if not at_end and not _next_starts_sentence(line, end):
        return False
    if line[dot] != "." or line.startswith("...", dot):
        return True
    word = _WORD_BEFORE.search(line, max(0, dot - LOOK_BACK), dot)
    token = word.group(1) if word else ""
    bare = token.lower().strip("’'")
    if bare in ABBREVIATIONS:
        return False
    if len(bare) == 1 and bare.isalpha() and token.isupper():  # an initial: "N. Korea"
        return False
    if "." in token:  # a dotted acronym: "U.S." ends a sentence only before an opener
        return at_end or following.lower().strip("“\"'‘") in SENTENCE_OPENERS
    return True


# --- quotations and speakers -----------------------------------------------------------

_QUOTATION = re.compile(r"[“\"]([^”\"]{12,})[”\"]")
_SPEECH = (
    r"said|says|told|added|stated|declared|insisted|noted|warned|explained|"
    r"continued|replied|wrote|asked|argued|remarked|announced"
)
_NAME = r"(?:[A-Z][\w.’'-]*|of|the|for|and|de|von|al)"
_PHRASE = rf"(?:the\s+)?[A-Z][\w.’'-]*(?:[\s\u00a0]+{_NAME}){{0,7}}"
# ,” said Foreign Minister Lee Jae-won / ,” Lee said / ,” U.S. State Department
_AFTER_VERB_FIRST = re.compile(rf"^[\s,\u00a0]*(?:{_SPEECH})[\s\u00a0]+(?P<who>{_PHRASE})")
_AFTER_NAME_FIRST = re.compile(
    rf"^[\s,\u00a0]*(?P<who>{_PHRASE}|he|she|they)[\s\u00a0]+(?:{_SPEECH})\b"
)
_AFTER_BARE = re.compile(rf"^[\s,\u00a0]*(?P<who>{_PHRASE})[\s\u00a0.]*$")
_BEFORE = re.compile(
    rf"(?P<who>{_PHRASE}|[Hh]e|[Ss]he|[Tt]hey)[\s\u00a0]+(?:{_SPEECH})[\s\u00a0]*[:,]?[\s\u00a0]*$"
)
# ,” the minister told reporters / ,” a senior official said
_AFTER_ROLE = re.compile(
    rf"^[\s,\u00a0]*(?P<who>(?:the|a|an)[\s\u00a0]+(?:[\w’'-]+[\s\u00a0]+){{0,3}}?[\w’'-]+)"
    rf"[\s\u00a0]+(?:{_SPEECH})\b"
)
_SPOKEN = re.compile(r"[“\"]([^”\"]{2,})[”\"]")
PRONOUNS = {"he", "she", "they"}


def quotation_and_speaker(text: str) -> tuple[tuple[int, int], str] | None:
    """The first quotation in a sentence (its span within the sentence) and who speaks
    it, if a speaker is named right before or after it; None otherwise. A quotation
    with no verb of speech beside it ("…,” U.S. State Department) needs four words, so
    scare quotes around a phrase are not taken for a quotation."""
    match = _SPOKEN.search(text)
    if match is None:
        return None
    after = text[match.end() :]
    before = text[: match.start()]
    span = (match.start(), match.end())
    for pattern in (_AFTER_VERB_FIRST, _AFTER_NAME_FIRST, _AFTER_ROLE):
        found = pattern.search(after)
        if found:
            return span, _clean_holder(found.group("who"))
    found = _BEFORE.search(before)
    if found:
        return span, _clean_holder(found.group("who"))
    found = _AFTER_BARE.search(after)
    if found and len(match.group(1).split()) >= 4:
        return span, _clean_holder(found.group("who"))
    return None


# --- attribution -----------------------------------------------------------------------

_VIEW_VERBS = (
    r"speculate[sd]?|argue[sd]?|believe[sd]?|contend(?:s|ed)?|think|thinks|thought|"
    r"suspect(?:s|ed)?|fear(?:s|ed)?|doubt(?:s|ed)?|predict(?:s|ed)?|expect(?:s|ed)?|"
    r"claim(?:s|ed)?|maintain(?:s|ed)?|worry|worries|worried|hope[sd]?|insist(?:s|ed)?|"
    r"suggest(?:s|ed)?|say|says|said|warn(?:s|ed)?|"
    r"(?:see|sees|saw|view|views|viewed)\s+(?=(?:\w+\s+){1,3}as\b)|"
    r"(?:share|shares|shared)\s+(?:\w+\s+)?(?:view|views|belief|concern|fear)s?|"
    r"(?:are|is|were|was)\s+(?:of\s+the\s+(?:opinion|view|belief)|convinced|skeptical|"
    r"sceptical|confident|worried|concerned)"
)
# Nouns that name people holding views, without naming anyone in particular.
GROUP_NOUNS = (
    r"analysts?|experts?|critics?|officials?|observers?|diplomats?|leaders?|"
    r"commentators?|economists?|scholars?|academics?|lawmakers?|legislators?|"
    r"politicians?|residents?|sceptics?|skeptics?|supporters?|opponents?|people|"
    r"observers?|insiders?|sources?|investors?|traders?|activists?|voters?|citizens?|"
    r"defectors?|many|some|others|most|few|several"
)
_CLAUSE_LEAD = r"(?:(?:but|and|yet|as|while|although|though|because|since|so|still)\s+)?"
_ATTRIBUTION = re.compile(
    rf"^\W*{_CLAUSE_LEAD}(?P<who>[^,;:“\"]{{1,80}}?)\s+(?:also\s+|still\s+|now\s+)?"
    rf"(?P<verb>{_VIEW_VERBS})\b",
    re.IGNORECASE,
)
_GROUP = re.compile(rf"\b(?:{GROUP_NOUNS})\b", re.IGNORECASE)
_VIEW_HOLDERS = re.compile(
    r"\b(?:analysts?|experts?|critics?|observers?|commentators?|economists?|scholars?|"
    r"sceptics?|skeptics?|many|some|others)\b",
    re.IGNORECASE,
)
_ACCORDING = re.compile(r"\baccording to (?P<who>[^,.;]{2,80})", re.IGNORECASE)
# Verbs that report speech rather than give a view; with a group noun they still count.
_NEUTRAL_SPEECH = {"say", "says", "said"}
_FIRST_PERSON_HOLDER = re.compile(r"^(?:i|we|many of us|some of us)$", re.IGNORECASE)
_HOLDER_LEAD = re.compile(r"^(?:but|and|yet|as|while|although|though|because|since|so)\s+", re.I)


def attribution(text: str) -> tuple[str, str] | None:
    """(holder, verb) when a clause gives a view to someone other than the author:
    a group ("analysts", "many officials") or a named party, before a verb of belief
    or argument; or "according to X"."""
    match = _ATTRIBUTION.search(text)
    if match:
        who = _clean_holder(match.group("who"))
        verb = match.group("verb").lower()
        if _is_holder(who, verb):
            return who, verb
    according = _ACCORDING.search(text)
    if according and _VIEW_HOLDERS.search(according.group("who")):
        # "according to analysts" gives a view; "according to the ministry" a source.
        return _clean_holder(according.group("who")), "according to"
    return None


def _is_holder(who: str, verb: str) -> bool:
    words = who.split()
    if not words or len(words) > 8 or _FIRST_PERSON_HOLDER.match(who):
        return False
    if re.search(r"\b(?:that|which|who|is|are|was|were|has|have|will|would)\b", who, re.I):
        return False
    group = bool(_GROUP.search(who))
    if verb in _NEUTRAL_SPEECH:
        # "Analysts say …" gives a view; "The ministry said …" reports a statement.
        return group and not re.search(r"\b(?:officials?|sources?)\b", who, re.I)
    named = who[0].isupper() and who.split()[0].lower() not in SENTENCE_OPENERS
    return group or named


def _clean_holder(who: str) -> str:
    text = re.sub(r"[\s\u00a0]+", " ", who).strip(" ,.;:")
    return _HOLDER_LEAD.sub("", text)


# --- the author's voice ----------------------------------------------------------------

OPINION_CUES = (
    # hedges and stance adverbs
    r"no doubt|doubtless|undoubtedly|perhaps|maybe|arguably|seemingly|apparently|"
    r"presumably|surely|clearly|obviously|of course|in fact|indeed|frankly|"
    r"it seems|seems to|appears to|may be|might|could be|would be wise|"
    r"self[- ]evident|evidently|"
    # evaluative words
    r"crippling|desperat\w*|predictable|greatest|best interest|worst|reckless|foolish|"
    r"naive|naïve|absurd|shameful|disgrace\w*|disastrous|dangerous|alarming|troubling|"
    r"welcome|laudable|admirable|brave|bold|cynical|hypocri\w*|misguided|"
    r"short-sighted|shortsighted|wrong-headed|pointless|futile|far too|too little|"
    r"ploy|charade|farce|sadly|unfortunately|fortunately|thankfully|regrettabl\w*|"
    r"clear indication|clear sign|clear signal|clear message|clear violation|clear breach|"
    r"remarkabl\w*|extraordinar\w*|mistake|mistaken|blunder\w*|grave|irresponsibl\w*|"
    r"unacceptabl\w*|outrageous|deplorabl\w*|appalling|wise|unwise|sensible|flawed|"
    r"ill-advised|ill-conceived|disappointing|encouraging|worrying|shocking|"
    r"strongly|deeply|utterly|simply|merely|only hope|"
    # the author acting by speaking: "condemns", "we urge"
    r"condemns|condemn|deplores|urges|urge|calls on|regrets|"
    # normative
    r"should|ought to|must not|must|needs to|need to|it is time|"
    # figurative comparison
    r"much like|just as|like a"
)
_OPINION = re.compile(rf"\b(?:{OPINION_CUES})\b", re.IGNORECASE)
_FIRST_PERSON = re.compile(r"\b(?:I|I’m|I'm|I’ve|I've|me|my|we|We|our|Our|us)\b")


def opinion_cue(text: str) -> str | None:
    """The first sign of the author's own voice outside quotation marks, in words."""
    outside = _QUOTATION.sub(" ", text)
    if outside.rstrip(" ”’\"').").endswith("?"):
        return "a question the author asks"
    found = _OPINION.search(outside)
    if found:
        return f"the author's wording “{found.group(0)}”"
    person = _FIRST_PERSON.search(outside)
    if person:
        return f"the author speaks in the first person (“{person.group(0)}”)"
    return None


# --- entities --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Alias:
    """One name the store knows for an entity."""

    alias: str
    entity_id: int
    name: str  # the entity's canonical name
    type: str = ""


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    entity_id: int
    name: str
    type: str


def find_mentions(text: str, aliases: Sequence[Alias]) -> list[Mention]:
    """Entities named in `text`, longest name first, never overlapping. Names of three
    letters or fewer ("Un", "US") match only as written; longer ones ignore case."""
    plain = "".join(normalise_quote_char(c) for c in text)  # same length as text
    folded = plain.casefold() if len(plain.casefold()) == len(plain) else plain
    taken = [False] * len(text)
    found: list[Mention] = []
    for alias in sorted(aliases, key=lambda a: len(a.alias), reverse=True):
        name = "".join(normalise_quote_char(c) for c in alias.alias)
        exact = len(name) <= 3
        haystack, needle = (plain, name) if exact else (folded, name.casefold())
        if not needle.strip():
            continue
        pattern = re.compile(rf"(?<![\w.]){re.escape(needle)}(?![\w])")
        for match in pattern.finditer(haystack):
            start, end = match.span()
            if any(taken[start:end]):
                continue
            taken[start:end] = [True] * (end - start)
            found.append(Mention(start, end, alias.entity_id, alias.name, alias.type))
    return sorted(found, key=lambda m: m.start)


# --- dates -----------------------------------------------------------------------------

WEEKDAYS = {
    "monday": MO,
    "tuesday": TU,
    "wednesday": WE,
    "thursday": TH,
    "friday": FR,
    "saturday": SA,
    "sunday": SU,
}
_RELATIVE = re.compile(
    r"\b(?:(?P<which>this|next|last|on|coming|past)[\s\u00a0]+)?"
    r"(?P<day>monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b"
    r"|\b(?P<near>yesterday|today|tomorrow)\b"
    r"|\b(?P<rel>this|next|last)[\s\u00a0]+(?P<unit>week|month|year)\b",
    re.IGNORECASE,
)
_PAST = re.compile(
    r"\b(?:said|was|were|met|held|told|took|had|made|gave|came|went|began|ended|"
    r"signed|agreed|announced|visited|arrived|left|\w+ed)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class InferredDate:
    """A relative date in the text, resolved against the source's date: an inference."""

    phrase: str
    start: int
    end: int
    value: date | None
    precision: str  # day, week, month, year
    reasoning: str


def resolve_dates(
    text: str, offset: int, published: date | None, precision: str = "day"
) -> list[InferredDate]:
    """Relative dates in `text` (a sentence at `offset` in the source), resolved."""
    found = []
    for match in _RELATIVE.finditer(text):
        phrase = re.sub(r"[\s\u00a0]+", " ", match.group(0))
        start, end = offset + match.start(), offset + match.end()
        if published is None:
            reason = f"“{phrase}” is relative, and the source has no date to resolve it from"
            found.append(InferredDate(phrase, start, end, None, "day", reason))
            continue
        value, unit, rule = _resolve(match, published, past=bool(_PAST.search(text)))
        dated = _show(published, "day" if precision == "day" else precision)
        known = "" if precision == "day" else f" (known only to the {precision})"
        reason = (
            f"“{phrase}” read as {_show(value, unit)}: {rule} the source's date, {dated}{known}"
        )
        found.append(InferredDate(phrase, start, end, value, unit, reason))
    return found


def _resolve(match: re.Match[str], published: date, *, past: bool) -> tuple[date, str, str]:
    if match.group("near"):
        step = {"yesterday": -1, "today": 0, "tomorrow": 1}[match.group("near").lower()]
        return published + timedelta(days=step), "day", f"{match.group('near').lower()} from"
    if match.group("unit"):
        unit, rel = match.group("unit").lower(), match.group("rel").lower()
        step = {"this": 0, "next": 1, "last": -1}[rel]
        if unit == "week":
            monday = published + relativedelta(weekday=MO(-1))
            return monday + timedelta(weeks=step), "week", f"the {rel} week from"
        if unit == "month":
            first = published.replace(day=1) + relativedelta(months=step)
            return first, "month", f"the {rel} month from"
        return published.replace(month=1, day=1, year=published.year + step), "year", "from"
    weekday = WEEKDAYS[match.group("day").lower()]
    which = (match.group("which") or "").lower()
    if which in {"last", "past"}:
        value = published + relativedelta(days=-1, weekday=weekday(-1))
        return value, "day", f"the {match.group('day')} before"
    if which in {"", "on"} and past:  # "agreed on Tuesday": the latest, maybe that day
        value = published + relativedelta(weekday=weekday(-1))
        return (
            value,
            "day",
            f"the sentence is in the past tense: the {match.group('day')} on or before",
        )
    if which == "next":
        value = published + relativedelta(days=+1, weekday=weekday(+1))
        return value, "day", f"the first {match.group('day')} after"
    value = published + relativedelta(weekday=weekday(+1))
    return value, "day", f"the first {match.group('day')} on or after"


def _show(value: date, unit: str) -> str:
    if unit == "week":
        return f"the week of {value.day} {value:%B %Y}"
    if unit == "month":
        return f"{value:%B %Y}"
    if unit == "year":
        return f"{value.year}"
    return f"{value:%A} {value.day} {value:%B %Y}"


# --- candidates ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Candidate:
    """A proposed fact: what it cites, what kind it is and why, whose it is."""

    start: int
    end: int
    quote: str  # text[start:end], exactly
    kind: Kind
    reason: str  # why this kind, in plain words
    holder: str | None = None
    subject_id: int | None = None
    subject: str | None = None
    entity_ids: tuple[int, ...] = ()
    dates: tuple[InferredDate, ...] = field(default=())

    @property
    def statement(self) -> str:
        """A first statement for the moderator to edit: the cited words, tidied, with
        each relative date it resolved labelled as inferred."""
        text = re.sub(r"[\s\u00a0]+", " ", self.quote).strip()
        spoken = _SPOKEN.search(text) if self.kind is Kind.QUOTE and self.holder else None
        if spoken is not None:
            words = spoken.group(1).strip().rstrip(",")
            return f"{self.holder}: “{words}”"[:500]
        text = _DATELINE.sub("", text).strip('“”"').strip()
        if text and text[0].islower():
            text = text[0].upper() + text[1:]
        if text and text[-1] not in ".!?":
            text += "."
        notes = [
            f"“{d.phrase}”: {_show(d.value, d.precision)}, inferred from the source's date"
            for d in self.dates
            if d.value is not None
        ]
        if notes:
            text = f"{text} ({'; '.join(notes)})"
        return text[:500]


# "SEOUL, March 10 (Peninsula Wire) – ": where a wire report was filed, not a claim.
_DATELINE = re.compile(
    r"^[A-Z][A-Z .'-]+,[\s\u00a0]+[A-Z][a-z]{2,8}\.?[\s\u00a0]+\d{1,2}"
    r"(?:[\s\u00a0]+\([^)]{1,60}\))?[\s\u00a0]+[–—-][\s\u00a0]+"
)
# A clause may start at a comma followed by one of these, or at a semicolon.
_CLAUSE_BREAK = re.compile(
    r",[\s\u00a0]+(?=(?:no doubt|perhaps|clearly|surely|undoubtedly|of course|apparently|"
    r"seemingly|arguably|presumably|as|because|since|whereas|although|though|but)\b)"
    r"|;[\s\u00a0]+",
    re.IGNORECASE,
)
MAX_CANDIDATE = 1000  # a fact's quote limit (bot.moderation.LIMITS)


def draft(
    text: str,
    aliases: Sequence[Alias] = (),
    published: date | None = None,
    precision: str = "day",
) -> list[Candidate]:
    """Candidate facts for every sentence of `text`, in order."""
    candidates: list[Candidate] = []
    context = _Context()
    for sentence in _quotable(split_sentences(text)):
        if _is_furniture(sentence.text):
            continue
        pieces = [classify(text, s, e, context) for s, e in _clauses(text, sentence)]
        for piece in _merged(text, pieces):
            piece = _bounded(text, piece)
            piece = _with_entities(piece, aliases, context)
            dates = resolve_dates(piece.quote, piece.start, published, precision)
            candidates.append(replace(piece, dates=tuple(dates)))
    return candidates


def _quotable(sentences: list[Sentence]) -> Iterable[Sentence]:
    """Sentences, with any longer than a fact's quote may be cut into pieces at spaces,
    so no rule ever looks at more than MAX_CANDIDATE characters at once."""
    for sentence in sentences:
        start = 0
        body = sentence.text
        while len(body) - start > MAX_CANDIDATE:
            cut = body.rfind(" ", start + 1, start + MAX_CANDIDATE)
            cut = cut if cut > start else start + MAX_CANDIDATE
            yield Sentence(sentence.start + start, sentence.start + cut, body[start:cut])
            start = cut
            while start < len(body) and body[start].isspace():
                start += 1
        if start < len(body):
            yield Sentence(sentence.start + start, sentence.end, body[start:])


def _bounded(text: str, piece: Candidate) -> Candidate:
    """A fact's quote is at most MAX_CANDIDATE characters: cut a longer one at a word."""
    if piece.end - piece.start <= MAX_CANDIDATE:
        return piece
    cut = text.rfind(" ", piece.start, piece.start + MAX_CANDIDATE)
    end = cut if cut > piece.start else piece.start + MAX_CANDIDATE
    return replace(piece, end=end, quote=text[piece.start : end])


def _is_furniture(sentence: str) -> bool:
    return len(sentence.split()) < FURNITURE_WORDS and sentence[-1] not in '.!?”"’'


def _clauses(text: str, sentence: Sentence) -> list[tuple[int, int]]:
    """Where a sentence may be cut into separate claims (never inside a quotation)."""
    quotation = _QUOTATION.search(sentence.text)
    cuts = [0]
    for match in _CLAUSE_BREAK.finditer(sentence.text):
        if quotation and quotation.start() <= match.start() < quotation.end():
            continue
        cuts.append(match.end())
    cuts.append(len(sentence.text))
    spans = []
    for begin, finish in pairwise(cuts):
        piece = _trimmed(text, sentence.start + begin, sentence.start + finish)
        if piece:
            end = piece[0].end
            while end > piece[0].start and text[end - 1] in ",;":
                end -= 1
            spans.append((piece[0].start, end))
    return spans


class _Context:
    """What earlier sentences established: the last named speaker and subject."""

    def __init__(self) -> None:
        self.speaker: str | None = None
        self.subject: tuple[int, str] | None = None


def classify(text: str, start: int, end: int, context: _Context | None = None) -> Candidate:
    """One clause's kind, holder and the reason for the kind."""
    context = context or _Context()
    piece = text[start:end]
    quote = quotation_and_speaker(piece)
    if quote is not None:
        speaker = quote[1]
        if speaker.lower() in PRONOUNS:
            speaker = context.speaker or speaker
        else:
            speaker = full_name(speaker, text[:start])
        context.speaker = speaker
        return Candidate(
            start, end, piece, Kind.QUOTE, f"a quotation with its speaker, {speaker}", speaker
        )
    if context.speaker and _STANDALONE.match(piece):
        reason = f"a quotation on its own, taken as the last named speaker's, {context.speaker}"
        return Candidate(start, end, piece, Kind.QUOTE, reason, context.speaker)
    attributed = attribution(piece)
    if attributed is not None:
        holder, verb = attributed
        reason = f"the text gives the view to {holder} (“{verb}”)"
        return Candidate(start, end, piece, Kind.ATTRIBUTED, reason, holder)
    cue = opinion_cue(piece)
    if cue is not None:
        return Candidate(start, end, piece, Kind.OPINION, cue)
    return Candidate(start, end, piece, Kind.REPORTED, "stated as fact, with no opinion cue")


# A sentence that is one quotation and nothing else continues the last speaker's words.
_STANDALONE = re.compile(r"^[“\"][^”\"]{12,}[”\"]$")
TITLES = frozenset(
    _words(
        """mr mrs ms miss dr prof professor president minister ambassador secretary general
    senator governor chairman chairwoman spokesman spokeswoman spokesperson envoy
    foreign defence defense prime deputy vice chief director premier king queen
    representative rep sen gen col lt"""
    )
)


def full_name(speaker: str, before: str) -> str:
    """A speaker's name without titles, and a surname alone ("Kang") expanded to the
    fullest name the text gave earlier ("Kang Ji-won", "Ellen Marsh")."""
    words = speaker.split()
    while len(words) > 1 and words[0].lower().strip(".") in TITLES:
        words = words[1:]
    if len(words) != 1 or not words[0][:1].isupper():
        return " ".join(words) or speaker
    name = re.escape(words[0])
    cap = r"[A-Z][\w’'-]+"
    pattern = re.compile(rf"(?:{cap}[\s\u00a0]+)*\b{name}\b(?:[\s\u00a0]+{cap})*")
    longest = words[0]
    for match in pattern.finditer(before):
        found = [w for w in match.group(0).split() if w.lower().strip(".") not in TITLES]
        if len(found) > len(longest.split()) and len(found) <= 4:
            longest = " ".join(found)
    return longest


# A clause that names nobody but says "he" or "their" is about the last one named.
_PRONOUN = re.compile(r"\b(?:he|she|him|her|his|hers|himself|herself|they|them|their)\b", re.I)


def _with_entities(candidate: Candidate, aliases: Sequence[Alias], context: _Context) -> Candidate:
    mentions = find_mentions(candidate.quote, aliases)
    holder = (candidate.holder or "").casefold()
    ids = tuple(dict.fromkeys(m.entity_id for m in mentions))
    subjects = [m for m in mentions if m.name.casefold() not in holder] or mentions
    people = [m for m in subjects if m.type == "person"]
    chosen = next(iter(people or subjects), None)
    if chosen is not None:
        context.subject = (chosen.entity_id, chosen.name)
    carried = context.subject if _PRONOUN.search(candidate.quote) else None
    subject = (chosen.entity_id, chosen.name) if chosen else carried
    if subject is None:
        return replace(candidate, entity_ids=ids)
    return replace(candidate, subject_id=subject[0], subject=subject[1], entity_ids=ids)


def _merged(text: str, pieces: list[Candidate]) -> list[Candidate]:
    """Neighbouring clauses of one sentence with the same kind and holder are one claim."""
    out: list[Candidate] = []
    for piece in pieces:
        last = out[-1] if out else None
        if (
            last is not None
            and last.kind is piece.kind
            and last.holder == piece.holder
            and piece.end - last.start <= MAX_CANDIDATE
        ):
            out[-1] = replace(last, end=piece.end, quote=text[last.start : piece.end])
            continue
        out.append(piece)
    return out


def candidate_for(
    text: str,
    start: int,
    end: int,
    aliases: Sequence[Alias] = (),
    published: date | None = None,
    precision: str = "day",
) -> Candidate:
    """One candidate for the span [start, end) of `text` (trimmed), drafted afresh: what
    a split of a candidate becomes."""
    pieces = _trimmed(text, start, end)
    if not pieces:
        return Candidate(start, start, "", Kind.REPORTED, "empty")
    piece = pieces[0]
    context = _Context()
    candidate = classify(text, piece.start, piece.end, context)
    candidate = _with_entities(candidate, aliases, context)
    dates = resolve_dates(candidate.quote, candidate.start, published, precision)
    return replace(candidate, dates=tuple(dates))


def boundaries(text: str, start: int, end: int) -> list[int]:
    """Where the span [start, end) of `text` may be cut: after each of its sentences
    but the last, else at its clause breaks (commas before a new clause, semicolons)."""
    span = Sentence(start, end, text[start:end])
    sentences = [s for s in split_sentences(span.text)]
    if len(sentences) > 1:
        return [start + s.start for s in sentences[1:]]
    clauses = _clauses(text, span)
    return [clause_start for clause_start, _ in clauses[1:]]
