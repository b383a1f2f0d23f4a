"""The app the fault, concurrency and instance tests run, built as an app of the library's
users builds it; and the steps of a browser signing in to it in-process.

:func:`create_app` is a Flask app with Flask-SQLAlchemy (``SQLALCHEMY_DATABASE_URI``),
``SQLAlchemyAdapter(db)``, the Email provider (Flask-Mail) and the tests' DummyProvider
("dummy"), and three pages of its own: ``/`` (public), ``/whoami`` (the signed-in address, or
"anonymous") and ``/private`` (``login_required``). Its settings are defaults, then the
environment (``HARDENING_<KEY>``, read by ``app.config.from_prefixed_env("HARDENING")``: JSON
values are decoded), then the ``config`` argument. Gunicorn serves it as
``tests.hardening.apps_under_test:create_app()`` (see ``tests/hardening/served.py``).

:class:`InProcessBrowser` drives the same app through Flask's test client: sign in by email
(reading the real message from the test's SMTP server) or with the dummy provider, sign out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from flask_sqlalchemy import SQLAlchemy
from werkzeug.test import TestResponse

from flask_authadapter import Auth
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.providers import Email
from flask_authadapter.providers.base import Provider
from flask_authadapter.ratelimit import EmailLimits
from harness.app import add_pages
from harness.servers import DatabaseServer
from tests.apps import SECRET, DummyProvider
from tests.mail import MailServer, Received, sign_in_link

__all__ = [
    "BASE",
    "ENV_PREFIX",
    "SESSION_COOKIE",
    "InProcessBrowser",
    "clears_session",
    "create_app",
    "create_tables",
    "db",
    "dispose",
    "hidden_fields",
    "message_to",
    "module_database",
    "sets_session",
]

#: The public URL of the in-process app (its test clients talk to this host).
BASE = "http://app.example"
#: The prefix of the environment variables that configure the app (for gunicorn).
ENV_PREFIX = "HARDENING"
SESSION_COOKIE = "authadapter.session"

db = SQLAlchemy()

_DEFAULTS: dict[str, Any] = {
    "SECRET_KEY": SECRET,
    "AUTH_URL": BASE,
    "AUTH_SITE_NAME": "Hardening",
    "MAIL_DEFAULT_SENDER": "noreply@app.example",
    "MAIL_SUPPRESS_SEND": False,
    # The Email provider's SMTP timeout and rate limits (EmailLimits' arguments), which the
    # environment may set too.
    "EMAIL_TIMEOUT": 5,
    "EMAIL_LIMITS": {},
}

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


def create_app(
    config: Mapping[str, Any] | None = None,
    *,
    wrap_adapter: Callable[[SQLAlchemyAdapter], Any] | None = None,
    extra_providers: Sequence[Provider] = (),
) -> Flask:
    """The app under test; ``wrap_adapter`` puts something in front of its adapter,
    ``extra_providers`` come after Email and the dummy provider."""
    app = Flask(__name__)
    app.config.update(_DEFAULTS)
    app.config.from_prefixed_env(ENV_PREFIX)
    app.config.update(config or {})
    db.init_app(app)
    adapter: Any = SQLAlchemyAdapter(db)
    if wrap_adapter is not None:
        adapter = wrap_adapter(adapter)
    email = Email(
        timeout=app.config["EMAIL_TIMEOUT"],
        rate_limits=EmailLimits(**app.config["EMAIL_LIMITS"]),
    )
    Auth(app, adapter=adapter, providers=[email, DummyProvider("dummy"), *extra_providers])

    add_pages(app)
    return app


def create_tables(database_url: str) -> None:
    """Create the app's tables in ``database_url`` (before any server process starts)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        db.create_all()
    dispose(app)


def module_database(server: DatabaseServer, request: Any) -> str:
    """A fresh database on ``server`` named after the requesting module (``request`` is
    its fixture request), with the app's tables; its URL."""
    module = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_")
    url = server.create_database(f"t_hardening_{module}")
    create_tables(url)
    return url


