"""Who may run what, stated in one place (Red-DiscordBot style), and the spam cooldown."""

from __future__ import annotations

from discord.ext import commands

# Per-user: at most 5 commands in 10 seconds, whatever the channel.
COOLDOWN_RATE = 5
COOLDOWN_SECONDS = 10.0


def member_cooldown():
    return commands.cooldown(COOLDOWN_RATE, COOLDOWN_SECONDS, commands.BucketType.user)
