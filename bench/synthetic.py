"""A synthetic fact store at scale: entities with aliases, sources, facts with topics,
citations and involved entities, and meetings, with realistic wording.

Generation is deterministic (seeded). Rows are written through the Store's own
`transaction()` with `executemany` and parameterised SQL; the full-text indexes are then
filled with `bot.store.index` (see `fill_fts`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from bot.store import Store, index
from bot.text import fold

SEED = 20190425


def _split(text: str, separator: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(separator))


KOREAN_FAMILY = _split(
    "Kim Lee Park Choi Jung Kang Cho Yoon Jang Lim Han Oh Seo Shin Kwon Hwang Ahn Song "
    "Jeon Hong Yoo Ko Moon Yang Son Bae Baek Heo Nam Ri Ryu Pak Ju"
)
SYLLABLES = _split(
    "jong un yo song chol min ho jae in suk yeol hyun woo young soo hee kyung sung il "
    "nam chul myung kwang tae dong hoon jin ha eun ji seok gil pyong ryong man bok"
)
WESTERN_FIRST = _split(
    "Sergei Vladimir Dmitry Alexander Mikhail Nikolai Igor Yuri Andrei Pavel John Mike "
    "Stephen Robert Susan Mary Wendy Antony Jake Linda Kurt David Elena Anna Olga Natalia "
    "Hiroshi Taro Shinzo Fumio Yoshihide Wang Li Xi Zhang Liu Chen Zhao"
)
WESTERN_LAST = _split(
    "Lavrov Shoigu Ivanov Peskov Morgulov Kozlov Volkov Sokolov Popov Lebedev Pompeo Biegun "
    "Bolton Sherman Blinken Sullivan Campbell Yi Abe Kishida Suga Kono Motegi Wang Yang Liu "
    "Kong Zhao Hua Geng Wu Sun Hu Ma Gao Lin He Guo Luo"
)
ORG_PLACES = _split(
    "Pyongyang Seoul Moscow Beijing Tokyo Washington Vladivostok Khabarovsk Dandong "
    "Sinuiju Rason Nampo Wonsan Kaesong Hamhung Chongjin Busan Incheon Harbin Shenyang"
)
ORG_NOUNS = _split(
    "Trade Bureau|Foreign Ministry Department|Committee for Peaceful Reunification|"
    "Chamber of Commerce|Institute for Far Eastern Studies|Shipping Company|Rail Authority|"
    "Customs Office|Energy Corporation|Development Bank|Fisheries Cooperative|"
    "Policy Institute|Defence Commission|Red Cross Society|Port Authority|Press Agency|"
    "Mining Corporation|Investment Fund|Centre for Strategic Studies|Working Group",
    "|",
)
PLACE_SUFFIXES = ("-ri", "-dong", " Port", " County", " Station", " Bridge", " Special Zone")
ROLES = _split(
    "Vice Minister of Foreign Affairs|Chief negotiator on the nuclear question|"
    "Director of the trade bureau|Member of the Politburo|Ambassador to Russia|"
    "Special envoy for North Korea|Senior analyst|Spokesperson of the foreign ministry|"
    "Head of the customs service|Deputy director of the investment agency|"
    "Governor of the region|Senior researcher|Commander of the border guard|"
    "Chair of the parliamentary committee|Correspondent in Pyongyang",
    "|",
)

# Topic weights (share of facts carrying the topic). `diplomacy` is deliberately very
# common (more facts than SQLite's 32,766 bound parameters), `sanctions` mid-sized.
TOPICS: dict[str, float] = {
    "diplomacy": 0.36,
    "economy": 0.12,
    "nuclear": 0.08,
    "sanctions": 0.05,
    "summit": 0.04,
    "military": 0.04,
    "trade": 0.04,
    "energy": 0.03,
    "labour": 0.03,
    "humanitarian": 0.03,
    "railways": 0.02,
    "fisheries": 0.02,
    "tourism": 0.02,
    "cyber": 0.02,
    "missiles": 0.02,
    "human-rights": 0.015,
    "food": 0.015,
    "shipping": 0.01,
    "finance": 0.01,
    "border": 0.01,
    "pipelines": 0.008,
    "ports": 0.008,
    "health": 0.006,
    "sports": 0.004,
    "culture": 0.004,
}
THINGS = _split(
    "the gas pipeline project|the rail link to Rason|coal exports|seafood shipments|"
    "the labour quota|oil product deliveries|the joint fishing agreement|the port lease|"
    "food aid|the six-party framework|the moratorium on missile tests|the tourism zone|"
    "textile exports|the electricity grid link|banking channels|the customs regime",
    "|",
)
VERBS = _split(
    "met|held talks with|criticised|praised|called on|wrote to|visited|hosted|"
    "signed an agreement with|warned",
    "|",
)
OUTCOMES = _split(
    "would resume by {year}|had been suspended since {year}|fell by {n} percent in {year}|"
    "grew by {n} percent in {year}|could not proceed under the current sanctions|"
    "was discussed for the first time since {year}|remained the main obstacle|"
    "would be reviewed by a joint committee",
    "|",
)
ANALYSTS = _split(
    "Analysts|Diplomats|Western officials|Critics|Economists|Russian officials|"
    "South Korean officials|Observers|Researchers",
    "|",
)
PUBLISHERS = _split(
    "Reuters|Yonhap|TASS|The Moscow Times|NK News|Korea Herald|Kyodo|Associated Press|"
    "Nikkei Asia|BBC News|Daily NK|38 North",
    "|",
)
HANGUL = _split("김 이 박 최 정 강 조 윤 장 임 한 오 서 신 권 황 안 송 전 홍")
HANGUL_GIVEN = _split("종 은 여 성 철 민 호 재 인 석 현 우 영 수 희 경 일 남 명 광 태 동 훈 진 하")


@dataclass
class Synthetic:
    entities: list[tuple] = field(default_factory=list)
    aliases: list[tuple] = field(default_factory=list)
    sources: list[tuple] = field(default_factory=list)
    facts: list[tuple] = field(default_factory=list)
    topics: list[tuple] = field(default_factory=list)
    fact_entities: list[tuple] = field(default_factory=list)
    citations: list[tuple] = field(default_factory=list)
    meeting_citations: list[tuple] = field(default_factory=list)
    meetings: list[tuple] = field(default_factory=list)
    participants: list[tuple] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # canonical name per entity id - 1
    alias_samples: list[str] = field(default_factory=list)
    topic_counts: dict[str, int] = field(default_factory=dict)
    words: list[str] = field(default_factory=list)
    created_at: str = ""


def _unique_names(rng: random.Random, count: int) -> Iterator[tuple[str, str, list[str]]]:
    """(type, canonical name, other spellings) for `count` distinct entities."""
    seen: set[str] = set()
    while len(seen) < count:
        roll = rng.random()
        if roll < 0.55:
            family = rng.choice(KOREAN_FAMILY)
            first, second = rng.choice(SYLLABLES), rng.choice(SYLLABLES)
            name = f"{family} {first.title()}-{second}"
            spellings = [
                f"{family} {first.title()} {second.title()}",
                f"{family} {first.title()}{second}",
                f"{rng.choice(HANGUL)}{rng.choice(HANGUL_GIVEN)}{rng.choice(HANGUL_GIVEN)}",
            ]
            kind = "person"
        elif roll < 0.75:
            name = f"{rng.choice(WESTERN_FIRST)} {rng.choice(WESTERN_LAST)}"
            first, last = name.split()
            spellings = [f"{first[0]}. {last}", f"{first} {last[:-1]}{last[-1]}"]
            kind = "person"
        elif roll < 0.92:
            name = f"{rng.choice(ORG_PLACES)} {rng.choice(ORG_NOUNS)}"
            words = name.split()
            spellings = ["".join(word[0] for word in words if word[0].isupper())]
            kind = "organisation"
        else:
            name = f"{rng.choice(ORG_PLACES)}{rng.choice(PLACE_SUFFIXES)}"
            spellings = [name.replace("-", " ")]
            kind = "place"
        if name in seen:
            continue
        seen.add(name)
        yield kind, name, spellings


def _paragraph(rng: random.Random, names: list[str]) -> str:
    sentences = []
    for _ in range(rng.randint(4, 8)):
        subject, other = rng.choice(names), rng.choice(names)
        sentences.append(
            f"{subject} {rng.choice(VERBS)} {other} in {rng.choice(ORG_PLACES)}, and said "
            f"{rng.choice(THINGS)} "
            + rng.choice(OUTCOMES).format(year=rng.randint(2006, 2019), n=rng.randint(2, 60))
            + "."
        )
    return " ".join(sentences)


def generate(facts: int = 100_000, entities: int = 10_000, sources: int = 500) -> Synthetic:
    rng = random.Random(SEED)
    out = Synthetic()
    now = datetime(2019, 4, 25, tzinfo=UTC).isoformat()
    out.created_at = now
    folded_seen: set[str] = set()
    for entity_id, (kind, name, spellings) in enumerate(_unique_names(rng, entities), 1):
        role = rng.choice(ROLES) if kind == "person" else f"{kind.title()} in the briefing"
        key = f"e{entity_id}-{fold(name).replace(' ', '-')}"
        out.entities.append((entity_id, key, name, kind, role, ""))
        out.names.append(name)
        for alias in [name, *spellings, key]:
            folded = fold(alias)
            if folded and folded not in folded_seen:
                folded_seen.add(folded)
                out.aliases.append((folded, alias, entity_id))
                if alias != key:
                    out.alias_samples.append(alias)
    for source_id in range(1, sources + 1):
        published = datetime(2019, 4, 25) - timedelta(days=rng.randint(0, 4000))
        text = "\n\n".join(_paragraph(rng, out.names) for _ in range(rng.randint(4, 10)))
        out.sources.append(
            (
                source_id,
                f"s{source_id}",
                None,
                f"{rng.choice(THINGS).capitalize()}: {rng.choice(ORG_PLACES)} report",
                0,
                f"https://example.org/news/{source_id}",
                rng.choice(PUBLISHERS),
                None,
                published.date().isoformat(),
                "day",
                "",
                text,
                "curated",
                now,
            )
        )
    topic_names, weights = list(TOPICS), list(TOPICS.values())
    kinds = ("reported", "quote", "attributed", "opinion")
    kind_weights = (0.55, 0.15, 0.2, 0.1)
    for fact_id in range(1, facts + 1):
        subject = rng.randint(1, entities)
        other = rng.randint(1, entities)
        subject_name, other_name = out.names[subject - 1], out.names[other - 1]
        thing = rng.choice(THINGS)
        outcome = rng.choice(OUTCOMES).format(year=rng.randint(2006, 2019), n=rng.randint(2, 60))
        kind = rng.choices(kinds, kind_weights)[0]
        statement = (
            f"{subject_name} {rng.choice(VERBS)} {other_name} in {rng.choice(ORG_PLACES)}; "
            f"{thing} {outcome}."
        )
        attributed = None
        if kind == "quote":
            attributed = subject_name
        elif kind == "attributed":
            attributed = rng.choice(ANALYSTS)
        guild = None if rng.random() < 0.95 else 1000 + rng.randint(1, 20)
        out.facts.append(
            (fact_id, f"f{fact_id}", guild, subject, statement, kind, attributed, "curated")
        )
        chosen = {topic_names[0]} if rng.random() < TOPICS["diplomacy"] else set()
        while len(chosen) < rng.randint(1, 3):
            chosen.add(rng.choices(topic_names[1:], weights[1:])[0])
        for topic in chosen:
            out.topics.append((fact_id, topic))
            out.topic_counts[topic] = out.topic_counts.get(topic, 0) + 1
        involved = {other} - {subject}
        if rng.random() < 0.4:
            involved.add(rng.randint(1, entities))
        for entity_id in involved - {subject}:
            out.fact_entities.append((fact_id, entity_id))
        quote = f"{thing.capitalize()} {outcome}, {rng.choice(['he', 'she', 'officials'])} said."
        start = rng.randint(0, 5000)
        out.citations.append((fact_id, rng.randint(1, sources), quote, start, start + len(quote)))
    for meeting_id in range(1, facts // 50 + 1):
        when = datetime(2019, 4, 25, 10, tzinfo=UTC) + timedelta(days=rng.randint(-3000, 400))
        out.meetings.append(
            (
                meeting_id,
                f"m{meeting_id}",
                None,
                f"Talks on {rng.choice(THINGS)}",
                rng.randint(1, entities),
                when.isoformat(),
                "Asia/Seoul",
                "day",
                rng.choice(("scheduled", "held", "postponed")),
                "curated",
                now,
                now,
            )
        )
        for position in range(rng.randint(2, 4)):
            entity_id = rng.randint(1, entities)
            out.participants.append((meeting_id, position, entity_id, out.names[entity_id - 1]))
        out.meeting_citations.append((meeting_id, rng.randint(1, sources), "They met.", 0, 9))
    out.words = sorted(
        {w.strip(",.;").lower() for t in THINGS + OUTCOMES for w in t.split() if len(w) > 4}
        - {"{year}", "percent"}
    )
    return out


async def insert(store: Store, data: Synthetic) -> None:
    """Every row in one write transaction, with executemany and bound parameters."""
    async with store.transaction() as conn:
        await conn.executemany(
            "INSERT INTO entities(id, key, name, type, role, summary) VALUES (?, ?, ?, ?, ?, ?)",
            data.entities,
        )
        await conn.executemany(
            "INSERT INTO aliases(folded, alias, entity_id) VALUES (?, ?, ?)", data.aliases
        )
        await conn.executemany(
            "INSERT INTO sources(id, key, guild_id, title, title_is_ours, url, publisher, "
            "author, published, published_precision, published_note, text, origin, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data.sources,
        )
        await conn.executemany(
            "INSERT INTO facts(id, key, guild_id, subject_id, statement, kind, attributed_to, "
            "origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [(*fact, data.created_at, data.created_at) for fact in data.facts],
        )
        await conn.executemany("INSERT INTO fact_topics(fact_id, topic) VALUES (?, ?)", data.topics)
        await conn.executemany(
            "INSERT INTO fact_entities(fact_id, entity_id) VALUES (?, ?)", data.fact_entities
        )
        await conn.executemany(
            "INSERT INTO citations(fact_id, source_id, quote, start, end) VALUES (?, ?, ?, ?, ?)",
            data.citations,
        )
        await conn.executemany(
            "INSERT INTO meetings(id, key, guild_id, title, place_id, starts_at, tz, precision, "
            "status, origin, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            data.meetings,
        )
        await conn.executemany(
            "INSERT INTO meeting_participants(meeting_id, position, entity_id, name) "
            "VALUES (?, ?, ?, ?)",
            data.participants,
        )
        await conn.executemany(
            "INSERT INTO citations(meeting_id, source_id, quote, start, end) "
            "VALUES (?, ?, ?, ?, ?)",
            data.meeting_citations,
        )


async def fill_fts(store: Store, fact_ids: list[int], entity_ids: list[int]) -> dict[str, float]:
    """Fill the facts' full-text index, set-based (bot.store.index.rebuild_facts), in
    one transaction; returns the seconds spent. (entities_fts is no longer written.)"""
    timings = {}
    began = time.perf_counter()
    async with store.transaction() as conn:
        await index.rebuild_facts(conn)
    timings["facts_fts_s"] = time.perf_counter() - began
    return timings
