"""Sending a hostile case through the real WSGI stack, and the invariants every answer must
keep (:func:`check`); the cases run, counted per route for the terminal summary."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from werkzeug.test import EnvironBuilder, TestResponse, run_wsgi_app
from werkzeug.wrappers import Request

from flask_authadapter.core.tokens import hash_session_token
from tests.hardening.fuzz_cases import (
    Case,
    latin1,
)
from tests.hardening.fuzz_targets import (
    CSRF_COOKIE,
    CSRF_MARK,
    FLOW_COOKIE,
    PENDING_COOKIE,
    PROVIDER_HOST,
    SESSION_COOKIE,
    SITE_HOST,
    STATE_MARK,
    Route,
    Target,
)

# =========================================================================== #
# Cases per route, printed at the end of the run
# =========================================================================== #


class CaseCounter:
    """Counts the cases run per app and route; prints them in the terminal summary."""

    def __init__(self) -> None:
        self.cases: Counter[tuple[str, str]] = Counter()
        self.allowed: dict[str, Counter[str]] = {}
        self.outcomes: dict[str, Counter[str]] = {}  # route -> status or effect -> cases

    def outcome(self, route: str, what: str) -> None:
        self.outcomes.setdefault(route, Counter())[what] += 1

    def allowed_500(self, why: str, target: str, route: str) -> None:
        self.allowed.setdefault(why, Counter())[f"{target}: {route}"] += 1

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
        for why, where in sorted(self.allowed.items()):
            write(
                f"500 counted, not failed, in {sum(where.values())} case(s) on "
                f"{len(where)} app route(s): {why}"
            )


COUNTER = CaseCounter()
COUNTER_PLUGIN = "flask-authadapter-bad-input-counter"

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
    environ = {k: latin1(fill(v.encode("latin-1"))) for k, v in case.headers.items()}
    path = route.path.replace("{tail}", latin1(case.tail))
    environ.update(
        PATH_INFO=path,
        QUERY_STRING=latin1(fill(case.query)),
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


SANE_STATUSES = {200, 206, 301, 302, 303, 304, 308, 400, 401, 403, 404, 405, 409, 412, 413}
SANE_STATUSES |= {415, 416, 429}
TRACEBACK = re.compile(rb'Traceback \(most recent call last\)|File "[^"]*", line \d+')


#: A hostile path segment may name a real provider: then it may do what that route does.
TAIL_MAY: dict[str, dict[bytes, frozenset[str]]] = {
    "/auth/signin/{tail}": {
        b"email": frozenset({"send"}),
        b"dummy": frozenset({"begin"}),
        b"oauth": frozenset({"begin"}),
    },
    "/auth/callback/{tail}": {b"dummy": frozenset({"sign-in"})},
}

#: /auth/error?error=Configuration answers 500 on purpose (ERROR_PAGES, as Auth.js does),
#: for anyone who asks for it. Allowed here, counted in the summary, and reported.
DELIBERATE_500 = "GET /auth/error?error=Configuration is a 500 by design (core/errors.py)"


def _deliberate_500(route: Route, target: Target, sent: Sent) -> bool:
    if route.id != "GET error" or target.errors:
        return False
    try:
        return sent.response.request.args.get("error") == "Configuration"
    except UnicodeDecodeError:
        return False


def set_cookies(response: TestResponse) -> dict[str, str]:
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
    deliberate = status == 500 and _deliberate_500(route, target, sent)
    if deliberate:
        COUNTER.allowed_500(DELIBERATE_500, target.name, route.id)
    else:
        assert status < 500, f"{status} {target.errors!r}\n{where}"
        assert not target.errors, f"exception raised: {target.errors!r}\n{where}"
        assert status in SANE_STATUSES, f"status {status}\n{where}"
    assert not TRACEBACK.search(body), f"a traceback in the body\n{where}"
    if not deliberate and 300 <= status < 400:
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
    elif not deliberate and status not in (204, 304):
        types = {"text/html", "application/json"}
        if route.path.startswith("/auth/static/"):
            types |= {"text/css", "text/javascript", "application/javascript"}
        assert response.mimetype in types, f"{response.mimetype}\n{where}"
    # What may be written.
    may = route.may | TAIL_MAY.get(route.path, {}).get(case.tail, frozenset())
    mailed = len(target.mails) > mails_before
    cookies = set_cookies(response)
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
        assert status == 302, where
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
