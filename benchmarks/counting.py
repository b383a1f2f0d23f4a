"""Counting the SQL of a request, two ways, and the flows whose SQL is counted.

:class:`Statements` listens to SQLAlchemy's ``before_cursor_execute``: every statement the
adapter sends through SQLAlchemy, as its tests have always counted them. A listener on the
engine makes the adapter take SQLAlchemy's ``Connection.execute`` even on the hot path (see
``flask_authadapter/adapters/sqlalchemy/prepared.py``), so :class:`Wire` counts again below
SQLAlchemy, with no listener on the engine at all (pool events only), what the driver really
sends: SQLite's own trace of every statement it runs (``BEGIN`` and ``COMMIT`` included),
or PostgreSQL's protocol messages through libpq's trace (statements: one per ``Query`` or
``Execute`` message; round trips: one per simple ``Query`` or ``Sync``-ended batch).

:func:`count_flows` runs the flows of the issue on one engine and returns their counts; the
benchmark prints them and ``tests/test_query_counts.py`` asserts them.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
import weakref
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, event

__all__ = ["FLOWS", "Count", "Statements", "Wire", "count_flows"]

_WRITES = ("INSERT", "UPDATE", "DELETE")


class Statements:
    """The statements SQLAlchemy sends on ``engine`` inside the ``with`` block."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.seen: list[str] = []

    def __enter__(self) -> Statements:
        event.listen(self.engine, "before_cursor_execute", self._record)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(self.engine, "before_cursor_execute", self._record)

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.seen.append(" ".join(statement.split()).upper())

    @property
    def writes(self) -> list[str]:
        return [s for s in self.seen if s.startswith(_WRITES)]


class Wire:
    """What the driver of ``engine`` sends, counted below SQLAlchemy with pool events only
    (which leave the adapter's hot path as it is).

    ``statements``: statements the database ran (SQLite: its trace, BEGIN and COMMIT
    included; PostgreSQL: ``Query`` and ``Execute`` messages). ``round_trips``: PostgreSQL's
    statement batches sent, each awaited (see :func:`_count_messages`; SQLite: the same as
    ``statements``, in-process).
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.backend = engine.dialect.name
        if self.backend not in ("sqlite", "postgresql"):
            raise ValueError(f"Wire counts SQLite and PostgreSQL, not {self.backend}")
        self._dir = Path(tempfile.mkdtemp(prefix="authadapter-wire-"))
        self._traced: weakref.WeakKeyDictionary[Any, Path] = weakref.WeakKeyDictionary()
        self._sqlite: list[str] = []
        self._counting = False
        self._offsets: dict[Path, int] = {}
        event.listen(engine.pool, "checkout", self._checkout)

    def close(self) -> None:
        event.remove(self.engine.pool, "checkout", self._checkout)
        # libpq may still hold its trace files open: on Linux they go when it closes them.
        shutil.rmtree(self._dir, ignore_errors=True)

    def _checkout(self, dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if self.backend == "sqlite":
            dbapi_connection.set_trace_callback(self._sqlite_statement)
            return
        if dbapi_connection in self._traced:
            return
        from psycopg import pq

        path = self._dir / f"conn{len(list(self._dir.iterdir()))}.trace"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        # libpq writes through its own FILE on this descriptor until the connection ends.
        dbapi_connection.pgconn.trace(fd)
        dbapi_connection.pgconn.set_trace_flags(
            pq.Trace.SUPPRESS_TIMESTAMPS | pq.Trace.REGRESS_MODE
        )
        self._traced[dbapi_connection] = path

    def _sqlite_statement(self, statement: str) -> None:
        if self._counting:
            self._sqlite.append(" ".join(statement.split()).upper())

    @contextmanager
    def counting(self) -> Iterator[WireCount]:
        """Count what is sent inside the ``with`` block."""
        found = WireCount()
        self._sqlite = []
        self._offsets = {p: p.stat().st_size for p in self._dir.iterdir()}
        self._counting = True
        try:
            yield found
        finally:
            self._counting = False
            if self.backend == "sqlite":
                found.statements = len(self._sqlite)
                found.round_trips = len(self._sqlite)
                found.texts = list(self._sqlite)
            else:
                for path in self._dir.iterdir():
                    with path.open(encoding="utf-8", errors="replace") as trace:
                        trace.seek(self._offsets.get(path, 0))
                        _count_messages(trace, found)


def _count_messages(trace: Iterable[str], found: WireCount) -> None:
    """Count libpq's trace of the messages a client sent (``F`` lines).

    A simple ``Query`` is one statement and one round trip; an extended-protocol batch
    (``Parse``/``Bind``/``Execute`` ... ``Sync``) is one round trip with one statement per
    ``Execute``. A batch without any ``Execute`` is psycopg preparing a statement it has run
    often on that connection (once per statement and connection): counted apart, in
    ``prepares``, since it does not recur.
    """
    executes = 0
    for line in trace:
        parts = line.split("\t")
        if len(parts) < 3 or parts[0] != "F":
            continue
        kind = parts[2].split(" ", 1)[0].strip()
        if kind == "Query":
            found.statements += 1
            found.round_trips += 1
            found.texts.append(parts[3].strip(' "\n') if len(parts) > 3 else "")
        elif kind == "Execute":
            found.statements += 1
            executes += 1
        elif kind == "Sync":
            if executes:
                found.round_trips += 1
            else:
                found.prepares += 1
            executes = 0


@dataclass
class WireCount:
    statements: int = 0
    round_trips: int = 0
    prepares: int = 0
    texts: list[str] = field(default_factory=list)


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
    """The tests' app (``tests/apps.py``) with the Email provider (mail kept in ``sent``)
    and the test OAuth provider, on fresh tables of ``engine``."""
    from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
    from flask_authadapter.providers.email import Email
    from tests.apps import DummyProvider, make_app

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
    get = lambda client, path: client.get(path, base_url=_BASE)  # noqa: E731

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
        record(flow, lambda c=oauth, b=back: _expect(get(c, b), 302))
        _expect(get(oauth, "/whoami"), 200, "grace@example.com")


def count_flows(engine: Engine) -> dict[str, Count]:
    """Run every flow of :data:`FLOWS` on ``engine`` and count each one's SQL.

    The scenario runs twice on fresh tables (they are dropped and created again): once
    counted through SQLAlchemy's events, once on the wire with no listener on the engine.
    """
    from flask_authadapter.core.clock import FrozenClock

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
