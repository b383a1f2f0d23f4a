"""Defaults."""

from __future__ import annotations

from datetime import timedelta

from flask_authadapter.config import DEFAULTS, PAGE_KINDS, load_config
from flask_authadapter.core.sessions import SessionPolicy

from .helpers import (
    SECRET,
    load,
)


def test_the_defaults_are_those_of_DEFAULTS() -> None:
    config = load_config({"AUTH_SECRET": SECRET}, app_name="shop")
    policy = config.session_policy
    assert config.secret == SECRET
    assert config.secret_fallbacks == tuple(DEFAULTS["AUTH_SECRET_FALLBACKS"])
    assert config.url == DEFAULTS["AUTH_URL"]
    assert config.url_prefix == DEFAULTS["AUTH_URL_PREFIX"] == "/auth"
    assert policy.max_age == DEFAULTS["AUTH_SESSION_MAX_AGE"] == timedelta(days=30)
    assert policy.update_age == DEFAULTS["AUTH_SESSION_UPDATE_AGE"] == timedelta(days=1)
    assert policy.absolute_max_age is DEFAULTS["AUTH_SESSION_ABSOLUTE_MAX_AGE"] is None
    assert config.cookie_name == DEFAULTS["AUTH_COOKIE_NAME"] == "authadapter.session"
    assert config.csrf_cookie_name == "authadapter.csrf"
    assert config.cookie_secure is DEFAULTS["AUTH_COOKIE_SECURE"] is None
    assert config.cookie_samesite == DEFAULTS["AUTH_COOKIE_SAMESITE"] == "Lax"
    assert config.cookie_domain is DEFAULTS["AUTH_COOKIE_DOMAIN"] is None
    assert DEFAULTS["AUTH_PAGES"] is None
    assert dict(config.pages) == dict.fromkeys(PAGE_KINDS)  # the blueprint's own pages
    assert config.default_redirect == DEFAULTS["AUTH_DEFAULT_REDIRECT"] == "/"
    assert config.site_name == "shop"  # AUTH_SITE_NAME None: the app's name
    assert config.blueprint_name == DEFAULTS["AUTH_BLUEPRINT_NAME"] == "auth"
    assert config.ratelimit_storage_uri == DEFAULTS["AUTH_RATELIMIT_STORAGE_URI"] == "memory://"
    assert config.content_security_policy == DEFAULTS["AUTH_CONTENT_SECURITY_POLICY"]


def test_every_setting_has_the_auth_prefix() -> None:
    assert DEFAULTS
    assert all(key.startswith("AUTH_") for key in DEFAULTS)


def test_the_session_defaults_are_the_session_policys() -> None:
    policy = SessionPolicy()
    assert DEFAULTS["AUTH_SESSION_MAX_AGE"] == policy.max_age
    assert DEFAULTS["AUTH_SESSION_UPDATE_AGE"] == policy.update_age
    assert DEFAULTS["AUTH_SESSION_ABSOLUTE_MAX_AGE"] == policy.absolute_max_age


def test_an_explicit_None_means_the_default_for_optional_settings() -> None:
    config = load(AUTH_URL=None, AUTH_COOKIE_DOMAIN=None, AUTH_SESSION_ABSOLUTE_MAX_AGE=None)
    assert config.url is None
    assert config.cookie_domain is None
    assert config.session_policy.absolute_max_age is None


def test_the_site_name_without_an_app_name() -> None:
    assert load().site_name == "this site"
    assert load(AUTH_SITE_NAME="Shop").site_name == "Shop"
