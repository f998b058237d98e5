"""How well the drafter agrees with hand labels: measured, not claimed.

Each labelled claim (a curated fact's citation, or a labelled passage of a test
document) is matched to the drafted candidate that overlaps it most; a claim no
candidate overlaps counts as missed. Agreement on kind is the share of claims whose
candidate has the same kind; on holder, the share of claims where either side names a
holder and the two agree (one name's words contain the other's: "many officials" agrees
with "Many (U.S.) officials"). Precision and recall per kind count each claim once.
Candidates that overlap no claim (sentences the labels leave out) are counted apart.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot import curation, drafting
from bot.drafting import Alias, Candidate
from bot.models import Kind

TEST_DOCUMENTS = Path(__file__).resolve().parent.parent / "tests" / "data" / "drafting"
_STOP = {"the", "of", "a", "an", "unnamed", "in"}


@dataclass(frozen=True, slots=True)
class Label:
    start: int
    end: int
    kind: Kind
    holder: str | None


@dataclass(slots=True)
class Document:
    name: str
    genre: str
    text: str
    published: date | None
    precision: str
    labels: list[Label]


@dataclass(slots=True)
class Score:
    name: str
    genre: str
    claims: int = 0
    kind_agree: int = 0
    holder_total: int = 0
    holder_agree: int = 0
    missed: int = 0
    extra: int = 0
    # per kind: [true positives, false positives, false negatives]
    counts: dict[Kind, list[int]] = field(default_factory=lambda: {k: [0, 0, 0] for k in Kind})
    misses: list[str] = field(default_factory=list)

    @property
    def kind_rate(self) -> float:
        return self.kind_agree / self.claims if self.claims else 0.0

    @property
    def holder_rate(self) -> float:
        return self.holder_agree / self.holder_total if self.holder_total else 1.0

    def precision(self, kind: Kind) -> float | None:
        tp, fp, _ = self.counts[kind]
        return tp / (tp + fp) if tp + fp else None

    def recall(self, kind: Kind) -> float | None:
        tp, _, fn = self.counts[kind]
        return tp / (tp + fn) if tp + fn else None

    def add(self, other: Score) -> None:
        self.claims += other.claims
        self.kind_agree += other.kind_agree
        self.holder_total += other.holder_total
        self.holder_agree += other.holder_agree
        self.missed += other.missed
        self.extra += other.extra
        for kind in Kind:
            for i in range(3):
                self.counts[kind][i] += other.counts[kind][i]


def holders_agree(gold: str | None, drafted: str | None) -> bool:
    if not gold or not drafted:
        return not gold and not drafted
    first, second = _holder_words(gold), _holder_words(drafted)
    return bool(first and second) and (first <= second or second <= first)


def _holder_words(name: str) -> set[str]:
    plain = re.sub(r"[()\"“”]", " ", name.casefold().replace("’s", "").replace("'s", ""))
    return {w.strip(".,") for w in plain.split() if w.strip(".,") not in _STOP}


def score(document: Document, candidates: Sequence[Candidate]) -> Score:
    result = Score(document.name, document.genre)
    used: set[int] = set()
    for label in document.labels:
        best = _best_overlap(label, candidates)
        result.claims += 1
        if best is None:
            result.missed += 1
            result.counts[label.kind][2] += 1
            result.misses.append(f"missed: {document.text[label.start : label.end][:60]}")
            continue
        used.add(best)
        found = candidates[best]
        _count(result, label, found, document.text)
    result.extra = sum(
        1
        for i, c in enumerate(candidates)
        if i not in used and not any(_overlap(c, label) for label in document.labels)
    )
    return result


def _count(result: Score, label: Label, found: Candidate, text: str) -> None:
    if found.kind is label.kind:
        result.kind_agree += 1
        result.counts[label.kind][0] += 1
    else:
        result.counts[label.kind][2] += 1
        result.counts[found.kind][1] += 1
        passage = text[label.start : label.end][:60]
        result.misses.append(f"{label.kind.value} drafted as {found.kind.value}: {passage}")
    if label.holder or found.holder:
        result.holder_total += 1
        if holders_agree(label.holder, found.holder):
            result.holder_agree += 1
        else:
            result.misses.append(f"holder {label.holder!r} drafted as {found.holder!r}")


def _overlap(candidate: Candidate, label: Label) -> int:
    return max(0, min(candidate.end, label.end) - max(candidate.start, label.start))


def _best_overlap(label: Label, candidates: Sequence[Candidate]) -> int | None:
    best, most = None, 0
    for i, candidate in enumerate(candidates):
        amount = _overlap(candidate, label)
        if amount > most:
            best, most = i, amount
    return best


# --- the documents -----------------------------------------------------------------


def aliases_of(bundle: curation.Bundle) -> list[Alias]:
    return [
        Alias(name, number, entity.name, entity.type)
        for number, entity in enumerate(bundle.entities, start=1)
        for name in (entity.name, *entity.aliases)
    ]


def seed_documents(bundle: curation.Bundle) -> list[Document]:
    """The curated sources, labelled by their live curated facts' citations."""
    documents = []
    for source in bundle.sources:
        labels = [
            Label(c.at[0], c.at[1], Kind(fact.kind), fact.attributed_to)
            for fact in bundle.facts
            if not fact.retracted
            for c in fact.citations[:1]
            if c.source == source.key and c.at is not None
        ]
        published = curation.published_of(source)
        documents.append(
            Document(
                source.key,
                "seed article",
                source.text,
                published.value if published else None,
                source.published_precision,
                labels,
            )
        )
    return documents


