"""Settings as Flask-SQLAlchemy and Flask-WTF handle theirs: every ``AUTH_*`` setting is
checked at start-up (a bad one is a ConfigurationError naming it, and the app is left as it
was), each default is written into ``app.config``, and ``init_app`` documents every key."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from flask_authadapter import Auth
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.config import DEFAULTS
from flask_authadapter.errors import ConfigurationError
from flask_authadapter.providers import Email, OAuth2
from flask_authadapter.state import auth_state
from tests.apps import SECRET
from tests.integration.existing_apps import APP_URL, MAIL, email_sign_in
from tests.mail import MailServer


def app_with(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, TESTING=True, AUTH_URL=APP_URL, **MAIL, **config)
    return app


@pytest.mark.parametrize("bad", ["ten seconds", "", 0, -5, True, None, "10s"])
def test_a_bad_email_timeout_is_refused_at_start_up(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"Email\(timeout=\.\.\.\)"):
        Email(timeout=bad)


@pytest.mark.parametrize(
    ("key", "bad"),
    [
        ("AUTH_COOKIE_NAME", "my session"),
        ("AUTH_COOKIE_NAME", "shop.csrf"),
        ("AUTH_SITE_NAME", 42),
        ("AUTH_PAGES", {"signin": ["/login"]}),
        ("AUTH_DEFAULT_REDIRECT", None),
        ("AUTH_RATELIMIT_STORAGE_URI", 6379),
        ("AUTH_BLUEPRINT_NAME", "auth.pages"),
        ("AUTH_CONTENT_SECURITY_POLICY", "default-src 'self'\r\nX-Other: 1"),
    ],
)
def test_each_bad_setting_is_named_at_start_up(key: str, bad: Any) -> None:
    with pytest.raises(ConfigurationError, match=key):
        Auth(app_with(**{key: bad}), adapter=MemoryAdapter())


def test_the_email_timeout_is_seconds(
    smtp_server: MailServer,
) -> None:
    app = app_with(**smtp_server.config)
    Auth(app, adapter=MemoryAdapter(), providers=[Email(timeout=2.5)])
    assert auth_state(app).providers["email"].timeout == 2.5  # type: ignore[attr-defined]
    with app.test_client() as client:  # and email is sent with it
        email_sign_in(client, smtp_server, "ada@example.com")


def test_after_init_app_the_config_holds_every_default() -> None:
    app = app_with(AUTH_SESSION_MAX_AGE=7 * 24 * 3600)
    Auth(app, adapter=MemoryAdapter())
    for key, default in DEFAULTS.items():
        assert key in app.config, key
        if key not in ("AUTH_SESSION_MAX_AGE", "AUTH_URL"):
            assert app.config[key] == default, key
    assert app.config["AUTH_SESSION_MAX_AGE"] == 7 * 24 * 3600  # the app's own value stays
    assert app.config["AUTH_URL"] == APP_URL
    assert auth_state(app).config.session_policy.max_age == timedelta(days=7)


def test_a_provider_refusing_its_settings_leaves_the_app_as_it_was() -> None:
    app = app_with()
    before = dict(app.config)
    corp = OAuth2("corp", authorize_url="https://sso.example/a", token_url="https://sso.example/t")
    auth = Auth(adapter=MemoryAdapter(), providers=[Email(), corp])
    with pytest.raises(ConfigurationError, match="AUTH_CORP_CLIENT_ID"):
        auth.init_app(app)  # Email set Flask-Mail up first: undone too
    assert dict(app.config) == before
    assert app.extensions == {}
    app.config["AUTH_CORP_CLIENT_ID"] = "corp-client"
    auth.init_app(app)
    assert list(auth_state(app).providers) == ["email", "corp"]


def test_the_init_app_docstring_lists_every_setting() -> None:
    doc = Auth.init_app.__doc__ or ""
    missing = [key for key in DEFAULTS if f"``{key}``" not in doc]
    assert missing == []
