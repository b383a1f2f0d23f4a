"""Cookies."""

from __future__ import annotations

from typing import Any

import pytest

from flask_authadapter.core.errors import ConfigurationError

from .helpers import (
    load,
    refused,
)


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
