"""Tests for ``flask_authadapter.extension``: ``Auth.init_app``, database sessions over
HTTP, ``current_user`` / ``current_session`` / ``login_required``, ``sign_in`` /
``sign_out`` from app code, the query counts of lazy loading, and storage failures.

The HTTP tests run the real extension with :class:`SQLAlchemyAdapter` on SQLite and on
PostgreSQL (the test ids say which): one database per backend for the module, emptied
before each test. Time is a :class:`FrozenClock`; nothing sleeps.
"""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import socket
import sqlite3
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify, render_template_string, request
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from sqlalchemy.pool import NullPool
from werkzeug.http import http_date
from werkzeug.wrappers import Response

from flask_authadapter import (
    Auth,
    ConfigurationError,
    StorageError,
    auth_state,
    current_session,
    current_user,
    sign_in,
    sign_out,
)
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.models import User
from flask_authadapter.providers.email import Email
from harness import counting
from tests.apps import SECRET, DummyProvider, csrf_from, dummy_sign_in, make_app
from tests.databases import adapter_on, create_engine_for, empty_tables

UTC = timezone.utc

#: The databases the HTTP tests run on; the test ids show which.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

#: When every test's clock starts (whole seconds: cookie dates have no fractions).
START = datetime(2031, 5, 17, 9, 30, 15, tzinfo=UTC)
DAY = timedelta(days=1)

COOKIE = "authadapter.session"
HTTPS = "https://app.example"

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
MakeDatabase = Callable[[str, str], str]


# Helpers -------------------------------------------------------------------------------


class Statements(counting.Statements):
    """The shared statement counter (harness/counting.py), with the UPDATEs apart."""

    @property
    def updates(self) -> list[str]:
        return [s for s in self.seen if s.startswith("UPDATE")]


def set_cookies(response: Response) -> dict[str, dict[str, Any]]:
    """The cookies a response sets, by name: ``value`` and attributes (flags are True)."""
    cookies: dict[str, dict[str, Any]] = {}
    for header in response.headers.getlist("Set-Cookie"):
        first, *attributes = (part.strip() for part in header.split(";"))
        name, _, value = first.partition("=")
        parsed: dict[str, Any] = {"value": value}
        for attribute in attributes:
            key, has_value, attribute_value = attribute.partition("=")
            parsed[key.lower()] = attribute_value if has_value else True
        cookies[name] = parsed
    return cookies


def is_cleared(cookie: dict[str, Any]) -> bool:
    return cookie["value"] == "" and cookie.get("max-age") == "0"


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def cookie_of(client: FlaskClient, name: str = COOKIE, domain: str = "localhost") -> str | None:
    cookie = client.get_cookie(name, domain=domain)
    return None if cookie is None else cookie.value


def who(client: FlaskClient, **options: Any) -> str:
    return client.get("/whoami", **options).get_data(as_text=True)


def browser_sign_in(client: FlaskClient, **options: Any) -> str:
    """Sign in through the dummy provider; the session cookie's token."""
    landed = dummy_sign_in(client, **options)
    assert landed.status_code == 302, landed.get_data(as_text=True)
    token = cookie_of(client)
    assert token is not None
    return token


def add_routes(app: Flask) -> None:
    """Routes of "app code" for the tests, besides make_app's ``/``, ``/whoami``, ``/private``."""

    @app.get("/state")
    def state() -> Response:
        # current_user read many times, current_session too: still one query.
        return jsonify(
            authenticated=current_user.is_authenticated,
            anonymous=current_user.is_anonymous,
            email=current_user.email,
            user_id=current_user.id,
            has_session=bool(current_session),
        )

    @app.get("/page")
    def page() -> str:
        return render_template_string("<p>{{ 6 * 7 }}</p>")

    @app.get("/page-with-user")
    def page_with_user() -> str:
        return render_template_string("<p>{{ current_user.email or 'anonymous' }}</p>")

    @app.post("/signup")
    def signup() -> str:
        adapter = auth_state().adapter
        user = adapter.create_user(User(email=request.form["email"], name="New"))
        sign_in(user)
        return str(user.id)

    @app.post("/signin-as/<user_id>")
    def signin_as(user_id: str) -> str:
        active = sign_in(user_id)
        return active.user.email or ""

    @app.post("/logout-now")
    def logout_now() -> str:
        sign_out()
        return "bye"


