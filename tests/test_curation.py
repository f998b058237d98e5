"""The curated data in data/: it checks clean, says what the README says, and every
kind of tampering is caught with a message naming the item and the fault."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot import curation
from bot.build import build, load_checked
from bot.errors import DataError
from bot.models import Kind, MeetingStatus, Precision
from bot.store import Store

# The team's read-only copy of the article, beside the repository (as it is in CI).
SHARED_SOURCE = (
    Path(__file__).resolve().parents[2] / "shared" / "sources" / "kim-putin-vladivostok-2019.txt"
)
BRIEFING = Path("briefing") / "kim-putin-vladivostok-2019.toml"
FURNITURE = ("Pin It on Pinterest", "Share This")


@pytest.fixture(scope="module")
def bundle() -> curation.Bundle:
    return curation.load()


def _edit(data_dir: Path, relative: Path | str, old: str, new: str) -> None:
    """Replace exactly one occurrence of `old` in a data file (fails if not there once)."""
    path = data_dir / relative
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {relative}"
    path.write_text(text.replace(old, new), encoding="utf-8")


def _problems(data_dir: Path) -> list[str]:
    return curation.check(curation.load(data_dir))


# --- the real data -----------------------------------------------------------------------


def test_real_data_has_no_problems(bundle: curation.Bundle) -> None:
    assert curation.check(bundle) == []


def test_fact_count_and_kinds(bundle: curation.Bundle) -> None:
    assert 15 <= len(bundle.facts) <= 25
    assert {fact.kind for fact in bundle.facts} == {kind.value for kind in Kind}
    assert len({fact.key for fact in bundle.facts}) == len(bundle.facts)


def test_attributed_and_quote_facts_say_whose_view(bundle: curation.Bundle) -> None:
    needing = [f for f in bundle.facts if f.kind in {Kind.ATTRIBUTED, Kind.QUOTE}]
    assert needing
    for fact in needing:
        assert fact.attributed_to and fact.attributed_to.strip(), fact.key


def test_state_department_statement_is_a_quote_fact(bundle: curation.Bundle) -> None:
    facts = {fact.key: fact for fact in bundle.facts}
    statement = facts["state-dept-statement"]
    assert statement.kind == Kind.QUOTE
    assert statement.attributed_to == "U.S. State Department"
    assert statement.citations[0].quote.startswith("\u201cThe United States is committed")


def test_every_citation_is_verbatim_at_its_offsets(bundle: curation.Bundle) -> None:
    text = bundle.sources[0].text
    citations = [c for item in (*bundle.facts, *bundle.meetings) for c in item.citations]
    assert citations
    for citation in citations:
        assert citation.at is not None
        start, end = citation.at
        assert text[start:end] == citation.quote


def test_two_meetings_with_resolved_dates(bundle: curation.Bundle) -> None:
    meetings = {meeting.key: meeting for meeting in bundle.meetings}
    assert set(meetings) == {"hanoi-summit-2019", "vladivostok-summit-2019"}
    sources = {source.key: source for source in bundle.sources}

    hanoi = meetings["hanoi-summit-2019"]
    assert hanoi.status == MeetingStatus.HELD
    assert set(hanoi.participants) == {"donald-trump", "kim-jong-un"}
    hanoi_when = curation.resolve_when(hanoi, sources)
    assert hanoi_when.tz == "Asia/Ho_Chi_Minh"
    assert hanoi_when.precision is Precision.DAY
    # Local midnight in Hanoi (UTC+7) on the 27th and on the 28th.
    assert hanoi_when.start == datetime(2019, 2, 26, 17, 0, tzinfo=UTC)
    assert hanoi_when.end == datetime(2019, 2, 27, 17, 0, tzinfo=UTC)

    vladivostok = meetings["vladivostok-summit-2019"]
    assert vladivostok.status == MeetingStatus.HELD
    assert set(vladivostok.participants) == {"vladimir-putin", "kim-jong-un"}
    when = curation.resolve_when(vladivostok, sources)
    assert when.tz == "Asia/Vladivostok"
    assert when.precision is Precision.DAY
    assert when.end is None
    # 25 April 2019 00:00 in Vladivostok (UTC+10).
    assert when.start == datetime(2019, 4, 24, 14, 0, tzinfo=UTC)
    assert when.start.astimezone(ZoneInfo("Asia/Vladivostok")).date() == date(2019, 4, 25)
    # Said in plain words: what the article says and what public record adds, not a
    # derivation from a publication date that was itself chosen from the summit's.
    assert "this Thursday" in when.resolution
    assert "public record" in when.resolution
    assert "Thursday 25 April 2019" in when.resolution
    assert "relativedelta" not in when.resolution and "2019-04-22" not in when.resolution


def test_no_fact_quotes_page_furniture(bundle: curation.Bundle) -> None:
    text = bundle.sources[0].text
    furniture_starts = text.index(FURNITURE[0])
    assert text.rstrip().endswith(FURNITURE[1])
    for item in (*bundle.facts, *bundle.meetings):
        for citation in item.citations:
            for words in FURNITURE:
                assert words not in citation.quote, item.key
            assert citation.at is not None
            assert citation.at[1] <= furniture_starts, item.key


def test_source_text_is_the_file_we_received(bundle: curation.Bundle) -> None:
    if not SHARED_SOURCE.exists():
        pytest.skip(f"{SHARED_SOURCE} is not on this machine")
    ours = curation.DATA_DIR / "sources" / "kim-putin-vladivostok-2019.txt"
    assert ours.read_bytes() == SHARED_SOURCE.read_bytes()
    assert bundle.sources[0].text == SHARED_SOURCE.read_text(encoding="utf-8")


def test_source_metadata_invents_nothing(bundle: curation.Bundle) -> None:
    assert len(bundle.sources) == 1
    source = bundle.sources[0]
    assert source.key == "kim-putin-vladivostok-2019"
    assert source.publisher is None
    assert source.url is None
    assert source.author is None
    assert source.title_is_ours is True
    assert source.title.strip()
    published = curation.published_of(source)
    assert published is not None
    assert published.precision is Precision.WEEK
    assert "25 April 2019" in published.note


def test_canonical_names_are_not_the_articles_misspellings(bundle: curation.Bundle) -> None:
    entities = {entity.key: entity for entity in bundle.entities}
    kim = entities["kim-jong-un"]
    assert kim.name == "Kim Jong Un"
    assert {"Kim Jung Un", "김정은", "Kim Jong-un"} <= set(kim.aliases)
    # The article's bare "Un" is not an alias: ignoring case it is the U.N.'s "UN".
    assert "Un" not in kim.aliases


# --- tampering ---------------------------------------------------------------------------


def test_changed_word_in_a_quote_is_not_found(data_copy: Path) -> None:
    _edit(
        data_copy,
        BRIEFING,
        'quote = "Analysts speculate this is a strategic move',
        'quote = "Analysts speculate this is a clever move',
    )
    problems = _problems(data_copy)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.startswith("fact 'analysts-global-force': ")
    assert "not found verbatim" in problem
    assert "kim-putin-vladivostok-2019" in problem
    # The hint shows the real wording.
    assert "closest passage" in problem
    assert "strategic move" in problem


def test_wrong_offsets_are_reported_with_the_right_ones(data_copy: Path) -> None:
    _edit(data_copy, BRIEFING, "at = [291, 418]", "at = [292, 419]")
    problems = _problems(data_copy)
    assert len(problems) == 1
    problem = problems[0]
    assert problem.startswith("fact 'analysts-global-force': ")
    assert "offsets [292, 419] do not point at the quote" in problem
    assert "found at [291, 418]" in problem


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ('date = "2019-02-27"', 'date = "2019-02-30"'),
        ('date = "2019-04-25"', 'date = "2019-04-32"'),
        ('tz = "Asia/Vladivostok"', 'tz = "Asia/Vladivostock"'),
    ],
)
def test_bad_meeting_date_is_reported(data_copy: Path, old: str, new: str) -> None:
    _edit(data_copy, BRIEFING, old, new)
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert problems[0].startswith("meeting '")
    assert "unparseable date" in problems[0]


def test_alias_on_two_entities_is_reported(data_copy: Path) -> None:
    _edit(data_copy, "entities.toml", '"Kim",', '"Kim", "Putin",')
    problems = _problems(data_copy)
    assert problems == [
        "entity 'vladimir-putin': alias 'Putin' collides, ignoring case and dots, "
        "with 'Putin' of entity 'kim-jong-un'"
    ]


def test_alias_clash_ignores_case_and_accents(data_copy: Path) -> None:
    _edit(data_copy, "entities.toml", '"Kim",', '"Kim", "HÀ NỘI",')
    # Both of Hanoi's spellings fold to "ha noi", which Kim now holds.
    assert _problems(data_copy) == [
        "entity 'hanoi': alias 'Ha Noi' collides, ignoring case and dots, "
        "with 'HÀ NỘI' of entity 'kim-jong-un'",
        "entity 'hanoi': alias 'Hà Nội' collides, ignoring case and dots, "
        "with 'HÀ NỘI' of entity 'kim-jong-un'",
    ]


def test_unknown_entity_is_reported(data_copy: Path) -> None:
    _edit(
        data_copy,
        BRIEFING,
        'key = "analysts-global-force"\nsubject = "kim-jong-un"',
        'key = "analysts-global-force"\nsubject = "kim-jong-il"',
    )
    problems = _problems(data_copy)
    assert problems == ["fact 'analysts-global-force': unknown entity 'kim-jong-il'"]


def test_fact_without_citation_is_reported(data_copy: Path) -> None:
    path = data_copy / BRIEFING
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    kept = [line for line in lines if "at = [291, 418]" not in line]
    assert len(kept) == len(lines) - 1
    path.write_text("".join(kept), encoding="utf-8")
    problems = _problems(data_copy)
    assert len(problems) == 1
    assert problems[0].startswith("fact 'analysts-global-force': no citation")


def test_quote_fact_without_attribution_is_reported(data_copy: Path) -> None:
    _edit(data_copy, BRIEFING, 'attributed_to = "U.S. State Department"\n', "")
    problems = _problems(data_copy)
    assert problems == ["fact 'state-dept-statement': a quote needs attributed_to"]


def test_every_problem_is_listed_not_just_the_first(data_copy: Path) -> None:
    _edit(data_copy, BRIEFING, "at = [291, 418]", "at = [292, 419]")
    _edit(data_copy, BRIEFING, 'date = "2019-02-27"', 'date = "2019-02-30"')
    _edit(data_copy, "entities.toml", '"Kim",', '"Kim", "Putin",')
    problems = _problems(data_copy)
    assert len(problems) == 3
    with pytest.raises(DataError) as caught:
        load_checked(data_copy)
    assert caught.value.problems == problems


async def _snapshot(store: Store) -> tuple:
    async with store.transaction() as conn:
        tables = {}
        for table in ("facts", "citations", "aliases", "meetings", "sources", "meta"):
            async with conn.execute(f"SELECT * FROM {table} ORDER BY 1") as cursor:
                tables[table] = [tuple(row) for row in await cursor.fetchall()]
    return tuple(sorted(tables.items()))


async def test_build_refuses_bad_data_and_leaves_the_store_alone(
    store: Store, data_copy: Path
) -> None:
    before = await _snapshot(store)
    assert before
    # One good edit that would be written, and one bad one that must stop everything.
    _edit(
        data_copy,
        BRIEFING,
        'statement = "The North Korean leader was making a play to gain Russian support and '
        'influence."',
        'statement = "The North Korean leader seeks Russian support."',
    )
    _edit(data_copy, BRIEFING, "at = [291, 418]", "at = [292, 419]")
    with pytest.raises(DataError) as caught:
        await build(store, data_copy)
    assert len(caught.value.problems) == 1
    assert "analysts-global-force" in caught.value.problems[0]
    assert await _snapshot(store) == before
    facts = await store.search("Russian support", None)
    assert all("seeks Russian support" not in fact.statement for fact in facts)
