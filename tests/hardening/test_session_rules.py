"""Smaller session and disclosure rules, attacked end to end in-process on SQLite.

- A CSRF token seen before signing in (or out) is refused after it: signing in and out
  give the browser a new one.
- ``AUTH_SESSION_ABSOLUTE_MAX_AGE`` on a sessions table without ``created_at`` is refused
  at start-up, rather than silently never applied.
- A provider sign-in with someone else's unverified address tells the stranger nothing
  about whether that address has an account here; the "not linked" page never names it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from flask_authadapter import Auth
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.errors import ConfigurationError
from tests.adapters.sqlalchemy import custom_models
from tests.apps import SECRET, DummyProvider
from tests.hardening.apps_under_test import (
    InProcessBrowser,
    create_app,
    create_tables,
    dispose,
    hidden_fields,
)
from tests.mail import MailServer

HOST = "app.example"
CSRF_COOKIE = "authadapter.csrf"


@pytest.fixture
def app(tmp_path: Path, smtp_server: MailServer) -> Iterator[Flask]:
    url = f"sqlite:///{tmp_path / 'app.db'}"
    create_tables(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SERVER_NAME": HOST, **smtp_server.config})
    try:
        yield app
    finally:
        dispose(app)


def _csrf_cookie(browser: InProcessBrowser) -> str | None:
    cookie = browser.client.get_cookie(CSRF_COOKIE, domain=HOST)
    return None if cookie is None else cookie.value


def _sign_out_with(browser: InProcessBrowser, token: str) -> int:
    return browser.client.post("/auth/signout", data={"csrf_token": token}).status_code


# =========================================================================== #
# CSRF tokens do not outlive a sign-in or a sign-out
# =========================================================================== #


@pytest.mark.parametrize("how", ["email", "provider"])
def test_the_csrf_token_from_before_signing_in_is_refused_after_it(
    app: Flask, smtp_server: MailServer, how: str
) -> None:
    browser = InProcessBrowser(app)
    before, cookie_before = browser.csrf(), _csrf_cookie(browser)
    if how == "email":
        assert browser.sign_in_by_email(smtp_server, "ada@example.com").status_code == 302
    else:
        assert browser.sign_in_with_dummy("ada-sub", None).status_code == 302
    assert browser.client.get("/auth/session").get_json() is not None
    assert _csrf_cookie(browser) not in (None, cookie_before)

    assert _sign_out_with(browser, before) == 403  # the old token no longer works
    assert browser.client.get("/auth/session").get_json() is not None  # still signed in
    after = browser.csrf()
    assert after != before
    assert _sign_out_with(browser, after) == 302


def test_the_csrf_token_from_before_signing_out_is_refused_after_it(
    app: Flask, smtp_server: MailServer
) -> None:
    browser = InProcessBrowser(app)
    assert browser.sign_in_by_email(smtp_server, "ada@example.com").status_code == 302
    signed_in_token = browser.csrf()
    assert _sign_out_with(browser, signed_in_token) == 302
    # Someone who saw the signed-in pages' token cannot use it in the next session.
    form = {"csrf_token": signed_in_token, "email": "ada@example.com", "callback_url": "/"}
    assert browser.client.post("/auth/signin/email", data=form).status_code == 403
    page = browser.client.get("/auth/signin").get_data(as_text=True)
    assert hidden_fields(page)["csrf_token"] != signed_in_token


# =========================================================================== #
# An absolute session lifetime that could never apply is refused at start-up
# =========================================================================== #


class _Base(DeclarativeBase):
    pass


class _SessionWithoutCreatedAt(_Base):
    __tablename__ = "member_sessions_without_created_at"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    session_token: Mapped[str] = mapped_column(unique=True)
    user_id: Mapped[int] = mapped_column()
    expires: Mapped[str] = mapped_column()


def _app_with_sessions(session_model: object, **config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, SQLALCHEMY_DATABASE_URI="sqlite://", **config)
    db = SQLAlchemy()
    db.init_app(app)
    models = {**custom_models.MODELS, "session_model": session_model}
    Auth(app, adapter=SQLAlchemyAdapter(db, **models), providers=[DummyProvider("dummy")])
    return app


def test_an_absolute_max_age_without_a_created_at_column_is_refused_at_start_up() -> None:
    with pytest.raises(ConfigurationError, match="created_at"):
        _app_with_sessions(
            _SessionWithoutCreatedAt, AUTH_SESSION_ABSOLUTE_MAX_AGE=timedelta(hours=8)
        )
    # Without the setting the same tables are fine, and with the column the setting is.
    _app_with_sessions(_SessionWithoutCreatedAt)
    _app_with_sessions(
        custom_models.MemberSession, AUTH_SESSION_ABSOLUTE_MAX_AGE=timedelta(hours=8)
    )


# =========================================================================== #
# No "this address has an account" oracle
# =========================================================================== #


def test_an_unverified_provider_email_reveals_nothing_about_who_has_an_account(
    app: Flask, smtp_server: MailServer
) -> None:
    owner = InProcessBrowser(app)
    assert owner.sign_in_by_email(smtp_server, "victim@corp.example").status_code == 302

    answers = []
    for n, address in enumerate(["victim@corp.example", "nobody@corp.example"]):
        stranger = InProcessBrowser(app, "198.51.100.7")
        answer = stranger.sign_in_with_dummy(f"probe-{n}", address, verified=False)
        answers.append((answer.status_code, answer.location))
        session = stranger.client.get("/auth/session").get_json()
        assert session is not None
        assert session["user"]["email"] is None
    # Registered or not, the stranger is signed in to a new user of their own.
    assert answers[0] == answers[1]
    assert answers[0][0] == 302


def test_the_not_linked_page_never_names_the_address(app: Flask, smtp_server: MailServer) -> None:
    owner = InProcessBrowser(app)
    assert owner.sign_in_by_email(smtp_server, "ada@example.com").status_code == 302
    # Someone whose provider vouches for the address (the owner, by that provider's word).
    browser = InProcessBrowser(app)
    form = {
        "csrf_token": browser.csrf(),
        "callback_url": "/private",
        "sub": "ada-elsewhere",
        "email": "ada@example.com",
        "verified": "1",
    }
    started = browser.client.post("/auth/signin/dummy", data=form)
    page = browser.client.get(started.location)
    body = page.get_data(as_text=True)
    assert page.status_code == 409, body
    assert "<code>OAuthAccountNotLinked</code>" in body
    assert "ada@example.com" not in body
    assert "already used" not in body