@dataclass
class Database:
    """A database of one backend with the default tables, and ways to read it raw."""

    engine: Engine
    adapter: SQLAlchemyAdapter
    url: str = ""
    tables: dict[str, sa.Table] = field(init=False)

    def __post_init__(self) -> None:
        self.tables = dict(self.adapter.metadata.tables)

    def count(self, table: str) -> int:
        with self.engine.connect() as conn:
            query = select(func.count()).select_from(self.tables[table])
            return int(conn.execute(query).scalar_one())

    def rows(self, table: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(select(self.tables[table]))]

    def session_tokens(self) -> set[str]:
        return {row["session_token"] for row in self.rows("sessions")}


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


# Fixtures ------------------------------------------------------------------------------


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database in turn: sqlite, postgres."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(backend: str, make_database: MakeDatabase) -> Iterator[Database]:
    """The module's database on ``backend``, with the default tables."""
    url = make_database(backend, "t_ext_extension")
    engine = create_engine_for(url)
    try:
        for adapter in adapter_on(engine):
            yield Database(engine, adapter, url)
    finally:
        engine.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """The module's database, emptied for this test."""
    empty_tables(database.engine, database.adapter.metadata)
    return database


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


Build = Callable[..., tuple[Flask, FlaskClient]]


@pytest.fixture
def build(db: Database, clock: FrozenClock) -> Build:
    """``build(**config)``: a real app on the test's database, and a client of it."""

    def make(**config: Any) -> tuple[Flask, FlaskClient]:
        app, _ = make_app(db.adapter, clock=clock, **config)
        add_routes(app)
        return app, app.test_client()

    return make


@pytest.fixture
def client(build: Build) -> FlaskClient:
    return build()[1]


def bare_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, **config)
    return app


# init_app ==============================================================================


def test_the_app_factory_form() -> None:
    auth = Auth()
    adapter = MemoryAdapter()
    app = bare_app(SECRET_KEY=SECRET)
    auth.init_app(app, adapter=adapter, providers=[DummyProvider("dummy")])

    state = auth_state(app)
    assert state.callbacks is auth.callbacks
    assert state.adapter is adapter
    assert list(state.providers) == ["dummy"]
    assert "auth" in app.blueprints
    answer = app.test_client().get("/auth/providers")
    assert answer.status_code == 200
    assert answer.get_json()["dummy"]["callbackUrl"] == "http://localhost/auth/callback/dummy"


def test_the_constructor_form() -> None:
    adapter = MemoryAdapter()
    app = bare_app(SECRET_KEY=SECRET)
    auth = Auth(app, adapter=adapter, providers=[DummyProvider("dummy")])

    assert auth_state(app).callbacks is auth.callbacks
    assert auth_state(app).adapter is adapter
    assert app.test_client().get("/auth/signin").status_code == 200


def test_the_factory_form_takes_the_constructors_adapter_and_providers() -> None:
    adapter = MemoryAdapter()
    auth = Auth(adapter=adapter, providers=[DummyProvider("dummy")])
    app = bare_app(SECRET_KEY=SECRET)
    auth.init_app(app)
    assert auth_state(app).adapter is adapter
    assert list(auth_state(app).providers) == ["dummy"]


def test_the_blueprint_follows_the_url_prefix() -> None:
    app = bare_app(SECRET_KEY=SECRET, AUTH_URL_PREFIX="/account")
    Auth(app, adapter=MemoryAdapter())
    client = app.test_client()
    assert client.get("/account/signin").status_code == 200
    assert client.get("/auth/signin").status_code == 404


def test_one_auth_serves_two_apps_with_their_own_adapter_and_secret(
    db: Database, clock: FrozenClock
) -> None:
    first, auth = make_app(db.adapter, clock=clock)  # its secret: SECRET
    other_adapter = MemoryAdapter()
    second = bare_app(SECRET_KEY="another-secret-" + "y" * 40)
    auth.init_app(second, adapter=other_adapter, providers=[DummyProvider("dummy")])

    @second.get("/whoami")
    def whoami() -> str:
        return current_user.email or "anonymous"

    assert auth_state(first).adapter is db.adapter
    assert auth_state(second).adapter is other_adapter
    assert auth_state(first).config.secret != auth_state(second).config.secret
    assert auth_state(first).callbacks is auth_state(second).callbacks is auth.callbacks

    one, two = first.test_client(), second.test_client()
    token = browser_sign_in(one)
    assert who(one) == "ada@example.com"

    # The first app's session means nothing to the second app.
    two.set_cookie(COOKIE, token)
    assert who(two) == "anonymous"
    assert two.get("/auth/session").get_json() is None

    # Nor does its CSRF token, signed under the first app's secret.
    csrf = csrf_from(one)
    csrf_cookie = cookie_of(one, "authadapter.csrf")
    assert csrf_cookie is not None
    two.set_cookie("authadapter.csrf", csrf_cookie)
    refused = two.post("/auth/signout", data={"csrf_token": csrf})
    assert refused.status_code == 403

    # Each app signs its own users in.
    browser_sign_in(two, sub="2", email="bob@example.com")
    assert who(two) == "bob@example.com"
    assert who(one) == "ada@example.com"
    assert other_adapter.get_user_by_email("bob@example.com") is not None
    assert db.adapter.get_user_by_email("bob@example.com") is None


