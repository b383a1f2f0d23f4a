"""Helpers of the email flow tests."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from werkzeug.test import TestResponse

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.verification import CODE_ALPHABET
from tests.apps import csrf_from
from tests.mail import (
    MailServer,
    Received,
    link_query,
)

UTC = timezone.utc


#: The databases every test runs on; the test ids show which.
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


#: The site's public URL, and the host every browser of these tests talks to.
BASE = "http://app.example"


HOST = "app.example"


SITE = "Test Site"


SENDER_ADDRESS = "noreply@app.example"


SENDER = f"{SITE} <{SENDER_ADDRESS}>"


#: When every test's clock starts (whole seconds; in the future, so that cookies set with
#: an expiry from this clock are alive in the test client's cookie jar).
START = datetime(2031, 5, 17, 9, 30, 15, tzinfo=UTC)


LINK_LIFETIME = timedelta(minutes=15)


SESSION_COOKIE = "authadapter.session"


PENDING_COOKIE = "authadapter.pending"


VERIFY_REQUEST = "/auth/verify-request"


ERROR_TITLES = {
    "Verification": "Unable to sign in",
    "EmailSignin": "Unable to send the email",
    "RateLimited": "Too many attempts",
}


_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')


_RESOURCE = re.compile(r'\b(?:src|href|action|srcset|data)\s*=\s*"([^"]*)"', re.IGNORECASE)


_LOGGER = "flask_authadapter"


#: aiosmtpd's logger: the test's own SMTP server logs every line it receives at DEBUG
#: (the message, link included). It is not part of the application.
_SMTP_SERVER_LOGGER = "mail.log"


MakeDatabase = Callable[[str, str], str]


class Browser(FlaskClient):
    """A test client that talks to ``http://app.example`` from one client IP, and whose
    POSTs carry the ``Origin`` and ``Sec-Fetch-Site`` headers a browser sends from a page
    of the site (unless the test gives its own)."""

    def __init__(self, *args: Any, ip: str = "192.0.2.10", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.environ_base["REMOTE_ADDR"] = ip

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", BASE)
            if kwargs.get("method") == "POST":
                headers = dict(kwargs.pop("headers", None) or {})
                headers.setdefault("Origin", BASE)
                headers.setdefault("Sec-Fetch-Site", "same-origin")
                kwargs["headers"] = headers
        return super().open(*args, **kwargs)


def cookie_value(client: FlaskClient, name: str, domain: str = HOST) -> str | None:
    cookie = client.get_cookie(name, domain=domain)
    return None if cookie is None else cookie.value


def set_cookie_names(response: TestResponse) -> list[str]:
    return sorted(h.split("=", 1)[0] for h in response.headers.getlist("Set-Cookie"))


def sets_session(response: TestResponse) -> bool:
    """Whether ``response`` sets a (non-empty) session cookie."""
    return any(
        h.startswith(f"{SESSION_COOKIE}=") and not h.startswith(f"{SESSION_COOKIE}=;")
        for h in response.headers.getlist("Set-Cookie")
    )


def with_query(link: str, **changes: str) -> str:
    """``link`` with some of its query parameters replaced (properly encoded)."""
    parts = urlsplit(link)
    query = {**link_query(link), **changes}
    return parts._replace(query=urlencode(query)).geturl()


def hidden_fields(page: str) -> dict[str, str]:
    return {name: html.unescape(value) for name, value in _HIDDEN.findall(page)}


def assert_error_page(response: TestResponse, code: str, status: int) -> None:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "text/html"
    assert ERROR_TITLES[code] in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"


def wrong_code(right: str, n: int = 0) -> str:
    """A well-formed code (``ABCD-2345``) that is not ``right``: the n-th of a series."""
    letters = [c for c in CODE_ALPHABET if c not in right.replace("-", "")]
    body = "".join(letters[(n + i) % len(letters)] for i in range(8))
    return f"{body[:4]}-{body[4:]}"


@dataclass
class Database:
    """A database of one backend with the default tables, and ways to read it raw."""

    engine: Engine
    adapter: SQLAlchemyAdapter
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

    def user(self, email: str) -> dict[str, Any] | None:
        found = [row for row in self.rows("users") if row["email"] == email]
        assert len(found) <= 1
        return found[0] if found else None


def as_utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


@dataclass
class Site:
    """A real app with the Email provider, its database, its SMTP server and its clock."""

    app: Flask
    db: Database
    smtp: MailServer
    clock: FrozenClock

    def browser(self, ip: str = "192.0.2.10") -> Browser:
        client = self.app.test_client(ip=ip)
        assert isinstance(client, Browser)
        return client

    def ask(
        self,
        client: FlaskClient,
        email: str,
        *,
        callback_url: str | None = "/private",
        **options: Any,
    ) -> TestResponse:
        """Ask for a sign-in link as the sign-in page's form does."""
        token = csrf_from(client, "/auth/signin")
        form = {"csrf_token": token, "email": email}
        if callback_url is not None:
            form["callback_url"] = callback_url
        return client.post("/auth/signin/email", data=form, **options)

    def mail(self, client: FlaskClient, email: str, **options: Any) -> Received:
        """Ask for a link; check the redirect and that one more message arrived; return it."""
        before = len(self.smtp.messages)
        response = self.ask(client, email, **options)
        assert response.status_code == 302, response.get_data(as_text=True)
        assert response.location == VERIFY_REQUEST
        assert len(self.smtp.messages) == before + 1
        return self.smtp.last()

    def confirm_form(self, client: FlaskClient, link: str) -> dict[str, str]:
        """Open the link (GET) and read the confirm page's form."""
        page = client.get(link)
        assert page.status_code == 200, page.get_data(as_text=True)
        fields = hidden_fields(page.get_data(as_text=True))
        assert set(fields) == {"csrf_token", "token", "email", "callback_url"}
        return fields

    def post_form(self, client: FlaskClient, fields: dict[str, str]) -> TestResponse:
        return client.post("/auth/callback/email", data=fields)

    def redeem(self, client: FlaskClient, link: str) -> TestResponse:
        """Open the link, then press the confirm page's button."""
        return self.post_form(client, self.confirm_form(client, link))

    def type_code(self, client: FlaskClient, code: str) -> TestResponse:
        """Type ``code`` into the "check your email" page's form.

        When the page shows no form any more (the sign-in is over), the CSRF token comes
        from ``/auth/csrf``: the person still has the page with the form open.
        """
        fields = hidden_fields(client.get(VERIFY_REQUEST).get_data(as_text=True))
        token = fields.get("csrf_token") or client.get("/auth/csrf").get_json()["csrfToken"]
        return client.post("/auth/callback/email", data={"csrf_token": token, "code": code})

    def who(self, client: FlaskClient) -> str:
        return client.get("/whoami").get_data(as_text=True)

    def token_rows(self, email: str | None = None) -> list[dict[str, Any]]:
        rows = self.db.rows("verification_tokens")
        return [r for r in rows if email is None or r["identifier"] == email]


Build = Callable[..., Site]


def check_confirm_page(response: TestResponse, email: str) -> None:
    """The confirm page: who signs in where, no caching, no referrer, nothing third-party."""
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert f"Sign in to {SITE} as <strong>{email}</strong>" in page
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert "<script" not in page.lower() and "<iframe" not in page.lower()
    resources = _RESOURCE.findall(page)
    assert resources, "the page should at least post its form and load its stylesheet"
    for url in resources:
        parts = urlsplit(html.unescape(url))
        assert (not parts.scheme and not parts.netloc and url.startswith("/")) or (
            f"{parts.scheme}://{parts.netloc}" == BASE
        ), f"a resource from elsewhere: {url}"


def _tampered(token: str) -> dict[str, str]:
    middle = len(token) // 2
    changed = token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]
    return {
        "one-char-changed": changed,
        "case-changed": token.swapcase() if token.swapcase() != token else changed,
        "truncated": token[:-1],
        "extended": token + "A",
        "empty": "",
        "wrong-shape": "not a token!",
        "well-formed-unknown": "x" * len(token),
        "padded": token + "=",
        "non-ascii": token[:-1] + "é",
    }
