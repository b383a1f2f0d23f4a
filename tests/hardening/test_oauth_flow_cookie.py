"""The OAuth sign-in under way lives in the extension's own encrypted cookie, attacked.

Each test runs the real extension with :class:`~flask_authadapter.providers.OIDC` against the
real OpenID provider ``oidc-provider-mock`` (``tests/oidc.py``): the Flask test client is the
browser at the app, ``requests`` the person approving at the provider's page, and the app
talks to the provider over real HTTP. The apps have ``AUTH_SECRET`` and no ``SECRET_KEY``.

What must hold: no Flask session cookie is ever set; the flow cookie shows neither the
``state``, the ``nonce`` nor the PKCE ``code_verifier`` (not even once base64-decoded); a
changed byte, a flow of another provider and a flow over 10 minutes old are refused with the
``OAuthCallbackError`` page before the code is used; over HTTPS the cookie is
``__Host-``/Secure; it is HttpOnly and ``SameSite=Lax`` whatever ``AUTH_COOKIE_SAMESITE``.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit
from uuid import uuid4

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from flask_authadapter import Auth, current_user, login_required
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.providers import OIDC
from tests.oidc import MockProvider, callback_target

HOST = "app.example"
AUTH_SECRET = "flow-cookie-auth-secret-" + "f" * 32
FLOW_COOKIE = "authadapter.oauth-flow"


def make_site(
    issuer: str, *, base: str = f"http://{HOST}", clock: FrozenClock | None = None, **config: Any
) -> Flask:
    """The extension with two clients of the provider ("a" and "b"), AUTH_SECRET only."""
    app = Flask(__name__)
    app.config.update({"AUTH_SECRET": AUTH_SECRET, "AUTH_URL": base, **config})
    assert not app.config.get("SECRET_KEY")
    Auth(
        app,
        adapter=MemoryAdapter(),
        providers=[
            OIDC("a", issuer=issuer, client_id="client-a", client_secret="secret-a-" + "1" * 16),
            OIDC("b", issuer=issuer, client_id="client-b", client_secret="secret-b-" + "2" * 16),
        ],
        clock=clock,
    )

    @app.get("/private")
    @login_required
    def private() -> str:
        return f"private page of {current_user.email}"

    return app


class Browser:
    """A browser of the app (its cookies, every Set-Cookie header it received)."""

    def __init__(self, app: Flask, base: str = f"http://{HOST}") -> None:
        self.client: FlaskClient = app.test_client()
        self.base = base
        self.set_cookies: list[str] = []

    def open(self, path: str, method: str = "GET", **kwargs: Any) -> TestResponse:
        response = self.client.open(path, method=method, base_url=self.base, **kwargs)
        self.set_cookies += response.headers.getlist("Set-Cookie")
        return response

    def csrf(self) -> str:
        token: str = self.open("/auth/csrf").get_json()["csrfToken"]
        return token

    def begin(self, provider: str = "a") -> str:
        """``POST /auth/signin/<provider>``: the provider's authorization URL."""
        started = self.open(
            f"/auth/signin/{provider}",
            "POST",
            data={"csrf_token": self.csrf(), "callback_url": "/private"},
            headers={"Origin": self.base, "Sec-Fetch-Site": "same-origin"},
        )
        assert started.status_code == 302, started.get_data(as_text=True)
        return str(started.location)

    def flow_cookie(self) -> str:
        secure = self.base.startswith("https://")
        name = f"__Host-{FLOW_COOKIE}" if secure else FLOW_COOKIE
        cookie = self.client.get_cookie(name, domain=HOST)
        assert cookie is not None, self.set_cookies
        return cookie.value

    def replace_flow_cookie(self, value: str) -> None:
        self.client.set_cookie(FLOW_COOKIE, value, domain=HOST)

    def signed_in_as(self) -> str | None:
        data = self.open("/auth/session").get_json()
        return None if data is None else str(data["user"]["email"])


@pytest.fixture
def person(oidc_provider: MockProvider) -> tuple[str, str]:
    """A person at the provider: ``(sub, email)``."""
    sub = f"flow-{uuid4().hex}"
    email = f"{sub}@example.com"
    oidc_provider.set_user(sub, email=email, email_verified=True, name="Ada")
    return sub, email


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query, keep_blank_values=True))


def assert_refused(response: TestResponse) -> None:
    body = response.get_data(as_text=True)
    assert response.status_code == 400, body
    assert "<code>OAuthCallbackError</code>" in body, body
    assert "Location" not in response.headers
    assert "Traceback" not in body


