"""Fuzzy name suggestions at 100,000 aliases in a few milliseconds, with the same
results as scoring every alias with rapidfuzz's WRatio (which takes ~90 ms there).

Most aliases cannot reach the cutoff, and that can be known without scoring them:
every part of WRatio compares the characters two strings have in common in order
(their longest common subsequence, LCS), which is never more than the characters they
have in common in any order, counted with repeats (their "overlap"). From the overlap
and the lengths alone `_bounds` gives, for every alias at once (numpy), a score WRatio
cannot exceed (`_formula` follows rapidfuzz's WRatio step by step):

- `ratio` is 200·LCS / (len(q) + len(a));
- `partial_ratio` aligns the shorter string (length s) with windows of at most s
  characters of the longer, so it is at most 200·m / (m + s), m = min(LCS, s);
- the word ratios compare the words sorted (the set ratios: each word once): at most
  200·m / (m + s_w), s_w the shorter of the two as unique_words_length, unless the two
  share a whole word, when `partial_token_ratio` is 100 (and `token_set_ratio` is 100
  if one's words are all among the other's); a word index finds those aliases.

Characters are counted in 48 classes (a-z, blanks, digits, the hyphen, and 19 for all
else): merging characters can only raise an overlap, so the bound stays a bound.
Aliases are then taken best bound first (ties in alias order), a chunk at a time; for
each chunk the LCS itself (rapidfuzz, in C++) gives a tighter bound, and only the
aliases whose tighter bound can still enter the top `limit` are scored. Once the top is
full and an alias's bound is below its worst score (or equal, and the alias comes
later), no alias after it can enter: the ranking is complete. It is rapidfuzz's own:
best score first, ties in alias order. tests/store/test_fuzzy.py checks it equals the
full scan's, and `python -m bench store` counts the agreement on 100,000 names.
"""

from __future__ import annotations

import heapq
import operator
import threading
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

if TYPE_CHECKING:
    import numpy as np

CLASSES = 48
_BLANK, _DIGIT, _HYPHEN, _OTHER = 26, 27, 28, 29  # 29 to 47: everything else
MAX_QUERY = 255  # counts are kept in one byte; longer queries are scored in full
SLACK = 1e-9  # rapidfuzz scores in floating point
CHUNK = 512  # aliases whose tighter bounds are worked out at once
ROUND = 1024  # aliases sorted at once
MARGIN = 0.01  # below the bar, for rapidfuzz's score_cutoff


def char_class(char: str) -> int:
    if "a" <= char <= "z":
        return ord(char) - ord("a")
    if char.isspace():
        return _BLANK
    if char.isdigit():
        return _DIGIT
    if char == "-":
        return _HYPHEN
    return _OTHER + ord(char) % (CLASSES - _OTHER)


def unique_words_length(text: str) -> int:
    """The length of the text's words joined by single blanks, each word once (what
    rapidfuzz's set ratios compare)."""
    words = set(text.split())
    return sum(map(len, words)) + max(0, len(words) - 1)


class NameIndex:
    """Folded aliases with their entity ids, and what the bound needs of each: length,
    length without repeated words, character counts per class, a word index. Built on
    the first query (off the event loop, like the queries), at most once."""

    def __init__(self, aliases: list[tuple[str, int]]) -> None:
        self.aliases = aliases
        self.names = [alias for alias, _ in aliases]
        self._lock = threading.Lock()
        self._built: _Arrays | None = None

    def __len__(self) -> int:
        return len(self.aliases)

    def _arrays(self) -> _Arrays:
        with self._lock:
            if self._built is None:
                self._built = _build(self.names)
            return self._built

    def rank(self, folded: str, limit: int, cutoff: float) -> list[int]:
        """Indexes of the `limit` aliases WRatio scores highest against `folded` (at
        least `cutoff`), best first, ties in alias order: what
        `process.extract(folded, names, scorer=fuzz.WRatio, limit=limit,
        score_cutoff=cutoff)` gives, without scoring every alias."""
        if not self.names or not folded or limit < 1:
            return []
        if len(folded) > MAX_QUERY:
            return full_scan(folded, self.names, limit, cutoff)
        arrays = self._arrays()
        query = _bounds(folded, arrays)
        bound = query.bound
        top = _Top(limit, cutoff)
        for chunk in _best_first(bound, cutoff):
            if top.shut_out(bound[chunk[0]], int(chunk[0])):
                break  # and every alias after it (their bounds are lower)
            tighter = _tighter_bounds(folded, chunk, self, arrays, query)
            hopeful = tighter >= top.bar() - SLACK  # the bar only rises
            for index, most, at_most in zip(
                chunk[hopeful].tolist(),
                bound[chunk[hopeful]].tolist(),
                tighter[hopeful].tolist(),
                strict=True,
            ):
                if top.shut_out(most, index):
                    return top.indexes()  # and every alias after it (their bounds are lower)
                if not top.shut_out(at_most, index):
                    top.score(folded, self.names[index], index)
        return top.indexes()


