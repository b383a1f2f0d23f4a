"""Concurrency and load on PostgreSQL.

In-process (threads, each with its own Flask test client, on the app of
``tests/hardening/apps_under_test.py``): 50 concurrent redemptions of one magic link (and of
one code) give one session; one authorization code of a real OpenID provider replayed from
20 browsers holding the flow's cookies gives one session; two first sign-ins with one new
provider account at once; 200 different people signing in at once (half by email through
the real SMTP server, half with the dummy provider) give 200 users and 200 sessions without
an error.

Against gunicorn (several gthread workers, a subprocess on loopback): a sustained mixed load
for a bounded time (``HARDENING_LOAD_SECONDS``, default 20): sign in (dummy provider, or
email with three tabs racing to redeem the one link), signed-in requests, sign out. No 5xx,
no lost session, exactly one winner per link; the figures are printed.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from flask import Flask

from flask_authadapter.providers import OIDC
from tests.hardening.apps_under_test import (
    SESSION_COOKIE,
    InProcessBrowser,
    create_app,
    dispose,
    message_to,
    sets_session,
)
from tests.hardening.served import HttpBrowser, Tally, serve
from tests.hardening.tables import Rows
from tests.mail import MailServer, sign_in_code, sign_in_link
from tests.oidc import MockProvider, callback_target, run_mock_provider

pytestmark = pytest.mark.postgres

HOST = "app.example"
PENDING_COOKIE = "authadapter.pending"
#: How long the sustained load runs (seconds).
LOAD_SECONDS = float(os.environ.get("HARDENING_LOAD_SECONDS", "20"))
LOAD_CLIENTS = 16
LOAD_WORKERS = 4
LOAD_THREADS = 4
#: Signed-in requests per sign-in in the load (each checks who is signed in).
REQUESTS_PER_SESSION = 6
#: Tabs racing to redeem each email link in the load.
RACERS = 3


# =========================================================================== #
# The database and the in-process app
# =========================================================================== #


@pytest.fixture
def app(database_url: str, smtp_server: MailServer) -> Iterator[Flask]:
    """The app under test on the module's database, with its default engine options."""
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST, **smtp_server.config}
    )
    try:
        yield app
    finally:
        dispose(app)


def _report(capsys: pytest.CaptureFixture[str], text: str) -> None:
    """Print a figure even under ``pytest -q`` (captured output is not shown otherwise)."""
    with capsys.disabled():
        print(f"\n    {text}")


# =========================================================================== #
# One single-use secret, many at once
# =========================================================================== #


@pytest.mark.parametrize("via", ["link", "code"])
def test_fifty_concurrent_redemptions_of_one_sign_in_give_one_session(
    app: Flask, smtp_server: MailServer, rows: Rows, via: str
) -> None:
    starter = InProcessBrowser(app)
    assert starter.ask_link("ada@example.com").status_code == 302
    received = smtp_server.only()
    link, code = sign_in_link(received), sign_in_code(received)
    pending = starter.client.get_cookie(PENDING_COOKIE, domain=HOST)
    assert pending is not None
    count = 50
    barrier = threading.Barrier(count, timeout=60)

    def press(index: int) -> tuple[int, bool]:
        browser = InProcessBrowser(app, ip=f"198.51.100.{index + 1}")
        if via == "link":  # 50 browsers that got the link (forwarded, or a scanner's)
            fields = browser.confirm_form(link)
        else:  # the browser that asked, pressing the code form's button 50 times over
            browser.client.set_cookie(PENDING_COOKIE, pending.value, domain=HOST)
            fields = {"csrf_token": browser.csrf(), "code": code}
        barrier.wait()
        answer = browser.post_confirm(fields)
        return answer.status_code, sets_session(answer)

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(press, range(count)))

    assert sorted(status for status, _ in results) == [302] + [403] * (count - 1), results
    assert [with_session for status, with_session in results if status == 302] == [True]
    assert not any(with_session for status, with_session in results if status != 302)
    assert rows.counts() == {"users": 1, "accounts": 0, "sessions": 1, "verification_tokens": 0}


class SerializedTokenEndpoint:
    """WSGI middleware of the mock provider: one token request at a time.

    The mock checks and deletes an authorization code in two steps, so two concurrent
    exchanges of one code both succeed about half the time; a real authorization server
    refuses the second (RFC 6749, 4.1.2: single use, a MUST). Serialised, the mock does.
    """

    def __init__(self, app: Any) -> None:
        self.app = app
        self.lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("PATH_INFO") != "/oauth2/token":
            return self.app(environ, start_response)
        with self.lock:
            return list(self.app(environ, start_response))


