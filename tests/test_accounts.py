"""Account management: listing a user's sign-in methods and unlinking one, never the last."""

from __future__ import annotations

import html
import re
from datetime import datetime, timedelta, timezone

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.core.sessions import SIGNED_IN_WITH
from flask_authadapter.providers import Email
from flask_authadapter.testing import MemoryRawStore
from flask_authadapter.web.responses import SESSION_REQUIRED
from tests.apps import DummyProvider, csrf_from, dummy_sign_in, make_app
from tests.test_devices import CHROME_LINUX, SAFARI_IPHONE


@pytest.fixture
def adapter() -> MemoryAdapter:
    return MemoryAdapter()


def _app(adapter: MemoryAdapter, *, email: bool = False) -> Flask:
    providers = [DummyProvider("dummy"), DummyProvider("other")]
    config = {}
    if email:
        providers.append(Email(send=lambda message: None))
        config["AUTH_URL"] = "http://localhost"
    app, _ = make_app(adapter, providers=providers, **config)
    return app


@pytest.fixture
def client(adapter: MemoryAdapter) -> FlaskClient:
    return _app(adapter).test_client()


def _two_accounts(client: FlaskClient) -> None:
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    dummy_sign_in(client, sub="b-1", email=None, provider="other")


def test_listing_needs_a_session(client: FlaskClient) -> None:
    answer = client.get("/auth/accounts", headers={"Accept": "application/json"})
    assert answer.status_code == 401
    assert answer.json == {"error": "SessionRequired", "message": SESSION_REQUIRED.message}


