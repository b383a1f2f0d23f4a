"""The full flow."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from flask.testing import FlaskClient

from flask_authadapter.models import User
from tests.mail import (
    Received,
    html_body,
    link_query,
    sign_in_code,
    sign_in_link,
    text_body,
)

from .helpers import (
    _RESOURCE,
    BASE,
    LINK_LIFETIME,
    SENDER,
    SENDER_ADDRESS,
    SESSION_COOKIE,
    SITE,
    START,
    VERIFY_REQUEST,
    Site,
    as_utc,
    check_confirm_page,
    cookie_value,
    hidden_fields,
    sets_session,
)


def check_message(received: Received, to: str) -> tuple[str, str]:
    """Check one sign-in message's envelope, headers and bodies; its link and code."""
    assert received.mail_from == SENDER_ADDRESS
    assert received.rcpt_tos == (to,)
    assert received["To"] == to
    assert received["From"] == SENDER
    assert received["Subject"] == f"Sign in to {SITE}"
    assert received["Bcc"] is None and received["Cc"] is None
    text, page = text_body(received), html_body(received)
    link, code = sign_in_link(received), sign_in_code(received)
    assert link.startswith(f"{BASE}/auth/callback/email?")
    query = link_query(link)
    assert set(query) == {"token", "email", "callback_url"}
    assert query["email"] == to
    for body in (text, page):
        assert SITE in body
        assert to in body
        assert "15 minutes" in body
    return link, code


def check_stylesheets(client: FlaskClient, page: str) -> None:
    """The page's stylesheets load nothing from elsewhere either."""
    sheets = [url for url in _RESOURCE.findall(page) if url.endswith(".css")]
    assert sheets
    for url in sheets:
        css = client.get(url)
        assert css.status_code == 200
        text = css.get_data(as_text=True)
        assert "@import" not in text
        assert not re.search(r"url\(\s*['\"]?(https?:)?//", text), url


@pytest.mark.parametrize("existing", [False, True], ids=["new-user", "existing-user"])
def test_the_full_flow(site: Site, existing: bool) -> None:
    email = "ada@example.com"
    if existing:
        before = site.db.adapter.create_user(User(email=email, name="Ada"))
    client = site.browser()

    received = site.mail(client, "  Ada@Example.COM ", callback_url="/private?tab=2")
    link, code = check_message(received, email)
    assert link_query(link)["callback_url"] == "/private?tab=2"
    token = link_query(link)["token"]
    # Asking creates nobody, and stores the link and the code only as MACs.
    assert site.db.count("users") == (1 if existing else 0)
    stored = site.token_rows(email)
    assert len(stored) == 2
    plain = {token, code, code.replace("-", ""), hashlib.sha256(token.encode()).hexdigest()}
    for row in stored:
        assert re.fullmatch(r"[0-9a-f]{64}", row["token"])  # a MAC, hex
        assert not any(secret in str(row) for secret in plain)
    assert all(as_utc(row["expires"]) == START + LINK_LIFETIME for row in stored)
    # The browser that asked sees "check your email" with the code form.
    waiting = client.get(VERIFY_REQUEST).get_data(as_text=True)
    assert "Check your email" in waiting and email in waiting and 'name="code"' in waiting

    opened = client.get(link)
    check_confirm_page(opened, email)
    check_stylesheets(client, opened.get_data(as_text=True))
    assert len(site.token_rows(email)) == 2  # opening it used nothing

    signed_in = site.post_form(client, hidden_fields(opened.get_data(as_text=True)))
    assert signed_in.status_code == 302
    assert signed_in.location == "/private?tab=2"
    assert sets_session(signed_in)
    assert site.token_rows() == []  # the link and the code are both used up

    user = site.db.user(email)
    assert user is not None
    assert as_utc(user["email_verified"]) == START
    assert site.db.count("users") == 1
    if existing:
        assert user["id"] == before.id and user["name"] == "Ada"
    sessions = site.db.rows("sessions")
    assert len(sessions) == 1 and sessions[0]["user_id"] == user["id"]
    page = client.get("/private")
    assert page.status_code == 200
    assert page.get_data(as_text=True) == f"private page of {email}"
    # The sign-in is over: "check your email" no longer offers the code form.
    assert 'name="code"' not in client.get(VERIFY_REQUEST).get_data(as_text=True)


def test_a_verified_existing_user_keeps_the_first_verification_date(site: Site) -> None:
    verified = START - timedelta(days=100)
    site.db.adapter.create_user(User(email="ada@example.com", email_verified=verified))
    client = site.browser()
    link, _ = check_message(site.mail(client, "ada@example.com"), "ada@example.com")
    assert site.redeem(client, link).status_code == 302
    user = site.db.user("ada@example.com")
    assert user is not None and as_utc(user["email_verified"]) == verified


@pytest.mark.parametrize(
    "callback_url",
    [
        "https://evil.example/steal",
        "//evil.example/steal",
        "/\\evil.example",
        "http://app.example.evil.example/",
        "javascript:alert(1)",
    ],
)
def test_a_hostile_callback_url_lands_on_the_home_page(site: Site, callback_url: str) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com", callback_url=callback_url))
    assert "evil" not in link and "javascript" not in link
    fields = site.confirm_form(client, link)
    assert fields["callback_url"] == "/"
    fields["callback_url"] = callback_url  # edited in the page: still refused
    landed = site.post_form(client, fields)
    assert landed.status_code == 302
    assert landed.location == "/"
    assert site.who(client) == "ada@example.com"


def test_a_same_origin_absolute_callback_url_is_kept(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com", callback_url=f"{BASE}/private"))
    landed = site.redeem(client, link)
    assert landed.status_code == 302
    assert landed.location == f"{BASE}/private"


def test_no_callback_url_lands_on_the_default_redirect(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com", callback_url=None))
    landed = site.redeem(client, link)
    assert landed.status_code == 302 and landed.location == "/"


def test_signing_in_replaces_the_browsers_earlier_session(site: Site) -> None:
    client = site.browser()
    landed = site.redeem(client, sign_in_link(site.mail(client, "bob@example.com")))
    assert landed.status_code == 302
    assert site.who(client) == "bob@example.com"
    bobs_cookie = cookie_value(client, SESSION_COOKIE)

    landed = site.redeem(client, sign_in_link(site.mail(client, "ada@example.com")))
    assert landed.status_code == 302 and sets_session(landed)
    assert site.who(client) == "ada@example.com"
    assert cookie_value(client, SESSION_COOKIE) != bobs_cookie
    sessions = site.db.rows("sessions")
    ada = site.db.user("ada@example.com")
    assert ada is not None
    assert [row["user_id"] for row in sessions] == [ada["id"]]  # Bob's session is gone
