"""The apps the bad-input tests fuzz (one per store, with every kind of provider), and the
routes of the ``auth`` blueprint with what each may legitimately do."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from flask import Flask, got_request_exception

from flask_authadapter.core.models import Account, User
from flask_authadapter.providers import OIDC, Email, OAuth2
from flask_authadapter.providers.email import SignInEmail
from flask_authadapter.state import AuthState
from tests.apps import DummyProvider, make_app
from tests.mail import free_port

# =========================================================================== #
# The apps under test
# =========================================================================== #


PROVIDER_HOST = f"127.0.0.1:{free_port()}"
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
