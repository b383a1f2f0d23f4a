"""Signing in with OpenID Connect against a real OpenID provider.

The provider is ``oidc-provider-mock`` (a Flask + Authlib OpenID provider) running on a
port of localhost (the ``oidc_provider`` fixture; ``tests/oidc.py``). The app is the real
extension with :class:`~flask_authadapter.providers.OIDC` on SQLite and PostgreSQL. The
browser is two things: the Flask test client for the app (at http://app.example), and
``requests`` for the person's answer at the provider's authorization page. The app itself
talks to the provider over real HTTP (discovery, token, JWKS, userinfo).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from werkzeug.wrappers import Response

from flask_authadapter import account_tokens
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.sealing import is_sealed
from flask_authadapter.models import Account, User
from flask_authadapter.providers import OIDC
from flask_authadapter.testing import KINDS, SQLAlchemyRawStore
from tests.apps import DummyProvider, csrf_from, dummy_sign_in, make_app
from tests.databases import adapter_on, create_engine_for, empty_tables
from tests.mail import free_port
from tests.oidc import (
    MockProvider,
    callback_target,
    decode_jwt_claims,
    pkce_challenge,
    run_mock_provider,
)

BASE_URL = "http://app.example"
CLIENT_ID = "flow-client"
CLIENT_SECRET = "flow-client-secret-d41d8cd98f00b204"
CLIENT_SECRET_2 = "flow-client-2-secret-e3b0c44298fc1c14"
_BASE64URL_43 = re.compile(r"^[A-Za-z0-9_-]{43}$")

# =========================================================================== #
# A real database per backend for the module; empty tables for each test.
# =========================================================================== #

HTTP_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(scope="module", params=HTTP_BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database in turn; the test ids show which: [sqlite], [postgres]."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(backend: str, make_database: Any) -> Iterator[tuple[Engine, SQLAlchemyAdapter]]:
    """The module's database with the default tables, and an adapter on it."""
    engine = create_engine_for(make_database(backend, "t_http_oidc_flow"))
    try:
        for adapter in adapter_on(engine):
            yield engine, adapter
    finally:
        engine.dispose()


@pytest.fixture
def adapter(database: tuple[Engine, SQLAlchemyAdapter]) -> SQLAlchemyAdapter:
    """The test's adapter, on empty tables."""
    engine, adapter = database
    empty_tables(engine, adapter.metadata)
    return adapter


@pytest.fixture
def raw(adapter: SQLAlchemyAdapter) -> SQLAlchemyRawStore:
    """Reads the tables behind the adapter's back."""
    return SQLAlchemyRawStore(adapter)


def counts(raw: SQLAlchemyRawStore) -> dict[str, int]:
    return {kind: raw.count(kind) for kind in KINDS}


def counted(users: int = 0, accounts: int = 0, sessions: int = 0) -> dict[str, int]:
    return {"users": users, "accounts": accounts, "sessions": sessions, "verification_tokens": 0}


# =========================================================================== #
# The app, the people at the provider, and the browser's steps
# =========================================================================== #


def make_site(adapter: SQLAlchemyAdapter, issuer: str, **config: Any) -> Flask:
    """The app at http://app.example with three OIDC providers on ``issuer`` and a dummy one.

    "mock" and "mock2" are two clients of the same provider (a second provider to link);
    "trusting" allows dangerous email account linking.
    """
    app, _ = make_app(
        adapter,
        providers=[
            OIDC("mock", issuer=issuer, client_id=CLIENT_ID, client_secret=CLIENT_SECRET),
            OIDC("mock2", issuer=issuer, client_id="flow-client-2", client_secret=CLIENT_SECRET_2),
            OIDC(
                "trusting",
                issuer=issuer,
                client_id="flow-client-3",
                client_secret=CLIENT_SECRET,
                allow_dangerous_email_account_linking=True,
            ),
            DummyProvider("dummy"),
        ],
        AUTH_URL=BASE_URL,
        SERVER_NAME="app.example",
        **config,
    )
    return app


