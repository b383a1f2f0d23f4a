"""Faults: the database going away mid-flow, the SMTP server refusing or
silent, the OpenID provider slow.

The database: a PostgreSQL of this module's own (``start_postgres()``), which a test stops
abruptly (``pg_ctl stop -m immediate``: every connection cut, new ones refused) and starts
again on the same data and port (``DatabaseServer.pause`` / ``resume``). "Mid-flow" is
exact: :class:`DatabaseCut` sits in front of the app's adapter and takes the database down
just before a chosen adapter call of the request, after the calls before it succeeded. While
it is down every answer is the 503 page (or JSON), never a traceback; after it returns,
without restarting the app, nothing is half-written and the flows work again.

The app is ``tests/hardening/apps_under_test.py``: Flask-SQLAlchemy, ``SQLAlchemyAdapter(db)``,
the Email provider sending to the ``smtp_server`` fixture, the tests' dummy OAuth provider.

SMTP failures are mostly covered by ``tests/email_flow/test_mail_failures.py`` (refused
RCPT or DATA, down, silent in DATA with Email(timeout=1)); added here: another timeout
honoured, and a server silent from its greeting on, through the whole flow. The OpenID
provider: a real ``oidc-provider-mock`` whose discovery, token, JWKS or userinfo endpoint
holds the request.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.pool import NullPool
from werkzeug.test import TestResponse

from flask_authadapter.providers import OIDC
from harness import servers
from harness.servers import DatabaseServer
from tests.hardening.apps_under_test import (
    InProcessBrowser,
    clears_session,
    create_app,
    dispose,
    module_database,
)
from tests.hardening.faults_support import (
    ADA,
    Build,
    DatabaseCut,
    Hold,
    Outage,
    SlowProvider,
    approved_callback,
    assert_handled,
    assert_refused,
    assert_unavailable_json,
    assert_unavailable_page,
    oidc_app,
    timed,
)
from tests.hardening.tables import Rows
from tests.mail import MailServer, sign_in_link
from tests.oidc import run_mock_provider

pytestmark = pytest.mark.postgres


# =========================================================================== #
# The module's own PostgreSQL, and taking it down
# =========================================================================== #


@pytest.fixture(scope="module")
def own_postgres_server() -> Iterator[DatabaseServer]:
    """A throwaway PostgreSQL for this module only: the tests stop and start it."""
    reason = servers.server_binaries_missing("postgres")
    if reason:
        servers.skip_or_fail(reason)
    server = servers.start_postgres()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def outage(own_postgres_server: DatabaseServer) -> Iterator[Outage]:
    down = Outage(own_postgres_server)
    try:
        yield down
    finally:
        down.end()


@pytest.fixture(scope="module")
def database_url(own_postgres_server: DatabaseServer, request: pytest.FixtureRequest) -> str:
    """The module's database on its own server, which the tests stop and start."""
    return module_database(own_postgres_server, request)


@pytest.fixture
def rows(database_url: str, outage: Outage) -> Iterator[Rows]:
    engine = sa.create_engine(database_url, poolclass=NullPool)
    reader = Rows(engine)
    reader.empty()
    try:
        yield reader
    finally:
        engine.dispose()


@pytest.fixture
def build(
    database_url: str, outage: Outage, smtp_server: MailServer, rows: Rows
) -> Iterator[Build]:
    """``build(**config)``: the app under test on the module's database (its adapter behind
    a :class:`DatabaseCut`), sending mail to the test's SMTP server."""
    apps: list[Flask] = []

    def make(**config: Any) -> tuple[Flask, DatabaseCut]:
        cuts: list[DatabaseCut] = []

        def wrap(adapter: Any) -> DatabaseCut:
            cuts.append(DatabaseCut(adapter, outage))
            return cuts[0]

        settings = {
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SERVER_NAME": "app.example",
            **smtp_server.config,
            **config,
        }
        app = create_app(settings, wrap_adapter=wrap)
        apps.append(app)
        return app, cuts[0]

    try:
        yield make
    finally:
        outage.end()
        for app in apps:
            dispose(app)


