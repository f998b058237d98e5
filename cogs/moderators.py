"""`modrole set|show|clear` (server managers) and `audit` (moderators)."""

from __future__ import annotations

import discord
from discord.ext import commands

from bot import briefing, settings
from bot.checks import member_cooldown, moderator_cooldown, moderator_only
from bot.context import BriefingContext, GuildContext
from bot.core import BriefingBot


class Moderators(commands.Cog):
    # mypy cannot solve discord.py's hybrid-command callback type (a union over
    # Concatenate); the other hybrid commands escape it only through untyped checks.
    @commands.hybrid_group(name="modrole", fallback="show", invoke_without_command=True)  # type: ignore[arg-type]
    @commands.guild_only()
    async def modrole(self, ctx: GuildContext) -> None:
        """Show which role counts as moderator here."""
        role_id = await ctx.act(settings.mod_role, ctx.guild.id)
        role = ctx.guild.get_role(role_id) if role_id and ctx.guild else None
        text = f"Moderator role: {role.mention}." if role else "No moderator role is set."
        await ctx.send_text(text + " Members with Manage Server or Manage Messages moderate too.")

    @modrole.command(name="set")
    @commands.guild_only()
    @commands.has_permissions(manage_guild=True)
    @moderator_cooldown()
    async def set_role(self, ctx: GuildContext, role: discord.Role) -> None:
        """Let members with this role add and correct this server's facts."""
        await ctx.act(settings.set_mod_role, ctx.change(ctx.scope), role.guild.id, role.id)
        await ctx.send_text(f"Members with {role.mention} can now moderate this server's facts.")

    @modrole.command(name="clear")
    @commands.guild_only()
    @commands.has_permissions(manage_guild=True)
    @moderator_cooldown()
    async def clear_role(self, ctx: GuildContext) -> None:
        """Stop treating any role as moderator."""
        await ctx.act(settings.set_mod_role, ctx.change(ctx.scope), ctx.guild.id, None)
        await ctx.send_text("The moderator role is cleared.")

    @commands.hybrid_command(
        name="audit", description="Moderators: recent changes here", extras={"private": True}
    )
    @moderator_only()
    @member_cooldown()
    async def audit(self, ctx: BriefingContext, limit: commands.Range[int, 1, 100] = 20) -> None:
        """The latest changes to this server's facts (or the shared ones, in DMs)."""
        await ctx.brief(briefing.audit, limit, cached=False, ephemeral=True)


async def setup(bot: BriefingBot) -> None:
    await bot.add_cog(Moderators())
