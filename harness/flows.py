"""The sign-in flows whose SQL is counted, and their counts.

:func:`count_flows` runs every flow of :data:`FLOWS` on one engine, counted through
SQLAlchemy (:class:`harness.counting.Statements`) and on the wire
(:class:`harness.counting.Wire`); the benchmark prints the counts and
``tests/test_query_counts.py`` asserts them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.providers.email import Email
from harness.app import DummyProvider, make_app
from harness.counting import Statements, Wire, WireCount

__all__ = ["FLOWS", "Count", "count_flows"]


@dataclass(frozen=True)
class Count:
    """The SQL of one flow: through SQLAlchemy, and on the wire."""

    flow: str
    statements: int  # SQLAlchemy statements
    writes: int  # of which INSERT/UPDATE/DELETE
    wire_statements: int  # what the database ran (see Wire)
    round_trips: int  # PostgreSQL: answers awaited; SQLite: as wire_statements
    sql: tuple[str, ...]  # the SQLAlchemy statements, first words

    def as_dict(self) -> dict[str, Any]:
        return {
            "statements": self.statements,
            "writes": self.writes,
            "wire_statements": self.wire_statements,
            "round_trips": self.round_trips,
            "sql": list(self.sql),
        }


#: The flows counted, in order, with what each is.
FLOWS = {
    "signed_in": "signed in, reading current_user (inside the update window)",
    "signed_in_untouched": "signed in, not reading current_user",
    "signed_in_after_window": "signed in, first request after the update window",
    "anonymous": "no session cookie, reading current_user",
    "magic_link_request": "magic link: POST /auth/signin/email (email sent)",
    "magic_link_open": "magic link: GET of the link (the confirm page)",
    "magic_link_redeem": "magic link: POST /auth/callback/email (new user)",
    "oauth_callback_new": "OAuth callback, first sign-in (user, account made)",
    "oauth_callback_returning": "OAuth callback, returning user",
}

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_BASE = "http://app.example"
_START = datetime(2031, 5, 17, 9, 30, 15, tzinfo=timezone.utc)

Record = Callable[[str, Callable[[], Any]], Any]


def _short(statement: str) -> str:
    """``SELECT ... FROM sessions``, ``insert into users``: enough to tell statements apart."""
    words = statement.split()
    if words[:2] == ["SELECT", "EXISTS"] and "FROM" in words:
        return "SELECT EXISTS ... " + words[words.index("FROM") + 1].lower()
    if words[:1] == ["SELECT"] and "FROM" in words:
        return "SELECT ... FROM " + words[words.index("FROM") + 1].lower()
    return " ".join(words[:3])


def _build(engine: Engine, clock: Any, sent: list[Any]) -> Flask:
    """The reference app (:mod:`harness.app`) with the Email provider (mail kept in
    ``sent``) and the test OAuth provider, on fresh tables of ``engine``."""
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.drop_all(engine)
    adapter.metadata.create_all(engine)
    app, _ = make_app(
        adapter,
        providers=[Email(send=sent.append, rate_limits=None), DummyProvider("dummy")],
        clock=clock,
        AUTH_URL=_BASE,
    )
    return app


def _csrf(client: FlaskClient) -> str:
    page = client.get("/auth/signin", base_url=_BASE).get_data(as_text=True)
    found = _CSRF.search(page)
    assert found is not None, "no CSRF field on the sign-in page"
    return found.group(1)


def _local(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.path}?{parts.query}" if parts.query else parts.path


def _expect(response: Any, status: int, body: str | None = None) -> Any:
    text = response.get_data(as_text=True)
    assert response.status_code == status, (response.status_code, text[:500])
    if body is not None:
        assert text == body, text[:500]
    return response


def _scenario(app: Flask, clock: Any, sent: list[Any], record: Record) -> None:
    """Every flow of :data:`FLOWS`, each run once inside ``record(flow, run)``."""

    def get(client: FlaskClient, path: str) -> Any:
        return client.get(path, base_url=_BASE)

    anonymous = app.test_client()
    record("anonymous", lambda: _expect(get(anonymous, "/whoami"), 200, "anonymous"))

    browser = app.test_client()
    form = {"csrf_token": _csrf(browser), "email": "ada@example.com", "callback_url": "/"}
    record(
        "magic_link_request",
        lambda: _expect(browser.post("/auth/signin/email", data=form, base_url=_BASE), 302),
    )
    link = _local(sent[-1].url)
    page = record("magic_link_open", lambda: _expect(get(browser, link), 200))
    fields = {k: html.unescape(v) for k, v in _HIDDEN.findall(page.get_data(as_text=True))}
    record(
        "magic_link_redeem",
        lambda: _expect(browser.post("/auth/callback/email", data=fields, base_url=_BASE), 302),
    )

    record("signed_in", lambda: _expect(get(browser, "/whoami"), 200, "ada@example.com"))
    record("signed_in_untouched", lambda: _expect(get(browser, "/"), 200, "home"))
    clock.advance(timedelta(days=1))
    record(
        "signed_in_after_window",
        lambda: _expect(get(browser, "/whoami"), 200, "ada@example.com"),
    )

    for flow in ("oauth_callback_new", "oauth_callback_returning"):
        oauth = app.test_client()
        data = {"csrf_token": _csrf(oauth), "sub": "4242", "email": "grace@example.com"}
        started = _expect(oauth.post("/auth/signin/dummy", data=data, base_url=_BASE), 302)
        back = _local(started.location)
        record(flow, lambda c=oauth, b=back: _expect(get(c, b), 302))  # type: ignore[misc]
        _expect(get(oauth, "/whoami"), 200, "grace@example.com")


def count_flows(engine: Engine) -> dict[str, Count]:
    """Run every flow of :data:`FLOWS` on ``engine`` and count each one's SQL.

    The scenario runs twice on fresh tables (they are dropped and created again): once
    counted through SQLAlchemy's events, once on the wire with no listener on the engine.
    """
    through: dict[str, Statements] = {}
    sent: list[Any] = []
    clock = FrozenClock(_START)
    app = _build(engine, clock, sent)

    def by_events(flow: str, run: Callable[[], Any]) -> Any:
        with Statements(engine) as statements:
            result = run()
        through[flow] = statements
        return result

    _scenario(app, clock, sent, by_events)

    on_wire: dict[str, WireCount] = {}
    sent = []
    clock = FrozenClock(_START)
    app = _build(engine, clock, sent)
    wire = Wire(engine)
    try:

        def by_wire(flow: str, run: Callable[[], Any]) -> Any:
            with wire.counting() as found:
                result = run()
            on_wire[flow] = found
            return result

        _scenario(app, clock, sent, by_wire)
    finally:
        wire.close()
    return {
        flow: Count(
            flow=flow,
            statements=len(through[flow].seen),
            writes=len(through[flow].writes),
            wire_statements=on_wire[flow].statements,
            round_trips=on_wire[flow].round_trips,
            sql=tuple(_short(s) for s in through[flow].seen),
        )
        for flow in FLOWS
    }
