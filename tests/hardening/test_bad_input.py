"""Bad input on every route of the ``auth`` blueprint.

Hypothesis sends arbitrary and hostile values in every form field, query parameter, cookie
and header the blueprint reads: very long text (100 KB), binary and invalid UTF-8 (raw
bytes bodies, ``%ff%fe`` in query strings, raw bytes in paths, cookies and headers), CR/LF,
NUL, JSON, multipart and junk bodies where a form is expected, repeated parameters, huge and
malformed cookies, odd ``Accept``, ``Origin``, ``Sec-Fetch-Site`` and ``Host`` headers; with
and without a valid CSRF token, with and without a valid session. Every request goes
through the real WSGI stack (``TESTING`` off: a crash is a 500, as in production). For each
one it checks:

- no 5xx (but for ``/auth/error?error=Configuration``, a 500 by design), and nothing in
  the body that looks like a traceback;
- a sane status; an HTML or JSON body (CSS or JavaScript for the static files; anything on
  a redirect), and a redirect only to this site or to the configured provider;
- no session created: no new ``sessions`` row and no ``Set-Cookie`` giving the session
  cookie a value (the one exception is the test provider's callback, whose sign-ins are
  legit and are then checked to be real);
- no row written that should not be: users, accounts and verification tokens unchanged,
  except a sign-in email (and its token rows) for a well-formed address sent with a valid
  CSRF token; a session deleted only by the routes that sign out, with a valid CSRF token;
  the ``pending`` and flow cookies set only by the requests that may set them.

Three apps: the MemoryAdapter (rate limits off, so hostile values reach the deepest code),
the SQLAlchemy adapter on SQLite (rate limits on), and the MemoryAdapter without AUTH_URL
(the base URL then comes from the ``Host`` header). The OAuth 2 and OIDC providers point at
a closed local port: every network call they make fails fast, as an unreachable provider's.

The number of cases run per route is printed at the end ("bad input: cases per route").
Known defects (each pinned by a strict xfail test at the end of this module) are counted
there too rather than failing the property tests; the invariants still hold for everything
else.
"""

from __future__ import annotations

import json
import re
import socket
import string
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote_from_bytes, urlsplit

import pytest
from flask import Flask, got_request_exception
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Request

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.models import Account, User
from flask_authadapter.core.tokens import hash_session_token
from flask_authadapter.extension import AuthState
from flask_authadapter.providers import OIDC, Email, OAuth2
from flask_authadapter.providers.email import SignInEmail
from flask_authadapter.testing import MemoryRawStore, SQLAlchemyRawStore
from tests.apps import DummyProvider, make_app
from tests.databases import create_engine_for

# =========================================================================== #
# Cases per route, printed at the end of the run
# =========================================================================== #


class _CaseCounter:
    """Counts the cases run per app and route; prints them in the terminal summary."""

    def __init__(self) -> None:
        self.cases: Counter[tuple[str, str]] = Counter()
        self.known: dict[str, Counter[str]] = {}
        self.outcomes: dict[str, Counter[str]] = {}  # route -> status or effect -> cases

    def outcome(self, route: str, what: str) -> None:
        self.outcomes.setdefault(route, Counter())[what] += 1

    def hit(self, bug: str, target: str, route: str) -> None:
        self.known.setdefault(bug, Counter())[f"{target}: {route}"] += 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if not self.cases:
            return
        write = terminalreporter.write_line
        terminalreporter.section("bad input: cases per route")
        targets = sorted({t for t, _ in self.cases})
        routes = list(dict.fromkeys(r for _, r in self.cases))
        width = max(len(r) for r in routes)
        write(f"{'route':<{width}}  " + "  ".join(f"{t:>11}" for t in targets))
        for route in routes:
            write(
                f"{route:<{width}}  "
                + "  ".join(f"{self.cases.get((t, route), 0):>11}" for t in targets)
            )
        totals = [sum(n for (t, _), n in self.cases.items() if t == name) for name in targets]
        write(f"{'total':<{width}}  " + "  ".join(f"{n:>11}" for n in totals))
        write(f"all apps, all routes: {sum(self.cases.values())} cases")
        write("")
        write("outcomes (all apps; the effects are those of legit requests among the cases):")
        for route in routes:
            seen = self.outcomes.get(route, Counter())
            write(f"  {route:<{width}}  " + ", ".join(f"{k}: {n}" for k, n in sorted(seen.items())))
        for bug, where in sorted(self.known.items()):
            write(
                f"500 counted, not failed, in {sum(where.values())} case(s) on "
                f"{len(where)} app route(s): {bug}"
            )


COUNTER = _CaseCounter()
_PLUGIN = "flask-authadapter-bad-input-counter"


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> None:
    manager = request.config.pluginmanager
    if not manager.has_plugin(_PLUGIN):
        manager.register(COUNTER, _PLUGIN)


# =========================================================================== #
# The apps under test
# =========================================================================== #


def _closed_port() -> int:
    """A local port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


PROVIDER_HOST = f"127.0.0.1:{_closed_port()}"
SITE_HOST = "localhost"

SESSION_COOKIE = "authadapter.session"
CSRF_COOKIE = "authadapter.csrf"
PENDING_COOKIE = "authadapter.pending"
FLOW_COOKIE = "authadapter.oauth-flow"
FLASK_COOKIE = "session"  # Flask's own session: never set by the extension, still sent at it

# Stand-ins that a case puts where the app's real values go; replaced when it is sent.
CSRF_MARK = "CSRFPLACEHOLDER0fuzz"
STATE_MARK = "STATEPLACEHOLDER0fuzz"


@dataclass
class Target:
    """One app with its store, its signed-in user and the values a legit browser has."""

    name: str
    app: Flask
    raw: Any
    user: User
    providers: frozenset[str]
    has_auth_url: bool
    mails: list[SignInEmail]
    errors: list[BaseException]
    csrf_token: str = ""
    csrf_cookie: str = ""
    flow_cookie: str = ""
    flow_state: str = ""

    @property
    def state(self) -> AuthState:
        state: AuthState = self.app.extensions["authadapter"]
        return state

    def new_session(self) -> str:
        """A live session of the target's user; its cookie value."""
        return self.state.sessions.start(self.user).token

    def counts(self) -> dict[str, int]:
        kinds = ("users", "accounts", "sessions", "verification_tokens")
        return {kind: self.raw.count(kind) for kind in kinds}


