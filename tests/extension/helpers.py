"""Helpers of the extension tests."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask, jsonify, render_template_string, request
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from werkzeug.wrappers import Response

from flask_authadapter import current_session, current_user, sign_in, sign_out
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.models import User
from flask_authadapter.state import auth_state
from harness import counting
from tests.apps import dummy_sign_in

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


Build = Callable[..., tuple[Flask, FlaskClient]]


def bare_app(**config: Any) -> Flask:
    app = Flask(__name__)
    app.config.update(TESTING=True, **config)
    return app
