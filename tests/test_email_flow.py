"""The email sign-in flow end to end, reading the real messages of a real SMTP server.

Every test runs the real extension with the :class:`Email` provider, Flask-Mail sending to
the ``smtp_server`` fixture (aiosmtpd on a free loopback port), and
:class:`SQLAlchemyAdapter` on SQLite and on PostgreSQL (the test ids say which): one
database per backend for the module, emptied before each test. The site's public URL
(``AUTH_URL``) is ``http://app.example`` and every browser talks to it; time is a
:class:`FrozenClock` (only the rate limits count real time).

What is covered: requesting a link (the message's headers, both bodies, the link, the code,
the expiry), the confirm page that opening the link shows (GET and HEAD use nothing up),
redeeming it (new and existing user, same-origin ``callback_url``), reuse, expiry, another
address, tampered tokens, 20 concurrent redemptions, the Host header, enumeration, a new
link leaving the old one working, invalid addresses, the rate limits, the sign-in code (in
the browser that asked, 5 tries per request, voiding the code and never the link), the SMTP
server refusing, down or silent, and no secret in any log record or error page.
"""

from __future__ import annotations

import hashlib
import html
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, func, select
from werkzeug.test import TestResponse

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.verification import CODE_ALPHABET
from flask_authadapter.models import User
from flask_authadapter.providers.email import Email
from flask_authadapter.ratelimit import EmailLimits
from tests.apps import csrf_from, make_app
from tests.databases import adapter_on, create_engine_for, empty_tables
from tests.mail import (
    MailServer,
    Received,
    free_port,
    html_body,
    link_query,
    sign_in_code,
    sign_in_link,
    text_body,
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


# Browsers ------------------------------------------------------------------------------


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


# The database --------------------------------------------------------------------------


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


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Each database in turn: sqlite, postgres."""
    return str(request.param)


@pytest.fixture(scope="module")
def database(backend: str, make_database: MakeDatabase) -> Iterator[Database]:
    """The module's database on ``backend``, with the default tables."""
    engine = create_engine_for(make_database(backend, "t_email_flow"))
    try:
        for adapter in adapter_on(engine):
            yield Database(engine, adapter)
    finally:
        engine.dispose()


@pytest.fixture
def db(database: Database) -> Database:
    """The module's database, emptied for this test."""
    empty_tables(database.engine, database.adapter.metadata)
    return database


# The site ------------------------------------------------------------------------------


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


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock(START)


@pytest.fixture
def build(db: Database, smtp_server: MailServer, clock: FrozenClock) -> Build:
    """``build(provider=None, **config)``: a real app with ``provider`` (default
    ``Email()``) sending to the test's SMTP server, on the test's database."""

    def make(provider: Email | None = None, **config: Any) -> Site:
        settings: dict[str, Any] = {
            "AUTH_URL": BASE,
            "AUTH_SITE_NAME": SITE,
            "MAIL_DEFAULT_SENDER": SENDER,
            "MAIL_SUPPRESS_SEND": False,
            **smtp_server.config,
        }
        settings.update(config)
        app, _ = make_app(db.adapter, providers=[provider or Email()], clock=clock, **settings)
        app.test_client_class = Browser
        return Site(app=app, db=db, smtp=smtp_server, clock=clock)

    return make


@pytest.fixture
def site(build: Build) -> Site:
    return build()


# The full flow ===========================================================================


def check_message(received: Received, to: str) -> tuple[str, str]:
    """Check one sign-in message's envelope, headers and bodies; its link and code."""
    assert received.mail_from == SENDER_ADDRESS
    assert received.rcpt_tos == (to,)
    assert received["To"] == to
    assert received["From"] == SENDER
    assert received["Subject"] == f"Sign in to {SITE}"
    assert received["Bcc"] is None and received["Cc"] is None
    text, page = text_body(received), html_body(received)
    link, code = sign_in_link(received), sign_in_code(received)
    assert link.startswith(f"{BASE}/auth/callback/email?")
    query = link_query(link)
    assert set(query) == {"token", "email", "callback_url"}
    assert query["email"] == to
    for body in (text, page):
        assert SITE in body
        assert to in body
        assert "15 minutes" in body
    return link, code


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


def check_stylesheets(client: FlaskClient, page: str) -> None:
    """The page's stylesheets load nothing from elsewhere either."""
    sheets = [url for url in _RESOURCE.findall(page) if url.endswith(".css")]
    assert sheets
    for url in sheets:
        css = client.get(url)
        assert css.status_code == 200
        text = css.get_data(as_text=True)
        assert "@import" not in text
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), url


