"""The sign-in rules, callbacks and redirects, through the real blueprint and a real database.

The "provider" is :class:`~tests.apps.DummyProvider`; everything after it (the rules, the
storage on SQLite and PostgreSQL, the sessions, the cookies) is the real extension.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from flask_authadapter import Auth, account_tokens
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.account_tokens import token_sealer
from flask_authadapter.core.sealing import is_sealed
from flask_authadapter.errors import StorageError
from flask_authadapter.signals import account_linked, user_created
from flask_authadapter.testing import KINDS, SQLAlchemyRawStore
from flask_authadapter.web.responses import ERROR_PAGES
from tests.apps import DummyProvider, csrf_from, dummy_sign_in, make_app

# =========================================================================== #
# A real database per backend for the module; empty tables for each test.
# =========================================================================== #
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401


def counts(raw: SQLAlchemyRawStore) -> dict[str, int]:
    return {kind: raw.count(kind) for kind in KINDS}


def counted(users: int = 0, accounts: int = 0, sessions: int = 0) -> dict[str, int]:
    return {"users": users, "accounts": accounts, "sessions": sessions, "verification_tokens": 0}


# =========================================================================== #
# Apps and browsers
# =========================================================================== #


@pytest.fixture
def app_auth(adapter: SQLAlchemyAdapter) -> tuple[Flask, Auth]:
    return make_app(
        adapter,
        providers=[
            DummyProvider("dummy"),
            DummyProvider("other"),
            DummyProvider("trusting", allow_dangerous_email_account_linking=True),
        ],
    )


@pytest.fixture
def app(app_auth: tuple[Flask, Auth]) -> Flask:
    return app_auth[0]


@pytest.fixture
def auth(app_auth: tuple[Flask, Auth]) -> Auth:
    return app_auth[1]


def session_user(client: FlaskClient) -> dict[str, Any] | None:
    data = client.get("/auth/session").json
    return None if data is None else data["user"]


def assert_not_linked_page(response: Response) -> None:
    assert response.status_code == 409, response.get_data(as_text=True)
    assert "<code>OAuthAccountNotLinked</code>" in response.get_data(as_text=True)
    assert "Location" not in response.headers


def start(client: FlaskClient, provider: str = "dummy", **form: str) -> Response:
    """POST /auth/signin/<provider> with a valid CSRF token; returns the redirect."""
    started = client.post(
        f"/auth/signin/{provider}", data={"csrf_token": csrf_from(client), **form}
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    return started


def sign_out(client: FlaskClient, callback_url: str | None = None) -> Response:
    form = {"csrf_token": csrf_from(client, "/auth/signout")}
    if callback_url is not None:
        form["callback_url"] = callback_url
    return client.post("/auth/signout", data=form)


# =========================================================================== #
# The sign-in rules
# =========================================================================== #


def test_a_first_sign_in_creates_the_user_and_the_account(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    created: list[Any] = []
    client = app.test_client()
    with user_created.connected_to(lambda sender, user, **_: created.append(user)):
        landed = dummy_sign_in(client, sub="s-1", email="ada@example.com", callback_url="/private")
    assert landed.status_code == 302 and landed.location == "/private"
    assert client.get("/private").get_data(as_text=True) == "private page of ada@example.com"
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)
    user = session_user(client)
    assert user is not None and user["email"] == "ada@example.com"
    account = raw.account("dummy", "s-1")
    assert account is not None
    assert str(account["user_id"]) == user["id"]
    assert is_sealed(account["access_token"])  # stored sealed, read in plain text
    with app.app_context():
        opened = account_tokens("dummy", "s-1")
    assert opened is not None and opened.access_token == "access-s-1"
    assert account["type"] == "oauth"
    assert [u.id for u in created] == [user["id"]]
    stored = raw.user(user["id"])
    assert stored is not None and stored["email_verified"] is not None  # the provider vouched


def test_a_first_sign_in_with_an_unverified_email_stores_no_address(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    client = app.test_client()
    landed = dummy_sign_in(client, sub="s-1", email="ada@example.com", verified=False)
    assert landed.status_code == 302 and landed.location == "/private"
    user = session_user(client)
    assert user is not None and user["email"] is None
    stored = raw.user(user["id"])
    assert stored is not None and (stored["email"], stored["email_verified"]) == (None, None)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)


def test_an_oauth_email_is_stored_normalised(app: Flask, raw: SQLAlchemyRawStore) -> None:
    client = app.test_client()
    dummy_sign_in(client, sub="s-1", email=" Ada@Example.COM")
    user = session_user(client)
    assert user is not None
    stored = raw.user(user["id"])
    assert stored is not None and stored["email"] == "ada@example.com"


def test_a_verified_first_sign_in_marks_the_email_verified(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    client = app.test_client()
    dummy_sign_in(client, verified=True)
    user = session_user(client)
    assert user is not None
    stored = raw.user(user["id"])
    assert stored is not None and stored["email_verified"] is not None


def test_a_second_sign_in_finds_the_user_and_refreshes_the_tokens(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    first = app.test_client()
    dummy_sign_in(first, sub="s-1")
    user = session_user(first)
    assert user is not None

    second = app.test_client()  # another browser, later
    started = start(second, sub="s-1", email="ada@example.com")
    landed = second.get(started.location + "&access_token=fresh-token")
    assert landed.status_code == 302
    assert session_user(second) == user
    assert counts(raw) == counted(users=1, accounts=1, sessions=2)
    with app.app_context():
        opened = account_tokens("dummy", "s-1")
    assert opened is not None and opened.access_token == "fresh-token"


OLD_SECRET = "old-secret-" + "o" * 40
NEW_SECRET = "new-secret-" + "n" * 40


def test_a_sign_in_seals_again_the_stored_tokens_it_does_not_replace(
    adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    # Before a rotation: the account's tokens sealed under the old secret, and one still in
    # plain text from before tokens were sealed.
    old_app, _ = make_app(adapter, AUTH_SECRET=OLD_SECRET)
    dummy_sign_in(old_app.test_client(), sub="s-1")
    adapter.update_account("dummy", "s-1", refresh_token="refresh-from-before")
    # After it: the dummy provider sends a fresh access token, but no refresh token.
    app, _ = make_app(adapter, AUTH_SECRET=NEW_SECRET, AUTH_SECRET_FALLBACKS=[OLD_SECRET])
    dummy_sign_in(app.test_client(), sub="s-1")

    stored = raw.account("dummy", "s-1")
    assert stored is not None
    new_only = token_sealer([NEW_SECRET])
    for name in ("access_token", "refresh_token"):
        assert not new_only.needs_resealing(stored[name]), name
    with app.app_context():
        opened = account_tokens("dummy", "s-1")
    assert opened is not None
    assert (opened.access_token, opened.refresh_token) == ("access-s-1", "refresh-from-before")


def test_signing_in_again_in_the_same_browser_replaces_its_session(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    client = app.test_client()
    dummy_sign_in(client, sub="s-1")
    old = client.get_cookie("authadapter.session")
    dummy_sign_in(client, sub="s-1")
    new = client.get_cookie("authadapter.session")
    assert old is not None and new is not None and old.value != new.value
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)


def test_a_signed_in_user_links_a_second_provider(app: Flask, raw: SQLAlchemyRawStore) -> None:
    linked: list[Any] = []
    client = app.test_client()
    dummy_sign_in(client, sub="s-1", email="ada@example.com")
    user = session_user(client)
    assert user is not None
    with account_linked.connected_to(lambda sender, account, **_: linked.append(account)):
        landed = dummy_sign_in(client, provider="other", sub="o-9", email="ada@elsewhere.example")
    assert landed.status_code == 302 and landed.location == "/private"
    assert session_user(client) == user  # the same user, whose email did not change
    assert counts(raw) == counted(users=1, accounts=2, sessions=1)
    for provider, sub in (("dummy", "s-1"), ("other", "o-9")):
        account = raw.account(provider, sub)
        assert account is not None and str(account["user_id"]) == user["id"]
    assert [(a.provider, a.provider_account_id) for a in linked] == [("other", "o-9")]
    # Either account now signs the user in.
    fresh = app.test_client()
    dummy_sign_in(fresh, provider="other", sub="o-9", email="ada@elsewhere.example")
    assert session_user(fresh) == user


def test_an_account_of_another_user_cannot_be_linked(app: Flask, raw: SQLAlchemyRawStore) -> None:
    alice = app.test_client()
    dummy_sign_in(alice, provider="other", sub="a-1", email="alice@example.com")
    bob = app.test_client()
    dummy_sign_in(bob, sub="b-1", email="bob@example.com")
    bob_user = session_user(bob)
    before = counts(raw)
    assert before == counted(users=2, accounts=2, sessions=2)

    refused = bob.get(start(bob, "other", sub="a-1", email="alice@example.com").location)

    assert_not_linked_page(refused)
    assert counts(raw) == before
    account = raw.account("other", "a-1")
    assert account is not None and str(account["user_id"]) == session_user(alice)["id"]  # type: ignore[index]
    assert session_user(bob) == bob_user  # still signed in as Bob


def test_an_email_collision_is_refused(app: Flask, raw: SQLAlchemyRawStore) -> None:
    dummy_sign_in(app.test_client(), sub="s-1", email="ada@example.com")
    before = counts(raw)
    client = app.test_client()
    refused = client.get(start(client, "other", sub="o-1", email="ada@example.com").location)
    assert_not_linked_page(refused)
    assert counts(raw) == before
    assert raw.account("other", "o-1") is None
    assert session_user(client) is None


def test_an_email_collision_differing_in_case_is_refused(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    """Otherwise a second user gets the same address and the collision rule is bypassed."""
    dummy_sign_in(app.test_client(), sub="s-1", email="ada@example.com")
    client = app.test_client()
    refused = client.get(start(client, "other", sub="o-1", email="ADA@Example.com").location)
    assert_not_linked_page(refused)
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)


def test_an_email_collision_is_refused_even_when_verified_unless_the_provider_trusts(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    dummy_sign_in(app.test_client(), sub="s-1", email="ada@example.com")
    client = app.test_client()
    started = start(client, "other", sub="o-1", email="ada@example.com", verified="1")
    assert_not_linked_page(client.get(started.location))
    assert raw.account("other", "o-1") is None


@pytest.mark.parametrize("verified", [True, False], ids=["verified", "unverified"])
def test_a_trusting_provider_links_by_email_only_when_verified(
    app: Flask, raw: SQLAlchemyRawStore, verified: bool
) -> None:
    owner = app.test_client()
    dummy_sign_in(owner, sub="s-1", email="ada@example.com")
    owner_user = session_user(owner)
    client = app.test_client()
    form = {"sub": "t-1", "email": "ada@example.com", "verified": "1" if verified else "0"}
    response = client.get(start(client, "trusting", **form).location)
    if verified:
        assert response.status_code == 302
        assert session_user(client) == owner_user
        assert counts(raw) == counted(users=1, accounts=2, sessions=2)
        account = raw.account("trusting", "t-1")
        assert account is not None and str(account["user_id"]) == owner_user["id"]  # type: ignore[index]
    else:
        # An unverified email is no claim on the address: a separate user, without it.
        assert response.status_code == 302
        stranger = session_user(client)
        assert stranger is not None and stranger["email"] is None
        assert stranger["id"] != owner_user["id"]  # type: ignore[index]
        assert counts(raw) == counted(users=2, accounts=2, sessions=2)
        account = raw.account("trusting", "t-1")
        assert account is not None and str(account["user_id"]) == stranger["id"]


def test_no_orphan_user_when_linking_fails(
    app: Flask, adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore, monkeypatch: Any
) -> None:
    # The account's insert fails inside the transaction that has just inserted the user:
    # the rollback must take the user with it.
    insert = adapter._insert

    def failing_account_insert(conn: Any, rt: Any, values: Any) -> Any:
        if rt is adapter.accounts:
            raise StorageError("the database went away")
        return insert(conn, rt, values)

    monkeypatch.setattr(adapter, "_insert", failing_account_insert)
    client = app.test_client()
    response = client.get(start(client, sub="s-1", email="ada@example.com").location)
    assert response.status_code == 503
    assert "the database went away" not in response.get_data(as_text=True)
    assert counts(raw) == counted()
    assert session_user(client) is None


def test_a_provider_answer_without_an_account_id_is_an_error(
    app: Flask, raw: SQLAlchemyRawStore
) -> None:
    client = app.test_client()
    response = client.get("/auth/callback/dummy?email=ada@example.com")
    assert response.status_code == 400
    assert "<code>OAuthCallbackError</code>" in response.get_data(as_text=True)
    assert counts(raw) == counted()


# =========================================================================== #
# Callbacks
# =========================================================================== #


def test_sign_in_callback_false_denies(app: Flask, auth: Auth, raw: SQLAlchemyRawStore) -> None:
    seen: list[dict[str, Any]] = []

    @auth.sign_in_callback
    def refuse(**kwargs: Any) -> bool:
        seen.append(kwargs)
        return False

    client = app.test_client()
    response = client.get(start(client, sub="s-1", email="ada@example.com").location)
    assert response.status_code == 403
    assert ERROR_PAGES["AccessDenied"].title in response.get_data(as_text=True)
    assert counts(raw) == counted()
    assert session_user(client) is None
    (call,) = seen
    assert set(call) == {"user", "account", "profile", "email"}
    assert call["user"].email == "ada@example.com"
    assert call["account"].provider == "dummy"
    assert call["account"].provider_account_id == "s-1"
    assert call["profile"]["sub"] == "s-1"


def test_sign_in_callback_true_goes_on(app: Flask, auth: Auth, raw: SQLAlchemyRawStore) -> None:
    auth.sign_in_callback(lambda **_: True)
    landed = dummy_sign_in(app.test_client(), callback_url="/private?x=1")
    assert landed.location == "/private?x=1"
    assert counts(raw) == counted(users=1, accounts=1, sessions=1)


def test_sign_in_callback_sees_the_stored_user_on_a_later_sign_in(app: Flask, auth: Auth) -> None:
    first = app.test_client()
    dummy_sign_in(first, sub="s-1")
    stored = session_user(first)
    users: list[Any] = []
    auth.sign_in_callback(lambda user, **_: users.append(user))
    dummy_sign_in(app.test_client(), sub="s-1")
    assert [u.id for u in users] == [stored["id"]]  # type: ignore[index]


@pytest.mark.parametrize(
    ("answer", "landing"),
    [
        ("/elsewhere", "/elsewhere"),
        ("/elsewhere?why=1", "/elsewhere?why=1"),
        ("https://evil.example/phish", "/"),
        ("//evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_sign_in_callback_url_redirects_instead(
    app: Flask, auth: Auth, raw: SQLAlchemyRawStore, answer: str, landing: str
) -> None:
    auth.sign_in_callback(lambda **_: answer)
    client = app.test_client()
    response = client.get(start(client, sub="s-1", callback_url="/private").location)
    assert response.status_code == 302
    assert response.location == landing
    # Sent there instead of signing in, as Auth.js does.
    assert counts(raw) == counted()
    assert session_user(client) is None


def test_redirect_callback_chooses_the_landing_page(app: Flask, auth: Auth) -> None:
    calls: list[dict[str, Any]] = []

    @auth.redirect_callback
    def choose(url: str, base_url: str) -> str:
        calls.append({"url": url, "base_url": base_url})
        return "/welcome" if url == "/private" else url

    client = app.test_client()
    assert dummy_sign_in(client, callback_url="/private").location == "/welcome"
    # As in Auth.js it may run more than once in a flow (when it starts, when it ends).
    assert calls[0] == {"url": "/private", "base_url": "http://localhost"}
    # It sees the already checked target: a hostile callback_url reaches it as "/".
    calls.clear()
    assert dummy_sign_in(client, callback_url="https://evil.example").location == "/"
    assert calls and all(call["url"] == "/" for call in calls)
    # It chooses the landing page after signing out too.
    assert sign_out(client, "/private").location == "/welcome"


@pytest.mark.parametrize(
    "hostile",
    ["https://evil.example/x", "//evil.example", "/\\evil.example", "javascript:alert(1)"],
)
def test_redirect_callback_cannot_send_off_site(
    app: Flask, auth: Auth, raw: SQLAlchemyRawStore, hostile: str
) -> None:
    auth.redirect_callback(lambda url, base_url: hostile)
    client = app.test_client()
    assert dummy_sign_in(client, callback_url="/private").location == "/"
    assert counts(raw)["sessions"] == 1  # the sign-in itself happened
    assert sign_out(client, "/private").location == "/"


def test_redirect_callback_may_answer_an_absolute_same_origin_url(app: Flask, auth: Auth) -> None:
    auth.redirect_callback(lambda url, base_url: f"{base_url}/home?from=cb")
    assert dummy_sign_in(app.test_client()).location == "http://localhost/home?from=cb"


def test_session_callback_shapes_the_session_json(app: Flask, auth: Auth) -> None:
    @auth.session_callback
    def shape(session: dict[str, Any], user: Any) -> dict[str, Any]:
        return {
            "user": {"email": session["user"]["email"], "initials": "AL"},
            "expires": session["expires"],
            "accounts": "hidden",
            "user_id_len": len(user.id),
        }

    client = app.test_client()
    assert client.get("/auth/session").json is None  # not called when signed out
    dummy_sign_in(client, email="ada@example.com")
    data = client.get("/auth/session").json
    assert data["user"] == {"email": "ada@example.com", "initials": "AL"}
    assert data["expires"].endswith("Z")
    assert data["accounts"] == "hidden"
    assert data["user_id_len"] > 0


# =========================================================================== #
# Redirect targets after signing in and out
# =========================================================================== #

HOSTILE = [
    "//evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "%2F%2Fevil.example",
    "/%5Cevil.example",
    "https:evil.example",
    "\t//evil.example",
    "https://app.example.evil.example",
    "https://app.example@evil.example",
    "/%2F/evil.example",
    "/\t/evil.example",
    "http://app.example",  # another scheme: another origin
    "https://app.example:8443/",
    "",
]

KEPT = ["/private?x=1", "/", "/a/b?c=d#e", "https://app.example/private?x=1"]


@pytest.fixture
def site(adapter: SQLAlchemyAdapter) -> Flask:
    """An app at https://app.example (AUTH_URL), as browsers reach it."""
    app, _ = make_app(
        adapter,
        AUTH_URL="https://app.example",
        SERVER_NAME="app.example",
        PREFERRED_URL_SCHEME="https",
    )
    return app


