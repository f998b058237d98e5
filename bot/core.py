"""The Discord client: an AutoShardedBot that opens the store and loads every cog.

One process may run every shard (the default) or some of them (BRIEFING_SHARD_IDS out of
BRIEFING_SHARD_COUNT), so a large bot can be split over several processes on one store.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import hashlib
import json
import logging
import os
import pkgutil
import signal
import sys
import threading
from collections.abc import Awaitable, Callable
from typing import Any, Concatenate, ParamSpec, TypeVar, cast

import discord
import yarl
from discord import app_commands
from discord.ext import commands
from discord.gateway import DiscordWebSocket
from discord.http import Route

import cogs
from bot import dates
from bot.build import ensure_built, read_only_notice
from bot.cache import AnswerCache
from bot.clock import Clock, utc_now
from bot.config import Config
from bot.context import BriefingContext
from bot.errors import StoreUnavailable
from bot.store import Store
from bot.views import DigestButton, FoldedMenu, LivePages, QuotesButton, SuggestButton

log = logging.getLogger(__name__)

P = ParamSpec("P")
T = TypeVar("T")
COMMAND_HASH_KEY = "app_commands_hash"

# Shutting down on SIGTERM: service managers wait 10 s before SIGKILL; we take at most
# SHUTDOWN_LIMIT, of which running answers may use HANDLER_GRACE, Discord's close
# handshake CLOSE_GRACE, and the connection task, once cancelled, RUNNER_GRACE.
SHUTDOWN_LIMIT = 4.5
HANDLER_GRACE = 2.5
CLOSE_GRACE = 1.0
RUNNER_GRACE = 0.5


def intents(message_commands: bool = True) -> discord.Intents:
    """Only what the bot needs: servers, their messages, and message text for `!`
    commands (the privileged Message Content intent) unless those are turned off: then
    commands come by slash, or in messages that mention the bot, whose text Discord
    delivers without the intent."""
    chosen = discord.Intents.none()
    chosen.guilds = True
    chosen.guild_messages = True
    chosen.message_content = message_commands
    return chosen


def shard_ids_of(config: Config) -> dict[str, Any]:
    """The shards this process runs, as discord.py's keyword; none given: all of them."""
    return {} if config.shard_ids is None else {"shard_ids": list(config.shard_ids)}


def prefix_of(config: Config) -> Callable:
    """`!who kim` and `@Briefing who kim`; only the latter without message commands."""
    if config.message_commands:
        return commands.when_mentioned_or(config.prefix)
    return commands.when_mentioned


def shard_of(guild_id: int, shard_count: int) -> int:
    """The shard Discord sends a server's events to."""
    return (guild_id >> 22) % shard_count


def point_at(api_base: str | None, gateway_url: str | None) -> None:
    """Send REST to a Discord-compatible base URL and dial the given gateway.

    discord.py keeps both as class attributes: Route.BASE for REST, and
    DiscordWebSocket.DEFAULT_GATEWAY, which a non-sharded client dials (and falls back
    to after an invalid session) without ever asking /gateway/bot.
    """
    if api_base:
        Route.BASE = api_base.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


def skip_own_messages(bot: discord.Client) -> None:
    """Discord sends the bot a MESSAGE_CREATE for every message it posts itself, which
    discord.py would parse into a Message (embeds, buttons, menus and all) and dispatch
    as `message`, to be ignored: nothing here reads the bot's own messages (commands
    ignore bots; the message cache is off). Drop them before parsing. Left alone if
    discord.py's connection state does not name its parser as expected."""
    parsers = getattr(bot._connection, "parsers", None)
    if not isinstance(parsers, dict) or not callable(parsers.get("MESSAGE_CREATE")):
        log.warning("discord.py's MESSAGE_CREATE parser not found: own messages are parsed")
        return
    original = parsers["MESSAGE_CREATE"]
    if getattr(original, "skips_own", False):
        return

    def parse(data: dict) -> None:
        user = bot.user
        if user is not None and (data.get("author") or {}).get("id") == str(user.id):
            return
        original(data)

    parse.skips_own = True  # type: ignore[attr-defined]
    parsers["MESSAGE_CREATE"] = parse


