"""The OIDC sign-in tests' app, database, people at the provider and browser steps."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from flask_authadapter import account_tokens
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.models import Account
from flask_authadapter.providers import OIDC
from flask_authadapter.testing import KINDS, SQLAlchemyRawStore
from tests.apps import DummyProvider, csrf_from, make_app
from tests.oidc import (
    MockProvider,
    callback_target,
)

BASE_URL = "http://app.example"
CLIENT_ID = "flow-client"
CLIENT_SECRET = "flow-client-secret-d41d8cd98f00b204"
CLIENT_SECRET_2 = "flow-client-2-secret-e3b0c44298fc1c14"
BASE64URL_43 = re.compile(r"^[A-Za-z0-9_-]{43}$")


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
