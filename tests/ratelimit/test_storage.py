"""Shared between instances (Redis), or not (memory); What Redis holds."""

from __future__ import annotations

from typing import Any

from limits.storage import RedisStorage

from .helpers import (
    ADA,
    IP1,
    IP2,
    IP3,
    R1,
    WINDOW,
    _keys,
    _limits,
    _refused,
)


def test_two_instances_on_one_redis_count_together(redis_uri: str) -> None:
    options = {"per_address_total": "2 per hour", "verify": "2 per hour"}
    first = _limits(redis_uri, **options)
    second = _limits(redis_uri, **options)
    first.sending(ADA, IP1)
    second.sending(ADA, IP2)
    assert _refused(lambda: first.sending(ADA, IP3))
    assert _refused(lambda: second.sending(ADA, IP3))
    first.verifying(IP1)
    second.verifying(IP1)
    assert _refused(lambda: first.verifying(IP1))
    # Code tries too: four on one machine and one on another make five.
    first = _limits(redis_uri, code_attempts=5)
    second = _limits(redis_uri, code_attempts=5)
    assert [first.code_attempt(R1, WINDOW) for _ in range(4)] == [True] * 4
    assert second.code_attempt(R1, WINDOW) is True
    assert first.code_attempt(R1, WINDOW) is False


def test_two_memory_instances_count_apart() -> None:
    first = _limits("memory://", per_address="1 per hour", code_attempts=1)
    second = _limits("memory://", per_address="1 per hour", code_attempts=1)
    first.sending(ADA, IP1)
    second.sending(ADA, IP1)
    assert _refused(lambda: first.sending(ADA, IP1))
    assert first.code_attempt(R1, WINDOW) is True
    assert second.code_attempt(R1, WINDOW) is True


def _value(connection: Any, key: str) -> str:
    """What Redis holds at ``key``, as text (the counters are lists and strings)."""
    kind = connection.type(key).decode()
    if kind == "list":
        values = connection.lrange(key, 0, -1)
    elif kind == "string":
        values = [connection.get(key)]
    else:
        raise AssertionError(f"{key} is a {kind}: look at what it holds")
    return " ".join(value.decode() for value in values)


def test_redis_holds_no_address_or_ip_in_clear_and_every_key_expires(redis_uri: str) -> None:
    limits = _limits(redis_uri)
    emails = ["ada.king@example.com", "Zo\u00eb.Lovelace+tag@Example.co.uk", "o'brien@x.example"]
    ips = [IP1, IP3]
    for email in emails:
        for ip in ips:
            limits.sending(email, ip)
    limits.code_attempt(R1, WINDOW)
    for ip in ips:
        limits.verifying(ip)
    storage = limits.storage
    assert isinstance(storage, RedisStorage)
    connection = storage.get_connection()
    keys = _keys(storage)
    assert keys
    stored = "\n".join(f"{key} = {_value(connection, key)}" for key in keys).lower()
    assert "@" not in stored
    for clear in [*emails, *ips]:
        for part in clear.lower().split("@"):  # the local part and the domain, each
            assert part not in stored, part
    assert "example" not in stored
    assert "203.0.113" not in stored
    for key in keys:
        assert connection.ttl(key) > 0, f"{key} never expires"