def freeze_what_lives() -> None:
    """Collect, then move every object alive now to the collector's permanent generation:
    full collections stop walking start-up's objects, which live as long as the process
    (measured: bench/whatif.py `gcfreeze`). Objects frozen still die when nothing refers
    to them; only cycles among them would stay."""
    gc.collect()
    gc.freeze()


class InFlight:
    """The tasks answering users right now: a command (from the moment it is read, its
    checks included), an error reply, a button click or a form submission each enters
    itself, and leaves when its task ends (however it ends). The gateway and the digest
    loop never enter."""

    def __init__(self) -> None:
        self._tasks: set[asyncio.Task] = set()

    def __len__(self) -> int:
        return len(self.pending())

    def enter(self) -> None:
        """Count the running task as work in flight until it ends."""
        task = asyncio.current_task()
        if task is not None and task not in self._tasks:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def pending(self) -> set[asyncio.Task]:
        current = asyncio.current_task()
        return {task for task in self._tasks if task is not current and not task.done()}


class BriefingTree(app_commands.CommandTree):
    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        """A slash command is work in flight from here, its permission checks included."""
        cast("BriefingBot", self.client).in_flight.enter()
        return True


class GatewayUnreachable(Exception):
    """The very first gateway connection failed (its cause is the reason)."""


