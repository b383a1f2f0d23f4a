"""Secrets stay secret.

Every flow of the blueprint runs against the real extension (SQLAlchemy on SQLite, Flask-Mail
sending to a real SMTP server, the real OpenID provider ``oidc-provider-mock`` for OIDC, the
tests' DummyProvider for plain OAuth) with logging captured at DEBUG: the root logger and,
explicitly, ``flask_authadapter``, ``authlib``, ``werkzeug``, ``flask_mail``, ``urllib3`` and
``requests`` at DEBUG, and ``sqlalchemy.engine`` at INFO (every SQL statement with its
parameters). On SQLite the driver's own trace of every statement, parameters expanded, is
captured too (it also sees statements that bypass SQLAlchemy's logging).

The secrets are collected from the flows themselves: the session cookie, the CSRF cookie and
token, the link and code of every sign-in email (as built, so also when sending fails), the
OAuth ``state``, ``nonce`` (from the authorize URL), authorization ``code`` (from the
provider's redirect), the PKCE ``code_verifier`` and the access, refresh and ID tokens (from
the provider's token endpoint, ``tests.oidc.TokenRecorder``), the client secret, AUTH_SECRET,
SECRET_KEY, a database password; and every token the library draws from ``secrets`` (a spy
on ``flask_authadapter.core.tokens``), so a replaced session token or a flow's state is
covered even when no cookie shows it any more.

None may appear in:

- any log record: its message, ``msg``, ``args``, ``exc_text``, ``stack_info``, every extra
  attribute, and the formatted traceback of ``exc_info`` (causes included);
- any SQL the adapter sends (the ``sqlalchemy.engine`` records and the SQLite trace);
- any response body or ``Location`` of the app: pages, error pages, JSON;
- the process's stdout and stderr, and any warning.

What is shown on purpose is allowed where it is meant to be: the CSRF token in the pages'
forms and in ``/auth/csrf``; the magic-link token in the confirm page that opening the link
shows (its button posts it); the ``state`` and ``nonce`` in the redirect to the provider.
Cookies carry the session and CSRF tokens by design and are not checked here.

Left out, as not the application's: the server side of the test's own servers, i.e. records
logged on their threads by the OpenID provider (``oidc_provider_mock``,
``authlib.oauth2.rfc6749``, werkzeug's request lines of its server) and by the SMTP server
(aiosmtpd's ``mail.log``, which logs the message it receives); and the test's own HTTP
requests to the provider's authorization page (the "person" approving, which carry the
authorize URL).

The flows (the ids of ``test_no_secret_in_logs_sql_pages_or_json``): email link (request,
open, confirm, redeem), email code (wrong, right, reused, other browser), OIDC sign-in twice
against the mock provider, the DummyProvider's OAuth flow, sign-out and a replayed cookie,
the account page (linking, ending sessions), ``/auth/session``, ``/auth/csrf``,
``/auth/providers``, and the error paths: Verification, MissingCSRF, OAuthCallbackError
(with AccessDenied and OAuthAccountNotLinked), OAuthSignin, RateLimited, EmailSignin, and
the 503 of a StorageError (an unusable SQLite URL, a refused PostgreSQL URL with a
password, tables gone mid-flow), whose log records carry the traceback.

The provider's access, refresh and ID tokens are stored in the ``accounts`` row sealed
(AES-GCM under a key derived from AUTH_SECRET), so they are in no SQL statement either;
``test_oauth_tokens_stay_out_of_the_sql_log`` checks that on its own for the two OAuth flows.
The stored forms are checked last, on SQLite and PostgreSQL: no table holds a session
cookie, a link token, a code, a provider's token or any other secret.
"""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import secrets
import threading
import traceback
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event
from werkzeug.test import TestResponse

import flask_authadapter.core.tokens as tokens_module
from flask_authadapter import Auth, account_tokens, current_user, login_required
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.sealing import SealedValueError, Sealer, is_sealed
from flask_authadapter.core.verification import CODE_ALPHABET
from flask_authadapter.providers import OIDC, Email
from flask_authadapter.providers.base import Provider
from flask_authadapter.providers.email import SignInEmail
from flask_authadapter.ratelimit import EmailLimits
from tests.apps import DummyProvider
from tests.mail import MailServer, free_port, sign_in_code, sign_in_link
from tests.oidc import MockProvider, callback_target

BASE = "http://app.example"
HOST = "app.example"
SESSION_COOKIE = "authadapter.session"
CSRF_COOKIE = "authadapter.csrf"
FLOW_COOKIE = "authadapter.oauth-flow"

# The kinds of secret ---------------------------------------------------------------------

SESSION = "session token (the cookie value)"
STORED_SESSION_KEY = "stored session key (SHA-256 of the cookie)"
LINK = "magic-link token"
CODE = "sign-in code"
CSRF = "CSRF token"
ACCESS = "OAuth access token"
REFRESH = "OAuth refresh token"
ID_TOKEN = "OpenID ID token"
AUTH_CODE = "authorization code"
VERIFIER = "PKCE code_verifier"
STATE = "OAuth state"
NONCE = "OpenID nonce"
CLIENT_SECRET = "client secret"
AUTH_SECRET = "AUTH_SECRET"
SECRET_KEY = "SECRET_KEY"
DB_PASSWORD = "database password"
GENERATED = "other token drawn by the library (a replaced session, a flow's state)"
#: Bookkeeping only: the whole link of a sign-in email (its token is the LINK secret).
LINK_URL = "sign-in link"

#: The tokens a provider issues: stored sealed in the ``accounts`` row.
OAUTH_TOKENS = frozenset({ACCESS, REFRESH, ID_TOKEN})

#: Where secrets could show: log records, SQL, the app's answers, the process's output
#: (stdout, stderr) and warnings.
LOG, SQL, RESPONSE, OUTPUT = "log", "sql", "response", "output"

# The loggers captured, and the server side of the test's own servers --------------------

#: Captured at DEBUG (the root logger too).
DEBUG_LOGGERS = ("flask_authadapter", "authlib", "werkzeug", "flask_mail", "urllib3", "requests")
#: Captured at INFO: every statement and its parameters (DEBUG would add result rows).
SQL_LOGGER = "sqlalchemy.engine"
#: Loggers of the test's servers (the OpenID provider, its HTTP server, the SMTP server),
#: left out when they log on the servers' own threads.
SERVER_SIDE_LOGGERS = ("oidc_provider_mock", "authlib.oauth2.rfc6749", "werkzeug", "mail.log")
#: The test's own HTTP client (the person at the provider's authorization page).
HARNESS_HTTP_LOGGERS = ("urllib3", "requests")

_CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})))


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("ascii")).hexdigest()


@dataclass
class Seen:
    """One response of the app, as the browser got it."""

    method: str
    path: str
    status: int
    mimetype: str
    body: str
    location: str


@dataclass
class Exposure:
    """A place where a secret could show, and the kinds that may show there on purpose."""

    channel: str
    where: str
    text: str
    allowed: frozenset[str] = frozenset()


# The browser -----------------------------------------------------------------------------


class RecordingBrowser(FlaskClient):
    """A test client at ``http://app.example`` whose POSTs carry the ``Origin`` and
    ``Sec-Fetch-Site`` a browser sends from a page of the site (unless the test sets them),
    and which hands every response to the harness (the secrets it sets, what it shows)."""

    harness: Harness

    def open(self, *args: Any, **kwargs: Any) -> TestResponse:
        if args and isinstance(args[0], str):
            kwargs.setdefault("base_url", BASE)
            if kwargs.get("method") == "POST":
                headers = dict(kwargs.pop("headers", None) or {})
                headers.setdefault("Origin", BASE)
                headers.setdefault("Sec-Fetch-Site", "same-origin")
                kwargs["headers"] = {k: v for k, v in headers.items() if v is not None}
        response = super().open(*args, **kwargs)
        self.harness.saw(response)
        return response


# The harness -----------------------------------------------------------------------------


class _SpySecrets:
    """Stands in for the ``secrets`` module of ``flask_authadapter.core.tokens``: every
    token the library draws is recorded."""

    def __init__(self, drawn: list[str]) -> None:
        self._drawn = drawn

    def token_urlsafe(self, nbytes: int | None = None) -> str:
        value = secrets.token_urlsafe(nbytes)
        self._drawn.append(value)
        return value

    def __getattr__(self, name: str) -> Any:
        return getattr(secrets, name)