def test_documents(folder: Path = TEST_DOCUMENTS) -> list[Document]:
    """The hand-labelled test documents (see tests/data/drafting/README.md)."""
    raw = tomllib.loads((folder / "labels.toml").read_text(encoding="utf-8"))
    documents = []
    for item in raw["documents"]:
        text = (folder / item["file"]).read_bytes().decode("utf-8")
        labels = []
        for entry in item["labels"]:
            start = text.find(entry["text"])
            if start < 0:
                raise ValueError(f"{item['file']}: label not in the text: {entry['text']!r}")
            labels.append(
                Label(start, start + len(entry["text"]), Kind(entry["kind"]), entry.get("holder"))
            )
        published = date.fromisoformat(item["published"]) if item.get("published") else None
        documents.append(Document(item["file"], item["genre"], text, published, "day", labels))
    return documents


def evaluate(documents: Sequence[Document], aliases: Sequence[Alias]) -> list[Score]:
    return [
        score(doc, drafting.draft(doc.text, aliases, doc.published, doc.precision))
        for doc in documents
    ]


def overall(scores: Sequence[Score], name: str = "all test documents") -> Score:
    total = Score(name, "")
    for one in scores:
        total.add(one)
    return total


# --- printing ----------------------------------------------------------------------


def _percent(value: float | None) -> str:
    return "   - " if value is None else f"{value * 100:4.0f}%"


def render(score: Score, *, details: bool = False) -> list[str]:
    title = f"{score.name}" + (f" ({score.genre})" if score.genre else "")
    lines = [
        title,
        f"  kind agreement   {score.kind_agree}/{score.claims} = {score.kind_rate:.0%}",
        f"  holder agreement {score.holder_agree}/{score.holder_total} = {score.holder_rate:.0%}",
        f"  missed claims {score.missed}; candidates outside the labels {score.extra}",
        "  kind        precision  recall",
    ]
    for kind in Kind:
        lines.append(
            f"  {kind.value:<11} {_percent(score.precision(kind))}     "
            f"{_percent(score.recall(kind))}"
        )
    if details:
        lines += [f"    - {miss}" for miss in score.misses]
    return lines


def report(data_dir: Path = curation.DATA_DIR, *, details: bool = False) -> str:
    bundle = curation.load(data_dir)
    aliases = aliases_of(bundle)
    seed = evaluate(seed_documents(bundle), aliases)
    folder = TEST_DOCUMENTS
    tests = evaluate(test_documents(folder), aliases) if (folder / "labels.toml").exists() else []
    lines = ["Draft quality: drafted candidates against curated and hand labels", ""]
    for one in seed:
        lines += [*render(one, details=details), ""]
    for one in tests:
        lines += [*render(one, details=details), ""]
    if tests:
        lines += render(overall(tests))
    else:
        lines.append("(the hand-labelled test documents are not here: tests/data/drafting/)")
    return "\n".join(lines)