@dataclass
class Replay:
    """One approved authorization, replayed by ``count`` browsers at once."""

    results: list[tuple[int, bool]]
    code: str


def _replay_one_authorization(database_url: str, op: MockProvider, count: int) -> Replay:
    provider = OIDC("mock", issuer=op.issuer, client_id="replay-client", client_secret="s3cret")
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST},
        extra_providers=[provider],
    )
    try:
        sub = f"replayed-{time.time_ns()}"
        op.set_user(sub, email=f"{sub}@example.com", email_verified=True)
        starter = InProcessBrowser(app)
        started = starter.client.post(
            "/auth/signin/mock", data={"csrf_token": starter.csrf(), "callback_url": "/private"}
        )
        assert started.status_code == 302, started.get_data(as_text=True)
        location = op.approve(started.location, sub)
        callback = callback_target(location)
        # The flow's cookies: the encrypted flow (state, PKCE verifier, nonce, callback_url)
        # and the CSRF cookie; every replaying browser holds a copy.
        cookies = {}
        for name in ("authadapter.oauth-flow", "authadapter.csrf"):
            cookie = starter.client.get_cookie(name, domain=HOST)
            assert cookie is not None, name
            cookies[name] = cookie.value
        barrier = threading.Barrier(count, timeout=60)

        def replay(index: int) -> tuple[int, bool]:
            browser = InProcessBrowser(app, ip=f"203.0.113.{index + 1}")
            for name, value in cookies.items():
                browser.client.set_cookie(name, value, domain=HOST)
            barrier.wait()
            answer = browser.client.get(callback)
            return answer.status_code, sets_session(answer)

        with ThreadPoolExecutor(max_workers=count) as pool:
            results = list(pool.map(replay, range(count)))
    finally:
        dispose(app)
    return Replay(results, dict(parse_qsl(urlsplit(location).query))["code"])


def test_one_authorization_code_replayed_concurrently_gives_one_session(
    database_url: str, rows: Rows
) -> None:
    count = 20
    with run_mock_provider() as op:
        op.recorder.app = SerializedTokenEndpoint(op.recorder.app)
        replay = _replay_one_authorization(database_url, op, count)
        exchanges = op.token_requests(replay.code)

    statuses = sorted(status for status, _ in replay.results)
    assert statuses == [302] + [400] * (count - 1), replay.results
    assert [with_session for status, with_session in replay.results if status == 302] == [True]
    assert rows.counts() == {"users": 1, "accounts": 1, "sessions": 1, "verification_tokens": 0}
    assert [e.status for e in exchanges].count(200) == 1


