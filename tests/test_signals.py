"""Tests for ``flask_authadapter.signals``: each signal fires, with its documented
arguments, during real flows (the blueprint with a test provider, app code calling
``sign_in`` / ``sign_out``), on SQLite and PostgreSQL; a receiver that raises is logged and
never breaks a sign-in.

Receivers are connected for one app and one test only (``connected_to``), so nothing leaks
into other tests.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import datetime, timezone
from typing import Any

import pytest
from blinker import Signal
from flask import Flask, request
from flask.testing import FlaskClient
from sqlalchemy import Engine

from flask_authadapter import sign_in
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.sealing import is_sealed
from flask_authadapter.flows.email import finish_email_sign_in
from flask_authadapter.models import Account, Session, User
from flask_authadapter.signals import (
    account_linked,
    session_created,
    signed_in,
    signed_out,
    user_created,
    user_updated,
)
from flask_authadapter.state import auth_state
from tests.apps import csrf_from, dummy_sign_in, make_app
from tests.databases import adapter_on, create_engine_for, empty_tables

UTC = timezone.utc
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
START = datetime(2031, 5, 17, 9, 30, 15, tzinfo=UTC)
COOKIE = "authadapter.session"

#: Every signal of the module, by the name the recorder files it under.
SIGNALS: dict[str, Signal] = {
    "user_created": user_created,
    "user_updated": user_updated,
    "account_linked": account_linked,
    "signed_in": signed_in,
    "signed_out": signed_out,
    "session_created": session_created,
}


class Recorder:
    """Connects a receiver to every signal, for one app, and keeps what each received."""

    def __init__(self, app: Flask, stack: ExitStack) -> None:
        self.app = app
        self.calls: list[tuple[str, Any, dict[str, Any]]] = []
        self.receivers: dict[str, Callable[..., None]] = {}
        for name, signal in SIGNALS.items():
            self.receivers[name] = self._receiver(name)
            stack.enter_context(signal.connected_to(self.receivers[name], sender=app))

    def _receiver(self, name: str) -> Callable[..., None]:
        def receive(sender: Any, **kwargs: Any) -> None:
            self.calls.append((name, sender, kwargs))

        return receive

    @property
    def names(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def one(self, name: str) -> dict[str, Any]:
        [kwargs] = [kwargs for seen, _, kwargs in self.calls if seen == name]
        return kwargs

    def clear(self) -> None:
        self.calls.clear()


# Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def module_adapter(
    backend: str, make_database: Callable[[str, str], str]
) -> Iterator[tuple[Engine, SQLAlchemyAdapter]]:
    engine = create_engine_for(make_database(backend, "t_ext_signals"))
    try:
        for adapter in adapter_on(engine):
            yield engine, adapter
    finally:
        engine.dispose()


@pytest.fixture
def adapter(module_adapter: tuple[Engine, SQLAlchemyAdapter]) -> SQLAlchemyAdapter:
    engine, adapter = module_adapter
    empty_tables(engine, adapter.metadata)
    return adapter


@pytest.fixture
def app(adapter: SQLAlchemyAdapter) -> Flask:
    app, _ = make_app(adapter, clock=FrozenClock(START))

    @app.post("/signup")
    def signup() -> str:
        user = auth_state().adapter.create_user(User(email=request.form["email"]))
        sign_in(user)
        return "ok"

    @app.post("/email-confirmed")
    def email_confirmed() -> Any:
        # What the email provider's callback does once the link is redeemed.
        state = auth_state()
        return finish_email_sign_in(
            state, state.providers["dummy"], request.form["email"], "/private"
        )

    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def recorder(app: Flask) -> Iterator[Recorder]:
    with ExitStack() as stack:
        recorder = Recorder(app, stack)
        yield recorder
    for name, signal in SIGNALS.items():  # disconnected by the stack
        assert recorder.receivers[name] not in list(signal.receivers_for(app))


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def session_cookie(client: FlaskClient) -> str:
    cookie = client.get_cookie(COOKIE)
    assert cookie is not None
    return cookie.value


# Sign-in through the blueprint ---------------------------------------------------------


def test_a_first_sign_in_sends_the_new_user_signals(
    app: Flask, client: FlaskClient, recorder: Recorder, adapter: SQLAlchemyAdapter
) -> None:
    landed = dummy_sign_in(client, sub="42", email="ada@example.com")
    assert landed.status_code == 302

    assert recorder.names == ["user_created", "account_linked", "session_created", "signed_in"]
    assert all(sender is app for _, sender, _ in recorder.calls)

    stored = adapter.get_user_by_email("ada@example.com")
    assert stored is not None

    created = recorder.one("user_created")
    assert set(created) == {"user"}
    assert isinstance(created["user"], User) and created["user"].id == stored.id

    linked = recorder.one("account_linked")
    assert set(linked) == {"user", "account"}
    assert linked["user"].id == stored.id
    account = linked["account"]
    assert isinstance(account, Account)
    assert (account.provider, account.provider_account_id) == ("dummy", "42")
    assert account.user_id == stored.id

    session = recorder.one("session_created")
    assert set(session) == {"user", "session"}
    assert session["user"].id == stored.id
    assert isinstance(session["session"], Session)
    # The stored form: the cookie's hash, never the cookie's token.
    assert session["session"].session_token == sha256(session_cookie(client))
    assert session["session"].user_id == stored.id

    signed = recorder.one("signed_in")
    assert signed == {"user": signed["user"], "is_new_user": True, "provider": "dummy"}
    assert signed["user"].id == stored.id


def test_a_later_sign_in_is_not_a_new_user(
    client: FlaskClient, recorder: Recorder, adapter: SQLAlchemyAdapter
) -> None:
    dummy_sign_in(client, sub="42")
    client.post("/auth/signout", data={"csrf_token": csrf_from(client, "/auth/signout")})
    recorder.clear()

    dummy_sign_in(client, sub="42")
    assert recorder.names == ["session_created", "signed_in"]
    signed = recorder.one("signed_in")
    assert signed["is_new_user"] is False
    assert signed["provider"] == "dummy"
    assert signed["user"].email == "ada@example.com"
    assert len(adapter.list_sessions(signed["user"].id)) == 1


def test_signing_in_with_a_new_provider_account_links_it(
    client: FlaskClient, recorder: Recorder
) -> None:
    dummy_sign_in(client, sub="42")
    recorder.clear()
    dummy_sign_in(client, sub="43", email=None)  # signed in: the new account is linked
    assert recorder.names == ["account_linked", "session_created", "signed_in"]
    linked = recorder.one("account_linked")
    assert linked["account"].provider_account_id == "43"
    assert linked["user"].email == "ada@example.com"
    assert recorder.one("signed_in")["is_new_user"] is False


def test_account_linked_hands_receivers_the_tokens_in_plain_text(
    client: FlaskClient, recorder: Recorder, adapter: SQLAlchemyAdapter
) -> None:
    dummy_sign_in(client, sub="42")  # a new user with the account
    dummy_sign_in(client, sub="43", email=None)  # an account linked to the signed-in user
    for linked in (kwargs for name, _, kwargs in recorder.calls if name == "account_linked"):
        account = linked["account"]
        assert account.access_token == f"access-{account.provider_account_id}"
        stored = adapter.get_account("dummy", account.provider_account_id)
        assert stored is not None and is_sealed(stored.access_token)
    assert recorder.names.count("account_linked") == 2


def test_signing_out_through_the_blueprint_sends_signed_out(
    client: FlaskClient, recorder: Recorder
) -> None:
    dummy_sign_in(client)
    token = session_cookie(client)
    recorder.clear()
    answer = client.post("/auth/signout", data={"csrf_token": csrf_from(client, "/auth/signout")})
    assert answer.status_code == 302
    assert recorder.names == ["signed_out"]
    out = recorder.one("signed_out")
    assert set(out) == {"user", "session"}
    assert out["user"].email == "ada@example.com"
    assert out["session"].session_token == sha256(token)


def test_signing_out_when_signed_out_sends_nothing(client: FlaskClient, recorder: Recorder) -> None:
    answer = client.post("/auth/signout", data={"csrf_token": csrf_from(client)})
    assert answer.status_code == 302
    assert recorder.calls == []


def test_a_refused_sign_in_sends_nothing(client: FlaskClient, recorder: Recorder) -> None:
    dummy_sign_in(client, sub="1", email="ada@example.com")
    client.post("/auth/signout", data={"csrf_token": csrf_from(client, "/auth/signout")})
    recorder.clear()
    # Another account with the same email, unverified: OAuthAccountNotLinked.
    refused = dummy_sign_in(client, sub="2", email="ada@example.com")
    assert refused.status_code == 409
    assert recorder.calls == []


# Sign-in from app code and the email flow ----------------------------------------------


def test_sign_in_from_app_code_sends_session_created_and_signed_in(
    client: FlaskClient, recorder: Recorder
) -> None:
    assert client.post("/signup", data={"email": "new@example.com"}).status_code == 200
    assert recorder.names == ["session_created", "signed_in"]
    signed = recorder.one("signed_in")
    assert signed["provider"] is None  # app code, no provider
    assert signed["is_new_user"] is False
    assert signed["user"].email == "new@example.com"
    assert recorder.one("session_created")["session"].session_token == sha256(
        session_cookie(client)
    )


def test_an_email_sign_in_of_a_user_not_yet_verified_sends_user_updated(
    client: FlaskClient, recorder: Recorder, adapter: SQLAlchemyAdapter
) -> None:
    adapter.create_user(User(email="late@example.com"))
    answer = client.post("/email-confirmed", data={"email": "late@example.com"})
    assert answer.status_code == 302
    assert recorder.names == ["user_updated", "session_created", "signed_in"]
    updated = recorder.one("user_updated")
    assert set(updated) == {"user"}
    assert updated["user"].email_verified == START
    assert recorder.one("signed_in")["is_new_user"] is False


def test_an_email_sign_in_of_a_new_address_creates_the_user(
    client: FlaskClient, recorder: Recorder
) -> None:
    client.post("/email-confirmed", data={"email": "fresh@example.com"})
    assert recorder.names == ["user_created", "session_created", "signed_in"]
    assert recorder.one("user_created")["user"].email_verified == START
    assert recorder.one("signed_in") == {
        "user": recorder.one("user_created")["user"],
        "is_new_user": True,
        "provider": "dummy",
    }


# A failing receiver --------------------------------------------------------------------


@pytest.mark.parametrize("name", list(SIGNALS))
def test_a_receiver_that_raises_is_logged_and_the_sign_in_goes_on(
    app: Flask,
    client: FlaskClient,
    recorder: Recorder,
    caplog: pytest.LogCaptureFixture,
    name: str,
) -> None:
    def broken_receiver(sender: Any, **kwargs: Any) -> None:
        raise RuntimeError("the receiver broke")

    caplog.set_level(logging.INFO, logger="flask_authadapter")
    with SIGNALS[name].connected_to(broken_receiver, sender=app):
        dummy_sign_in(client, sub="42")  # user_created, account_linked, session_created, signed_in
        dummy_sign_in(client, sub="43", email=None)  # account_linked (to the signed-in user)
        client.post("/auth/signout", data={"csrf_token": csrf_from(client, "/auth/signout")})
        client.post("/signup", data={"email": "other@example.com"})
        client.post("/email-confirmed", data={"email": "other@example.com"})  # user_updated

        # Every flow went through: signed in as the last one.
        assert client.get("/whoami").get_data(as_text=True) == "other@example.com"

    failures = [
        r
        for r in caplog.records
        if r.name == "flask_authadapter" and "receiver of a signal failed" in r.getMessage()
    ]
    assert failures, f"no failure of a {name} receiver was logged"
    for record in failures:
        assert record.levelno == logging.ERROR
        assert "broken_receiver" in record.getMessage()
        assert record.exc_info is not None
        assert isinstance(record.exc_info[1], RuntimeError)
    # The other receivers still heard every signal.
    assert name in recorder.names
    assert set(recorder.names) == set(SIGNALS)


def test_receivers_of_another_app_hear_nothing(
    adapter: SQLAlchemyAdapter, client: FlaskClient
) -> None:
    other, _ = make_app(adapter)
    heard: list[str] = []

    def receive(sender: Any, **kwargs: Any) -> None:
        heard.append("signed_in")

    with signed_in.connected_to(receive, sender=other):
        dummy_sign_in(client)
    assert heard == []


# Signals as blinker users expect them ----------------------------------------------------


def test_a_muted_signal_reaches_no_receiver(app: Flask, client: FlaskClient) -> None:
    heard: list[str] = []

    def receive(sender: Any, **kwargs: Any) -> None:
        heard.append("signed_in")

    with signed_in.connected_to(receive, sender=app), signed_in.muted():
        dummy_sign_in(client)
    assert client.get("/whoami").get_data(as_text=True) == "ada@example.com"
    assert heard == []


@pytest.mark.filterwarnings("ignore:coroutine .* was never awaited:RuntimeWarning")
def test_an_async_receiver_runs_or_is_logged(
    app: Flask, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    heard: list[str] = []

    async def receive(sender: Any, **kwargs: Any) -> None:
        heard.append("signed_in")

    caplog.set_level(logging.INFO, logger="flask_authadapter")
    with signed_in.connected_to(receive, sender=app):
        dummy_sign_in(client)
    assert client.get("/whoami").get_data(as_text=True) == "ada@example.com"
    logged = [
        r
        for r in caplog.records
        if r.name == "flask_authadapter"
        and r.levelno >= logging.ERROR
        and "receive" in r.getMessage()
    ]
    assert heard == ["signed_in"] or logged