class Harness:
    """One test's app(s), browsers, captured logs and SQL, and the secrets seen so far."""

    def __init__(
        self,
        request: pytest.FixtureRequest,
        caplog: pytest.LogCaptureFixture,
        tmp_path: Path,
        smtp: MailServer,
        monkeypatch: pytest.MonkeyPatch,
        capfd: pytest.CaptureFixture[str],
        recwarn: pytest.WarningsRecorder,
    ) -> None:
        self.request = request
        self.capfd = capfd
        self.recwarn = recwarn
        self.output: list[str] = []
        self.caplog = caplog
        self.tmp_path = tmp_path
        self.smtp = smtp
        self.thread = threading.get_ident()
        self.secrets: dict[str, set[str]] = defaultdict(set)
        self.seen: list[Seen] = []
        self.sql_trace: list[str] = []
        self.harness_records: set[int] = set()
        self.drawn: list[str] = []
        self.mails: list[SignInEmail] = []
        self.clock = FrozenClock()
        self.engines: list[Engine] = []
        self.auth_secret = "auth-secret-" + secrets.token_urlsafe(32)
        self.secret_key = "secret-key-" + secrets.token_urlsafe(32)
        self.client_secret = "client-secret-" + secrets.token_urlsafe(24)
        self.add(AUTH_SECRET, self.auth_secret)
        self.add(SECRET_KEY, self.secret_key)
        if hasattr(tokens_module, "secrets"):
            monkeypatch.setattr(tokens_module, "secrets", _SpySecrets(self.drawn))

    # Secrets -------------------------------------------------------------------------------

    def add(self, kind: str, value: str | None) -> None:
        """Remember ``value`` as a secret of ``kind`` (at least 8 characters: no chance hits)."""
        if value:
            assert len(value) >= 8, f"too short to look for: {kind} {value!r}"
            self.secrets[kind].add(value)

    def add_flow(self, sealed: str) -> None:
        """The secrets of an OAuth flow cookie (sealed for the "dummy" or "mock" provider)."""
        sealer = Sealer([self.auth_secret], purpose="oauth-flow")
        for provider_id in ("dummy", "mock"):
            try:
                data = json.loads(sealer.open(sealed, context=provider_id))
            except SealedValueError:
                continue
            self.add(STATE, data.get("s"))
            self.add(NONCE, data.get("n"))
            self.add(VERIFIER, data.get("v"))
            return
        raise AssertionError("a flow cookie that opens for no provider")

    def add_code(self, code: str) -> None:
        """A sign-in code as shown (``ABCD-2345``) and as typed (``ABCD2345``)."""
        typed = code.replace("-", "")
        self.add(CODE, typed)
        self.add(CODE, f"{typed[:4]}-{typed[4:]}")

    def classified(self) -> dict[str, set[str]]:
        """The secrets by kind; a drawn token no flow named is of kind GENERATED."""
        kinds = {kind: set(values) for kind, values in self.secrets.items()}
        known = set().union(*kinds.values()) if kinds else set()
        for token in self.drawn:
            if token not in known:
                kinds.setdefault(GENERATED, set()).add(token)
        for token in kinds.get(SESSION, set()):
            kinds.setdefault(STORED_SESSION_KEY, set()).add(_sha256(token))
        return kinds

    # The app -------------------------------------------------------------------------------

    @cached_property
    def oidc(self) -> MockProvider:
        """The session's OpenID provider (started on first use)."""
        provider: MockProvider = self.request.getfixturevalue("oidc_provider")
        return provider

    def engine(self, url: str | None = None, *, tables: bool = True) -> Engine:
        """An engine on ``url`` (default: a fresh SQLite file) whose SQLite connections report
        every statement, parameters expanded, to the harness."""
        url = url or f"sqlite:///{self.tmp_path / f'app-{len(self.engines)}.sqlite3'}"
        engine = create_engine(url, connect_args={"timeout": 30} if url[:6] == "sqlite" else {})
        if engine.dialect.name == "sqlite":

            @event.listens_for(engine, "connect")
            def trace(dbapi_connection: Any, _record: Any) -> None:
                dbapi_connection.set_trace_callback(self.sql_trace.append)

        self.engines.append(engine)
        if tables:
            SQLAlchemyAdapter(engine).metadata.create_all(engine)
        return engine

    def app(
        self,
        *,
        engine: Engine | None = None,
        oidc: bool = False,
        issuer: str | None = None,
        email_limits: EmailLimits | None = None,
        **config: Any,
    ) -> Flask:
        """The real extension with Email, the DummyProvider ("dummy") and, with ``oidc``, the
        OpenID provider ("mock", at ``issuer``, default the test's provider); TESTING off, as
        in production."""
        engine = engine if engine is not None else self.engine()
        adapter = SQLAlchemyAdapter(engine)
        email = Email(timeout=5, rate_limits=email_limits or EmailLimits())
        built = email.message

        def message(**parts: Any) -> SignInEmail:
            mail = built(**parts)
            self.mails.append(mail)
            return mail

        email.message = message  # type: ignore[method-assign]
        chosen: list[Provider] = [email, DummyProvider("dummy")]
        if oidc:
            self.add(CLIENT_SECRET, self.client_secret)
            chosen.append(
                OIDC(
                    "mock",
                    issuer=issuer or self.oidc.issuer,
                    client_id="secrets-client",
                    client_secret=self.client_secret,
                )
            )
        app = Flask(__name__)
        app.config.update(
            SECRET_KEY=self.secret_key,
            AUTH_SECRET=self.auth_secret,
            AUTH_URL=BASE,
            AUTH_SITE_NAME="Secrets",
            MAIL_DEFAULT_SENDER="noreply@app.example",
            **self.smtp.config,
        )
        app.config.update(config)
        Auth(app, adapter=adapter, providers=chosen, clock=self.clock)

        @app.get("/private")
        @login_required
        def private() -> str:
            return f"private page of {current_user.email}"

        app.test_client_class = RecordingBrowser
        return app

    def browser(self, app: Flask, ip: str = "192.0.2.10") -> RecordingBrowser:
        client = app.test_client()
        assert isinstance(client, RecordingBrowser)
        client.harness = self
        client.environ_base["REMOTE_ADDR"] = ip
        return client

    # What the app answered -----------------------------------------------------------------

    def saw(self, response: TestResponse) -> None:
        """Collect the secrets a response hands out on purpose; keep what it shows."""
        for header in response.headers.getlist("Set-Cookie"):
            cookie: SimpleCookie = SimpleCookie()
            cookie.load(header)
            for name, morsel in cookie.items():
                value = morsel.value
                if not value:
                    continue
                if name.endswith(SESSION_COOKIE):
                    self.add(SESSION, value)
                elif name.endswith(CSRF_COOKIE):
                    self.add(CSRF, value)
                    self.add(CSRF, value.split(".")[0])
                elif name.endswith(FLOW_COOKIE):
                    self.add_flow(value)
        body = response.get_data(as_text=True) if response.request.method != "HEAD" else ""
        for token in _CSRF_FIELD.findall(body):
            self.add(CSRF, html.unescape(token))
        if response.mimetype == "application/json" and response.status_code == 200:
            data = json.loads(body or "null")
            if isinstance(data, dict) and isinstance(data.get("csrfToken"), str):
                self.add(CSRF, data["csrfToken"])
        self.seen.append(
            Seen(
                method=response.request.method,
                path=response.request.path,
                status=response.status_code,
                mimetype=response.mimetype or "",
                body=body,
                location=response.headers.get("Location", ""),
            )
        )

    # Steps of a browser --------------------------------------------------------------------

    def csrf(self, client: FlaskClient, path: str = "/auth/signin") -> str:
        """The CSRF token of a page's form."""
        found = _CSRF_FIELD.search(client.get(path).get_data(as_text=True))
        assert found is not None, f"no CSRF field on {path}"
        return html.unescape(found.group(1))

    def ask(self, client: FlaskClient, email: str, **options: Any) -> TestResponse:
        """Ask for a sign-in link as the sign-in page's form does."""
        form = {"csrf_token": self.csrf(client), "email": email, "callback_url": "/private"}
        return client.post("/auth/signin/email", data=form, **options)

    def mail(self, client: FlaskClient, email: str) -> tuple[str, str]:
        """Ask for a link; the link and the code of the message that arrived."""
        before = len(self.smtp.messages)
        answer = self.ask(client, email)
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert len(self.smtp.messages) == before + 1
        received = self.smtp.last()
        link, code = sign_in_link(received), sign_in_code(received)
        self.collect_mails()
        assert link in self.secrets[LINK_URL] and code in self.secrets[CODE]
        return link, code

    def collect_mails(self) -> None:
        """The link token and the code of every sign-in email built (sent or not)."""
        for mail in self.mails:
            self.add(LINK_URL, mail.url)
            self.add(LINK, dict(parse_qsl(urlsplit(mail.url).query))["token"])
            self.add_code(mail.code)

    def confirm_fields(self, client: FlaskClient, link: str) -> dict[str, str]:
        """Open the link (GET): the confirm page's form."""
        page = client.get(link)
        assert page.status_code == 200, page.get_data(as_text=True)
        return {k: html.unescape(v) for k, v in _HIDDEN.findall(page.get_data(as_text=True))}

    def redeem(self, client: FlaskClient, link: str) -> TestResponse:
        return client.post("/auth/callback/email", data=self.confirm_fields(client, link))

    def type_code(self, client: FlaskClient, code: str, **options: Any) -> TestResponse:
        """Type ``code`` in the "check your email" page's form (or, in a browser whose page
        has no form, post it with the token of ``/auth/csrf``)."""
        found = _CSRF_FIELD.search(client.get("/auth/verify-request").get_data(as_text=True))
        if found:
            token = html.unescape(found.group(1))
        else:
            token = str(client.get("/auth/csrf").get_json()["csrfToken"])
        return client.post(
            "/auth/callback/email", data={"csrf_token": token, "code": code}, **options
        )

    def email_sign_in(self, client: FlaskClient, email: str) -> None:
        link, _ = self.mail(client, email)
        assert self.redeem(client, link).status_code == 302
        assert self.who(client) == email

    def who(self, client: FlaskClient) -> str | None:
        data = client.get("/auth/session").get_json()
        return None if data is None else data["user"]["email"]

    def dummy_sign_in(self, client: FlaskClient, sub: str, email: str | None) -> TestResponse:
        """Sign in through the DummyProvider; its access token is ``access-<sub>``."""
        self.add(ACCESS, f"access-{sub}")
        form = {"csrf_token": self.csrf(client), "callback_url": "/private", "sub": sub}
        if email:
            form["email"] = email
        started = client.post("/auth/signin/dummy", data=form)
        assert started.status_code == 302, started.get_data(as_text=True)
        return client.get(started.location)

    def oidc_person(self, *, email: str | None = None) -> tuple[str, str]:
        sub = f"secrets-{uuid4().hex}"
        email = email or f"{sub}@example.com"
        with self.outside_the_app():
            self.oidc.set_user(sub, email=email, email_verified=True, name="Ada")
        return sub, email

    def oidc_begin(self, client: FlaskClient) -> str:
        """POST /auth/signin/mock: the authorize URL (its state and nonce collected)."""
        started = client.post(
            "/auth/signin/mock", data={"csrf_token": self.csrf(client), "callback_url": "/"}
        )
        assert started.status_code == 302, started.get_data(as_text=True)
        params = dict(parse_qsl(urlsplit(started.location).query))
        self.add(STATE, params["state"])
        self.add(NONCE, params["nonce"])
        return str(started.location)

    def oidc_approve(self, authorize_url: str, sub: str) -> str:
        """The person approves at the provider: the redirect's path (its code collected)."""
        with self.outside_the_app():
            location = self.oidc.approve(authorize_url, sub)
        self.add(AUTH_CODE, dict(parse_qsl(urlsplit(location).query)).get("code"))
        return callback_target(location)

    def oidc_sign_in(self, client: FlaskClient, sub: str) -> TestResponse:
        target = self.oidc_approve(self.oidc_begin(client), sub)
        answer = client.get(target)
        self.collect_token_responses()
        return answer

    def collect_token_responses(self) -> None:
        """What the provider's token endpoint received and issued, for every code seen."""
        for code in self.secrets[AUTH_CODE]:
            for exchange in self.oidc.token_requests(code):
                self.add(VERIFIER, exchange.form.get("code_verifier"))
                self.add(ACCESS, exchange.body.get("access_token"))
                self.add(REFRESH, exchange.body.get("refresh_token"))
                self.add(ID_TOKEN, exchange.body.get("id_token"))

    @contextmanager
    def outside_the_app(self) -> Iterator[None]:
        """The test's own HTTP requests (to the provider): their urllib3 lines are not the
        app's."""
        start = len(self.caplog.records)
        try:
            yield
        finally:
            for record in self.caplog.records[start:]:
                if record.thread == self.thread and record.name.startswith(HARNESS_HTTP_LOGGERS):
                    self.harness_records.add(id(record))

    # Where secrets could show --------------------------------------------------------------

    def app_records(self) -> list[logging.LogRecord]:
        """The captured records, without the test's servers' and HTTP client's."""
        return [
            r
            for r in self.caplog.records
            if id(r) not in self.harness_records
            and not (r.thread != self.thread and r.name.startswith(SERVER_SIDE_LOGGERS))
        ]

    def exposures(self) -> Iterator[Exposure]:
        # The SQL that finds a session names its stored key: that is what the key is for.
        sql_allows = frozenset({STORED_SESSION_KEY})
        for record in self.app_records():
            where = f"a log record of {record.name}"
            if record.name.startswith(SQL_LOGGER):
                yield Exposure(SQL, where, record_text(record), sql_allows)
            else:
                yield Exposure(LOG, where, record_text(record))
        for number, statement in enumerate(self.sql_trace):
            yield Exposure(SQL, f"SQLite statement #{number}", statement, sql_allows)
        out, err = self.capfd.readouterr()
        self.output += [out, err]
        for number, text in enumerate(self.output):
            yield Exposure(OUTPUT, ("stdout", "stderr")[number % 2], text)
        for warning in self.recwarn:
            yield Exposure(OUTPUT, f"a {warning.category.__name__}", str(warning.message))
        for seen in self.seen:
            where = f"the response to {seen.method} {seen.path} ({seen.status})"
            yield Exposure(RESPONSE, where, seen.body, body_allows(seen))
            yield Exposure(
                RESPONSE, f"the Location of {where}", seen.location, location_allows(seen)
            )

    def leaks(
        self,
        *,
        kinds: frozenset[str] | None = None,
        channels: tuple[str, ...] = (LOG, SQL, RESPONSE, OUTPUT),
        ignore: frozenset[tuple[str, str]] = frozenset(),
    ) -> list[str]:
        """Every (secret kind, place) where a secret shows but should not."""
        found: list[str] = []
        secrets_by_kind = self.classified()
        for exposure in self.exposures():
            if exposure.channel not in channels:
                continue
            for kind, values in secrets_by_kind.items():
                if (kinds is not None and kind not in kinds) or kind in exposure.allowed:
                    continue
                if (exposure.channel, kind) in ignore or kind == LINK_URL:
                    continue
                if any(value in exposure.text for value in values):
                    found.append(f"{kind} in {exposure.where}: {excerpt(exposure.text, values)}")
        return sorted(set(found))

    def close(self) -> None:
        for engine in self.engines:
            engine.dispose()


