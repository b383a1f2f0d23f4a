"""Libraries built on Flask-Login see the extension's signed-in user, through
``flask_login_bridge``, with no session of Flask-Login's own."""

from __future__ import annotations

import flask_login
import pytest
from flask import Flask
from flask_login import LoginManager

from flask_authadapter import current_user, flask_login_bridge
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.models import AnonymousUser, User
from flask_authadapter.testing import SQLAlchemyRawStore
from tests.apps import dummy_sign_in


def _views(app: Flask) -> Flask:
    """Views as a Flask-Login-based library writes them."""

    @app.get("/library/whoami")
    def library_whoami() -> dict[str, object]:
        theirs = flask_login.current_user._get_current_object()  # type: ignore[attr-defined]
        ours = current_user._get_current_object()  # type: ignore[attr-defined]
        return {
            "id": theirs.get_id(),
            "authenticated": theirs.is_authenticated,
            "active": theirs.is_active,
            "same_object": theirs is ours,
        }

    @app.get("/library/admin")
    @flask_login.login_required
    def library_admin() -> str:
        return f"admin panel for {flask_login.current_user.email}"

    return app


@pytest.fixture
def bridged(app: Flask) -> Flask:
    """The app with Flask-Login set up and bridged, in one line."""
    flask_login_bridge(LoginManager(app))
    return _views(app)


def test_flask_login_current_user_is_the_signed_in_user(
    bridged: Flask, adapter: SQLAlchemyAdapter
) -> None:
    client = bridged.test_client()
    assert client.get("/library/whoami").get_json() == {
        "id": None,
        "authenticated": False,
        "active": False,
        "same_object": True,
    }
    dummy_sign_in(client)
    stored = adapter.get_user_by_email("ada@example.com")
    assert stored is not None and stored.id is not None
    assert client.get("/library/whoami").get_json() == {
        "id": stored.id,
        "authenticated": True,
        "active": True,
        "same_object": True,
    }


def test_flask_login_login_required_admits_only_signed_in_users(bridged: Flask) -> None:
    client = bridged.test_client()
    refused = client.get("/library/admin?tab=users")
    assert refused.status_code == 302
    assert refused.location == "/auth/signin?callback_url=%2Flibrary%2Fadmin%3Ftab%3Dusers"
    as_json = client.get("/library/admin", headers={"Accept": "application/json"})
    assert as_json.status_code == 401 and as_json.get_json()["error"] == "SessionRequired"
    dummy_sign_in(client, callback_url="/library/admin")
    admitted = client.get("/library/admin")
    assert admitted.status_code == 200
    assert admitted.get_data(as_text=True) == "admin panel for ada@example.com"


def test_flask_login_keeps_no_session_of_its_own(
    bridged: Flask, adapter: SQLAlchemyAdapter
) -> None:
    client = bridged.test_client()
    dummy_sign_in(client)
    for path in ("/library/admin", "/library/whoami", "/library/admin"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers.getlist("Set-Cookie") == [], path
    assert client.get_cookie("session") is None  # Flask's session, where Flask-Login keeps its
    assert client.get_cookie("remember_token") is None
    assert SQLAlchemyRawStore(adapter).count("sessions") == 1


def test_signing_out_signs_out_of_flask_login_too(bridged: Flask) -> None:
    client = bridged.test_client()
    dummy_sign_in(client)
    assert client.get("/library/admin").status_code == 200
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    client.post("/auth/signout", data={"csrf_token": token})
    assert client.get("/library/admin").status_code == 302
    assert client.get("/library/whoami").get_json()["authenticated"] is False


def test_an_apps_own_login_view_is_kept(app: Flask) -> None:
    manager = LoginManager(app)
    manager.login_view = "own_login"

    @app.get("/own-login")
    def own_login() -> str:
        return "the app's own login page"

    flask_login_bridge(manager)
    _views(app)
    refused = app.test_client().get("/library/admin")
    assert refused.status_code == 302
    assert refused.location.startswith("/own-login?next=")


def test_the_users_answer_as_flask_logins_mixins_do() -> None:
    class TheirUser(flask_login.UserMixin):
        id = "42"

    pairs = [(User(id="42"), TheirUser()), (AnonymousUser(), flask_login.AnonymousUserMixin())]
    for ours, theirs in pairs:
        for name in ("is_authenticated", "is_active", "is_anonymous"):
            assert getattr(ours, name) is getattr(theirs, name), name
        assert ours.get_id() == theirs.get_id()