@pytest.fixture
def app(adapter: SQLAlchemyAdapter, oidc_provider: MockProvider) -> Flask:
    return make_site(adapter, oidc_provider.issuer)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


NewPerson = Callable[..., tuple[str, str]]


@pytest.fixture
def new_person(oidc_provider: MockProvider) -> NewPerson:
    """Makes a person at the provider: ``(sub, email)``; claims as given (a fresh sub each
    time, since the provider's users outlive the test)."""

    def make(
        *, email: str | None = None, email_verified: bool = True, **claims: Any
    ) -> tuple[str, str]:
        sub = f"sub-{uuid4().hex}"
        email = email or f"{sub}@example.com"
        claims.setdefault("name", "Ada Lovelace")
        oidc_provider.set_user(sub, email=email, email_verified=email_verified, **claims)
        return sub, email

    return make


def begin(client: FlaskClient, provider: str = "mock", callback_url: str = "/private") -> str:
    """POST /auth/signin/<provider> as the sign-in page's button does: the authorize URL."""
    started = client.post(
        f"/auth/signin/{provider}",
        data={"csrf_token": csrf_from(client), "callback_url": callback_url},
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    return str(started.location)


def sign_in(
    client: FlaskClient,
    oidc: MockProvider,
    sub: str,
    *,
    provider: str = "mock",
    callback_url: str = "/private",
) -> Response:
    """The whole flow as a browser does it; the app's answer at the callback."""
    location = oidc.approve(begin(client, provider, callback_url), sub)
    return client.get(callback_target(location))


def tokens_of(app: Flask, sub: str, provider: str = "mock") -> Account:
    """The stored account of ``sub`` with its tokens opened, as the app reads them."""
    with app.app_context():
        account = account_tokens(provider, sub)
    assert account is not None
    return account


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def session_user(client: FlaskClient) -> dict[str, Any] | None:
    data = client.get("/auth/session").json
    return None if data is None else data["user"]


def assert_error_page(response: Response, code: str, status: int) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    assert f"<code>{code}</code>" in body, body
    assert "Location" not in response.headers
    assert "Traceback" not in body


def refused_records(caplog: pytest.LogCaptureFixture, code: str) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == "flask_authadapter" and f"sign-in refused ({code})" in r.getMessage()
    ]


# =========================================================================== #
# What the app sends to the provider
# =========================================================================== #


def test_the_authorize_request_has_state_nonce_and_pkce_s256(
    client: FlaskClient, oidc_provider: MockProvider
) -> None:
    first = begin(client)
    assert first.startswith(f"{oidc_provider.issuer}/oauth2/authorize?")
    params = query(first)
    assert params["response_type"] == "code"
    assert params["client_id"] == CLIENT_ID
    assert params["redirect_uri"] == "http://app.example/auth/callback/mock"
    assert params["scope"] == "openid email profile"
    assert _BASE64URL_43.match(params["state"]), params["state"]
    assert len(params["nonce"]) >= 16
    assert params["code_challenge_method"] == "S256"
    assert _BASE64URL_43.match(params["code_challenge"]), params["code_challenge"]
    assert "client_secret" not in params
    assert CLIENT_SECRET not in first

    second = query(begin(client))
    for name in ("state", "nonce", "code_challenge"):
        assert second[name] != params[name], f"{name} is the same on two attempts"


def test_the_token_request_proves_pkce_and_authenticates_the_client(
    client: FlaskClient, oidc_provider: MockProvider, new_person: NewPerson
) -> None:
    sub, _ = new_person()
    authorize = begin(client)
    sent = query(authorize)
    location = oidc_provider.approve(authorize, sub)
    code = query(location)["code"]
    assert client.get(callback_target(location)).status_code == 302

    (exchange,) = oidc_provider.token_requests(code)
    assert exchange.status == 200
    assert exchange.form["grant_type"] == "authorization_code"
    assert exchange.form["redirect_uri"] == "http://app.example/auth/callback/mock"
    verifier = exchange.form["code_verifier"]
    assert 43 <= len(verifier) <= 128
    assert pkce_challenge(verifier) == sent["code_challenge"]
    # client_secret_basic: the secret travels in the Authorization header, not the form.
    assert "client_secret" not in exchange.form
    assert exchange.authorization is not None
    assert exchange.authorization.startswith("Basic ")
    # The ID token carries the nonce of the authorize request.
    assert decode_jwt_claims(exchange.body["id_token"])["nonce"] == sent["nonce"]


