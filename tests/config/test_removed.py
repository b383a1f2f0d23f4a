"""Removed settings."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_authadapter.config import DEFAULTS, REMOVED, load_config
from flask_authadapter.core.errors import ConfigurationError

from .helpers import (
    SECRET,
    refused,
)


@pytest.mark.parametrize(
    ("key", "value", "replacement"),
    [
        ("AUTH_RATELIMIT_ENABLED", False, "Email(rate_limits=None)"),
        ("AUTH_RATELIMIT_EMAIL", "3 per hour", "EmailLimits(per_address=...)"),
        ("AUTH_RATELIMIT_EMAIL_TOTAL", "9 per hour", "EmailLimits(per_address_total=...)"),
        ("AUTH_RATELIMIT_IP", "9 per hour", "EmailLimits(per_network=...)"),
        ("AUTH_RATELIMIT_SEND_GLOBAL", "9 per hour", "EmailLimits(send_budget=...)"),
        ("AUTH_RATELIMIT_VERIFY", "9 per hour", "EmailLimits(verify=...)"),
        ("AUTH_CODE_MAX_ATTEMPTS", 3, "Email(max_attempts=...)"),
        ("AUTH_EMAIL_TIMEOUT", 5, "Email(timeout=...)"),
        ("AUTH_PAGES_SIGNIN", "/login", '{"signin": ...}'),
        ("AUTH_PAGES_SIGNOUT", "/bye", '{"signout": ...}'),
        ("AUTH_PAGES_ERROR", "/oops", '{"error": ...}'),
        ("AUTH_PAGES_VERIFY_REQUEST", "/check", '{"verify_request": ...}'),
        ("AUTH_CSRF_COOKIE_NAME", "shop.csrf", "AUTH_COOKIE_NAME"),
        ("AUTH_SESSION_STORE_USER_AGENT", False, "user_agent column"),
    ],
)
def test_a_removed_setting_is_refused_saying_what_replaces_it(
    key: str, value: Any, replacement: str
) -> None:
    message = refused(**{key: value})
    assert message.startswith(key)
    assert replacement in message


def test_every_removed_setting_is_tested_and_none_is_still_read() -> None:
    assert len(REMOVED) == 14
    assert not set(REMOVED) & set(DEFAULTS)


def test_a_removed_setting_set_to_None_is_refused_too() -> None:
    """Any value: the app meant something by setting it."""
    assert "AUTH_EMAIL_TIMEOUT" in refused(AUTH_EMAIL_TIMEOUT=None)


def test_every_removed_setting_an_app_sets_is_named_at_once() -> None:
    message = refused(AUTH_RATELIMIT_IP="9 per hour", AUTH_PAGES_ERROR="/oops")
    assert "AUTH_RATELIMIT_IP" in message
    assert "AUTH_PAGES_ERROR" in message


def test_a_removed_setting_from_the_environment_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FLASK_AUTH_SECRET", SECRET)
    monkeypatch.setenv("FLASK_AUTH_RATELIMIT_ENABLED", "false")
    app = Flask(__name__)
    app.config.from_prefixed_env()
    with pytest.raises(ConfigurationError, match="AUTH_RATELIMIT_ENABLED moved"):
        load_config(app.config)


def test_init_app_refuses_a_removed_setting_and_leaves_the_app_as_it_was() -> None:
    from flask_authadapter import Auth
    from flask_authadapter.adapters.memory import MemoryAdapter

    app = Flask(__name__)
    app.config.update(AUTH_SECRET=SECRET, AUTH_CODE_MAX_ATTEMPTS=3)
    with pytest.raises(ConfigurationError, match=r"Email\(max_attempts=\.\.\.\)"):
        Auth(app, adapter=MemoryAdapter())
    assert "authadapter" not in app.extensions