def record_text(record: logging.LogRecord) -> str:
    """Everything a log record carries, as text: the message, ``msg`` and ``args``, the
    traceback of ``exc_info`` (causes and contexts included), ``exc_text``, ``stack_info``
    and every extra attribute."""
    parts = [record.name]
    try:
        parts.append(record.getMessage())
    except Exception as exc:  # a bad format string still shows its parts below
        parts.append(f"<unformattable: {exc!r}>")
    parts += [repr(record.msg), repr(record.args)]
    if record.exc_info and record.exc_info[1] is not None:
        parts.append("".join(traceback.format_exception(record.exc_info[1])))
    parts += [record.exc_text or "", record.stack_info or ""]
    parts += [f"{k}={v!r}" for k, v in vars(record).items() if k not in _STANDARD_RECORD_FIELDS]
    return "\n".join(parts)


def body_allows(seen: Seen) -> frozenset[str]:
    """The secrets a response body shows on purpose."""
    allowed: set[str] = set()
    if seen.path == "/auth/csrf" and seen.status == 200:
        allowed.add(CSRF)  # what the endpoint is for
    if seen.mimetype == "text/html" and 'name="csrf_token"' in seen.body:
        allowed.add(CSRF)  # a page's form posts it back
    if seen.method == "GET" and seen.path == "/auth/callback/email" and seen.status == 200:
        allowed.add(LINK)  # the confirm page: its button posts the token
    return frozenset(allowed) | location_allows(seen)  # a redirect's body names its target


def location_allows(seen: Seen) -> frozenset[str]:
    """The redirect to the provider's authorization endpoint carries ``state`` and ``nonce``."""
    to_provider = seen.status == 302 and not seen.location.startswith("/")
    if seen.method == "POST" and seen.path.startswith("/auth/signin/") and to_provider:
        return frozenset({STATE, NONCE})
    return frozenset()


