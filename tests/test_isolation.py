"""Two servers' moderators act at random; neither server's answers, audit or digest
ever shows the other's data (a stateful hypothesis test over the store, moderation and
briefing layers; the end-to-end cross-server tests drive the same through Discord)."""

from __future__ import annotations

import asyncio
import shutil
import tempfile
from datetime import UTC, datetime, time
from pathlib import Path

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    consumes,
    invariant,
    precondition,
    rule,
)

from bot import briefing, moderation
from bot.build import build
from bot.errors import BriefingError, NotFound
from bot.models import Change
from bot.render.text import render
from bot.store import Store
from tests.conftest import FIXED_NOW, asking

SERVERS = {101: "alphatok", 202: "betatok"}
SHARED_QUOTE = "signals a bit of desperation"
_TEMPLATE: Path | None = None


def template() -> Path:
    """A store built once from data/, copied for each example."""
    global _TEMPLATE
    if _TEMPLATE is None:
        folder = Path(tempfile.mkdtemp(prefix="isolation-"))
        _TEMPLATE = folder / "template.sqlite3"

        async def make() -> None:
            store = await Store.open(_TEMPLATE)
            await build(store)
            await store.close()

        asyncio.run(make())
    return _TEMPLATE


servers = st.sampled_from(sorted(SERVERS))


