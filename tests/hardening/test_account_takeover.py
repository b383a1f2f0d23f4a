"""Account pre-hijacking, and what unlinking a stranger's provider account ends.

The attacks run end to end on PostgreSQL: the app of ``apps_under_test.py`` (Flask-SQLAlchemy,
the Email provider sending through a real SMTP server), two clients of the real OpenID
provider (``oidc-provider-mock``): "sloppy", whose users may have unverified emails, and
"trusting", which allows dangerous email account linking; and browsers driven in-process.

The rule under attack: nobody who does not control a mailbox ever shares a user with the
mailbox's owner, whatever the order of the sign-ins and whichever door each one uses.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from flask import Flask

from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.providers import OIDC, MicrosoftEntraID
from tests.hardening.apps_under_test import (
    SESSION_COOKIE,
    InProcessBrowser,
    create_app,
    db,
    dispose,
)
from tests.hardening.tables import Rows
from tests.mail import MailServer
from tests.oidc import MockProvider, callback_target
from tests.providers.misbehaving import CLIENT_ID, CLIENT_SECRET, MisbehavingProvider

pytestmark = pytest.mark.postgres

HOST = "app.example"
VICTIM = "victim@corp.example"


# =========================================================================== #
# The database, the app, and the people
# =========================================================================== #


def accounts_users(rows: Rows, provider: str) -> set[str]:
    """The users that ``provider``'s accounts are linked to."""
    return {a["user_id"] for a in rows.all("accounts") if a["provider"] == provider}


def _providers(op: MockProvider) -> list[OIDC]:
    return [
        OIDC("sloppy", issuer=op.issuer, client_id="sloppy-client", client_secret="sloppy-s3cret"),
        OIDC(
            "trusting",
            issuer=op.issuer,
            client_id="trusting-client",
            client_secret="trusting-s3cret",
            allow_dangerous_email_account_linking=True,
        ),
    ]


@pytest.fixture
def app(
    database_url: str, smtp_server: MailServer, oidc_provider: MockProvider, rows: Rows
) -> Iterator[Flask]:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST, **smtp_server.config},
        extra_providers=_providers(oidc_provider),
    )
    try:
        yield app
    finally:
        dispose(app)


def person(op: MockProvider, *, email: str, verified: bool) -> str:
    """A new person at the OpenID provider with this email claim: their ``sub``."""
    sub = f"sub-{time.time_ns()}"
    op.set_user(sub, email=email, email_verified=verified, name="Someone")
    return sub


