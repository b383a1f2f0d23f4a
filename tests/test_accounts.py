"""Account management: listing a user's sign-in methods and unlinking one, never the last."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import Email
from flask_authadapter.testing import MemoryRawStore
from tests.apps import DummyProvider, csrf_from, dummy_sign_in, make_app


@pytest.fixture
def adapter() -> MemoryAdapter:
    return MemoryAdapter()


def _app(adapter: MemoryAdapter, *, email: bool = False) -> Flask:
    providers = [DummyProvider("dummy"), DummyProvider("other")]
    config = {}
    if email:
        providers.append(Email(send=lambda message: None))
        config["AUTH_URL"] = "http://localhost"
    app, _ = make_app(adapter, providers=providers, **config)
    return app


@pytest.fixture
def client(adapter: MemoryAdapter) -> FlaskClient:
    return _app(adapter).test_client()


def _two_accounts(client: FlaskClient) -> None:
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    dummy_sign_in(client, sub="b-1", email=None, provider="other")


def test_listing_needs_a_session(client: FlaskClient) -> None:
    answer = client.get("/auth/accounts", headers={"Accept": "application/json"})
    assert answer.status_code == 401
    assert answer.json == {"error": "SessionRequired", "message": "You need to sign in."}


def test_listing_shows_the_linked_accounts_without_tokens(client: FlaskClient) -> None:
    _two_accounts(client)
    answer = client.get("/auth/accounts", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json == {
        "accounts": [
            {"provider": "dummy", "providerAccountId": "a-1", "type": "oauth", "canUnlink": True},
            {"provider": "other", "providerAccountId": "b-1", "type": "oauth", "canUnlink": True},
        ],
        "email": False,
    }
    assert "access" not in answer.get_data(as_text=True)


def test_unlinking_one_of_two(client: FlaskClient, adapter: MemoryAdapter) -> None:
    _two_accounts(client)
    token = csrf_from(client)
    answer = client.post(
        "/auth/accounts/unlink",
        data={"csrf_token": token, "provider": "other", "provider_account_id": "b-1"},
    )
    assert answer.status_code == 302
    assert adapter.get_account("other", "b-1") is None
    assert adapter.get_account("dummy", "a-1") is not None


def test_the_last_way_to_sign_in_cannot_be_unlinked(
    client: FlaskClient, adapter: MemoryAdapter
) -> None:
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    token = csrf_from(client)
    form = {"csrf_token": token, "provider": "dummy", "provider_account_id": "a-1"}
    answer = client.post("/auth/accounts/unlink", data=form)
    assert answer.status_code == 409
    assert "Cannot unlink this account" in answer.get_data(as_text=True)
    as_json = client.post(
        "/auth/accounts/unlink", data=form, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 409
    assert as_json.json["error"] == "CannotUnlink"
    assert adapter.get_account("dummy", "a-1") is not None


def test_an_email_address_counts_as_a_way_to_sign_in(adapter: MemoryAdapter) -> None:
    client = _app(adapter, email=True).test_client()
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    listed = client.get("/auth/accounts", headers={"Accept": "application/json"}).json
    assert listed["email"] is True
    assert listed["accounts"][0]["canUnlink"] is True
    token = csrf_from(client)
    answer = client.post(
        "/auth/accounts/unlink",
        data={"csrf_token": token, "provider": "dummy", "provider_account_id": "a-1"},
    )
    assert answer.status_code == 302
    assert adapter.get_account("dummy", "a-1") is None


def test_another_users_account_cannot_be_unlinked(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    owner, intruder = app.test_client(), app.test_client()
    _two_accounts(owner)
    assert dummy_sign_in(intruder, sub="c-1", email="eve@example.com").status_code == 302
    dummy_sign_in(intruder, sub="d-1", email=None, provider="other")
    token = csrf_from(intruder)
    answer = intruder.post(
        "/auth/accounts/unlink",
        data={"csrf_token": token, "provider": "dummy", "provider_account_id": "a-1"},
    )
    assert answer.status_code == 409
    assert adapter.get_account("dummy", "a-1") is not None


def test_unlinking_needs_the_csrf_token(client: FlaskClient, adapter: MemoryAdapter) -> None:
    _two_accounts(client)
    answer = client.post(
        "/auth/accounts/unlink", data={"provider": "other", "provider_account_id": "b-1"}
    )
    assert answer.status_code == 403
    assert adapter.get_account("other", "b-1") is not None
    assert MemoryRawStore(adapter).count("accounts") == 2