class _Top:
    """The best `limit` scores so far, as (score, -index): a min-heap, its first the
    worst (lowest score, and of equal scores the latest alias)."""

    def __init__(self, limit: int, cutoff: float) -> None:
        self.limit, self.cutoff = limit, cutoff
        self.heap: list[tuple[float, int]] = []

    def shut_out(self, most: float, index: int) -> bool:
        """Whether an alias scoring at most `most` cannot enter: the top is full and its
        worst scores more, or as much and comes earlier."""
        if len(self.heap) < self.limit:
            return most < self.cutoff - SLACK
        score, negative = self.heap[0]
        return most < score - SLACK or (most <= score + SLACK and index > -negative)

    def bar(self) -> float:
        """The score an alias must reach to enter."""
        return self.heap[0][0] if len(self.heap) == self.limit else self.cutoff

    def score(self, folded: str, name: str, index: int) -> None:
        bar = self.bar()
        # A score_cutoff raised to the bar saves work, but not right at it: rapidfuzz
        # may return 0 for a score equal to its cutoff (it rescales the cutoff).
        score = fuzz.WRatio(folded, name, score_cutoff=max(self.cutoff, bar - MARGIN))
        if score < bar:  # rapidfuzz's 0 for under the cutoff included
            return
        if len(self.heap) < self.limit:
            heapq.heappush(self.heap, (score, -index))
        else:
            heapq.heappushpop(self.heap, (score, -index))

    def indexes(self) -> list[int]:
        return [-negative for _, negative in sorted(self.heap, key=lambda p: (-p[0], -p[1]))]


def _best_first(bound: np.ndarray, cutoff: float) -> Iterator[np.ndarray]:
    """The aliases whose bound reaches the cutoff, best bound first and equal bounds in
    alias order, in chunks of CHUNK: each round sorts about ROUND aliases, and every
    alias of the lowest bound among them, so the order holds across rounds; only the
    rounds used are sorted."""
    import numpy as np

    remaining = np.flatnonzero(bound >= cutoff - SLACK)
    while len(remaining):
        if len(remaining) > ROUND:
            level = -np.partition(-bound[remaining], ROUND - 1)[ROUND - 1]
            taken = bound[remaining] >= level
            chunk, remaining = remaining[taken], remaining[~taken]
        else:
            chunk, remaining = remaining, remaining[:0]
        ordered = chunk[np.lexsort((chunk, -bound[chunk]))]
        for start in range(0, len(ordered), CHUNK):  # many aliases may share a bound
            yield ordered[start : start + CHUNK]


def sorted_words(text: str) -> str:
    """The words once each, sorted, joined by blanks: what rapidfuzz's set ratios compare."""
    return " ".join(sorted(set(text.split())))