def oidc_sign_in(browser: InProcessBrowser, op: MockProvider, provider: str, sub: str) -> Any:
    """The whole OpenID sign-in of ``sub`` through the app's provider ``provider``."""
    started = browser.client.post(
        f"/auth/signin/{provider}", data={"csrf_token": browser.csrf(), "callback_url": "/"}
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    answer = browser.client.get(callback_target(op.approve(str(started.location), sub)))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return answer


def signed_in_user(browser: InProcessBrowser) -> dict[str, Any] | None:
    """Who ``/auth/session`` says this browser is (None: nobody)."""
    data = browser.client.get("/auth/session").get_json()
    return None if data is None else dict(data["user"])


def user_id_of(browser: InProcessBrowser) -> str:
    user = signed_in_user(browser)
    assert user is not None, "this browser is not signed in"
    return str(user["id"])


def owner_by_email(browser: InProcessBrowser, smtp: MailServer) -> str:
    """The mailbox's owner signs in by magic link: their user id."""
    answer = browser.sign_in_by_email(smtp, VICTIM)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return user_id_of(browser)


def owner_by_trusted_provider(browser: InProcessBrowser, op: MockProvider) -> str:
    """The mailbox's owner signs in through the provider that verifies emails and allows
    dangerous linking: their user id."""
    oidc_sign_in(browser, op, "trusting", person(op, email=VICTIM, verified=True))
    return user_id_of(browser)


OWNER_DOORS = ["magic-link", "trusted-provider"]


def _owner_signs_in(
    door: str, browser: InProcessBrowser, smtp: MailServer, op: MockProvider
) -> str:
    if door == "magic-link":
        return owner_by_email(browser, smtp)
    return owner_by_trusted_provider(browser, op)


# =========================================================================== #
# Pre-hijacking
# =========================================================================== #


@pytest.mark.parametrize("door", OWNER_DOORS)
def test_a_provider_first_with_the_victims_unverified_email_never_reaches_the_owner(
    app: Flask, smtp_server: MailServer, oidc_provider: MockProvider, rows: Rows, door: str
) -> None:
    attacker, owner = InProcessBrowser(app, "198.51.100.7"), InProcessBrowser(app)
    mallory = person(oidc_provider, email=VICTIM, verified=False)

    # 1. The attacker signs up first, claiming the victim's address unverified.
    oidc_sign_in(attacker, oidc_provider, "sloppy", mallory)
    attackers_user = user_id_of(attacker)
    assert signed_in_user(attacker)["email"] is None  # type: ignore[index]
    assert [u["email"] for u in rows.all("users")] == [None]

    # 2. The real owner signs in, by magic link or through a provider that verified it.
    owners_user = _owner_signs_in(door, owner, smtp_server, oidc_provider)
    assert owners_user != attackers_user
    assert signed_in_user(owner)["email"] == VICTIM  # type: ignore[index]

    # 3. The attacker signs in again: still their own user, never the owner's.
    later = InProcessBrowser(app, "198.51.100.7")
    oidc_sign_in(later, oidc_provider, "sloppy", mallory)
    assert user_id_of(later) == attackers_user
    assert accounts_users(rows, "sloppy") == {attackers_user}
    assert owners_user not in accounts_users(rows, "sloppy")


@pytest.mark.parametrize("door", OWNER_DOORS)
def test_a_row_left_by_the_old_rules_loses_the_address_to_its_owner(
    app: Flask, smtp_server: MailServer, oidc_provider: MockProvider, rows: Rows, door: str
) -> None:
    # Before these rules, step 1 stored the unverified address on the attacker's user.
    # The owner proving the address takes it; the attacker's user keeps only its account.
    attacker = InProcessBrowser(app, "198.51.100.7")
    mallory = person(oidc_provider, email=VICTIM, verified=False)
    oidc_sign_in(attacker, oidc_provider, "sloppy", mallory)
    attackers_user = user_id_of(attacker)
    users = rows.table("users")
    rows.execute(sa.update(users).where(users.c.id == attackers_user).values(email=VICTIM))

    owners_user = _owner_signs_in(door, InProcessBrowser(app), smtp_server, oidc_provider)
    assert owners_user != attackers_user
    by_id = {u["id"]: u for u in rows.all("users")}
    assert by_id[owners_user]["email"] == VICTIM
    assert by_id[owners_user]["email_verified"] is not None
    assert by_id[attackers_user]["email"] is None

    later = InProcessBrowser(app, "198.51.100.7")
    oidc_sign_in(later, oidc_provider, "sloppy", mallory)
    assert user_id_of(later) == attackers_user


def test_idna_2003_folding_is_no_way_into_the_owners_account(
    app: Flask, smtp_server: MailServer, oidc_provider: MockProvider, rows: Rows
) -> None:
    # faß.de and fass.de are different domains with different owners.
    attacker = InProcessBrowser(app, "198.51.100.7")
    mallory = person(oidc_provider, email="ada@faß.de", verified=False)
    oidc_sign_in(attacker, oidc_provider, "sloppy", mallory)
    attackers_user = user_id_of(attacker)

    owner = InProcessBrowser(app)
    assert owner.sign_in_by_email(smtp_server, "ada@fass.de").status_code == 302
    assert user_id_of(owner) != attackers_user
    assert accounts_users(rows, "sloppy") == {attackers_user}


# =========================================================================== #
# Unlinking a stranger's provider account ends their sessions
# =========================================================================== #


def _strangers_account_on_victims_user(
    app: Flask, smtp_server: MailServer, op: MockProvider, rows: Rows
) -> tuple[InProcessBrowser, InProcessBrowser, str]:
    """The victim (signed in by email) has a stranger's provider account linked, as the
    old rules left it; the stranger is signed in through it. (victim, stranger, sub)."""
    victim = InProcessBrowser(app)
    victims_user = owner_by_email(victim, smtp_server)
    mallory = person(op, email="mallory@evil.example", verified=True)
    with app.app_context():
        SQLAlchemyAdapter(db).link_account(
            _account(victims_user, "sloppy", mallory)  # what a pre-hijack left behind
        )
    stranger = InProcessBrowser(app, "198.51.100.7")
    oidc_sign_in(stranger, op, "sloppy", mallory)
    assert user_id_of(stranger) == victims_user  # the stranger is in
    return victim, stranger, mallory


def _account(user_id: str, provider: str, sub: str) -> Any:
    from flask_authadapter.models import Account

    return Account(user_id=user_id, type="oidc", provider=provider, provider_account_id=sub)


def _unlink(browser: InProcessBrowser, provider: str, sub: str) -> Any:
    return browser.client.post(
        "/auth/accounts/unlink",
        data={"csrf_token": browser.csrf(), "provider": provider, "provider_account_id": sub},
    )


@pytest.mark.parametrize("recorded", [True, False], ids=["recorded", "made-before-recording"])
def test_unlinking_a_strangers_account_ends_the_strangers_sessions(
    app: Flask, smtp_server: MailServer, oidc_provider: MockProvider, rows: Rows, recorded: bool
) -> None:
    victim, stranger, mallory = _strangers_account_on_victims_user(
        app, smtp_server, oidc_provider, rows
    )
    if not recorded:  # sessions from before the way of signing in was stored
        sessions = rows.table("sessions")
        rows.execute(sa.update(sessions).values(signed_in_with=None))
    victims_user = user_id_of(victim)

    answer = _unlink(victim, "sloppy", mallory)
    assert answer.status_code == 302, answer.get_data(as_text=True)

    # The stranger's very next request is anonymous, and their cookie is cleared.
    assert signed_in_user(stranger) is None
    assert stranger.client.get_cookie(SESSION_COOKIE, domain=HOST) is None
    assert stranger.client.get("/private").status_code == 302
    # The victim, who signed in by email, is still signed in.
    assert user_id_of(victim) == victims_user
    assert accounts_users(rows, "sloppy") == set()
    # Signing in through the unlinked account now makes a separate user.
    again = InProcessBrowser(app, "198.51.100.7")
    oidc_sign_in(again, oidc_provider, "sloppy", mallory)
    assert user_id_of(again) != victims_user


def test_sessions_record_how_they_were_signed_in(
    app: Flask, smtp_server: MailServer, oidc_provider: MockProvider, rows: Rows
) -> None:
    owner = InProcessBrowser(app)
    owner_by_email(owner, smtp_server)
    sub = person(oidc_provider, email="someone@example.com", verified=True)
    oidc_sign_in(InProcessBrowser(app), oidc_provider, "sloppy", sub)
    assert sorted(s["signed_in_with"] for s in rows.all("sessions")) == [
        "email",
        f"sloppy:{sub}",
    ]


# =========================================================================== #
# Two unlinks at once never remove the last way to sign in
# =========================================================================== #


class SlowListing:
    """The store answering ``list_accounts`` slowly (a busy database across a network): it
    widens the gap between "is this the last way?" and the removal, if they are two steps."""

    def __init__(self, adapter: SQLAlchemyAdapter) -> None:
        self._adapter = adapter

    def list_accounts(self, user_id: str) -> Any:
        accounts = self._adapter.list_accounts(user_id)
        time.sleep(0.05)
        return accounts

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)


