"""Through the app."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from limits.storage import RedisStorage

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.errors import ConfigurationError
from flask_authadapter.providers.email import Email, SignInEmail
from flask_authadapter.ratelimit import EmailLimits
from flask_authadapter.state import auth_state
from tests.apps import csrf_from, make_app

from .helpers import (
    ADA,
    BOB,
)

#: The limits of the apps of these tests unless they say otherwise.
TWO_PER_HOUR = EmailLimits(per_address="2 per hour")


def _app(
    uri: str,
    outbox: list[SignInEmail],
    limits: EmailLimits | None = TWO_PER_HOUR,
    max_attempts: int = 5,
    **config: Any,
) -> Flask:
    app, _ = make_app(
        MemoryAdapter(),
        providers=[Email(send=outbox.append, rate_limits=limits, max_attempts=max_attempts)],
        AUTH_URL="http://localhost",
        AUTH_RATELIMIT_STORAGE_URI=uri,
        **config,
    )
    return app


def _request_link(client: FlaskClient, email: str) -> int:
    token = csrf_from(client)
    response = client.post("/auth/signin/email", data={"csrf_token": token, "email": email})
    return response.status_code


def test_the_app_builds_its_limits_on_redis(redis_uri: str) -> None:
    app = _app(
        redis_uri,
        [],
        EmailLimits(per_address="2 per hour", per_network="7 per hour", verify="8 per hour"),
        max_attempts=4,
    )
    with app.app_context():
        limits = auth_state().limits
    assert isinstance(limits.storage, RedisStorage)
    assert {name: "; ".join(map(str, items)) for name, items in limits.rules.items()} == {
        "send_per_email": "2 per 1 hour",
        "send_per_email_total": "10 per 10 minute",
        "send_per_ip": "7 per 1 hour",
        "verify_per_ip": "8 per 1 hour",
    }
    assert limits.code_attempts == 4


def test_two_app_instances_on_one_redis_share_the_limit(redis_uri: str) -> None:
    outbox: list[SignInEmail] = []
    first = _app(redis_uri, outbox).test_client()
    second = _app(redis_uri, outbox).test_client()
    assert _request_link(first, ADA) == 302
    assert _request_link(second, ADA) == 302
    assert _request_link(first, ADA) == 429
    assert _request_link(second, ADA) == 429
    assert [message.to for message in outbox] == [ADA, ADA]
    # The address was typed in another case: it is the same address, and the same count.
    assert _request_link(second, "ADA@Example.com") == 429
    assert _request_link(second, BOB) == 302
    assert len(outbox) == 3


def test_two_app_instances_on_memory_count_apart() -> None:
    outbox: list[SignInEmail] = []
    first = _app("memory://", outbox, EmailLimits(per_address="1 per hour")).test_client()
    second = _app("memory://", outbox, EmailLimits(per_address="1 per hour")).test_client()
    assert _request_link(first, ADA) == 302
    assert _request_link(first, ADA) == 429
    assert _request_link(second, ADA) == 302
    assert len(outbox) == 2


def test_the_app_with_rate_limits_disabled_on_redis(redis_uri: str) -> None:
    outbox: list[SignInEmail] = []
    client = _app(redis_uri, outbox, None).test_client()
    for _ in range(4):
        assert _request_link(client, ADA) == 302
    assert len(outbox) == 4


def test_the_429_page_and_json_say_when_to_try_again() -> None:
    outbox: list[SignInEmail] = []
    client = _app("memory://", outbox, EmailLimits(per_address="1 per 10 minutes")).test_client()
    assert _request_link(client, ADA) == 302
    token = csrf_from(client)
    page = client.post("/auth/signin/email", data={"csrf_token": token, "email": ADA})
    assert page.status_code == 429
    assert 540 < int(page.headers["Retry-After"]) <= 600
    assert "Please wait 10 minutes before trying again." in page.get_data(as_text=True)
    answer = client.post(
        "/auth/signin/email",
        data={"csrf_token": token, "email": ADA},
        headers={"Accept": "application/json"},
    )
    assert answer.status_code == 429
    body = answer.get_json()
    assert body["error"] == "RateLimited"
    assert 540 < body["retryAfter"] <= 600
    assert body["message"] == "Please wait 10 minutes before trying again."
    assert answer.headers["Retry-After"] == str(body["retryAfter"])


def test_the_app_builds_its_global_budget() -> None:
    app = _app("memory://", [], EmailLimits(send_budget="1000 per hour"))
    with app.app_context():
        rules = auth_state().limits.rules
    assert [str(item) for item in rules["send_global"]] == ["1000 per 1 hour"]


@pytest.mark.parametrize("uri", ["nosuch://", "", 6379])
def test_a_bad_storage_uri_stops_the_app_at_start_up(uri: object) -> None:
    config = {"AUTH_URL": "http://localhost", "AUTH_RATELIMIT_STORAGE_URI": uri}
    with pytest.raises(ConfigurationError, match="AUTH_RATELIMIT_STORAGE_URI"):
        make_app(MemoryAdapter(), providers=[Email(send=lambda message: None)], **config)


def test_an_app_without_an_email_provider_limits_nothing() -> None:
    app, _ = make_app(MemoryAdapter(), AUTH_URL="http://localhost")
    with app.app_context():
        assert auth_state().limits.enabled is False


def test_redis_down_is_a_503_not_a_crash(unused_tcp_port: int) -> None:
    outbox: list[SignInEmail] = []
    app = _app(f"redis://127.0.0.1:{unused_tcp_port}/0", outbox, PROPAGATE_EXCEPTIONS=False)
    assert _request_link(app.test_client(), ADA) == 503
    assert outbox == []


@pytest.fixture
def unused_tcp_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
