"""The harness of the secrets tests: the kinds of secret, the loggers and servers it
watches, a recording browser, and where a secret may show (the allowed places)."""

from __future__ import annotations

import hashlib
import html
import json
import logging
import re
import secrets
import threading
import traceback
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cached_property
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, create_engine, event
from werkzeug.test import TestResponse

import flask_authadapter.core.tokens as tokens_module
from flask_authadapter import Auth, current_user, login_required
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.sealing import SealedValueError, Sealer
from flask_authadapter.providers import OIDC, Email
from flask_authadapter.providers.base import Provider
from flask_authadapter.providers.email import SignInEmail
from flask_authadapter.ratelimit import EmailLimits
from tests.apps import DummyProvider
from tests.mail import MailServer, sign_in_code, sign_in_link
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
HIDDEN_FIELD = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')
_STANDARD_RECORD_FIELDS = frozenset(vars(logging.makeLogRecord({})))


def sha256_hex(value: str) -> str:
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
            kinds.setdefault(STORED_SESSION_KEY, set()).add(sha256_hex(token))
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
        return {k: html.unescape(v) for k, v in HIDDEN_FIELD.findall(page.get_data(as_text=True))}

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
