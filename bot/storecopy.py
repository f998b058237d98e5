"""`python -m bot copy-store FROM TO`: move a whole store to another file or engine, and
prove it moved.

FROM and TO are each a SQLite file or a `postgresql://` URL, opened as the bot opens
them (an older store is migrated first). The copy is one transaction on the target
(bot.store.transfer). The proof is printed after it: every table read back from the
target has the same rows as the source (row counts and a hash of each table), and
`python -m bot export` of both, shared rows and each server's (as many as a budget
allows on a big store; the line says how many), gives the same files byte for byte.
A refusal is one line, and the target is unchanged.
"""

from __future__ import annotations

import asyncio
import hashlib
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path

from bot.errors import StoreUnusable
from bot.export import export
from bot.store import Store, transfer
from bot.store.transfer import TableProof


class ProofFailed(Exception):
    """The copy landed but does not read back the same; the message says where."""


@asynccontextmanager
async def opened(where: str, role: str) -> AsyncIterator[Store]:
    """The store at `where`; a source file must exist already (opening a missing file
    would make an empty store and copy nothing)."""
    if (
        role == "source"
        and not transfer.is_url(where)
        and not await asyncio.to_thread(Path(where).exists)
    ):
        raise StoreUnusable(f"cannot open the source {where}: there is no such file")
    try:
        store = await Store.open(where)
    except StoreUnusable as error:
        raise StoreUnusable(f"cannot open the {role}: {error}") from None
    try:
        yield store
    finally:
        await store.close()


async def copy_store(
    source: str, target: str, *, replace: bool = False, say: Callable[[str], None] = print
) -> None:
    """Copy the store at `source` into `target` and print the proof; StoreUnusable (one
    line) if it refuses, ProofFailed if the copy does not read back the same."""
    if transfer.same_store(source, target):
        raise StoreUnusable("the source and the target are the same store")
    async with AsyncExitStack() as stack:
        origin = await stack.enter_async_context(opened(source, "source"))
        dest = await stack.enter_async_context(opened(target, "target"))
        if dest.read_only:
            raise StoreUnusable(f"the target {dest.where} is read-only")
        await _same_schema(origin, dest)
        if not replace and (full := await transfer.holds_data(dest)):
            raise StoreUnusable(transfer.already_full(full[0]))
        say(f"copying {origin.where} ({origin.engine}) to {dest.where} ({dest.engine})")
        started = time.perf_counter()
        snapshot = await transfer.read_snapshot(origin)
        await transfer.write_snapshot(dest, snapshot, replace=replace)
        rows = sum(len(t.rows) for t in snapshot.tables)
        say(
            f"copied {len(snapshot.tables)} tables, {rows} rows, in one transaction "
            f"({time.perf_counter() - started:.2f} s)"
        )
        await _prove_tables(snapshot, await transfer.read_snapshot(dest, "the target"), say)
        await _prove_exports(origin, dest, say)


async def _same_schema(origin: Store, dest: Store) -> None:
    found, wanted = await origin.schema_version(), await dest.schema_version()
    if found != wanted:
        raise StoreUnusable(
            f"the schema versions differ (source {found}, target {wanted}); "
            "copy with the bot version that made the newer one"
        )


async def _prove_tables(
    snapshot: transfer.Snapshot, back: transfer.Snapshot, say: Callable[[str], None]
) -> None:
    before, after = transfer.fingerprint(snapshot), transfer.fingerprint(back)
    for was, now in zip(before, after, strict=True):
        mark = "=" if was == now else "DIFFERS"
        say(f"  {was.name:<22}{was.rows:>8} rows  {was.sha256[:12]} {mark} {now.sha256[:12]}")
    if before != after:
        wrong = [was.name for was, now in zip(before, after, strict=True) if was != now]
        raise ProofFailed(f"the target's rows differ from the source's in: {', '.join(wrong)}")
    behind = {
        name: seq for name, seq in snapshot.sequences.items() if back.sequences.get(name, 0) < seq
    }
    if behind:
        raise ProofFailed(f"the target's ids would be reused in: {', '.join(sorted(behind))}")
    say(f"proof: every table reads back the same ({_total(after)})")


def _total(proofs: list[TableProof]) -> str:
    digest = hashlib.sha256("".join(p.sha256 for p in proofs).encode()).hexdigest()
    return f"{len(proofs)} tables, {sum(p.rows for p in proofs)} rows, sha256 {digest[:16]}"


async def _prove_exports(origin: Store, dest: Store, say: Callable[[str], None]) -> None:
    """The shared rows' export, then each server's (shared rows and its own), from both
    stores, file for file. Each server's export writes the shared rows again, so on a big
    store with many servers only as many servers as EXPORT_BUDGET allows are exported;
    the line says how many (every row of every server is in the table proof already)."""
    servers = await _servers_to_export(origin, dest)
    every = len(
        set(await transfer.guilds_with_rows(origin)) | set(await transfer.guilds_with_rows(dest))
    )
    with tempfile.TemporaryDirectory(prefix="copy-store-") as folder:
        here, there = Path(folder, "source"), Path(folder, "target")
        for guild in [None, *servers]:
            name = "shared" if guild is None else f"server-{guild}"
            await export(origin, here / name, guild)
            await export(dest, there / name, guild)
        mine, theirs = _hashes(here), _hashes(there)
    if mine != theirs:
        wrong = sorted(k for k in mine.keys() | theirs.keys() if mine.get(k) != theirs.get(k))
        raise ProofFailed(f"the exports differ in {len(wrong)} file(s), first {wrong[0]}")
    digest = hashlib.sha256("".join(f"{k}:{v}\n" for k, v in sorted(mine.items())).encode())
    which = (
        f"{len(servers)} server(s)"
        if len(servers) == every
        else (f"{len(servers)} of {every} servers (the rest: see the table proof)")
    )
    say(
        f"proof: the exports are identical (shared rows and {which}, "
        f"{len(mine)} files, sha256 {digest.hexdigest()[:16]})"
    )


# Facts and meetings written by the export proof, a side: each server's export repeats the
# shared rows, so this bounds the proof's time (about 10 s a 100,000 rows here).
EXPORT_BUDGET = 300_000


async def _servers_to_export(origin: Store, dest: Store) -> list[int]:
    servers = sorted(
        set(await transfer.guilds_with_rows(origin)) | set(await transfer.guilds_with_rows(dest))
    )
    shared = await origin.counts(None)
    spent = shared.facts + shared.meetings
    chosen = []
    for guild in servers:
        seen = await origin.counts(guild)
        spent += seen.facts + seen.meetings
        if spent > EXPORT_BUDGET:
            break
        chosen.append(guild)
    return chosen


def _hashes(folder: Path) -> dict[str, str]:
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
