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

The number of cases run per route is printed at the end ("bad input: cases per route"). The
inputs the fuzzing once broke are pinned by the tests at the end of this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.providers import OAuth2
from flask_authadapter.testing import MemoryRawStore, SQLAlchemyRawStore
from tests.apps import make_app
from tests.databases import create_engine_for
from tests.hardening.fuzz_cases import (
    Case,
    cases,
    latin1,
)
from tests.hardening.fuzz_checks import (
    COUNTER,
    COUNTER_PLUGIN,
    TRACEBACK,
    check,
    send,
    set_cookies,
)
from tests.hardening.fuzz_targets import (
    CSRF_COOKIE,
    PROVIDER_HOST,
    ROUTES,
    SESSION_COOKIE,
    SITE_HOST,
    Route,
    Target,
    build_target,
)


@pytest.fixture(scope="module", autouse=True)
def _report_cases(request: pytest.FixtureRequest) -> None:
    manager = request.config.pluginmanager
    if not manager.has_plugin(COUNTER_PLUGIN):
        manager.register(COUNTER, COUNTER_PLUGIN)


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


@pytest.mark.slow
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
        assert not set_cookies(response).get(SESSION_COOKIE)
    assert not target.errors
    assert target.counts() == before


# =========================================================================== #
# Inputs the fuzzing once broke (each a 500 then): each is now refused, or handled, as below.
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
def test_ending_a_session_with_a_non_ascii_handle_ends_nothing_and_is_no_error(
    memory_target: Target, handle: str
) -> None:
    """``POST /auth/account/sessions/end`` (signed in, valid CSRF token) with a ``session``
    field that is not ASCII: no session has that handle (``hmac.compare_digest`` would
    refuse non-ASCII text, so such a handle is refused before the comparison)."""
    target = memory_target
    client = target.app.test_client()
    client.set_cookie(SESSION_COOKIE, target.new_session(), domain=SITE_HOST)
    client.set_cookie(CSRF_COOKIE, target.csrf_cookie, domain=SITE_HOST)
    response = client.post(
        "/auth/account/sessions/end", data={"csrf_token": target.csrf_token, "session": handle}
    )
    assert response.status_code == 302, target.errors
    assert response.location.endswith("/auth/account?done=session-ended")


def test_end_session_with_a_non_ascii_handle_is_false(memory_target: Target) -> None:
    """``accounts.end_session(user, handle)`` with a non-ASCII handle, as an app may call
    it: no session ends, and nothing raises."""
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
def test_a_malformed_host_header_without_auth_url_is_a_4xx(
    no_url_target: Target, host: str, method: str, path: str, origin: str | None
) -> None:
    """Without AUTH_URL the base URL comes from the Host header: a Host that cannot make a
    URL is a 400 before any work is done (``MissingCSRF`` for a POST with an Origin), and
    nothing is written."""
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
def test_raw_non_utf8_bytes_in_the_query_string_are_a_400(memory_target: Target, path: str) -> None:
    """A client that does not percent-encode (``GET /auth/signin?\xff``: Werkzeug's server
    and gunicorn pass the bytes on) gets a 400 before any view reads ``request.args``
    (which Werkzeug decodes as strict UTF-8), the anonymous visitor of a protected page
    included."""
    target = memory_target
    response = target.app.test_client().get(
        path, environ_overrides={"QUERY_STRING": latin1(b"callback_url=/\xff\xfe&error=\xc0")}
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
def test_a_provider_profile_with_a_nul_or_an_oversized_value_is_cleaned_or_refused(
    request: pytest.FixtureRequest, store: str, userinfo: dict[str, Any], signs_in: bool
) -> None:
    """A provider's user document with a value no store keeps: a NUL character (a display
    name a person typed at their identity provider; a misbehaving provider), or longer than
    the SQL column (``users.name`` and ``accounts.provider_account_id`` are 255
    characters). The display fields are cleaned (the person signs in, the name cleaned, the
    image dropped); an account id the store refuses is the generic error page (400), with
    nothing written."""
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
        assert not set_cookies(answer).get(SESSION_COOKIE)
        return
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert set_cookies(answer).get(SESSION_COOKIE)
    user = adapter.get_user_by_account("stub", userinfo["sub"])
    assert user is not None
    assert user.name is None or ("\x00" not in user.name and len(user.name) <= 255)
    assert user.image is None
