"""`python -m bench store`: the Store API on a synthetic store of 100,000 facts and
10,000 entities, plus `python -m bot build` on the real data for reference.

The synthetic store (bench/synthetic.py) is generated with a fixed seed, written through
`Store.transaction()` with executemany, and its full-text indexes are filled with
`bot.store.index`. Queries then go through the public Store API exactly as the bot calls
it (one server's scope: shared rows plus that server's own).
"""

from __future__ import annotations

import asyncio
import random
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import Report, bench_env, python, store_legacy, summarise, table
from bench.synthetic import Synthetic, fill_fts, generate, insert
from bot import briefing
from bot.answers import Asker
from bot.render.embeds import render_pages
from bot.store import Store, index
from bot.store.entities import NAME_SUGGESTION_CUTOFF
from bot.store.facts import FACT_SELECT
from bot.store.fuzzy import NameIndex, full_scan
from bot.text import fold

GUILD = 1001  # a server that has a few facts of its own


def settings(quick: bool) -> dict[str, int]:
    if quick:
        return {
            "facts": 100_000, "entities": 10_000, "n": 100, "n_big": 3, "build_runs": 1,
            "analyze_big": 0, "fuzzy_queries": 300,
        }  # fmt: skip
    return {
        "facts": 100_000, "entities": 10_000, "n": 200, "n_big": 10, "build_runs": 3,
        "analyze_big": 1, "fuzzy_queries": 2_000,
    }  # fmt: skip


def typo(rng: random.Random, word: str) -> str:
    """One human slip: a dropped, doubled or swapped letter (never on the first)."""
    if len(word) < 5:
        return word + word[-1]
    i = rng.randint(1, len(word) - 2)
    slip = rng.choice(("drop", "double", "swap"))
    if slip == "drop":
        return word[:i] + word[i + 1 :]
    if slip == "double":
        return word[:i] + word[i] + word[i:]
    return word[:i] + word[i + 1] + word[i] + word[i + 2 :]


FUZZY_ENTITIES = 23_500  # about 100,000 aliases of more than two characters
FUZZY_LIMIT = 15  # what Store.suggest_names asks for: 5 names, 3 aliases each
LETTERS = "abcdefghijklmnopqrstuvwxyz"


def misspelt(rng: random.Random, name: str) -> str:
    """A name as someone might type it: accents dropped (always, as fold does), then
    one or two slips: a letter dropped, two swapped, one replaced or one added; or
    only the first letters (as autocomplete asks)."""
    text = fold(name)
    if len(text) < 4:
        return text
    for _ in range(rng.choice((1, 1, 2))):
        i = rng.randrange(len(text) - 1)
        slip = rng.choice(("drop", "swap", "replace", "add", "prefix"))
        if slip == "drop":
            text = text[:i] + text[i + 1 :]
        elif slip == "swap":
            text = text[:i] + text[i + 1] + text[i] + text[i + 2 :]
        elif slip == "replace":
            text = text[:i] + rng.choice(LETTERS) + text[i + 1 :]
        elif slip == "add":
            text = text[:i] + rng.choice(LETTERS) + text[i:]
        else:
            text = text[: max(2, i)]
    return text


def fuzzy_at_scale(queries: int) -> dict[str, Any]:
    """Suggestions among ~100,000 aliases: the prefiltered ranking (NameIndex.rank)
    against scoring every alias (process.extract, what the store did before), query by
    query in turn, CPU time of this thread; and whether each pair gave the same list."""
    data = generate(1_000, FUZZY_ENTITIES)
    names = NameIndex([(f, e) for f, _, e in data.aliases if len(f) > 2])
    began = time.thread_time()
    names.rank("zzzz", FUZZY_LIMIT, NAME_SUGGESTION_CUTOFF)  # builds the index
    build_ms = (time.thread_time() - began) * 1000
    rng = random.Random(13)
    full_ms, ranked_ms, differing = [], [], []
    for _ in range(queries):
        query = misspelt(rng, rng.choice(data.alias_samples))
        began = time.thread_time()
        expected = full_scan(query, names.names, FUZZY_LIMIT, NAME_SUGGESTION_CUTOFF)
        middle = time.thread_time()
        found = names.rank(query, FUZZY_LIMIT, NAME_SUGGESTION_CUTOFF)
        ended = time.thread_time()
        full_ms.append((middle - began) * 1000)
        ranked_ms.append((ended - middle) * 1000)
        if found != expected:
            differing.append({"query": query, "full": expected, "prefiltered": found})
    return {
        "aliases": len(names),
        "queries": queries,
        "index_build_ms": build_ms,
        "full_scan_ms": summarise(full_ms),
        "prefiltered_ms": summarise(ranked_ms),
        "agreeing": queries - len(differing),
        "differing": differing[:20],
    }