def test_a_missing_secret_is_a_start_up_error() -> None:
    app = bare_app()
    with pytest.raises(ConfigurationError, match="AUTH_SECRET") as info:
        Auth().init_app(app, adapter=MemoryAdapter())
    assert "SECRET_KEY" in str(info.value)
    assert "authadapter" not in app.extensions
    assert "auth" not in app.blueprints


def test_a_failed_init_app_can_be_retried_once_fixed() -> None:
    app = bare_app()
    auth = Auth(adapter=MemoryAdapter())
    with pytest.raises(ConfigurationError):
        auth.init_app(app)
    app.config["SECRET_KEY"] = SECRET
    auth.init_app(app)
    assert app.test_client().get("/auth/signin").status_code == 200


def test_bad_settings_are_a_start_up_error() -> None:
    app = bare_app(SECRET_KEY=SECRET, AUTH_URL="app.example")
    with pytest.raises(ConfigurationError, match="AUTH_URL"):
        Auth(app, adapter=MemoryAdapter())


def test_auth_secret_falls_back_to_secret_key() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    Auth(app, adapter=MemoryAdapter())
    assert auth_state(app).config.secret == SECRET

    own = "auth-secret-" + "z" * 40
    app = bare_app(SECRET_KEY=SECRET, AUTH_SECRET=own)
    Auth(app, adapter=MemoryAdapter())
    assert auth_state(app).config.secret == own


class HalfAdapter:
    """An adapter with the user methods and two of the session methods only."""

    def __init__(self) -> None:
        self._store = MemoryAdapter()
        for name in (
            "create_user",
            "get_user",
            "get_user_by_email",
            "update_user",
            "delete_user",
            "create_session",
            "get_session_and_user",
        ):
            setattr(self, name, getattr(self._store, name))
        self.delete_session = None  # present but not callable: still missing


def half_adapter() -> Any:
    """A :class:`HalfAdapter`, typed loosely: it is not an Adapter on purpose."""
    return HalfAdapter()


def _missing_in(message: str) -> set[str]:
    return {name.strip() for name in message.rsplit(": ", 1)[1].split(",")}


def test_an_adapter_lacking_methods_is_named_with_what_it_lacks() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    with pytest.raises(ConfigurationError) as info:
        Auth().init_app(app, adapter=half_adapter(), providers=[DummyProvider("dummy")])
    message = str(info.value)
    assert "HalfAdapter" in message
    assert _missing_in(message) == {
        "update_session",
        "delete_session",
        "list_sessions",
        "delete_sessions",
        "get_user_by_account",
        "link_account",
        "unlink_account",
        "get_account",
        "update_account",
    }
    assert "authadapter" not in app.extensions


def test_the_methods_checked_follow_the_configured_providers() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    with pytest.raises(ConfigurationError) as info:
        Auth().init_app(app, adapter=half_adapter(), providers=[])
    # No OAuth provider: the account methods are not needed, so not named.
    assert _missing_in(str(info.value)) == {
        "update_session",
        "delete_session",
        "list_sessions",
        "delete_sessions",
    }

    with pytest.raises(ConfigurationError) as info:
        # The Email provider needs the verification-token methods (checked before it reads
        # its own settings, so this app needs no AUTH_URL or sender).
        Auth().init_app(app, adapter=half_adapter(), providers=[Email()])
    missing = _missing_in(str(info.value))
    assert {"create_verification_token", "use_verification_token"} <= missing
    assert "link_account" not in missing


