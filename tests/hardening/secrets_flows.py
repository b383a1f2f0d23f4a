"""The flows the secrets tests run, each registered in :data:`FLOWS` with the kinds of
secret it must meet and the loggers it must make log."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit
from uuid import uuid4

import sqlalchemy as sa
from flask import Flask
from werkzeug.test import TestResponse

from flask_authadapter.core.verification import CODE_ALPHABET
from flask_authadapter.ratelimit import EmailLimits
from tests.hardening.secrets_harness import (
    ACCESS,
    AUTH_CODE,
    AUTH_SECRET,
    CLIENT_SECRET,
    CODE,
    CSRF,
    DB_PASSWORD,
    FLOW_COOKIE,
    HIDDEN_FIELD,
    HOST,
    ID_TOKEN,
    LINK,
    NONCE,
    REFRESH,
    SECRET_KEY,
    SESSION,
    SESSION_COOKIE,
    SQL_LOGGER,
    STATE,
    VERIFIER,
    Harness,
)
from tests.mail import free_port
from tests.oidc import callback_target


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
    handle = dict(HIDDEN_FIELD.findall(page))["session"]
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
    assert_error(client.get(callback_target(location)), "Cancelled", 403)
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
