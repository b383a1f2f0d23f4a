"""CSRF protection of the blueprint's POSTs, through real requests on a real database.

Every refusal must be a 403 MissingCSRF page (or JSON), change nothing in the store, and
never reach the provider.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.tokens import new_token, sign
from flask_authadapter.providers.base import SignInFlow
from flask_authadapter.testing import KINDS, SQLAlchemyRawStore
from flask_authadapter.web.responses import ERROR_PAGES
from tests.apps import DummyProvider, csrf_from, dummy_sign_in, make_app

# =========================================================================== #
# A real database per backend for the module; empty tables for each test.
# =========================================================================== #
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401


def counts(raw: SQLAlchemyRawStore) -> dict[str, int]:
    return {kind: raw.count(kind) for kind in KINDS}


# =========================================================================== #
# The app, a provider that records its calls, and the ways to forge a POST
# =========================================================================== #

CURRENT = "current-secret-" + "c" * 40
OLD = "old-secret-" + "o" * 40
UNKNOWN = "unknown-secret-" + "u" * 40
CSRF_COOKIE = "authadapter.csrf"
SESSION_COOKIE = "authadapter.session"


class RecordingProvider(DummyProvider):
    """The dummy provider, remembering every time a sign-in reached it."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.begun: list[SignInFlow] = []

    def begin(self, flow: SignInFlow) -> Response:
        self.begun.append(flow)
        return super().begin(flow)


@pytest.fixture
def provider() -> RecordingProvider:
    return RecordingProvider("dummy")


@pytest.fixture
def app(adapter: SQLAlchemyAdapter, provider: RecordingProvider) -> Flask:
    app, _ = make_app(
        adapter, providers=[provider], AUTH_SECRET=CURRENT, AUTH_SECRET_FALLBACKS=[OLD]
    )
    return app


def cookie_for(secret: str) -> tuple[str, str]:
    """A CSRF token and the cookie value that ``secret`` would have signed for it."""
    token = new_token()
    return token, f"{token}.{sign(secret, token, purpose='csrf')}"


def csrf_cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    return cookie.value


# Each case prepares the browser and returns (form fields, headers) for the POST. A case
# gets the client and the test's app (to make other browsers).
Case = Callable[[FlaskClient, Flask], tuple[dict[str, str], dict[str, str]]]