def cookie_attributes(headers: list[str], name: str) -> dict[str, Any]:
    """The attributes of the last Set-Cookie of ``name`` that sets a value."""
    found: dict[str, Any] = {}
    for header in headers:
        cookie: SimpleCookie = SimpleCookie()
        cookie.load(header)
        if name in cookie and cookie[name].value:
            morsel = cookie[name]
            found = {key: morsel[key] for key in morsel if morsel[key]}
            found["raw"] = header
    assert found, f"no {name} cookie in {headers}"
    return found


def decodings(value: str) -> Iterator[bytes]:
    """``value`` and every base64 decoding of it and of its dot-separated parts."""
    yield value.encode()
    for part in [value, *value.split(".")]:
        for offset in range(4):  # any alignment of a base64 run inside the part
            chunk = part[offset:]
            for decode in (base64.urlsafe_b64decode, base64.b64decode):
                with contextlib.suppress(binascii.Error, ValueError):
                    yield decode(chunk + "=" * (-len(chunk) % 4))


# =========================================================================== #
# AUTH_SECRET alone; nothing in Flask's session
# =========================================================================== #


def test_an_oauth_sign_in_with_auth_secret_alone_sets_no_flask_session_cookie(
    oidc_provider: MockProvider, person: tuple[str, str]
) -> None:
    sub, email = person
    browser = Browser(make_site(oidc_provider.issuer))
    location = oidc_provider.approve(browser.begin(), sub)

    landed = browser.open(callback_target(location))

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert landed.location == "/private"
    assert browser.signed_in_as() == email
    names = {header.split("=", 1)[0] for header in browser.set_cookies}
    assert FLOW_COOKIE in names
    assert "session" not in names, browser.set_cookies  # Flask's session cookie
    assert browser.client.get_cookie("session", domain=HOST) is None
    assert browser.client.get_cookie(FLOW_COOKIE, domain=HOST) is None  # the flow is over


# =========================================================================== #
# What the cookie shows, and a changed byte
# =========================================================================== #


