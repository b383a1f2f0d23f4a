"""The injectable clock: the system's, and a frozen one that moves only when told."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_authadapter.core.clock import FrozenClock, system_clock

UTC = timezone.utc
START = datetime(2031, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


def test_system_clock_is_aware_utc_now() -> None:
    before = datetime.now(UTC)
    now = system_clock()
    after = datetime.now(UTC)
    assert now.utcoffset() == timedelta(0)
    assert before <= now <= after


def test_a_frozen_clock_stands_still() -> None:
    clock = FrozenClock(START)
    assert clock() == START
    assert clock() == START
    assert clock.now == START


def test_a_frozen_clock_starts_at_the_current_time_by_default() -> None:
    before = datetime.now(UTC)
    clock = FrozenClock()
    after = datetime.now(UTC)
    assert clock().utcoffset() == timedelta(0)
    assert before <= clock() <= after


def test_advance_by_a_timedelta_returns_and_keeps_the_new_time() -> None:
    clock = FrozenClock(START)
    assert clock.advance(timedelta(minutes=16)) == START + timedelta(minutes=16)
    assert clock() == START + timedelta(minutes=16)


def test_advance_by_parts() -> None:
    clock = FrozenClock(START)
    assert clock.advance(days=1, hours=2, seconds=3) == START + timedelta(
        days=1, hours=2, seconds=3
    )
    assert clock() == START + timedelta(days=1, hours=2, seconds=3)


def test_advances_add_up() -> None:
    clock = FrozenClock(START)
    clock.advance(minutes=10)
    clock.advance(timedelta(minutes=5))
    clock.advance(microseconds=1)
    assert clock() == START + timedelta(minutes=15, microseconds=1)


def test_advance_by_nothing_stays_put() -> None:
    clock = FrozenClock(START)
    assert clock.advance() == START
    assert clock() == START


def test_two_frozen_clocks_are_independent() -> None:
    one, two = FrozenClock(START), FrozenClock(START)
    one.advance(hours=1)
    assert two() == START
