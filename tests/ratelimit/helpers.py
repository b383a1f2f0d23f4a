"""Helpers of the ratelimit tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from limits.storage import RedisStorage

from flask_authadapter.core.errors import RateLimited
from flask_authadapter.ratelimit import EmailLimits, RateLimits

ADA = "ada@example.com"


BOB = "bob@example.com"


EVE = "eve@example.com"


IP1, IP2, IP3 = "203.0.113.1", "203.0.113.2", "2001:db8::3"


WINDOW = 900  # seconds a wrong-code count lives (the Email provider's max_age)


def _limits(uri: str, *, code_attempts: int = 5, **options: Any) -> RateLimits:
    """Counters in ``uri`` with roomy limits but those ``options`` (EmailLimits' arguments)
    name; ``limits=None``: none."""
    if "limits" in options:
        return RateLimits(uri, limits=options["limits"], code_attempts=code_attempts)
    options.setdefault("per_address", "3 per hour")
    options.setdefault("per_network", "100 per hour")
    options.setdefault("verify", "100 per hour")
    return RateLimits(uri, limits=EmailLimits(**options), code_attempts=code_attempts)


def _refused(call: Callable[[], None]) -> bool:
    try:
        call()
    except RateLimited:
        return True
    return False


R1, R2, R3 = (f"request-{n}-" + "x" * 35 for n in (1, 2, 3))


def _keys(storage: RedisStorage) -> list[str]:
    return sorted(key.decode() for key in storage.get_connection().scan_iter(count=1000))
