"""`next-meeting`, `timeline` and `meeting <id>` for everyone; `meeting add|edit|cancel`
for moderators."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot import briefing, moderation, pictures
from bot.checks import (
    member_cooldown,
    moderator_cooldown,
    moderator_only,
    scope_of_row,
    write_scope,
)
from bot.context import BriefingContext
from bot.core import BriefingBot
from bot.flags import STATUS_CHOICES, MeetingAddFlags, MeetingEditFlags, RowId, typed
from bot.models import Table
from bot.moderation import MeetingEdits, MeetingInput
from bot.usertext import user


class Meetings(commands.Cog):
    @commands.hybrid_command(name="next-meeting", description="The next upcoming meeting")
    @member_cooldown()
    async def next_meeting(self, ctx: BriefingContext) -> None:
        """The next upcoming meeting, or the most recent past one."""
        await ctx.brief(briefing.next_meeting, timed=True)

    @commands.hybrid_command(name="timeline", description="All meetings and dated events")
    @member_cooldown()
    async def timeline(self, ctx: BriefingContext) -> None:
        """All meetings and dated events in order."""
        await ctx.brief(
            briefing.timeline,
            timed=True,
            picture=lambda answer: ctx.act(
                pictures.timeline_picture, answer, ctx.scope, ctx.now(), title="Timeline"
            ),
        )

    @commands.hybrid_group(name="meeting", fallback="show", invoke_without_command=True)
    @member_cooldown()
    async def meeting(self, ctx: BriefingContext, meeting_id: RowId) -> None:
        """One meeting, with how its date was worked out."""
        await ctx.brief(briefing.meeting, meeting_id, cached=False)

    @meeting.command(name="add")
    @app_commands.choices(status=STATUS_CHOICES)
    @moderator_only()
    @moderator_cooldown()
    async def add(self, ctx: BriefingContext, *, flags: MeetingAddFlags) -> None:
        """Add a meeting: title, when, where, participants, source, quote."""
        scope = await write_scope(ctx, flags.scope)
        meeting = typed(MeetingInput, flags)
        result = await ctx.act(moderation.add_meeting, ctx.change(scope), meeting)
        await self._confirm(ctx, f"Added meeting {result.meeting_id}", result)

    @meeting.command(name="edit")
    @app_commands.choices(status=STATUS_CHOICES)
    @moderator_only()
    @moderator_cooldown()
    async def edit(
        self, ctx: BriefingContext, meeting_id: RowId, *, flags: MeetingEditFlags
    ) -> None:
        """Correct a meeting; only the values given change."""
        scope = await scope_of_row(ctx, Table.MEETINGS, meeting_id, flags.scope)
        edits = typed(MeetingEdits, flags)
        result = await ctx.act(moderation.edit_meeting, ctx.change(scope), meeting_id, edits)
        await self._confirm(ctx, f"Meeting {meeting_id} corrected", result)

    @meeting.command(name="cancel")
    @moderator_only()
    @moderator_cooldown()
    async def cancel(self, ctx: BriefingContext, meeting_id: RowId, *, reason: str) -> None:
        """Mark a meeting cancelled, with the reason."""
        scope = await scope_of_row(ctx, Table.MEETINGS, meeting_id)
        await ctx.act(moderation.cancel_meeting, ctx.change(scope, reason), meeting_id)
        await ctx.send_text(f"Meeting {meeting_id} marked cancelled.")

    async def _confirm(
        self, ctx: BriefingContext, title: str, result: moderation.MeetingResult
    ) -> None:
        answer = briefing.confirmation(
            title,
            f"How the date was read: {user(result.when.resolution)}.",
            when=result.when,
            now=ctx.now(),
        )
        await ctx.send_answer(answer)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Meetings())
