"""Readable logs for an operator, with the bot token scrubbed from every record."""

from __future__ import annotations

import logging
import re
import sys
import uuid

ERROR_ID_LENGTH = 8  # hex digits: enough to find one error in a day's log


def new_error_id() -> str:
    """A short id to find one error in the log; users are shown it instead of details."""
    return uuid.uuid4().hex[:ERROR_ID_LENGTH]


FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"
MARKER = "[token redacted]"
# Discord tokens are 59 or more base64url characters in dot-separated parts. Anything much
# shorter, or with other characters, is not a token: redacting it would only mangle
# ordinary words ("th[token redacted] Discord" for a token "is").
_PLAUSIBLE = re.compile(r"[A-Za-z0-9_\-]+(\.[A-Za-z0-9_\-]+)*")
_SHORTEST = 20
# A token ends at anything but a base64url character (a dot may end a sentence).
_EDGE = r"A-Za-z0-9_\-"


def _plausible(secret: str) -> bool:
    return len(secret) >= _SHORTEST and _PLAUSIBLE.fullmatch(secret) is not None


def _whole(secret: str) -> re.Pattern[str]:
    """The secret where it stands alone, not as part of a longer run of token characters."""
    return re.compile(f"(?<![{_EDGE}]){re.escape(secret)}(?![{_EDGE}])")


PASSWORD_MARKER = "[password redacted]"
# A database password is chosen by a person: any characters, often short. Below this
# length redacting it would mangle ordinary words, and it is guessable anyway.
_SHORTEST_PASSWORD = 6


class RedactFilter(logging.Filter):
    """Replaces plausible tokens, wherever one appears whole in a formatted message (or
    exception text), and database passwords wherever they appear, with a marker."""

    def __init__(self, secrets: list[str], passwords: list[str] | None = None) -> None:
        super().__init__()
        self.patterns = [(_whole(secret), MARKER) for secret in secrets if _plausible(secret)]
        self.patterns += [
            (re.compile(re.escape(password)), PASSWORD_MARKER)
            for password in passwords or []
            if len(password) >= _SHORTEST_PASSWORD
        ]

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.patterns:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        for pattern, marker in self.patterns:
            message = pattern.sub(marker, message)
            if record.exc_text:
                record.exc_text = pattern.sub(marker, record.exc_text)
        record.msg, record.args = message, None
        return True


def setup(
    level: str = "INFO", secrets: list[str] | None = None, passwords: list[str] | None = None
) -> None:
    """Log to stderr at `level`, with `secrets` (tokens) and `passwords` (databases')
    scrubbed from every record."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT, "%Y-%m-%d %H:%M:%S"))
    handler.addFilter(RedactFilter(secrets or [], passwords))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("discord").setLevel("INFO" if level == "DEBUG" else "WARNING")
    # The bot has no voice features; discord.py's warnings about voice libraries are noise.
    logging.getLogger("discord.client").addFilter(
        lambda record: "voice will NOT be supported" not in record.getMessage()
    )