class BriefingBot(commands.AutoShardedBot):
    def __init__(
        self,
        config: Config,
        *,
        clock: Clock = utc_now,
        store: Store | None = None,
        answers: AnswerCache | None = None,
        run_digests: bool = True,
        freeze_startup: bool = False,
    ) -> None:
        """`store`: opened in setup_hook when not given (and `answers`, the answer cache
        over it, made then). `run_digests`: False when the caller (a test) drives the
        digest dispatcher's ticks itself. `freeze_startup`: once set up, leave what
        start-up made (modules, store, cogs) out of every later full garbage collection
        (`python -m bot` does; a test process, which starts many bots, does not)."""
        super().__init__(
            command_prefix=prefix_of(config),
            intents=intents(config.message_commands),
            shard_count=config.shard_count,
            **shard_ids_of(config),
            allowed_mentions=discord.AllowedMentions.none(),
            help_command=None,
            case_insensitive=True,
            strip_after_prefix=True,
            tree_cls=BriefingTree,
            # Nothing reads discord.py's cache of recent messages (no edit or delete
            # handlers, no cached_messages): keeping 1,000 of them only feeds the GC.
            max_messages=None,
        )
        self.config = config
        self.clock = clock
        self.started = clock()
        self.defer_after = 2.0  # seconds before a slow slash answer is deferred
        self.run_digests = run_digests
        self.freeze_startup = freeze_startup
        # Messages whose page buttons a running AnswerView answers (bot/views.py).
        self.live_pages = LivePages()
        self.in_flight = InFlight()  # what a shutdown lets finish first (see drain)
        self._prefix_cache: tuple[int | None, tuple[str, ...]] | None = None
        self._store: Store | None = store
        if answers is None and store is not None:
            answers = AnswerCache(store)
        self._answers = answers
        self.before_invoke(self._start_deadline)
        self.after_invoke(self._stop_deadline)

    @property
    def store(self) -> Store:
        if self._store is None:
            raise RuntimeError("the store is opened in setup_hook")
        return self._store

    @property
    def answers(self) -> AnswerCache:
        if self._answers is None:
            raise RuntimeError("the answer cache is made with the store, in setup_hook")
        return self._answers

    async def act(
        self,
        action: Callable[Concatenate[Store, P], Awaitable[T]],
        *args: P.args,
        **kwargs: P.kwargs,
    ) -> T:
        """Run a bot/ function that takes the store first (settings, moderation): cogs
        hand their work over this way and never call the store themselves."""
        return await action(self.store, *args, **kwargs)

    async def process_commands(self, message: discord.Message, /) -> None:
        """A `!` command is work in flight from here on, its permission checks (which may
        wait on Discord) included; a shutdown lets it finish (see drain). Ordinary chat
        (every message, with the Message Content intent) is dropped first, by the same
        test discord.py makes: the text does not start with a prefix."""
        if message.author.bot or not message.content.startswith(await self._prefixes(message)):
            return
        self.in_flight.enter()
        await super().process_commands(message)

    async def _prefixes(self, message: discord.Message) -> tuple[str, ...]:
        """The command prefixes (`!`, and the bot's mention), made once: they change only
        with the bot's user, which is set once logged in."""
        user_id = self.user.id if self.user else None
        if self._prefix_cache is None or self._prefix_cache[0] != user_id:
            found = await self.get_prefix(message)
            self._prefix_cache = (user_id, (found,) if isinstance(found, str) else tuple(found))
        return self._prefix_cache[1]

    async def get_context(self, origin, /, *, cls=BriefingContext):
        return await super().get_context(origin, cls=cls)

    async def login(self, token: str) -> None:
        point_at(self.config.api_base, self.config.gateway_url)
        await super().login(token)

    async def setup_hook(self) -> None:
        # The zone names (dateutil's bundled database: ~0.1 s of CPU) are listed by the
        # first answer that shows a meeting: read them now, off the loop, while starting.
        zones = asyncio.create_task(asyncio.to_thread(dates.known_zones))
        await self._discover_gateway()
        if self._store is None:
            self._store = await Store.open(self.config.db_path)
        if self._store.read_only and self.run_digests:
            # A delivery is recorded before and after it is sent (so none goes out twice):
            # with nothing recordable, none is attempted.
            self.run_digests = False
            log.warning("digests are off while the store is read-only")
        if self._answers is None:
            self._answers = AnswerCache(self._store)
        skip_own_messages(self)
        self.add_dynamic_items(QuotesButton, FoldedMenu, SuggestButton, DigestButton)
        report = await ensure_built(self._store, now=self.clock())
        if report:
            log.info("store refreshed from data/: %s", report)
        for module in pkgutil.iter_modules(cogs.__path__):
            await self.load_extension(f"cogs.{module.name}")
        await self.sync_commands_if_changed()
        await zones
        if self.freeze_startup:
            freeze_what_lives()

    async def launch_shard(
        self, gateway: yarl.URL, shard_id: int, *, initial: bool = False
    ) -> None:
        """discord.py retries a shard's failed first connection every 5 s for ever (it
        calls this again from its error handler). Before any shard has connected that
        is a wrong address or a Discord that is not there: stop, saying so."""
        failed = sys.exception()
        if failed is not None and not self.shards:
            raise GatewayUnreachable(str(failed) or type(failed).__name__) from failed
        await super().launch_shard(gateway, shard_id, initial=initial)

    async def _discover_gateway(self) -> None:
        """Ask /gateway/bot for the shard count Discord recommends (unless configured)
        and, for a Discord-compatible API base, its gateway. discord.py would ask itself
        but then dial what it was told, ignoring DISCORD_GATEWAY_URL."""
        discover = bool(self.config.api_base and not self.config.gateway_url)
        if self.shard_count is not None and not discover:
            return
        count, url, _ = await self.http.get_bot_gateway()
        if self.shard_count is None:
            self.shard_count = count
            log.info("Discord recommends %d shard(s)", count)
        if discover:
            point_at(None, url)
            log.info("gateway discovered at %s", url)

    def command_schema_hash(self) -> str:
        commands_ = sorted(self.tree.get_commands(), key=lambda command: command.name)
        schema = [command.to_dict(self.tree) for command in commands_]
        payload = json.dumps(schema, sort_keys=True, default=str)
        return hashlib.sha256(payload.encode()).hexdigest()

    async def sync_commands_if_changed(self, *, force: bool = False) -> bool:
        """Sync slash commands only when their schema changed since the last sync."""
        digest = self.command_schema_hash()
        if not force and await self.store.get_meta(COMMAND_HASH_KEY) == digest:
            log.info("slash commands unchanged; not syncing")
            return False
        synced = await self.tree.sync()
        log.info("synced %d slash commands", len(synced))
        try:
            await self.store.set_meta(COMMAND_HASH_KEY, digest)
        except StoreUnavailable as error:
            log.warning(
                "not remembering the slash command sync (%s): next start syncs again", error
            )
        return True

    def running_shards(self) -> tuple[int, ...]:
        """The shards this process runs (known once connecting has begun)."""
        if self.shard_ids is not None:
            return tuple(self.shard_ids)
        return tuple(range(self.shard_count or 1))

    def owns_guild(self, guild_id: int) -> bool:
        """Whether this process runs the shard of server `guild_id` (its digests are ours)."""
        return shard_of(guild_id, self.shard_count or 1) in self.running_shards()

    def shard_share(self) -> float:
        """This process's part of the bot's traffic: its shards over all shards."""
        return len(self.running_shards()) / (self.shard_count or 1)

    def shards_line(self) -> str:
        """E.g. `shards 0, 1 of 4`: what this process runs."""
        ids = ", ".join(str(shard) for shard in self.running_shards())
        return (
            f"shard{'s' if len(self.running_shards()) > 1 else ''} {ids} of {self.shard_count or 1}"
        )

    async def is_curator(self, user: discord.abc.User) -> bool:
        """Curators keep the shared facts: the application owner and BRIEFING_OWNER_IDS."""
        return user.id in self.config.owner_ids or await self.is_owner(user)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        """Drop events once closing: discord.py announces `ready` up to two seconds after
        connecting, and a bot stopped before then has no loop left to run its handlers on
        (they would be coroutines nobody awaits)."""
        if self.is_closed():
            log.debug("closing: not running %s", event_name)
            return
        super().dispatch(event_name, *args, **kwargs)

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (%s) to %d servers on %s; message commands %s",
            self.user,
            getattr(self.user, "id", "?"),
            len(self.guilds),
            self.shards_line(),
            "on" if self.config.message_commands else "off (slash and @mention only)",
        )

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s is ready", shard_id, self.shard_count)

    async def _start_deadline(self, ctx: BriefingContext) -> None:
        """Discord drops a slash command not answered within 3 seconds: if the answer is
        still being worked on after `defer_after`, defer it (privately for commands whose
        answers are private), whatever the command is waiting on. From here on the
        command is work in flight, which a shutdown waits for."""
        self.in_flight.enter()
        if ctx.interaction is not None:
            # A timer, not a task: most answers are sent long before it would fire.
            ctx.deadline_timer = asyncio.get_running_loop().call_later(
                self.defer_after, self._defer_now, ctx
            )

    def _defer_now(self, ctx: BriefingContext) -> None:
        ctx.deadline = asyncio.create_task(self._defer(ctx))

    async def _defer(self, ctx: BriefingContext) -> None:
        interaction = ctx.interaction
        if interaction is not None and not interaction.response.is_done():
            ctx.deferring = True  # from here on, let the deferral finish (see send)
            private = bool(ctx.command and ctx.command.extras.get("private"))
            with contextlib.suppress(discord.HTTPException, discord.InteractionResponded):
                await interaction.response.defer(ephemeral=private, thinking=True)

    async def _stop_deadline(self, ctx: BriefingContext) -> None:
        await ctx.settle_deadline()

    async def drain(self, grace: float = HANDLER_GRACE) -> None:
        """Wait (up to `grace` seconds) for the handlers already running (commands,
        their error replies, button clicks) to finish sending their answers."""
        pending = self.in_flight.pending()
        if not pending:
            return
        log.info("waiting for %d running handler(s) to finish", len(pending))
        _, late = await asyncio.wait(pending, timeout=grace)
        if late:
            log.warning("closing with %d handler(s) still running", len(late))

    async def close_discord(self) -> None:
        """discord.py's close (cogs, gateway, HTTP session), bounded: a Discord that does
        not answer the websocket's close handshake (10 s in aiohttp) must not hold up
        the exit. The close goes on in the background until the loop ends."""
        try:
            await asyncio.wait_for(asyncio.shield(super().close()), CLOSE_GRACE)
        except TimeoutError:
            log.warning("Discord did not acknowledge the close in %.0f s; going on", CLOSE_GRACE)

    async def close(self) -> None:
        try:
            await self.close_discord()
        finally:
            if self._store is not None:
                store, self._store = self._store, None
                await store.close()