@pytest.mark.parametrize("existing", [False, True], ids=["new-user", "existing-user"])
def test_the_full_flow(site: Site, existing: bool) -> None:
    email = "ada@example.com"
    if existing:
        before = site.db.adapter.create_user(User(email=email, name="Ada"))
    client = site.browser()

    received = site.mail(client, "  Ada@Example.COM ", callback_url="/private?tab=2")
    link, code = check_message(received, email)
    assert link_query(link)["callback_url"] == "/private?tab=2"
    token = link_query(link)["token"]
    # Asking creates nobody, and stores the link and the code only as MACs.
    assert site.db.count("users") == (1 if existing else 0)
    stored = site.token_rows(email)
    assert len(stored) == 2
    plain = {token, code, code.replace("-", ""), hashlib.sha256(token.encode()).hexdigest()}
    for row in stored:
        assert re.fullmatch(r"[0-9a-f]{64}", row["token"])  # a MAC, hex
        assert not any(secret in str(row) for secret in plain)
    assert all(as_utc(row["expires"]) == START + LINK_LIFETIME for row in stored)
    # The browser that asked sees "check your email" with the code form.
    waiting = client.get(VERIFY_REQUEST).get_data(as_text=True)
    assert "Check your email" in waiting and email in waiting and 'name="code"' in waiting

    opened = client.get(link)
    check_confirm_page(opened, email)
    check_stylesheets(client, opened.get_data(as_text=True))
    assert len(site.token_rows(email)) == 2  # opening it used nothing

    signed_in = site.post_form(client, hidden_fields(opened.get_data(as_text=True)))
    assert signed_in.status_code == 302
    assert signed_in.location == "/private?tab=2"
    assert sets_session(signed_in)
    assert site.token_rows() == []  # the link and the code are both used up

    user = site.db.user(email)
    assert user is not None
    assert as_utc(user["email_verified"]) == START
    assert site.db.count("users") == 1
    if existing:
        assert user["id"] == before.id and user["name"] == "Ada"
    sessions = site.db.rows("sessions")
    assert len(sessions) == 1 and sessions[0]["user_id"] == user["id"]
    page = client.get("/private")
    assert page.status_code == 200
    assert page.get_data(as_text=True) == f"private page of {email}"
    # The sign-in is over: "check your email" no longer offers the code form.
    assert 'name="code"' not in client.get(VERIFY_REQUEST).get_data(as_text=True)


def test_a_verified_existing_user_keeps_the_first_verification_date(site: Site) -> None:
    verified = START - timedelta(days=100)
    site.db.adapter.create_user(User(email="ada@example.com", email_verified=verified))
    client = site.browser()
    link, _ = check_message(site.mail(client, "ada@example.com"), "ada@example.com")
    assert site.redeem(client, link).status_code == 302
    user = site.db.user("ada@example.com")
    assert user is not None and as_utc(user["email_verified"]) == verified


@pytest.mark.parametrize(
    "callback_url",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example",
        "http://app.example.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_a_hostile_callback_url_lands_on_the_home_page(site: Site, callback_url: str) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com", callback_url=callback_url))
    assert "evil" not in link and "javascript" not in link
    fields = site.confirm_form(client, link)
    assert fields["callback_url"] == "/"
    fields["callback_url"] = callback_url  # edited in the page: still refused
    landed = site.post_form(client, fields)
    assert landed.status_code == 302
    assert landed.location == "/"
    assert site.who(client) == "ada@example.com"


