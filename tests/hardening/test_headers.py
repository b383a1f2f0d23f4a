"""The security headers of every response of the ``auth`` blueprint.

Every page, redirect, JSON answer, error page and static file of the blueprint, in each of
its outcomes (signed in and out, success and refusal, the email confirm page, "check your
email" with its code form, the account page, the form_post relay page, rate limited, storage
down), must send:

- ``Cache-Control: no-store``: they all show or set something personal (a CSRF token, a
  session cookie, an address, a sign-in link's token in the URL), so all of them;
- ``Referrer-Policy: no-referrer`` (or ``same-origin``): a confirm page's URL holds a token;
- ``X-Content-Type-Options: nosniff`` and ``X-Frame-Options: DENY``;
- on HTML: a restrictive ``Content-Security-Policy``: ``default-src 'none'``,
  ``frame-ancestors 'none'``, ``form-action 'self'`` (plus the configured providers'
  origins, on the pages whose forms start a sign-in), ``base-uri`` set, no ``'unsafe-*'``
  keyword and no wildcard (``*``, ``http:``, ``https:``, ``*.host``) anywhere, ``data:``
  only for images.

The OAuth 2 and OIDC providers point at a closed local port (an unreachable provider).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import TestResponse

from flask_authadapter.core.errors import StorageError
from flask_authadapter.core.models import Account, User
from flask_authadapter.core.tokens import new_token
from flask_authadapter.web.responses import ERROR_PAGES
from tests.hardening.headers_support import (
    PROVIDER,
    FailingStore,
    Site,
    assert_security_headers,
    make_site,
)


@pytest.fixture
def site() -> Site:
    return make_site()


# =========================================================================== #
# Every response, by route and outcome
# =========================================================================== #

Case = Callable[[Site], TestResponse]
CASES: dict[str, Case] = {}


def case(name: str) -> Callable[[Case], Case]:
    def register(fn: Case) -> Case:
        CASES[name] = fn
        return fn

    return register


# Pages ----------------------------------------------------------------------------------


@case("GET signin")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/signin?callback_url=/private")


@case("GET signin ?error=")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/signin?error=OAuthAccountNotLinked")


@case("GET signin, signed in")
def _(s: Site) -> TestResponse:
    return s.signed_in().get("/auth/signin")


@case("HEAD signin")
def _(s: Site) -> TestResponse:
    return s.client().head("/auth/signin")


@case("OPTIONS signin")
def _(s: Site) -> TestResponse:
    return s.client().options("/auth/signin")


@case("GET signin, app page (AUTH_PAGES)")
def _(s: Site) -> TestResponse:
    own = make_site(AUTH_PAGES={"signin": "/my-signin"})
    return own.client().get("/auth/signin?callback_url=/private")


@case("GET signout, signed out")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/signout")


@case("GET signout, signed in")
def _(s: Site) -> TestResponse:
    return s.signed_in().get("/auth/signout?callback_url=/private")


@case("POST signout")
def _(s: Site) -> TestResponse:
    return s.post(s.signed_in(), "/auth/signout")


@case("POST signout, no CSRF token")
def _(s: Site) -> TestResponse:
    return s.signed_in().post("/auth/signout")


@case("GET verify-request")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/verify-request")


@case("GET verify-request, code form (pending cookie)")
def _(s: Site) -> TestResponse:
    client = s.client()
    s.ask_for_link(client, "pending@example.com")
    return client.get("/auth/verify-request")


for _code in ERROR_PAGES:

    def _error(s: Site, code: str = _code) -> TestResponse:
        return s.client().get(f"/auth/error?error={code}")

    case(f"GET error ?error={_code}")(_error)


@case("GET error, unknown code")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/error?error=<script>")


# Email sign-in ------------------------------------------------------------------------------


@case("POST signin/email")
def _(s: Site) -> TestResponse:
    return s.ask_for_link(s.client(), "ada@example.com")


@case("POST signin/email, malformed address")
def _(s: Site) -> TestResponse:
    return s.ask_for_link(s.client(), "not an address")


@case("POST signin/email, no CSRF token")
def _(s: Site) -> TestResponse:
    return s.client().post("/auth/signin/email", data={"email": "ada@example.com"})


@case("POST signin/email, no CSRF token, JSON")
def _(s: Site) -> TestResponse:
    return s.client().post(
        "/auth/signin/email",
        data={"email": "ada@example.com"},
        headers={"Accept": "application/json"},
    )


@case("POST signin/email, from another site")
def _(s: Site) -> TestResponse:
    client = s.client()
    return s.post(
        client,
        "/auth/signin/email",
        {"email": "ada@example.com"},
        headers={"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"},
    )


@case("POST signin/email, rate limited (429)")
def _(s: Site) -> TestResponse:
    client = s.client()
    answers = [s.ask_for_link(client, "limited@example.com") for _ in range(4)]
    assert answers[-1].status_code == 429, [a.status_code for a in answers]
    assert "Retry-After" in answers[-1].headers
    return answers[-1]


@case("GET callback/email, the confirm page")
def _(s: Site) -> TestResponse:
    client = s.client()
    s.ask_for_link(client, "confirm@example.com")
    page = client.get(s.last_link())
    assert page.status_code == 200 and b"confirm@example.com" in page.data
    return page


@case("GET callback/email, malformed link")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/callback/email?token=x&email=a@b.co")


@case("POST callback/email, the link redeemed")
def _(s: Site) -> TestResponse:
    client = s.client()
    s.ask_for_link(client, "redeem@example.com")
    query = parse_qs(urlsplit(s.last_link()).query)
    form = {"token": query["token"][0], "email": query["email"][0], "callback_url": "/private"}
    answer = s.post(client, "/auth/callback/email", form)
    assert answer.status_code == 302 and "authadapter.session=" in str(answer.headers)
    return answer


@case("POST callback/email, the code typed")
def _(s: Site) -> TestResponse:
    client = s.client()
    s.ask_for_link(client, "code@example.com")
    answer = s.post(client, "/auth/callback/email", {"code": s.mails[-1].code})
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer


@case("POST callback/email, unknown token")
def _(s: Site) -> TestResponse:
    return s.post(
        s.client(), "/auth/callback/email", {"token": new_token(), "email": "ada@example.com"}
    )


@case("POST callback/email, wrong code, JSON")
def _(s: Site) -> TestResponse:
    client = s.client()
    s.ask_for_link(client, "wrong-code@example.com")
    return s.post(
        client,
        "/auth/callback/email",
        {"code": "AAAA-AAAA"},
        headers={"Accept": "application/json"},
    )


# OAuth / OIDC -----------------------------------------------------------------------------


@case("POST signin/dummy")
def _(s: Site) -> TestResponse:
    return s.post(s.client(), "/auth/signin/dummy", {"sub": "1"})


@case("POST signin/oauth, to the provider")
def _(s: Site) -> TestResponse:
    answer = s.post(s.client(), "/auth/signin/oauth", {"callback_url": "/private"})
    assert answer.status_code == 302 and answer.location.startswith(PROVIDER)
    return answer


@case("POST signin/oidc, provider unreachable")
def _(s: Site) -> TestResponse:
    return s.post(s.client(), "/auth/signin/oidc")


@case("POST signin/<unknown>")
def _(s: Site) -> TestResponse:
    return s.post(s.client(), "/auth/signin/nope")


@case("GET callback/dummy, signed in")
def _(s: Site) -> TestResponse:
    client = s.client()
    started = s.post(client, "/auth/signin/dummy", {"sub": "7", "email": "seven@example.com"})
    answer = client.get(started.location)
    assert answer.status_code == 302 and "authadapter.session=" in str(answer.headers)
    return answer


@case("GET callback/dummy, refused (no sub)")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/callback/dummy")


@case("GET callback/dummy, OAuthAccountNotLinked")
def _(s: Site) -> TestResponse:
    s.signed_in(sub="1", email="taken@example.com")
    client = s.client()
    started = s.post(client, "/auth/signin/dummy", {"sub": "2", "email": "taken@example.com"})
    answer = client.get(started.location)
    assert answer.status_code == 409
    return answer


@case("GET callback/oauth, access denied")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/callback/oauth?error=access_denied&state=x")


@case("GET callback/oauth, token endpoint unreachable")
def _(s: Site) -> TestResponse:
    client = s.client()
    started = s.post(client, "/auth/signin/oauth")
    state = parse_qs(urlsplit(started.location).query)["state"][0]
    answer = client.get(f"/auth/callback/oauth?code=c0de&state={state}")
    assert answer.status_code == 400
    return answer


@case("GET callback/oidc, provider unreachable")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/callback/oidc?code=c0de&state=x")


@case("POST callback/oauth, the form_post relay page")
def _(s: Site) -> TestResponse:
    answer = s.client().post("/auth/callback/oauth", data={"code": "c0de", "state": "s"})
    assert answer.status_code == 200 and b"auth-relay" in answer.data
    return answer


@case("POST callback/oauth, relayed")
def _(s: Site) -> TestResponse:
    return s.client().post(
        "/auth/callback/oauth", data={"code": "c0de", "state": "s", "_relayed": "1"}
    )


@case("GET callback/<unknown>")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/callback/nope")


# JSON -------------------------------------------------------------------------------------


@case("GET session, signed out")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/session")


@case("GET session, signed in")
def _(s: Site) -> TestResponse:
    return s.signed_in().get("/auth/session")


@case("GET session, storage down (503)")
def _(s: Site) -> TestResponse:
    client = s.signed_in()
    s.store.down = True
    answer = client.get("/auth/session")
    assert answer.status_code == 503
    return answer


@case("GET csrf")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/csrf")


@case("GET providers")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/providers")


@case("GET accounts, signed out, JSON (401)")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/accounts", headers={"Accept": "application/json"})


@case("GET accounts, signed out, page (redirect)")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/accounts")


@case("GET accounts, signed in")
def _(s: Site) -> TestResponse:
    return s.signed_in().get("/auth/accounts")


# The account page ----------------------------------------------------------------------------


@case("GET account, signed out (redirect)")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/account")


@case("GET account, signed in")
def _(s: Site) -> TestResponse:
    answer = s.signed_in().get("/auth/account?done=others-ended")
    assert answer.status_code == 200
    return answer


@case("GET account, storage down (503)")
def _(s: Site) -> TestResponse:
    client = s.signed_in()
    s.store.down = True
    answer = client.get("/auth/account")
    assert answer.status_code == 503
    return answer


@case("POST accounts/unlink, refused (409 page)")
def _(s: Site) -> TestResponse:
    client = s.signed_in(email=None)
    return s.post(
        client, "/auth/accounts/unlink", {"provider": "dummy", "provider_account_id": "1"}
    )


@case("POST accounts/unlink, refused (409 JSON)")
def _(s: Site) -> TestResponse:
    client = s.signed_in(email=None)
    return s.post(
        client,
        "/auth/accounts/unlink",
        {"provider": "dummy", "provider_account_id": "1"},
        headers={"Accept": "application/json"},
    )


@case("POST accounts/unlink, done")
def _(s: Site) -> TestResponse:
    client = s.signed_in()  # ada@example.com, with an email: the account is not the last way
    user = s.store.get_user_by_email("ada@example.com")
    assert user is not None and user.id is not None
    s.store.link_account(
        Account(user_id=user.id, type="oauth", provider="dummy", provider_account_id="extra")
    )
    answer = s.post(
        client, "/auth/accounts/unlink", {"provider": "dummy", "provider_account_id": "extra"}
    )
    assert answer.status_code == 302
    return answer


@case("POST account/sessions/end, another session")
def _(s: Site) -> TestResponse:
    s.signed_in()  # another browser of the same user
    return s.post(s.signed_in(), "/auth/account/sessions/end", {"session": "not-a-handle"})


@case("POST account/sessions/end, this session")
def _(s: Site) -> TestResponse:
    client = s.signed_in()
    page = client.get("/auth/account").get_data(as_text=True)
    handles = re.findall(r'name="session" value="([^"]+)"', page)
    assert handles, "no session form on the account page"
    return s.post(client, "/auth/account/sessions/end", {"session": handles[-1]})


@case("POST account/sessions/end-others")
def _(s: Site) -> TestResponse:
    return s.post(s.signed_in(), "/auth/account/sessions/end-others")


# Static files ---------------------------------------------------------------------------------


@case("GET static/auth.css")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/static/auth.css")


@case("GET static/relay.js")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/static/relay.js")


@case("GET static/<missing>")
def _(s: Site) -> TestResponse:
    return s.client().get("/auth/static/nope.css")


@pytest.mark.parametrize("name", list(CASES))
def test_every_blueprint_response_sends_the_security_headers(site: Site, name: str) -> None:
    response = CASES[name](site)
    assert (
        response.status_code < 500
        or response.status_code == 503
        or (
            name == "GET error ?error=Configuration"  # a 500 by design (core/errors.py)
        )
    ), response.status_code
    assert_security_headers(response)


def _rule_of(case_name: str) -> tuple[str, str]:
    """``"POST signin/email, no CSRF token"`` -> ``("POST", "signin/<provider_id>")``."""
    method, path = case_name.split(",")[0].split(" ")[:2]
    path = re.sub(r"^(signin|callback)/.*$", r"\1/<provider_id>", path)
    path = re.sub(r"^static/.*$", "static/<path:filename>", path)
    return method, path


def test_the_cases_cover_every_route_of_the_blueprint(site: Site) -> None:
    """Each route and method of the blueprint has a case above (a new route needs one)."""
    routes = {
        (method, rule.rule.removeprefix("/auth/"))
        for rule in site.app.url_map.iter_rules()
        if rule.endpoint.startswith("auth.")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    covered = {_rule_of(name) for name in CASES}
    assert routes <= covered, f"routes without a header case: {sorted(routes - covered)}"


# =========================================================================== #
# A response the blueprint's own hook never sees
# =========================================================================== #


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/auth/signin"),
        ("DELETE", "/auth/session"),
        ("POST", "/auth/csrf"),
        ("GET", "/auth/account/sessions/end"),
        ("PATCH", "/auth/callback/email"),
    ],
)
def test_a_405_from_a_blueprint_url_has_the_security_headers(
    site: Site, method: str, path: str
) -> None:
    """A method-not-allowed request is never routed to the blueprint (``request.url_rule``
    is None), so its after-request hook does not run: the app-level hook gives the 405 of
    a blueprint URL the same headers."""
    response = site.client().open(path, method=method)
    assert response.status_code == 405
    assert_security_headers(response)


def test_a_user_of_the_failing_store_is_found_when_it_is_up() -> None:
    """The helper store fails only when told to (so the 503 cases test what they claim)."""
    store = FailingStore()
    user = store.create_user(User(email="up@example.com"))
    assert store.get_user(user.id or "") is not None
    assert store.get_session_and_user("x") is None
    store.down = True
    with pytest.raises(StorageError):
        store.get_session_and_user("x")