async def timed(
    calls: list[Callable[[], Awaitable[Any]]], sizes: Callable[[Any], int] | None = None
) -> dict[str, Any]:
    """Run each call once, in order; microsecond timings and result sizes."""
    timings, found = [], []
    for call in calls:
        began = time.perf_counter_ns()
        result = await call()
        timings.append((time.perf_counter_ns() - began) / 1000)
        if sizes is not None:
            found.append(sizes(result))
    out: dict[str, Any] = {"us": summarise(timings)}
    if found:
        out["results"] = summarise(found)
    return out


async def attempt(call: Callable[[], Awaitable[Any]], repeat: int) -> dict[str, Any]:
    """Like `timed` for an operation that may fail: the error is the finding."""
    try:
        return await timed([call] * repeat, len)
    except sqlite3.OperationalError as error:
        return {"error": f"sqlite3.OperationalError: {error}"}


def queries(data: Synthetic, n: int) -> dict[str, list[str]]:
    rng = random.Random(7)
    names = rng.sample(data.alias_samples, n)
    people = [a for a in data.alias_samples if " " in a and a.isascii() and "-" in a]
    return {
        "exact": names,
        "typo": [typo(rng, rng.choice(people)) for _ in range(n)],
        "prefix": [rng.choice(people)[: rng.randint(2, 5)] for _ in range(n)],
        "search": [" ".join(rng.sample(data.words, rng.choice((1, 1, 2, 2, 3)))) for _ in range(n)],
        "search_names": [rng.choice(data.names).split()[-1] for _ in range(n)],
        "rare_topics": [
            topic for topic, count in sorted(data.topic_counts.items(), key=lambda kv: kv[1])[:3]
        ],
    }