def test_a_same_origin_absolute_callback_url_is_kept(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com", callback_url=f"{BASE}/private"))
    landed = site.redeem(client, link)
    assert landed.status_code == 302
    assert landed.location == f"{BASE}/private"


def test_no_callback_url_lands_on_the_default_redirect(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com", callback_url=None))
    landed = site.redeem(client, link)
    assert landed.status_code == 302 and landed.location == "/"


def test_signing_in_replaces_the_browsers_earlier_session(site: Site) -> None:
    client = site.browser()
    landed = site.redeem(client, sign_in_link(site.mail(client, "bob@example.com")))
    assert landed.status_code == 302
    assert site.who(client) == "bob@example.com"
    bobs_cookie = cookie_value(client, SESSION_COOKIE)

    landed = site.redeem(client, sign_in_link(site.mail(client, "ada@example.com")))
    assert landed.status_code == 302 and sets_session(landed)
    assert site.who(client) == "ada@example.com"
    assert cookie_value(client, SESSION_COOKIE) != bobs_cookie
    sessions = site.db.rows("sessions")
    ada = site.db.user("ada@example.com")
    assert ada is not None
    assert [row["user_id"] for row in sessions] == [ada["id"]]  # Bob's session is gone


# Scanners, reuse, expiry, other addresses, tampering ====================================


def test_get_and_head_repeated_use_nothing_up(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    scanner = site.browser(ip="203.0.113.50")  # Safe Links, Mimecast, ... and the person
    for _ in range(5):
        seen = scanner.get(link)
        check_confirm_page(seen, "ada@example.com")
        head = scanner.head(link)
        assert head.status_code == 200
        assert head.get_data() == b""
        assert head.headers["Cache-Control"] == "no-store"
        assert head.headers["Referrer-Policy"] == "no-referrer"
    for _ in range(5):
        assert client.get(link).status_code == 200
        assert client.head(link).status_code == 200
    assert len(site.token_rows("ada@example.com")) == 2
    assert site.db.count("sessions") == 0 and site.db.count("users") == 0

    landed = site.redeem(client, link)
    assert landed.status_code == 302 and landed.location == "/private"
    assert site.who(client) == "ada@example.com"
    assert site.who(scanner) == "anonymous"


def test_a_scanner_that_submits_the_form_without_cookies_uses_nothing(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    scanner = site.browser(ip="203.0.113.50")
    for headers in ({}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        submitted = scanner.post("/auth/callback/email", data=fields, headers=headers)
        assert submitted.status_code == 403
        assert not sets_session(submitted)
    assert len(site.token_rows("ada@example.com")) == 2
    assert site.post_form(client, fields).status_code == 302


def test_a_used_link_is_refused(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    assert site.post_form(client, fields).status_code == 302
    first_session = cookie_value(client, SESSION_COOKIE)

    # Signing in gave the browser a new CSRF token; the link is refused all the same.
    again = site.post_form(client, {**fields, "csrf_token": csrf_from(client)})
    assert_error_page(again, "Verification", 403)
    assert not sets_session(again)
    other = site.browser(ip="198.51.100.9")
    replay = site.redeem(other, link)  # the confirm page still renders; the POST fails
    assert_error_page(replay, "Verification", 403)
    assert not sets_session(replay)
    assert site.who(other) == "anonymous"
    assert site.db.count("sessions") == 1
    assert cookie_value(client, SESSION_COOKIE) == first_session


@pytest.mark.parametrize(
    ("elapsed", "works"),
    [
        (LINK_LIFETIME - timedelta(seconds=1), True),
        (LINK_LIFETIME, False),
        (LINK_LIFETIME + timedelta(seconds=1), False),
    ],
    ids=["14m59s", "15m", "15m01s"],
)
def test_a_link_expires(site: Site, elapsed: timedelta, works: bool) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    site.clock.advance(elapsed)
    answer = site.post_form(client, fields)
    if works:
        assert answer.status_code == 302 and answer.location == "/private"
        assert site.who(client) == "ada@example.com"
    else:
        assert_error_page(answer, "Verification", 403)
        assert site.db.count("sessions") == 0 and site.db.count("users") == 0
        assert site.token_rows() == []  # an expired link is removed when tried


@pytest.mark.parametrize(
    ("elapsed", "works"),
    [(LINK_LIFETIME - timedelta(seconds=1), True), (LINK_LIFETIME + timedelta(seconds=1), False)],
    ids=["14m59s", "15m01s"],
)
def test_a_code_expires_with_the_link(site: Site, elapsed: timedelta, works: bool) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    site.clock.advance(elapsed)
    answer = site.type_code(client, code)
    if works:
        assert answer.status_code == 302 and answer.location == "/private"
    else:
        assert_error_page(answer, "Verification", 403)
        assert site.db.count("sessions") == 0


def test_a_link_for_one_address_does_not_sign_in_another(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    for other in ("eve@example.com", "ada@example.org", "ada+x@example.com"):
        refused = site.post_form(client, {**fields, "email": other})
        assert_error_page(refused, "Verification", 403)
    # Through the link itself, too: the confirm page for another address, same token.
    edited = with_query(link, email="eve@example.com")
    assert_error_page(site.redeem(client, edited), "Verification", 403)
    assert site.db.count("users") == 0 and site.db.count("sessions") == 0
    assert len(site.token_rows("ada@example.com")) == 2

    landed = site.post_form(client, fields)
    assert landed.status_code == 302
    assert site.who(client) == "ada@example.com"
    assert site.db.user("eve@example.com") is None


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


_WELL_FORMED = {"one-char-changed", "case-changed", "well-formed-unknown"}


@pytest.mark.parametrize("kind", list(_tampered("x" * 43)))
def test_a_tampered_token_is_refused(site: Site, kind: str) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    bad = _tampered(fields["token"])[kind]
    assert bad != fields["token"]

    refused = site.post_form(client, {**fields, "token": bad})
    assert_error_page(refused, "Verification", 403)
    assert bad not in refused.get_data(as_text=True) or bad == ""
    # Opening a link with a token of the wrong shape already ends on the error page; one
    # of the right shape shows the confirm page (which looks nothing up).
    opened = client.get(with_query(link, token=bad))
    if kind in _WELL_FORMED:
        check_confirm_page(opened, "ada@example.com")
    else:
        assert_error_page(opened, "Verification", 403)
    assert len(site.token_rows("ada@example.com")) == 2  # the real link is untouched
    assert site.db.count("sessions") == 0

    assert site.post_form(client, fields).status_code == 302
    assert site.who(client) == "ada@example.com"


def test_a_post_without_a_token_is_refused(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    del fields["token"]
    assert_error_page(site.post_form(client, fields), "Verification", 403)
    assert len(site.token_rows("ada@example.com")) == 2


@pytest.mark.parametrize("via", ["link", "code"])
def test_twenty_concurrent_posts_of_one_link_give_one_session(site: Site, via: str) -> None:
    starter = site.browser()
    received = site.mail(starter, "ada@example.com")
    link, code = sign_in_link(received), sign_in_code(received)
    pending = cookie_value(starter, PENDING_COOKIE)
    assert pending is not None
    count = 20
    barrier = threading.Barrier(count, timeout=30)

    def press(index: int) -> tuple[int, bool, str]:
        client = site.browser(ip=f"198.51.100.{index + 1}")
        if via == "link":
            fields = site.confirm_form(client, link)  # its own CSRF cookie and token
        else:  # the browser that asked, pressing the code form's button many times over
            client.set_cookie(PENDING_COOKIE, pending, domain=HOST)
            fields = hidden_fields(client.get(VERIFY_REQUEST).get_data(as_text=True))
            fields["code"] = code
        barrier.wait()
        answer = site.post_form(client, fields)
        return answer.status_code, sets_session(answer), answer.location or ""

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(press, range(count)))

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [302] + [403] * (count - 1), statuses
    winners = [r for r in results if r[0] == 302]
    assert winners[0][1] is True and winners[0][2] == "/private"
    assert not any(with_session for status, with_session, _ in results if status == 403)
    assert site.db.count("sessions") == 1
    assert site.db.count("users") == 1
    assert site.token_rows() == []


def test_a_custom_max_age_sets_the_expiry(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(minutes=30)))
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    assert "30 minutes" in text_body(received) and "30 minutes" in html_body(received)
    fields = site.confirm_form(client, sign_in_link(received))
    site.clock.advance(minutes=29, seconds=59)
    assert site.post_form(client, fields).status_code == 302


def test_a_link_past_a_custom_max_age_is_refused(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(seconds=90)))
    client = site.browser()
    fields = site.confirm_form(client, sign_in_link(site.mail(client, "ada@example.com")))
    site.clock.advance(seconds=91)
    assert_error_page(site.post_form(client, fields), "Verification", 403)


_MINUTES = re.compile(r"for (\d+) (minutes?)")


def test_the_email_never_promises_more_time_than_the_link_has(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(seconds=90)))
    received = site.mail(site.browser(), "ada@example.com")
    for body in (text_body(received), html_body(received)):
        found = _MINUTES.search(body)
        assert found is not None
        assert int(found.group(1)) * 60 <= 90, found.group(0)


def test_one_minute_is_said_in_the_singular(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(minutes=1)))
    received = site.mail(site.browser(), "ada@example.com")
    for body in (text_body(received), html_body(received)):
        assert "1 minutes" not in body
        assert "1 minute" in body


# The Host header, enumeration, a newer link, invalid addresses ===========================


@pytest.mark.parametrize(
    "options",
    [
        {"headers": {"Host": "evil.example"}},
        {"base_url": "http://evil.example"},
        {"headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}},
    ],
    ids=["host-header", "base-url", "x-forwarded-host"],
)
def test_the_link_is_built_from_auth_url_not_the_request(
    site: Site, options: dict[str, Any]
) -> None:
    client = site.browser()
    # The CSRF cookie belongs to the host the request names: fetch the form from there.
    page = client.get("/auth/signin", **options).get_data(as_text=True)
    csrf = hidden_fields(page)["csrf_token"]
    answer = client.post(
        "/auth/signin/email",
        data={"csrf_token": csrf, "email": "ada@example.com", "callback_url": "/private"},
        **options,
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    received = site.smtp.only()
    link = sign_in_link(received)
    assert link.startswith(f"{BASE}/auth/callback/email?")
    assert b"evil.example" not in received.raw
    assert site.redeem(site.browser(), link).status_code == 302


def test_known_and_unknown_addresses_get_the_same_answer(site: Site) -> None:
    site.db.adapter.create_user(User(email="known@example.com", name="Known"))
    answers = {}
    for email in ("known@example.com", "unknown@example.com"):
        answers[email] = site.ask(site.browser(), email)
    known, unknown = answers["known@example.com"], answers["unknown@example.com"]
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == VERIFY_REQUEST
    assert known.get_data() == unknown.get_data()
    assert set_cookie_names(known) == set_cookie_names(unknown)

    def headers(response: TestResponse) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in response.headers.items() if k != "Set-Cookie")

    assert headers(known) == headers(unknown)
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    assert [m.rcpt_tos for m in site.smtp.messages] == [
        ("known@example.com",),
        ("unknown@example.com",),
    ]
    # The two messages are the same but for the address, link and code.
    first, second = site.smtp.messages
    assert first["Subject"] == second["Subject"] and first["From"] == second["From"]
    assert site.db.user("unknown@example.com") is None  # asking creates nobody


def test_a_new_link_leaves_the_older_one_working_and_using_one_ends_both(site: Site) -> None:
    # Whoever asks for a new link (maybe a stranger, for Ada's address), Ada's earlier link
    # still works; once one is used the mailbox is proved, and the others end.
    client = site.browser()
    older = site.mail(client, "ada@example.com")
    newer = site.mail(client, "ada@example.com")
    old_link, new_link = sign_in_link(older), sign_in_link(newer)
    assert old_link != new_link
    assert len(site.token_rows("ada@example.com")) == 4

    landed = site.redeem(client, old_link)
    assert landed.status_code == 302
    assert site.who(client) == "ada@example.com"
    assert site.token_rows() == []
    assert_error_page(site.redeem(site.browser(), new_link), "Verification", 403)


def test_a_new_code_voids_the_older_one(site: Site) -> None:
    client = site.browser()
    old_code = sign_in_code(site.mail(client, "ada@example.com"))
    new_code = sign_in_code(site.mail(client, "ada@example.com"))
    assert old_code != new_code  # 1 chance in 31**8 of a clash
    assert_error_page(site.type_code(client, old_code), "Verification", 403)
    assert site.type_code(client, new_code).status_code == 302


INVALID_ADDRESSES = {
    "no-at": "ada.example.com",
    "two-at": "ada@@example.com",
    "two-addresses-at": "ada@example.com@evil.example",
    "quotes": '"ada"@example.com',
    "comma": "ada@example.com,eve@evil.example",
    "crlf-header-injection": "a@b.c\r\nBcc: x@y.z",
    "lf": "ada@example.com\nBcc: eve@evil.example",
    "angle-brackets": "Ada <ada@example.com>",
    "space-inside": "ada @example.com",
    "over-320": "a" * 64 + "@" + ".".join(["b" * 63] * 4) + ".com",
    "empty": "",
    "blank": "   ",
    "no-domain-dot": "ada@localhost",
}


@pytest.mark.parametrize("address", list(INVALID_ADDRESSES.values()), ids=list(INVALID_ADDRESSES))
def test_an_invalid_address_is_refused_and_nothing_is_sent(site: Site, address: str) -> None:
    if address.startswith("a" * 64):
        assert len(address) > 320
    client = site.browser()
    answer = site.ask(client, address)
    assert answer.status_code == 302
    target = urlsplit(answer.location)
    assert target.path == "/auth/signin"
    query = parse_qs(target.query)
    assert query["error"] == ["EmailSignin"]
    assert query.get("callback_url") == ["/private"]
    assert site.smtp.messages == []
    assert site.token_rows() == []
    assert site.db.count("users") == 0
    page = client.get(answer.location)
    assert page.status_code == 200
    assert ERROR_TITLES["EmailSignin"] in page.get_data(as_text=True)


def test_an_invalid_address_with_a_hostile_callback_url_echoes_nothing(site: Site) -> None:
    client = site.browser()
    answer = site.ask(client, "not-an-address", callback_url="https://evil.example/")
    assert answer.status_code == 302
    page = client.get(answer.location)
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)


def test_a_missing_email_field_is_refused(site: Site) -> None:
    client = site.browser()
    token = csrf_from(client)
    answer = client.post("/auth/signin/email", data={"csrf_token": token})
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.location).query)["error"] == ["EmailSignin"]
    assert site.smtp.messages == [] and site.token_rows() == []


def test_an_address_of_320_characters_is_mailed(site: Site) -> None:
    address = "a" * 64 + "@" + ".".join(["b" * 63] * 3 + ["c" * 63])
    assert len(address) == 320
    client = site.browser()
    received = site.mail(client, address)
    assert received.rcpt_tos == (address,)
    assert site.redeem(client, sign_in_link(received)).status_code == 302
    assert site.who(client) == address


def test_a_long_callback_url_is_still_mailed(site: Site) -> None:
    callback_url = "/private?q=" + "a" * 1000
    client = site.browser()
    answer = site.ask(client, "ada@example.com", callback_url=callback_url)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    received = site.smtp.only()
    assert max(len(line) for line in received.raw.split(b"\r\n")) <= 998
    landed = site.redeem(client, sign_in_link(received))
    assert landed.status_code == 302 and landed.location == callback_url


def test_a_post_without_the_csrf_token_sends_nothing(site: Site) -> None:
    client = site.browser()
    client.get("/auth/signin")
    answer = client.post("/auth/signin/email", data={"email": "ada@example.com"})
    assert answer.status_code == 403
    assert site.smtp.messages == [] and site.token_rows() == []


# Rate limits ===========================================================================


def test_a_fourth_email_to_one_address_within_ten_minutes_is_refused(site: Site) -> None:
    for spelling in ("ada@example.com", "ADA@example.com", " Ada@Example.com"):
        site.mail(site.browser(), spelling)
    assert len(site.smtp.messages) == 3

    limited = site.ask(site.browser(), "ada@example.com")
    assert_error_page(limited, "RateLimited", 429)
    assert len(site.smtp.messages) == 3
    # The limit is per address and client network: from another network, the address's
    # owner still gets a link (over all networks, EmailLimits(per_address_total) caps a flood).
    site.mail(site.browser(ip="198.51.100.77"), "ada@example.com")
    # The third link still works; another address may still ask.
    last = site.smtp.messages[2]
    client = site.browser()
    assert site.redeem(client, sign_in_link(last)).status_code == 302
    site.mail(site.browser(), "bob@example.com")


def test_the_per_ip_limit_counts_across_addresses(build: Build) -> None:
    site = build(Email(rate_limits=EmailLimits(per_network="2 per hour")))
    site.mail(site.browser(ip="198.51.100.1"), "a@example.com")
    site.mail(site.browser(ip="198.51.100.1"), "b@example.com")
    limited = site.ask(site.browser(ip="198.51.100.1"), "c@example.com")
    assert_error_page(limited, "RateLimited", 429)
    assert len(site.smtp.messages) == 2
    assert site.token_rows("c@example.com") == []

    site.mail(site.browser(ip="198.51.100.2"), "c@example.com")
    assert [m.rcpt_tos[0] for m in site.smtp.messages] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


def test_redemptions_over_the_limit_are_refused(build: Build) -> None:
    site = build(Email(rate_limits=EmailLimits(verify="3 per 10 minutes")))
    client = site.browser(ip="198.51.100.1")
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    wrong = {**fields, "token": "x" * len(fields["token"])}
    for _ in range(3):
        assert_error_page(site.post_form(client, wrong), "Verification", 403)

    limited = site.post_form(client, fields)  # the right link, but one try too many
    assert_error_page(limited, "RateLimited", 429)
    assert not sets_session(limited)
    assert len(site.token_rows("ada@example.com")) == 2  # not used by the refused try

    other = site.browser(ip="198.51.100.2")
    assert site.redeem(other, link).status_code == 302


def test_typed_codes_over_the_limit_are_refused(build: Build) -> None:
    site = build(Email(rate_limits=EmailLimits(verify="2 per 10 minutes")))
    client = site.browser(ip="198.51.100.1")
    code = sign_in_code(site.mail(client, "ada@example.com"))
    assert_error_page(site.type_code(client, wrong_code(code)), "Verification", 403)
    assert_error_page(site.type_code(client, wrong_code(code, 1)), "Verification", 403)
    assert_error_page(site.type_code(client, code), "RateLimited", 429)
    assert site.db.count("sessions") == 0


# The sign-in code ======================================================================


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: f"  {code[:4].lower()} {code[5:]}  ",
        lambda code: " ".join(code.replace("-", "")),
    ],
    ids=["as-shown", "lower-case", "no-dash", "spaces", "spaced-out"],
)
def test_the_code_signs_in_the_browser_that_asked(site: Site, typed: Callable[[str], str]) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com", callback_url="/private?from=code")
    code, link = sign_in_code(received), sign_in_link(received)

    landed = site.type_code(client, typed(code))
    assert landed.status_code == 302
    assert landed.location == "/private?from=code"
    assert sets_session(landed)
    assert client.get("/private").get_data(as_text=True) == "private page of ada@example.com"
    user = site.db.user("ada@example.com")
    assert user is not None and as_utc(user["email_verified"]) == START
    assert site.token_rows() == []

    # Used: the link no longer works, nor the code again.
    assert_error_page(site.redeem(site.browser(), link), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)
    assert site.db.count("sessions") == 1


