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

import logging
import re
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest
import sqlalchemy as sa
from sqlalchemy import Engine

import flask_authadapter.core.tokens as tokens_module
from flask_authadapter import account_tokens
from flask_authadapter.core.sealing import is_sealed
from tests.hardening.secrets_flows import (
    FLOWS,
)
from tests.hardening.secrets_harness import (
    ACCESS,
    AUTH_CODE,
    AUTH_SECRET,
    CLIENT_SECRET,
    CODE,
    CSRF,
    DEBUG_LOGGERS,
    GENERATED,
    HOST,
    ID_TOKEN,
    LINK,
    NONCE,
    OAUTH_TOKENS,
    REFRESH,
    SECRET_KEY,
    SESSION,
    SESSION_COOKIE,
    SQL,
    SQL_LOGGER,
    STATE,
    VERIFIER,
    Harness,
    Seen,
    record_text,
    sha256_hex,
)
from tests.mail import MailServer

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
    assert stored_keys == {sha256_hex(c.value) for c in cookies if c is not None}
    tokens = rows["verification_tokens"]
    assert len(tokens) == 2 * len(pending)  # a link and a code for each waiting address
    for row in tokens:
        assert re.fullmatch(r"[0-9a-f]{64}", row["token"]), row
    # The hash of a token is no better than the token: neither may be stored.
    assert not {sha256_hex(t) for t in harness.secrets[LINK]} & {r["token"] for r in tokens}

    dump = repr(rows)
    kinds = harness.classified()
    assert kinds[ACCESS] and kinds[REFRESH] and kinds[ID_TOKEN]
    for kind in (SESSION, LINK, CODE, CSRF, STATE, NONCE, AUTH_CODE, VERIFIER, GENERATED):
        for value in kinds.get(kind, ()):
            assert value not in dump, f"a {kind} is stored as such"
    for kind in OAUTH_TOKENS:
        for value in kinds[kind]:
            assert value not in dump, f"an {kind} is stored as such"
            assert sha256_hex(value) not in dump, f"the hash of an {kind} is stored"
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
