"""Per-request cost, in-process: each app's WSGI callable called in a loop.

No HTTP server and no test client: a prepared WSGI environ (the signed-in cookie, a
User-Agent, ``REMOTE_ADDR``) is copied and handed to the app, the body is iterated and
closed, as a WSGI server does. What is measured is Flask plus the authentication library
plus its database driver, nothing else.
"""

from __future__ import annotations

import hashlib
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from werkzeug.test import EnvironBuilder

from .apps import EMAIL, USER_AGENT, build_app, signed_in_cookie
from .databases import Databases
from .timing import Figure, WsgiCall, figure, ratio_figure, rounds_of

__all__ = ["Subject", "run_inprocess"]


@dataclass(frozen=True)
class Subject:
    """One row of the in-process table."""

    key: str
    label: str
    kind: str
    database: str | None  # "sqlite", "postgres" or None (bare)
    path: str = "/"


SUBJECTS = (
    Subject("bare", "bare Flask (no authentication)", "bare", None),
    Subject("authadapter_sqlite", "flask-authadapter, signed in, SQLite", "authadapter", "sqlite"),
    Subject(
        "authadapter_sqlite_plain",
        "flask-authadapter, signed in, view not reading current_user",
        "authadapter",
        "sqlite",
        "/plain",
    ),
    Subject(
        "flask_login_sqlite", "Flask-Login + Flask-SQLAlchemy, SQLite", "flask_login", "sqlite"
    ),
    Subject(
        "flask_security_sqlite", "Flask-Security-Too, signed in, SQLite", "flask_security", "sqlite"
    ),
    Subject(
        "authadapter_postgres",
        "flask-authadapter, signed in, PostgreSQL",
        "authadapter",
        "postgres",
    ),
    Subject(
        "flask_login_postgres",
        "Flask-Login + Flask-SQLAlchemy, PostgreSQL",
        "flask_login",
        "postgres",
    ),
)


def environ_for(path: str, cookie: str | None) -> dict[str, Any]:
    headers = {"User-Agent": USER_AGENT}
    if cookie:
        headers["Cookie"] = cookie
    builder = EnvironBuilder(path=path, headers=headers, environ_base={"REMOTE_ADDR": "127.0.0.1"})
    try:
        return builder.get_environ()
    finally:
        builder.close()


def prepare(subject: Subject, databases: Databases) -> WsgiCall:
    """The app of ``subject``, signed in; checked to answer the user's page without
    setting any cookie (inside the update window nothing is re-sent)."""
    url = databases.url(subject.database, subject.kind) if subject.database else None
    app = build_app(subject.kind, url)
    cookie = None if subject.kind == "bare" else signed_in_cookie(app)
    call = WsgiCall(app, environ_for(subject.path, cookie))
    captured: dict[str, Any] = {}

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        captured.update(status=status, headers=headers)

    body = b"".join(app(dict(call.environ), start_response))
    expected = b"hello" if subject.path == "/plain" else f"hello {EMAIL}".encode()
    if not captured["status"].startswith("200") or body != expected:
        raise RuntimeError(f"{subject.key}: unexpected answer {captured['status']} {body!r}")
    set_cookies = [v for k, v in captured["headers"] if k.lower() == "set-cookie"]
    if set_cookies:
        raise RuntimeError(f"{subject.key}: the signed-in request set cookies: {set_cookies}")
    return call


def raw_sqlite_join(db_path: Path, token_hash: str) -> Callable[[int], float]:
    """The floor of a lookup: the session-plus-user JOIN through sqlite3 itself, on an open
    connection (no pool, no SQLAlchemy)."""
    conn = sqlite3.connect(db_path, check_same_thread=False)
    sql = (
        "SELECT s.session_token, s.user_id, s.expires, s.created_at, u.id, u.email, "
        "u.email_verified, u.name, u.image FROM sessions AS s JOIN users AS u "
        "ON s.user_id = u.id WHERE s.session_token = ?"
    )
    if conn.execute(sql, (token_hash,)).fetchone() is None:
        raise RuntimeError("the raw JOIN found no session")

    def run(n: int) -> float:
        import time

        started = time.perf_counter()
        for _ in range(n):
            cursor = conn.execute(sql, (token_hash,))
            cursor.fetchone()
            cursor.close()
        return (time.perf_counter() - started) / n

    return run


def run_inprocess(
    databases: Databases, *, rounds: int, batch_seconds: float, warmup_seconds: float
) -> dict[str, Any]:
    """Every subject whose database is available, then the ratios."""
    subjects = [s for s in SUBJECTS if s.database is None or s.database in databases.backends]
    calls = {s.key: prepare(s, databases) for s in subjects}
    runners: dict[str, Callable[[int], float]] = {k: c.loop for k, c in calls.items()}
    token = calls["authadapter_sqlite"].environ["HTTP_COOKIE"].split("=", 1)[1].split(";")[0]
    runners["raw_sqlite_join"] = raw_sqlite_join(
        databases.sqlite_path("authadapter"), hashlib.sha256(token.encode()).hexdigest()
    )
    per_round = rounds_of(
        runners, rounds=rounds, batch_seconds=batch_seconds, warmup_seconds=warmup_seconds
    )
    results: dict[str, Any] = {"subjects": {}, "ratios": {}}
    labels = {s.key: s.label for s in subjects}
    labels["raw_sqlite_join"] = "the session+user JOIN alone, sqlite3 on an open connection"
    for key, values in per_round.items():
        results["subjects"][key] = {
            "label": labels[key],
            "microseconds": figure([v * 1e6 for v in values]).as_dict(),
            "per_round_seconds": values,
        }
    ratios: dict[str, Figure] = {}
    for key in per_round:
        if key != "bare":
            ratios[f"{key}/bare"] = ratio_figure(per_round[key], per_round["bare"])
    for db in ("sqlite", "postgres"):
        ours, theirs = f"authadapter_{db}", f"flask_login_{db}"
        if ours in per_round and theirs in per_round:
            ratios[f"{ours}/{theirs}"] = ratio_figure(per_round[ours], per_round[theirs])
    results["ratios"] = {k: v.as_dict() for k, v in ratios.items()}
    return results
