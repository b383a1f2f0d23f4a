"""Reading an account's provider tokens in plain text from app code: ``account_tokens`` and
``open_tokens`` (the store holds them sealed)."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_authadapter import account_tokens, open_tokens
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.sealing import is_sealed
from flask_authadapter.errors import SealedValueError
from tests.apps import dummy_sign_in, make_app


@pytest.fixture
def adapter() -> MemoryAdapter:
    return MemoryAdapter()


@pytest.fixture
def app(adapter: MemoryAdapter) -> Flask:
    app, _ = make_app(adapter)
    assert dummy_sign_in(app.test_client(), sub="s-1").status_code == 302
    return app


def test_account_tokens_reads_the_stored_account_in_plain_text(
    app: Flask, adapter: MemoryAdapter
) -> None:
    stored = adapter.get_account("dummy", "s-1")
    assert stored is not None and is_sealed(stored.access_token)
    with app.app_context():
        account = account_tokens("dummy", "s-1")
    assert account is not None
    assert account.access_token == "access-s-1"
    assert (account.user_id, account.token_type) == (stored.user_id, "bearer")


def test_account_tokens_of_an_unknown_account_is_none(app: Flask) -> None:
    with app.app_context():
        assert account_tokens("dummy", "nobody") is None
        assert account_tokens("unknown-provider", "s-1") is None


def test_open_tokens_opens_an_account_read_from_the_adapter(
    app: Flask, adapter: MemoryAdapter
) -> None:
    stored = adapter.get_account("dummy", "s-1")
    assert stored is not None
    (listed,) = adapter.list_accounts(stored.user_id)
    with app.app_context():
        assert open_tokens(listed).access_token == "access-s-1"


def test_a_changed_token_raises_sealed_value_error(app: Flask, adapter: MemoryAdapter) -> None:
    stored = adapter.get_account("dummy", "s-1")
    assert stored is not None and stored.access_token is not None
    changed = stored.access_token[:-2] + ("AA" if stored.access_token[-2:] != "AA" else "BB")
    adapter.update_account("dummy", "s-1", access_token=changed)
    with app.app_context(), pytest.raises(SealedValueError):
        account_tokens("dummy", "s-1")
