"""Building the store from `data/`: load, check, and refuse to write bad data."""

from __future__ import annotations

import logging
from pathlib import Path

from bot import curation
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


async def build(store: Store, data_dir: Path = curation.DATA_DIR) -> ImportReport:
    """Check the data, then upsert it; nothing is written if any check fails."""
    bundle = load_checked(data_dir)
    report = await store.import_bundle(bundle)
    log.info("store built from %s: %s", data_dir, report)
    return report


async def ensure_built(store: Store, data_dir: Path = curation.DATA_DIR) -> ImportReport | None:
    """Build when the store is new or the data files changed since the last build."""
    if await store.get_meta("data_fingerprint") == curation.fingerprint(data_dir):
        return None
    return await build(store, data_dir)
