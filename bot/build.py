"""Building the store from `data/`: load, check, and refuse to write bad data."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

from bot import curation
from bot.clock import utc_now
from bot.errors import DataError
from bot.store import Store
from bot.store.importer import ImportReport

log = logging.getLogger(__name__)


def load_checked(data_dir: Path = curation.DATA_DIR) -> curation.Bundle:
    """The curated bundle, or DataError listing every problem found."""
    bundle = curation.load(data_dir)
    problems = curation.check(bundle)
    if problems:
        raise DataError(problems)
    return bundle


async def build(
    store: Store, data_dir: Path = curation.DATA_DIR, *, now: datetime | None = None
) -> ImportReport:
    """Check the data, then upsert it (as written at `now`, by default the time it is
    run); nothing is written if any check fails."""
    bundle = load_checked(data_dir)
    report = await store.import_bundle(bundle, now or utc_now())
    log.info("store built from %s: %s", data_dir, report)
    return report


async def ensure_built(
    store: Store, data_dir: Path = curation.DATA_DIR, *, now: datetime | None = None
) -> ImportReport | None:
    """Build when the store is new or the data files changed since the last build (a
    read-only store is served as it is)."""
    if await store.get_meta("data_fingerprint") == curation.fingerprint(data_dir):
        return None
    if store.read_only:
        log.warning(
            "%s is older than %s, but read-only: answering from it as it is", store.path, data_dir
        )
        return None
    return await build(store, data_dir, now=now)


def read_only_notice(store: Store) -> str:
    return f"{store.where} is read-only: answering from it; changes cannot be saved"
