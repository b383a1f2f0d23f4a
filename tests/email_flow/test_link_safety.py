"""Scanners, reuse, expiry, other addresses, tampering."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest

from flask_authadapter.providers.email import Email
from tests.apps import csrf_from
from tests.mail import (
    html_body,
    sign_in_code,
    sign_in_link,
    text_body,
)

from .helpers import (
    HOST,
    LINK_LIFETIME,
    PENDING_COOKIE,
    SESSION_COOKIE,
    VERIFY_REQUEST,
    Build,
    Site,
    _tampered,
    assert_error_page,
    check_confirm_page,
    cookie_value,
    hidden_fields,
    sets_session,
    with_query,
)


def test_get_and_head_repeated_use_nothing_up(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    scanner = site.browser(ip="203.0.113.50")  # Safe Links, Mimecast, ... and the person
    for _ in range(5):
        seen = scanner.get(link)
        check_confirm_page(seen, "ada@example.com")
        head = scanner.head(link)
        assert head.status_code == 200
        assert head.get_data() == b""
        assert head.headers["Cache-Control"] == "no-store"
        assert head.headers["Referrer-Policy"] == "no-referrer"
    for _ in range(5):
        assert client.get(link).status_code == 200
        assert client.head(link).status_code == 200
    assert len(site.token_rows("ada@example.com")) == 2
    assert site.db.count("sessions") == 0 and site.db.count("users") == 0

    landed = site.redeem(client, link)
    assert landed.status_code == 302 and landed.location == "/private"
    assert site.who(client) == "ada@example.com"
    assert site.who(scanner) == "anonymous"


def test_a_scanner_that_submits_the_form_without_cookies_uses_nothing(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    scanner = site.browser(ip="203.0.113.50")
    for headers in ({}, {"Origin": "null"}, {"Sec-Fetch-Site": "cross-site"}):
        submitted = scanner.post("/auth/callback/email", data=fields, headers=headers)
        assert submitted.status_code == 403
        assert not sets_session(submitted)
    assert len(site.token_rows("ada@example.com")) == 2
    assert site.post_form(client, fields).status_code == 302


def test_a_used_link_is_refused(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    assert site.post_form(client, fields).status_code == 302
    first_session = cookie_value(client, SESSION_COOKIE)

    # Signing in gave the browser a new CSRF token; the link is refused all the same.
    again = site.post_form(client, {**fields, "csrf_token": csrf_from(client)})
    assert_error_page(again, "Verification", 403)
    assert not sets_session(again)
    other = site.browser(ip="198.51.100.9")
    replay = site.redeem(other, link)  # the confirm page still renders; the POST fails
    assert_error_page(replay, "Verification", 403)
    assert not sets_session(replay)
    assert site.who(other) == "anonymous"
    assert site.db.count("sessions") == 1
    assert cookie_value(client, SESSION_COOKIE) == first_session


@pytest.mark.parametrize(
    ("elapsed", "works"),
    [
        (LINK_LIFETIME - timedelta(seconds=1), True),
        (LINK_LIFETIME, False),
        (LINK_LIFETIME + timedelta(seconds=1), False),
    ],
    ids=["14m59s", "15m", "15m01s"],
)
def test_a_link_expires(site: Site, elapsed: timedelta, works: bool) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    site.clock.advance(elapsed)
    answer = site.post_form(client, fields)
    if works:
        assert answer.status_code == 302 and answer.location == "/private"
        assert site.who(client) == "ada@example.com"
    else:
        assert_error_page(answer, "Verification", 403)
        assert site.db.count("sessions") == 0 and site.db.count("users") == 0
        assert site.token_rows() == []  # an expired link is removed when tried


@pytest.mark.parametrize(
    ("elapsed", "works"),
    [(LINK_LIFETIME - timedelta(seconds=1), True), (LINK_LIFETIME + timedelta(seconds=1), False)],
    ids=["14m59s", "15m01s"],
)
def test_a_code_expires_with_the_link(site: Site, elapsed: timedelta, works: bool) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    site.clock.advance(elapsed)
    answer = site.type_code(client, code)
    if works:
        assert answer.status_code == 302 and answer.location == "/private"
    else:
        assert_error_page(answer, "Verification", 403)
        assert site.db.count("sessions") == 0


def test_a_link_for_one_address_does_not_sign_in_another(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    for other in ("eve@example.com", "ada@example.org", "ada+x@example.com"):
        refused = site.post_form(client, {**fields, "email": other})
        assert_error_page(refused, "Verification", 403)
    # Through the link itself, too: the confirm page for another address, same token.
    edited = with_query(link, email="eve@example.com")
    assert_error_page(site.redeem(client, edited), "Verification", 403)
    assert site.db.count("users") == 0 and site.db.count("sessions") == 0
    assert len(site.token_rows("ada@example.com")) == 2

    landed = site.post_form(client, fields)
    assert landed.status_code == 302
    assert site.who(client) == "ada@example.com"
    assert site.db.user("eve@example.com") is None


_WELL_FORMED = {"one-char-changed", "case-changed", "well-formed-unknown"}


@pytest.mark.parametrize("kind", list(_tampered("x" * 43)))
def test_a_tampered_token_is_refused(site: Site, kind: str) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    bad = _tampered(fields["token"])[kind]
    assert bad != fields["token"]

    refused = site.post_form(client, {**fields, "token": bad})
    assert_error_page(refused, "Verification", 403)
    assert bad not in refused.get_data(as_text=True) or bad == ""
    # Opening a link with a token of the wrong shape already ends on the error page; one
    # of the right shape shows the confirm page (which looks nothing up).
    opened = client.get(with_query(link, token=bad))
    if kind in _WELL_FORMED:
        check_confirm_page(opened, "ada@example.com")
    else:
        assert_error_page(opened, "Verification", 403)
    assert len(site.token_rows("ada@example.com")) == 2  # the real link is untouched
    assert site.db.count("sessions") == 0

    assert site.post_form(client, fields).status_code == 302
    assert site.who(client) == "ada@example.com"


def test_a_post_without_a_token_is_refused(site: Site) -> None:
    client = site.browser()
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    del fields["token"]
    assert_error_page(site.post_form(client, fields), "Verification", 403)
    assert len(site.token_rows("ada@example.com")) == 2


@pytest.mark.parametrize("via", ["link", "code"])
def test_twenty_concurrent_posts_of_one_link_give_one_session(site: Site, via: str) -> None:
    starter = site.browser()
    received = site.mail(starter, "ada@example.com")
    link, code = sign_in_link(received), sign_in_code(received)
    pending = cookie_value(starter, PENDING_COOKIE)
    assert pending is not None
    count = 20
    barrier = threading.Barrier(count, timeout=30)

    def press(index: int) -> tuple[int, bool, str]:
        client = site.browser(ip=f"198.51.100.{index + 1}")
        if via == "link":
            fields = site.confirm_form(client, link)  # its own CSRF cookie and token
        else:  # the browser that asked, pressing the code form's button many times over
            client.set_cookie(PENDING_COOKIE, pending, domain=HOST)
            fields = hidden_fields(client.get(VERIFY_REQUEST).get_data(as_text=True))
            fields["code"] = code
        barrier.wait()
        answer = site.post_form(client, fields)
        return answer.status_code, sets_session(answer), answer.location or ""

    with ThreadPoolExecutor(max_workers=count) as pool:
        results = list(pool.map(press, range(count)))

    statuses = sorted(status for status, _, _ in results)
    assert statuses == [302] + [403] * (count - 1), statuses
    winners = [r for r in results if r[0] == 302]
    assert winners[0][1] is True and winners[0][2] == "/private"
    assert not any(with_session for status, with_session, _ in results if status == 403)
    assert site.db.count("sessions") == 1
    assert site.db.count("users") == 1
    assert site.token_rows() == []


def test_a_custom_max_age_sets_the_expiry(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(minutes=30)))
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    assert "30 minutes" in text_body(received) and "30 minutes" in html_body(received)
    fields = site.confirm_form(client, sign_in_link(received))
    site.clock.advance(minutes=29, seconds=59)
    assert site.post_form(client, fields).status_code == 302


def test_a_link_past_a_custom_max_age_is_refused(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(seconds=90)))
    client = site.browser()
    fields = site.confirm_form(client, sign_in_link(site.mail(client, "ada@example.com")))
    site.clock.advance(seconds=91)
    assert_error_page(site.post_form(client, fields), "Verification", 403)


_MINUTES = re.compile(r"for (\d+) (minutes?)")


def test_the_email_never_promises_more_time_than_the_link_has(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(seconds=90)))
    received = site.mail(site.browser(), "ada@example.com")
    for body in (text_body(received), html_body(received)):
        found = _MINUTES.search(body)
        assert found is not None
        assert int(found.group(1)) * 60 <= 90, found.group(0)


def test_one_minute_is_said_in_the_singular(build: Build) -> None:
    site = build(provider=Email(max_age=timedelta(minutes=1)))
    received = site.mail(site.browser(), "ada@example.com")
    for body in (text_body(received), html_body(received)):
        assert "1 minutes" not in body
        assert "1 minute" in body
