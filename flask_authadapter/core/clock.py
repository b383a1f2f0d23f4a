"""Time, from one injectable place, so expiry is tested without sleeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta, timezone

#: A clock is any callable returning the current time as an aware UTC datetime.
Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time, UTC."""
    return datetime.now(timezone.utc)


class FrozenClock:
    """A clock that stands still until moved: ``clock.advance(minutes=16)``."""

    def __init__(self, now: datetime | None = None) -> None:
        self.now = now or system_clock()

    def __call__(self) -> datetime:
        """The clock's current time."""
        return self.now

    def advance(self, delta: timedelta | None = None, **parts: float) -> datetime:
        """Move the clock forward by ``delta`` or ``timedelta(**parts)``; returns the new time."""
        if delta is not None and parts:
            raise TypeError("advance() takes a timedelta or its parts, not both")
        self.now += delta if delta is not None else timedelta(**parts)
        return self.now