def excerpt(text: str, values: set[str]) -> str:
    for value in values:
        at = text.find(value)
        if at >= 0:
            return repr(text[max(0, at - 80) : at + len(value) + 40])
    return ""


# Fixtures --------------------------------------------------------------------------------


@pytest.fixture
def harness(
    request: pytest.FixtureRequest,
    caplog: pytest.LogCaptureFixture,
    tmp_path: Path,
    smtp_server: MailServer,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
    recwarn: pytest.WarningsRecorder,
) -> Iterator[Harness]:
    """A harness with logging captured: SQL at INFO first, then DEBUG everywhere (each
    ``set_level`` also sets the capturing handler's level: DEBUG must come last)."""
    caplog.set_level(logging.INFO, logger=SQL_LOGGER)
    for name in DEBUG_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    caplog.set_level(logging.DEBUG)
    assert caplog.handler.level == logging.DEBUG
    assert logging.getLogger(SQL_LOGGER).getEffectiveLevel() == logging.INFO
    h = Harness(request, caplog, tmp_path, smtp_server, monkeypatch, capfd, recwarn)
    try:
        yield h
    finally:
        h.close()


def wrong_code(right: str) -> str:
    letters = [c for c in CODE_ALPHABET if c not in right.replace("-", "")]
    return f"{''.join(letters[:4])}-{''.join(letters[4:8])}"


def fresh_csrf(client: Any) -> str:
    """The browser's CSRF token now (signing in and out replace it)."""
    return str(client.get("/auth/csrf").get_json()["csrfToken"])


def tampered(token: str) -> str:
    return token[:-1] + ("A" if token[-1] != "A" else "B")


def assert_error(response: TestResponse, code: str, status: int) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == status, body
    if response.mimetype == "application/json":
        assert response.get_json()["error"] == code
    else:
        assert f"<code>{code}</code>" in body, body
    assert "Traceback" not in body


JSON = {"Accept": "application/json"}


# The flows -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Flow:
    """A flow, the kinds of secret it must have met, and the loggers it must have made log
    (so that a flow that silently did nothing cannot pass)."""

    run: Callable[[Harness], None]
    kinds: frozenset[str]
    loggers: tuple[str, ...] = (SQL_LOGGER,)
    tracebacks: bool = False


FLOWS: dict[str, Flow] = {}

_ALWAYS = frozenset({AUTH_SECRET, SECRET_KEY, CSRF})


def flow(
    name: str, *kinds: str, loggers: tuple[str, ...] = (SQL_LOGGER,), tracebacks: bool = False
) -> Callable[[Callable[[Harness], None]], Callable[[Harness], None]]:
    def register(run: Callable[[Harness], None]) -> Callable[[Harness], None]:
        FLOWS[name] = Flow(run, _ALWAYS | frozenset(kinds), loggers, tracebacks)
        return run

    return register