def test_two_concurrent_unlinks_of_the_last_two_accounts_leave_one(
    database_url: str, rows: Rows
) -> None:
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST},
        wrap_adapter=SlowListing,
    )
    try:
        for round_ in range(5):
            # A user without email with two dummy-provider accounts, signed in with each
            # in its own browser; each browser unlinks the other one's account.
            first, second = InProcessBrowser(app), InProcessBrowser(app)
            assert first.sign_in_with_dummy(f"a-{round_}", None).status_code == 302
            assert first.sign_in_with_dummy(f"b-{round_}", None).status_code == 302  # links
            assert second.sign_in_with_dummy(f"a-{round_}", None).status_code == 302
            assert user_id_of(first) == user_id_of(second)
            user_id = user_id_of(first)

            def unlink(pair: tuple[InProcessBrowser, str]) -> int:
                browser, sub = pair
                return int(_unlink(browser, "dummy", sub).status_code)

            with ThreadPoolExecutor(max_workers=2) as pool:
                pairs = [(first, f"a-{round_}"), (second, f"b-{round_}")]
                statuses = sorted(pool.map(unlink, pairs))
            left = [a for a in rows.all("accounts") if a["user_id"] == user_id]
            assert len(left) == 1, (statuses, left)
            assert statuses == [302, 409], statuses
    finally:
        dispose(app)


