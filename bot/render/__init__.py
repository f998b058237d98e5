"""Turning briefing answers into text: console text here, Discord embeds in `embeds`."""
