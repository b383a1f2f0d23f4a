"""Tests for ``flask_authadapter.config``: every ``AUTH_*`` setting, its default, its checks.

Problems must be a :class:`ConfigurationError` from ``load_config`` (so at start-up), never a
500 on the first request.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask

from flask_authadapter.config import DEFAULTS, PAGE_KINDS, REMOVED, AuthConfig, load_config
from flask_authadapter.core.errors import ConfigurationError
from flask_authadapter.core.sessions import SessionPolicy
from flask_authadapter.providers.email import Email
from flask_authadapter.ratelimit import EmailLimits

SECRET = "config-test-secret-" + "s" * 40


def load(**settings: Any) -> AuthConfig:
    """``load_config`` of a config holding a good secret and ``settings``."""
    return load_config({"AUTH_SECRET": SECRET, **settings})


def refused(**settings: Any) -> str:
    """The message of the ConfigurationError that ``settings`` cause."""
    with pytest.raises(ConfigurationError) as info:
        load(**settings)
    return str(info.value)


# Defaults ------------------------------------------------------------------------------


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


# The secret ----------------------------------------------------------------------------


def test_a_missing_secret_is_a_clear_error() -> None:
    with pytest.raises(ConfigurationError, match="AUTH_SECRET") as info:
        load_config({})
    assert "SECRET_KEY" in str(info.value)
    # The name to export for app.config.from_prefixed_env(), as the Quick start does.
    assert "FLASK_AUTH_SECRET" in str(info.value)


@pytest.mark.parametrize("empty", [None, ""])
def test_an_empty_secret_is_a_missing_secret(empty: str | None) -> None:
    with pytest.raises(ConfigurationError, match="AUTH_SECRET"):
        load_config({"AUTH_SECRET": empty, "SECRET_KEY": empty})


def test_the_secret_falls_back_to_SECRET_KEY() -> None:
    assert load_config({"SECRET_KEY": SECRET}).secret == SECRET


def test_AUTH_SECRET_wins_over_SECRET_KEY() -> None:
    config = load_config({"AUTH_SECRET": SECRET, "SECRET_KEY": "k" * 40})
    assert config.secret == SECRET


def test_a_bytes_secret_is_decoded() -> None:
    assert load_config({"SECRET_KEY": SECRET.encode()}).secret == SECRET


def test_a_secret_that_is_not_text_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="string"):
        load_config({"AUTH_SECRET": 12345})


def test_a_short_secret_logs_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="flask_authadapter")
    load_config({"AUTH_SECRET": "tiny-Qz7"})
    warnings = [r for r in caplog.records if r.name == "flask_authadapter"]
    assert [r.levelno for r in warnings] == [logging.WARNING]
    assert "32" in warnings[0].getMessage()
    assert "tiny-Qz7" not in warnings[0].getMessage()  # never the secret itself


def test_a_long_secret_logs_nothing(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="flask_authadapter")
    load_config({"AUTH_SECRET": "x" * 32})
    assert [r for r in caplog.records if r.name == "flask_authadapter"] == []


@pytest.mark.parametrize(
    "fallbacks",
    [["old-one", "old-two"], ("old-one", "old-two"), "old-one,old-two", [b"old-one", "old-two"]],
    ids=["list", "tuple", "comma string", "bytes"],
)
def test_secret_fallbacks(fallbacks: Any) -> None:
    config = load(AUTH_SECRET_FALLBACKS=fallbacks)
    assert config.secret_fallbacks == ("old-one", "old-two")
    assert config.secrets == (SECRET, "old-one", "old-two")


@pytest.mark.parametrize("empty", [None, "", [], ()])
def test_no_secret_fallbacks(empty: Any) -> None:
    assert load(AUTH_SECRET_FALLBACKS=empty).secrets == (SECRET,)


@pytest.mark.parametrize("bad", [["ok", ""], ["ok", None], [42]], ids=["empty", "None", "int"])
def test_bad_secret_fallbacks_are_refused(bad: Any) -> None:
    assert "AUTH_SECRET_FALLBACKS" in refused(AUTH_SECRET_FALLBACKS=bad)


def test_spaces_around_comma_separated_fallbacks_are_ignored() -> None:
    assert load(AUTH_SECRET_FALLBACKS="old-one, old-two").secret_fallbacks == (
        "old-one",
        "old-two",
    )


# Durations -----------------------------------------------------------------------------

DURATION_KEYS = [
    "AUTH_SESSION_MAX_AGE",
    "AUTH_SESSION_UPDATE_AGE",
    "AUTH_SESSION_ABSOLUTE_MAX_AGE",
]


def _policy_value(config: AuthConfig, key: str) -> timedelta | None:
    policy = config.session_policy
    return {
        "AUTH_SESSION_MAX_AGE": policy.max_age,
        "AUTH_SESSION_UPDATE_AGE": policy.update_age,
        "AUTH_SESSION_ABSOLUTE_MAX_AGE": policy.absolute_max_age,
    }[key]


@pytest.mark.parametrize("key", DURATION_KEYS)
@pytest.mark.parametrize(
    "value",
    [3600, "3600", " 3600 ", 3600.0, timedelta(hours=1)],
    ids=["int", "digits", "digits with spaces", "float", "timedelta"],
)
def test_durations(key: str, value: Any) -> None:
    # An update age that fits inside a max_age of an hour, unless it is the one tested.
    settings = {"AUTH_SESSION_UPDATE_AGE": 60, key: value}
    assert _policy_value(load(**settings), key) == timedelta(hours=1)


def test_sessions_of_minutes() -> None:
    config = load(AUTH_SESSION_MAX_AGE=600, AUTH_SESSION_UPDATE_AGE=60)
    assert config.session_policy.max_age == timedelta(minutes=10)
    assert config.session_policy.update_age == timedelta(minutes=1)


def test_an_update_age_of_zero_extends_on_every_request() -> None:
    assert load(AUTH_SESSION_UPDATE_AGE=0).session_policy.update_age == timedelta(0)


def test_update_age_equal_to_max_age_is_allowed() -> None:
    config = load(AUTH_SESSION_MAX_AGE=3600, AUTH_SESSION_UPDATE_AGE=3600)
    assert config.session_policy.update_age == config.session_policy.max_age


@pytest.mark.parametrize("key", DURATION_KEYS)
@pytest.mark.parametrize(
    "bad",
    ["thirty days", "1h", "-5", "1.5", True, [3600], {"days": 1}],
    ids=["words", "unit", "negative digits", "decimal string", "bool", "list", "dict"],
)
def test_bad_durations_are_refused(key: str, bad: Any) -> None:
    assert key in refused(**{key: bad})


@pytest.mark.parametrize("key", ["AUTH_SESSION_MAX_AGE", "AUTH_SESSION_UPDATE_AGE"])
def test_an_empty_required_duration_is_refused(key: str) -> None:
    # An empty AUTH_SESSION_ABSOLUTE_MAX_AGE is refused today as well, although an empty
    # AUTH_URL means "unset"; whether "" should mean "off" there is undecided, so unpinned.
    assert key in refused(**{key: ""})


@pytest.mark.parametrize("key", DURATION_KEYS)
@pytest.mark.parametrize("bad", [-1, timedelta(seconds=-1)], ids=["negative", "negative delta"])
def test_negative_durations_are_refused(key: str, bad: Any) -> None:
    refused(**{key: bad})


@pytest.mark.parametrize("key", ["AUTH_SESSION_MAX_AGE", "AUTH_SESSION_ABSOLUTE_MAX_AGE"])
def test_a_zero_lifetime_is_refused(key: str) -> None:
    refused(**{key: 0})


def test_update_age_longer_than_max_age_is_refused() -> None:
    message = refused(AUTH_SESSION_MAX_AGE=3600, AUTH_SESSION_UPDATE_AGE=7200)
    assert "update_age" in message


def test_a_default_update_age_longer_than_a_short_max_age_is_refused() -> None:
    # max_age of an hour with the default update_age of a day: a mistake, said at start-up.
    refused(AUTH_SESSION_MAX_AGE=3600)


# AUTH_URL ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("https://app.example", "https://app.example"),
        ("https://app.example/", "https://app.example"),
        ("http://localhost:5000", "http://localhost:5000"),
        ("https://app.example/shop/", "https://app.example/shop"),
        ("", None),
    ],
)
def test_auth_url(value: str, expected: str | None) -> None:
    assert load(AUTH_URL=value).url == expected


@pytest.mark.parametrize(
    "bad",
    [
        "app.example",
        "//app.example",
        "ftp://app.example",
        "javascript:alert(1)",
        "https://",
        "https://app.example/?next=/x",
        "https://app.example/#top",
        42,
    ],
    ids=[
        "no scheme",
        "scheme-relative",
        "ftp",
        "javascript",
        "no host",
        "query",
        "fragment",
        "not text",
    ],
)
def test_bad_auth_urls_are_refused(bad: Any) -> None:
    assert "AUTH_URL" in refused(AUTH_URL=bad)


# AUTH_URL_PREFIX -----------------------------------------------------------------------


@pytest.mark.parametrize("value", ["/auth", "/account/auth", "/a"])
def test_url_prefix(value: str) -> None:
    assert load(AUTH_URL_PREFIX=value).url_prefix == value


@pytest.mark.parametrize(
    "bad",
    ["auth", "/auth/", "/", "", None, 5],
    ids=["relative", "slash end", "root", "empty", "None", "int"],
)
def test_bad_url_prefixes_are_refused(bad: Any) -> None:
    assert "AUTH_URL_PREFIX" in refused(AUTH_URL_PREFIX=bad)


def test_a_scheme_relative_url_prefix_is_refused() -> None:
    refused(AUTH_URL_PREFIX="//auth")


# Cookies -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [("Lax", "Lax"), ("lax", "Lax"), ("STRICT", "Strict"), ("Strict", "Strict")],
)
def test_samesite_values(value: str, expected: str) -> None:
    assert load(AUTH_COOKIE_SAMESITE=value).cookie_samesite == expected


@pytest.mark.parametrize("secure", [True, None, "true"])
def test_samesite_none_with_secure_cookies(secure: Any) -> None:
    assert load(AUTH_COOKIE_SAMESITE="None", AUTH_COOKIE_SECURE=secure).cookie_samesite == "None"


@pytest.mark.parametrize("bad", ["Lox", "", "off", 1])
def test_bad_samesite_values_are_refused(bad: Any) -> None:
    assert "AUTH_COOKIE_SAMESITE" in refused(AUTH_COOKIE_SAMESITE=bad)


@pytest.mark.parametrize("insecure", [False, "false", "0", "off"])
def test_samesite_none_without_secure_is_refused(insecure: Any) -> None:
    assert "secure" in refused(AUTH_COOKIE_SAMESITE="none", AUTH_COOKIE_SECURE=insecure).lower()


def test_samesite_none_with_an_http_auth_url_is_refused() -> None:
    refused(AUTH_COOKIE_SAMESITE="None", AUTH_URL="http://app.example")


def test_samesite_python_None_does_not_mean_samesite_none() -> None:
    try:
        config = load(AUTH_COOKIE_SAMESITE=None)
    except ConfigurationError:
        return
    assert config.cookie_samesite != "None"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, True),
        (False, False),
        (None, None),
        ("true", True),
        ("Yes", True),
        ("1", True),
        ("on", True),
        ("false", False),
        ("no", False),
        ("0", False),
        ("OFF", False),
        (1, True),
        (0, False),
    ],
)
def test_cookie_secure_values(value: Any, expected: bool | None) -> None:
    assert load(AUTH_COOKIE_SECURE=value).cookie_secure is expected


@pytest.mark.parametrize("bad", ["maybe", "", [True]])
def test_bad_cookie_secure_values_are_refused(bad: Any) -> None:
    assert "AUTH_COOKIE_SECURE" in refused(AUTH_COOKIE_SECURE=bad)


def test_cookie_names_and_domain() -> None:
    config = load(AUTH_COOKIE_NAME="shop.sid", AUTH_COOKIE_DOMAIN="shop.example")
    assert (config.cookie_name, config.csrf_cookie_name) == ("shop.sid", "shop.csrf")
    assert config.cookie_domain == "shop.example"


@pytest.mark.parametrize(
    ("session", "csrf"),
    [
        ("authadapter.session", "authadapter.csrf"),
        ("shop_session", "shop_session.csrf"),
        ("my.shop.sid", "my.shop.csrf"),
        (".sid", ".sid.csrf"),
    ],
)
def test_the_csrf_cookie_is_named_after_the_session_cookie(session: str, csrf: str) -> None:
    assert load(AUTH_COOKIE_NAME=session).csrf_cookie_name == csrf


def test_a_session_cookie_name_ending_in_csrf_is_refused() -> None:
    message = refused(AUTH_COOKIE_NAME="shop.csrf")
    assert "AUTH_COOKIE_NAME" in message
    assert ".csrf" in message


@pytest.mark.parametrize("bad", ["", "shop session", "shop;sid", "sé", None, 5])
def test_bad_cookie_names_are_refused(bad: Any) -> None:
    assert "AUTH_COOKIE_NAME" in refused(AUTH_COOKIE_NAME=bad)


# AUTH_PAGES ------------------------------------------------------------------------------


def test_pages() -> None:
    config = load(AUTH_PAGES={"signin": "/login", "error": ""}, AUTH_DEFAULT_REDIRECT="/home")
    assert config.pages["signin"] == "/login"
    assert config.pages["error"] is None  # empty: the blueprint's page
    assert config.pages["signout"] is None  # not named: the blueprint's page
    assert config.default_redirect == "/home"


def test_every_page_may_be_the_apps_own() -> None:
    pages = {kind: f"/my/{kind}" for kind in PAGE_KINDS}
    assert dict(load(AUTH_PAGES=pages).pages) == pages


def test_the_pages_cannot_be_changed_after_loading() -> None:
    config = load(AUTH_PAGES={"signin": "/login"})
    with pytest.raises(TypeError):
        config.pages["signin"] = "/elsewhere"  # type: ignore[index]


@pytest.mark.parametrize("unknown", ["sign_in", "verify-request", "newUser"])
def test_an_unknown_page_is_refused_naming_the_known_ones(unknown: str) -> None:
    message = refused(AUTH_PAGES={"signin": "/login", unknown: "/x"})
    assert "AUTH_PAGES" in message
    assert repr(unknown) in message
    assert all(kind in message for kind in PAGE_KINDS)


@pytest.mark.parametrize("bad", ["/login", ["/login"], 5])
def test_pages_that_are_not_a_mapping_are_refused(bad: Any) -> None:
    message = refused(AUTH_PAGES=bad)
    assert "AUTH_PAGES must be a mapping" in message
    assert '{"signin": "/login"}' in message  # says what to write instead


@pytest.mark.parametrize("bad", [5, ["/login"]])
def test_a_page_that_is_not_text_is_refused(bad: Any) -> None:
    assert 'AUTH_PAGES["signin"]' in refused(AUTH_PAGES={"signin": bad})


def test_pages_from_the_environment_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLASK_AUTH_SECRET", SECRET)
    monkeypatch.setenv("FLASK_AUTH_PAGES", '{"signin": "/login", "error": "/oops"}')
    app = Flask(__name__)
    app.config.from_prefixed_env()
    pages = load_config(app.config).pages
    assert (pages["signin"], pages["error"], pages["signout"]) == ("/login", "/oops", None)


# Removed settings --------------------------------------------------------------------------


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


# Email sign-in's settings: Email(...) arguments ---------------------------------------------


def test_email_sign_ins_settings_are_the_providers_arguments() -> None:
    limits = EmailLimits(
        per_address="1 per minute",
        per_address_total="2 per minute",
        per_network="3 per minute",
        send_budget="100 per day",
        verify="4 per minute",
    )
    email = Email(max_attempts=3, timeout=2.5, rate_limits=limits)
    assert (email.max_attempts, email.timeout, email.rate_limits) == (3, 2.5, limits)
    assert Email(timeout=timedelta(seconds=3)).timeout == 3.0
    assert Email(rate_limits=None).rate_limits is None  # no limits (code tries still count)


@pytest.mark.parametrize("bad", [0, -1, True, 2.5, "5", None])
def test_max_attempts_must_be_a_whole_number_of_at_least_one(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"Email\(max_attempts=\.\.\.\) must be a whole"):
        Email(max_attempts=bad)


@pytest.mark.parametrize("bad", [0, -1, float("inf"), float("nan"), True, "10", timedelta(0)])
def test_the_timeout_must_be_a_positive_number_of_seconds(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"Email\(timeout=\.\.\.\) must be a positive"):
        Email(timeout=bad)


@pytest.mark.parametrize("bad", ["3 per 10 minutes", {"per_address": "3 per hour"}, False])
def test_rate_limits_must_be_email_limits_or_None(bad: Any) -> None:
    with pytest.raises(ValueError, match=r"EmailLimits\(\.\.\.\).* or None") as raised:
        Email(rate_limits=bad)
    assert repr(bad) in str(raised.value)


def test_a_bad_limit_is_refused_when_the_limits_are_built() -> None:
    with pytest.raises(ValueError, match=r"EmailLimits\(per_network=\.\.\.\)"):
        EmailLimits(per_network="lots")


def test_the_limits_are_frozen() -> None:
    limits = EmailLimits()
    with pytest.raises(AttributeError):
        limits.verify = "1 per hour"  # type: ignore[misc]


# Values from the environment -----------------------------------------------------------


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
