"""Every read command in the help catalog has the one builder all front ends call
(cogs with ctx.brief, the console through briefing.READS); test_cogs.py checks the
catalog against the registered commands."""

from __future__ import annotations

from bot import briefing, catalog

OWNER_ONLY = {"sync"}  # not listed for members or moderators


def test_every_read_command_has_its_builder() -> None:
    reads = {name for name in catalog.NAMES if name != "help"}
    assert reads == set(briefing.READS)