async def measure_store(db: Path, data: Synthetic, cfg: dict[str, int]) -> dict[str, Any]:
    store = await Store.open(db)
    sizes = data.topic_counts
    try:
        q = queries(data, cfg["n"])
        n, n_big = cfg["n"], cfg["n_big"]
        rows: dict[str, Any] = {}
        # The alias cache for fuzzy matching is built on the first miss: time that alone.
        began = time.perf_counter_ns()
        await store.suggest_names("zzzz")
        rows["alias cache build (first fuzzy lookup)"] = {
            "us": summarise([(time.perf_counter_ns() - began) / 1000])
        }
        rows["find_entity exact (alias)"] = await timed(
            [lambda name=name: store.find_entity(name) for name in q["exact"]],
            lambda match: int(match.entity is not None),
        )
        rows["find_entity typo (fuzzy suggestions)"] = await timed(
            [lambda name=name: store.find_entity(name) for name in q["typo"]],
            lambda match: len(match.suggestions),
        )
        rows["find_entity typo, asked again (remembered until a write)"] = await timed(
            [lambda name=name: store.find_entity(name) for name in q["typo"]],
            lambda match: len(match.suggestions),
        )
        rows["complete_names (autocomplete prefix)"] = await timed(
            [lambda p=p: store.complete_names(p) for p in q["prefix"]], len
        )
        rare = q["rare_topics"]
        topics = [rare[i % len(rare)] for i in range(n)]
        rows[f"facts_by_topic rare ({', '.join(rare)}: ~1k facts each)"] = await timed(
            [lambda t=t: store.facts_by_topic(t, GUILD) for t in topics], len
        )
        rows[f"facts_by_topic 'sanctions' ({sizes['sanctions']:,} facts)"] = await attempt(
            lambda: store.facts_by_topic("sanctions", GUILD), n_big
        )
        rows[f"facts_by_topic 'diplomacy' ({sizes['diplomacy']:,} facts)"] = await attempt(
            lambda: store.facts_by_topic("diplomacy", GUILD), 1
        )
        rows["search (1-3 common words)"] = await timed(
            [lambda s=s: store.search(s, GUILD) for s in q["search"]], len
        )
        rows["search (a surname)"] = await timed(
            [lambda s=s: store.search(s, GUILD) for s in q["search_names"]], len
        )
        rows["search (no match: falls back to OR)"] = await timed(
            [lambda: store.search("qwertyuiop zxcvbnm", GUILD)] * n, len
        )
        subjects = [random.Random(n).randint(1, len(data.entities)) for n in range(n)]
        rows["facts_about (an entity's facts, for who)"] = await timed(
            [lambda e=e: store.facts_about(e, GUILD) for e in subjects], len
        )
        rows.update(await hydrate_before_after(store, subjects))
        now = datetime.now(UTC)
        rows["briefing.who <exact name> + render_pages"] = await timed(
            [lambda name=name: _who(store, name, now) for name in q["exact"]], len
        )
        rows[f"briefing.sanctions + render_pages ({sizes['sanctions']:,} facts)"] = await attempt(
            lambda: _sanctions(store), max(1, n_big // 3)
        )
        limit = sqlite3.connect(":memory:").getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
        before = await plans(store, subjects[0])
        after = await after_analyze(store, subjects[0], cfg["analyze_big"] > 0)
    finally:
        await store.close()
    largest = max((row["results"]["max"] for row in rows.values() if "results" in row), default=0)
    return {
        "rows": rows,
        "sqlite_variable_limit": limit,
        "largest_result_rows": largest,
        "plans": before,
        "after_analyze": after,
    }


async def hydrate_before_after(store: Store, subjects: list[int]) -> dict[str, Any]:
    """Store._hydrate on the same fact rows (an entity's first 150 facts) the old way
    (three queries) and the new (one), alternating, with whether the facts are equal."""
    fact_rows = [
        await store._all(f"{FACT_SELECT} WHERE f.subject_id = ? ORDER BY f.id LIMIT 150", (e,))
        for e in subjects
    ]
    old = await timed([lambda r=r: store_legacy.hydrate(store, r) for r in fact_rows], len)
    new = await timed([lambda r=r: store._hydrate(r) for r in fact_rows], len)
    same = all([await store._hydrate(r) == await store_legacy.hydrate(store, r) for r in fact_rows])
    label = "identical" if same else "DIFFERENT"
    return {
        "hydrate an entity's facts, before: 3 queries": old,
        f"hydrate an entity's facts, after: 1 query ({label})": new,
    }


async def captured(store: Store, call: Callable[[], Awaitable[Any]]) -> list[tuple[str, Any]]:
    """The SQL (with parameters) that one Store call issues, in order."""
    seen: list[tuple[str, Any]] = []
    original = store._all

    async def tap(sql: str, params: Any = ()) -> Any:
        seen.append((sql, params))
        return await original(sql, params)

    store._all = tap  # type: ignore[method-assign]
    try:
        await call()
    finally:
        del store._all
    return seen


async def plan(store: Store, sql: str, params: Any) -> str:
    found = await store._all(f"EXPLAIN QUERY PLAN {sql}", params)
    return "; ".join(str(row[3]) for row in found)


async def plans(store: Store, entity_id: int) -> dict[str, str]:
    """How SQLite runs the queries the Store really issues (captured, then explained):
    facts_about's fact query, and _hydrate's entity join for facts_by_topic('diplomacy')."""
    about = await captured(store, lambda: store.facts_about(entity_id, GUILD))
    topic = await captured(store, lambda: store.facts_by_topic("diplomacy", GUILD))
    join = next(((sql, p) for sql, p in topic if "fact_entities fe" in sql), None)
    return {
        "facts_about": await plan(store, *about[0]),
        "hydrate_entities_diplomacy": await plan(store, *join) if join else "(no such query)",
        "hydrate_in_list": str(len(join[1]) if join else 0),
    }


async def after_analyze(store: Store, entity_id: int, run_big: bool) -> dict[str, Any]:
    """ANALYZE (as `PRAGMA optimize` would), then the same plans and, in a full run or
    when it is small, the largest topic again."""
    async with store.transaction() as conn:
        await conn.execute("ANALYZE")
    found: dict[str, Any] = {"plans": await plans(store, entity_id)}
    if run_big or int(found["plans"]["hydrate_in_list"]) <= 1000:
        found["diplomacy"] = await attempt(lambda: store.facts_by_topic("diplomacy", GUILD), 1)
    return found


async def _who(store: Store, name: str, now: datetime) -> list:
    return render_pages(await briefing.who(store, Asker(GUILD, now), name))


async def _sanctions(store: Store) -> list:
    return render_pages(await briefing.sanctions(store, Asker(GUILD, datetime.now(UTC))))


def disk_size(db: Path) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = conn.execute("PRAGMA page_size").fetchone()[0]
        fts = conn.execute(
            "SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name LIKE '%fts%'"
        ).fetchone()[0]
    except sqlite3.OperationalError:  # dbstat is optional in SQLite builds
        fts = -1
    finally:
        conn.close()
    files = {p.name: p.stat().st_size for p in db.parent.glob(db.name + "*")}
    return {"bytes": sum(files.values()), "files": files, "pages": pages * page_size, "fts": fts}


async def build_synthetic(db: Path, cfg: dict[str, int]) -> tuple[Synthetic, dict[str, Any]]:
    timings: dict[str, Any] = {}
    began = time.perf_counter()
    data = generate(cfg["facts"], cfg["entities"])
    timings["generate_s"] = time.perf_counter() - began
    store = await Store.open(db)
    try:
        began = time.perf_counter()
        await insert(store, data)
        timings["insert_s"] = time.perf_counter() - began
        fts = await fill_fts(store, [f[0] for f in data.facts], [e[0] for e in data.entities])
        timings.update(fts)
        compared = await index_before_after(store, [f[0] for f in data.facts])
    finally:
        await store.close()
    timings["total_s"] = sum(v for v in timings.values())
    timings["before_after"] = compared
    return data, {"timings": timings, "counts": _counts(data)}


async def _fts_rows(store: Store) -> list[tuple]:
    return [tuple(row) for row in await store._all("SELECT rowid, * FROM facts_fts ORDER BY rowid")]


async def index_before_after(store: Store, fact_ids: list[int]) -> dict[str, Any]:
    """The facts index rebuilt the old way (row by row, transactions of 5,000, as the
    bench filled it before) and the new way (one INSERT ... SELECT), on the same store,
    with whether the two indexes hold the same documents."""
    new = await _fts_rows(store)
    began = time.perf_counter()
    for start in range(0, len(fact_ids), 5000):
        async with store.transaction() as conn:
            await store_legacy.refresh_facts(conn, fact_ids[start : start + 5000])
    old_s = time.perf_counter() - began
    same = new == await _fts_rows(store)
    began = time.perf_counter()
    async with store.transaction() as conn:
        await index.rebuild_facts(conn)
    return {"old_s": old_s, "new_s": time.perf_counter() - began, "same": same}


def _counts(data: Synthetic) -> dict[str, Any]:
    return {
        "entities": len(data.entities),
        "aliases": len(data.aliases),
        "sources": len(data.sources),
        "facts": len(data.facts),
        "fact_topics": len(data.topics),
        "fact_entities": len(data.fact_entities),
        "citations": len(data.citations) + len(data.meeting_citations),
        "meetings": len(data.meetings),
        "topic_sizes": dict(sorted(data.topic_counts.items(), key=lambda kv: -kv[1])),
    }


def bot_build(runs: int) -> dict[str, Any]:
    """Wall time of `python -m bot build` on the real data: into a new store, and again
    into the built one; and of `python -c "import bot.cli"` (interpreter + imports)."""
    found: dict[str, list[float]] = {"fresh": [], "again": [], "import_only": []}
    for _ in range(runs):
        with tempfile.TemporaryDirectory(prefix="bench-build-") as tmp:
            env = bench_env({"BRIEFING_DB": str(Path(tmp) / "briefing.sqlite3")})
            for label in ("fresh", "again"):
                began = time.perf_counter()
                subprocess.run(
                    [python(), "-m", "bot", "build"], env=env, cwd=tmp, check=True,
                    capture_output=True,
                )  # fmt: skip
                found[label].append(time.perf_counter() - began)
            began = time.perf_counter()
            subprocess.run([python(), "-c", "import bot.cli"], env=env, cwd=tmp, check=True)
            found["import_only"].append(time.perf_counter() - began)
    return {label: summarise(values) for label, values in found.items()}


async def run_async(cfg: dict[str, int]) -> Report:
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        db = Path(tmp) / "synthetic.sqlite3"
        data, build = await build_synthetic(db, cfg)
        size = disk_size(db)
        measured = await measure_store(db, data, cfg)
    real_build = await asyncio.to_thread(bot_build, cfg["build_runs"])
    measured["fuzzy"] = fuzzy_at_scale(cfg["fuzzy_queries"])
    return _report(cfg, build, size, measured, real_build)


def _report(
    cfg: dict[str, int],
    build: dict[str, Any],
    size: dict[str, int],
    measured: dict[str, Any],
    real_build: dict[str, Any],
) -> Report:
    rows = []
    for name, row in measured["rows"].items():
        if "error" in row:
            rows.append([name, "-", "-", "-", "-", row["error"][:60]])
            continue
        us = row["us"]
        results = row.get("results")
        shown = f"{results['mean']:.1f} avg, max {results['max']}" if results else ""
        rows.append([name, us["n"], us["p50"] / 1000, us["p99"] / 1000, us["max"] / 1000, shown])
    timings, counts = build["timings"], build["counts"]
    mib = 1024 * 1024
    build_rows = [
        ["generate rows in Python (seeded)", timings["generate_s"]],
        ["insert: one transaction, executemany", timings["insert_s"]],
        ["facts_fts via index.rebuild_facts (set-based)", timings["facts_fts_s"]],
        ["total", timings["total_s"]],
    ]
    compared = timings["before_after"]
    same = "identical documents" if compared["same"] else "DIFFERENT documents"
    index_rows = [
        ["before: row by row (3 statements a fact)", compared["old_s"]],
        [f"after: one INSERT ... SELECT ({same})", compared["new_s"]],
        ["target", "< 3"],
    ]
    real = real_build
    analyzed = measured["after_analyze"]
    big = analyzed.get("diplomacy")
    if big is None:
        big_text = "(not run in --quick: with the whole topic it took about a minute)"
    elif "error" in big:
        big_text = big["error"]
    else:
        seconds = big["us"]["p50"] / 1e6
        big_text = f"{seconds:.1f} s" if seconds >= 1 else f"{seconds * 1000:.0f} ms"
    tables = [
        table(
            ["query (Store API, one server's scope)", "N", "p50 ms", "p99 ms", "max ms", "rows"],
            rows,
            title=(
                f"Store queries on {counts['facts']:,} facts / {counts['entities']:,} entities "
                f"/ {counts['aliases']:,} aliases"
            ),
        ),
        table(["building the synthetic store", "seconds"], build_rows),
        table(
            [f"facts_fts rebuild, {counts['facts']:,} facts, same store, same run", "seconds"],
            index_rows,
        ),
        table(
            ["size on disk", "MiB"],
            [
                ["database after checkpoint (all files)", size["bytes"] / mib],
                [
                    "of which full-text indexes (dbstat)",
                    size["fts"] / mib if size["fts"] >= 0 else "?",
                ],
            ],
        ),
        table(
            ["`python -m bot build`, real data (wall, subprocess)", "runs", "p50 s", "max s"],
            [
                [label, real[key]["n"], real[key]["p50"], real[key]["max"]]
                for label, key in (
                    ("into a new store (migrate + import)", "fresh"),
                    ("again, into the built store", "again"),
                    ("for scale: python -c 'import bot.cli'", "import_only"),
                )
            ],
        ),
    ]
    fuzzy = measured["fuzzy"]
    agreement = 100 * fuzzy["agreeing"] / fuzzy["queries"]
    tables.append(
        table(
            [
                f"fuzzy suggestions, {fuzzy['aliases']:,} aliases, CPU ms",
                "N",
                "p50",
                "p95",
                "p99",
                "max",
            ],
            [
                [label, row["n"], row["p50"], row["p95"], row["p99"], row["max"]]
                for label, row in (
                    ("before: WRatio over every alias", fuzzy["full_scan_ms"]),
                    ("after: prefiltered (NameIndex.rank)", fuzzy["prefiltered_ms"]),
                )
            ]
            + [
                ["target (p50)", "", "< 5", "", "", ""],
                [f"same ranking as before: {agreement:.2f}%", fuzzy["queries"], "", "", "", ""],
                ["index build, once per write (ms)", 1, fuzzy["index_build_ms"], "", "", ""],
            ],
        )
    )
    sizes = counts["topic_sizes"]
    method = [
        f"Synthetic store: {counts['entities']:,} entities ({counts['aliases']:,} aliases: "
        f"canonical names, romanisation variants, Hangul, initials), {counts['sources']} "
        f"sources (~2-6 KB each), {counts['facts']:,} facts (templated sentences naming "
        f"entities, places, years; kinds 55/15/20/10% reported/quote/attributed/opinion; 5% "
        f"belong to one of 20 servers), {counts['fact_topics']:,} topic links over "
        f"{len(sizes)} topics (largest: diplomacy {sizes.get('diplomacy', 0):,}, sanctions "
        f"{sizes.get('sanctions', 0):,}), {counts['fact_entities']:,} involved-entity links, "
        f"{counts['citations']:,} citations, {counts['meetings']:,} meetings. Seeded.",
        "Written with Store.transaction() + executemany (parameterised); FTS filled with "
        "bot.store.index.rebuild_facts, one transaction.",
        "Before/after: the old code paths are kept in bench/store_legacy.py (copied from "
        "the store before the change) and timed in the same run on the same store; each "
        "pair says whether old and new gave the same result.",
        f"Queries: the Store's own methods as the bot calls them, scope = server {GUILD}; "
        f"N = {cfg['n']} distinct queries per row (N = {cfg['n_big']} for the "
        "'sanctions' topic), each timed with perf_counter_ns, sequentially.",
        "Typos: one dropped / doubled / swapped letter in a person's alias; exact: any "
        "stored alias; search: 1-3 words from the generated vocabulary, or a surname.",
        "`python -m bot build`: subprocess wall time, new temp BRIEFING_DB each run.",
        f"Fuzzy at scale: {FUZZY_ENTITIES:,} synthetic entities' aliases (same generator, "
        f"longer than two characters, as the store keeps them), {fuzzy['queries']:,} "
        "queries from random aliases folded (accents dropped), with one or two slips "
        "(dropped, swapped, replaced or added letter, or a prefix); each query scored "
        "both ways in turn, CPU time (thread_time), top 15 at WRatio >= "
        f"{NAME_SUGGESTION_CUTOFF}; agreement = the same 15 aliases in the same order.",
    ]
    plans_before, plans_after = measured["plans"], analyzed["plans"]
    in_list = int(plans_before["hydrate_in_list"])
    notes = [
        f"The largest result any Store call above returned: {measured['largest_result_rows']:,} "
        f"rows; Store._hydrate binds the fact ids of a result as one JSON array (here "
        f"{in_list:,} bound parameter for 'diplomacy'). This SQLite allows "
        f"{measured['sqlite_variable_limit']:,} bound parameters; the upstream default is "
        "32,766." + (" A result that large would fail there." if in_list > 32_766 else ""),
        "facts_about's query plan: " + plans_before["facts_about"] + ".",
        "_hydrate's entity join for 'diplomacy', without statistics (the bot never runs "
        "ANALYZE or PRAGMA optimize): "
        + plans_before["hydrate_entities_diplomacy"]
        + "; after ANALYZE: "
        + plans_after["hydrate_entities_diplomacy"]
        + f"; facts_by_topic('diplomacy') then took {big_text}.",
    ]
    if fuzzy["differing"]:
        notes.append(f"Fuzzy rankings that differ (first ones): {fuzzy['differing'][:3]}")
    return Report(
        "store",
        "Fact store at scale: 100,000 facts, 10,000 entities",
        method,
        tables,
        {
            "settings": cfg,
            "build": build,
            "size": size,
            "queries": measured,
            "bot_build_real_data_s": real_build,
        },
        notes,
    )


def run(quick: bool = False, profile: str = "auto") -> Report:
    return asyncio.run(run_async(settings(quick)))