def test_after_the_link_the_code_no_longer_works(site: Site) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    other_device = site.browser(ip="198.51.100.3")
    assert site.redeem(other_device, sign_in_link(received)).status_code == 302
    assert_error_page(site.type_code(client, sign_in_code(received)), "Verification", 403)
    assert site.who(client) == "anonymous"


def test_the_code_does_not_work_in_another_browser(site: Site) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    stranger = site.browser(ip="198.51.100.66")
    page = stranger.get(VERIFY_REQUEST).get_data(as_text=True)
    assert 'name="code"' not in page and "ada@example.com" not in page
    token = csrf_from(stranger)
    refused = stranger.post("/auth/callback/email", data={"csrf_token": token, "code": code})
    assert_error_page(refused, "Verification", 403)
    assert not sets_session(refused)
    assert len(site.token_rows("ada@example.com")) == 2
    # A forged pending cookie does not help either.
    stranger.set_cookie(PENDING_COOKIE, "eyJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSJ9.x.y", domain=HOST)
    assert_error_page(site.type_code(stranger, code), "Verification", 403)

    assert site.type_code(client, code).status_code == 302  # the right browser still can


def test_four_wrong_codes_then_the_right_one_signs_in(site: Site) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    for n in range(4):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert len(site.token_rows("ada@example.com")) == 2
    landed = site.type_code(client, code)
    assert landed.status_code == 302 and landed.location == "/private"
    assert site.who(client) == "ada@example.com"