def test_an_adapter_without_the_token_methods_is_fine_without_email() -> None:
    class NoTokens:
        def __init__(self) -> None:
            store = MemoryAdapter()
            for name in dir(store):
                if not name.startswith("_") and "verification" not in name:
                    setattr(self, name, getattr(store, name))

    app = bare_app(SECRET_KEY=SECRET)
    Auth(app, adapter=NoTokens(), providers=[DummyProvider("dummy")])  # type: ignore[arg-type]
    assert app.test_client().get("/auth/signin").status_code == 200


def test_duplicate_provider_ids_are_refused() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    with pytest.raises(ConfigurationError, match="dummy"):
        Auth().init_app(
            app,
            adapter=MemoryAdapter(),
            providers=[DummyProvider("dummy"), DummyProvider("other"), DummyProvider("dummy")],
        )


def test_init_app_twice_on_one_app_is_refused() -> None:
    app = bare_app(SECRET_KEY=SECRET)
    auth = Auth(app, adapter=MemoryAdapter())
    with pytest.raises(ConfigurationError, match="already"):
        auth.init_app(app)
    with pytest.raises(ConfigurationError, match="already"):
        Auth().init_app(app, adapter=MemoryAdapter())
    assert app.test_client().get("/auth/signin").status_code == 200  # the first still works


def test_no_adapter_is_refused() -> None:
    with pytest.raises(ConfigurationError, match="adapter"):
        Auth(bare_app(SECRET_KEY=SECRET))
    with pytest.raises(ConfigurationError, match="adapter"):
        Auth().init_app(bare_app(SECRET_KEY=SECRET))


def test_current_user_outside_a_request_is_anonymous() -> None:
    assert current_user.is_authenticated is False
    assert not current_session


# Sessions over HTTP ====================================================================


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


# Query counts =======================================================


def test_query_counts_of_lazy_loading(
    db: Database, client: FlaskClient, clock: FrozenClock
) -> None:
    """0 statements when ``current_user`` is untouched, 1 when touched, 0 writes inside the
    update window, exactly 1 write after it."""
    browser_sign_in(client)

    # Never touching current_user: no query, also when a template is rendered.
    for path in ("/", "/page"):
        with Statements(db.engine) as statements:
            answer = client.get(path)
        assert answer.status_code == 200
        assert statements.seen == [], path

    # Touching it (many times, with current_session too): exactly one query.
    for path in ("/whoami", "/state", "/page-with-user", "/private"):
        with Statements(db.engine) as statements:
            answer = client.get(path)
        assert answer.status_code == 200
        assert "ada@example.com" in answer.get_data(as_text=True)
        assert len(statements.seen) == 1, (path, statements.seen)
        assert statements.seen[0].startswith("SELECT")

    # Inside the update window: no write, however many requests.
    with Statements(db.engine) as statements:
        for _ in range(3):
            clock.advance(hours=7)
            assert who(client) == "ada@example.com"
    assert len(statements.seen) == 3
    assert statements.writes == []

    # Past it: the one read, and exactly one write.
    clock.advance(hours=3)  # a day after signing in
    with Statements(db.engine) as statements:
        assert who(client) == "ada@example.com"
    assert len(statements.seen) == 2
    assert statements.seen[0].startswith("SELECT")
    assert len(statements.writes) == 1 and statements.writes[0].startswith("UPDATE")

    # And the window starts again.
    with Statements(db.engine) as statements:
        assert who(client) == "ada@example.com"
    assert len(statements.seen) == 1
    assert statements.writes == []


def test_an_anonymous_request_without_a_cookie_runs_no_query(
    db: Database, client: FlaskClient
) -> None:
    with Statements(db.engine) as statements:
        answer = client.get("/state")
    assert answer.get_json() == {
        "authenticated": False,
        "anonymous": True,
        "email": None,
        "user_id": None,
        "has_session": False,
    }
    assert statements.seen == []


# current_user, current_session, login_required =========================================


def test_current_user_and_current_session_when_signed_in(db: Database, client: FlaskClient) -> None:
    browser_sign_in(client)
    answer = client.get("/state")
    user = db.adapter.get_user_by_email("ada@example.com")
    assert user is not None
    assert answer.get_json() == {
        "authenticated": True,
        "anonymous": False,
        "email": "ada@example.com",
        "user_id": user.id,
        "has_session": True,
    }
    assert "Cookie" in answer.vary  # the answer depends on who asks


def test_login_required_sends_a_page_request_to_sign_in(client: FlaskClient) -> None:
    answer = client.get("/private?tab=2&q=a%20b")
    assert answer.status_code == 302
    target = urlsplit(answer.location)
    assert target.path == "/auth/signin"
    assert parse_qs(target.query) == {"callback_url": ["/private?tab=2&q=a%20b"]}


