"""The shared per-user cooldown: one bucket per user across commands, memory that ages."""

from __future__ import annotations

from bot.checks import UserBuckets


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_uses_per_window_then_a_wait_then_five_more() -> None:
    clock = Clock()
    buckets = UserBuckets(5, 10.0, clock=clock)
    assert [buckets.hit(1) for _ in range(5)] == [0.0] * 5
    assert buckets.hit(1) == 10.0
    assert buckets.hit(2) == 0.0  # another user is unaffected
    clock.now += 4
    assert buckets.hit(1) == 6.0
    clock.now += 6
    assert buckets.hit(1) == 0.0


def test_memory_stays_flat_over_many_distinct_users() -> None:
    clock = Clock()
    buckets = UserBuckets(5, 10.0, clock=clock, limit=1000)
    for user in range(100_000):
        buckets.hit(user)
        clock.now += 0.1  # ten new users a second: about 100 active in any window
    assert len(buckets) <= 101
    for user in range(100_000, 105_000):
        buckets.hit(user)  # a burst of new users in one instant: capped
    assert len(buckets) <= 1000