def dispose(app: Flask) -> None:
    """Close the app's database connections (its engine's pool)."""
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose()


# Reading pages and messages ------------------------------------------------------------


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden fields of a page's form."""
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def sets_session(response: Any) -> bool:
    """Whether ``response`` (Flask's or requests') sets a non-empty session cookie."""
    headers = response.headers
    values = headers.getlist("Set-Cookie") if hasattr(headers, "getlist") else []
    if not values and "Set-Cookie" in headers:  # requests joins them with ", "
        values = re.split(r", (?=[\w.-]+=)", headers["Set-Cookie"])
    return any(
        v.startswith(f"{SESSION_COOKIE}=") and not v.startswith(f"{SESSION_COOKIE}=;")
        for v in values
    )


def clears_session(response: Any) -> bool:
    """Whether ``response`` (Flask's) expires the session cookie."""
    return any(v.startswith(f"{SESSION_COOKIE}=;") for v in response.headers.getlist("Set-Cookie"))


def message_to(smtp: MailServer, address: str) -> Received:
    """The latest message the SMTP server accepted for ``address``."""
    with smtp.lock:
        found = [m for m in smtp.messages if address in m.rcpt_tos]
    assert found, f"no message to {address}"
    return found[-1]


# An in-process browser -----------------------------------------------------------------


class InProcessBrowser:
    """A browser (Flask test client, one client IP) of an app made by :func:`create_app`."""

    def __init__(self, app: Flask, ip: str = "192.0.2.10") -> None:
        self.app = app
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["REMOTE_ADDR"] = ip

    def csrf(self) -> str:
        """This browser's CSRF token (as a script gets it; the pages' forms hold the same)."""
        return str(self.client.get("/auth/csrf").get_json()["csrfToken"])

    def ask_link(self, email: str, callback_url: str = "/private") -> TestResponse:
        """POST the sign-in page's email form."""
        form = {"csrf_token": self.csrf(), "email": email, "callback_url": callback_url}
        return self.client.post("/auth/signin/email", data=form)

    def confirm_form(self, link: str) -> dict[str, str]:
        """Open a sign-in link: the confirm page's form fields."""
        page = self.client.get(link)
        assert page.status_code == 200, page.get_data(as_text=True)
        return hidden_fields(page.get_data(as_text=True))

    def post_confirm(self, fields: Mapping[str, str], **options: Any) -> TestResponse:
        return self.client.post("/auth/callback/email", data=dict(fields), **options)

    def sign_in_by_email(self, smtp: MailServer, email: str) -> TestResponse:
        """The whole email flow; the answer to the confirm page's button."""
        asked = self.ask_link(email)
        assert asked.status_code == 302, asked.get_data(as_text=True)
        link = sign_in_link(message_to(smtp, email))
        return self.post_confirm(self.confirm_form(link))

    def start_dummy(self, sub: str, email: str | None, *, verified: bool = True) -> str:
        """Start a dummy-provider sign-in: the callback URL the provider sends back to.
        The provider vouches for ``email`` unless ``verified`` is False."""
        form = {
            "csrf_token": self.csrf(),
            "callback_url": "/private",
            "sub": sub,
            "verified": "1" if verified else "0",
        }
        if email is not None:
            form["email"] = email
        started = self.client.post("/auth/signin/dummy", data=form)
        assert started.status_code == 302, started.get_data(as_text=True)
        return str(started.location)

    def sign_in_with_dummy(
        self, sub: str, email: str | None, *, verified: bool = True
    ) -> TestResponse:
        """The whole dummy-provider flow; the answer at the callback."""
        return self.client.get(self.start_dummy(sub, email, verified=verified))

    def sign_out(self, **options: Any) -> TestResponse:
        return self.client.post("/auth/signout", data={"csrf_token": self.csrf()}, **options)

    def who(self) -> str:
        return self.client.get("/whoami").get_data(as_text=True)
