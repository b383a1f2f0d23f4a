"""verifying; code tries; limits=None."""

from __future__ import annotations

import sys
import threading

import pytest
from limits.storage import RedisStorage

from flask_authadapter.core.errors import RateLimited
from flask_authadapter.ratelimit import RateLimits

from .helpers import (
    ADA,
    BOB,
    IP1,
    IP2,
    R1,
    R2,
    R3,
    WINDOW,
    _keys,
    _limits,
    _refused,
)


def test_verifying_allows_n_per_ip_then_refuses(storage_uri: str) -> None:
    limits = _limits(storage_uri, verify="3 per hour")
    for _ in range(3):
        limits.verifying(IP1)
    with pytest.raises(RateLimited, match="verify_per_ip"):
        limits.verifying(IP1)
    limits.verifying(IP2)
    # Redemptions and sendings are counted apart.
    limits.sending(ADA, IP1)


def test_sending_does_not_use_up_verifying(storage_uri: str) -> None:
    limits = _limits(storage_uri, per_network="2 per hour", verify="2 per hour")
    limits.sending(ADA, IP1)
    limits.sending(BOB, IP1)
    limits.verifying(IP1)
    limits.verifying(IP1)
    assert _refused(lambda: limits.verifying(IP1))


@pytest.mark.parametrize("attempts", [1, 3, 5])
def test_code_tries_are_granted_up_to_the_configured_count(storage_uri: str, attempts: int) -> None:
    limits = _limits(storage_uri, code_attempts=attempts)
    answers = [limits.code_attempt(R1, WINDOW) for _ in range(attempts + 2)]
    assert answers == [True] * attempts + [False] * 2


def test_code_tries_are_counted_per_request(storage_uri: str) -> None:
    # Two requests for one address (the owner's and a stranger's): each has its own tries.
    limits = _limits(storage_uri, code_attempts=2)
    assert limits.code_attempt(R1, WINDOW) is True
    assert limits.code_attempt(R2, WINDOW) is True
    assert limits.code_attempt(R1, WINDOW) is True
    assert limits.code_attempt(R1, WINDOW) is False
    assert limits.code_attempt(R3, WINDOW) is True
    assert limits.code_attempt(R2, WINDOW) is True


def test_code_tries_are_counted_for_the_window_only(redis_uri: str) -> None:
    # Redis shows the expiry without waiting for it.
    limits = _limits(redis_uri)
    limits.code_attempt(R1, WINDOW)
    limits.code_attempt(R1, WINDOW)
    storage = limits.storage
    assert isinstance(storage, RedisStorage)
    (key,) = [k for k in _keys(storage) if "code-try" in k]
    assert 0 < storage.get_connection().ttl(key) <= WINDOW


def _race_for_tries(limits: RateLimits, request_id: str, racers: int) -> list[bool]:
    """``racers`` threads claiming a try at once: what each was granted."""
    barrier = threading.Barrier(racers)
    granted: list[bool] = []

    def claim() -> None:
        barrier.wait()
        granted.append(limits.code_attempt(request_id, WINDOW))

    threads = [threading.Thread(target=claim) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return granted


def test_concurrent_code_tries_are_granted_no_more_than_the_count(storage_uri: str) -> None:
    # Threads switched as often as the interpreter allows, on a new key each time: the
    # memory storage's own first increment is not atomic then.
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        for trial in range(40):
            limits = _limits(storage_uri, code_attempts=5)
            granted = _race_for_tries(limits, f"{R1}-{trial}", 30)
            assert sorted(granted) == [False] * 25 + [True] * 5, trial
    finally:
        sys.setswitchinterval(interval)


def test_disabled_never_refuses(storage_uri: str) -> None:
    limits = _limits(
        storage_uri,
        per_address="1 per hour",
        per_network="1 per hour",
        verify="1 per hour",
        limits=None,
    )
    for _ in range(25):
        limits.sending(ADA, IP1)
        limits.verifying(IP1)


def test_disabled_still_counts_code_tries(storage_uri: str) -> None:
    # Five tries per code whatever the rate limits: a code is 8 characters, and unlimited
    # guesses would make it guessable.
    limits = _limits(storage_uri, code_attempts=2, limits=None)
    assert [limits.code_attempt(R1, WINDOW) for _ in range(3)] == [True, True, False]


def test_disabled_writes_nothing_to_redis(redis_uri: str) -> None:
    limits = _limits(redis_uri, limits=None)
    limits.sending(ADA, IP1)
    limits.verifying(IP1)
    assert isinstance(limits.storage, RedisStorage)
    assert _keys(limits.storage) == []