# =========================================================================== #
# Signing in, signing in again, linking
# =========================================================================== #


def test_a_first_sign_in_creates_the_user_and_the_account(
    app: Flask,
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True, name="Ada Lovelace")
    authorize = begin(client, callback_url="/private?tab=1")
    location = oidc_provider.approve(authorize, sub)
    before = int(time.time())
    landed = client.get(callback_target(location))

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert landed.location == "/private?tab=1"
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    user = adapter.get_user_by_account("mock", sub)
    assert user is not None
    assert user.email == email
    assert user.name == "Ada Lovelace"
    assert user.email_verified is not None  # the provider asserted it

    (exchange,) = oidc_provider.token_requests(query(location)["code"])
    issued = exchange.body
    account = raw.account("mock", sub)
    assert account is not None
    assert account["user_id"] == user.id
    assert account["type"] == "oidc"
    assert account["provider"] == "mock"
    assert account["provider_account_id"] == sub
    assert account["token_type"] == "Bearer"
    assert account["scope"] == "openid email profile"
    assert before + 3600 - 5 <= account["expires_at"] <= int(time.time()) + 3600 + 5
    # The tokens are stored sealed, and read in plain text through the app.
    opened = tokens_of(app, sub)
    for name in ("access_token", "refresh_token", "id_token"):
        assert is_sealed(account[name]), name
        assert getattr(opened, name) == issued[name], name
    assert decode_jwt_claims(opened.id_token or "")["sub"] == sub

    # The session works.
    assert session_user(client) == {
        "id": user.id,
        "email": email,
        "name": "Ada Lovelace",
        "image": None,
    }
    assert client.get(landed.location).get_data(as_text=True) == f"private page of {email}"


