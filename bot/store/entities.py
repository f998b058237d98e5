"""Entities and their aliases: lookup by any spelling, fuzzy suggestions, completion,
and who the visible facts are most about."""

from __future__ import annotations

from collections import defaultdict

from bot.models import Entity, EntityMatch
from bot.store import rows
from bot.store.fuzzy import NameIndex
from bot.store.sql import Read, like_prefix, one, placeholders, visible
from bot.text import fold

# A typed name this similar to an alias (rapidfuzz WRatio, 0-100) is suggested for it.
NAME_SUGGESTION_CUTOFF = 72


async def entity(read: Read, entity_id: int) -> Entity | None:
    row = await one(read, "SELECT * FROM entities WHERE id = ?", (entity_id,))
    if row is None:
        return None
    aliases = await read(
        "SELECT alias FROM aliases WHERE entity_id = ? ORDER BY alias", (entity_id,)
    )
    hidden = {row["name"], row["key"]}
    names = [alias["alias"] for alias in aliases if alias["alias"] not in hidden]
    return rows.entity(row, names)


async def entities(read: Read) -> list[Entity]:
    """Every entity with all its aliases (for export)."""
    aliases: dict[int, list[str]] = defaultdict(list)
    for row in await read("SELECT alias, entity_id FROM aliases ORDER BY rowid"):
        aliases[row["entity_id"]].append(row["alias"])
    found = await read("SELECT * FROM entities ORDER BY id")
    return [
        rows.entity(row, [a for a in aliases[row["id"]] if a not in (row["name"], row["key"])])
        for row in found
    ]


async def names_with_word(read: Read, word: str, entity_id: int, limit: int = 5) -> list[str]:
    """Canonical names of other entities with `word` as a whole word in one of their
    names ("Kim" -> Kim Yo Jong), to say whether a bare surname was ambiguous."""
    pattern = "% " + like_prefix(fold(word)).removesuffix("%") + " %"
    found = await read(
        "SELECT DISTINCT e.name FROM aliases a JOIN entities e ON e.id = a.entity_id "
        "WHERE a.entity_id != :e AND (' ' || a.folded || ' ') LIKE :pattern ESCAPE '\\' "
        "ORDER BY e.name LIMIT :limit",
        {"e": entity_id, "pattern": pattern, "limit": limit},
    )
    return [row["name"] for row in found]


async def names(read: Read, entity_ids: list[int]) -> list[str]:
    if not entity_ids:
        return []
    found = await read(
        f"SELECT id, name FROM entities WHERE id IN ({placeholders(entity_ids)})", entity_ids
    )
    by_id = {row["id"]: row["name"] for row in found}
    return [by_id[entity_id] for entity_id in entity_ids if entity_id in by_id]


async def key_actors(read: Read, guild_id: int | None, limit: int = 10) -> list[tuple[Entity, int]]:
    """People and organisations the visible facts and meetings are most about."""
    found = await read(
        "WITH mentions(entity_id) AS ("
        f" SELECT f.subject_id FROM facts f WHERE f.retracted = 0 AND {visible('f')}"
        " UNION ALL SELECT fe.entity_id FROM fact_entities fe JOIN facts f ON f.id = fe.fact_id"
        f"  WHERE f.retracted = 0 AND {visible('f')}"
        " UNION ALL SELECT mp.entity_id FROM meeting_participants mp"
        f"  JOIN meetings m ON m.id = mp.meeting_id WHERE {visible('m')})"
        " SELECT e.*, COUNT(*) AS n FROM mentions JOIN entities e ON e.id = mentions.entity_id"
        " WHERE e.type IN ('person', 'organisation')"
        " GROUP BY e.id ORDER BY n DESC, e.name LIMIT :limit",
        {"guild": guild_id, "limit": limit},
    )
    return [(rows.entity(row), row["n"]) for row in found]


async def by_alias(read: Read, keys: list[str]) -> EntityMatch | None:
    """The entity one of `keys` (folded spellings, most literal first) is an alias of,
    with the alias as stored; None if none is."""
    found = await read(
        f"SELECT folded, alias, entity_id FROM aliases WHERE folded IN ({placeholders(keys)})",
        keys,
    )
    by_key = {row["folded"]: row for row in found}
    for key in keys:  # the most literal spelling wins ("U.S." before "u.s")
        if key in by_key:
            row = by_key[key]
            return EntityMatch(await entity(read, row["entity_id"]), alias=row["alias"])
    return None


async def fuzzy_aliases(read: Read, previous: NameIndex | None = None) -> NameIndex:
    """(folded alias, entity id) for fuzzy matching. Two-letter aliases ("UN", "US")
    would match half of every typo; exact lookup still finds them. `previous` is
    returned when its aliases are the same (its index is then not built again)."""
    found = await read("SELECT folded, entity_id FROM aliases", ())
    aliases = [(row["folded"], row["entity_id"]) for row in found if len(row["folded"]) > 2]
    if previous is not None and previous.aliases == aliases:
        return previous
    return NameIndex(aliases)


def rank_suggestions(folded: str, aliases: NameIndex, limit: int) -> list[int]:
    """Entity ids whose aliases are closest to `folded` (rapidfuzz WRatio), best first
    (CPU work: run it off the event loop)."""
    entity_ids: list[int] = []
    for index in aliases.rank(folded, limit * 3, NAME_SUGGESTION_CUTOFF):
        entity_id = aliases.aliases[index][1]
        if entity_id not in entity_ids:
            entity_ids.append(entity_id)
    return entity_ids[:limit]


async def names_starting(read: Read, key: str, limit: int) -> list[str]:
    """Canonical names whose name or alias starts with the folded `key`."""
    found = await read(
        "SELECT DISTINCT e.name FROM aliases a JOIN entities e ON e.id = a.entity_id "
        "WHERE a.folded LIKE ? ESCAPE '\\' ORDER BY e.name LIMIT ?",
        (like_prefix(key), limit),
    )
    return [row["name"] for row in found]
