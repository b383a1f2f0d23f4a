"""Construction."""

from __future__ import annotations

import pytest
from limits.storage import MemoryStorage, RedisStorage

from flask_authadapter.core.errors import ConfigurationError, RateLimited
from flask_authadapter.ratelimit import EmailLimits, RateLimits

from .helpers import (
    ADA,
    IP1,
    _limits,
)


def test_default_limits() -> None:
    limits = RateLimits("memory://", limits=EmailLimits(), code_attempts=5)
    assert isinstance(limits.storage, MemoryStorage)
    assert limits.enabled is True
    assert limits.code_attempts == 5
    assert {name: "; ".join(map(str, items)) for name, items in limits.rules.items()} == {
        "send_per_email": "3 per 10 minute",
        "send_per_email_total": "10 per 10 minute",
        "send_per_ip": "20 per 1 hour",
        "verify_per_ip": "30 per 10 minute",
    }


def test_no_limits_is_disabled() -> None:
    limits = RateLimits("memory://", limits=None, code_attempts=5)
    assert limits.enabled is False
    assert limits.rules == {}


def _storage(uri: str) -> RateLimits:
    return RateLimits(uri, limits=EmailLimits(), code_attempts=5)


def test_a_redis_uri_gives_a_redis_storage(redis_uri: str) -> None:
    assert isinstance(_storage(redis_uri).storage, RedisStorage)


@pytest.mark.parametrize(
    "uri",
    [
        "",
        "memory",
        "nosuch://",
        "http://example.com",
        "redis:/",
        "redis://127.0.0.1:notaport",
        "redis://127.0.0.1:6379/0?socket_timeout=soon",
    ],
)
def test_a_bad_storage_uri_is_a_configuration_error(uri: str) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_RATELIMIT_STORAGE_URI"):
        _storage(uri)


def test_an_asynchronous_storage_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="synchronous"):
        _storage("async+memory://")


def test_a_bad_storage_uri_error_does_not_show_its_password() -> None:
    with pytest.raises(ConfigurationError) as raised:
        _storage("reddis://:hunter2-secret@cache.internal:6379/0")
    assert "hunter2-secret" not in str(raised.value)


@pytest.mark.parametrize("option", ["per_address", "per_address_total", "per_network", "verify"])
@pytest.mark.parametrize(
    "text", ["", "lots", "3 per fortnight", "-1 per minute", "three per minute", None]
)
def test_a_bad_limit_is_refused_naming_its_argument(option: str, text: object) -> None:
    with pytest.raises(ValueError, match=rf"EmailLimits\({option}=\.\.\.\)") as raised:
        EmailLimits(**{option: text})  # type: ignore[arg-type]
    assert "3 per 10 minutes" in str(raised.value)  # says what to write instead


@pytest.mark.parametrize("text", ["", "lots", "3 per fortnight", "0 per hour", 1000])
def test_a_bad_send_budget_is_refused_naming_its_argument(text: object) -> None:
    with pytest.raises(ValueError, match=r"EmailLimits\(send_budget=\.\.\.\)") as raised:
        EmailLimits(send_budget=text)  # type: ignore[arg-type]
    assert "None" in str(raised.value)


def test_no_global_budget_by_default() -> None:
    assert "send_global" not in EmailLimits().rules()
    assert EmailLimits(send_budget=None).rules().keys() == EmailLimits().rules().keys()
    assert "send_global" in EmailLimits(send_budget="1000 per hour").rules()


def test_several_limits_in_one_setting_are_all_enforced_or_refused() -> None:
    try:
        limits = _limits("memory://", per_address="5 per hour; 1 per day")
    except ValueError:
        return  # refusing the notation is fine too
    limits.sending(ADA, IP1)
    with pytest.raises(RateLimited):
        limits.sending(ADA, IP1)