def test_listing_shows_the_linked_accounts_without_tokens(client: FlaskClient) -> None:
    _two_accounts(client)
    answer = client.get("/auth/accounts", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.json == {
        "accounts": [
            {"provider": "dummy", "providerAccountId": "a-1", "type": "oauth", "canUnlink": True},
            {"provider": "other", "providerAccountId": "b-1", "type": "oauth", "canUnlink": True},
        ],
        "email": False,
    }
    assert "access" not in answer.get_data(as_text=True)


def test_unlinking_one_of_two(client: FlaskClient, adapter: MemoryAdapter) -> None:
    _two_accounts(client)
    token = csrf_from(client)
    answer = client.post(
        "/auth/accounts/unlink",
        data={"csrf_token": token, "provider": "other", "provider_account_id": "b-1"},
    )
    assert answer.status_code == 302
    assert adapter.get_account("other", "b-1") is None
    assert adapter.get_account("dummy", "a-1") is not None


def test_the_last_way_to_sign_in_cannot_be_unlinked(
    client: FlaskClient, adapter: MemoryAdapter
) -> None:
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    token = csrf_from(client)
    form = {"csrf_token": token, "provider": "dummy", "provider_account_id": "a-1"}
    answer = client.post("/auth/accounts/unlink", data=form)
    assert answer.status_code == 409
    assert "Cannot unlink this account" in answer.get_data(as_text=True)
    as_json = client.post(
        "/auth/accounts/unlink", data=form, headers={"Accept": "application/json"}
    )
    assert as_json.status_code == 409
    assert as_json.json["error"] == "CannotUnlink"
    assert adapter.get_account("dummy", "a-1") is not None


def test_an_email_address_counts_as_a_way_to_sign_in(adapter: MemoryAdapter) -> None:
    client = _app(adapter, email=True).test_client()
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    listed = client.get("/auth/accounts", headers={"Accept": "application/json"}).json
    assert listed["email"] is True
    assert listed["accounts"][0]["canUnlink"] is True
    token = csrf_from(client)
    answer = client.post(
        "/auth/accounts/unlink",
        data={"csrf_token": token, "provider": "dummy", "provider_account_id": "a-1"},
    )
    assert answer.status_code == 302
    assert adapter.get_account("dummy", "a-1") is None


def test_another_users_account_cannot_be_unlinked(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    owner, intruder = app.test_client(), app.test_client()
    _two_accounts(owner)
    assert dummy_sign_in(intruder, sub="c-1", email="eve@example.com").status_code == 302
    dummy_sign_in(intruder, sub="d-1", email=None, provider="other")
    token = csrf_from(intruder)
    answer = intruder.post(
        "/auth/accounts/unlink",
        data={"csrf_token": token, "provider": "dummy", "provider_account_id": "a-1"},
    )
    assert answer.status_code == 409
    assert adapter.get_account("dummy", "a-1") is not None


def test_unlinking_needs_the_csrf_token(client: FlaskClient, adapter: MemoryAdapter) -> None:
    _two_accounts(client)
    answer = client.post(
        "/auth/accounts/unlink", data={"provider": "other", "provider_account_id": "b-1"}
    )
    assert answer.status_code == 403
    assert adapter.get_account("other", "b-1") is not None
    assert MemoryRawStore(adapter).count("accounts") == 2


# The account page ---------------------------------------------------------------------------

_FORM = re.compile(r'<form method="post" action="([^"]+)">(.*?)</form>', re.S)
_FIELD = re.compile(r'name="([^"]+)" value="([^"]*)"')


def _forms(page: str) -> list[tuple[str, dict[str, str], str]]:
    """(action, fields, button text) of each form on ``page``."""
    found = []
    for action, body in _FORM.findall(page):
        fields = {name: html.unescape(value) for name, value in _FIELD.findall(body)}
        button = re.search(r"<button[^>]*>(.*?)</button>", body, re.S)
        found.append((action, fields, button.group(1).strip() if button else ""))
    return found


def _browser(app: Flask, agent: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["HTTP_USER_AGENT"] = agent
    return client


def test_the_account_page_needs_a_session(client: FlaskClient) -> None:
    answer = client.get("/auth/account")
    assert answer.status_code == 302
    assert answer.location.startswith("/auth/signin?callback_url=")


def test_the_account_page_shows_profile_accounts_and_sessions(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    laptop, phone = _browser(app, "Laptop Browser/1.0"), _browser(app, "Phone Browser/2.0")
    dummy_sign_in(laptop, sub="a-1", email="ada@example.com")
    dummy_sign_in(phone, sub="a-1", email="ada@example.com")
    page = laptop.get("/auth/account").get_data(as_text=True)
    assert "ada@example.com" in page
    assert "This browser" in page
    assert page.count('title="Laptop Browser/1.0">Unknown browser</strong>') == 1
    buttons = [button for _, _, button in _forms(page)]
    assert "Link Other" in buttons  # the provider not linked yet
    assert "Unlink Dummy" not in buttons  # the only way to sign in
    assert "Sign out all other sessions" in buttons
    # Sessions are named by a handle, never by their stored key.
    for stored in MemoryRawStore(adapter)._a._sessions:
        assert stored not in page


def test_signing_out_another_session_from_the_account_page(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    laptop, phone = _browser(app, "Laptop/1"), _browser(app, "Phone/2")
    dummy_sign_in(laptop, sub="a-1", email="ada@example.com")
    dummy_sign_in(phone, sub="a-1", email="ada@example.com")
    page = laptop.get("/auth/account").get_data(as_text=True)
    end_phone = next(
        fields
        for action, fields, button in _forms(page)
        if action == "/auth/account/sessions/end" and button == "Sign out this session"
    )
    answer = laptop.post("/auth/account/sessions/end", data=end_phone)
    assert answer.status_code == 302
    assert phone.get("/whoami").get_data(as_text=True) == "anonymous"
    assert laptop.get("/whoami").get_data(as_text=True) == "ada@example.com"
    assert MemoryRawStore(adapter).count("sessions") == 1


def test_signing_out_all_other_sessions(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    browsers = [_browser(app, f"Browser/{n}") for n in range(3)]
    for browser in browsers:
        dummy_sign_in(browser, sub="a-1", email="ada@example.com")
    token = csrf_from(browsers[0], "/auth/account")
    answer = browsers[0].post("/auth/account/sessions/end-others", data={"csrf_token": token})
    assert answer.status_code == 302
    assert [b.get("/whoami").get_data(as_text=True) for b in browsers] == [
        "ada@example.com",
        "anonymous",
        "anonymous",
    ]


def test_ending_this_browsers_session_signs_out(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    laptop = _browser(app, "Laptop/1")
    dummy_sign_in(laptop, sub="a-1", email="ada@example.com")
    page = laptop.get("/auth/account").get_data(as_text=True)
    this_one = next(f for a, f, b in _forms(page) if a == "/auth/account/sessions/end")
    answer = laptop.post("/auth/account/sessions/end", data=this_one)
    assert answer.location == "/auth/signin"
    assert laptop.get("/whoami").get_data(as_text=True) == "anonymous"
    assert MemoryRawStore(adapter).count("sessions") == 0


def test_another_users_session_handle_ends_nothing(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    ada, eve = _browser(app, "Ada/1"), _browser(app, "Eve/1")
    dummy_sign_in(ada, sub="a-1", email="ada@example.com")
    dummy_sign_in(eve, sub="e-1", email="eve@example.com")
    adas_handle = next(
        f["session"]
        for a, f, b in _forms(ada.get("/auth/account").get_data(as_text=True))
        if a == "/auth/account/sessions/end"
    )
    token = csrf_from(eve, "/auth/account")
    eve.post("/auth/account/sessions/end", data={"csrf_token": token, "session": adas_handle})
    assert ada.get("/whoami").get_data(as_text=True) == "ada@example.com"


def test_session_changes_need_the_csrf_token(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    laptop, phone = _browser(app, "Laptop/1"), _browser(app, "Phone/2")
    dummy_sign_in(laptop, sub="a-1", email="ada@example.com")
    dummy_sign_in(phone, sub="a-1", email="ada@example.com")
    assert laptop.post("/auth/account/sessions/end-others").status_code == 403
    assert phone.get("/whoami").get_data(as_text=True) == "ada@example.com"


def test_unlinking_and_linking_from_the_account_page(adapter: MemoryAdapter) -> None:
    app = _app(adapter)
    laptop = _browser(app, "Laptop/1")
    _two_accounts(laptop)
    page = laptop.get("/auth/account").get_data(as_text=True)
    unlink_other = next(f for a, f, b in _forms(page) if b == "Unlink Other")
    answer = laptop.post("/auth/accounts/unlink", data=unlink_other)
    assert answer.location == "/auth/account"
    assert adapter.get_account("other", "b-1") is None
    page = laptop.get("/auth/account").get_data(as_text=True)
    assert "Link Other" in [b for _, _, b in _forms(page)]


def _session_rows(page: str) -> list[str]:
    """The text of each row of the page's "Active sessions" list, tags removed."""
    listing = page.split('id="auth-sessions"', 1)[1].split("</ul>", 1)[0]
    rows = re.findall(r"<li>(.*?)</li>", listing, re.S)
    return [" ".join(re.sub(r"<[^>]+>", " ", html.unescape(row)).split()) for row in rows]


def test_sessions_read_as_browser_method_and_times_this_browser_first() -> None:
    adapter = MemoryAdapter()
    start = datetime(2026, 12, 1, 9, 0, tzinfo=timezone.utc)
    now = [start]
    app, _ = make_app(
        adapter,
        providers=[DummyProvider("dummy"), Email(send=lambda message: None)],
        clock=lambda: now[0],
        AUTH_URL="http://localhost",
    )
    laptop, phone = _browser(app, CHROME_LINUX), _browser(app, SAFARI_IPHONE)
    unknown = app.test_client()
    dummy_sign_in(laptop, sub="a-1", email="ada@example.com")
    now[0] = start + timedelta(hours=1)
    dummy_sign_in(phone, sub="a-1", email="ada@example.com")
    now[0] = start + timedelta(hours=2)
    dummy_sign_in(unknown, sub="a-1", email="ada@example.com")
    now[0] = start + timedelta(days=3)

    rows = _session_rows(laptop.get("/auth/account").get_data(as_text=True))

    assert rows[0].startswith(
        "Chrome on Linux This browser Dummy, signed in 3 days ago, active now"
    )
    # Used at its sign-in, and not a day later (it would have been extended): a range.
    range_ = "signed in 2 days ago, last active 1 to 2 days ago"
    assert rows[1].startswith(f"Unknown browser Dummy, {range_}")
    assert rows[2].startswith(f"Safari on iPhone Dummy, {range_}")
    assert "Mozilla" not in " ".join(rows)


def test_a_session_signed_in_by_email_says_so(adapter: MemoryAdapter) -> None:
    client = _app(adapter, email=True).test_client()
    dummy_sign_in(client, sub="a-1", email="ada@example.com")
    for stored in MemoryRawStore(adapter)._a._sessions.values():
        stored.extra[SIGNED_IN_WITH] = "email"
    rows = _session_rows(client.get("/auth/account").get_data(as_text=True))
    assert rows[0].startswith("Unknown browser This browser Email link, signed in just now")


def test_a_long_address_breaks_only_before_its_domain(adapter: MemoryAdapter) -> None:
    client = _app(adapter, email=True).test_client()
    address = "carol.with.a.very.long.mailbox.name@example.com"
    dummy_sign_in(client, sub="a-1", email=address)
    page = client.get("/auth/account").get_data(as_text=True)
    assert (
        '<span class="auth-email" title="carol.with.a.very.long.mailbox.name@example.com">'
        '<span class="auth-email-name">carol.with.a.very.long.mailbox.name</span><wbr>'
        '<span class="auth-email-domain">@example.com</span></span>'
    ) in page