def test_five_wrong_codes_void_the_code_but_not_the_link(site: Site) -> None:
    # Whoever typed them (maybe a stranger who asked for a link to Ada's address), wrong
    # codes use up that request's code only: the emailed link still signs Ada in.
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    code, link = sign_in_code(received), sign_in_link(received)
    for n in range(5):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert len(site.token_rows()) == 2

    assert_error_page(site.type_code(client, code), "Verification", 403)
    assert site.db.count("sessions") == 0

    # A new request starts afresh: five new tries, and the new code works.
    fresh = site.mail(client, "ada@example.com")
    new_code = sign_in_code(fresh)
    for n in range(4):
        assert_error_page(site.type_code(client, wrong_code(new_code, n)), "Verification", 403)
    assert site.type_code(client, new_code).status_code == 302
    assert site.who(client) == "ada@example.com"
    # Signing in ended the address's other links, the first one too.
    assert site.token_rows() == []
    assert_error_page(site.redeem(site.browser(), link), "Verification", 403)


def test_after_five_wrong_codes_the_link_still_signs_in(site: Site) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    code, link = sign_in_code(received), sign_in_link(received)
    for n in range(5):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    other_device = site.browser(ip="198.51.100.3")
    assert site.redeem(other_device, link).status_code == 302
    assert site.who(other_device) == "ada@example.com"


