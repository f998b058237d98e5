"""Every line earns its citation (issue 10): the `check` lint's rules, each on the bad
case the editorial audit found, and a careful editor's reading of every answer."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from bot import briefing, curation
from bot.answers import Answer, Label, Line, Section
from bot.config import Config
from bot.errors import BadInput
from bot.models import Kind, Precision, Provenance, Published, Source
from bot.render import embeds, text
from bot.store import Store
from tests.conftest import FIXED_NOW, asking

BRIEFING = Path("briefing") / "kim-putin-vladivostok-2019.toml"
ROOT = Path(__file__).resolve().parent.parent
FRESHNESS = "Newest source: April 2019, over 7 years old — this briefing may be out of date"


def _edit(data_dir: Path, relative: Path | str, old: str, new: str) -> None:
    path = data_dir / relative
    content = path.read_text(encoding="utf-8")
    assert content.count(old) == 1, f"{old!r} occurs {content.count(old)} times in {relative}"
    path.write_text(content.replace(old, new), encoding="utf-8")


def _problems(data_dir: Path) -> list[str]:
    return curation.check(curation.load(data_dir))


# --- the lint: one test per rule, on the cases the audit found --------------------------------


def test_the_lint_passes_on_the_real_data() -> None:
    assert curation.check(curation.load()) == []


def test_reported_fact_inside_someone_elses_quotation_fails(data_copy: Path) -> None:
    # Fact 13 as it was: cut from inside the State Department's quotation, as reported.
    _edit(
        data_copy,
        BRIEFING,
        "# carries as the State Department's own words. Kept (retracted) so numbers stay.\n"
        "retracted = true\n",
        "",
    )
    inside = [p for p in _problems(data_copy) if "inside" in p]
    assert len(inside) == 1
    assert inside[0].startswith("fact 'un-sanctions': a reported fact cites words inside")
    assert "someone else's quotation" in inside[0]


def test_reported_fact_inside_an_opinion_facts_span_fails(data_copy: Path) -> None:
    # Fact 8 as it was: cut from inside the author's "no doubt…" clause (fact 3).
    _edit(
        data_copy,
        BRIEFING,
        "# the author's opinion, not reporting. Kept (retracted) so fact numbers stay as they "
        "were.\nretracted = true\n",
        "",
    )
    assert [p for p in _problems(data_copy) if "inside" in p] == [
        "fact 'sanctions-felt': a reported fact cites words inside an opinion fact's passage "
        "('the effects of economic sanctions felt by his [Kim Jung Un’s'); the same words "
        "cannot be both"
    ]


def test_a_quote_fact_may_cite_inside_a_quotation(data_copy: Path) -> None:
    # The same words as fact 13, as the State Department's own: not a problem.
    _edit(
        data_copy,
        BRIEFING,
        'kind = "reported"\n'
        "# Withdrawn: these words are inside the State Department's quotation, which fact 12\n"
        "# carries as the State Department's own words. Kept (retracted) so numbers stay.\n"
        "retracted = true\n",
        'kind = "quote"\nattributed_to = "U.S. State Department"\n',
    )
    assert [p for p in _problems(data_copy) if "inside" in p] == []


def test_a_date_in_a_statement_that_no_citation_contains_fails(data_copy: Path) -> None:
    # Fact 5 as it was: "Thursday 25 April 2019" where the article says "this Thursday".
    _edit(
        data_copy,
        BRIEFING,
        "were set to meet “this Thursday” in the Russian port city of Vladivostok.",
        "were set to meet on Thursday 25 April 2019 in Vladivostok.",
    )
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert problems[0].startswith("fact 'vladivostok-meeting-set': the statement has '25', '2019'")
    assert "'April'" in problems[0]


def test_a_public_record_label_covers_what_the_citation_does_not_say(data_copy: Path) -> None:
    _edit(
        data_copy,
        BRIEFING,
        'were set to meet “this Thursday” in the Russian port city of Vladivostok."',
        'were set to meet on Thursday 25 April 2019 in Vladivostok."\n'
        'public_record = { note = "The summit was held on Thursday 25 April 2019" }',
    )
    assert _problems(data_copy) == []


@pytest.mark.parametrize(
    ("old", "new", "fact", "names"),
    [
        # Fact 11: the article says "diplomats", not "U.S. diplomats".
        (
            '"Diplomats were already in Russia',
            '"U.S. diplomats were already in Russia',
            "diplomats-in-russia",
            "'U.S.'",
        ),
        # Fact 15: the analogy names nobody.
        (
            '"The author likened it to a child',
            '"The author likened Kim to a child',
            "child-parent-analogy",
            "'Kim'",
        ),
        # Fact 12 without its attribution words: "State Department" is not in the quote.
        (
            '    { quote = "U.S. State Department", at = [1210, 1231] },\n',
            "",
            "state-dept-statement",
            "'State', 'Department'",
        ),
        # A number the passage does not give.
        (
            "Many officials believed the meeting",
            "Many officials, 12 of them, believed the meeting",
            "officials-ploy",
            "'12'",
        ),
    ],
)
def test_a_proper_name_or_number_no_citation_contains_fails(
    data_copy: Path, old: str, new: str, fact: str, names: str
) -> None:
    _edit(data_copy, BRIEFING, old, new)
    problems = _problems(data_copy)
    assert len(problems) == 1, problems
    assert problems[0].startswith(f"fact '{fact}': the statement has {names}, which no citation")


def test_a_name_cited_in_another_spelling_is_stated(data_copy: Path) -> None:
    # "Kim Jong Un" in the statement, "Kim Jung Un" in the passage: the same entity.
    curated = {fact.key: fact for fact in curation.load(data_copy).facts}
    fact = curated["hanoi-summit-held"]
    assert "Kim Jong Un" in fact.statement and "Kim Jong Un" not in fact.citations[0].quote
    assert _problems(data_copy) == []


def test_an_inferred_label_covers_a_name_the_passage_writes_otherwise(data_copy: Path) -> None:
    _edit(
        data_copy,
        BRIEFING,
        'to pit against the U.S."\ninferred = "the article writes “Un” for Kim Jong Un"\n',
        'to pit against the U.S."\n',
    )
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert "'Kim', 'Jong'" in problems[0]


def test_a_role_with_neither_citation_nor_label_fails(data_copy: Path) -> None:
    _edit(
        data_copy,
        "entities.toml",
        'role_citations = [{ source = "kim-putin-vladivostok-2019", quote = "the North Korean '
        'leader", at = [75, 98] }]\n',
        "",
    )
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert problems[0].startswith("entity 'kim-jong-un' role: no citation and no label")


def test_a_role_citation_must_be_verbatim(data_copy: Path) -> None:
    _edit(data_copy, "entities.toml", 'quote = "the North Korean leader"', 'quote = "the leader"')
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert problems[0].startswith("entity 'kim-jong-un' role: quote not found verbatim")


@pytest.mark.parametrize(
    ("old", "where"),
    [
        (
            'date_public_record = { note = "The Trump–Kim summit in Hanoi was held on 27–28 '
            'February 2019" }\n',
            "meeting 'hanoi-summit-2019' date",
        ),
        (
            'status_public_record = { note = "The article reports the meeting as upcoming; it '
            'took place on 25 April 2019" }\n',
            "meeting 'vladivostok-summit-2019' status",
        ),
    ],
)
def test_a_meeting_date_or_status_with_neither_citation_nor_label_fails(
    data_copy: Path, old: str, where: str
) -> None:
    _edit(data_copy, BRIEFING, old, "")
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert problems[0].startswith(f"{where}: no citation and no label")


def test_a_source_date_with_neither_citation_nor_label_fails(data_copy: Path) -> None:
    path = data_copy / BRIEFING
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text(
        "".join(line for line in lines if not line.startswith("published_inferred")), "utf-8"
    )
    assert _problems(data_copy) == [
        "source 'kim-putin-vladivostok-2019' date: no citation and no label (cite a passage "
        "that states it, or add public_record = { note = ... } or inferred = ...)"
    ]


def test_aliases_that_collide_ignoring_case_and_dots_fail(data_copy: Path) -> None:
    # The article's "Un" for Kim is "UN" and "U.N." for the United Nations.
    _edit(data_copy, "entities.toml", '"Kim", "김정은",', '"Kim", "Un", "김정은",')
    assert _problems(data_copy) == [
        "entity 'united-nations': alias 'U.N.' collides, ignoring case and dots, "
        "with 'Un' of entity 'kim-jong-un'",
        "entity 'united-nations': alias 'UN' collides, ignoring case and dots, "
        "with 'Un' of entity 'kim-jong-un'",
    ]


def test_check_command_fails_naming_the_fact(data_copy: Path) -> None:
    _edit(data_copy, BRIEFING, '"Diplomats were already', '"U.S. diplomats were already')
    result = subprocess.run(
        [sys.executable, "-m", "bot", "--data", str(data_copy), "check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "fact 'diplomats-in-russia'" in result.stdout + result.stderr


def test_every_sentence_of_the_article_is_covered_once_at_least() -> None:
    bundle = curation.load()
    [source] = bundle.sources
    body = source.text[: source.text.index("Pin It on Pinterest")]
    cited = [
        citation.at
        for fact in bundle.facts
        if not fact.retracted
        for citation in fact.citations
        if citation.at
    ]
    for match in re.finditer(r"[^.?!\s][^.?!]*(?:[.?!](?=\s)|$)", body):
        start, end = match.span()
        sentence = match.group().strip()
        if len(sentence) < 12 or sentence.endswith(("U.", "N.", "S.")):
            continue  # abbreviations split by the pattern, not sentences
        assert any(a < end and start < b for a, b in cited), f"not covered: {sentence!r}"


# --- anchoring in time ------------------------------------------------------------------------


def _source(published: Published | None) -> Source:
    return Source(1, "s", "A source", False, published)


def _answer(published: Published | None) -> Answer:
    answer = Answer(title="t", sources=[_source(published)])
    answer.sections = [Section("s", [Line("Something was said.", source_ids=(1,))])]
    return answer


APRIL_2019 = Published(date(2019, 4, 22), Precision.WEEK)


def test_old_lines_say_the_time_they_speak_for() -> None:
    answer = briefing.anchor(_answer(APRIL_2019), FIXED_NOW)
    assert answer.sections[0].lines[0].as_of == "April 2019"
    assert answer.freshness == FRESHNESS


def test_anchoring_uses_the_given_now_not_the_wall_clock() -> None:
    # A week after the article was written, nothing is old yet.
    answer = briefing.anchor(_answer(APRIL_2019), datetime(2019, 5, 1, tzinfo=UTC))
    assert answer.sections[0].lines[0].as_of == ""
    assert answer.freshness == ""


def test_the_freshness_threshold_is_configurable() -> None:
    fresh = Published(date(2026, 10, 1), Precision.DAY)
    assert briefing.anchor(_answer(fresh), FIXED_NOW).freshness == (
        "Newest source: October 2026, 57 days old — this briefing may be out of date"
    )
    later = briefing.anchor(_answer(fresh), FIXED_NOW, timedelta(days=90))
    assert later.freshness == ""
    # Still dated: older than a few weeks.
    assert later.sections[0].lines[0].as_of == "October 2026"


def test_newest_source_decides_freshness() -> None:
    answer = _answer(APRIL_2019)
    recent = Source(2, "r", "Recent", False, Published(date(2026, 11, 20), Precision.DAY))
    answer.sources.append(recent)
    answer.sections[0].lines.append(Line("Recent news.", source_ids=(2,)))
    briefing.anchor(answer, FIXED_NOW)
    assert answer.freshness == ""
    assert [line.as_of for line in answer.sections[0].lines] == ["April 2019", ""]


@pytest.mark.parametrize(
    ("days", "said"),
    [(2770, "over 7 years"), (365, "over 1 year"), (120, "over 4 months"), (45, "45 days")],
)
def test_age_is_never_overstated(days: int, said: str) -> None:
    assert briefing.age_text(days) == said


def test_config_reads_the_stale_age() -> None:
    assert Config.from_env({}, Path("/nonexistent")).stale_after == timedelta(days=30)
    env = {"BRIEFING_STALE_AFTER_DAYS": "90"}
    assert Config.from_env(env, Path("/nonexistent")).stale_after_days == 90
    with pytest.raises(BadInput, match="BRIEFING_STALE_AFTER_DAYS"):
        Config.from_env({"BRIEFING_STALE_AFTER_DAYS": "soon"}, Path("/nonexistent"))


# --- rendering the labels compactly -----------------------------------------------------------


def _labelled() -> Answer:
    public = Provenance(public_record="Held on 25 April 2019", url="https://example.org/x")
    inferred = Provenance(inferred="the article says “this Thursday”")
    answer = Answer(title="t", sources=[_source(APRIL_2019)])
    answer.sections = [
        Section(
            "s",
            [
                Line("A fact.", kind=Kind.REPORTED, markers=["1"], source_ids=(1,)),
                Line("a role", lead="X", labels=[Label(public)]),
                Line("A meeting.", labels=[Label(public, "date")], detail=True),
                Line("A date.", labels=[Label(inferred)]),
            ],
        )
    ]
    return briefing.anchor(answer, FIXED_NOW)


def test_embeds_show_labels_time_and_freshness() -> None:
    answer = _labelled()
    lines = [embeds.line_markdown(line) for line in answer.sections[0].lines]
    assert lines == [
        "• 📰 A fact. [1] · as of April 2019",
        "• **X**: a role · *Public record*",
        "• A meeting. · date: *Public record* (Held on 25 April 2019; https://example.org/x)",
        "• A date. · *Inferred:* the article says “this Thursday”",
    ]
    # Rendered in an answer whose cited lines all share one date, the date is said
    # once, under the freshness line, and no line repeats it (issue 14; it used to be
    # "· as of April 2019" on every line).
    [page] = embeds.render_pages(answer)
    assert page.embed.description == (
        f"*{FRESHNESS}.*\nCited lines are as of **April 2019**.\n-# 📰 reported"
    )
    assert page.embed.fields[0].value.splitlines()[0] == "• 📰 A fact. [1]"


def test_console_text_shows_labels_time_and_freshness() -> None:
    answer = _labelled()
    lines = [text.line_text(line) for line in answer.sections[0].lines]
    assert lines == [
        "[reported] A fact. [1] · as of April 2019",
        "X: a role · Public record",
        "A meeting. · date: Public record (Held on 25 April 2019; https://example.org/x)",
        "A date. · Inferred: the article says “this Thursday”",
    ]
    assert text.render(answer).splitlines()[2:4] == [
        f"{FRESHNESS}.",
        "Cited lines are as of April 2019.",
    ]
    assert "  - [reported] A fact. [1]" in text.render(answer).splitlines()


def test_later_pages_carry_the_freshness_line_in_their_footer() -> None:
    answer = _labelled()
    answer.sections = [Section(f"s{n}", [Line("x " * 400, markers=["1"])]) for n in range(12)]
    pages = embeds.render_pages(answer)
    assert len(pages) > 1
    assert pages[0].embed.description.startswith(f"*{FRESHNESS}.*")
    for page in pages[1:]:
        assert page.embed.footer.text.startswith(FRESHNESS)


# --- "as of" once where the lines share a date, per line where they differ ------------------

OCTOBER_2026 = Published(date(2026, 10, 1), Precision.DAY)
NOVEMBER_2026 = Published(date(2026, 11, 20), Precision.DAY)


def _dated(*sections: list[int]) -> Answer:
    """An answer with one section per list, each line citing the source it names: S1
    (April 2019), S2 (October 2026), S3 (a week old: current)."""
    sources = [
        Source(1, "a", "A", False, APRIL_2019),
        Source(2, "b", "B", False, OCTOBER_2026),
        Source(3, "c", "C", False, NOVEMBER_2026),
    ]
    answer = Answer(title="t", sources=sources)
    marker = iter(range(1, 100))
    answer.sections = [
        Section(
            f"part {n}",
            [
                Line(
                    f"From S{i}.", kind=Kind.REPORTED, markers=[str(next(marker))], source_ids=(i,)
                )
                for i in ids
            ],
        )
        for n, ids in enumerate(sections, start=1)
    ]
    return briefing.anchor(answer, FIXED_NOW)


def _shown(answer: Answer) -> list[str]:
    [page] = embeds.render_pages(answer)
    return [f"## {f.name}\n{f.value}" for f in page.embed.fields]


def test_as_of_is_said_once_when_every_line_shares_the_date() -> None:
    answer = _dated([1, 1], [1])
    [page] = embeds.render_pages(answer)
    assert "Cited lines are as of **April 2019**." in (page.embed.description or "")
    assert "as of" not in "\n".join(_shown(answer))
    # Lines citing nothing (a public-record role) do not stop it being said once.
    answer.sections[1].lines.append(Line("A role.", labels=[Label(Provenance(public_record="x"))]))
    assert "Cited lines are as of" in (embeds.render_pages(answer)[0].embed.description or "")


def test_as_of_is_said_per_section_when_sections_differ() -> None:
    answer = _dated([1, 1], [2])
    [page] = embeds.render_pages(answer)
    assert "Cited lines are as of" not in (page.embed.description or "")
    assert _shown(answer) == [
        "## part 1 · as of April 2019\n• 📰 From S1. [1]\n• 📰 From S1. [2]",
        "## part 2 · as of October 2026\n• 📰 From S2. [3]",
    ]
    console = text.render(answer).splitlines()
    assert "part 1 (as of April 2019):" in console and "  - [reported] From S1. [1]" in console


def test_as_of_is_said_per_line_where_one_section_mixes_dates() -> None:
    # A current line beside old ones: only the old ones say when they spoke for.
    answer = _dated([1, 3, 2])
    assert _shown(answer) == [
        "## part 1\n• 📰 From S1. [1] · as of April 2019\n• 📰 From S3. [2]"
        "\n• 📰 From S2. [3] · as of October 2026"
    ]
    console = text.render(answer).splitlines()
    assert "  - [reported] From S1. [1] · as of April 2019" in console
    assert "  - [reported] From S3. [2]" in console


def test_later_pages_say_the_answers_one_as_of_in_their_footer() -> None:
    answer = _dated(*[[1] * 6 for _ in range(12)])
    for section in answer.sections:
        for line in section.lines:
            line.text = "x " * 80
    pages = embeds.render_pages(answer)
    assert len(pages) > 1
    assert "Cited lines are as of **April 2019**." in (pages[0].embed.description or "")
    for page in pages[1:]:
        assert "Cited lines are as of April 2019" in (page.embed.footer.text or "")
        assert all("as of" not in f.value for f in page.embed.fields)


# --- a careful editor reads every answer ------------------------------------------------------

# What the audit found shown as if current, or said without support.
OFFENDERS = [
    r"\bis seeking\b",
    r"\bwill watch\b",
    r"\bwill keep a watchful\b",
    r"\bwill work with\b",
    r"\bare set to meet\b",
    r"\bpressed to bring\b",
    r"Leader of North Korea",
    r"watching the Putin–Kim meeting",
    r"main existing ally",
    r"Source of the U\.N\. sanctions",
    r"Many \(U\.S\.\) officials",
    r"U\.S\. diplomats",
    r"relativedelta",
    r"dateutil",
    r"from 2019-04-22",
]


async def _every_answer(store: Store) -> list[tuple[str, Answer]]:
    answers = [
        ("who", await briefing.who(store, asking(None, FIXED_NOW), None)),
        ("sanctions", await briefing.sanctions(store, asking(None))),
        ("timeline", await briefing.timeline(store, asking(None, FIXED_NOW))),
        ("next-meeting", await briefing.next_meeting(store, asking(None, FIXED_NOW))),
        ("sources", await briefing.sources(store, asking(None))),
        ("source 1", await briefing.source(store, asking(None), 1)),
    ]
    for entity in await store.entities():
        answers.append(
            (f"who {entity.name}", await briefing.who(store, asking(None, FIXED_NOW), entity.name))
        )
    for meeting in await store.meetings(None):
        answers.append(
            (
                f"meeting {meeting.id}",
                await briefing.meeting(store, asking(None, FIXED_NOW), meeting.id),
            )
        )
    for fact in await store.facts_in_scope(None):
        if not fact.retracted:
            answers.append((f"fact {fact.id}", await briefing.fact(store, asking(None), fact.id)))
    later = datetime.now(UTC) + timedelta(days=1)  # nothing changed since: standing summary
    answers.append(("digest", await briefing.digest(store, asking(1, FIXED_NOW), later)))
    answers.append(
        (
            "digest (changes)",
            await briefing.digest(store, asking(1, FIXED_NOW), datetime.min.replace(tzinfo=UTC)),
        )
    )
    return [(name, briefing.anchor(answer, FIXED_NOW)) for name, answer in answers]


def _is_meta(name: str, line: Line) -> bool:
    """Lines about the briefing itself, not claims: a fact's topics, a source's text."""
    return line.text.startswith("Topics: ") or (name == "source 1" and not line.labels)


async def test_every_line_is_cited_or_labelled(store: Store) -> None:
    for name, answer in await _every_answer(store):
        for section in answer.sections:
            for line in section.lines:
                if _is_meta(name, line):
                    continue
                assert line.markers or line.labels, f"{name}: unlabelled line {line.text!r}"
                if line.when is not None and line.text:
                    # A date is stated by a cited passage (its day is in it) or labelled.
                    quotes = " ".join(answer.refs[int(m) - 1].quote for m in line.markers)
                    day = str(line.when.start.astimezone(UTC).day)
                    dated = any(label.what == "date" for label in line.labels)
                    assert dated or re.search(rf"\b{day}\b", quotes), f"{name}: {line.text!r}"


async def test_role_lines_cite_only_what_states_the_role(store: Store) -> None:
    entities = {entity.name: entity for entity in await store.entities()}
    for name, answer in await _every_answer(store):
        for section in answer.sections:
            for line in section.lines:
                role = re.match(r"\*\*(.+?)\*\*: ", line.text)
                if role is None or role.group(1) not in entities:
                    continue
                entity = entities[role.group(1)]
                stated = {c.quote for c in entity.role_provenance.citations}
                quotes = {answer.refs[int(m) - 1].quote for m in line.markers}
                assert quotes == stated, f"{name}: {line.text!r} cites {quotes}"
                assert line.markers or line.labels, f"{name}: {line.text!r}"
                for quote in stated:
                    # The passage states the role in the role's own words.
                    words = {w for w in re.findall(r"\w+", entity.role.lower()) if len(w) > 3}
                    assert words & set(re.findall(r"\w+", quote.lower())), (name, quote)


async def test_every_answer_has_the_freshness_line_in_2026(store: Store) -> None:
    for name, answer in await _every_answer(store):
        assert answer.freshness == FRESHNESS, name
        assert FRESHNESS in text.render(answer), name
        assert f"*{FRESHNESS}.*" in (embeds.render_pages(answer)[0].embed.description or "")


async def test_no_2019_statement_reads_as_current(store: Store) -> None:
    for name, answer in await _every_answer(store):
        # A source's opening is the article itself, verbatim.
        sections = [s for s in answer.sections if s.heading != "Opening"]
        shown = text.render(Answer(answer.title, answer.intro, sections, answer.refs))
        shown = shown[: shown.find("\nCitations:")] if "\nCitations:" in shown else shown
        prose = re.sub(r"“[^”]*”", "“…”", shown)  # quotes stay verbatim, in their tense
        for pattern in OFFENDERS:
            assert not re.search(pattern, prose), f"{name}: {pattern!r} in {prose!r}"
        for section in answer.sections:
            for line in section.lines:
                if line.source_ids:
                    assert line.as_of == "April 2019", f"{name}: {line.text!r}"


async def test_every_fact_statement_is_in_the_past_tense(store: Store) -> None:
    present = re.compile(r"\b(is|are|will|says|believe|argue|holds|seeks)\b")
    for fact in await store.facts_in_scope(None):
        statement = re.sub(r"“[^”]*”", "", fact.statement)
        if fact.key == "child-parent-analogy":
            # The author's analogy is told as the analogy goes.
            statement = statement.split(":")[0]
        assert not present.search(statement), f"fact {fact.id}: {fact.statement!r}"


async def test_dates_shown_say_where_they_come_from(store: Store) -> None:
    answers = dict(await _every_answer(store))
    hanoi, vladivostok = (await store.meetings(None))[:2]
    assert hanoi.date_provenance.public_record
    assert vladivostok.date_provenance.public_record
    assert vladivostok.status_provenance.public_record
    meeting = text.render(answers[f"meeting {vladivostok.id}"])
    flat = " ".join(meeting.split())
    assert "How the date is known: The article says they were “set to meet this Thursday”" in flat
    assert "public record gives the day, Thursday 25 April 2019" in flat
    assert "date: Public record (The Putin–Kim summit in Vladivostok was held on Thursday" in flat
    sources = " ".join(text.render(answers["sources"]).split())
    assert (
        "date: Inferred: The article says Putin and Kim “are set to meet this Thursday”" in sources
    )