def test_the_flow_cookie_shows_no_state_nonce_or_code_verifier(
    oidc_provider: MockProvider, person: tuple[str, str]
) -> None:
    sub, _ = person
    browser = Browser(make_site(oidc_provider.issuer))
    authorize = browser.begin()
    sealed = browser.flow_cookie()
    location = oidc_provider.approve(authorize, sub)
    assert browser.open(callback_target(location)).status_code == 302
    (exchange,) = oidc_provider.token_requests(query(location)["code"])
    secrets = {
        "state": query(authorize)["state"],
        "nonce": query(authorize)["nonce"],
        "code_verifier": exchange.form["code_verifier"],
    }
    assert all(len(value) >= 16 for value in secrets.values()), secrets

    for decoded in decodings(sealed):
        for what, value in secrets.items():
            assert value.encode() not in decoded, f"the {what} shows in the flow cookie"
            assert base64.urlsafe_b64encode(value.encode()).rstrip(b"=")[:16] not in decoded


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_a_flow_cookie_with_a_changed_byte_is_refused(
    oidc_provider: MockProvider, person: tuple[str, str], where: str
) -> None:
    sub, _ = person
    browser = Browser(make_site(oidc_provider.issuer))
    location = oidc_provider.approve(browser.begin(), sub)
    sealed = browser.flow_cookie()
    head = sealed.rindex(".") + 1  # the sealed body, after "faa1.<key id>."
    index = {"first": head, "middle": (head + len(sealed)) // 2, "last": len(sealed) - 1}[where]
    changed = sealed[:index] + ("A" if sealed[index] != "A" else "B") + sealed[index + 1 :]
    browser.replace_flow_cookie(changed)

    answer = browser.open(callback_target(location))

    assert_refused(answer)
    assert browser.signed_in_as() is None
    assert oidc_provider.token_requests(query(location)["code"]) == []  # the code unused


# =========================================================================== #
# The cookie's attributes
# =========================================================================== #


def test_over_https_the_flow_cookie_is_host_prefixed_secure_httponly_lax(
    oidc_provider: MockProvider, person: tuple[str, str]
) -> None:
    sub, email = person
    base = f"https://{HOST}"
    browser = Browser(make_site(oidc_provider.issuer, base=base), base=base)
    location = oidc_provider.approve(browser.begin(), sub)

    cookie = cookie_attributes(browser.set_cookies, f"__Host-{FLOW_COOKIE}")
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["path"] == "/"
    assert "domain" not in cookie
    assert cookie["samesite"] == "Lax"
    assert cookie["expires"]  # it expires with the flow
    assert not any(header.startswith(f"{FLOW_COOKIE}=") for header in browser.set_cookies)

    landed = browser.open(callback_target(location, base))
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert browser.signed_in_as() == email


@pytest.mark.parametrize(
    ("samesite", "base"),
    [("Lax", "http"), ("Strict", "http"), ("None", "https")],
)
def test_the_flow_cookie_is_lax_whatever_auth_cookie_samesite(
    oidc_provider: MockProvider, samesite: str, base: str
) -> None:
    url = f"{base}://{HOST}"
    browser = Browser(make_site(oidc_provider.issuer, base=url, AUTH_COOKIE_SAMESITE=samesite), url)
    browser.begin()
    name = f"__Host-{FLOW_COOKIE}" if base == "https" else FLOW_COOKIE
    assert cookie_attributes(browser.set_cookies, name)["samesite"] == "Lax"
    csrf = "__Host-authadapter.csrf" if base == "https" else "authadapter.csrf"
    assert cookie_attributes(browser.set_cookies, csrf)["samesite"] == samesite


# =========================================================================== #
# Another provider's flow; an old one
# =========================================================================== #


def test_a_flow_cookie_of_provider_a_is_refused_at_provider_bs_callback(
    oidc_provider: MockProvider, person: tuple[str, str]
) -> None:
    """The victim's browser holds a flow begun with "a". The attacker gets a code from "b"
    whose authorization carries that flow's state and nonce (so only the cookie's binding to
    its provider can tell) and sends the victim to b's callback with it: refused, unused."""
    sub, _ = person
    app = make_site(oidc_provider.issuer)
    victim = Browser(app)
    flow_a = query(victim.begin("a"))
    attacker = Browser(app)
    authorize_b = attacker.begin("b")
    params_b = {**query(authorize_b), "state": flow_a["state"], "nonce": flow_a["nonce"]}
    forged = f"{authorize_b.split('?')[0]}?{urlencode(params_b)}"
    location = oidc_provider.approve(forged, sub)
    assert urlsplit(location).path == "/auth/callback/b"
    assert query(location)["state"] == flow_a["state"]

    answer = victim.open(callback_target(location))

    assert_refused(answer)
    assert victim.signed_in_as() is None
    assert oidc_provider.token_requests(query(location)["code"]) == []


@pytest.mark.parametrize(("seconds", "accepted"), [(599, True), (601, False)])
def test_a_flow_cookie_over_10_minutes_old_is_refused(
    oidc_provider: MockProvider, person: tuple[str, str], seconds: int, accepted: bool
) -> None:
    sub, email = person
    clock = FrozenClock()
    browser = Browser(make_site(oidc_provider.issuer, clock=clock))
    location = oidc_provider.approve(browser.begin(), sub)
    clock.advance(seconds=seconds)  # the browser kept the cookie (its own clock may differ)

    answer = browser.open(callback_target(location))

    if accepted:
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert browser.signed_in_as() == email
    else:
        assert_refused(answer)
        assert browser.signed_in_as() is None
        assert oidc_provider.token_requests(query(location)["code"]) == []


def test_a_flow_sealed_before_a_secret_rotation_still_signs_in(
    oidc_provider: MockProvider, person: tuple[str, str]
) -> None:
    """The old secret in AUTH_SECRET_FALLBACKS still opens a flow begun before the rotation;
    without it the flow is refused."""
    sub, email = person
    before = Browser(make_site(oidc_provider.issuer))
    location = oidc_provider.approve(before.begin(), sub)
    sealed = before.flow_cookie()
    new_secret = "rotated-auth-secret-" + "r" * 32

    forgotten = Browser(make_site(oidc_provider.issuer, AUTH_SECRET=new_secret))
    forgotten.replace_flow_cookie(sealed)
    assert_refused(forgotten.open(callback_target(location)))

    location = oidc_provider.approve(before.begin(), sub)
    rotated = Browser(
        make_site(oidc_provider.issuer, AUTH_SECRET=new_secret, AUTH_SECRET_FALLBACKS=[AUTH_SECRET])
    )
    rotated.replace_flow_cookie(before.flow_cookie())
    landed = rotated.open(callback_target(location))
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert rotated.signed_in_as() == email
