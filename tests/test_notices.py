"""The error handler's memory of notices: per user and kind, aging, capped."""

from __future__ import annotations

from cogs.errors import Notices


class Clock:
    def __init__(self) -> None:
        self.now = 50.0

    def __call__(self) -> float:
        return self.now


def test_counts_within_a_window_then_starts_again() -> None:
    clock = Clock()
    notices = Notices(clock=clock)
    assert [notices.count((1, "unknown"), 10.0) for _ in range(3)] == [0, 1, 2]
    assert notices.count((2, "unknown"), 10.0) == 0
    clock.now += 10.5
    assert notices.count((1, "unknown"), 10.0) == 0


def test_old_entries_age_out_and_the_total_is_capped() -> None:
    clock = Clock()
    notices = Notices(limit=500, clock=clock)
    for user in range(50_000):
        notices.count((user, "unknown"), 10.0)
        clock.now += 0.5  # about 20 users inside any 10-second window
    assert len(notices) <= 21
    for user in range(50_000, 60_000):
        notices.count((user, "cooldown"), 10.0)  # all at once: capped
    assert len(notices) <= 500