def _tighter_bounds(
    folded: str, chunk: np.ndarray, index: NameIndex, arrays: _Arrays, query: _Query
) -> np.ndarray:
    """Bounds for the aliases in `chunk` from their longest common subsequences with
    the query (rapidfuzz, in C++) instead of the overlap: the same formula, tighter.
    The word ratios use the sorted words' subsequence only where rapidfuzz compares
    exactly those strings: no shared word, no word repeated in either."""
    import numpy as np
    from rapidfuzz.distance import LCSseq

    positions = chunk.tolist()
    pick = operator.itemgetter(*positions)
    chunk_names = [pick(index.names)] if len(positions) == 1 else pick(index.names)
    common = process.cdist([folded], chunk_names, scorer=LCSseq.similarity, dtype=np.int32)[0]
    words = arrays.word_count[chunk]
    plain = (query.shared[chunk] == 0) & (words == arrays.word_total[chunk])
    if len(set(folded.split())) == len(folded.split()):
        sorted_query = sorted_words(folded)
        sorted_names = (
            [pick(arrays.sorted_words)] if len(positions) == 1 else pick(arrays.sorted_words)
        )
        common_words = process.cdist(
            [sorted_query], sorted_names, scorer=LCSseq.similarity, dtype=np.int32
        )[0]
        words_overlap = np.where(plain, common_words, query.overlap[chunk])
    else:
        words_overlap = query.overlap[chunk]
    return _formula(
        folded,
        common.astype(np.float64),
        words_overlap.astype(np.float64),
        arrays.length[chunk],
        arrays.unique[chunk],
        query.shared[chunk],
        words,
    )


def full_scan(folded: str, names: list[str], limit: int, cutoff: float) -> list[int]:
    """Every alias scored: the reference the index must agree with."""
    matches = process.extract(folded, names, scorer=fuzz.WRatio, limit=limit, score_cutoff=cutoff)
    return [index for _, _, index in matches]


@dataclass
class _Arrays:
    """What the bound needs of every alias (n of them), built once."""

    counts: np.ndarray  # (CLASSES, n) uint8: characters of each class, at most 255
    shape: np.ndarray  # (n,) the alias's (length, unique_words_length) pair, numbered
    shape_length: np.ndarray  # (shapes,) float: the length of each pair
    shape_unique: np.ndarray  # (shapes,) float: the unique_words_length of each pair
    length: np.ndarray  # (n,) float
    unique: np.ndarray  # (n,) float: unique_words_length
    word_count: np.ndarray  # (n,) distinct words
    word_total: np.ndarray  # (n,) words, repeats counted
    words: dict[str, np.ndarray]  # word -> the aliases that have it
    sorted_words: list[str]  # (n,) sorted_words(alias)


@dataclass
class _Query:
    """One query's bound for every alias, and what went into it."""

    bound: np.ndarray  # (n,) float
    overlap: np.ndarray  # (n,) characters in common, in any order
    shared: np.ndarray  # (n,) the query's distinct words the alias has too