@flow("email-link-request-confirm-redeem", LINK, CODE, SESSION)
def _email_link(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    link, _ = h.mail(client, "ada@example.com")
    assert client.get("/auth/verify-request").status_code == 200
    assert client.head(link).status_code == 200  # opening it (HEAD, as scanners do) uses nothing
    fields = h.confirm_fields(client, link)
    landed = client.post("/auth/callback/email", data=fields)
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert client.get("/private").status_code == 200
    assert h.who(client) == "ada@example.com"
    again = {**fields, "csrf_token": fresh_csrf(client)}  # signing in gave a new one
    assert_error(client.post("/auth/callback/email", data=again), "Verification", 403)


@flow("email-code-wrong-then-right", LINK, CODE, SESSION, loggers=(SQL_LOGGER, "flask_authadapter"))
def _email_code(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    _, code = h.mail(client, "bob@example.com")
    assert_error(h.type_code(client, wrong_code(code)), "Verification", 403)
    assert_error(h.type_code(client, wrong_code(code), headers=JSON), "Verification", 403)
    assert h.type_code(client, code.lower()).status_code == 302
    assert h.who(client) == "bob@example.com"
    assert_error(h.type_code(client, code), "Verification", 403)
    # A code typed in a browser that did not ask for it.
    _, other_code = h.mail(h.browser(app, "198.51.100.7"), "carol@example.com")
    assert_error(h.type_code(h.browser(app), other_code), "Verification", 403)


@flow(
    "oidc-sign-in-against-the-mock-provider",
    SESSION,
    STATE,
    NONCE,
    AUTH_CODE,
    VERIFIER,
    ACCESS,
    REFRESH,
    ID_TOKEN,
    CLIENT_SECRET,
    loggers=(SQL_LOGGER, "authlib.integrations", "urllib3"),
)
def _oidc(h: Harness) -> None:
    app = h.app(oidc=True)
    sub, email = h.oidc_person()
    for _ in range(2):  # a first sign-in, and one that updates the stored tokens
        client = h.browser(app)
        landed = h.oidc_sign_in(client, sub)
        assert landed.status_code == 302, landed.get_data(as_text=True)
        assert h.who(client) == email
        assert client.get("/auth/account").status_code == 200
        assert client.get("/auth/accounts").status_code == 200
    assert len(h.secrets[ACCESS]) == 2


@flow("oauth-dummy-provider", SESSION, STATE, ACCESS)
def _dummy(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    landed = h.dummy_sign_in(client, f"dummy-{uuid4().hex}", "dora@example.com")
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert h.who(client) == "dora@example.com"
    assert client.get("/auth/accounts").status_code == 200


@flow("sign-out", SESSION, ACCESS, STATE)
def _sign_out(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    assert h.dummy_sign_in(client, f"dummy-{uuid4().hex}", None).status_code == 302
    old = client.get_cookie(SESSION_COOKIE, domain=HOST)
    assert old is not None
    assert client.get("/auth/signout").status_code == 200
    token = h.csrf(client, "/auth/signout")
    assert client.post("/auth/signout", data={"csrf_token": token}).status_code == 302
    assert h.who(client) is None
    replay = h.browser(app)
    replay.set_cookie(SESSION_COOKIE, old.value, domain=HOST)
    assert h.who(replay) is None
    assert replay.get("/private").status_code == 302
    assert replay.get("/private", headers=JSON).status_code == 401


@flow("account-page-and-sessions", LINK, CODE, SESSION, ACCESS, STATE)
def _account(h: Harness) -> None:
    app = h.app()
    laptop, phone = h.browser(app), h.browser(app, "198.51.100.8")
    h.email_sign_in(laptop, "ada@example.com")
    h.email_sign_in(phone, "ada@example.com")
    # Link the dummy provider from the account page (a sign-in while signed in).
    assert h.dummy_sign_in(laptop, f"dummy-{uuid4().hex}", None).status_code == 302
    assert laptop.get("/auth/account").status_code == 200
    assert laptop.get("/auth/accounts").status_code == 200
    token = h.csrf(laptop, "/auth/account")
    ended = laptop.post("/auth/account/sessions/end-others", data={"csrf_token": token})
    assert ended.status_code == 302
    assert h.who(phone) is None
    page = laptop.get("/auth/account").get_data(as_text=True)
    handle = dict(_HIDDEN.findall(page))["session"]
    token = h.csrf(laptop, "/auth/account")
    ended = laptop.post("/auth/account/sessions/end", data={"csrf_token": token, "session": handle})
    assert ended.status_code == 302
    assert h.who(laptop) is None


@flow("session-csrf-and-providers-json", LINK, CODE, SESSION)
def _json(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    assert client.get("/auth/session").get_json() is None
    assert client.get("/auth/csrf").status_code == 200
    assert client.get("/auth/providers").status_code == 200
    assert_error(client.get("/auth/error?error=Verification"), "Verification", 403)
    assert_error(client.get("/auth/accounts", headers=JSON), "SessionRequired", 401)
    h.email_sign_in(client, "ada@example.com")
    data = client.get("/auth/session").get_json()
    assert data["user"]["email"] == "ada@example.com"
    assert client.get("/auth/csrf").get_json()["csrfToken"]


@flow("error-verification", LINK, CODE, SESSION, loggers=(SQL_LOGGER, "flask_authadapter"))
def _verification(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    link, _ = h.mail(client, "ada@example.com")
    fields = h.confirm_fields(client, link)
    post = "/auth/callback/email"
    assert_error(
        client.post(post, data={**fields, "token": tampered(fields["token"])}), "Verification", 403
    )
    assert_error(
        client.post(post, data={**fields, "email": "eve@example.com"}), "Verification", 403
    )
    assert_error(
        client.post(post, data={**fields, "email": "not an address"}, headers=JSON),
        "Verification",
        403,
    )
    # The confirm page of a link whose address is malformed: the token is not echoed.
    bad = link.replace("email=ada%40example.com", "email=ada%40%40example.com")
    assert bad != link
    assert_error(client.get(bad), "Verification", 403)
    assert client.post(post, data=fields).status_code == 302
    used = {**fields, "csrf_token": fresh_csrf(client)}  # signing in gave a new one
    assert_error(client.post(post, data=used), "Verification", 403)
    assert_error(h.redeem(h.browser(app), link), "Verification", 403)
    # An expired link.
    link, _ = h.mail(h.browser(app), "bob@example.com")
    h.clock.advance(minutes=16)
    assert_error(h.redeem(h.browser(app), link), "Verification", 403)


@flow("error-missing-csrf", LINK, CODE, SESSION, loggers=(SQL_LOGGER, "flask_authadapter"))
def _missing_csrf(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    token = h.csrf(client)
    form = {"email": "ada@example.com", "callback_url": "/private"}
    start = "/auth/signin/email"
    assert_error(client.post(start, data=form), "MissingCSRF", 403)
    assert_error(
        client.post(start, data={**form, "csrf_token": tampered(token)}), "MissingCSRF", 403
    )
    assert_error(client.post(start, data=form, headers=JSON), "MissingCSRF", 403)
    cross_origin = {"Origin": "https://evil.example", "Sec-Fetch-Site": None}
    assert_error(
        client.post(start, data={**form, "csrf_token": token}, headers=cross_origin),
        "MissingCSRF",
        403,
    )
    cross_site = {"Sec-Fetch-Site": "cross-site"}
    assert_error(
        client.post(start, data={**form, "csrf_token": token}, headers=cross_site),
        "MissingCSRF",
        403,
    )
    # A real link posted without the CSRF token (the token in the form must not be echoed).
    link, code = h.mail(client, "ada@example.com")
    fields = h.confirm_fields(client, link)
    del fields["csrf_token"]
    assert_error(client.post("/auth/callback/email", data=fields), "MissingCSRF", 403)
    assert_error(
        client.post("/auth/callback/email", data={"code": code}, headers=JSON), "MissingCSRF", 403
    )
    # Signed in: a sign-out without the token.
    assert h.redeem(client, link).status_code == 302
    assert_error(client.post("/auth/signout", data={}), "MissingCSRF", 403)
    assert h.who(client) == "ada@example.com"


@flow(
    "error-oauth-callback",
    SESSION,
    STATE,
    NONCE,
    AUTH_CODE,
    VERIFIER,
    ACCESS,
    REFRESH,
    ID_TOKEN,
    CLIENT_SECRET,
    loggers=(SQL_LOGGER, "flask_authadapter", "authlib.integrations"),
)
def _oauth_callback_error(h: Harness) -> None:
    app = h.app(oidc=True)
    sub, email = h.oidc_person()
    client = h.browser(app)
    # A tampered state; the same answer in another browser; an error from the provider.
    target = h.oidc_approve(h.oidc_begin(client), sub)
    state = dict(parse_qsl(urlsplit(target).query))["state"]
    assert_error(client.get(target.replace(state, tampered(state))), "OAuthCallbackError", 400)
    assert_error(h.browser(app).get(target), "OAuthCallbackError", 400)
    assert_error(
        client.get(f"/auth/callback/mock?error=server_error&state={state}"),
        "OAuthCallbackError",
        400,
    )
    # A callback without a code.
    state = dict(parse_qsl(urlsplit(h.oidc_begin(client)).query))["state"]
    assert_error(client.get(f"/auth/callback/mock?state={state}"), "OAuthCallbackError", 400)
    # A sign-in, then its callback replayed: in the same browser (the flow is over), and in
    # one that kept the flow's cookies (the provider refuses the used code).
    target = h.oidc_approve(h.oidc_begin(client), sub)
    replayer = h.browser(app)
    for name in (FLOW_COOKIE,):
        cookie = client.get_cookie(name, domain=HOST)
        assert cookie is not None
        replayer.set_cookie(name, cookie.value, domain=HOST)
    assert client.get(target).status_code == 302
    assert_error(client.get(target), "OAuthCallbackError", 400)
    assert_error(replayer.get(target, headers=JSON), "OAuthCallbackError", 400)
    h.collect_token_responses()
    # Declining at the provider; an account whose email belongs to another user.
    with h.outside_the_app():
        location = h.oidc.deny(h.oidc_begin(client))
    assert_error(client.get(callback_target(location)), "AccessDenied", 403)
    other_sub, _ = h.oidc_person(email=email)
    assert_error(h.oidc_sign_in(h.browser(app), other_sub), "OAuthAccountNotLinked", 409)
    # The dummy provider answering without a sub.
    assert_error(h.browser(app).get("/auth/callback/dummy"), "OAuthCallbackError", 400)


@flow("error-oauth-signin-provider-unreachable", CLIENT_SECRET, loggers=("flask_authadapter",))
def _oauth_signin(h: Harness) -> None:
    app = h.app(oidc=True, issuer=f"http://localhost:{free_port()}")
    client = h.browser(app)
    form = {"csrf_token": h.csrf(client), "callback_url": "/"}
    assert_error(client.post("/auth/signin/mock", data=form), "OAuthSignin", 400)
    assert_error(client.post("/auth/signin/mock", data=form, headers=JSON), "OAuthSignin", 400)


@flow("error-rate-limited", LINK, CODE, loggers=(SQL_LOGGER, "flask_authadapter"))
def _rate_limited(h: Harness) -> None:
    app = h.app(email_limits=EmailLimits(per_address="1 per 10 minutes", verify="3 per 10 minutes"))
    client = h.browser(app)
    link, code = h.mail(client, "ada@example.com")
    assert_error(h.ask(client, "ada@example.com"), "RateLimited", 429)
    assert_error(h.ask(client, "ada@example.com", headers=JSON), "RateLimited", 429)
    assert_error(h.type_code(client, wrong_code(code)), "Verification", 403)
    assert_error(h.type_code(client, wrong_code(code)), "Verification", 403)
    assert_error(h.type_code(client, wrong_code(code)), "Verification", 403)
    assert_error(h.type_code(client, code), "RateLimited", 429)  # the right code, too late
    assert_error(h.redeem(client, link), "RateLimited", 429)
    assert_error(h.type_code(client, code, headers=JSON), "RateLimited", 429)


@flow("error-email-signin-smtp-refuses", LINK, CODE, loggers=(SQL_LOGGER, "flask_authadapter"))
def _smtp_refuses(h: Harness) -> None:
    app = h.app()
    client = h.browser(app)
    h.smtp.mode = "refuse-data"
    assert_error(h.ask(client, "ada@example.com"), "EmailSignin", 400)
    h.collect_mails()  # the message was built (link and code) but not delivered
    h.smtp.mode = "refuse-rcpt"
    assert_error(h.ask(client, "bob@example.com", headers=JSON), "EmailSignin", 400)
    h.collect_mails()
    assert len(h.mails) == 2


def _storage_failures(h: Harness, app: Flask) -> None:
    """Everything that reads or writes storage, against a database that fails: 503s."""
    fake_session, fake_link = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    h.add(SESSION, fake_session)
    h.add(LINK, fake_link)
    client = h.browser(app)
    client.set_cookie(SESSION_COOKIE, fake_session, domain=HOST)
    assert_error(client.get("/private"), "Unavailable", 503)
    assert_error(client.get("/auth/session"), "Unavailable", 503)
    assert_error(client.get("/auth/account", headers=JSON), "Unavailable", 503)
    anonymous = h.browser(app)
    assert_error(h.ask(anonymous, "ada@example.com"), "Unavailable", 503)
    token = h.csrf(anonymous)
    redeem = {"csrf_token": token, "token": fake_link, "email": "ada@example.com"}
    assert_error(anonymous.post("/auth/callback/email", data=redeem), "Unavailable", 503)
    assert_error(
        h.dummy_sign_in(anonymous, f"dummy-{uuid4().hex}", "dora@example.com"), "Unavailable", 503
    )


@flow(
    "error-storage-503-sqlite-url-unusable",
    SESSION,
    LINK,
    STATE,
    ACCESS,
    loggers=("flask_authadapter",),
    tracebacks=True,
)
def _storage_sqlite(h: Harness) -> None:
    missing = h.tmp_path / "no-such-directory" / "app.sqlite3"
    _storage_failures(h, h.app(engine=h.engine(f"sqlite:///{missing}", tables=False)))


@flow(
    "error-storage-503-postgres-url-refused",
    SESSION,
    LINK,
    STATE,
    ACCESS,
    DB_PASSWORD,
    loggers=("flask_authadapter",),
    tracebacks=True,
)
def _storage_postgres(h: Harness) -> None:
    password = "db-password-" + secrets.token_urlsafe(16)
    h.add(DB_PASSWORD, password)
    url = f"postgresql+psycopg://authadapter:{password}@127.0.0.1:{free_port()}/app"
    _storage_failures(h, h.app(engine=h.engine(url, tables=False)))


@flow(
    "error-storage-503-tables-gone-mid-flow",
    SESSION,
    LINK,
    CODE,
    STATE,
    ACCESS,
    loggers=(SQL_LOGGER, "flask_authadapter"),
    tracebacks=True,
)
def _storage_mid_flow(h: Harness) -> None:
    engine = h.engine()
    app = h.app(engine=engine)
    client = h.browser(app)
    h.email_sign_in(client, "ada@example.com")
    waiting = h.browser(app)
    link, code = h.mail(waiting, "bob@example.com")
    fields = h.confirm_fields(waiting, link)
    with engine.begin() as conn:
        for table in ("sessions", "verification_tokens", "accounts"):
            conn.execute(sa.text(f"DROP TABLE {table}"))
    assert_error(client.get("/auth/session"), "Unavailable", 503)
    assert_error(client.get("/private"), "Unavailable", 503)
    assert_error(waiting.post("/auth/callback/email", data=fields), "Unavailable", 503)
    assert_error(h.type_code(waiting, code), "Unavailable", 503)
    assert_error(h.dummy_sign_in(h.browser(app), f"dummy-{uuid4().hex}", None), "Unavailable", 503)


# The tests -------------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(FLOWS))
def test_no_secret_in_logs_sql_pages_or_json(harness: Harness, name: str) -> None:
    spec = FLOWS[name]
    spec.run(harness)
    harness.collect_mails()

    if hasattr(tokens_module, "secrets"):
        assert harness.drawn, "the spy on the library's tokens saw none"
    met = {kind for kind, values in harness.classified().items() if values}
    assert spec.kinds <= met, f"the flow met no {sorted(spec.kinds - met)}"
    records = harness.app_records()
    for logger in spec.loggers:
        assert any(r.name.startswith(logger) for r in records), f"nothing logged by {logger}"
    if spec.tracebacks:
        failures = [r for r in records if r.exc_info and "StorageError" in record_text(r)]
        assert failures, "the 503s were not logged with their traceback"

    leaks = harness.leaks()
    assert not leaks, "\n".join(leaks)


@pytest.mark.parametrize("name", ["oidc-sign-in-against-the-mock-provider", "oauth-dummy-provider"])
def test_oauth_tokens_stay_out_of_the_sql_log(harness: Harness, name: str) -> None:
    """The provider's tokens are stored sealed: with SQL logging on (``sqlalchemy.engine``
    at INFO, i.e. ``echo=True``) and the SQLite trace, no INSERT or UPDATE shows one."""
    FLOWS[name].run(harness)
    assert harness.secrets[ACCESS]
    leaks = harness.leaks(kinds=OAUTH_TOKENS, channels=(SQL,))
    assert not leaks, "\n".join(leaks)


def test_the_leak_finder_finds_a_leak(harness: Harness) -> None:
    """The check itself: a secret logged, printed, warned, shown on a page or sent as SQL is
    found."""
    app = harness.app()
    client = harness.browser(app)
    harness.email_sign_in(client, "ada@example.com")
    session = next(iter(harness.secrets[SESSION]))
    logging.getLogger("flask_authadapter").debug("oops", extra={"cookie": session})
    try:
        raise RuntimeError(f"with {harness.auth_secret}")
    except RuntimeError:
        logging.getLogger("flask_authadapter").exception("failed")
    print(f"debug: {session}")  # the output is checked too
    warnings.warn(f"careless {harness.secret_key}", UserWarning, stacklevel=1)
    harness.sql_trace.append(f"SELECT '{session}'")
    harness.seen.append(Seen("GET", "/x", 500, "text/html", f"<p>{session}</p>", ""))
    leaks = "\n".join(harness.leaks())
    assert f"{SESSION} in a log record of flask_authadapter" in leaks
    assert f"{AUTH_SECRET} in a log record of flask_authadapter" in leaks
    assert f"{SESSION} in SQLite statement" in leaks
    assert f"{SESSION} in the response to GET /x (500)" in leaks
    assert f"{SESSION} in stdout" in leaks
    assert f"{SECRET_KEY} in a UserWarning" in leaks


# Stored forms ----------------------------------------------------------------------------

STORE_BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _all_rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    metadata = sa.MetaData()
    metadata.reflect(engine)
    with engine.connect() as conn:
        return {
            name: [dict(row._mapping) for row in conn.execute(sa.select(table))]
            for name, table in metadata.tables.items()
        }


@pytest.mark.parametrize("backend", STORE_BACKENDS)
def test_the_stored_forms_hold_no_raw_secret(
    harness: Harness, backend: str, make_database: Callable[[str, str], str]
) -> None:
    engine = harness.engine(make_database(backend, f"t_secrets_{uuid4().hex[:8]}"))
    app = harness.app(engine=engine, oidc=True)
    signed_in = [harness.browser(app) for _ in range(3)]
    harness.email_sign_in(signed_in[0], "ada@example.com")
    _, code = harness.mail(signed_in[1], "bob@example.com")
    assert harness.type_code(signed_in[1], code).status_code == 302
    sub, _ = harness.oidc_person()
    assert harness.oidc_sign_in(signed_in[2], sub).status_code == 302
    pending = [harness.browser(app, f"198.51.100.{n}") for n in range(1, 4)]
    for n, client in enumerate(pending):  # links and codes waiting to be used
        harness.mail(client, f"waiting{n}@example.com")
    harness.collect_mails()

    rows = _all_rows(engine)
    cookies = [c.get_cookie(SESSION_COOKIE, domain=HOST) for c in signed_in]
    assert all(cookies)
    stored_keys = {row["session_token"] for row in rows["sessions"]}
    assert stored_keys == {_sha256(c.value) for c in cookies if c is not None}
    tokens = rows["verification_tokens"]
    assert len(tokens) == 2 * len(pending)  # a link and a code for each waiting address
    for row in tokens:
        assert re.fullmatch(r"[0-9a-f]{64}", row["token"]), row
    # The hash of a token is no better than the token: neither may be stored.
    assert not {_sha256(t) for t in harness.secrets[LINK]} & {r["token"] for r in tokens}

    dump = repr(rows)
    kinds = harness.classified()
    assert kinds[ACCESS] and kinds[REFRESH] and kinds[ID_TOKEN]
    for kind in (SESSION, LINK, CODE, CSRF, STATE, NONCE, AUTH_CODE, VERIFIER, GENERATED):
        for value in kinds.get(kind, ()):
            assert value not in dump, f"a {kind} is stored as such"
    for kind in OAUTH_TOKENS:
        for value in kinds[kind]:
            assert value not in dump, f"an {kind} is stored as such"
            assert _sha256(value) not in dump, f"the hash of an {kind} is stored"
    for kind in (AUTH_SECRET, SECRET_KEY, CLIENT_SECRET):
        assert next(iter(kinds[kind])) not in dump, f"the {kind} is stored"
    # The provider's tokens are stored sealed, and the app reads them as issued.
    (account,) = rows["accounts"]
    for name in ("access_token", "refresh_token", "id_token"):
        assert is_sealed(account[name]), name
    with app.app_context():
        opened = account_tokens(account["provider"], account["provider_account_id"])
    assert opened is not None
    assert opened.access_token in kinds[ACCESS]
    assert opened.refresh_token in kinds[REFRESH]
    assert opened.id_token in kinds[ID_TOKEN]


def test_every_flow_is_listed() -> None:
    """The flows this module covers (the test ids of the first test show them too)."""
    assert {
        "email-link-request-confirm-redeem",
        "email-code-wrong-then-right",
        "oidc-sign-in-against-the-mock-provider",
        "oauth-dummy-provider",
        "sign-out",
        "account-page-and-sessions",
        "session-csrf-and-providers-json",
        "error-verification",
        "error-missing-csrf",
        "error-oauth-callback",
        "error-oauth-signin-provider-unreachable",
        "error-rate-limited",
        "error-email-signin-smtp-refuses",
        "error-storage-503-sqlite-url-unusable",
        "error-storage-503-postgres-url-refused",
        "error-storage-503-tables-gone-mid-flow",
    } == set(FLOWS)
