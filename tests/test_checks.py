"""bot/checks.py directly: the shared per-user cooldown (one bucket per user across
commands, memory that ages), who counts as a moderator or a curator, and which scope a
write applies to."""

from __future__ import annotations

import tracemalloc
from types import SimpleNamespace

import discord
import pytest

from bot import checks
from bot.checks import UserBuckets
from bot.errors import BadInput, NotFound
from bot.models import RowOwner, Table


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_uses_per_window_then_a_wait_then_five_more() -> None:
    clock = Clock()
    buckets = UserBuckets(5, 10.0, clock=clock)
    assert [buckets.hit(1) for _ in range(5)] == [0.0] * 5
    assert buckets.hit(1) == 10.0
    assert buckets.hit(2) == 0.0  # another user is unaffected
    clock.now += 4
    assert buckets.hit(1) == 6.0
    clock.now += 6
    assert buckets.hit(1) == 0.0


def test_memory_stays_flat_over_many_distinct_users() -> None:
    clock = Clock()
    buckets = UserBuckets(5, 10.0, clock=clock, limit=1000)
    for user in range(100_000):
        buckets.hit(user)
        clock.now += 0.1  # ten new users a second: about 100 active in any window
    assert len(buckets) <= 101
    for user in range(100_000, 105_000):
        buckets.hit(user)  # a burst of new users in one instant: capped
    assert len(buckets) <= 1000


def test_a_remembered_user_costs_a_few_hundred_bytes() -> None:
    """At a few hundred commands a second, thousands of users are inside the 10 s
    window at once (bench users: up to ~8,000): what each costs is the curve's slope."""
    clock = Clock()
    buckets = UserBuckets(5, 10.0, clock=clock, limit=20_000)
    buckets.hit(0)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for user in range(1, 10_001):
        buckets.hit(user)
    after = tracemalloc.take_snapshot()
    tracemalloc.stop()
    grown = sum(stat.size_diff for stat in after.compare_to(before, "filename"))
    assert len(buckets) == 10_001
    assert grown / 10_000 < 350


# --- permission levels and scope decisions ----------------------------------------------

GUILD, OTHER_GUILD, MOD_ROLE = 100, 200, 7
CURATOR, USER = 1, 2


class Member(discord.Member):
    """A server member with the given permissions and roles (nothing else of a Member)."""

    def __init__(self, guild_id: int = GUILD, roles: tuple[int, ...] = (), **allowed: bool):
        self._guild = SimpleNamespace(id=guild_id)
        self._roles = [SimpleNamespace(id=role) for role in roles]
        self._permissions = discord.Permissions(**allowed)
        self._id = USER

    guild = property(lambda self: self._guild)  # type: ignore[assignment]
    roles = property(lambda self: self._roles)  # type: ignore[assignment]
    guild_permissions = property(lambda self: self._permissions)  # type: ignore[assignment]
    id = property(lambda self: self._id)  # type: ignore[assignment]


class Store:
    """The two questions the checks ask the store: a server's moderator role, and which
    server a fact or meeting belongs to (None: shared; absent: no such row)."""

    def __init__(self, mod_roles: dict[int, int] | None = None, rows: dict | None = None):
        self.mod_roles = mod_roles or {}
        self.rows = rows or {}

    async def mod_role(self, guild_id: int) -> int | None:
        return self.mod_roles.get(guild_id)

    async def row_owner(self, table: Table, row_id: int) -> RowOwner | None:
        if (table, row_id) not in self.rows:
            return None
        return RowOwner(self.rows[(table, row_id)])


def context(author: object, guild: int | None = GUILD, store: Store | None = None) -> object:
    async def is_curator(user: object) -> bool:
        return getattr(user, "id", None) == CURATOR

    store = store or Store()
    bot = SimpleNamespace(is_curator=is_curator, store=store)
    place = SimpleNamespace(id=guild) if guild is not None else None
    return SimpleNamespace(bot=bot, author=author, guild=place, scope=guild)


@pytest.mark.parametrize(
    "allowed",
    [{"manage_guild": True}, {"manage_messages": True}, {"administrator": True}],
    ids=["manage-server", "manage-messages", "administrator"],
)
async def test_server_permissions_make_a_moderator(allowed: dict) -> None:
    assert await checks.member_moderates(Store(), Member(**allowed)) is True


async def test_the_servers_moderator_role_makes_a_moderator_there_only() -> None:
    store = Store(mod_roles={GUILD: MOD_ROLE})
    assert await checks.member_moderates(store, Member(roles=(MOD_ROLE,))) is True
    assert await checks.member_moderates(store, Member(roles=(MOD_ROLE + 1,))) is False
    # the same role id means nothing in a server that set no moderator role
    assert await checks.member_moderates(store, Member(OTHER_GUILD, (MOD_ROLE,))) is False