# =========================================================================== #
# The helper itself
# =========================================================================== #


def test_pause_and_resume_keep_the_data_and_the_port(
    own_postgres_server: DatabaseServer, rows: Rows
) -> None:
    with rows.engine.begin() as conn:
        conn.execute(sa.insert(rows.table("users")).values(id="u-1", email="kept@example.com"))
    own_postgres_server.pause()
    try:
        with pytest.raises(sa.exc.OperationalError), rows.engine.connect():
            pass
    finally:
        own_postgres_server.resume()
    assert [u["email"] for u in rows.all("users")] == ["kept@example.com"]


# =========================================================================== #
# The database going away in the middle of each flow
# =========================================================================== #

#: Where the email request is cut: before it (the database already down), before storing
#: the link, before storing the code (the link stored). (Earlier links are not withdrawn.)
ASK_CUTS = {
    "already-down": None,
    "storing-the-link": ("create_verification_token", 1),
    "storing-the-code": ("create_verification_token", 2),
}


@pytest.mark.parametrize("cut", list(ASK_CUTS))
def test_the_database_going_away_while_a_link_is_asked_for(
    build: Build,
    outage: Outage,
    rows: Rows,
    smtp_server: MailServer,
    caplog: pytest.LogCaptureFixture,
    cut: str,
) -> None:
    caplog.set_level(logging.INFO)
    app, adapter = build()
    browser = InProcessBrowser(app)
    where = ASK_CUTS[cut]
    if where is None:
        outage.begin()
    else:
        adapter.before(*where)

    answer = browser.ask_link(ADA)

    assert outage.down
    assert_unavailable_page(answer)
    assert not any("authadapter.pending" in h for h in answer.headers.getlist("Set-Cookie"))
    assert smtp_server.messages == []  # no email whose link or code was never stored
    assert_handled(caplog)

    outage.end()  # the app is not restarted
    assert rows.count("users") == 0
    signed_in = browser.sign_in_by_email(smtp_server, ADA)
    assert signed_in.status_code == 302 and signed_in.location == "/private"
    assert browser.who() == ADA
    assert rows.counts() == {"users": 1, "accounts": 0, "sessions": 1, "verification_tokens": 0}


#: Where redeeming a link is cut: the database already down, before the token is used,
#: before the user is created (the token used), before the session is stored.
REDEEM_CUTS = {
    "already-down": None,
    "using-the-token": ("use_verification_token", 1),
    "creating-the-user": ("create_user", 1),
    "storing-the-session": ("create_session", 1),
}


@pytest.mark.parametrize("cut", list(REDEEM_CUTS))
def test_the_database_going_away_while_a_link_is_redeemed(
    build: Build,
    outage: Outage,
    rows: Rows,
    smtp_server: MailServer,
    caplog: pytest.LogCaptureFixture,
    cut: str,
) -> None:
    app, adapter = build()
    browser = InProcessBrowser(app)
    assert browser.ask_link(ADA).status_code == 302
    fields = browser.confirm_form(sign_in_link(smtp_server.only()))
    caplog.set_level(logging.INFO)
    where = REDEEM_CUTS[cut]
    if where is None:
        outage.begin()
    else:
        adapter.before(*where)

    answer = browser.post_confirm(fields)

    assert outage.down
    assert_unavailable_page(answer)
    assert_handled(caplog)

    outage.end()
    rows.assert_consistent()
    assert rows.count("sessions") == 0
    users = rows.all("users")
    assert len(users) <= 1
    assert all(u["email"] == ADA and u["email_verified"] is not None for u in users)
    assert browser.who() == "anonymous"

    # The link still works if the outage came before it was used; else a new one does.
    again = browser.post_confirm(fields)
    if cut in ("already-down", "using-the-token"):
        assert again.status_code == 302, again.get_data(as_text=True)
    else:
        assert again.status_code == 403  # used up before the outage: ask for another
        smtp_server.clear()
        again = browser.sign_in_by_email(smtp_server, ADA)
        assert again.status_code == 302, again.get_data(as_text=True)
    assert browser.who() == ADA
    assert rows.counts() == {"users": 1, "accounts": 0, "sessions": 1, "verification_tokens": 0}