def test_the_number_of_wrong_codes_is_configurable(build: Build) -> None:
    site = build(Email(max_attempts=2))
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    for n in range(2):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)


def test_wrong_codes_void_the_sign_in_even_without_rate_limits(build: Build) -> None:
    site = build(Email(rate_limits=None))
    client = site.browser()
    for _ in range(4):  # no limit on sending
        received = site.mail(client, "ada@example.com")
    code = sign_in_code(received)
    for n in range(5):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)
    assert site.db.count("sessions") == 0


def test_malformed_codes_count_as_wrong_tries(site: Site) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    for typed in ("", "ABC", "0000-0000", "IIII-LLLL", "x" * 40):
        assert_error_page(site.type_code(client, typed), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)


# The SMTP server refusing, down or silent =============================================


@pytest.mark.parametrize("failure", ["refuse-rcpt", "refuse-data", "down", "hang"])
def test_a_mail_server_failure_leaves_no_usable_token(
    build: Build, failure: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger=_LOGGER)
    config: dict[str, Any] = {"provider": Email(timeout=1)}
    if failure == "down":
        config["MAIL_PORT"] = free_port()
    site = build(**config)
    if failure != "down":
        site.smtp.mode = failure
    client = site.browser()
    started = time.monotonic()

    answer = site.ask(client, "ada@example.com")

    elapsed = time.monotonic() - started
    assert_error_page(answer, "EmailSignin", 400)
    assert not any(h.startswith(PENDING_COOKIE) for h in answer.headers.getlist("Set-Cookie"))
    assert elapsed < 5, f"the request took {elapsed:.1f}s"
    if failure == "hang":
        assert site.smtp.hung.is_set()  # it did hang in DATA, and the client gave up
    assert site.smtp.messages == []
    assert site.token_rows() == []
    errors = [
        r
        for r in caplog.records
        if r.name == _LOGGER and r.levelno >= logging.ERROR and "sending" in r.getMessage()
    ]
    assert len(errors) == 1, [r.getMessage() for r in caplog.records]
    # The log names the failure, never the link.
    assert "token=" not in errors[0].getMessage()

    # Once the server is back, asking again works.
    site.smtp.mode = "accept"
    if failure == "down":
        return
    received = site.mail(client, "ada@example.com")
    assert site.redeem(client, sign_in_link(received)).status_code == 302


