"""The Korean-peninsula briefing bot: a cited fact store, a console and a Discord client."""

__version__ = "0.1.0"
