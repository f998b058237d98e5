"""FormBook: forms bound to their opener and server, used once, expiring, bounded."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.forms import FormBook, FormRefused, submitted_values
from tests.conftest import FIXED_NOW


class Clock:
    def __init__(self) -> None:
        self.now = FIXED_NOW

    def __call__(self):
        return self.now


def book(clock: Clock, **kw: int) -> FormBook[str]:
    return FormBook("form:", clock, command="/fact add", **kw)


def test_a_form_is_taken_once_by_its_opener_in_its_server() -> None:
    forms = book(Clock())
    custom_id = forms.open(1, 10, 10, "payload")
    assert forms.owns(custom_id) and custom_id != forms.open(1, 10, 10, "other")
    with pytest.raises(FormRefused, match="someone else"):
        forms.take(custom_id, 2, 10)
    with pytest.raises(FormRefused, match="someone else"):
        forms.take(custom_id, 1, 20)
    assert forms.take(custom_id, 1, 10).payload == "payload"
    with pytest.raises(FormRefused, match="already sent"):
        forms.take(custom_id, 1, 10)


def test_forms_expire_and_are_dropped() -> None:
    clock = Clock()
    forms = book(clock)
    custom_id = forms.open(1, 10, 10, "payload")
    clock.now += timedelta(minutes=15)
    with pytest.raises(FormRefused, match="expired"):
        forms.take(custom_id, 1, 10)
    assert len(forms) == 0


def test_a_member_holds_a_few_forms_and_cannot_push_out_anyone_elses() -> None:
    forms = book(Clock(), per_member=3, limit=10)
    theirs = forms.open(2, 20, 20, "theirs")
    mine = [forms.open(1, 10, 10, str(n)) for n in range(1000)]
    assert len(forms) == 4
    assert forms.take(theirs, 2, 20).payload == "theirs"
    assert forms.take(mine[-1], 1, 10).payload == "999"
    with pytest.raises(FormRefused):
        forms.take(mine[0], 1, 10)


def test_the_book_has_a_cap_in_all() -> None:
    forms = book(Clock(), per_member=3, limit=5)
    for user in range(5):
        forms.open(user, 10, 10, "x")
    with pytest.raises(FormRefused, match="Too many forms"):
        forms.open(99, 10, 10, "x")
    assert len(forms) == 5


def test_submitted_values_reads_rows_and_labels() -> None:
    data = {
        "custom_id": "form:x",
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "statement", "value": "S"}]},
            {"type": 18, "component": {"type": 4, "custom_id": "quote", "value": "Q"}},
        ],
    }
    assert submitted_values(data) == {"statement": "S", "quote": "Q"}
    assert submitted_values(None) == {}