def test_a_second_sign_in_finds_the_user_and_updates_the_tokens(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person()
    first_browser = app.test_client()
    assert sign_in(first_browser, oidc_provider, sub).status_code == 302
    before = dict(raw.account("mock", sub) or {})
    user_id = before["user_id"]
    tokens_before = tokens_of(app, sub)

    second_browser = app.test_client()
    landed = sign_in(second_browser, oidc_provider, sub, callback_url="/")
    assert landed.status_code == 302
    assert landed.location == "/"

    assert counts(raw) == counted(users=1, accounts=1, sessions=2)
    after = raw.account("mock", sub)
    assert after is not None
    assert after["user_id"] == user_id
    tokens_after = tokens_of(app, sub)
    for name in ("access_token", "refresh_token", "id_token"):
        fresh, old = getattr(tokens_after, name), getattr(tokens_before, name)
        assert fresh and fresh != old, f"{name} was not updated"
    assert after["expires_at"] >= before["expires_at"]
    assert (session_user(second_browser) or {}).get("id") == user_id
    assert (session_user(first_browser) or {}).get("email") == email


def test_a_signed_in_user_links_a_second_oidc_provider(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person()
    other_sub, _ = new_person()  # another email: linking does not go by email here
    assert sign_in(client, oidc_provider, sub).status_code == 302
    user_id = (session_user(client) or {})["id"]

    landed = sign_in(client, oidc_provider, other_sub, provider="mock2", callback_url="/")
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert landed.location == "/"

    assert raw.count("users") == 1
    assert raw.count("accounts") == 2
    assert (raw.account("mock", sub) or {})["user_id"] == user_id
    assert (raw.account("mock2", other_sub) or {})["user_id"] == user_id
    assert session_user(client) == {
        "id": user_id,
        "email": email,
        "name": "Ada Lovelace",
        "image": None,
    }


def test_a_user_of_an_email_free_provider_links_an_oidc_account(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    assert dummy_sign_in(client, sub="d-1", email=None).status_code == 302
    user_id = (session_user(client) or {})["id"]
    sub, _ = new_person()

    assert sign_in(client, oidc_provider, sub).status_code == 302

    assert counts(raw)["users"] == 1
    assert counts(raw)["accounts"] == 2
    assert (raw.account("mock", sub) or {})["user_id"] == user_id
    assert (raw.account("dummy", "d-1") or {})["user_id"] == user_id


def test_linking_an_account_that_belongs_to_another_user_is_refused(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    assert sign_in(app.test_client(), oidc_provider, sub).status_code == 302  # its owner
    other = app.test_client()
    assert dummy_sign_in(other, sub="d-2", email=None).status_code == 302
    before = counts(raw)

    answer = sign_in(other, oidc_provider, sub)

    assert_error_page(answer, "OAuthAccountNotLinked", 409)
    assert counts(raw) == before
    assert (raw.account("mock", sub) or {})["user_id"] != (session_user(other) or {})["id"]


# =========================================================================== #
# An email that belongs to another user
# =========================================================================== #


def test_an_oidc_sign_in_with_the_email_of_a_user_is_not_linked(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True)
    adapter.create_user(User(email=email))

    answer = sign_in(client, oidc_provider, sub)

    assert_error_page(answer, "OAuthAccountNotLinked", 409)
    assert counts(raw) == counted(users=1)
    assert session_user(client) is None


def test_dangerous_linking_with_a_verified_email_links_to_the_user(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True)
    existing = adapter.create_user(
        User(email=email, name="Existing", email_verified=datetime.now(timezone.utc))
    )

    landed = sign_in(client, oidc_provider, sub, provider="trusting")

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert (raw.account("trusting", sub) or {})["user_id"] == existing.id
    assert (session_user(client) or {})["id"] == existing.id


def test_dangerous_linking_without_a_verified_email_makes_a_separate_user(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=False)
    existing = adapter.create_user(User(email=email, email_verified=datetime.now(timezone.utc)))

    answer = sign_in(client, oidc_provider, sub, provider="trusting")

    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert counts(raw) == counted(users=2, accounts=1, sessions=1)
    signed_in = session_user(client) or {}
    assert signed_in["id"] != existing.id
    assert signed_in["email"] is None
    assert (raw.account("trusting", sub) or {})["user_id"] == signed_in["id"]


def test_dangerous_linking_into_a_user_whose_email_nobody_verified_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person(email_verified=True)
    adapter.create_user(User(email=email))  # made by the app, address never checked

    answer = sign_in(client, oidc_provider, sub, provider="trusting")

    assert_error_page(answer, "OAuthAccountNotLinked", 409)
    assert counts(raw) == counted(users=1)
    assert session_user(client) is None


# =========================================================================== #
# The person declines; the callback is replayed, forged, late or incomplete
# =========================================================================== #


def test_denying_consent_ends_on_access_denied(
    client: FlaskClient,
    oidc_provider: MockProvider,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    location = oidc_provider.deny(begin(client))
    assert query(location)["error"] == "access_denied"

    answer = client.get(callback_target(location))

    assert_error_page(answer, "AccessDenied", 403)
    assert counts(raw) == counted()
    assert session_user(client) is None
    assert refused_records(caplog, "AccessDenied")


def test_a_replayed_callback_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client), sub)
    assert client.get(callback_target(location)).status_code == 302
    user = session_user(client)

    again = client.get(callback_target(location))

    assert_error_page(again, "OAuthCallbackError", 400)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert session_user(client) == user  # still signed in, once
    assert len(oidc_provider.token_requests(query(location)["code"])) == 1


def test_a_replayed_callback_with_the_old_cookies_is_refused(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    """Even a browser that kept the cookies of the flow (state and all) cannot sign in twice
    with one authorization: the provider's code is single use."""
    sub, _ = new_person()
    client = app.test_client()
    location = oidc_provider.approve(begin(client), sub)
    kept = {
        name: client.get_cookie(name, domain="app.example") for name in ("authadapter.oauth-flow",)
    }
    assert all(kept.values())
    assert client.get(callback_target(location)).status_code == 302

    replayer = app.test_client()
    for name, cookie in kept.items():
        assert cookie is not None
        replayer.set_cookie(name, cookie.value, domain="app.example")
    again = replayer.get(callback_target(location))

    assert_error_page(again, "OAuthCallbackError", 400)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert session_user(replayer) is None


def test_a_tampered_state_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client), sub)
    params = query(location)
    state = params["state"]
    params["state"] = state[:-1] + ("A" if state[-1] != "A" else "B")

    answer = client.get(f"/auth/callback/mock?{urlencode(params)}")

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert oidc_provider.token_requests(params["code"]) == []  # the code was not even used


def test_the_callback_in_another_browser_is_refused(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    location = oidc_provider.approve(begin(app.test_client()), sub)

    other_browser = app.test_client()
    answer = other_browser.get(callback_target(location))

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert session_user(other_browser) is None
    assert oidc_provider.token_requests(query(location)["code"]) == []


def test_a_callback_at_another_providers_url_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    """A code and state issued for "mock" sent to "mock2"'s callback (a mix-up): refused,
    although the flow cookie's state matches."""
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client, "mock"), sub)
    target = callback_target(location).replace("/callback/mock?", "/callback/mock2?")

    answer = client.get(target)

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert oidc_provider.token_requests(query(location)["code"]) == []


@pytest.mark.parametrize(
    ("seconds_later", "status"),
    [(590, 302), (601, 400)],
    ids=["after-590s-signs-in", "after-601s-refused"],
)
def test_the_callback_is_accepted_for_10_minutes(
    adapter: SQLAlchemyAdapter,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
    seconds_later: int,
    status: int,
) -> None:
    clock = FrozenClock()
    client = make_site(adapter, oidc_provider.issuer, clock=clock).test_client()
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client), sub)
    # The flow cookie holds the time it began (sealed): move the app's clock, and only it.
    clock.advance(seconds=seconds_later)

    answer = client.get(callback_target(location))

    if status == 302:
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    else:
        assert_error_page(answer, "OAuthCallbackError", 400)
        assert counts(raw) == counted()
        assert oidc_provider.token_requests(query(location)["code"]) == []


