"""The local console: the same commands a Discord user types, answered in text.

`answer()` handles one line and is what `python -m bot ask` and the tests call; `repl()`
reads lines until EOF, so piped input works too.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import timedelta

from bot import briefing, catalog
from bot.answers import Asker
from bot.clock import Clock, utc_now
from bot.errors import BadInput, BriefingError
from bot.logs import new_error_id
from bot.render import text
from bot.store import Store

log = logging.getLogger(__name__)


def _number(argument: str, what: str) -> int:
    cleaned = argument.strip().lstrip("#").removeprefix("S").removeprefix("s")
    if not cleaned.isdigit() or len(cleaned) > 12:
        raise BadInput(f"Give a {what} number, e.g. `{what} 3`.")
    return int(cleaned)


def _check_arguments(command: str, argument: str, prefix: str) -> None:
    """Refuse words a command would otherwise ignore (`fact 12 extra`, `about now`)."""
    info = catalog.find(command)
    if info is None or info.name != command or info.arguments == "text":
        return
    allowed = 1 if info.arguments == "number" else 0
    extra = argument.split()[allowed:]
    if extra:
        raise BadInput(
            f"too many arguments: “{' '.join(extra)[:40]}” is not needed. "
            f"Usage: `{prefix}{info.usage}`"
        )


def _arguments(info: catalog.CommandInfo, argument: str) -> tuple:
    """A command's arguments, as its builder takes them (catalog says which it takes)."""
    if info.arguments == "number":
        return (_number(argument, info.name),)
    if info.arguments == "text":
        return (argument.strip(),)
    return ()


class Console:
    """Answers command lines against a store, as a member of no server (shared facts)."""

    def __init__(
        self,
        store: Store,
        clock: Clock = utc_now,
        prefix: str = "!",
        stale_after: timedelta = timedelta(days=briefing.STALE_AFTER_DAYS),
        width: int | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.prefix = prefix
        self.stale_after = stale_after
        self.width = width  # None: the terminal's width, asked for each answer
        self.started = clock()
        self.guild_id: int | None = None

    def asker(self) -> Asker:
        return Asker(self.guild_id, self.clock(), self.prefix, self.started)

    async def answer(self, line: str) -> str:
        command, _, argument = line.strip().lstrip(self.prefix + "/").partition(" ")
        command = command.lower()
        if not command:
            return ""
        if command == "help":
            return self._help(argument)
        first = argument.split(" ")[0].lower()
        if command in {"audit", "modrole", "digest", "sync"} or (
            f"{command} {first}" in catalog.MODERATOR_NAMES
        ):
            return text.render_error(
                "changes to the briefing are made on Discord, where moderators are known; "
                "the console only reads. To curate offline, edit data/ and run `build`."
            )
        builder = briefing.READS.get(command)
        info = catalog.find(command)
        if builder is None or info is None:
            guess = catalog.closest(command)
            hint = f" Did you mean `{self.prefix}{guess}`?" if guess else ""
            return text.render_error(
                f"there is no command `{command[:40]}`.{hint} Try `{self.prefix}help`."
            )
        try:
            _check_arguments(command, argument, self.prefix)
            asker = self.asker()
            answer = await builder(self.store, asker, *_arguments(info, argument))
            anchored = briefing.anchor(answer, asker.now, self.stale_after)
            return text.render(anchored, self.width)
        except BriefingError as error:
            return text.render_error(str(error))
        except Exception:
            error_id = new_error_id()
            log.exception("error %s answering %r", error_id, line[:200])
            return text.render_error(
                f"something went wrong (error id {error_id}); it has been logged."
            )

    def _help(self, argument: str) -> str:
        if not argument.strip():
            return text.render_help(self.prefix, self.width)
        info = catalog.find(argument) or catalog.find(argument.split()[0])
        if info is not None:
            return text.render_command_help(info, self.prefix, self.width)
        name = argument.split()[0].lstrip(self.prefix + "/").lower()[:40]
        guess = catalog.closest(name)
        hint = f" Did you mean `{self.prefix}{guess}`?" if guess else ""
        return text.render_error(f"there is no command `{name}`.{hint} Try `{self.prefix}help`.")

    async def repl(self) -> None:
        interactive = sys.stdin.isatty()
        if interactive:
            print("Briefing console. Type !help for commands; Ctrl-D to leave.")
        while True:
            try:
                line = await asyncio.to_thread(input, "briefing> " if interactive else "")
            except EOFError:
                break
            if line.strip().lower() in {"quit", "exit", "!quit", "!exit"}:
                break
            reply = await self.answer(line)
            if reply:
                print(reply, end="\n\n", flush=True)
