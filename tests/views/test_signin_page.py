"""GET /auth/signin."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.web.responses import ERROR_PAGES
from tests.apps import make_app
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

from .helpers import (
    assert_accessible,
    page_of,
)


def test_signin_page_lists_each_provider_with_a_csrf_protected_form(client: FlaskClient) -> None:
    response = client.get("/auth/signin")
    assert response.status_code == 200
    page = page_of(response)
    assert "Sign in with Dummy" in page.texts["button"]
    assert "Sign in with Other Co" in page.texts["button"]
    cookie = client.get_cookie("authadapter.csrf")
    assert cookie is not None
    token = cookie.value.split(".")[0]
    by_action = {form["action"]: form for form in page.forms}
    assert set(by_action) == {"/auth/signin/dummy", "/auth/signin/other"}
    for form in by_action.values():
        assert form["method"] == "post"
        assert form["fields"] == {"csrf_token": token, "callback_url": ""}


def test_signin_page_keeps_a_safe_callback_url(client: FlaskClient) -> None:
    response = client.get("/auth/signin", query_string={"callback_url": "/private?x=1&y=<2>"})
    for form in page_of(response).forms:
        assert form["fields"]["callback_url"] == "/private?x=1&y=<2>"
    assert "y=<2>" not in response.get_data(as_text=True)  # escaped in the HTML


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        '"><script>alert(1)</script>',
    ],
)
def test_signin_page_drops_a_hostile_callback_url(client: FlaskClient, hostile: str) -> None:
    response = client.get("/auth/signin", query_string={"callback_url": hostile})
    page = page_of(response)
    assert page.forms
    for form in page.forms:
        assert form["fields"]["callback_url"] == ""
    body = response.get_data(as_text=True)
    assert "evil.example" not in body and "alert(1)" not in body


@pytest.mark.parametrize("code", ["OAuthAccountNotLinked", "AccessDenied", "MissingCSRF"])
def test_signin_page_shows_the_message_of_an_error_code(client: FlaskClient, code: str) -> None:
    response = client.get("/auth/signin", query_string={"error": code})
    assert response.status_code == 200
    page = page_of(response)
    title, message = ERROR_PAGES[code].title, ERROR_PAGES[code].message
    assert f"{title}. {message}" in page.text
    assert 'role="alert"' in response.get_data(as_text=True)


def test_signin_page_never_echoes_an_unknown_error(client: FlaskClient) -> None:
    payload = '<script>alert("pwned-4242")</script>'
    response = client.get("/auth/signin", query_string={"error": payload})
    body = response.get_data(as_text=True)
    assert "pwned-4242" not in body and "<script" not in body
    assert ERROR_PAGES["Default"].message in page_of(response).text


def test_signin_page_without_providers_says_so(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, providers=[])
    response = app.test_client().get("/auth/signin")
    assert response.status_code == 200
    page = page_of(response)
    assert not page.forms
    assert "No way to sign in is set up" in response.get_data(as_text=True)
    assert_accessible(page)