def _site_sign_in(client: FlaskClient, callback_url: str) -> Response:
    started = client.post(
        "/auth/signin/dummy",
        data={
            "csrf_token": csrf_from(client),
            "sub": "s-1",
            "email": "ada@example.com",
            "callback_url": callback_url,
        },
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    assert urlsplit(started.location).netloc == "app.example"
    return client.get(started.location)


@pytest.mark.parametrize("target", HOSTILE, ids=repr)
def test_a_hostile_callback_url_lands_on_the_default_after_sign_in_and_out(
    site: Flask, target: str
) -> None:
    client = site.test_client()
    landed = _site_sign_in(client, target)
    assert landed.status_code == 302
    assert landed.location == "/"
    assert client.get("/whoami").get_data(as_text=True) == "ada@example.com"  # signed in

    response = client.post(
        "/auth/signout",
        data={"csrf_token": csrf_from(client, "/auth/signout"), "callback_url": target},
    )
    assert response.status_code == 302
    assert response.location == "/"
    assert client.get("/whoami").get_data(as_text=True) == "anonymous"


@pytest.mark.parametrize("target", KEPT)
def test_a_same_origin_callback_url_is_kept(site: Flask, target: str) -> None:
    client = site.test_client()
    assert _site_sign_in(client, target).location == target
    response = client.post(
        "/auth/signout",
        data={"csrf_token": csrf_from(client, "/auth/signout"), "callback_url": target},
    )
    assert response.location == target


def test_a_tampered_remembered_callback_url_lands_on_the_default(site: Flask) -> None:
    """The callback_url travels to the callback in an encrypted cookie; forging it fails."""
    client = site.test_client()
    started = client.post(
        "/auth/signin/dummy",
        data={"csrf_token": csrf_from(client), "sub": "s-1", "callback_url": "/private"},
    )
    remembered = client.get_cookie("__Host-authadapter.oauth-flow", domain="app.example")
    assert remembered is not None
    client.set_cookie(
        "__Host-authadapter.oauth-flow",
        "faa1.00000000.eyJ1IjoiaHR0cHM6Ly9ldmlsLmV4YW1wbGUifQ",
        domain="app.example",
        secure=True,
    )
    assert client.get(started.location).location == "/"


def test_the_default_redirect_setting_is_used(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, AUTH_DEFAULT_REDIRECT="/home")
    client = app.test_client()
    assert dummy_sign_in(client, callback_url="https://evil.example").location == "/home"
    assert sign_out(client, "//evil.example").location == "/home"