def test_a_callback_without_a_code_is_refused(
    client: FlaskClient, oidc_provider: MockProvider, raw: SQLAlchemyRawStore
) -> None:
    state = query(begin(client))["state"]

    answer = client.get(f"/auth/callback/mock?{urlencode({'state': state})}")

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()


def test_a_provider_error_at_the_callback_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    state = query(begin(client))["state"]

    answer = client.get(
        "/auth/callback/mock?"
        + urlencode({"error": "server_error", "error_description": "boom", "state": state})
    )

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert refused_records(caplog, "OAuthCallbackError")


# =========================================================================== #
# The provider is unreachable, or goes away mid-flow
# =========================================================================== #


def test_an_unreachable_provider_ends_on_oauth_signin(
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_site(adapter, f"http://localhost:{free_port()}")
    client = app.test_client()
    csrf = csrf_from(client)

    answer = client.post("/auth/signin/mock", data={"csrf_token": csrf, "callback_url": "/"})

    assert_error_page(answer, "OAuthSignin", 400)
    assert client.get_cookie("authadapter.oauth-flow", domain="app.example") is None
    assert counts(raw) == counted()
    ours = [r for r in caplog.records if r.name == "flask_authadapter"]
    assert any(r.levelno == logging.ERROR and "mock" in r.getMessage() for r in ours), ours
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)