def test_a_mail_server_failure_leaves_an_earlier_link_working(build: Build) -> None:
    site = build()
    client = site.browser()
    earlier = site.mail(client, "ada@example.com")
    site.smtp.mode = "refuse-data"
    assert_error_page(site.ask(client, "ada@example.com"), "EmailSignin", 400)
    assert len(site.token_rows()) == 2  # the earlier pair only: the failed one is gone
    assert site.redeem(client, sign_in_link(earlier)).status_code == 302


# Secrets stay out of logs and error pages =============================================


def test_no_token_or_code_is_logged_or_shown(
    build: Build, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # SQLAlchemy keeps its loggers at WARNING unless told: log every statement and its
    # parameters too, to see that only MACs and hashes of the secrets reach the database.
    caplog.set_level(logging.DEBUG, logger="sqlalchemy.engine")
    site = build(Email(timeout=1))
    secrets: list[str] = []
    pages: list[str] = []

    def keep(received: Received) -> tuple[str, str]:
        link, code = sign_in_link(received), sign_in_code(received)
        secrets.extend([link_query(link)["token"], code, code.replace("-", "")])
        return link, code

    # A link: opened, tampered with, used, used again.
    client = site.browser()
    link, _ = keep(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    bad = site.post_form(
        client, {**fields, "token": _tampered(fields["token"])["one-char-changed"]}
    )
    pages.append(bad.get_data(as_text=True))
    assert site.post_form(client, fields).status_code == 302
    session = cookie_value(client, SESSION_COOKIE)
    assert session is not None
    secrets.append(session)
    for answer in (site.post_form(client, fields), site.redeem(site.browser(), link)):
        assert answer.status_code == 403
        pages.append(answer.get_data(as_text=True))

    # A code: wrong, right, reused; another browser.
    other = site.browser(ip="198.51.100.5")
    _, code = keep(site.mail(other, "bob@example.com"))
    for typed in (wrong_code(code), code, code):
        answer = site.type_code(other, typed)
        pages.append(answer.get_data(as_text=True))
    assert site.who(other) == "bob@example.com"
    _, code = keep(site.mail(site.browser(), "carol@example.com"))
    pages.append(site.type_code(site.browser(), code).get_data(as_text=True))

    # The mail server refusing.
    site.smtp.mode = "refuse-data"
    pages.append(site.ask(site.browser(), "dave@example.com").get_data(as_text=True))

    records = [r for r in caplog.records if not r.name.startswith(_SMTP_SERVER_LOGGER)]
    assert any(r.name == _LOGGER for r in records)  # the flow did log
    assert any(r.name.startswith("sqlalchemy.engine") for r in records)  # SQL was logged
    formatter = logging.Formatter("%(name)s %(levelname)s %(message)s")
    logged = "\n".join(formatter.format(r) + repr(r.args) for r in records)
    for secret in secrets:
        assert secret not in logged
        for page in pages:
            assert secret not in page


def test_the_pending_cookie_and_pages_keep_no_secret(site: Site) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    token, code = link_query(sign_in_link(received))["token"], sign_in_code(received)
    pending = cookie_value(client, PENDING_COOKIE)
    assert pending is not None
    page = client.get(VERIFY_REQUEST).get_data(as_text=True)
    for secret in (token, code, code.replace("-", "")):
        assert secret not in pending
        assert secret not in page


def test_the_link_carries_the_address_url_encoded(site: Site) -> None:
    address = "ada+tag@example.com"
    client = site.browser()
    link = sign_in_link(site.mail(client, address))
    assert "ada%2Btag%40example.com" in link
    assert link_query(link)["email"] == address
    assert site.redeem(client, link).status_code == 302
    assert site.who(client) == address


def test_the_verify_request_page_without_a_request_shows_no_form(site: Site) -> None:
    page = site.browser().get(VERIFY_REQUEST)
    assert page.status_code == 200
    assert 'name="code"' not in page.get_data(as_text=True)
