"""OpenID Connect sign-ins that must fail: declined, replayed, forged, late or incomplete
callbacks, an unreachable provider; and no secret in the logs."""

from __future__ import annotations

import logging
from urllib.parse import urlencode

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.testing import SQLAlchemyRawStore
from tests.apps import csrf_from
from tests.mail import free_port
from tests.oidc import (
    MockProvider,
    callback_target,
    run_mock_provider,
)
from tests.providers.oidc_flow.support import (
    CLIENT_ID,
    CLIENT_SECRET,
    CLIENT_SECRET_2,
    NewPerson,
    assert_error_page,
    begin,
    counted,
    counts,
    make_site,
    query,
    refused_records,
    session_user,
    tokens_of,
)

# =========================================================================== #
# The person declines; the callback is replayed, forged, late or incomplete
# =========================================================================== #


def test_denying_consent_says_the_sign_in_was_cancelled(
    client: FlaskClient,
    oidc_provider: MockProvider,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    location = oidc_provider.deny(begin(client))
    assert query(location)["error"] == "access_denied"

    answer = client.get(callback_target(location))

    assert_error_page(answer, "Cancelled", 403)
    assert "You do not have permission" not in answer.get_data(as_text=True)
    assert counts(raw) == counted()
    assert session_user(client) is None
    assert refused_records(caplog, "Cancelled")


def test_a_replayed_callback_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client), sub)
    assert client.get(callback_target(location)).status_code == 302
    user = session_user(client)

    again = client.get(callback_target(location))

    assert_error_page(again, "OAuthCallbackError", 400)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert session_user(client) == user  # still signed in, once
    assert len(oidc_provider.token_requests(query(location)["code"])) == 1


def test_a_replayed_callback_with_the_old_cookies_is_refused(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    """Even a browser that kept the cookies of the flow (state and all) cannot sign in twice
    with one authorization: the provider's code is single use."""
    sub, _ = new_person()
    client = app.test_client()
    location = oidc_provider.approve(begin(client), sub)
    kept = {
        name: client.get_cookie(name, domain="app.example") for name in ("authadapter.oauth-flow",)
    }
    assert all(kept.values())
    assert client.get(callback_target(location)).status_code == 302

    replayer = app.test_client()
    for name, cookie in kept.items():
        assert cookie is not None
        replayer.set_cookie(name, cookie.value, domain="app.example")
    again = replayer.get(callback_target(location))

    assert_error_page(again, "OAuthCallbackError", 400)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert session_user(replayer) is None


def test_a_tampered_state_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client), sub)
    params = query(location)
    state = params["state"]
    params["state"] = state[:-1] + ("A" if state[-1] != "A" else "B")

    answer = client.get(f"/auth/callback/mock?{urlencode(params)}")

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert oidc_provider.token_requests(params["code"]) == []  # the code was not even used


def test_the_callback_in_another_browser_is_refused(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, _ = new_person()
    location = oidc_provider.approve(begin(app.test_client()), sub)

    other_browser = app.test_client()
    answer = other_browser.get(callback_target(location))

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert session_user(other_browser) is None
    assert oidc_provider.token_requests(query(location)["code"]) == []


def test_a_callback_at_another_providers_url_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    """A code and state issued for "mock" sent to "mock2"'s callback (a mix-up): refused,
    although the flow cookie's state matches."""
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client, "mock"), sub)
    target = callback_target(location).replace("/callback/mock?", "/callback/mock2?")

    answer = client.get(target)

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert oidc_provider.token_requests(query(location)["code"]) == []


@pytest.mark.parametrize(
    ("seconds_later", "status"),
    [(590, 302), (601, 400)],
    ids=["after-590s-signs-in", "after-601s-refused"],
)
def test_the_callback_is_accepted_for_10_minutes(
    adapter: SQLAlchemyAdapter,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
    seconds_later: int,
    status: int,
) -> None:
    clock = FrozenClock()
    client = make_site(adapter, oidc_provider.issuer, clock=clock).test_client()
    sub, _ = new_person()
    location = oidc_provider.approve(begin(client), sub)
    # The flow cookie holds the time it began (sealed): move the app's clock, and only it.
    clock.advance(seconds=seconds_later)

    answer = client.get(callback_target(location))

    if status == 302:
        assert answer.status_code == 302, answer.get_data(as_text=True)
        assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    else:
        assert_error_page(answer, "OAuthCallbackError", 400)
        assert counts(raw) == counted()
        assert oidc_provider.token_requests(query(location)["code"]) == []


def test_a_callback_without_a_code_is_refused(
    client: FlaskClient, oidc_provider: MockProvider, raw: SQLAlchemyRawStore
) -> None:
    state = query(begin(client))["state"]

    answer = client.get(f"/auth/callback/mock?{urlencode({'state': state})}")

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()


def test_a_provider_error_at_the_callback_is_refused(
    client: FlaskClient,
    oidc_provider: MockProvider,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="flask_authadapter")
    state = query(begin(client))["state"]

    answer = client.get(
        "/auth/callback/mock?"
        + urlencode({"error": "server_error", "error_description": "boom", "state": state})
    )

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert refused_records(caplog, "OAuthCallbackError")


# =========================================================================== #
# The provider is unreachable, or goes away mid-flow
# =========================================================================== #


