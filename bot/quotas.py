"""How much one server may store: the per-server quotas, in one place.

A server's moderators are untrusted beyond their server, so what they store is bounded,
and a full disk cannot be one server's doing. Curators' shared writes are not counted
against any server. Moderators cannot delete sources, so the source quotas are for the
life of the server's briefing; retracted facts and cancelled meetings still count (their
rows and history are kept).
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.errors import BadInput
from bot.models import Usage


@dataclass(frozen=True, slots=True)
class Quota:
    sources: int
    source_bytes: int  # UTF-8 bytes of all the server's source texts together
    facts: int
    meetings: int


SERVER_QUOTA = Quota(sources=25, source_bytes=2_000_000, facts=1_000, meetings=300)

_ASK = "Ask the bot's curators if this server needs more."


def check_source(usage: Usage, text_bytes: int, quota: Quota | None = None) -> None:
    quota = quota or SERVER_QUOTA
    if usage.sources + 1 > quota.sources:
        raise BadInput(
            f"This server has {usage.sources} sources, its limit of {quota.sources}. {_ASK}"
        )
    total = usage.source_bytes + text_bytes
    if total > quota.source_bytes:
        raise BadInput(
            f"This source would bring this server's source text to {total // 1000:,} kB; "
            f"the limit is {quota.source_bytes // 1000:,} kB a server "
            f"({usage.source_bytes // 1000:,} kB used). {_ASK}"
        )


def check_fact(usage: Usage, quota: Quota | None = None) -> None:
    quota = quota or SERVER_QUOTA
    if usage.facts + 1 > quota.facts:
        raise BadInput(
            f"This server has {usage.facts:,} facts, its limit of {quota.facts:,} "
            f"(retracted ones count). {_ASK}"
        )


def check_meeting(usage: Usage, quota: Quota | None = None) -> None:
    quota = quota or SERVER_QUOTA
    if usage.meetings + 1 > quota.meetings:
        raise BadInput(
            f"This server has {usage.meetings:,} meetings, its limit of {quota.meetings:,} "
            f"(cancelled ones count). {_ASK}"
        )