async def test_a_plain_member_or_a_dm_user_is_no_moderator() -> None:
    assert await checks.member_moderates(Store(), Member(send_messages=True)) is False
    dm_user = SimpleNamespace(id=USER)  # a User, not a Member: no server to moderate
    assert await checks.member_moderates(Store(), dm_user) is False  # type: ignore[arg-type]


async def test_moderator_only_lets_moderators_and_curators_through() -> None:
    allow = checks.moderator_only().predicate  # type: ignore[attr-defined]
    assert await allow(context(Member(manage_messages=True))) is True
    assert await allow(context(SimpleNamespace(id=CURATOR), guild=None)) is True  # a DM
    with pytest.raises(checks.NotModerator, match="Only this server's moderators"):
        await allow(context(Member()))
    with pytest.raises(checks.NotModerator):
        await allow(context(SimpleNamespace(id=USER), guild=None))


@pytest.mark.parametrize("scope", [None, "", "server", "  "])
async def test_a_write_without_scope_global_applies_to_this_server(scope: str | None) -> None:
    assert await checks.write_scope(context(Member()), scope) == GUILD  # type: ignore[arg-type]


async def test_only_curators_write_the_shared_facts() -> None:
    curator = context(SimpleNamespace(id=CURATOR))
    assert await checks.write_scope(curator, " GLOBAL ") is None  # type: ignore[arg-type]
    assert await checks.write_scope(context(SimpleNamespace(id=CURATOR), None), None) is None  # type: ignore[arg-type]
    for refused in [context(Member(manage_guild=True)), context(SimpleNamespace(id=USER), None)]:
        with pytest.raises(checks.NotModerator, match="Only the bot's curators"):
            await checks.write_scope(refused, "global")  # type: ignore[arg-type]


ROWS = {(Table.FACTS, 1): None, (Table.FACTS, 2): GUILD, (Table.FACTS, 3): OTHER_GUILD}


async def test_a_row_is_changed_in_its_own_scope() -> None:
    store = Store(rows=ROWS)
    moderator = context(Member(manage_messages=True), store=store)
    assert await checks.scope_of_row(moderator, Table.FACTS, 2) == GUILD  # type: ignore[arg-type]
    curator = context(SimpleNamespace(id=CURATOR), store=store)
    assert await checks.scope_of_row(curator, Table.FACTS, 1) is None  # type: ignore[arg-type]


@pytest.mark.parametrize("row_id", [3, 404], ids=["another-servers", "missing"])
async def test_another_servers_row_is_as_invisible_as_a_missing_one(row_id: int) -> None:
    moderator = context(Member(manage_messages=True), store=Store(rows=ROWS))
    with pytest.raises(NotFound, match="There is no fact here"):
        await checks.scope_of_row(moderator, Table.FACTS, row_id)  # type: ignore[arg-type]
    curator = context(SimpleNamespace(id=CURATOR), store=Store(rows=ROWS))
    with pytest.raises(NotFound):
        await checks.scope_of_row(curator, Table.FACTS, row_id)  # type: ignore[arg-type]


async def test_a_shared_row_needs_a_curator() -> None:
    moderator = context(Member(manage_guild=True), store=Store(rows=ROWS))
    with pytest.raises(checks.NotModerator, match="shared by every server"):
        await checks.scope_of_row(moderator, Table.FACTS, 1)  # type: ignore[arg-type]


async def test_scope_global_on_a_servers_own_row_is_refused_not_ignored() -> None:
    moderator = context(Member(manage_messages=True), store=Store(rows=ROWS))
    with pytest.raises(BadInput, match="belongs to this server"):
        await checks.scope_of_row(moderator, Table.FACTS, 2, "global")  # type: ignore[arg-type]


# --- the shared limiters ----------------------------------------------------------------


def test_each_bot_has_one_read_and_one_moderator_bucket_with_their_own_rates() -> None:
    class Bot:
        pass

    bot, other = Bot(), Bot()
    read = checks.limiter(bot, "read")  # type: ignore[arg-type]
    assert checks.limiter(bot, "read") is read  # type: ignore[arg-type]
    assert (read.rate, read.per) == (checks.COOLDOWN_RATE, checks.COOLDOWN_SECONDS)
    moderator = checks.limiter(bot, "moderator")  # type: ignore[arg-type]
    assert (moderator.rate, moderator.per) == (checks.MODERATOR_RATE, checks.MODERATOR_SECONDS)
    assert checks.limiter(other, "read") is not read  # type: ignore[arg-type]


def test_a_use_leaves_the_window_exactly_per_seconds_later() -> None:
    clock = Clock()
    buckets = UserBuckets(2, 10.0, clock=clock)
    assert [buckets.hit(1), buckets.hit(1)] == [0.0, 0.0]
    clock.now += 9.5
    assert buckets.hit(1) == pytest.approx(0.5)
    clock.now += 0.5
    assert buckets.hit(1) == 0.0  # the first use is exactly 10 s old: out of the window