#: Where the OAuth callback is cut: the database already down, before looking up the
#: provider account, before storing the user with the account (one transaction), before
#: storing the session (user and account stored).
OAUTH_CUTS = {
    "already-down": None,
    "finding-the-account": ("get_user_by_account", 1),
    # The user and the account are stored in one transaction: cut there.
    "creating-the-user-and-account": ("create_user_and_link_account", 1),
    "storing-the-session": ("create_session", 1),
}
_OAUTH_PARAMS = [pytest.param(cut) for cut in OAUTH_CUTS]


def _cut_oauth_callback(build: Build, outage: Outage, cut: str) -> InProcessBrowser:
    app, adapter = build()
    browser = InProcessBrowser(app)
    callback = browser.start_dummy("sub-ada", ADA)
    where = OAUTH_CUTS[cut]
    if where is None:
        outage.begin()
    else:
        adapter.before(*where)
    answer = browser.client.get(callback)
    assert outage.down, f"the callback never called {where}: move this cut"
    assert_unavailable_page(answer)
    outage.end()
    return browser


@pytest.mark.parametrize("cut", _OAUTH_PARAMS)
def test_the_database_going_away_during_an_oauth_callback_leaves_nothing_half_written(
    build: Build, outage: Outage, rows: Rows, caplog: pytest.LogCaptureFixture, cut: str
) -> None:
    caplog.set_level(logging.INFO)
    _cut_oauth_callback(build, outage, cut)

    assert_handled(caplog)
    rows.assert_consistent()
    counts = rows.counts()
    assert counts["sessions"] == 0
    assert counts["users"] == counts["accounts"] <= 1, counts  # a user only with its account


@pytest.mark.parametrize("cut", _OAUTH_PARAMS)
def test_after_an_oauth_callback_cut_by_the_database_the_person_signs_in_again(
    build: Build, outage: Outage, rows: Rows, cut: str
) -> None:
    browser = _cut_oauth_callback(build, outage, cut)

    again = browser.sign_in_with_dummy("sub-ada", ADA)

    assert again.status_code == 302, again.get_data(as_text=True)
    assert again.location == "/private"
    assert browser.who() == ADA
    assert rows.counts() == {"users": 1, "accounts": 1, "sessions": 1, "verification_tokens": 0}


