"""A server's settings, as moderators change and read them: the moderator role and the
daily digest. Beside `moderation.py` (which checks facts and meetings): each function
takes the store, checks what was typed, and returns what the command should say or the
value it needs, so that cogs never call the store themselves."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from datetime import time as dt_time

from bot import briefing
from bot.answers import Answer, Asker
from bot.errors import BadInput, BriefingError
from bot.models import Change, DigestSubscription
from bot.schedule import local_day, next_due, rezoned_last_day
from bot.store import Store

NO_DIGEST_HINT = "No daily digest is set. Use `digest set #channel 09:00 Asia/Seoul`."
EVERYONE_REFUSED = (
    "`@everyone` is every member of the server; choose a role that only "
    "moderators have. Nothing was changed."
)


def stamp(moment: datetime) -> str:
    """A Discord timestamp: shown in each reader's own zone, and how far off it is."""
    seconds = int(moment.timestamp())
    return f"<t:{seconds}:F> (<t:{seconds}:R>)"


# --- the moderator role ------------------------------------------------------------------


async def mod_role(store: Store, guild_id: int) -> int | None:
    return await store.mod_role(guild_id)


async def set_mod_role(store: Store, change: Change, guild_id: int, role_id: int | None) -> None:
    """Set (or, with None, clear) the role that moderates `guild_id`. The @everyone role
    (whose id is the server's own) is refused: it would make every member a moderator."""
    if role_id == guild_id:
        raise BadInput(EVERYONE_REFUSED)
    await store.set_mod_role(guild_id, role_id, change)


# --- the daily digest ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DigestSet:
    """What `digest set` stored, and when the first digest will go out."""

    channel_id: int
    when: dt_time
    zone_name: str
    upcoming: datetime


def proposed_setting(
    earlier: DigestSubscription | None,
    guild_id: int,
    channel_id: int,
    when: dt_time,
    zone_name: str,
    now: datetime,
) -> DigestSubscription:
    """The setting `digest set` is about to store, as the store will store it, so that
    its schedule is checked before anything is saved."""
    if earlier is None:
        return DigestSubscription(guild_id, channel_id, when, zone_name, True, now, now)
    return replace(
        earlier,
        channel_id=channel_id,
        local_time=when,
        tz=zone_name,
        enabled=True,
        active_from=now,
        last_sent_day=rezoned_last_day(earlier, zone_name),
    )


def next_line(sub: DigestSubscription, now: datetime) -> str:
    try:
        return f"Next: {stamp(next_due(sub, now))}."
    except (BriefingError, ValueError, OverflowError):  # a stored setting this bot can't use
        return "Next: the stored schedule can't be worked out; set it again with `digest set`."


async def digest_status(store: Store, guild_id: int, now: datetime) -> str:
    """Channel, time, zone, whether it is on, next due and last sent."""
    sub = await store.digest(guild_id)
    if sub is None:
        return NO_DIGEST_HINT
    lines = [f"Channel: <#{sub.channel_id}>, at {sub.local_time:%H:%M} {sub.tz}."]
    if not sub.enabled:
        why = f" ({sub.disabled_reason})" if sub.disabled_reason else ""
        lines.append(f"Off{why}.")
    else:
        lines.append(next_line(sub, now))
    sent = stamp(sub.last_sent_at) if sub.last_sent_at else "never"
    lines.append(f"Last sent: {sent}.")
    return "\n".join(lines)


async def set_digest(
    store: Store, change: Change, guild_id: int, channel_id: int, when: dt_time, zone_name: str
) -> DigestSet:
    """Store the server's digest setting; its next due time is worked out first, so a
    setting that cannot be scheduled is refused and nothing is saved."""
    earlier = await store.digest(guild_id)
    proposed = proposed_setting(earlier, guild_id, channel_id, when, zone_name, change.at)
    upcoming = next_due(proposed, change.at)
    await store.set_digest(guild_id, channel_id, when, zone_name, change)
    return DigestSet(channel_id, when, zone_name, upcoming)


async def turn_off_digest(store: Store, change: Change, guild_id: int) -> None:
    if await store.digest(guild_id) is None:
        raise BadInput("No daily digest is set here.")
    await store.disable_digest(guild_id, None, change)


async def enabled_digest(store: Store, guild_id: int) -> DigestSubscription:
    """The server's digest setting, for `digest now`: it must be set and on."""
    sub = await store.digest(guild_id)
    if sub is None or not sub.enabled:
        raise BadInput("No daily digest is set here; use `digest set` first.")
    return sub


async def digest_preview(
    store: Store, guild_id: int, now: datetime, stale_after: timedelta
) -> Answer:
    """Today's digest in full (the last day's news when none is set), saying what its
    posted summary shows: the counts, the top items, and Show all for the rest."""
    sub = await store.digest(guild_id)
    since = sub.since if sub else now - timedelta(days=1)
    day = local_day(now, sub.tz) if sub else None
    full = await briefing.digest(store, Asker(guild_id, now), since, stale_after, day=day)
    if briefing.digest_summary(full) is not full:
        full.intro = (
            f"Posted as a summary (**{briefing.change_counts(full)}**, the top items, and "
            f"a Show all button for the rest). In full:\n{full.intro}"
        )
    return full


async def untold_problems(store: Store) -> set[int]:
    """Servers whose digest the bot turned off and whose moderators were not yet told."""
    return await store.untold_digest_problems()


async def take_disabled_note(store: Store, guild_id: int) -> str | None:
    """The note for moderators that the bot turned their digest off (and why), marked
    as told; None when there is nothing (any more) to tell."""
    sub = await store.digest(guild_id)
    await store.mark_reason_told(guild_id)
    if sub is None or sub.enabled or not sub.disabled_reason:
        return None
    return (
        f"Note for moderators: the daily digest was turned off because "
        f"{sub.disabled_reason}. Set it again with `digest set`."
    )
