"""Values from the environment."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from flask_authadapter.config import load_config
from flask_authadapter.core.errors import ConfigurationError

from .helpers import (
    SECRET,
    load,
)


def test_values_from_prefixed_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """``app.config.from_prefixed_env()`` turns JSON-looking values into ints, bools and
    lists and leaves the rest as strings: each form is understood."""
    environment = {
        "FLASK_AUTH_SECRET": SECRET,
        "FLASK_AUTH_SECRET_FALLBACKS": "old-one,old-two",
        "FLASK_AUTH_URL": "https://app.example/",
        "FLASK_AUTH_URL_PREFIX": "/account",
        "FLASK_AUTH_SESSION_MAX_AGE": "604800",
        "FLASK_AUTH_SESSION_UPDATE_AGE": "3600",
        "FLASK_AUTH_SESSION_ABSOLUTE_MAX_AGE": "2592000",
        "FLASK_AUTH_COOKIE_SECURE": "true",
        "FLASK_AUTH_COOKIE_SAMESITE": "strict",
        "FLASK_AUTH_COOKIE_DOMAIN": "app.example",
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = Flask(__name__)
    app.config.from_prefixed_env()
    assert app.config["AUTH_SESSION_MAX_AGE"] == 604800  # Flask made it an int
    assert app.config["AUTH_COOKIE_SECURE"] is True  # and this a bool

    config = load_config(app.config, app_name=app.name)
    assert config.secret == SECRET
    assert config.secret_fallbacks == ("old-one", "old-two")
    assert config.url == "https://app.example"
    assert config.url_prefix == "/account"
    assert config.session_policy.max_age == timedelta(days=7)
    assert config.session_policy.update_age == timedelta(hours=1)
    assert config.session_policy.absolute_max_age == timedelta(days=30)
    assert config.cookie_secure is True
    assert config.cookie_samesite == "Strict"
    assert config.cookie_domain == "app.example"


def test_string_values_as_an_env_file_gives_them() -> None:
    """Every value as a plain string (``from_mapping(os.environ)``-style, python-dotenv)."""
    config = load(
        AUTH_SECRET_FALLBACKS="old-one",
        AUTH_SESSION_MAX_AGE="86400",
        AUTH_SESSION_UPDATE_AGE="0",
        AUTH_COOKIE_SECURE="false",
    )
    assert config.secret_fallbacks == ("old-one",)
    assert config.session_policy.max_age == timedelta(days=1)
    assert config.session_policy.update_age == timedelta(0)
    assert config.cookie_secure is False


def test_a_prefixed_env_fallback_list_in_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_AUTH_SECRET", SECRET)
    monkeypatch.setenv("FLASK_AUTH_SECRET_FALLBACKS", '["old-one", "old-two"]')
    app = Flask(__name__)
    app.config.from_prefixed_env()
    assert load_config(app.config).secret_fallbacks == ("old-one", "old-two")


def test_the_config_is_frozen() -> None:
    config = load()
    with pytest.raises(AttributeError):
        config.secret = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("missing", "named"),
    [
        ("AUTH_URL", "FLASK_AUTH_URL"),
        ("MAIL_DEFAULT_SENDER", "FLASK_MAIL_DEFAULT_SENDER"),
        ("AUTH_GITHUB_CLIENT_ID", "FLASK_AUTH_GITHUB_CLIENT_ID"),
    ],
)
def test_a_providers_missing_setting_is_named_as_the_environment_names_it(
    missing: str, named: str
) -> None:
    from flask_authadapter import Auth
    from flask_authadapter.adapters.memory import MemoryAdapter
    from flask_authadapter.providers import Email, GitHub

    settings = {
        "AUTH_SECRET": SECRET,
        "AUTH_URL": "https://app.example",
        "MAIL_DEFAULT_SENDER": "noreply@app.example",
        "AUTH_GITHUB_CLIENT_ID": "Iv1.0123456789abcdef",
        "AUTH_GITHUB_CLIENT_SECRET": "github-secret",
    }
    del settings[missing]
    app = Flask(__name__)
    app.config.update(settings)
    with pytest.raises(ConfigurationError) as info:
        Auth(app, adapter=MemoryAdapter(), providers=[Email(), GitHub()])
    assert missing in str(info.value)
    assert named in str(info.value)