class TwoServers(RuleBasedStateMachine):
    facts = Bundle("facts")
    meetings = Bundle("meetings")

    def __init__(self) -> None:
        super().__init__()
        self.folder = Path(tempfile.mkdtemp(prefix="isolation-"))
        shutil.copy(template(), self.folder / "store.sqlite3")
        self.loop = asyncio.new_event_loop()
        self.store = self.run(Store.open(self.folder / "store.sqlite3"))
        self.count = 0
        self.sources: dict[int, list[tuple[int, str]]] = {guild: [] for guild in SERVERS}
        self.live: dict[int, set[str]] = {guild: set() for guild in SERVERS}

    def run(self, work):
        return self.loop.run_until_complete(work)

    def teardown(self) -> None:
        self.run(self.store.close())
        self.loop.close()
        shutil.rmtree(self.folder, ignore_errors=True)

    def token(self, guild: int) -> str:
        self.count += 1
        return f"{SERVERS[guild]}{self.count}"

    def change(self, guild: int, reason: str = "") -> Change:
        return Change(actor_id=guild * 10, guild_id=guild, at=FIXED_NOW, reason=reason)

    # --- what moderators do ---------------------------------------------------------

    @rule(guild=servers)
    def add_source(self, guild: int) -> None:
        token = self.token(guild)
        quote = f"the {token} passage"
        source_id = self.run(
            moderation.add_source(
                self.store,
                self.change(guild),
                title=f"{token} source",
                text=f"Opening. In full, the {token} passage, quoted. End.",
            )
        )
        self.sources[guild].append((source_id, quote))

    @rule(target=facts, guild=servers, own=st.booleans(), topic=st.sampled_from(["", "sanctions"]))
    def add_fact(self, guild: int, own: bool, topic: str) -> tuple[int, int]:
        token = self.token(guild)
        source_id, quote = (
            self.sources[guild][-1] if own and self.sources[guild] else (1, SHARED_QUOTE)
        )
        fact_id = self.run(
            moderation.add_fact(
                self.store,
                self.change(guild),
                subject="Kim Jong Un",
                statement=f"A {token} statement.",
                kind="reported",
                source=source_id,
                quote=quote,
                topic=topic,
            )
        )
        return guild, fact_id

    @rule(fact=facts, same=st.booleans())
    def edit_fact(self, fact: tuple[int, int], same: bool) -> None:
        owner, fact_id = fact
        actor = owner if same else next(g for g in SERVERS if g != owner)
        token = self.token(actor)
        work = moderation.edit_fact(
            self.store, self.change(actor), fact_id, statement=f"Now {token} says so."
        )
        self._attempt(work, allowed=same)

    @rule(fact=facts, same=st.booleans(), retract=st.booleans())
    def retract_or_restore(self, fact: tuple[int, int], same: bool, retract: bool) -> None:
        owner, fact_id = fact
        actor = owner if same else next(g for g in SERVERS if g != owner)
        change = self.change(actor, f"{self.token(actor)} reason")
        if retract:
            work = moderation.retract_fact(self.store, change, fact_id)
        else:
            work = moderation.restore_fact(self.store, change, fact_id)
        self._attempt(work, allowed=same, conflict_ok=True)

    @rule(target=meetings, guild=servers, held=st.booleans())
    def add_meeting(self, guild: int, held: bool) -> tuple[int, int]:
        token = self.token(guild)
        result = self.run(
            moderation.add_meeting(
                self.store,
                self.change(guild),
                title=f"{token} talks",
                when="2026-11-20" if held else "2026-11-30 10:00 Asia/Seoul",
                where="Seoul",
                participants=f"Kim Jong Un, {token} envoy",
                source=1,
                quote=SHARED_QUOTE,
                status="held" if held else None,
            )
        )
        return guild, result.meeting_id

    @rule(meeting=meetings, same=st.booleans())
    def edit_meeting(self, meeting: tuple[int, int], same: bool) -> None:
        owner, meeting_id = meeting
        actor = owner if same else next(g for g in SERVERS if g != owner)
        work = moderation.edit_meeting(
            self.store, self.change(actor), meeting_id, title=f"{self.token(actor)} summit"
        )
        self._attempt(work, allowed=same)

    @rule(meeting=consumes(meetings), same=st.booleans())
    def cancel_meeting(self, meeting: tuple[int, int], same: bool) -> None:
        owner, meeting_id = meeting
        actor = owner if same else next(g for g in SERVERS if g != owner)
        change = self.change(actor, f"{self.token(actor)} cancelled")
        self._attempt(moderation.cancel_meeting(self.store, change, meeting_id), allowed=same)

    @rule(guild=servers, hour=st.integers(0, 23))
    def set_digest(self, guild: int, hour: int) -> None:
        self.run(
            self.store.set_digest(guild, guild + 1, time(hour, 0), "Asia/Seoul", self.change(guild))
        )

    @precondition(lambda self: any(self.sources.values()))
    @rule(guild=servers)
    def cite_the_other_servers_source(self, guild: int) -> None:
        other = next(g for g in SERVERS if g != guild)
        if not self.sources[other]:
            return
        source_id, quote = self.sources[other][-1]
        work = moderation.add_fact(
            self.store,
            self.change(guild),
            subject="Kim Jong Un",
            statement=f"A {self.token(guild)} statement.",
            kind="reported",
            source=source_id,
            quote=quote,
        )
        self._attempt(work, allowed=False)

    def _attempt(self, work, *, allowed: bool, conflict_ok: bool = False) -> None:
        try:
            self.run(work)
        except NotFound:
            assert not allowed, "a moderator could not change their own server's row"
            return
        except BriefingError:
            assert conflict_ok or not allowed
            return
        assert allowed, "a moderator changed another server's row"

    # --- what each server sees ------------------------------------------------------

    def seen(self, guild: int) -> str:
        store, now = self.store, FIXED_NOW
        other = next(SERVERS[g] for g in SERVERS if g != guild)
        answers = [
            briefing.who(store, asking(guild, now), "kim"),
            briefing.who(store, asking(guild, now), None),
            briefing.sanctions(store, asking(guild)),
            briefing.timeline(store, asking(guild, now)),
            briefing.next_meeting(store, asking(guild, now)),
            briefing.sources(store, asking(guild)),
            briefing.audit(store, asking(guild), 100),
            briefing.digest(store, asking(guild, now), datetime(2000, 1, 1, tzinfo=UTC)),
            briefing.search(store, asking(guild), SERVERS[guild]),
        ]
        # Searching for the other server's words finds nothing (the title echoes them).
        assert not self.run(briefing.search(store, asking(guild), other)).found
        return "\n".join(render(self.run(answer)) for answer in answers)

    @invariant()
    def neither_server_sees_the_others_data(self) -> None:
        for guild in SERVERS:
            other = next(SERVERS[g] for g in SERVERS if g != guild)
            shown = self.seen(guild)
            assert other not in shown, f"server {guild} was shown {other}…"
            for entry in self.run(self.store.audit_log(guild, 1000)):
                assert entry.guild_id == guild

    @invariant()
    def shared_answers_show_no_servers_data(self) -> None:
        shown = "\n".join(
            render(self.run(answer))
            for answer in [
                briefing.who(self.store, asking(None, FIXED_NOW), "kim"),
                briefing.timeline(self.store, asking(None, FIXED_NOW)),
                briefing.audit(self.store, asking(None), 100),
            ]
        )
        assert not any(token in shown for token in SERVERS.values())


TwoServers.TestCase.settings = settings(
    max_examples=10,
    stateful_step_count=12,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
test_two_servers_never_see_each_others_data = TwoServers.TestCase
