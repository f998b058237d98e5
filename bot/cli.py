"""`python -m bot [build|check|console|ask|run|export|copy-store]`: the command line."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path

from bot import curation, logs
from bot.build import build, ensure_built, load_checked, read_only_notice
from bot.config import Config, db_password, db_target
from bot.console import Console
from bot.errors import BriefingError, DataError, StoreUnavailable
from bot.store import Store

log = logging.getLogger(__name__)


@asynccontextmanager
async def opened_store(config: Config, data_dir: Path) -> AsyncIterator[Store]:
    """The store, built first if it is missing or older than the data folder."""
    store = await Store.open(config.db_path)
    try:
        if store.read_only:
            log.warning(read_only_notice(store))
        await ensure_built(store, data_dir)
        yield store
    finally:
        await store.close()


async def cmd_build(config: Config, args: argparse.Namespace) -> int:
    load_checked(args.data)  # refuse before opening (or creating) the store
    store = await Store.open(config.db_path)
    try:
        if store.read_only:
            raise StoreUnavailable(
                f"{store.path} is read-only, so it cannot be built or updated; make it and "
                "its folder writable, or set BRIEFING_DB (or --db) to a writable path"
            )
        report = await build(store, args.data)
    finally:
        await store.close()
    print(f"built {store.where}: {report}")
    return 0


def cmd_check(config: Config, args: argparse.Namespace) -> int:
    bundle = curation.load(args.data)
    problems = curation.check(bundle)
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print(f"check failed: {len(problems)} problem(s) in {args.data}")
        return 1
    print(
        f"check passed: {len(bundle.sources)} source(s), {len(bundle.entities)} entities, "
        f"{len(bundle.facts)} facts, {len(bundle.meetings)} meetings; every quote verbatim"
    )
    return 0


async def cmd_console(config: Config, args: argparse.Namespace, hint: str = "") -> int:
    async with opened_store(config, args.data) as store:
        print(hint, end="", file=sys.stderr)  # once the store is known to work
        await Console(store, prefix=config.prefix, stale_after=config.stale_after).repl()
    return 0


async def cmd_ask(config: Config, args: argparse.Namespace) -> int:
    async with opened_store(config, args.data) as store:
        print(
            await Console(store, prefix=config.prefix, stale_after=config.stale_after).answer(
                " ".join(args.line)
            )
        )
    return 0


async def cmd_run(config: Config, args: argparse.Namespace) -> int:
    if not config.token:
        hint = (
            "No DISCORD_TOKEN is set, so the bot starts as a local console.\n"
            "To connect to Discord, set DISCORD_TOKEN (in the environment or a .env file) "
            "and run `python -m bot` again.\n\n"
        )
        return await cmd_console(config, args, hint)
    store = await Store.open(config.db_path)  # a store it cannot use stops it in one line
    try:
        from bot.core import run_discord  # discord.py takes a while to import
    except BaseException:
        await store.close()
        raise
    return await run_discord(config, store)


async def cmd_export(config: Config, args: argparse.Namespace) -> int:
    from bot.export import export

    async with opened_store(config, args.data) as store:
        counts = await export(store, args.out, args.guild)
    scope = f"shared rows and server {args.guild}'s" if args.guild else "shared rows"
    print(
        f"exported {scope} to {args.out}: {counts['sources']} source(s), "
        f"{counts['facts']} facts, {counts['meetings']} meetings"
    )
    return 0


async def cmd_copy_store(config: Config, args: argparse.Namespace) -> int:
    from bot.storecopy import ProofFailed, copy_store

    try:
        await copy_store(args.source, args.target, replace=args.replace)
    except ProofFailed as error:
        print(f"copy-store: the copy was written but does not read back the same: {error}")
        return 1
    return 0


def cmd_draft_eval(config: Config, args: argparse.Namespace) -> int:
    from bot import drafteval

    print(drafteval.report(args.data, details=args.details))
    return 0


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python -m bot", description=__doc__)
    top.add_argument("--db", help="store path or postgresql:// URL (default: $BRIEFING_DB)")
    top.add_argument("--data", type=Path, default=curation.DATA_DIR, help="curated data folder")
    sub = top.add_subparsers(dest="command")
    sub.add_parser("build", help="check data/ and build (or update) the store")
    sub.add_parser("check", help="verify data/: quotes, offsets, entities, dates, aliases")
    sub.add_parser("console", help="interactive local briefing (reads stdin until EOF)")
    ask = sub.add_parser("ask", help='answer one command and exit, e.g. ask "!who putin"')
    ask.add_argument("line", nargs="+")
    sub.add_parser("run", help="connect to Discord (console when DISCORD_TOKEN is unset)")
    out = sub.add_parser("export", help="write the store back to the curated TOML format")
    out.add_argument("--guild", type=int, help="include this server's own rows")
    out.add_argument("--out", type=Path, default=Path("export"), help="folder to write")
    copying = sub.add_parser(
        "copy-store",
        help="copy a whole store to another file or PostgreSQL URL, and prove it",
        description="Copy every table (ids, audit, settings, digests, feeds, reviews) from "
        "FROM into the empty store TO in one transaction, then prove it: every table reads "
        "back the same, and the exports of both are identical. FROM and TO are SQLite "
        "files or postgresql:// URLs; stop the bot first.",
    )
    copying.add_argument("source", metavar="FROM", help="a SQLite file or postgresql:// URL")
    copying.add_argument("target", metavar="TO", help="a SQLite file or postgresql:// URL")
    copying.add_argument(
        "--replace", action="store_true", help="drop what TO holds (in the same transaction)"
    )
    evaluation = sub.add_parser(
        "draft-eval", help="measure drafted kinds and holders against the curated and test labels"
    )
    evaluation.add_argument("--details", action="store_true", help="list every disagreement")
    return top


def _interactive(config: Config, args: argparse.Namespace) -> bool:
    """Whether the answers go to the terminal the log is written to."""
    return args.command in {"console", "ask", "copy-store"} or (
        args.command in {None, "run"} and not config.token
    )


def _configured(args: argparse.Namespace) -> Config:
    config = Config.from_env()
    if args.db:
        config = replace(config, db_path=db_target(args.db))
    level = config.console_log_level if _interactive(config, args) else config.log_level
    stores = [config.db_path]
    if args.command == "copy-store":
        stores += [args.source, args.target]
    logs.setup(level, [config.token or ""], [db_password(store) for store in stores])
    return config


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        config = _configured(args)
        if args.command == "check":
            return cmd_check(config, args)
        if args.command == "draft-eval":
            return cmd_draft_eval(config, args)
        handlers = {
            "build": cmd_build,
            "console": cmd_console,
            "ask": cmd_ask,
            "export": cmd_export,
            "copy-store": cmd_copy_store,
        }
        handler = handlers.get(args.command or "run", cmd_run)
        return asyncio.run(handler(config, args))
    except DataError as error:
        for problem in error.problems:
            print(f"problem: {problem}", file=sys.stderr)
        print(f"refused: {error}; the store was not changed", file=sys.stderr)
        return 1
    except BriefingError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:  # the reader went away (`| head`); nothing more to say
        sys.stderr.close()
        return 0