def _missing_token(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    csrf_from(client)  # the browser has its cookie, but the form sends no token
    return {}, {}


def _no_cookie(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    token = csrf_from(client)
    client.delete_cookie(CSRF_COOKIE)
    return {"csrf_token": token}, {}


def _wrong_token(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    csrf_from(client)
    return {"csrf_token": new_token()}, {}


def _empty_token(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    csrf_from(client)
    return {"csrf_token": ""}, {}


def _token_of_another_browser(
    client: FlaskClient, app: Flask
) -> tuple[dict[str, str], dict[str, str]]:
    csrf_from(client)  # this browser has its own cookie...
    theirs = csrf_from(app.test_client())  # ...the attacker posts the token of another
    return {"csrf_token": theirs}, {}


def _the_cookie_as_token(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    csrf_from(client)
    return {"csrf_token": csrf_cookie_of(client)}, {}


def _bad_signature(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    # A cookie planted by someone else (a sibling subdomain): token.signature, forged.
    token = new_token()
    client.set_cookie(CSRF_COOKIE, f"{token}.{'0' * 64}")
    return {"csrf_token": token}, {}


def _unsigned_cookie(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    token = new_token()
    client.set_cookie(CSRF_COOKIE, token)
    return {"csrf_token": token}, {}


def _unknown_secret(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    token, value = cookie_for(UNKNOWN)
    client.set_cookie(CSRF_COOKIE, value)
    return {"csrf_token": token}, {}


def _another_purpose(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    # Signed with the right secret, but for another purpose: signatures are not shared.
    token = new_token()
    client.set_cookie(CSRF_COOKIE, f"{token}.{sign(CURRENT, token, purpose='verification')}")
    return {"csrf_token": token}, {}


def _headers_case(**headers: str) -> Case:
    def case(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
        return {"csrf_token": csrf_from(client)}, headers

    return case


REFUSED: dict[str, Case] = {
    "missing-token": _missing_token,
    "no-cookie": _no_cookie,
    "wrong-token": _wrong_token,
    "empty-token": _empty_token,
    "token-of-another-browser": _token_of_another_browser,
    "cookie-value-as-token": _the_cookie_as_token,
    "cookie-with-bad-signature": _bad_signature,
    "unsigned-cookie": _unsigned_cookie,
    "cookie-signed-with-unknown-secret": _unknown_secret,
    "cookie-signed-for-another-purpose": _another_purpose,
    "origin-evil": _headers_case(Origin="https://evil.example"),
    # An opaque origin from another site (a sandboxed frame): Sec-Fetch-Site gives it away.
    "origin-null-cross-site": _headers_case(Origin="null", **{"Sec-Fetch-Site": "cross-site"}),
    "origin-other-port": _headers_case(Origin="http://localhost:8080"),
    "origin-other-scheme": _headers_case(Origin="https://localhost"),
    "sec-fetch-site-cross-site": _headers_case(**{"Sec-Fetch-Site": "cross-site"}),
    "sec-fetch-site-same-site": _headers_case(**{"Sec-Fetch-Site": "same-site"}),
}


def _old_secret(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    token, value = cookie_for(OLD)  # from before the secret was rotated
    client.set_cookie(CSRF_COOKIE, value)
    return {"csrf_token": token}, {}


def _header_token(client: FlaskClient, app: Flask) -> tuple[dict[str, str], dict[str, str]]:
    token = client.get("/auth/csrf").json["csrfToken"]
    return {}, {"X-CSRF-Token": token}


ACCEPTED: dict[str, Case] = {
    "form-token": _headers_case(),
    "cookie-signed-with-old-secret-in-fallbacks": _old_secret,
    "origin-same-site": _headers_case(Origin="http://localhost"),
    "sec-fetch-site-same-origin": _headers_case(**{"Sec-Fetch-Site": "same-origin"}),
    "sec-fetch-site-none": _headers_case(**{"Sec-Fetch-Site": "none"}),
    # What Chromium sends from our own pages, whose Referrer-Policy is no-referrer.
    "origin-null-same-origin": _headers_case(Origin="null", **{"Sec-Fetch-Site": "same-origin"}),
    "same-origin-both-headers": _headers_case(
        Origin="http://localhost", **{"Sec-Fetch-Site": "same-origin"}
    ),
    "x-csrf-token-header": _header_token,
}


def assert_missing_csrf_page(response: Any) -> None:
    assert response.status_code == 403, response.get_data(as_text=True)
    assert "Location" not in response.headers
    assert response.mimetype == "text/html"
    body = response.get_data(as_text=True)
    assert ERROR_PAGES["MissingCSRF"].title in body
    assert "<code>MissingCSRF</code>" in body
    assert response.headers["Cache-Control"] == "no-store"


def assert_missing_csrf_json(response: Any) -> None:
    assert response.status_code == 403
    assert response.mimetype == "application/json"
    assert response.json == {"error": "MissingCSRF", "message": ERROR_PAGES["MissingCSRF"].message}
    assert "Location" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


# =========================================================================== #
# POST /auth/signin/<provider>
# =========================================================================== #


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_signin_post_refused(
    app: Flask, provider: RecordingProvider, raw: SQLAlchemyRawStore, case: Case
) -> None:
    client = app.test_client()
    form, headers = case(client, app)
    form = {**form, "sub": "1", "email": "ada@example.com", "callback_url": "/private"}
    before = counts(raw)
    response = client.post("/auth/signin/dummy", data=form, headers=headers)
    assert_missing_csrf_page(response)
    assert provider.begun == []
    assert counts(raw) == before == dict.fromkeys(KINDS, 0)
    assert client.get_cookie(SESSION_COOKIE) is None
    assert not any(
        h.startswith("authadapter.oauth-flow=") for h in response.headers.getlist("Set-Cookie")
    )
    # Nothing changed, so the same POST from a script is refused the same way, as JSON.
    as_json = client.post(
        "/auth/signin/dummy", data=form, headers={**headers, "Accept": "application/json"}
    )
    assert_missing_csrf_json(as_json)
    assert provider.begun == []
    assert counts(raw) == before


@pytest.mark.parametrize("case", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_signin_post_accepted(
    app: Flask, provider: RecordingProvider, raw: SQLAlchemyRawStore, case: Case
) -> None:
    client = app.test_client()
    form, headers = case(client, app)
    started = client.post(
        "/auth/signin/dummy",
        data={**form, "sub": "1", "email": "ada@example.com", "callback_url": "/private"},
        headers=headers,
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    assert started.location.startswith("http://localhost/auth/callback/dummy?")
    assert len(provider.begun) == 1
    landed = client.get(started.location)
    assert landed.status_code == 302 and landed.location == "/private"
    assert counts(raw)["sessions"] == 1
    assert client.get("/whoami").get_data(as_text=True) == "ada@example.com"


def test_a_cookie_signed_with_an_old_secret_keeps_its_token(app: Flask) -> None:
    """During a rotation, pages served to a browser with an old cookie keep its token."""
    client = app.test_client()
    token, value = cookie_for(OLD)
    client.set_cookie(CSRF_COOKIE, value)
    assert csrf_from(client) == token  # the old cookie still verifies: same token


def test_an_unknown_secret_cookie_gets_a_fresh_token(app: Flask) -> None:
    client = app.test_client()
    token, value = cookie_for(UNKNOWN)
    client.set_cookie(CSRF_COOKIE, value)
    fresh = csrf_from(client)
    assert fresh != token
    new_value = csrf_cookie_of(client)
    assert new_value.startswith(f"{fresh}.") and new_value != value
    # ... and the new pair works.
    started = client.post("/auth/signin/dummy", data={"csrf_token": fresh, "sub": "1"})
    assert started.status_code == 302


def test_the_origin_is_checked_against_auth_url(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, AUTH_URL="http://app.example")
    client = app.test_client()
    token = csrf_from(client)
    # The site as seen by the request (localhost) is not the public origin.
    refused = client.post(
        "/auth/signin/dummy",
        data={"csrf_token": token, "sub": "1"},
        headers={"Origin": "http://localhost"},
    )
    assert refused.status_code == 403
    accepted = client.post(
        "/auth/signin/dummy",
        data={"csrf_token": token, "sub": "1"},
        headers={"Origin": "http://APP.example"},
    )
    assert accepted.status_code == 302


# =========================================================================== #
# POST /auth/signout
# =========================================================================== #


@pytest.fixture
def signed_in(app: Flask, provider: RecordingProvider, raw: SQLAlchemyRawStore) -> FlaskClient:
    client = app.test_client()
    assert dummy_sign_in(client).location == "/private"
    provider.begun.clear()
    assert counts(raw) == {"users": 1, "accounts": 1, "sessions": 1, "verification_tokens": 0}
    return client


@pytest.mark.parametrize("case", REFUSED.values(), ids=REFUSED.keys())
def test_signout_post_refused(
    app: Flask, signed_in: FlaskClient, raw: SQLAlchemyRawStore, case: Case
) -> None:
    session_cookie = signed_in.get_cookie(SESSION_COOKIE)
    assert session_cookie is not None
    form, headers = case(signed_in, app)
    form = {**form, "callback_url": "/bye"}
    before = counts(raw)
    for accept in ("text/html", "application/json"):
        response = signed_in.post("/auth/signout", data=form, headers={**headers, "Accept": accept})
        if accept == "text/html":
            assert_missing_csrf_page(response)
        else:
            assert_missing_csrf_json(response)
        assert counts(raw) == before
        after = signed_in.get_cookie(SESSION_COOKIE)
        assert after is not None and after.value == session_cookie.value
        assert not any(
            h.startswith(f"{SESSION_COOKIE}=") for h in response.headers.getlist("Set-Cookie")
        )
        assert signed_in.get("/whoami").get_data(as_text=True) == "ada@example.com"


@pytest.mark.parametrize("case", ACCEPTED.values(), ids=ACCEPTED.keys())
def test_signout_post_accepted(
    app: Flask, signed_in: FlaskClient, raw: SQLAlchemyRawStore, case: Case
) -> None:
    form, headers = case(signed_in, app)
    response = signed_in.post(
        "/auth/signout", data={**form, "callback_url": "/bye"}, headers=headers
    )
    assert response.status_code == 302 and response.location == "/bye"
    assert counts(raw) == {"users": 1, "accounts": 1, "sessions": 0, "verification_tokens": 0}
    assert signed_in.get("/whoami").get_data(as_text=True) == "anonymous"


def test_a_csrf_token_is_not_a_session_credential(app: Flask, signed_in: FlaskClient) -> None:
    """Another browser with its own valid CSRF pair cannot sign this one out."""
    other = app.test_client()
    response = other.post("/auth/signout", data={"csrf_token": csrf_from(other)})
    assert response.status_code == 302  # it signs *itself* out: a no-op
    assert signed_in.get("/whoami").get_data(as_text=True) == "ada@example.com"
