"""JSON: /auth/session, /auth/csrf, /auth/providers; Unknown provider."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask.testing import FlaskClient

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.testing import SQLAlchemyRawStore
from tests.apps import csrf_from, dummy_sign_in, make_app
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

from .helpers import (
    START,
)


def test_session_is_null_when_signed_out(client: FlaskClient) -> None:
    response = client.get("/auth/session")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_data(as_text=True).strip() == "null"


def test_session_shows_the_user_and_the_expiry_when_signed_in(
    adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    clock = FrozenClock(START)
    app, _ = make_app(adapter, clock=clock)
    client = app.test_client()
    dummy_sign_in(client, email="ada@example.com")
    data = client.get("/auth/session").json
    assert data is not None
    assert set(data) == {"user", "expires"}
    assert data["user"]["email"] == "ada@example.com"
    assert raw.user(data["user"]["id"]) is not None
    assert set(data["user"]) == {"id", "email", "name", "image"}
    assert data["expires"] == "2031-06-16T09:30:15.123456Z"  # START + 30 days, UTC, "Z"
    expires = datetime.fromisoformat(data["expires"].replace("Z", "+00:00"))
    assert expires == START + timedelta(days=30)


def test_csrf_gives_a_token_and_sets_the_cookie(client: FlaskClient) -> None:
    response = client.get("/auth/csrf")
    assert response.status_code == 200
    token = response.json["csrfToken"]
    assert isinstance(token, str) and len(token) >= 40
    set_cookies = response.headers.getlist("Set-Cookie")
    assert any(h.startswith(f"authadapter.csrf={token}.") for h in set_cookies), set_cookies
    assert all("HttpOnly" in h for h in set_cookies)
    # The same browser keeps its token; the page's form carries the same one.
    assert client.get("/auth/csrf").json["csrfToken"] == token
    assert csrf_from(client) == token
    # Another browser gets another.
    assert client.application.test_client().get("/auth/csrf").json["csrfToken"] != token


def test_providers_lists_each_provider(client: FlaskClient) -> None:
    data = client.get("/auth/providers").json
    assert data == {
        "dummy": {
            "id": "dummy",
            "name": "Dummy",
            "type": "oauth",
            "signinUrl": "http://localhost/auth/signin/dummy",
            "callbackUrl": "http://localhost/auth/callback/dummy",
        },
        "other": {
            "id": "other",
            "name": "Other Co",
            "type": "oauth",
            "signinUrl": "http://localhost/auth/signin/other",
            "callbackUrl": "http://localhost/auth/callback/other",
        },
    }


def test_providers_urls_come_from_auth_url_never_from_the_host_header(
    adapter: SQLAlchemyAdapter,
) -> None:
    app, _ = make_app(adapter, AUTH_URL="https://app.example/", AUTH_URL_PREFIX="/login")
    client = app.test_client()
    for headers in ({}, {"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
        data = client.get("/login/providers", headers=headers).json
        assert data["dummy"]["signinUrl"] == "https://app.example/login/signin/dummy"
        assert data["dummy"]["callbackUrl"] == "https://app.example/login/callback/dummy"
        assert "evil" not in str(data)


def test_the_provider_redirect_uri_comes_from_auth_url(adapter: SQLAlchemyAdapter) -> None:
    """The callback URL handed to the provider ignores a forged Host header too."""
    app, _ = make_app(adapter, AUTH_URL="http://app.example")
    client = app.test_client()
    token = csrf_from(client)
    csrf_cookie = client.get_cookie("authadapter.csrf")
    assert csrf_cookie is not None
    # The test client sends cookies by the Host header's name: give the forged host it.
    client.set_cookie("authadapter.csrf", csrf_cookie.value, domain="evil.example")
    response = client.post(
        "/auth/signin/dummy",
        data={"csrf_token": token, "sub": "1"},
        headers={"Host": "evil.example", "Origin": "http://app.example"},
    )
    assert response.status_code == 302
    assert response.location.startswith("http://app.example/auth/callback/dummy?")


def test_unknown_provider_is_404(client: FlaskClient, raw: SQLAlchemyRawStore) -> None:
    token = csrf_from(client)
    assert client.post("/auth/signin/nope", data={"csrf_token": token}).status_code == 404
    assert client.get("/auth/callback/nope?sub=1").status_code == 404
    assert client.post("/auth/callback/nope", data={"csrf_token": token}).status_code == 404
    assert raw.count("users") == 0