class GateAfterCreateUser:
    """In front of the app's adapter: the first call storing a new user waits, after the
    row is stored, until ``release`` is set (or 30 s), so that another request runs in
    between, as it may on a loaded server."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter
        self.created = threading.Event()
        self.release = threading.Event()
        self._gated = False
        self._lock = threading.Lock()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)

    def _hold_the_first(self) -> None:
        with self._lock:
            first, self._gated = not self._gated, True
        if first:
            self.created.set()
            self.release.wait(30)

    def create_user(self, user: Any) -> Any:
        stored = self._adapter.create_user(user)
        self._hold_the_first()
        return stored

    def create_user_and_link_account(self, user: Any, account: Any) -> Any:
        stored = self._adapter.create_user_and_link_account(user, account)
        self._hold_the_first()  # the user and the account are stored, in one transaction
        return stored


def test_two_first_sign_ins_with_one_new_account_at_once_both_sign_in(
    database_url: str, rows: Rows
) -> None:
    gates: list[GateAfterCreateUser] = []

    def wrap(adapter: Any) -> GateAfterCreateUser:
        gates.append(GateAfterCreateUser(adapter))
        return gates[0]

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST}, wrap_adapter=wrap
    )
    gate = gates[0]
    answers: dict[str, Any] = {}
    try:
        first, second = InProcessBrowser(app), InProcessBrowser(app, ip="192.0.2.11")
        callbacks = {
            "first": (first, first.start_dummy("sub-ada", "ada@example.com")),
            "second": (second, second.start_dummy("sub-ada", "ada@example.com")),
        }

        def finish(name: str) -> None:
            browser, callback = callbacks[name]
            answers[name] = browser.client.get(callback)

        one = threading.Thread(target=finish, args=("first",))
        one.start()
        gate.created.wait(10)  # the first has stored the user and its account
        two = threading.Thread(target=finish, args=("second",))
        two.start()
        two.join(5)  # (a fix holding a transaction open may make the second one wait)
        gate.release.set()
        one.join(30)
        two.join(30)
        assert answers["first"].status_code == 302
        assert answers["second"].status_code == 302, answers["second"].status_code
        assert first.who() == second.who() == "ada@example.com"
    finally:
        gate.release.set()
        dispose(app)
    assert rows.counts() == {"users": 1, "accounts": 1, "sessions": 2, "verification_tokens": 0}


# =========================================================================== #
# Many people at once
# =========================================================================== #


def test_two_hundred_concurrent_sign_ins_by_different_people(
    app: Flask, smtp_server: MailServer, rows: Rows, capsys: pytest.CaptureFixture[str]
) -> None:
    count = 200
    barrier = threading.Barrier(count, timeout=120)

    def person(index: int) -> str | None:
        """None when this person signed in and is recognised; else what went wrong."""
        email = f"person-{index}@example.com"
        browser = InProcessBrowser(app, ip=f"10.0.{index // 200}.{index % 200 + 1}")
        try:
            barrier.wait()
            if index % 2:
                answer = browser.sign_in_with_dummy(f"sub-{index}", email)
            else:
                answer = browser.sign_in_by_email(smtp_server, email)
            if answer.status_code != 302 or answer.location != "/private":
                return f"{email}: {answer.status_code} {answer.get_data(as_text=True)[:200]}"
            if not sets_session(answer):
                return f"{email}: no session cookie"
            who = browser.who()
            return None if who == email else f"{email}: recognised as {who!r}"
        except Exception as exc:
            return f"{email}: {type(exc).__name__}: {exc}"

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=count) as pool:
        problems = [p for p in pool.map(person, range(count)) if p is not None]
    elapsed = time.monotonic() - started

    _report(
        capsys,
        f"200 concurrent sign-ins (100 email, 100 dummy OAuth) in {elapsed:.1f}s "
        f"({count / elapsed:.0f}/s), {len(problems)} errors",
    )
    assert problems == []
    assert rows.counts() == {
        "users": 200,
        "accounts": 100,
        "sessions": 200,
        "verification_tokens": 0,
    }


# =========================================================================== #
# A sustained mixed load against gunicorn
# =========================================================================== #


@pytest.fixture
def load_server(
    database_url: str, smtp_server: MailServer, tmp_path: Path
) -> Iterator[tuple[str, Path]]:
    settings: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": database_url,
        "MAIL_SERVER": smtp_server.host,
        "MAIL_PORT": smtp_server.port,
        # Every browser of the load comes from 127.0.0.1: the per-IP limits are for
        # people, not for a load test.
        "EMAIL_LIMITS": {"per_network": "1000000 per hour", "verify": "1000000 per hour"},
    }
    with serve(settings, tmp_path, workers=LOAD_WORKERS, threads=LOAD_THREADS, name="load") as s:
        yield s.url, s.log_path


class Stop(Exception):
    """A step of the load went wrong (recorded in the tally as a problem)."""


def _expect(ok: bool, tally: Tally, text: str) -> None:
    if not ok:
        tally.problem(text)
        raise Stop(text)


def _race_for_the_link(browser: HttpBrowser, link: str, email: str) -> HttpBrowser:
    """Open the link and press its button in RACERS tabs at once: exactly one signs in."""
    fields = browser.confirm_form(link)
    tabs = [browser.clone() for _ in range(RACERS)]
    answers: list[Any] = [None] * RACERS
    barrier = threading.Barrier(RACERS, timeout=30)

    def press(i: int) -> None:
        barrier.wait()
        answers[i] = tabs[i].post_confirm(fields)

    threads = [threading.Thread(target=press, args=(i,)) for i in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    tally = browser.tally
    _expect(all(a is not None for a in answers), tally, f"{email}: a tab got no answer")
    winners = [i for i, a in enumerate(answers) if a.status_code == 302 and sets_session(a)]
    tally.count("link races")
    tally.count(f"link races with {len(winners)} winner(s)")
    _expect(len(winners) == 1, tally, f"{email}: {len(winners)} tabs signed in with one link")
    losers = [a.status_code for i, a in enumerate(answers) if i != winners[0]]
    _expect(losers == [403] * (RACERS - 1), tally, f"{email}: the other tabs got {losers}")
    return tabs[winners[0]]


def _one_round(base: str, smtp: MailServer, tally: Tally, name: str, by_email: bool) -> None:
    """Sign in, use the site while signed in, sign out; every step checked."""
    email = f"{name}@example.com"
    browser = HttpBrowser(base, tally)
    if by_email:
        asked = browser.ask_link(email)
        _expect(asked.status_code == 302, tally, f"{email}: asking got {asked.status_code}")
        browser = _race_for_the_link(browser, sign_in_link(message_to(smtp, email)), email)
        tally.count("sign-ins by email")
    else:
        answer = browser.sign_in_with_dummy(name, email)
        _expect(
            answer.status_code == 302 and sets_session(answer),
            tally,
            f"{email}: the dummy sign-in got {answer.status_code}",
        )
        tally.count("sign-ins with the dummy provider")
    for n in range(REQUESTS_PER_SESSION):
        seen: str | None
        if n % 3 == 0:
            seen = browser.who()
        elif n % 3 == 1:
            data = browser.get("/auth/session").json()
            seen = (data or {}).get("user", {}).get("email")
        else:
            page = browser.get("/private")
            seen = page.text.removeprefix("private page of ") if page.status_code == 200 else None
        if seen != email:
            tally.count("lost sessions")
        _expect(seen == email, tally, f"{email}: signed in, but seen as {seen!r}")
    out = browser.sign_out()
    _expect(out.status_code == 302, tally, f"{email}: signing out got {out.status_code}")
    _expect(browser.who() == "anonymous", tally, f"{email}: still signed in after signing out")
    _expect(browser.http.cookies.get(SESSION_COOKIE) is None, tally, f"{email}: cookie kept")
    tally.count("sign-outs")


def test_a_sustained_mixed_load_against_gunicorn(
    load_server: tuple[str, Path],
    smtp_server: MailServer,
    rows: Rows,
    capsys: pytest.CaptureFixture[str],
) -> None:
    base, log_path = load_server
    tally = Tally()
    deadline = time.monotonic() + LOAD_SECONDS

    def client(k: int) -> None:
        n = 0
        while time.monotonic() < deadline:
            n += 1
            try:
                _one_round(base, smtp_server, tally, f"load-{k}-{n}", by_email=(k + n) % 2 == 0)
            except Stop:
                pass
            except Exception as exc:  # a transport error: counted, and the client goes on
                tally.problem(f"load-{k}-{n}: {type(exc).__name__}: {exc}")

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=LOAD_CLIENTS) as pool:
        list(pool.map(client, range(LOAD_CLIENTS)))
    elapsed = time.monotonic() - started

    counts = tally.counts
    sign_ins = counts["sign-ins by email"] + counts["sign-ins with the dummy provider"]
    _report(
        capsys,
        f"mixed load on gunicorn ({LOAD_WORKERS} workers x {LOAD_THREADS} threads), "
        f"{LOAD_CLIENTS} clients, {elapsed:.1f}s: {tally.requests} requests "
        f"({tally.requests / elapsed:.0f}/s); {sign_ins} sign-ins "
        f"({counts['sign-ins by email']} by email, "
        f"{counts['sign-ins with the dummy provider']} dummy OAuth), "
        f"{counts['sign-outs']} sign-outs; {counts['link races']} links raced by {RACERS} "
        f"tabs, {counts['link races with 1 winner(s)']} with exactly one winner; "
        f"{tally.server_errors} 5xx, {counts['lost sessions']} lost sessions, "
        f"{len(tally.problems)} problems; statuses {dict(sorted(tally.statuses.items()))}",
    )
    assert tally.problems == []
    assert tally.server_errors == 0
    assert counts["lost sessions"] == 0
    assert counts["link races"] == counts["link races with 1 winner(s)"] > 0
    assert counts["sign-ins with the dummy provider"] > 0
    assert counts["sign-outs"] == sign_ins >= 2 * LOAD_CLIENTS
    # Everyone signed out again; every person is one user; every link was used up.
    assert rows.counts() == {
        "users": sign_ins,
        "accounts": counts["sign-ins with the dummy provider"],
        "sessions": 0,
        "verification_tokens": 0,
    }
    log = log_path.read_text(errors="replace")
    assert "Traceback" not in log and "Exception on" not in log, log[-3000:]