def _build(names: list[str]) -> _Arrays:
    import numpy as np

    n = len(names)
    lengths = np.fromiter(map(len, names), dtype=np.int64, count=n)
    codes = np.frombuffer("".join(names).encode("utf-32-le"), dtype=np.uint32)
    unique_codes, inverse = np.unique(codes, return_inverse=True)
    classes = np.array([char_class(chr(code)) for code in unique_codes.tolist()], dtype=np.int64)
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths)
    counts = np.bincount(classes[inverse] * n + owner, minlength=CLASSES * n)
    words: defaultdict[str, list[int]] = defaultdict(list)
    unique_lengths, word_counts, word_totals, sorted_names = [], [], [], []
    for index, name in enumerate(names):
        said = name.split()
        distinct = set(said)
        for word in distinct:
            words[word].append(index)
        unique_lengths.append(sum(map(len, distinct)) + max(0, len(distinct) - 1))
        word_counts.append(len(distinct))
        word_totals.append(len(said))
        sorted_names.append(name if len(said) == 1 else " ".join(sorted(distinct)))
    unique = np.array(unique_lengths, dtype=np.int64)
    pairs, shape = np.unique(lengths * 4096 + unique, return_inverse=True)
    return _Arrays(
        counts=np.minimum(counts.reshape(CLASSES, n), 255).astype(np.uint8),
        shape=shape.astype(np.int32),
        shape_length=(pairs // 4096).astype(np.float64),
        shape_unique=(pairs % 4096).astype(np.float64),
        length=lengths.astype(np.float64),
        unique=unique.astype(np.float64),
        word_count=np.array(word_counts, dtype=np.int64),
        word_total=np.array(word_totals, dtype=np.int64),
        words={word: np.array(found, dtype=np.int64) for word, found in words.items()},
        sorted_words=sorted_names,
    )


def _bounds(folded: str, arrays: _Arrays) -> _Query:
    """For every alias, a score fuzz.WRatio(folded, alias) cannot exceed. It depends
    only on the overlap and the alias's (length, unique_words_length), except for
    aliases that share a word with the query: so it is tabulated for every such pair
    and overlap, looked up for every alias, and worked out apart for those sharing."""
    import numpy as np

    wanted: defaultdict[int, int] = defaultdict(int)
    for char in folded:
        wanted[char_class(char)] += 1
    overlap = np.zeros(arrays.counts.shape[1], dtype=np.uint8)  # sums stay <= len(folded)
    for char_class_, count in wanted.items():
        row = arrays.counts[char_class_]
        for at_least in range(1, count + 1):  # min(row, count), a comparison at a time
            np.add(overlap, row >= at_least, out=overlap, casting="unsafe")
    q = len(folded)
    every_overlap = np.arange(q + 1, dtype=np.float64)[None, :]
    table = _formula(
        folded,
        every_overlap,
        every_overlap,
        arrays.shape_length[:, None],
        arrays.shape_unique[:, None],
        np.zeros(1),
        np.zeros(1),
    )
    bound: np.ndarray = table.ravel()[arrays.shape * (q + 1) + overlap]
    postings = [arrays.words[word] for word in set(folded.split()) if word in arrays.words]
    if not postings:
        return _Query(bound, overlap, np.zeros(len(bound), dtype=np.int64))
    shared = np.bincount(np.concatenate(postings), minlength=len(bound))
    sharing = np.flatnonzero(shared)
    common = overlap[sharing].astype(np.float64)
    bound[sharing] = _formula(
        folded,
        common,
        common,
        arrays.length[sharing],
        arrays.unique[sharing],
        shared[sharing],
        arrays.word_count[sharing],
    )
    return _Query(bound, overlap, shared)


def _formula(
    folded: str,
    common: np.ndarray,
    words_common: np.ndarray,
    length: np.ndarray,
    unique: np.ndarray,
    shared: np.ndarray,
    word_count: np.ndarray,
) -> np.ndarray:
    """The bound of WRatio(folded, alias), step by step as rapidfuzz computes WRatio,
    from: characters in common with the query (at least the longest common subsequence)
    and the same for the strings the word ratios compare; the alias's length and
    unique_words_length; how many of the query's words it has; its distinct words.
    Arrays broadcast against each other."""
    import numpy as np

    q = float(len(folded))
    shorter = np.minimum(length, q)
    length_ratio = np.maximum(length, q) / shorter
    m = np.minimum(common, shorter)
    ratio = 200 * m / (q + length)
    partial = 200 * m / (m + shorter)
    unique_shorter = np.minimum(unique, unique_words_length(folded))
    m_words = np.minimum(words_common, unique_shorter)
    tokens = 200 * m_words / np.maximum(m_words + unique_shorter, 1)
    # Any word in common: partial_token_ratio is 100. One's words all among the other's:
    # token_set_ratio is 100 (else it compares strings, which the overlap bounds).
    query_words = len(set(folded.split()))
    subset = (shared > 0) & ((shared == query_words) | (shared == word_count))
    close = np.maximum(ratio, 0.95 * np.where(subset, 100.0, tokens))  # length ratio < 1.5
    scale = np.where(length_ratio <= 8.0, 0.9, 0.6)
    far_tokens = np.where(shared > 0, 100.0, tokens)
    far = np.maximum(ratio, scale * np.maximum(partial, 0.95 * far_tokens))
    found: np.ndarray = np.where(length_ratio < 1.5, close, far)
    return found