def test_an_unreachable_provider_ends_on_oauth_signin(
    adapter: SQLAlchemyAdapter,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    app = make_site(adapter, f"http://localhost:{free_port()}")
    client = app.test_client()
    csrf = csrf_from(client)

    answer = client.post("/auth/signin/mock", data={"csrf_token": csrf, "callback_url": "/"})

    assert_error_page(answer, "OAuthSignin", 400)
    assert client.get_cookie("authadapter.oauth-flow", domain="app.example") is None
    assert counts(raw) == counted()
    ours = [r for r in caplog.records if r.name == "flask_authadapter"]
    assert any(r.levelno == logging.ERROR and "mock" in r.getMessage() for r in ours), ours
    assert all(r.exc_info is None and r.exc_text is None for r in caplog.records)


def test_a_provider_that_goes_away_before_the_callback_ends_on_oauth_callback_error(
    adapter: SQLAlchemyAdapter,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    with run_mock_provider() as leaving:
        app = make_site(adapter, leaving.issuer)
        client = app.test_client()
        sub = "leaving-user"
        leaving.set_user(sub, email="leaving@example.com", email_verified=True)
        location = leaving.approve(begin(client), sub)
    # The provider has stopped: its port is closed.

    answer = client.get(callback_target(location))

    assert_error_page(answer, "OAuthCallbackError", 400)
    assert counts(raw) == counted()
    assert session_user(client) is None
    assert refused_records(caplog, "OAuthCallbackError")
    assert all(r.exc_info is None for r in caplog.records if r.name == "flask_authadapter")


def _other_worker(adapter: SQLAlchemyAdapter, issuer: str, client: FlaskClient) -> FlaskClient:
    """A browser of ``client``'s cookies on a second instance of the app (another worker
    process, or the app restarted): nothing in memory is shared, only the database."""
    other = make_site(adapter, issuer).test_client()
    for name in ("authadapter.oauth-flow",):  # the flow: state, nonce, verifier
        cookie = client.get_cookie(name, domain="app.example")
        if cookie is not None:
            other.set_cookie(name, cookie.value, domain="app.example")
    return other


def test_the_callback_can_reach_another_worker(
    app: Flask,
    adapter: SQLAlchemyAdapter,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    sub, email = new_person()
    client = app.test_client()
    location = oidc_provider.approve(begin(client), sub)

    other = _other_worker(adapter, oidc_provider.issuer, client)
    landed = other.get(callback_target(location))

    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    assert (session_user(other) or {}).get("email") == email


def test_a_provider_gone_at_the_callback_on_another_worker_is_an_oauth_callback_error(
    adapter: SQLAlchemyAdapter,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
) -> None:
    with run_mock_provider() as leaving:
        app = make_site(adapter, leaving.issuer)
        client = app.test_client()
        leaving.set_user("leaving-2", email="leaving2@example.com", email_verified=True)
        location = leaving.approve(begin(client), "leaving-2")
        other = _other_worker(adapter, leaving.issuer, client)

    answer = other.get(callback_target(location))

    assert counts(raw) == counted()
    assert_error_page(answer, "OAuthCallbackError", 400)


# =========================================================================== #
# No secret in the logs; none on the command line
# =========================================================================== #

#: Loggers of the provider's side (the mock logs the tokens it issues, as a server may).
_PROVIDER_LOGGERS = ("oidc_provider_mock", "authlib.oauth2.rfc6749", "werkzeug")


def test_no_token_code_verifier_or_secret_is_logged_during_a_whole_flow(
    app: Flask,
    oidc_provider: MockProvider,
    new_person: NewPerson,
    raw: SQLAlchemyRawStore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    sub, _ = new_person()
    secrets: dict[str, str] = {"client secret": CLIENT_SECRET, "client secret 2": CLIENT_SECRET_2}
    for attempt in range(2):  # a first sign-in, and a second one that updates the tokens
        client = app.test_client()
        location = oidc_provider.approve(begin(client), sub)
        code = query(location)["code"]
        assert client.get(callback_target(location)).status_code == 302
        (exchange,) = oidc_provider.token_requests(code)
        secrets[f"code {attempt}"] = code
        secrets[f"code_verifier {attempt}"] = exchange.form["code_verifier"]
        for name in ("access_token", "refresh_token", "id_token"):
            secrets[f"{name} {attempt}"] = exchange.body[name]
    assert tokens_of(app, sub).access_token == secrets["access_token 1"]

    ours = [r for r in caplog.records if not r.name.startswith(_PROVIDER_LOGGERS)]
    # The client side of Authlib is captured (it is what logs the code_verifier).
    assert any(r.name.startswith("authlib.integrations") for r in ours), {r.name for r in ours}
    for record in ours:
        text = " ".join(
            [record.getMessage(), repr(record.args), repr(record.__dict__), record.exc_text or ""]
        )
        for what, value in secrets.items():
            assert value not in text, f"the {what} is in a log record of {record.name}"


def test_flask_auth_providers_masks_the_client_secret(
    app: Flask, oidc_provider: MockProvider
) -> None:
    result = app.test_cli_runner().invoke(args=["auth", "providers"])

    assert result.exit_code == 0, result.output
    assert "mock  (oidc)" in result.output
    assert f"client_id: {CLIENT_ID}" in result.output
    assert f"{oidc_provider.issuer}/.well-known/openid-configuration" in result.output
    assert CLIENT_SECRET not in result.output
    assert CLIENT_SECRET_2 not in result.output
    assert CLIENT_SECRET[:-4] not in result.output
    assert f"client_secret: ********{CLIENT_SECRET[-4:]}" in result.output
