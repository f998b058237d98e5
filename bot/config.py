"""Configuration from the environment and an optional `.env` file.

The environment wins over `.env`. The token is kept out of `repr`, so logging a config
never leaks it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from bot.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "var" / "briefing.sqlite3"


def read_dotenv(path: Path) -> dict[str, str]:
    """KEY=VALUE lines; blank lines and # comments skipped; quotes around values removed."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        values[key.strip().removeprefix("export ").strip()] = value.strip().strip("'\"")
    return values


def _owner_ids(text: str) -> frozenset[int]:
    try:
        return frozenset(int(part) for part in text.replace(",", " ").split())
    except ValueError:
        raise BadInput("BRIEFING_OWNER_IDS must be user ids separated by commas.") from None


def _days(text: str, name: str, default: int) -> int:
    if not text.strip():
        return default
    try:
        days = int(text)
    except ValueError:
        days = -1
    if days < 0:
        raise BadInput(f"{name} must be a whole number of days (0 or more).")
    return days


@dataclass(frozen=True)
class Config:
    token: str | None = field(default=None, repr=False)
    api_base: str | None = None
    gateway_url: str | None = None
    db_path: Path = DEFAULT_DB
    prefix: str = "!"
    owner_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    # Past this age of the newest source an answer rests on, it says it may be out of date.
    stale_after_days: int = 30

    @property
    def stale_after(self) -> timedelta:
        return timedelta(days=self.stale_after_days)

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Config:
        values = read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env")
        values.update(os.environ if environ is None else environ)
        return cls(
            token=values.get("DISCORD_TOKEN") or None,
            api_base=(values.get("DISCORD_API_BASE") or "").rstrip("/") or None,
            gateway_url=values.get("DISCORD_GATEWAY_URL") or None,
            db_path=Path(values.get("BRIEFING_DB") or DEFAULT_DB),
            prefix=values.get("BRIEFING_PREFIX") or "!",
            owner_ids=_owner_ids(values.get("BRIEFING_OWNER_IDS", "")),
            log_level=(values.get("BRIEFING_LOG_LEVEL") or "INFO").upper(),
            stale_after_days=_days(
                values.get("BRIEFING_STALE_AFTER_DAYS", ""), "BRIEFING_STALE_AFTER_DAYS", 30
            ),
        )
