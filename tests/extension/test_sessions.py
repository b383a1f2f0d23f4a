"""Sessions over HTTP."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from werkzeug.http import http_date

from flask_authadapter.core.clock import FrozenClock
from tests.apps import dummy_sign_in

from .helpers import (
    _CSRF_FIELD,
    COOKIE,
    DAY,
    HTTPS,
    START,
    Build,
    Database,
    Statements,
    as_utc,
    browser_sign_in,
    cookie_of,
    is_cleared,
    set_cookies,
    sha256,
    who,
)


def test_the_session_cookie_over_http(client: FlaskClient) -> None:
    landed = dummy_sign_in(client)
    cookie = set_cookies(landed)[COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie
    assert "domain" not in cookie
    assert cookie["expires"] == http_date(START + timedelta(days=30))
    assert landed.headers["Cache-Control"] == "no-store"
    assert who(client) == "ada@example.com"


def test_the_session_cookie_over_https(build: Build) -> None:
    _, client = build(AUTH_URL=HTTPS)
    page = client.get("/auth/signin", base_url=HTTPS)
    token = _CSRF_FIELD.search(page.get_data(as_text=True))
    assert token is not None
    started = client.post(
        "/auth/signin/dummy",
        data={"csrf_token": token.group(1), "sub": "1", "email": "ada@example.com"},
        base_url=HTTPS,
    )
    assert started.status_code == 302
    assert started.location.startswith(f"{HTTPS}/auth/callback/dummy?")
    landed = client.get(started.location)

    cookies = set_cookies(landed)
    assert COOKIE not in cookies
    cookie = cookies["__Host-" + COOKIE]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"
    assert "domain" not in cookie
    assert who(client, base_url=HTTPS) == "ada@example.com"


def test_the_store_holds_only_the_hash_of_the_cookie(db: Database, client: FlaskClient) -> None:
    token = browser_sign_in(client)
    assert len(token) == 43  # 32 random bytes, URL-safe base64

    assert db.session_tokens() == {sha256(token)}
    for table in db.tables:
        for row in db.rows(table):
            for value in row.values():
                assert token not in str(value), f"the cookie's token is stored in {table}"


def test_inside_the_update_age_a_session_is_never_written(
    db: Database, client: FlaskClient, clock: FrozenClock
) -> None:
    token = browser_sign_in(client)
    stored = db.rows("sessions")
    for _ in range(5):
        clock.advance(hours=4)  # 20 hours in all: inside the day
        with Statements(db.engine) as statements:
            answer = client.get("/whoami")
        assert answer.get_data(as_text=True) == "ada@example.com"
        assert statements.writes == []
        assert COOKIE not in set_cookies(answer)  # nothing to re-send
    assert db.rows("sessions") == stored
    assert cookie_of(client) == token


def test_after_the_update_age_the_expiry_slides_with_one_write(
    db: Database, client: FlaskClient, clock: FrozenClock
) -> None:
    token = browser_sign_in(client)
    clock.advance(DAY)
    with Statements(db.engine) as statements:
        answer = client.get("/whoami")
    assert answer.get_data(as_text=True) == "ada@example.com"
    assert len(statements.updates) == 1
    assert statements.writes == statements.updates

    new_expiry = START + DAY + timedelta(days=30)
    cookie = set_cookies(answer)[COOKIE]
    assert cookie["value"] == token  # the same session, re-sent with its new expiry
    assert cookie["expires"] == http_date(new_expiry)
    assert cookie["httponly"] is True and cookie["samesite"] == "Lax"
    assert answer.headers["Cache-Control"] == "no-store"
    [row] = db.rows("sessions")
    assert as_utc(row["expires"]) == new_expiry

    with Statements(db.engine) as statements:
        assert who(client) == "ada@example.com"
    assert statements.writes == []


def test_an_expired_session_is_anonymous_deleted_and_its_cookie_cleared(
    db: Database, client: FlaskClient, clock: FrozenClock
) -> None:
    browser_sign_in(client)
    clock.advance(timedelta(days=30))
    answer = client.get("/whoami")
    assert answer.get_data(as_text=True) == "anonymous"
    assert is_cleared(set_cookies(answer)[COOKIE])
    assert answer.headers["Cache-Control"] == "no-store"
    assert db.count("sessions") == 0
    assert db.count("users") == 1  # only the session ends
    assert cookie_of(client) is None

    with Statements(db.engine) as statements:
        assert who(client) == "anonymous"
    assert statements.seen == []


def test_a_session_used_before_it_expires_lives_on(
    db: Database, client: FlaskClient, clock: FrozenClock
) -> None:
    browser_sign_in(client)
    clock.advance(timedelta(days=30) - timedelta(seconds=1))
    assert who(client) == "ada@example.com"  # and extended for 30 more days
    clock.advance(timedelta(days=29))
    assert who(client) == "ada@example.com"
    assert db.count("sessions") == 1


def test_the_absolute_max_age_ends_a_session_used_continually(
    db: Database, build: Build, clock: FrozenClock
) -> None:
    _, client = build(AUTH_SESSION_ABSOLUTE_MAX_AGE=3 * 86400)
    landed = dummy_sign_in(client)
    cap = START + timedelta(days=3)
    assert set_cookies(landed)[COOKIE]["expires"] == http_date(cap)

    while clock() + timedelta(hours=12) < cap:
        clock.advance(hours=12)
        answer = client.get("/whoami")
        assert answer.get_data(as_text=True) == "ada@example.com"
        resent = set_cookies(answer).get(COOKIE)
        assert resent is None or resent["expires"] == http_date(cap)
        [row] = db.rows("sessions")
        assert as_utc(row["expires"]) == cap  # never moved past the cap

    clock.advance(hours=12)
    assert clock() == cap
    answer = client.get("/whoami")
    assert answer.get_data(as_text=True) == "anonymous"
    assert is_cleared(set_cookies(answer)[COOKIE])
    assert db.count("sessions") == 0


def test_a_token_the_server_never_issued_is_anonymous_and_creates_nothing(
    db: Database, build: Build
) -> None:
    _, someone = build()
    browser_sign_in(someone)  # a real session exists, so "nothing created" means something
    before = {table: db.count(table) for table in db.tables}

    _, client = build()
    client.set_cookie(COOKIE, secrets.token_urlsafe(32))  # the right shape
    with Statements(db.engine) as statements:
        answer = client.get("/state")
    assert answer.get_json()["authenticated"] is False
    assert len(statements.seen) == 1 and statements.seen[0].startswith("SELECT")
    assert is_cleared(set_cookies(answer)[COOKIE])
    assert {table: db.count(table) for table in db.tables} == before


@pytest.mark.parametrize(
    "junk",
    [
        "forged",
        "A" * 42,
        "A" * 44,
        "A" * 42 + "!",
        "A" * 42 + ".",
        "A" * 42 + "=",
        hashlib.sha256(b"x").hexdigest(),  # the stored form, not a token
        "' OR 1=1 --" + "A" * 32,
    ],
    ids=["word", "short", "long", "bang", "dot", "padding", "hash", "sql"],
)
def test_a_junk_token_runs_no_query_at_all(db: Database, client: FlaskClient, junk: str) -> None:
    client.set_cookie(COOKIE, junk)
    with Statements(db.engine) as statements:
        answer = client.get("/state")
    assert answer.get_json()["authenticated"] is False
    assert statements.seen == []
    assert is_cleared(set_cookies(answer)[COOKIE])
    assert db.count("sessions") == 0


def test_every_sign_in_makes_a_new_session_and_ends_the_browsers_previous_one(
    db: Database, build: Build
) -> None:
    _, client = build()
    _, elsewhere = build()
    other_browser = browser_sign_in(elsewhere)

    first = browser_sign_in(client)
    second = browser_sign_in(client)  # the same person signs in again in the same browser
    assert second != first
    assert db.session_tokens() == {sha256(second), sha256(other_browser)}

    _, replay = build()
    replay.set_cookie(COOKIE, first)
    assert who(replay) == "anonymous"
    assert who(client) == "ada@example.com"
    assert who(elsewhere) == "ada@example.com"  # another browser keeps its session


def test_signing_in_as_someone_else_ends_the_previous_session(
    db: Database, client: FlaskClient
) -> None:
    first = browser_sign_in(client, sub="1", email="ada@example.com")
    client.post("/logout-now")
    second = browser_sign_in(client, sub="2", email="bob@example.com")
    assert who(client) == "bob@example.com"
    assert db.session_tokens() == {sha256(second)}
    assert sha256(first) not in db.session_tokens()