def test_a_provider_that_goes_away_before_the_callback_ends_on_oauth_callback_error(
    adapter: SQLAlchemyAdapter,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with run_mock_provider() as leaving:
        app = make_site(adapter, leaving.issuer)
        client = app.test_client()
        sub = "leaving-user"
        leaving.set_user(sub, email="leaving@example.com", email_verified=True)
        location = leaving.approve(begin(client), sub)
    # The provider has stopped: its port is closed.

    answer = client.get(callback_target(location))

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert session_user(client) is None
    assert refused_records(caplog, "OAuthCallbackError")
    assert all(r.exc_info is None for r in caplog.records if r.name == "flask_authadapter")


def _other_worker(adapter: SQLAlchemyAdapter, issuer: str, client: FlaskClient) -> FlaskClient:
    """A browser of ``client``'s cookies on a second instance of the app (another worker
    process, or the app restarted): nothing in memory is shared, only the database."""
    other = make_site(adapter, issuer).test_client()
    for name in ("authadapter.oauth-flow",):  # the flow: state, nonce, verifier
        cookie = client.get_cookie(name, domain="app.example")
        if cookie is not None:
            other.set_cookie(name, cookie.value, domain="app.example")
    return other


def test_the_callback_can_reach_another_worker(
    app: Flask,
    adapter: SQLAlchemyAdapter,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person()
    client = app.test_client()
    location = oidc_provider.approve(begin(client), sub)

    other = _other_worker(adapter, oidc_provider.issuer, client)
    landed = other.get(callback_target(location))

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert (session_user(other) or {}).get("email") == email


def test_a_provider_gone_at_the_callback_on_another_worker_is_an_oauth_callback_error(
    adapter: SQLAlchemyAdapter,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    with run_mock_provider() as leaving:
        app = make_site(adapter, leaving.issuer)
        client = app.test_client()
        leaving.set_user("leaving-2", email="leaving2@example.com", email_verified=True)
        location = leaving.approve(begin(client), "leaving-2")
        other = _other_worker(adapter, leaving.issuer, client)

    answer = other.get(callback_target(location))

    assert counts(raw) == counted()
    assert_error_page(answer, "OAuthCallbackError", 400)


# =========================================================================== #
# No secret in the logs; none on the command line
# =========================================================================== #

#: Loggers of the provider's side (the mock logs the tokens it issues, as a server may).
_PROVIDER_LOGGERS = ("oidc_provider_mock", "authlib.oauth2.rfc6749", "werkzeug")


def test_no_token_code_verifier_or_secret_is_logged_during_a_whole_flow(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sub, _ = new_person()
    secrets: dict[str, str] = {"client secret": CLIENT_SECRET, "client secret 2": CLIENT_SECRET_2}
    for attempt in range(2):  # a first sign-in, and a second one that updates the tokens
        client = app.test_client()
        location = oidc_provider.approve(begin(client), sub)
        code = query(location)["code"]
        assert client.get(callback_target(location)).status_code == 302
        (exchange,) = oidc_provider.token_requests(code)
        secrets[f"code {attempt}"] = code
        secrets[f"code_verifier {attempt}"] = exchange.form["code_verifier"]
        for name in ("access_token", "refresh_token", "id_token"):
            secrets[f"{name} {attempt}"] = exchange.body[name]
    assert tokens_of(app, sub).access_token == secrets["access_token 1"]

    ours = [r for r in caplog.records if not r.name.startswith(_PROVIDER_LOGGERS)]
    # The client side of Authlib is captured (it is what logs the code_verifier).
    assert any(r.name.startswith("authlib.integrations") for r in ours), {r.name for r in ours}
    for record in ours:
        text = " ".join(
            [record.getMessage(), repr(record.args), repr(record.__dict__), record.exc_text or ""]
        )
        for what, value in secrets.items():
            assert value not in text, f"the {what} is in a log record of {record.name}"


def test_flask_auth_providers_masks_the_client_secret(
    app: Flask, oidc_provider: MockProvider
) -> None:
    result = app.test_cli_runner().invoke(args=["auth", "providers"])

    assert result.exit_code == 0, result.output
    assert "mock  (oidc)" in result.output
    assert f"client_id: {CLIENT_ID}" in result.output
    assert f"{oidc_provider.issuer}/.well-known/openid-configuration" in result.output
    assert CLIENT_SECRET not in result.output
    assert CLIENT_SECRET_2 not in result.output
    assert CLIENT_SECRET[:-4] not in result.output
    assert f"client_secret: ********{CLIENT_SECRET[-4:]}" in result.output
