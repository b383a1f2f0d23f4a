"""GET /auth/error; GET /auth/verify-request."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from flask_authadapter.web.responses import ERROR_PAGES
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

from .helpers import (
    assert_accessible,
    page_of,
)


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"error": "AccessDenied"}, 403, "AccessDenied"),
        ({"error": "Cancelled"}, 403, "Cancelled"),
        ({"error": "Verification"}, 403, "Verification"),
        ({"error": "Configuration"}, 500, "Configuration"),
        ({"error": "MissingCSRF"}, 403, "MissingCSRF"),
        ({"error": "RateLimited"}, 429, "RateLimited"),
        ({"error": "OAuthAccountNotLinked"}, 409, "OAuthAccountNotLinked"),
        ({"error": "SessionRequired"}, 401, "SessionRequired"),
        ({"error": "OAuthSignin"}, 400, "OAuthSignin"),
        ({"error": "OAuthCallbackError"}, 400, "OAuthCallbackError"),
        ({"error": "EmailSignin"}, 400, "EmailSignin"),
        ({"error": "NoSuchCode"}, 400, "Default"),
        ({"error": "accessdenied"}, 400, "Default"),
        ({"error": ""}, 400, "Default"),
        ({}, 400, "Default"),
    ],
    ids=lambda v: str(v) if not isinstance(v, dict) else (v.get("error", "missing") or "empty"),
)
def test_error_page_has_the_status_of_its_code(
    client: FlaskClient, query: dict[str, str], status: int, code: str
) -> None:
    response = client.get("/auth/error", query_string=query)
    assert response.status_code == status
    page = page_of(response)
    title, message = ERROR_PAGES[code].title, ERROR_PAGES[code].message
    assert page.texts["h1"] == [title]
    assert message in page.text
    if code == "Default":
        assert "Error code" not in page.text and "Default" not in page.text
    else:
        assert f"Error code: {code}" in page.text
    assert_accessible(page)


def test_error_page_without_a_code_is_plain(client: FlaskClient) -> None:
    response = client.get("/auth/error")
    assert response.status_code == 400
    page = page_of(response)
    assert page.texts["h1"] == ["Unable to sign in"]
    assert "Something went wrong. Please try again." in page.text
    assert "Default" not in response.get_data(as_text=True)


def test_error_page_never_echoes_the_error_parameter(client: FlaskClient) -> None:
    payload = '<script>alert("pwned-4242")</script>'
    response = client.get("/auth/error", query_string={"error": payload})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "pwned-4242" not in body and "<script" not in body and "&lt;script" not in body


def test_verify_request_page(client: FlaskClient) -> None:
    response = client.get("/auth/verify-request")
    assert response.status_code == 200
    page = page_of(response)
    assert page.texts["h1"] == ["Check your email"]
    assert "/auth/signin" in [a.get("href") for tag, a in page.elements if tag == "a"]
