"""What the fault tests use to make faults: the database taken down (:class:`Outage`) at
an exact adapter call (:class:`DatabaseCut`), the checks of an answer during an outage,
and an OpenID provider whose endpoints hold requests (:class:`Hold`)."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from werkzeug.test import TestResponse

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import OIDC
from harness.servers import DatabaseServer
from tests.apps import make_app
from tests.hardening.apps_under_test import (
    sets_session,
)
from tests.oidc import MockProvider, callback_target

ADA = "ada@example.com"
APP_LOGGER = "tests.hardening.apps_under_test"  # Flask's app.logger: "Exception on ..."
LIBRARY_LOGGER = "flask_authadapter"


class Outage:
    """The database down (``begin``) and back (``end``); ends at the end of every test."""

    def __init__(self, server: DatabaseServer) -> None:
        self.server = server
        self.down = False
        self.count = 0

    def begin(self) -> None:
        if not self.down:
            self.server.pause()
            self.down = True
            self.count += 1

    def end(self) -> None:
        if self.down:
            self.server.resume()
            self.down = False


class DatabaseCut:
    """In front of the app's adapter: takes the database down just before the ``nth`` call
    of ``method`` (see :meth:`before`), so that this call meets a dead connection while the
    calls before it in the same request succeeded. Everything else is passed through."""

    def __init__(self, adapter: Any, outage: Outage) -> None:
        self._adapter = adapter
        self._outage = outage
        self._at: tuple[str, int] | None = None
        self._calls: Counter[str] = Counter()
        self._lock = threading.Lock()

    def before(self, method: str, nth: int = 1) -> None:
        """Take the database down before the ``nth`` call of ``method`` from now on."""
        assert callable(getattr(self._adapter, method, None)), method
        with self._lock:
            self._at = (method, nth)
            self._calls.clear()

    def __getattr__(self, name: str) -> Any:
        value = getattr(self._adapter, name)
        if name.startswith("_") or not callable(value):
            return value

        def call(*args: Any, **kwargs: Any) -> Any:
            with self._lock:
                self._calls[name] += 1
                due = self._at == (name, self._calls[name])
            if due:
                self._outage.begin()
            return value(*args, **kwargs)

        return call


Build = Callable[..., tuple[Flask, DatabaseCut]]

# What an answer during the outage must be ------------------------------------------------


def assert_unavailable_page(answer: TestResponse) -> None:
    body = answer.get_data(as_text=True)
    assert answer.status_code == 503, body
    assert answer.mimetype == "text/html"
    assert "Temporarily unavailable" in body
    assert "Traceback" not in body and "psycopg" not in body and "sqlalchemy" not in body
    assert answer.headers["Cache-Control"] == "no-store"
    assert not sets_session(answer)


def assert_unavailable_json(answer: TestResponse) -> None:
    assert answer.status_code == 503, answer.get_data(as_text=True)
    assert answer.mimetype == "application/json"
    assert answer.get_json()["error"] == "Unavailable"
    assert "Traceback" not in answer.get_data(as_text=True)
    assert not sets_session(answer)


def assert_handled(caplog: pytest.LogCaptureFixture, failures: int = 1) -> None:
    """The outage was logged by the library as a storage failure; nothing was unhandled."""
    unhandled = [r for r in caplog.records if r.getMessage().startswith("Exception on ")]
    assert unhandled == [], [r.getMessage() for r in unhandled]
    logged = [
        r
        for r in caplog.records
        if r.name == LIBRARY_LOGGER and r.getMessage().startswith("storage failure")
    ]
    assert len(logged) == failures, [r.getMessage() for r in caplog.records]


#: How long a held request of the provider waits at most (released sooner by the test).
HOLD_MAX = 60.0


class Hold:
    """WSGI middleware of the provider: requests to ``path`` wait until ``release()``."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.path: str | None = None
        self.released = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.path is not None and environ.get("PATH_INFO") == self.path:
            self.released.wait(HOLD_MAX)
        return self.app(environ, start_response)


@dataclass
class SlowProvider:
    provider: MockProvider
    hold: Hold


def oidc_app(issuer: str, **options: Any) -> Flask:
    provider = OIDC(
        "mock", issuer=issuer, client_id="slow-client", client_secret="s3cret", **options
    )
    app, _ = make_app(
        MemoryAdapter(),
        providers=[provider],
        AUTH_URL="http://app.example",
        SERVER_NAME="app.example",
    )
    return app


def timed(
    request: Callable[[], TestResponse], bound: float, hold: Hold
) -> tuple[TestResponse, float]:
    """``request()``'s answer and how long it took; fails if still waiting after ``bound``
    seconds (the provider is released first, so that nothing is left hanging)."""
    done: dict[str, Any] = {}

    def run() -> None:
        started = time.monotonic()
        done["answer"] = request()
        done["elapsed"] = time.monotonic() - started

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(bound)
    stuck = thread.is_alive()
    hold.released.set()
    thread.join(HOLD_MAX)
    if stuck:
        pytest.fail(f"still waiting for the provider after {bound:.0f}s: no timeout applied")
    return done["answer"], done["elapsed"]


def approved_callback(slow: SlowProvider, app: Flask, sub: str) -> tuple[Any, str]:
    slow.provider.set_user(sub, email=f"{sub}@example.com", email_verified=True)
    client = app.test_client()
    started = client.post(
        "/auth/signin/mock",
        data={"csrf_token": client.get("/auth/csrf").get_json()["csrfToken"], "callback_url": "/"},
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    return client, callback_target(slow.provider.approve(started.location, sub))


def assert_refused(answer: TestResponse, code: str) -> None:
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400, body
    assert f"<code>{code}</code>" in body and "Traceback" not in body
    assert not sets_session(answer)
