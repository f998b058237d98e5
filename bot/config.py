"""Configuration from the environment and an optional `.env` file.

The environment wins over `.env`. The token is kept out of `repr`, so logging a config
never leaks it. Every value is checked here, so a bad one stops the program with one
line naming the variable (or the `.env` line) before anything starts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from bot.errors import BadInput

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "var" / "briefing.sqlite3"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
LARGEST_ID = 2**64 - 1  # Discord ids are unsigned 64-bit snowflakes
WEB, SOCKETS = ("http", "https"), ("ws", "wss")
EXAMPLES = {
    WEB: ("an http(s)", "http://127.0.0.1:8080/api/v10"),
    SOCKETS: ("a ws(s)", "ws://127.0.0.1:8080/gateway"),
}

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def read_dotenv(path: Path) -> dict[str, str]:
    """NAME=value lines, as python-dotenv and docker compose read them: blank lines and
    `#` comment lines skipped; an optional `export ` prefix; a value in single quotes is
    literal, one in double quotes understands \\" \\\\ \\n \\t; an unquoted value ends at
    whitespace followed by `#`. Anything else is refused, naming the line."""
    if not path.is_file():
        return {}
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise BadInput(f"{path} is not UTF-8 text (byte {error.start}); save it as UTF-8") from None
    values: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        name, equals, rest = line.removeprefix("export ").partition("=")
        name = name.strip()
        if not equals or not _NAME.fullmatch(name):
            raise BadInput(f"{path} line {number}: expected NAME=value")
        try:
            values[name] = _value(rest.strip())
        except ValueError as error:
            raise BadInput(f"{path} line {number}: {error}") from None
    return values


def _value(text: str) -> str:
    if not text or text[0] not in "'\"":
        return re.split(r"\s#", text, maxsplit=1)[0].rstrip()
    quote = text[0]
    value, end = _quoted(text, quote)
    after = text[end + 1 :].strip()
    if after and not after.startswith("#"):
        raise ValueError("unexpected text after the closing quote")
    return value


def _quoted(text: str, quote: str) -> tuple[str, int]:
    """The value inside the quotes that open `text`, and where its closing quote is."""
    if quote == "'":
        end = text.find("'", 1)
        if end < 0:
            raise ValueError("the closing ' is missing")
        return text[1:end], end
    out: list[str] = []
    index = 1
    while index < len(text):
        char = text[index]
        if char == '"':
            return "".join(out), index
        if char == "\\" and index + 1 < len(text):
            index += 1
            char = _ESCAPES.get(text[index], "\\" + text[index])
        out.append(char)
        index += 1
    raise ValueError('the closing " is missing')


def _owner_ids(text: str) -> frozenset[int]:
    ids = set()
    for part in text.replace(",", " ").split():
        if not part.isdecimal() or not 0 < int(part) <= LARGEST_ID:
            raise BadInput(
                f"BRIEFING_OWNER_IDS must be user ids separated by commas; {part[:40]!r} is not one"
            )
        ids.add(int(part))
    return frozenset(ids)


def _url(name: str, text: str | None, schemes: tuple[str, str]) -> str | None:
    """A URL with one of `schemes` and a host, or None when unset."""
    if not text:
        return None
    parsed = urlsplit(text.strip())
    if parsed.scheme not in schemes or not parsed.netloc:
        kind, example = EXAMPLES[schemes]
        raise BadInput(f"{name} must be {kind} URL such as {example}; not {text[:80]!r}")
    return text.strip()


def _log_level(text: str | None) -> str | None:
    if not text:
        return None
    level = text.strip().upper()
    if level not in LOG_LEVELS:
        raise BadInput(
            f"BRIEFING_LOG_LEVEL must be one of {', '.join(LOG_LEVELS)}; not {text[:40]!r}"
        )
    return level


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


def _fetch_allow(text: str) -> str:
    from bot.fetch import Allowlist

    try:
        Allowlist.parse(text)
    except ValueError:
        raise BadInput(
            "BRIEFING_FETCH_ALLOW must be hosts or host:port pairs separated by commas "
            f"(e.g. 127.0.0.1:8123,localhost); not {text[:80]!r}"
        ) from None
    return text


MAX_SHARDS = 10_000  # far beyond any bot this is meant for; a typo, not a plan
SWITCHES = {"on": True, "true": True, "yes": True, "1": True}
SWITCHES |= {"off": False, "false": False, "no": False, "0": False}


def _shard_count(text: str | None) -> int | None:
    if not text or not text.strip():
        return None
    value = text.strip()
    if not value.isdecimal() or not 0 < int(value) <= MAX_SHARDS:
        raise BadInput(
            f"BRIEFING_SHARD_COUNT must be a whole number from 1 to {MAX_SHARDS}; not {text[:40]!r}"
        )
    return int(value)


def _shard_ids(text: str | None, count: int | None) -> tuple[int, ...] | None:
    """`0-3`, `0,2` or `0-1,3`: the shards this process runs (None: all of them)."""
    if not text or not text.strip():
        return None
    if count is None:
        raise BadInput(
            "BRIEFING_SHARD_IDS needs BRIEFING_SHARD_COUNT (the total over all processes)"
        )
    ids: set[int] = set()
    for part in text.replace(" ", "").split(","):
        first, dash, last = part.partition("-")
        if not first.isdecimal() or (dash and not last.isdecimal()):
            raise BadInput(
                f"BRIEFING_SHARD_IDS must be shard numbers or ranges such as 0-3 or 0,2; "
                f"{part[:40]!r} is not one"
            )
        low, high = int(first), int(last) if dash else int(first)
        if low > high or high >= count:
            raise BadInput(
                f"BRIEFING_SHARD_IDS: {part[:40]!r} is not within shards 0 to {count - 1} "
                f"(BRIEFING_SHARD_COUNT is {count})"
            )
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def db_target(text: str | None) -> Path | str:
    """A SQLite file's path, or a PostgreSQL URL (postgresql://user:password@host/db),
    kept as text. Any other URL is refused in words: taken as a path it would make
    folders named after the URL."""
    if not text:
        return DEFAULT_DB
    if re.match(r"[A-Za-z][A-Za-z0-9+.-]*://", text):
        scheme = text.split(":", 1)[0]
        if scheme.lower() in {"postgresql", "postgres"}:
            return text.strip()
        raise BadInput(
            f"BRIEFING_DB must be the path of a SQLite file or a postgresql:// URL; "
            f"{scheme[:20]}:// databases are not supported"
        )
    return Path(text)


def db_password(target: Path | str) -> str:
    """The password in a PostgreSQL URL, before the host or as `?password=` ('' if
    none), to keep it out of every log line."""
    if isinstance(target, Path) or "://" not in target:
        return ""
    try:
        parts = urlsplit(target)
        found = parse_qs(parts.query).get("password", [""])[0]
        return unquote(parts.password or "") or found
    except ValueError:
        return ""


def _switch(name: str, text: str | None, default: bool) -> bool:
    if not text or not text.strip():
        return default
    value = SWITCHES.get(text.strip().lower())
    if value is None:
        raise BadInput(f"{name} must be on or off; not {text[:40]!r}")
    return value


@dataclass(frozen=True)
class Config:
    token: str | None = field(default=None, repr=False)
    api_base: str | None = None
    gateway_url: str | None = None
    db_path: Path | str = field(default=DEFAULT_DB, repr=False)  # a path or a URL
    prefix: str = "!"
    owner_ids: frozenset[int] = frozenset()
    log_level: str = "INFO"
    # Past this age of the newest source an answer rests on, it says it may be out of date.
    stale_after_days: int = 30
    fetch_allow: str = ""  # BRIEFING_FETCH_ALLOW: hosts fetches may reach though not public
    # The console's answers share the terminal with the log: warnings only there, unless
    # BRIEFING_LOG_LEVEL (in the environment or .env) asks for something else.
    console_log_level: str = "WARNING"
    # Sharding: the total over all processes (None: Discord's recommendation) and the
    # shards this process runs (None: all of them).
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None
    # Off: no Message Content intent; commands by slash, or by mentioning the bot.
    message_commands: bool = True

    @property
    def stale_after(self) -> timedelta:
        return timedelta(days=self.stale_after_days)

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, dotenv: Path | None = None
    ) -> Config:
        """The configuration, or BadInput naming the variable or `.env` line at fault."""
        values = read_dotenv(dotenv if dotenv is not None else Path.cwd() / ".env")
        values.update(os.environ if environ is None else environ)
        level = _log_level(values.get("BRIEFING_LOG_LEVEL"))
        api_base = _url("DISCORD_API_BASE", values.get("DISCORD_API_BASE"), WEB)
        shard_count = _shard_count(values.get("BRIEFING_SHARD_COUNT"))
        return cls(
            token=values.get("DISCORD_TOKEN") or None,
            api_base=api_base.rstrip("/") if api_base else None,
            gateway_url=_url("DISCORD_GATEWAY_URL", values.get("DISCORD_GATEWAY_URL"), SOCKETS),
            db_path=db_target(values.get("BRIEFING_DB")),
            prefix=values.get("BRIEFING_PREFIX") or "!",
            owner_ids=_owner_ids(values.get("BRIEFING_OWNER_IDS", "")),
            log_level=level or "INFO",
            console_log_level=level or "WARNING",
            stale_after_days=_days(
                values.get("BRIEFING_STALE_AFTER_DAYS", ""), "BRIEFING_STALE_AFTER_DAYS", 30
            ),
            fetch_allow=_fetch_allow(values.get("BRIEFING_FETCH_ALLOW", "")),
            shard_count=shard_count,
            shard_ids=_shard_ids(values.get("BRIEFING_SHARD_IDS"), shard_count),
            message_commands=_switch(
                "BRIEFING_MESSAGE_COMMANDS", values.get("BRIEFING_MESSAGE_COMMANDS"), True
            ),
        )