def _stop_on_signals() -> asyncio.Event:
    """Set on SIGINT, SIGTERM, or SIGHUP (the terminal that started the bot is gone):
    each is a clean shutdown."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        loop.add_signal_handler(signum, stopping.set)
    return stopping


def _watchdog(seconds: float) -> None:
    """A last resort, in a daemon thread: if shutting down takes longer than `seconds`
    (a stuck handler, an executor job, a thread that will not end), exit anyway, as a
    service manager's SIGKILL would, but first, and saying so. SQLite's journal keeps
    every committed write across such an exit."""

    def expire() -> None:
        log.error("shutdown took longer than %.1f s; exiting now", seconds)
        for handler in logging.getLogger().handlers:
            handler.flush()
        os._exit(1)

    timer = threading.Timer(seconds, expire)
    timer.daemon = True
    timer.start()


async def _shut_down(bot: BriefingBot, runner: asyncio.Task) -> None:
    """Answers in flight first, then Discord, then the runner, and the store last,
    when nothing can use it any more; SHUTDOWN_LIMIT seconds at most in all."""
    log.info("signal received; shutting down")
    _watchdog(SHUTDOWN_LIMIT)
    await bot.drain(HANDLER_GRACE)
    await bot.close_discord()
    # Still running: asleep in discord.py's reconnect backoff (which grows to minutes),
    # or waiting on a gateway handshake (60 s). Neither is worth waiting for.
    runner.cancel()
    await asyncio.wait({runner}, timeout=RUNNER_GRACE)


async def run_discord(config: Config, store: Store | None = None) -> int:
    """Run until SIGINT, SIGTERM or SIGHUP, then close the gateway and the store cleanly, within
    SHUTDOWN_LIMIT seconds whatever the connection is doing.

    The store (opened here if not given) comes first: a store that cannot be used stops
    the bot (StoreUnusable, one line) before anything connects to Discord.
    """
    if store is None:
        store = await Store.open(config.db_path)
    log.info("fact store: %s, %s", store.engine, store.where)
    if store.read_only:
        log.warning(read_only_notice(store))
    bot = BriefingBot(config, store=store, freeze_startup=True)
    stopping = _stop_on_signals()
    runner = asyncio.create_task(bot.start(config.token or ""), name="discord-runner")
    stopper = asyncio.create_task(stopping.wait())
    try:
        done, _ = await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
        if stopper in done:
            await _shut_down(bot, runner)
    finally:
        stopper.cancel()
        await bot.close()
    if stopper in done or not runner.done() or runner.cancelled():
        return 0
    return _exit_code(bot, runner.exception())


def _exit_code(bot: BriefingBot, outcome: BaseException | None) -> int:
    if outcome is None:
        return 0
    if isinstance(outcome, discord.LoginFailure):
        log.error("Discord refused the token: check DISCORD_TOKEN")
    elif isinstance(outcome, discord.PrivilegedIntentsRequired):
        log.error(
            "Discord refused the Message Content intent: enable it for the application in "
            "the developer portal, or set BRIEFING_MESSAGE_COMMANDS=off (slash commands "
            "and @mentions only)"
        )
    elif isinstance(outcome, GatewayUnreachable):
        # Logged in over REST, never reached the gateway.
        gateway = DiscordWebSocket.DEFAULT_GATEWAY
        log.error("could not connect to Discord's gateway at %s: %s", gateway, outcome)
    else:
        log.error("the Discord connection failed: %s", outcome)
    return 1