def test_a_signed_in_request_while_the_database_is_down(
    build: Build, outage: Outage, rows: Rows, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = build()
    browser = InProcessBrowser(app)
    assert browser.sign_in_with_dummy("sub-ada", ADA).status_code == 302
    caplog.set_level(logging.INFO)
    outage.begin()

    page = browser.client.get("/private")
    as_json = browser.client.get("/private", headers={"Accept": "application/json"})
    session = browser.client.get("/auth/session")

    assert_unavailable_page(page)
    assert_unavailable_json(as_json)
    assert_unavailable_json(session)
    # An outage signs nobody out: the browser keeps its cookie.
    assert not any(clears_session(a) for a in (page, as_json, session))
    assert_handled(caplog, failures=3)

    outage.end()
    back = browser.client.get("/private")
    assert back.status_code == 200
    assert back.get_data(as_text=True) == f"private page of {ADA}"
    assert browser.client.get("/auth/session").get_json()["user"]["email"] == ADA
    assert rows.counts()["sessions"] == 1


def test_signing_out_while_the_database_is_down_is_no_error_and_works_afterwards(
    build: Build, outage: Outage, caplog: pytest.LogCaptureFixture
) -> None:
    app, _ = build()
    browser = InProcessBrowser(app)
    assert browser.sign_in_with_dummy("sub-ada", ADA).status_code == 302
    token = browser.client.get("/auth/csrf").get_json()["csrfToken"]
    caplog.set_level(logging.INFO)
    outage.begin()

    answer = browser.client.post("/auth/signout", data={"csrf_token": token})

    # The 503 page; or, once the browser's cookie is cleared anyway (see the next test),
    # the redirect of a sign-out.
    if answer.status_code == 503:
        assert_unavailable_page(answer)
    else:
        assert answer.status_code == 302, answer.get_data(as_text=True)
    assert not [r for r in caplog.records if r.getMessage().startswith("Exception on ")]
    outage.end()
    assert browser.sign_out().status_code == 302
    assert browser.who() == "anonymous"


def test_signing_out_while_the_database_is_down_still_forgets_the_session_in_the_browser(
    build: Build, outage: Outage
) -> None:
    app, _ = build()
    browser = InProcessBrowser(app)
    assert browser.sign_in_with_dummy("sub-ada", ADA).status_code == 302
    token = browser.client.get("/auth/csrf").get_json()["csrfToken"]
    outage.begin()

    answer = browser.client.post("/auth/signout", data={"csrf_token": token})

    assert "Traceback" not in answer.get_data(as_text=True)
    assert clears_session(answer)
    outage.end()
    assert browser.who() == "anonymous"


@pytest.mark.parametrize(
    "pre_ping",
    [
        pytest.param(False, id="default-engine"),
        pytest.param(True, id="pool-pre-ping"),
    ],
)
def test_the_first_request_after_the_database_restarts_is_served(
    build: Build, outage: Outage, pre_ping: bool
) -> None:
    app, _ = build(SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": pre_ping})
    browser = InProcessBrowser(app)
    assert browser.sign_in_with_dummy("sub-ada", ADA).status_code == 302
    assert browser.client.get("/private").status_code == 200  # pooled connections in use

    outage.begin()  # a restart of the database while no request is under way
    outage.end()

    first = browser.client.get("/private")
    assert first.status_code == 200, first.get_data(as_text=True)
    assert browser.sign_out().status_code == 302


@pytest.mark.redis
def test_the_rate_limit_storage_going_away_is_a_503_and_sessions_still_work(
    build: Build, rows: Rows, smtp_server: MailServer, caplog: pytest.LogCaptureFixture
) -> None:
    reason = servers.server_binaries_missing("redis")
    if reason:
        servers.skip_or_fail(reason)
    redis = servers.start_redis()
    try:
        app, _ = build(AUTH_RATELIMIT_STORAGE_URI=redis.url)
        browser = InProcessBrowser(app)
        assert browser.sign_in_with_dummy("sub-ada", ADA).status_code == 302
        assert browser.ask_link("grace@example.com").status_code == 302
        tokens = rows.count("verification_tokens")
        caplog.set_level(logging.INFO)
    finally:
        redis.stop()

    answer = browser.ask_link("grace@example.com")

    assert_unavailable_page(answer)
    assert_handled(caplog)
    assert len(smtp_server.messages) == 1
    assert rows.count("verification_tokens") == tokens
    assert browser.client.get("/private").status_code == 200  # sessions do not need it


# =========================================================================== #
# The SMTP server silent (what tests/email_flow/test_mail_failures.py does not cover yet)
# =========================================================================== #


def _no_token_and_no_pending_cookie(answer: TestResponse, rows: Rows) -> None:
    body = answer.get_data(as_text=True)
    assert answer.status_code == 400, body
    assert "Unable to send the email" in body and "Traceback" not in body
    assert not any("authadapter.pending" in h for h in answer.headers.getlist("Set-Cookie"))
    assert rows.count("verification_tokens") == 0


def test_a_mail_server_silent_in_data_is_given_up_after_the_configured_timeout(
    build: Build, rows: Rows, smtp_server: MailServer
) -> None:
    app, _ = build(EMAIL_TIMEOUT=2)  # not the 1 s tests/email_flow/test_mail_failures.py uses
    smtp_server.mode = "hang"
    browser = InProcessBrowser(app)
    started = time.monotonic()

    answer = browser.ask_link(ADA)

    elapsed = time.monotonic() - started
    assert smtp_server.hung.is_set()
    assert 1.8 <= elapsed < 4.5, f"gave up after {elapsed:.2f}s, not about 2s"
    _no_token_and_no_pending_cookie(answer, rows)


def test_a_mail_server_that_never_greets_is_given_up_on_through_the_flow(
    build: Build, rows: Rows
) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)  # the kernel completes the connection; nobody ever speaks
        app, _ = build(MAIL_PORT=silent.getsockname()[1], EMAIL_TIMEOUT=1)
        browser = InProcessBrowser(app)
        started = time.monotonic()

        answer = browser.ask_link(ADA)

        elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 3.5, f"gave up after {elapsed:.2f}s"
    _no_token_and_no_pending_cookie(answer, rows)


# =========================================================================== #
# The OpenID provider slow
# =========================================================================== #


@pytest.fixture
def slow_provider() -> Iterator[SlowProvider]:
    """A provider of this test only, whose ``hold.path`` endpoint does not answer."""
    with run_mock_provider() as provider:
        hold = Hold(provider.recorder.app)
        provider.recorder.app = hold
        try:
            yield SlowProvider(provider, hold)
        finally:
            hold.released.set()


@pytest.mark.parametrize("timeout", [1.0, 2.0])
def test_a_slow_token_endpoint_ends_on_oauth_callback_error_after_the_timeout(
    slow_provider: SlowProvider, timeout: float
) -> None:
    app = oidc_app(slow_provider.provider.issuer, timeout=timeout)
    client, callback = approved_callback(slow_provider, app, f"slow-token-{timeout}")
    slow_provider.hold.path = "/oauth2/token"

    answer, elapsed = timed(lambda: client.get(callback), timeout + 2, slow_provider.hold)

    assert timeout * 0.9 <= elapsed < timeout + 1.5, elapsed
    assert_refused(answer, "OAuthCallbackError")


def test_the_default_timeout_is_ten_seconds(slow_provider: SlowProvider) -> None:
    assert OIDC("x", issuer="http://localhost").timeout == 10.0
    app = oidc_app(slow_provider.provider.issuer)
    client, callback = approved_callback(slow_provider, app, "slow-default")
    slow_provider.hold.path = "/oauth2/token"

    answer, elapsed = timed(lambda: client.get(callback), 12.5, slow_provider.hold)

    assert 9.5 <= elapsed < 11.5, elapsed
    assert_refused(answer, "OAuthCallbackError")


def test_a_slow_discovery_ends_on_oauth_signin_after_the_timeout(
    slow_provider: SlowProvider,
) -> None:
    app = oidc_app(slow_provider.provider.issuer, timeout=1.0)
    client = app.test_client()
    csrf = client.get("/auth/csrf").get_json()["csrfToken"]
    slow_provider.hold.path = "/.well-known/openid-configuration"

    answer, elapsed = timed(
        lambda: client.post("/auth/signin/mock", data={"csrf_token": csrf, "callback_url": "/"}),
        3.0,
        slow_provider.hold,
    )

    assert 0.9 <= elapsed < 2.5, elapsed
    assert_refused(answer, "OAuthSignin")


def test_a_slow_jwks_endpoint_ends_on_oauth_callback_error_after_the_timeout(
    slow_provider: SlowProvider,
) -> None:
    app = oidc_app(slow_provider.provider.issuer, timeout=1.0)
    client, callback = approved_callback(slow_provider, app, "slow-jwks")
    slow_provider.hold.path = "/jwks"

    answer, elapsed = timed(lambda: client.get(callback), 3.0, slow_provider.hold)

    assert 0.9 <= elapsed < 2.5, elapsed
    assert_refused(answer, "OAuthCallbackError")


def test_a_slow_userinfo_endpoint_ends_on_oauth_callback_error_after_the_timeout(
    slow_provider: SlowProvider,
) -> None:
    app = oidc_app(slow_provider.provider.issuer, timeout=1.0)
    client, callback = approved_callback(slow_provider, app, "slow-userinfo")
    slow_provider.hold.path = "/userinfo"

    answer, elapsed = timed(lambda: client.get(callback), 3.0, slow_provider.hold)

    assert 0.9 <= elapsed < 2.5, elapsed
    assert_refused(answer, "OAuthCallbackError")
    assert client.get("/auth/session").get_json() is None