def _providers(mails: list[SignInEmail], *, email: bool, unlimited: bool = False) -> list[Any]:
    providers: list[Any] = [
        DummyProvider("dummy"),
        OAuth2(
            "oauth",
            authorize_url=f"http://{PROVIDER_HOST}/authorize",
            token_url=f"http://{PROVIDER_HOST}/token",
            userinfo_url=f"http://{PROVIDER_HOST}/userinfo",
            client_id="fuzz-client",
            client_secret="fuzz-client-secret",
            timeout=0.5,
        ),
        OIDC(
            "oidc",
            issuer=f"http://{PROVIDER_HOST}",
            client_id="fuzz-client",
            client_secret="fuzz-client-secret",
            timeout=0.5,
        ),
    ]
    if email:
        limits = {"rate_limits": None} if unlimited else {}
        providers.insert(0, Email(send=mails.append, **limits))
    return providers


def build_target(
    name: str, adapter: Any, raw: Any, *, unlimited: bool = False, **config: Any
) -> Target:
    """An app on ``adapter`` with every kind of provider, a user with a linked account, and
    a legit browser's CSRF token and OAuth flow (cookie and state) to mix into the cases."""
    mails: list[SignInEmail] = []
    errors: list[BaseException] = []
    has_auth_url = bool(config.get("AUTH_URL"))
    providers = _providers(mails, email=has_auth_url, unlimited=unlimited)
    app, _ = make_app(adapter, providers=providers, **config)
    app.config["TESTING"] = False  # a crash is a 500 page, as in production

    def record(sender: Flask, exception: BaseException, **_: Any) -> None:
        errors.append(exception)

    got_request_exception.connect(record, app, weak=False)
    user = adapter.create_user(User(email="fuzz@example.com", name="Fuzz"))
    adapter.link_account(
        Account(user_id=user.id, type="oauth", provider="dummy", provider_account_id="fuzz-1")
    )
    target = Target(
        name=name,
        app=app,
        raw=raw,
        user=user,
        providers=frozenset(p.id for p in providers),
        has_auth_url=has_auth_url,
        mails=mails,
        errors=errors,
    )
    browser = app.test_client()
    target.csrf_token = browser.get("/auth/csrf").get_json()["csrfToken"]
    cookie = browser.get_cookie(CSRF_COOKIE)
    assert cookie is not None
    target.csrf_cookie = cookie.value
    started = browser.post(
        "/auth/signin/oauth", data={"csrf_token": target.csrf_token, "callback_url": "/private"}
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    target.flow_state = parse_qs(urlsplit(started.location).query)["state"][0]
    flow = browser.get_cookie(FLOW_COOKIE)
    assert flow is not None
    assert browser.get_cookie(FLASK_COOKIE) is None  # the flow is all in its own cookie
    target.flow_cookie = flow.value
    return target


TARGETS = ["memory", "sqlite", "no-auth-url"]


@pytest.fixture(scope="module", params=TARGETS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """Each app in turn: [memory], [sqlite], [no-auth-url]."""
    name = str(request.param)
    if name == "sqlite":
        path = tmp_path_factory.mktemp("bad-input") / "auth.sqlite3"
        engine = create_engine_for(f"sqlite:///{path}")
        adapter = SQLAlchemyAdapter(engine)
        adapter.metadata.create_all(engine)
        try:
            yield build_target(
                name, adapter, SQLAlchemyRawStore(adapter), AUTH_URL=f"http://{SITE_HOST}"
            )
        finally:
            engine.dispose()
        return
    memory = MemoryAdapter()
    config: dict[str, Any] = {"unlimited": True}
    if name == "memory":
        config["AUTH_URL"] = f"http://{SITE_HOST}"
    yield build_target(name, memory, MemoryRawStore(memory), **config)


# =========================================================================== #
# The routes, and what each may legitimately do
# =========================================================================== #

OAUTH_FIELDS = ("code", "state", "iss", "error", "error_description")


@dataclass(frozen=True)
class Route:
    """One route: method, path (``{tail}``: a hostile path segment), the fields it reads,
    what it may do when the request is legit, and the provider it needs."""

    id: str
    method: str
    path: str
    fields: tuple[str, ...] = ()
    may: frozenset[str] = field(default_factory=frozenset)
    needs: str | None = None


def _route(
    method: str, path: str, *fields: str, may: tuple[str, ...] = (), needs: str | None = None
) -> Route:
    shown = path.removeprefix("/auth/").replace("{tail}", "<junk>")
    return Route(f"{method} {shown}", method, path, fields, frozenset(may), needs)


ROUTES = [
    _route("GET", "/auth/signin", "callback_url", "error"),
    _route(
        "POST",
        "/auth/signin/email",
        "csrf_token",
        "email",
        "callback_url",
        may=("send",),
        needs="email",
    ),
    _route(
        "POST",
        "/auth/signin/dummy",
        "csrf_token",
        "callback_url",
        "sub",
        "email",
        "name",
        "verified",
        may=("begin",),
    ),
    _route("POST", "/auth/signin/oauth", "csrf_token", "callback_url", may=("begin",)),
    _route("POST", "/auth/signin/oidc", "csrf_token", "callback_url"),
    _route("POST", "/auth/signin/{tail}", "csrf_token", "callback_url", "email"),
    _route("GET", "/auth/callback/email", "token", "email", "callback_url", needs="email"),
    _route(
        "POST",
        "/auth/callback/email",
        "csrf_token",
        "token",
        "email",
        "code",
        "callback_url",
        needs="email",
    ),
    _route("GET", "/auth/callback/oauth", *OAUTH_FIELDS),
    _route("POST", "/auth/callback/oauth", *OAUTH_FIELDS, "user", "_relayed"),
    _route("GET", "/auth/callback/oidc", *OAUTH_FIELDS),
    _route("POST", "/auth/callback/oidc", *OAUTH_FIELDS, "user", "_relayed"),
    # The test provider trusts its query: its sign-ins with hostile profiles are legit.
    _route(
        "GET",
        "/auth/callback/dummy",
        "sub",
        "email",
        "name",
        "verified",
        "access_token",
        may=("sign-in",),
    ),
    _route("GET", "/auth/callback/{tail}", *OAUTH_FIELDS),
    _route("GET", "/auth/signout", "callback_url"),
    _route("POST", "/auth/signout", "csrf_token", "callback_url", may=("end-session",)),
    _route("GET", "/auth/verify-request"),
    _route("GET", "/auth/error", "error"),
    _route("GET", "/auth/session"),
    _route("GET", "/auth/csrf"),
    _route("GET", "/auth/providers"),
    _route("GET", "/auth/accounts"),
    _route(
        "POST",
        "/auth/accounts/unlink",
        "csrf_token",
        "provider",
        "provider_account_id",
        "callback_url",
        # Unlinking an account ends the sessions signed in with it (an earlier example's
        # legit sign-in through the dummy provider as that account made one).
        may=("unlink", "end-session"),
    ),
    _route("GET", "/auth/account", "done"),
    _route("POST", "/auth/account/sessions/end", "csrf_token", "session", may=("end-session",)),
    _route("POST", "/auth/account/sessions/end-others", "csrf_token", may=("end-session",)),
    _route("GET", "/auth/static/{tail}"),
]

# =========================================================================== #
# Hostile values
# =========================================================================== #

URLSAFE = string.ascii_letters + string.digits + "-_"
CODE_CHARS = "ABCDEFGHJKMNPQRSTUVWXYZ23456789-"

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\r\n",
    "x\r\nSet-Cookie: authadapter.session=evil",
    "%00",
    "%ff%fe",
    "%0d%0aLocation:%20http://evil.example",
    "../../../../etc/passwd",
    "..%2f..%2f..%2fetc%2fpasswd",
    "//evil.example/",
    "/\\evil.example",
    "/%2F/evil.example",
    "https://evil.example/",
    "http://localhost@evil.example/",
    "http://localhost/private",
    "/private?x=%0a",
    "javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "{{ 7*7 }}",
    "{% include 'x' %}",
    "' OR '1'='1",
    "'; DROP TABLE users; --",
    "null",
    "None",
    "true",
    "[]",
    "{}",
    "0",
    "-1",
    "1e309",
    "NaN",
    "\u202e",
    "\ufeff",
    "\u0130",
    "ß",
    "\ud7ff",
    "\U0001f600",
    "\uffff",
    "fuzz@example.com",
    "FUZZ@Example.COM ",
    "a@b.co",
    "a@b.co\r\nBcc: victim@example.com",
    "a@b.co,c@d.co",
    "\uff41@b.co",
    "a@xn--.co",
    "a@" + "x" * 70 + ".co",
    "ABCD-EFGH",
    "abcdefgh",
    "dummy",
    "fuzz-1",
    "email",
    "oauth",
    "oidc",
    "1",
    "access_denied",
    "AccessDenied",
    "Verification",
    "Configuration",
    "__proto__",
    "constructor",
    "session-ended",
    "others-ended",
    "auth.css",
    "relay.js",
    CSRF_MARK,
    STATE_MARK,
    f"http://{PROVIDER_HOST}",
]


def _big(chunk: str, size: int) -> str:
    """About ``size`` bytes of UTF-8 made of ``chunk``."""
    return chunk * max(1, size // len(chunk.encode("utf-8")))


emails = st.builds(
    "{}@{}".format,
    st.text(string.ascii_letters + string.digits + ".+-_'!#%", max_size=12),
    st.sampled_from(
        [
            "example.com",
            "b.co",
            "EXAMPLE.COM",
            "xn--bcher-kva.example",
            "b\u00fccher.example",
            "localhost",
            ".com",
            "a..b",
            "-a.com",
            "a.com.",
            "[127.0.0.1]",
            "x" * 64 + ".com",
        ]
    ),
)

big_text = st.builds(
    _big,
    st.sampled_from(["a", "é", "\x00", "%", "/", "\U0001f600", "<", "\r\n", "%ff", "A-"]),
    st.sampled_from([1_000, 10_000, 100_000]),
)

texts = st.one_of(
    st.sampled_from(HOSTILE_TEXT),
    st.text(max_size=40),  # any Unicode but surrogates (which UTF-8 cannot carry)
    st.text(st.characters(codec="latin-1"), max_size=40),  # C0 / C1 controls, NUL, DEL
    st.text(URLSAFE, min_size=43, max_size=43),  # shaped like a token: reaches the store
    st.text(CODE_CHARS, min_size=8, max_size=9),  # shaped like a sign-in code
    emails,
    big_text,
)

raw_bytes = st.one_of(
    texts.map(lambda t: t.encode("utf-8")),
    st.binary(max_size=40),
    st.sampled_from(
        [b"\xff\xfe", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80", b"\x80", b"\xe9t\xe9"]
    ),
    st.sampled_from([b"%", b"%%", b"%zz", b"%f", b"+", b"&", b"=", b";", b"\x00"]),
)


def _encode(value: bytes, how: str) -> bytes:
    """``value`` as it goes into a query string or a form body."""
    if how == "quoted":  # %-encoded bytes: arbitrary (invalid UTF-8 included) after decoding
        return quote_from_bytes(value, safe="").encode("ascii")
    if how == "double":
        return quote_from_bytes(quote_from_bytes(value, safe="").encode(), safe="").encode()
    return value  # literal: raw bytes, & and = included, so the structure may break


encodings = st.sampled_from(["quoted", "quoted", "quoted", "literal", "double"])


@st.composite
def pairs(draw: st.DrawFn, fields: tuple[str, ...]) -> list[tuple[bytes, bytes]]:
    """name=value pairs: mostly the route's own fields (repeated at times), some junk; a
    field's value is now and then one a legit browser would send, so that the other
    fields' hostile values reach the code behind the first checks."""
    known = [f.encode() for f in fields] or [b"callback_url"]
    names = st.one_of(
        st.sampled_from(known),
        st.sampled_from(known),
        st.sampled_from([b"csrf_token", b"callback_url", b"email", b"code", b"state", b""]),
        raw_bytes,
    )
    out = []
    for _ in range(draw(st.integers(0, 6))):
        name = draw(names)
        plausible = PLAUSIBLE.get(name.decode("latin-1"))
        if plausible is not None and draw(st.integers(0, 2)) == 0:
            out.append((name, quote_from_bytes(draw(plausible), safe="").encode()))
            continue
        out.append((_encode(name, draw(encodings)), _encode(draw(raw_bytes), draw(encodings))))
    return out


#: Values a legit browser sends in each field (the stand-ins are replaced when sent).
PLAUSIBLE: dict[str, st.SearchStrategy[bytes]] = {
    name: st.sampled_from([v.encode() for v in values])
    for name, values in {
        "email": ["fuzz@example.com", "a@b.co", "new@example.com", "FUZZ@Example.com "],
        "callback_url": ["/private", "/", "http://localhost/private?x=1#y"],
        "state": [STATE_MARK],
        "code": ["ABCD-EFGH", "abcdefgh", "ABCDEFGH"],
        "token": ["A" * 43, "a-_" * 14 + "a"],
        "provider": ["dummy", "oauth"],
        "provider_account_id": ["fuzz-1", "1"],
        "sub": ["1", "fuzz-1", "someone"],
        "error": ["access_denied", "Configuration", "AccessDenied", "server_error"],
        "iss": [f"http://{PROVIDER_HOST}", "https://evil.example"],
        "_relayed": ["1"],
        "verified": ["1"],
        "done": ["session-ended", "others-ended"],
    }.items()
}


def _join(items: list[tuple[bytes, bytes]], bare: bool = False) -> bytes:
    return b"&".join(name if bare and not value else name + b"=" + value for name, value in items)


@dataclass
class Case:
    """One hostile request, with stand-ins for the app's real values (see :func:`send`)."""

    method: str
    tail: bytes
    query: bytes
    body: bytes | None
    content_type: str | None
    headers: dict[str, str]
    cookies: list[tuple[str, str]]  # (name, value); name "" = a raw fragment
    csrf: str  # where the valid CSRF token goes: none, field, header
    session: str  # none, valid, hostile


def _latin1(value: bytes) -> str:
    """Bytes as WSGI carries them in the environ (one character per byte)."""
    return value.decode("latin-1")


header_values = st.one_of(
    st.sampled_from(
        [
            "null",
            "http://localhost",
            "HTTP://LOCALHOST:80",
            "http://evil.example",
            "https://localhost",
            "cross-site",
            "same-site",
            "same-origin",
            "none",
            "*/*",
            "application/json",
            "text/html",
            "application/json;q=0.9, text/html;q=abc",
            "*/*;q=-1, application/json;q=1e9",
            ",,,,;;;",
            "localhost",
            "evil.example",
            "localhost:99999",
            "[::1",
            "a b",
            "a/b",
            "localhost:abc",
            "\u00e9.example",
            "",
            " ",
            "bytes=0-0,-1",
            "bytes=99999999-",
            'W/"x", *',
            "Thu, 01 Jan 1970 00:00:00 GMT",
            "Mon, 99 Foo 9999",
        ]
    ).map(lambda s: _latin1(s.encode("utf-8"))),
    texts.map(lambda t: _latin1(t.encode("utf-8"))),
    st.binary(max_size=64).map(_latin1),
)

HEADER_NAMES = [
    "Accept",
    "Origin",
    "Sec-Fetch-Site",
    "Sec-Fetch-Mode",
    "Host",
    "User-Agent",
    "Referer",
    "X-CSRF-Token",
    "Accept-Language",
    "Accept-Encoding",
    "X-Forwarded-For",
    "X-Forwarded-Host",
    "X-Forwarded-Proto",
    "X-Requested-With",
    "If-None-Match",
    "If-Modified-Since",
    "Range",
    "Authorization",
]

COOKIE_NAMES = [SESSION_COOKIE, CSRF_COOKIE, PENDING_COOKIE, FLOW_COOKIE, FLASK_COOKIE]

RAW_COOKIE_FRAGMENTS = [
    "",
    ";;;",
    "=",
    "a",
    "=b",
    "a=b=c",
    '"',
    f'{SESSION_COOKIE}="unterminated',
    f"{SESSION_COOKIE}",
    f"{SESSION_COOKIE}=",
    f"{CSRF_COOKIE}=a.b.c",
    f"__Host-{SESSION_COOKIE}=x",
    " ; ",
    "\x00",
    "\r\n",
    "a" * 100_000,
    f"{SESSION_COOKIE}=" + "A" * 100_000,
    "$Version=1; $Path=/",
    "\\073",
]

JSON_DOCUMENTS: list[Any] = [
    None,
    0,
    1e308,
    -1,
    "",
    "x",
    [],
    {},
    [[[[[]]]]],
    {"csrf_token": None},
    {"csrf_token": ["a", "b"]},
    {"email": {"$ne": None}},
    {"__proto__": {"admin": True}},
    {"email": ["a@b.co", "c@d.co"]},
    {"code": 12345678},
    {"session": {"a": 1}},
]

BODY_KINDS = ["none", "form", "form", "form", "json", "raw", "multipart", "text", "junk-type"]


@st.composite
def cases(draw: st.DrawFn, route: Route) -> Case:
    """A hostile request for ``route``."""
    method = route.method
    if method == "GET":
        method = draw(st.sampled_from(["GET", "GET", "GET", "HEAD"]))
    tail = b""
    if "{tail}" in route.path:
        tail = draw(
            st.one_of(
                raw_bytes,
                st.sampled_from(
                    [
                        b"..",
                        b"../../etc/passwd",
                        b"auth.css",
                        b"relay.js",
                        b"auth.css\x00.js",
                        b"EMAIL",
                        b"email/",
                        b"%2e%2e",
                        b".",
                        b"dummy\r\n",
                        b"oauth",
                        b"",
                    ]
                ),
            )
        )
    # One case in four is a legit request (a form with the CSRF token and a plausible
    # value first in each field) with hostile extras: repeated fields, headers, cookies, a
    # query. The others are hostile throughout.
    legit = draw(st.integers(0, 3)) == 0
    csrf = "field" if legit else draw(st.sampled_from(["none", "field", "field", "header"]))
    query_items = draw(pairs(route.fields if route.method == "GET" else ()))
    body_kind = draw(
        st.sampled_from(BODY_KINDS if route.method == "POST" else ["none"] * 4 + BODY_KINDS)
    )
    body_items = draw(pairs(route.fields))
    if legit:
        first = [
            (name.encode(), quote_from_bytes(draw(PLAUSIBLE[name]), safe="").encode())
            for name in route.fields
            if name in PLAUSIBLE and draw(st.integers(0, 4)) > 0
        ]
        if route.method == "GET":
            query_items = first + query_items
        else:
            body_kind, body_items = "form", first + body_items
    if csrf == "field":
        at = 0 if legit else draw(st.integers(0, len(body_items)))
        body_items.insert(at, (b"csrf_token", CSRF_MARK.encode()))
    body: bytes | None = None
    content_type: str | None = None
    if body_kind == "form":
        body, content_type = (
            _join(body_items, bare=draw(st.booleans())),
            "application/x-www-form-urlencoded",
        )
    elif body_kind == "json":
        document = draw(
            st.one_of(
                st.just({n.decode("latin-1"): v.decode("latin-1") for n, v in body_items}),
                st.dictionaries(
                    texts, st.none() | st.booleans() | st.integers() | texts, max_size=4
                ),
                st.sampled_from(JSON_DOCUMENTS),
            )
        )
        body = draw(st.sampled_from([json.dumps(document).encode(), b"{", b"\xff{}", b"[" * 5000]))
        content_type = draw(
            st.sampled_from(
                ["application/json", "application/json; charset=latin-1", "application/x-json"]
            )
        )
    elif body_kind == "raw":
        body = draw(
            st.one_of(
                st.binary(max_size=512),
                st.just(b"\xff" * 100_000),
                st.just(b"a=" + b"\xfe" * 100_000),
            )
        )
        content_type = "application/x-www-form-urlencoded"
    elif body_kind == "multipart":
        boundary = b"fuzzboundary"
        parts = b"".join(
            b"--"
            + boundary
            + b'\r\nContent-Disposition: form-data; name="'
            + name
            + b'"\r\n\r\n'
            + value
            + b"\r\n"
            for name, value in body_items
        )
        body = parts + draw(st.sampled_from([b"--" + boundary + b"--\r\n", b"", b"--" + boundary]))
        content_type = draw(
            st.sampled_from(
                [
                    "multipart/form-data; boundary=fuzzboundary",
                    "multipart/form-data",
                    "multipart/form-data; boundary=other",
                    'multipart/form-data; boundary="' + "b" * 5000 + '"',
                ]
            )
        )
    elif body_kind == "text":
        body, content_type = (
            _join(body_items),
            draw(st.sampled_from(["text/plain", "text/html", "application/xml"])),
        )
    elif body_kind == "junk-type":
        body = _join(body_items)
        content_type = draw(header_values)
    headers: dict[str, str] = {}
    for name in draw(st.lists(st.sampled_from(HEADER_NAMES), max_size=4, unique=True)):
        if legit and name in ("Origin", "Sec-Fetch-Site", "X-CSRF-Token"):
            continue
        headers["HTTP_" + name.upper().replace("-", "_")] = draw(header_values)
    if csrf == "header":
        headers["HTTP_X_CSRF_TOKEN"] = CSRF_MARK
    cookies: list[tuple[str, str]] = []
    session = draw(st.sampled_from(["none", "valid", "valid", "hostile"]))
    if session == "valid":
        cookies.append((SESSION_COOKIE, "@valid"))
    elif session == "hostile":
        cookies.append((SESSION_COOKIE, draw(header_values)))
    if legit or (csrf != "none" and draw(st.integers(0, 9)) > 0):  # else the token alone
        cookies.append((CSRF_COOKIE, "@valid"))
    for name in draw(st.lists(st.sampled_from(COOKIE_NAMES), max_size=3)):
        valid = name == FLOW_COOKIE and draw(st.booleans())
        cookies.append((name, "@valid" if valid else draw(header_values)))
    for _ in range(draw(st.integers(0, 2))):
        cookies.append(("", _latin1(draw(st.sampled_from(RAW_COOKIE_FRAGMENTS)).encode("utf-8"))))
    cookies = draw(st.permutations(cookies))
    return Case(
        method=method,
        tail=tail,
        query=_join(query_items, bare=draw(st.booleans())),
        body=body,
        content_type=content_type,
        headers=headers,
        cookies=cookies,
        csrf=csrf,
        session=session,
    )


# =========================================================================== #
# Sending a case, and what must hold of every answer
# =========================================================================== #


@dataclass
class Sent:
    """What was sent, once the stand-ins were replaced."""

    response: TestResponse
    session_token: str | None
    valid_csrf: bool  # the CSRF cookie and token, and no cross-site Origin / Sec-Fetch-Site
    query: bytes


def send(target: Target, route: Route, case: Case) -> Sent:
    marks = {
        CSRF_MARK: target.csrf_token,
        STATE_MARK: target.flow_state,
    }

    def fill(data: bytes) -> bytes:
        for mark, value in marks.items():
            data = data.replace(mark.encode(), value.encode())
        return data

    valid_values = {
        CSRF_COOKIE: target.csrf_cookie,
        FLOW_COOKIE: target.flow_cookie,
    }
    session_token = target.new_session() if case.session == "valid" else None
    if session_token is not None:
        valid_values[SESSION_COOKIE] = session_token
    fragments = []
    for name, value in case.cookies:
        if value == "@valid":
            value = valid_values[name]
        fragments.append(f"{name}={value}" if name else value)
    environ = {k: _latin1(fill(v.encode("latin-1"))) for k, v in case.headers.items()}
    path = route.path.replace("{tail}", _latin1(case.tail))
    environ.update(
        PATH_INFO=path,
        QUERY_STRING=_latin1(fill(case.query)),
        HTTP_COOKIE="; ".join(fragments),
    )
    if case.content_type is not None:
        environ["CONTENT_TYPE"] = case.content_type
    body = fill(case.body) if case.body is not None else None
    builder = EnvironBuilder("/", method=case.method, data=body)
    try:
        wsgi_environ = builder.get_environ()
    finally:
        builder.close()
    wsgi_environ.update(environ)
    response = TestResponse(
        *run_wsgi_app(target.app, wsgi_environ, buffered=True), request=Request(wsgi_environ)
    )
    valid_csrf = (
        route.method == "POST"
        and case.csrf != "none"
        and (CSRF_COOKIE, "@valid") in case.cookies
        and _same_origin(target, environ)
    )
    return Sent(response, session_token, valid_csrf, environ["QUERY_STRING"].encode("latin-1"))


def _same_origin(target: Target, environ: dict[str, str]) -> bool:
    """Whether a browser could have sent these Origin and Sec-Fetch-Site headers from this
    site (leniently: with no AUTH_URL, any Origin that may match the Host sent)."""
    if environ.get("HTTP_SEC_FETCH_SITE") in ("cross-site", "same-site"):
        return False
    origin = environ.get("HTTP_ORIGIN")
    if origin is None or origin.strip().lower() in ("null", f"http://{SITE_HOST}"):
        return True
    return not target.has_auth_url and "HTTP_HOST" in environ


# Known defects, each pinned by a strict xfail test at the end of this module: a 500 that
# one of these recognises is counted (and shown in the summary), not failed.
KNOWN_BUGS: dict[str, Callable[[Route, BaseException, Sent], bool]] = {}

SANE_STATUSES = {200, 206, 301, 302, 303, 304, 308, 400, 401, 403, 404, 405, 409, 412, 413}
SANE_STATUSES |= {415, 416, 429}
TRACEBACK = re.compile(rb'Traceback \(most recent call last\)|File "[^"]*", line \d+')


def _known_bug(route: Route, errors: list[BaseException], sent: Sent) -> str | None:
    if len(errors) != 1:
        return None
    return next((name for name, test in KNOWN_BUGS.items() if test(route, errors[0], sent)), None)


#: A hostile path segment may name a real provider: then it may do what that route does.
TAIL_MAY: dict[str, dict[bytes, frozenset[str]]] = {
    "/auth/signin/{tail}": {
        b"email": frozenset({"send"}),
        b"dummy": frozenset({"begin"}),
        b"oauth": frozenset({"begin"}),
    },
    "/auth/callback/{tail}": {b"dummy": frozenset({"sign-in"})},
}

#: /auth/error?error=Configuration answers 500 on purpose (ERROR_STATUS, as Auth.js does),
#: for anyone who asks for it. Allowed here, counted in the summary, and reported.
DELIBERATE_500 = "GET /auth/error?error=Configuration is a 500 by design (core/errors.py)"


def _deliberate_500(route: Route, target: Target, sent: Sent) -> bool:
    if route.id != "GET error" or target.errors:
        return False
    try:
        return sent.response.request.args.get("error") == "Configuration"
    except UnicodeDecodeError:
        return False


def _set_cookies(response: TestResponse) -> dict[str, str]:
    """The cookies the response sets: name -> value ('' when it clears one)."""
    found = {}
    for header in response.headers.getlist("Set-Cookie"):
        name, _, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0].strip().strip('"')
    return found


def check(
    target: Target,
    route: Route,
    case: Case,
    sent: Sent,
    before: dict[str, int],
    after: dict[str, int],
    mails_before: int,
) -> None:
    """Every invariant of the module docstring, for one answer."""
    response = sent.response
    status = response.status_code
    body = response.get_data()
    where = f"{target.name} {route.id}: {case!r}"[:3000]
    known = _known_bug(route, target.errors, sent) if status == 500 else None
    if known is not None:
        COUNTER.hit(known, target.name, route.id)
    elif status == 500 and _deliberate_500(route, target, sent):
        COUNTER.hit(DELIBERATE_500, target.name, route.id)
    else:
        assert status < 500, f"{status} {target.errors!r}\n{where}"
        assert not target.errors, f"exception raised: {target.errors!r}\n{where}"
        assert status in SANE_STATUSES, f"status {status}\n{where}"
    assert not TRACEBACK.search(body), f"a traceback in the body\n{where}"
    if known is None and 300 <= status < 400:
        location = response.headers.get("Location", "")
        assert location, where
        assert not re.search(r"[\x00-\x20\x7f]", location), f"Location {location!r}\n{where}"
        parts = urlsplit(location)
        if parts.scheme or parts.netloc:
            allowed = {SITE_HOST, PROVIDER_HOST}
            if not target.has_auth_url:  # then the site's origin is the Host header's
                allowed.add(urlsplit(f"//{response.request.host}").netloc.lower())
                allowed.add(str(urlsplit(f"//{response.request.host}").hostname))
            assert parts.scheme == "http" and parts.netloc.lower() in allowed, (
                f"{location}\n{where}"
            )
        else:
            assert location.startswith("/") and location[1:2] not in ("/", "\\"), (
                f"Location {location!r}\n{where}"
            )
    elif known is None and status not in (204, 304):
        types = {"text/html", "application/json"}
        if route.path.startswith("/auth/static/"):
            types |= {"text/css", "text/javascript", "application/javascript"}
        assert response.mimetype in types, f"{response.mimetype}\n{where}"
    # What may be written.
    may = route.may | TAIL_MAY.get(route.path, {}).get(case.tail, frozenset())
    mailed = len(target.mails) > mails_before
    cookies = _set_cookies(response)
    COUNTER.outcome(route.id, str(status))
    effects = {
        "email sent": mailed,
        "signed in": bool(cookies.get(SESSION_COOKIE)),
        "session ended": after["sessions"] < before["sessions"],
        "account unlinked": after["accounts"] < before["accounts"],
        "flow started": bool(cookies.get(FLOW_COOKIE)),
    }
    for effect in (name for name, happened in effects.items() if happened):
        COUNTER.outcome(route.id, effect)
    assert after["users"] >= before["users"], where
    if mailed:
        assert "send" in may and sent.valid_csrf, f"an email was sent\n{where}"
        assert cookies.get(PENDING_COOKIE), where
    else:
        assert not cookies.get(PENDING_COOKIE), f"a pending cookie without an email\n{where}"
        assert after["verification_tokens"] == before["verification_tokens"], where
    if cookies.get(FLOW_COOKIE):
        assert "begin" in may and sent.valid_csrf and status == 302, where
    if "sign-in" in may and cookies.get(SESSION_COOKIE):
        # A legit sign-in (the test provider's): a real session, behind a redirect.
        token = cookies[SESSION_COOKIE]
        assert status == 302 or known, where
        assert target.raw.session(hash_session_token(token)) is not None, where
        assert after["users"] - before["users"] <= 1, where
        assert after["accounts"] - before["accounts"] <= 1, where
        return
    assert not cookies.get(SESSION_COOKIE), f"a session cookie was set\n{where}"
    assert after["users"] == before["users"], f"a user was written\n{where}"
    assert after["sessions"] <= before["sessions"], f"a session was created\n{where}"
    if after["sessions"] < before["sessions"]:
        assert "end-session" in may and sent.valid_csrf, f"a session was ended\n{where}"
    if after["accounts"] != before["accounts"]:
        assert "unlink" in may and sent.valid_csrf, f"accounts changed\n{where}"
        assert after["accounts"] == before["accounts"] - 1, where


# =========================================================================== #
# The properties
# =========================================================================== #

#: Examples per route, per app: about 45 s for the whole module on a laptop.
EXAMPLES = {"memory": 70, "sqlite": 35, "no-auth-url": 40}


def _run(target: Target, route: Route, case: Case) -> None:
    before, mails_before = target.counts(), len(target.mails)
    if case.session == "valid":
        before["sessions"] += 1  # the case's own session, made by send()
    target.errors.clear()
    sent = send(target, route, case)
    COUNTER.cases[(target.name, route.id)] += 1
    check(target, route, case, sent, before, target.counts(), mails_before)


def _examples(target: str) -> Callable[[Any], Any]:
    return settings(
        max_examples=EXAMPLES[target],
        deadline=None,
        suppress_health_check=[
            HealthCheck.function_scoped_fixture,
            HealthCheck.too_slow,
            HealthCheck.data_too_large,
            HealthCheck.large_base_example,
        ],
    )


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: r.id)
def test_hostile_input_never_breaks_a_route(target: Target, route: Route) -> None:
    """Any request to any route: a sane answer, no 5xx, no traceback, no unwanted write."""
    if route.needs is not None and route.needs not in target.providers:
        pytest.skip(f"the {target.name} app has no {route.needs} provider")

    @_examples(target.name)
    @given(case=cases(route))
    def run(case: Case) -> None:
        _run(target, route, case)

    run()


CONCRETE_PATHS = {
    "GET": [
        "/auth/signin",
        "/auth/callback/oauth",
        "/auth/callback/email",
        "/auth/signout",
        "/auth/verify-request",
        "/auth/error",
        "/auth/session",
        "/auth/csrf",
        "/auth/providers",
        "/auth/accounts",
        "/auth/account",
        "/auth/static/auth.css",
    ],
    "POST": [
        "/auth/signin/email",
        "/auth/signin/oauth",
        "/auth/callback/oauth",
        "/auth/callback/email",
        "/auth/signout",
        "/auth/accounts/unlink",
        "/auth/account/sessions/end",
        "/auth/account/sessions/end-others",
    ],
}
WRONG_METHODS = ["PUT", "DELETE", "PATCH", "TRACE", "PROPFIND", "FOO"]


def _wrong_method_cases() -> list[tuple[str, str]]:
    out = []
    for allowed, paths in CONCRETE_PATHS.items():
        for path in paths:
            for method in WRONG_METHODS:
                out.append((method, path))
            if path not in CONCRETE_PATHS["GET" if allowed == "POST" else "POST"]:
                out.append(("POST" if allowed == "GET" else "GET", path))
    return out


@pytest.mark.parametrize(("method", "path"), _wrong_method_cases(), ids=lambda v: str(v))
def test_a_wrong_method_is_405_on_every_route(target: Target, method: str, path: str) -> None:
    """Every route answers a method it does not take with a plain 405, changing nothing,
    with and without a session and a CSRF token."""
    before = target.counts()
    client = target.app.test_client()
    client.set_cookie(SESSION_COOKIE, target.new_session(), domain=SITE_HOST)
    client.set_cookie(CSRF_COOKIE, target.csrf_cookie, domain=SITE_HOST)
    before["sessions"] += 1
    target.errors.clear()
    for data in (None, {"csrf_token": target.csrf_token, "email": "a@b.co", "session": "x"}):
        response = client.open(path, method=method, data=data)
        COUNTER.cases[(target.name, "wrong method")] += 1
        COUNTER.outcome("wrong method", str(response.status_code))
        assert response.status_code == 405, (method, path, response.status_code)
        assert "Allow" in response.headers
        assert not TRACEBACK.search(response.get_data())
        assert not _set_cookies(response).get(SESSION_COOKIE)
    assert not target.errors
    assert target.counts() == before


# =========================================================================== #
# Defects found, pinned: each test fails today (xfail, strict: once the defect is fixed it
# passes, strict turns that into a failure, and its xfail mark and KNOWN_BUGS entry go).
# =========================================================================== #


@pytest.fixture
def memory_target() -> Target:
    memory = MemoryAdapter()
    return build_target(
        "memory",
        memory,
        MemoryRawStore(memory),
        AUTH_URL=f"http://{SITE_HOST}",
        unlimited=True,
    )


@pytest.fixture
def no_url_target() -> Target:
    memory = MemoryAdapter()
    return build_target("no-auth-url", memory, MemoryRawStore(memory))


@pytest.mark.parametrize("handle", ["\u00e9", "h\u00e9ndle", "\u4e2d" * 24, "\u2603"])
def test_bug_ending_a_session_with_a_non_ascii_handle_is_a_500(
    memory_target: Target, handle: str
) -> None:
    """``POST /auth/account/sessions/end`` (signed in, valid CSRF token) with a ``session``
    field that is not ASCII. ``hmac.compare_digest`` refuses str arguments with non-ASCII
    characters (TypeError), and views.py compares the form's text with it as it is.
    Fix: compare bytes (``handle.encode("utf-8", "replace")`` against ``current.handle
    .encode()``), or refuse a handle that is not ``handle.isascii()`` first, as
    core/tokens.verify_signature does."""
    target = memory_target
    client = target.app.test_client()
    client.set_cookie(SESSION_COOKIE, target.new_session(), domain=SITE_HOST)
    client.set_cookie(CSRF_COOKIE, target.csrf_cookie, domain=SITE_HOST)
    response = client.post(
        "/auth/account/sessions/end", data={"csrf_token": target.csrf_token, "session": handle}
    )
    assert response.status_code == 302, target.errors
    assert response.location.endswith("/auth/account?done=session-ended")


def test_bug_accounts_end_session_with_a_non_ascii_handle_raises(memory_target: Target) -> None:
    """``accounts.end_session(user, handle)`` compares each session's handle with
    ``hmac.compare_digest(_handle(...), handle)``: the same TypeError, reached once the view
    is fixed (and by an app calling it). Fix as in the view."""
    from flask_authadapter.accounts import end_session

    memory_target.new_session()  # one session to compare the handle with
    with memory_target.app.test_request_context("/"):
        assert end_session(memory_target.user, "\u00e9") is False


@pytest.mark.parametrize(
    ("host", "method", "path", "origin"),
    [
        ("a b", "GET", "/auth/signin?callback_url=/private", None),
        ("[::1", "GET", "/auth/signout?callback_url=/private", None),
        ("x:99999", "POST", "/auth/signout", "http://x:99999"),
        ("bad\x00host", "POST", "/auth/signin/dummy", "http://evil.example"),
        ("a b", "POST", "/auth/signin/dummy", None),
    ],
)
def test_bug_a_malformed_host_header_without_auth_url_is_a_500(
    no_url_target: Target, host: str, method: str, path: str, origin: str | None
) -> None:
    """Without AUTH_URL, ``actions.base_url()`` is ``request.url_root``. For a Host header
    Werkzeug finds invalid, ``request.host`` is "" and the root ``"http:///"`` (and for
    ``Host: xn--N``, invalid punycode, ``request.url_root`` itself raises UnicodeError in
    Werkzeug's ``uri_to_iri``), so:
    ``safe_redirect(..., base_url="http:")`` raises ValueError (signin and signout pages
    with a callback_url, and every ``redirect_target``: POST signout, the end of every
    sign-in, where the user is then already signed in on a 500 page, since the session
    cookie is written by an after_request hook); and ``check_csrf`` calls
    ``origin_of(request.host_url)``, which raises ValueError for any POST with an Origin
    header. Fix: ``base_url()`` answers 400 (``abort(400)``) when ``request.host`` is empty
    or ``origin_of(request.host_url)`` fails, before any work is done; ``check_csrf`` treats
    an unusable host as an origin mismatch (MissingCSRF). AUTH_URL set avoids it all."""
    target = no_url_target
    client = target.app.test_client()
    client.set_cookie(CSRF_COOKIE, target.csrf_cookie, domain=SITE_HOST)
    data = {"csrf_token": target.csrf_token, "sub": "1"} if method == "POST" else None
    environ = {"HTTP_HOST": host} | ({"HTTP_ORIGIN": origin} if origin else {})
    before = target.counts()
    response = client.open(path, method=method, data=data, environ_overrides=environ)
    assert response.status_code < 500, target.errors
    assert target.counts() == before


@pytest.mark.parametrize(
    "path",
    [
        "/auth/signin",
        "/auth/signout",
        "/auth/error",
        "/auth/callback/oauth",
        "/auth/callback/email",
        "/auth/account",
        "/auth/accounts",
    ],
)
def test_bug_raw_non_utf8_bytes_in_the_query_string_are_a_500(
    memory_target: Target, path: str
) -> None:
    """Werkzeug decodes the raw query string as strict UTF-8 in ``request.args`` and
    ``request.full_path`` (werkzeug/sansio/request.py); a client that does not
    percent-encode (``GET /auth/signin?\xff``: Werkzeug's server and gunicorn pass the bytes
    on) gets UnicodeDecodeError, a 500, on each view that reads ``request.args`` (signin,
    signout, error, account, callback/<oauth>, callback/email) and in ``login_required``
    (extension.py, ``request.full_path``, for the anonymous visitor of /auth/account(s)).
    Werkzeug's maintainers count it the client's error (pallets/werkzeug#1349, #3022).
    Fix: a ``blueprint.before_request`` that tries ``request.query_string.decode()`` and
    answers 400 on UnicodeDecodeError; in ``login_required``, build the way back from
    ``request.query_string.decode("utf-8", "replace")`` (or percent-encode it)."""
    target = memory_target
    response = target.app.test_client().get(
        path, environ_overrides={"QUERY_STRING": _latin1(b"callback_url=/\xff\xfe&error=\xc0")}
    )
    assert response.status_code == 400, target.errors


class _StubbedOAuth2(OAuth2):
    """The real OAuth2 provider with its two network calls answered here: the token
    exchange and the user document (``USERINFO``). Everything else (state, code, the
    profile mapping, the sign-in rules, storage) is the library's."""

    USERINFO: dict[str, Any] = {}

    def _exchange(self, flow: Any, code: str) -> dict[str, Any]:
        return {"access_token": "stub-access-token", "token_type": "bearer"}

    def fetch_userinfo(self, token: Any) -> Any:
        return dict(self.USERINFO)


@pytest.fixture
def sqlite_adapter(tmp_path: Any) -> Iterator[SQLAlchemyAdapter]:
    engine = create_engine_for(f"sqlite:///{tmp_path / 'profile.sqlite3'}")
    adapter = SQLAlchemyAdapter(engine)
    adapter.metadata.create_all(engine)
    try:
        yield adapter
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("store", "userinfo", "signs_in"),
    [
        ("memory", {"sub": "a\x00b", "email": "nul-sub@example.com"}, False),
        ("sqlite", {"sub": "s" * 256}, False),
        ("memory", {"sub": "nul-name", "name": "Ada\x00Lovelace"}, True),
        ("sqlite", {"sub": "long-name", "name": "N" * 256}, True),
        ("memory", {"sub": "nul-picture", "picture": "https://img.example/\x00"}, True),
    ],
    ids=["nul-sub", "sqlite-sub-256", "nul-name", "sqlite-name-256", "nul-picture"],
)
def test_bug_a_provider_profile_with_a_nul_is_a_500(
    request: pytest.FixtureRequest, store: str, userinfo: dict[str, Any], signs_in: bool
) -> None:
    """Fixed (commit 69bf154), kept as a regression test under the name SECURITY.md cites.

    A provider's user document with a value no store keeps: a NUL character (a display
    name a person typed at their identity provider; a misbehaving provider), or longer than
    the SQL column (``users.name`` and ``accounts.provider_account_id`` are 255
    characters). It used to reach the adapter, which refused it with InvalidValue, which
    nothing handled: a 500. Now ``core.signin.clean_profile`` cleans the display fields
    (the person signs in, the name cleaned, the image dropped) and an account id the store
    refuses is the generic error page (400), with nothing written."""
    provider = _StubbedOAuth2(
        "stub",
        authorize_url=f"http://{PROVIDER_HOST}/authorize",
        token_url=f"http://{PROVIDER_HOST}/token",
        userinfo_url=f"http://{PROVIDER_HOST}/userinfo",
        client_id="stub-client",
    )
    provider.USERINFO = userinfo
    adapter: Any
    raw: Any
    if store == "memory":
        adapter = MemoryAdapter()
        raw = MemoryRawStore(adapter)
    else:
        adapter = request.getfixturevalue("sqlite_adapter")
        raw = SQLAlchemyRawStore(adapter)
    app, _ = make_app(adapter, providers=[provider], AUTH_URL=f"http://{SITE_HOST}")
    app.config["TESTING"] = False
    client = app.test_client()
    token = client.get("/auth/csrf").get_json()["csrfToken"]
    started = client.post("/auth/signin/stub", data={"csrf_token": token})
    assert started.status_code == 302
    state = parse_qs(urlsplit(started.location).query)["state"][0]
    answer = client.get(f"/auth/callback/stub?code=c0de&state={state}")
    if not signs_in:
        assert answer.status_code == 400
        assert raw.count("users") == 0 and raw.count("accounts") == 0
        assert raw.count("sessions") == 0
        assert not _set_cookies(answer).get(SESSION_COOKIE)
        return
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert _set_cookies(answer).get(SESSION_COOKIE)
    user = adapter.get_user_by_account("stub", userinfo["sub"])
    assert user is not None
    assert user.name is None or ("\x00" not in user.name and len(user.name) <= 255)
    assert user.image is None
