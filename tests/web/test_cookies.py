"""Tests for ``flask_authadapter.web.cookies``: names, attributes, reading, deleting.

Each test goes through a real Flask app and its test client: the attributes are read from
the ``Set-Cookie`` headers the app really sends, and the client's cookie jar shows what a
browser would keep.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from flask import Flask, make_response, request
from flask.testing import FlaskClient
from werkzeug.http import http_date
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from flask_authadapter.config import AuthConfig, load_config
from flask_authadapter.web.cookies import (
    cookie_name,
    delete_cookie,
    is_secure,
    read_cookie,
    write_cookie,
)

SECRET = "cookie-test-secret-" + "c" * 40
BASE = "authadapter.session"
HTTP = "http://app.example"
HTTPS = "https://app.example"
EXPIRES = datetime(2031, 6, 1, 12, 0, 0, tzinfo=timezone.utc)


def parse_set_cookies(response: Response) -> dict[str, dict[str, Any]]:
    """Each cookie a response sets, by name: ``value`` and its attributes (lower-case keys;
    flags are True)."""
    cookies: dict[str, dict[str, Any]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        parsed: dict[str, Any] = {"value": value}
        for attribute in attributes:
            key, has_value, attribute_value = attribute.partition("=")
            parsed[key.lower()] = attribute_value if has_value else True
        cookies[name] = parsed
    return cookies


def cookie_app(**settings: Any) -> tuple[Flask, AuthConfig]:
    """An app whose routes set, delete, read the cookie ``BASE`` and say if it is secure."""
    app = Flask(__name__)
    app.config["TESTING"] = True
    config = load_config({"AUTH_SECRET": SECRET, **settings})

    @app.get("/set")
    def set_cookie() -> Response:
        response = make_response("set")
        expires = EXPIRES if request.args.get("expires") else None
        write_cookie(response, request, BASE, "token-value", config, expires=expires)
        return response

    @app.get("/delete")
    def remove_cookie() -> Response:
        response = make_response("deleted")
        delete_cookie(response, request, BASE, config)
        return response

    @app.get("/read")
    def read() -> str:
        return read_cookie(request, BASE, config) or "(none)"

    @app.get("/secure")
    def secure() -> str:
        return "secure" if is_secure(config, request) else "plain"

    return app, config


def client_for(app: Flask) -> FlaskClient:
    return app.test_client()


# is_secure: the setting, then AUTH_URL's scheme, then the request -----------------------


@pytest.mark.parametrize(
    ("cookie_secure", "auth_url", "request_base", "expected"),
    [
        # AUTH_COOKIE_SECURE wins over everything.
        (True, HTTP, HTTP, "secure"),
        (True, None, HTTP, "secure"),
        (False, HTTPS, HTTPS, "plain"),
        (False, None, HTTPS, "plain"),
        # Unset: AUTH_URL's scheme wins over the request's.
        (None, HTTPS, HTTP, "secure"),
        (None, HTTP, HTTPS, "plain"),
        # Neither: the request's scheme.
        (None, None, HTTPS, "secure"),
        (None, None, HTTP, "plain"),
    ],
)
def test_is_secure_precedence(
    cookie_secure: bool | None, auth_url: str | None, request_base: str, expected: str
) -> None:
    app, _ = cookie_app(AUTH_COOKIE_SECURE=cookie_secure, AUTH_URL=auth_url)
    answer = client_for(app).get("/secure", base_url=request_base)
    assert answer.get_data(as_text=True) == expected


def test_a_forwarded_proto_counts_only_through_proxy_fix() -> None:
    app, _ = cookie_app()
    headers = {"X-Forwarded-Proto": "https"}
    # Anyone can send the header: without ProxyFix it proves nothing.
    assert client_for(app).get("/secure", headers=headers).get_data(as_text=True) == "plain"
    app.wsgi_app = ProxyFix(app.wsgi_app, x_proto=1)  # type: ignore[method-assign]
    assert client_for(app).get("/secure", headers=headers).get_data(as_text=True) == "secure"


# cookie_name: the prefix the attributes allow --------------------------------------------


@pytest.mark.parametrize(
    ("settings", "secure", "expected"),
    [
        ({}, True, "__Host-" + BASE),
        ({"AUTH_COOKIE_DOMAIN": "app.example"}, True, "__Secure-" + BASE),
        ({}, False, BASE),
        ({"AUTH_COOKIE_DOMAIN": "app.example"}, False, BASE),
    ],
    ids=["secure", "secure with domain", "plain", "plain with domain"],
)
def test_cookie_name(settings: dict[str, Any], secure: bool, expected: str) -> None:
    config = load_config({"AUTH_SECRET": SECRET, **settings})
    assert cookie_name(BASE, config, secure) == expected


# write_cookie --------------------------------------------------------------------------


def test_over_http_the_cookie_has_no_prefix_and_no_secure() -> None:
    app, _ = cookie_app()
    response = client_for(app).get("/set", base_url=HTTP)
    cookies = parse_set_cookies(response)
    assert list(cookies) == [BASE]
    cookie = cookies[BASE]
    assert cookie["value"] == "token-value"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie
    assert "domain" not in cookie
    assert "expires" not in cookie and "max-age" not in cookie  # a browser-session cookie


def test_over_https_the_cookie_is_host_prefixed_and_secure() -> None:
    app, _ = cookie_app()
    response = client_for(app).get("/set", base_url=HTTPS)
    cookie = parse_set_cookies(response)["__Host-" + BASE]
    # What the __Host- prefix requires: Secure, Path=/, no Domain.
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert "domain" not in cookie
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


def test_with_a_domain_the_cookie_is_secure_prefixed_and_carries_it() -> None:
    app, _ = cookie_app(AUTH_COOKIE_DOMAIN="app.example")
    response = client_for(app).get("/set", base_url=HTTPS)
    cookie = parse_set_cookies(response)["__Secure-" + BASE]
    assert cookie["secure"] is True
    assert cookie["domain"] == "app.example"
    assert cookie["path"] == "/"


def test_the_expiry_is_sent_when_given() -> None:
    app, _ = cookie_app()
    cookie = parse_set_cookies(client_for(app).get("/set?expires=1"))[BASE]
    assert cookie["expires"] == http_date(EXPIRES)


@pytest.mark.parametrize("samesite", ["Strict", "None"])
def test_the_samesite_setting_is_used(samesite: str) -> None:
    app, _ = cookie_app(AUTH_COOKIE_SAMESITE=samesite, AUTH_COOKIE_SECURE=True)
    cookie = parse_set_cookies(client_for(app).get("/set"))["__Host-" + BASE]
    assert cookie["samesite"] == samesite
    assert cookie["secure"] is True


def test_the_secure_setting_wins_over_a_plain_request() -> None:
    app, _ = cookie_app(AUTH_COOKIE_SECURE=True)
    cookies = parse_set_cookies(client_for(app).get("/set", base_url=HTTP))
    assert cookies["__Host-" + BASE]["secure"] is True


# read_cookie ---------------------------------------------------------------------------


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_cookie_written_is_read_back(base_url: str) -> None:
    app, _ = cookie_app()
    client = client_for(app)
    client.get("/set", base_url=base_url)
    assert client.get("/read", base_url=base_url).get_data(as_text=True) == "token-value"


def test_over_https_an_unprefixed_cookie_is_not_read() -> None:
    """A cookie without the prefix may have been planted over http or by a sibling
    subdomain: over https only the ``__Host-`` one counts."""
    app, _ = cookie_app()
    client = client_for(app)
    client.set_cookie(BASE, "planted", domain="app.example")
    assert client.get("/read", base_url=HTTPS).get_data(as_text=True) == "(none)"
    client.set_cookie("__Host-" + BASE, "genuine", domain="app.example")
    assert client.get("/read", base_url=HTTPS).get_data(as_text=True) == "genuine"


def test_over_http_a_prefixed_cookie_is_not_read() -> None:
    app, _ = cookie_app()
    client = client_for(app)
    client.set_cookie("__Host-" + BASE, "prefixed", domain="app.example")
    assert client.get("/read", base_url=HTTP).get_data(as_text=True) == "(none)"


# delete_cookie -------------------------------------------------------------------------


def _assert_expired(cookie: dict[str, Any]) -> None:
    assert cookie["value"] == ""
    assert cookie["max-age"] == "0"
    assert cookie["expires"] == "Thu, 01 Jan 1970 00:00:00 GMT"


def test_delete_over_http() -> None:
    app, _ = cookie_app()
    cookie = parse_set_cookies(client_for(app).get("/delete", base_url=HTTP))[BASE]
    _assert_expired(cookie)
    assert cookie["path"] == "/"
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert "secure" not in cookie


def test_delete_over_https_keeps_what_the_host_prefix_requires() -> None:
    # A browser ignores a Set-Cookie for a __Host- name without Secure and Path=/, so a
    # deletion without them would leave the cookie in place.
    app, _ = cookie_app()
    cookie = parse_set_cookies(client_for(app).get("/delete", base_url=HTTPS))["__Host-" + BASE]
    _assert_expired(cookie)
    assert cookie["secure"] is True
    assert cookie["path"] == "/"
    assert "domain" not in cookie


def test_delete_with_a_domain_names_the_domain() -> None:
    # A cookie set for a domain is only removed by a deletion for that same domain.
    app, _ = cookie_app(AUTH_COOKIE_DOMAIN="app.example")
    cookie = parse_set_cookies(client_for(app).get("/delete", base_url=HTTPS))["__Secure-" + BASE]
    _assert_expired(cookie)
    assert cookie["domain"] == "app.example"
    assert cookie["secure"] is True


@pytest.mark.parametrize("base_url", [HTTP, HTTPS])
def test_a_deleted_cookie_leaves_the_browser(base_url: str) -> None:
    app, _ = cookie_app()
    client = client_for(app)
    client.get("/set", base_url=base_url)
    assert client.get("/read", base_url=base_url).get_data(as_text=True) == "token-value"
    client.get("/delete", base_url=base_url)
    assert client.get("/read", base_url=base_url).get_data(as_text=True) == "(none)"
