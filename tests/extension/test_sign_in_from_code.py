"""sign_in / sign_out from app code."""

from __future__ import annotations

from datetime import timedelta

from flask.testing import FlaskClient
from werkzeug.http import http_date

from flask_authadapter.models import User
from tests.apps import csrf_from

from .helpers import (
    COOKIE,
    START,
    Database,
    Statements,
    as_utc,
    browser_sign_in,
    is_cleared,
    set_cookies,
    sha256,
    who,
)


def test_sign_in_from_app_code(db: Database, client: FlaskClient) -> None:
    answer = client.post("/signup", data={"email": "new@example.com"})
    assert answer.status_code == 200
    user_id = answer.get_data(as_text=True)

    cookie = set_cookies(answer)[COOKIE]
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie["expires"] == http_date(START + timedelta(days=30))
    token = cookie["value"]
    [row] = db.rows("sessions")
    assert row["session_token"] == sha256(token)
    assert str(row["user_id"]) == user_id
    assert as_utc(row["created_at"]) == START
    assert who(client) == "new@example.com"


def test_sign_in_from_app_code_ends_the_browsers_previous_session(
    db: Database, client: FlaskClient
) -> None:
    old = browser_sign_in(client)
    answer = client.post("/signup", data={"email": "new@example.com"})
    new = set_cookies(answer)[COOKIE]["value"]
    assert new != old
    assert db.session_tokens() == {sha256(new)}
    assert who(client) == "new@example.com"


def test_sign_in_by_user_id(db: Database, client: FlaskClient) -> None:
    user = db.adapter.create_user(User(email="byid@example.com"))
    answer = client.post(f"/signin-as/{user.id}")
    assert answer.get_data(as_text=True) == "byid@example.com"
    assert who(client) == "byid@example.com"
    assert db.count("sessions") == 1


def test_sign_out_from_app_code(db: Database, client: FlaskClient) -> None:
    token = browser_sign_in(client)
    answer = client.post("/logout-now")
    assert answer.get_data(as_text=True) == "bye"
    assert is_cleared(set_cookies(answer)[COOKIE])
    assert db.count("sessions") == 0
    assert who(client) == "anonymous"

    # The old cookie, replayed (copied before signing out), is worth nothing.
    replay = client.application.test_client()
    replay.set_cookie(COOKIE, token)
    with Statements(db.engine) as statements:
        assert who(replay) == "anonymous"
    assert statements.writes == []
    assert db.count("sessions") == 0


def test_sign_out_when_signed_out_is_harmless(db: Database, client: FlaskClient) -> None:
    with Statements(db.engine) as statements:
        answer = client.post("/logout-now")
    assert answer.status_code == 200
    assert statements.seen == []


def test_the_blueprints_sign_out_deletes_the_session(db: Database, client: FlaskClient) -> None:
    token = browser_sign_in(client)
    answer = client.post("/auth/signout", data={"csrf_token": csrf_from(client, "/auth/signout")})
    assert answer.status_code == 302
    assert is_cleared(set_cookies(answer)[COOKIE])
    assert db.count("sessions") == 0
    replay = client.application.test_client()
    replay.set_cookie(COOKIE, token)
    assert who(replay) == "anonymous"
