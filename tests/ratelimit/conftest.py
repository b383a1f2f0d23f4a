"""Fixtures of the ratelimit tests."""

from __future__ import annotations

import pytest

from harness.servers import RedisServer


@pytest.fixture(params=["memory", "redis"])
def storage_uri(request: pytest.FixtureRequest) -> str:
    """Each storage in turn: memory://, then the session's Redis (emptied for the test)."""
    if request.param == "memory":
        return "memory://"
    server: RedisServer = request.getfixturevalue("redis_server")
    server.flush()
    return server.url


@pytest.fixture
def redis_uri(redis_server: RedisServer) -> str:
    """The session's Redis, emptied for the test."""
    redis_server.flush()
    return redis_server.url