# =========================================================================== #
# Entra ID's "common" tenant: any tenant's administrator sets the email claim
# =========================================================================== #

ATTACKERS_TENANT = "b9419818-09af-49c2-b0c3-653adc1f376e"


@pytest.fixture(scope="module")
def entra() -> Iterator[MisbehavingProvider]:
    """A stand-in of Entra ID's multi-tenant authority (discovery of ``/common/v2.0``
    naming the ``{tenantid}`` issuer template; ID tokens of the person's own tenant)."""
    with MisbehavingProvider().serve() as provider:
        provider.issuer_path = "/common/v2.0"
        provider.discovery_changes = {"issuer": f"{provider.url}/{{tenantid}}/v2.0"}
        yield provider


def entra_sign_in(browser: InProcessBrowser, op: MisbehavingProvider, **claims: Any) -> None:
    """Sign in through ``MicrosoftEntraID(tenant="common")`` as a person of another tenant
    whose ID token carries ``claims``."""
    issuer = f"{op.url}/{ATTACKERS_TENANT}/v2.0"
    op.claims_changes = {"iss": issuer, "tid": ATTACKERS_TENANT, **claims}
    op.callback_changes = {"iss": issuer}
    started = browser.client.post(
        "/auth/signin/microsoft-entra-id", data={"csrf_token": browser.csrf(), "callback_url": "/"}
    )
    assert started.status_code == 302, started.get_data(as_text=True)
    back = urlsplit(op.authorize(str(started.location)))
    landed = browser.client.get(f"{back.path}?{back.query}")
    assert landed.status_code == 302, landed.get_data(as_text=True)


def test_an_entra_common_tenant_admin_setting_the_victims_email_never_reaches_the_owner(
    database_url: str, smtp_server: MailServer, entra: MisbehavingProvider, rows: Rows
) -> None:
    preset = MicrosoftEntraID(
        tenant="common", authority=entra.url, client_id=CLIENT_ID, client_secret=CLIENT_SECRET
    )
    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST, **smtp_server.config},
        extra_providers=[preset],
    )
    try:
        # The attacker administers their own tenant and sets a user's email to the victim's.
        attacker = InProcessBrowser(app, "198.51.100.7")
        entra_sign_in(attacker, entra, sub="mallory-in-her-tenant", email=VICTIM)
        attackers_user = user_id_of(attacker)
        assert signed_in_user(attacker)["email"] is None  # type: ignore[index]

        owner = InProcessBrowser(app)
        owners_user = owner_by_email(owner, smtp_server)
        assert owners_user != attackers_user

        later = InProcessBrowser(app, "198.51.100.7")
        entra_sign_in(later, entra, sub="mallory-in-her-tenant", email=VICTIM)
        assert user_id_of(later) == attackers_user
        assert accounts_users(rows, "microsoft-entra-id") == {attackers_user}
    finally:
        dispose(app)