def test_login_required_without_a_query(client: FlaskClient) -> None:
    answer = client.get("/private")
    assert parse_qs(urlsplit(answer.location).query) == {"callback_url": ["/private"]}


def test_login_required_uses_the_apps_own_sign_in_page(build: Build) -> None:
    _, client = build(AUTH_PAGES={"signin": "/login"})
    answer = client.get("/private?x=1")
    target = urlsplit(answer.location)
    assert target.path == "/login"
    assert parse_qs(target.query) == {"callback_url": ["/private?x=1"]}


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"Accept": "application/json, text/plain, */*"},
        {"Content-Type": "application/json"},
    ],
    ids=["accept json", "accept like fetch", "json body"],
)
def test_login_required_answers_a_json_request_with_401(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    answer = client.get("/private", headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["error"] == "SessionRequired"
    assert body["message"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Location" not in answer.headers


def test_a_browser_asking_for_html_first_gets_the_redirect(client: FlaskClient) -> None:
    answer = client.get("/private", headers={"Accept": "text/html,application/json;q=0.9"})
    assert answer.status_code == 302


def test_login_required_lets_a_signed_in_user_in(client: FlaskClient) -> None:
    browser_sign_in(client)
    answer = client.get("/private", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "private page of ada@example.com"


def test_the_callback_url_brings_the_person_back(client: FlaskClient) -> None:
    sent = client.get("/private?tab=2")
    callback_url = parse_qs(urlsplit(sent.location).query)["callback_url"][0]
    landed = dummy_sign_in(client, callback_url=callback_url)
    assert landed.location == "/private?tab=2"
    assert client.get(landed.location).status_code == 200


def test_login_required_in_an_app_mounted_under_a_prefix(client: FlaskClient) -> None:
    answer = client.get("/private?x=1", base_url="http://localhost/app/")
    target = urlsplit(answer.location)
    assert target.path == "/app/auth/signin"
    assert parse_qs(target.query) == {"callback_url": ["/app/private?x=1"]}


# sign_in / sign_out from app code ======================================================


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


# Storage failures ===================================================

_DRIVER_WORDS = ("Traceback", "OperationalError", "ProgrammingError", "sqlite", "psycopg", "SELECT")


def _failure_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r for r in caplog.records if r.name == "flask_authadapter" and r.levelno >= logging.ERROR
    ]


def assert_unavailable_page(answer: Response) -> None:
    assert answer.status_code == 503
    assert answer.mimetype == "text/html"
    body = answer.get_data(as_text=True)
    assert "Temporarily unavailable" in body
    for word in _DRIVER_WORDS:
        assert word not in body
    assert answer.headers["Cache-Control"] == "no-store"


def assert_unavailable_json(answer: Response) -> None:
    assert answer.status_code == 503
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert set(body) == {"error", "message"}
    assert body["error"] == "Unavailable"
    for word in _DRIVER_WORDS:
        assert word not in body["message"]


def assert_logged_once(
    caplog: pytest.LogCaptureFixture, action: str, *, cause: str | None = None
) -> None:
    [record] = _failure_records(caplog)
    assert action in record.getMessage()
    if cause is not None:
        assert cause in record.getMessage()
    assert record.exc_info is not None
    error = record.exc_info[1]
    assert isinstance(error, StorageError)
    assert error.__cause__ is not None  # the driver's exception, for the operator
    caplog.clear()


@dataclass
class Broken:
    """An app signed in on a database of its own, which the test then breaks."""

    database: Database
    app: Flask
    client: FlaskClient
    token: str


@pytest.fixture(scope="module")
def breakable(backend: str, make_database: MakeDatabase) -> Iterator[Database]:
    """A second database on ``backend``, whose tables the storage-failure tests drop."""
    url = make_database(backend, "t_ext_broken")
    engine = create_engine_for(url)
    try:
        yield Database(engine, SQLAlchemyAdapter(engine), url)
    finally:
        engine.dispose()


@pytest.fixture
def broken(breakable: Database, clock: FrozenClock) -> Broken:
    """A signed-in browser on an app whose database has then lost its tables."""
    adapter, engine = breakable.adapter, breakable.engine
    adapter.metadata.create_all(engine)
    app, _ = make_app(adapter, clock=clock)
    add_routes(app)
    client = app.test_client()
    token = browser_sign_in(client)
    adapter.metadata.drop_all(engine)
    return Broken(breakable, app, client, token)


def test_a_failing_store_gives_a_503_page_logged_once(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    answer = broken.client.get("/whoami")
    assert_unavailable_page(answer)
    assert_logged_once(caplog, "get_session_and_user failed")
    # An outage is not a sign-out: the cookie stays, for when the database is back.
    assert COOKIE not in set_cookies(answer)
    assert cookie_of(broken.client) == broken.token


def test_a_failing_store_gives_503_json_to_a_json_request(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    answer = broken.client.get("/state", headers={"Accept": "application/json"})
    assert_unavailable_json(answer)
    assert_logged_once(caplog, "get_session_and_user failed")


def test_the_session_endpoint_answers_a_storage_failure_in_json(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    assert_unavailable_json(broken.client.get("/auth/session", headers={"Accept": "*/*"}))


def test_a_failing_store_on_a_protected_page_is_not_a_sign_in_redirect(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    assert_unavailable_page(broken.client.get("/private"))
    assert_logged_once(caplog, "get_session_and_user failed")


def test_a_failing_store_during_a_sign_in_gives_a_503(
    broken: Broken, caplog: pytest.LogCaptureFixture
) -> None:
    client = broken.app.test_client()  # a new browser, signing in
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    caplog.clear()
    answer = dummy_sign_in(client, sub="9", email="new@example.com")
    assert_unavailable_page(answer)
    assert_logged_once(caplog, "failed")
    assert cookie_of(client) is None


def test_a_locked_sqlite_database_gives_a_503(
    make_database: MakeDatabase, clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = make_database("sqlite", "t_ext_locked")
    engine = sa.create_engine(url, connect_args={"timeout": 0.05})
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.create_all(engine)
    locker = sqlite3.connect(sa.make_url(url).database or "", isolation_level=None)
    try:
        app, _ = make_app(adapter, clock=clock)
        client = app.test_client()
        browser_sign_in(client)
        locker.execute("BEGIN EXCLUSIVE")  # another process holds the database
        caplog.set_level(logging.INFO, logger="flask_authadapter")
        caplog.clear()
        assert_unavailable_page(client.get("/whoami"))
        assert_logged_once(caplog, "get_session_and_user failed", cause="locked")
        locker.execute("ROLLBACK")
        assert who(client) == "ada@example.com"  # back once the lock is gone
    finally:
        locker.close()
        engine.dispose()


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_an_unreachable_database_server_gives_a_503(
    clock: FrozenClock, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"postgresql+psycopg://nobody@127.0.0.1:{_closed_port()}/nothing"
    engine = sa.create_engine(url, poolclass=NullPool, connect_args={"connect_timeout": 2})
    try:
        app, _ = make_app(SQLAlchemyAdapter(engine), clock=clock)
        client = app.test_client()
        client.set_cookie(COOKIE, secrets.token_urlsafe(32))
        caplog.set_level(logging.INFO, logger="flask_authadapter")
        caplog.clear()
        assert_unavailable_json(client.get("/whoami", headers={"Accept": "application/json"}))
        assert_logged_once(caplog, "get_session_and_user failed")
    finally:
        engine.dispose()


@pytest.mark.postgres
def test_a_database_dropped_under_a_running_app_gives_503s(
    make_database: MakeDatabase,
    postgres_server: Any,
    clock: FrozenClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    url = make_database("postgres", "t_ext_doomed")
    engine = create_engine_for(url)
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.create_all(engine)
    admin = sa.create_engine(
        postgres_server.base_url, isolation_level="AUTOCOMMIT", poolclass=NullPool
    )
    try:
        app, _ = make_app(adapter, clock=clock)
        client = app.test_client()
        browser_sign_in(client)  # the pool now holds a live connection
        with admin.connect() as conn:
            conn.exec_driver_sql('DROP DATABASE "t_ext_doomed" WITH (FORCE)')
        caplog.set_level(logging.INFO, logger="flask_authadapter")
        caplog.clear()
        # The pooled connection was killed by the server...
        assert_unavailable_page(client.get("/whoami"))
        assert_logged_once(caplog, "get_session_and_user failed")
        # ...and a new one finds no database.
        assert_unavailable_page(client.get("/whoami"))
        assert_logged_once(caplog, "get_session_and_user failed", cause="does not exist")
    finally:
        engine.dispose()
        admin.dispose()
