"""The Host header, enumeration, a newer link, invalid addresses."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from werkzeug.test import TestResponse

from flask_authadapter.models import User
from tests.apps import csrf_from
from tests.mail import (
    sign_in_code,
    sign_in_link,
)

from .helpers import (
    BASE,
    ERROR_TITLES,
    VERIFY_REQUEST,
    Site,
    assert_error_page,
    hidden_fields,
    set_cookie_names,
)


@pytest.mark.parametrize(
    "options",
    [
        {"headers": {"Host": "evil.example"}},
        {"base_url": "http://evil.example"},
        {"headers": {"X-Forwarded-Host": "evil.example", "X-Forwarded-Proto": "https"}},
    ],
    ids=["host-header", "base-url", "x-forwarded-host"],
)
def test_the_link_is_built_from_auth_url_not_the_request(
    site: Site, options: dict[str, Any]
) -> None:
    client = site.browser()
    # The CSRF cookie belongs to the host the request names: fetch the form from there.
    page = client.get("/auth/signin", **options).get_data(as_text=True)
    csrf = hidden_fields(page)["csrf_token"]
    answer = client.post(
        "/auth/signin/email",
        data={"csrf_token": csrf, "email": "ada@example.com", "callback_url": "/private"},
        **options,
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    received = site.smtp.only()
    link = sign_in_link(received)
    assert link.startswith(f"{BASE}/auth/callback/email?")
    assert b"evil.example" not in received.raw
    assert site.redeem(site.browser(), link).status_code == 302


def test_known_and_unknown_addresses_get_the_same_answer(site: Site) -> None:
    site.db.adapter.create_user(User(email="known@example.com", name="Known"))
    answers = {}
    for email in ("known@example.com", "unknown@example.com"):
        answers[email] = site.ask(site.browser(), email)
    known, unknown = answers["known@example.com"], answers["unknown@example.com"]
    assert known.status_code == unknown.status_code == 302
    assert known.location == unknown.location == VERIFY_REQUEST
    assert known.get_data() == unknown.get_data()
    assert set_cookie_names(known) == set_cookie_names(unknown)

    def headers(response: TestResponse) -> list[tuple[str, str]]:
        return sorted((k, v) for k, v in response.headers.items() if k != "Set-Cookie")

    assert headers(known) == headers(unknown)
    assert sorted(known.headers.keys()) == sorted(unknown.headers.keys())
    assert [m.rcpt_tos for m in site.smtp.messages] == [
        ("known@example.com",),
        ("unknown@example.com",),
    ]
    # The two messages are the same but for the address, link and code.
    first, second = site.smtp.messages
    assert first["Subject"] == second["Subject"] and first["From"] == second["From"]
    assert site.db.user("unknown@example.com") is None  # asking creates nobody


def test_a_new_link_leaves_the_older_one_working_and_using_one_ends_both(site: Site) -> None:
    # Whoever asks for a new link (maybe a stranger, for Ada's address), Ada's earlier link
    # still works; once one is used the mailbox is proved, and the others end.
    client = site.browser()
    older = site.mail(client, "ada@example.com")
    newer = site.mail(client, "ada@example.com")
    old_link, new_link = sign_in_link(older), sign_in_link(newer)
    assert old_link != new_link
    assert len(site.token_rows("ada@example.com")) == 4

    landed = site.redeem(client, old_link)
    assert landed.status_code == 302
    assert site.who(client) == "ada@example.com"
    assert site.token_rows() == []
    assert_error_page(site.redeem(site.browser(), new_link), "Verification", 403)


def test_a_new_code_voids_the_older_one(site: Site) -> None:
    client = site.browser()
    old_code = sign_in_code(site.mail(client, "ada@example.com"))
    new_code = sign_in_code(site.mail(client, "ada@example.com"))
    assert old_code != new_code  # 1 chance in 31**8 of a clash
    assert_error_page(site.type_code(client, old_code), "Verification", 403)
    assert site.type_code(client, new_code).status_code == 302


INVALID_ADDRESSES = {
    "no-at": "ada.example.com",
    "two-at": "ada@@example.com",
    "two-addresses-at": "ada@example.com@evil.example",
    "quotes": '"ada"@example.com',
    "comma": "ada@example.com,eve@evil.example",
    "crlf-header-injection": "a@b.c\r\nBcc: x@y.z",
    "lf": "ada@example.com\nBcc: eve@evil.example",
    "angle-brackets": "Ada <ada@example.com>",
    "space-inside": "ada @example.com",
    "over-320": "a" * 64 + "@" + ".".join(["b" * 63] * 4) + ".com",
    "empty": "",
    "blank": "   ",
    "no-domain-dot": "ada@localhost",
}


@pytest.mark.parametrize("address", list(INVALID_ADDRESSES.values()), ids=list(INVALID_ADDRESSES))
def test_an_invalid_address_is_refused_and_nothing_is_sent(site: Site, address: str) -> None:
    if address.startswith("a" * 64):
        assert len(address) > 320
    client = site.browser()
    answer = site.ask(client, address)
    assert answer.status_code == 302
    target = urlsplit(answer.location)
    assert target.path == "/auth/signin"
    query = parse_qs(target.query)
    assert query["error"] == ["EmailSignin"]
    assert query.get("callback_url") == ["/private"]
    assert site.smtp.messages == []
    assert site.token_rows() == []
    assert site.db.count("users") == 0
    page = client.get(answer.location)
    assert page.status_code == 200
    assert ERROR_TITLES["EmailSignin"] in page.get_data(as_text=True)


def test_an_invalid_address_with_a_hostile_callback_url_echoes_nothing(site: Site) -> None:
    client = site.browser()
    answer = site.ask(client, "not-an-address", callback_url="https://evil.example/")
    assert answer.status_code == 302
    page = client.get(answer.location)
    assert page.status_code == 200
    assert "evil.example" not in page.get_data(as_text=True)


def test_a_missing_email_field_is_refused(site: Site) -> None:
    client = site.browser()
    token = csrf_from(client)
    answer = client.post("/auth/signin/email", data={"csrf_token": token})
    assert answer.status_code == 302
    assert parse_qs(urlsplit(answer.location).query)["error"] == ["EmailSignin"]
    assert site.smtp.messages == [] and site.token_rows() == []


def test_an_address_of_320_characters_is_mailed(site: Site) -> None:
    address = "a" * 64 + "@" + ".".join(["b" * 63] * 3 + ["c" * 63])
    assert len(address) == 320
    client = site.browser()
    received = site.mail(client, address)
    assert received.rcpt_tos == (address,)
    assert site.redeem(client, sign_in_link(received)).status_code == 302
    assert site.who(client) == address


def test_a_long_callback_url_is_still_mailed(site: Site) -> None:
    callback_url = "/private?q=" + "a" * 1000
    client = site.browser()
    answer = site.ask(client, "ada@example.com", callback_url=callback_url)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    received = site.smtp.only()
    assert max(len(line) for line in received.raw.split(b"\r\n")) <= 998
    landed = site.redeem(client, sign_in_link(received))
    assert landed.status_code == 302 and landed.location == callback_url


def test_a_post_without_the_csrf_token_sends_nothing(site: Site) -> None:
    client = site.browser()
    client.get("/auth/signin")
    answer = client.post("/auth/signin/email", data={"email": "ada@example.com"})
    assert answer.status_code == 403
    assert site.smtp.messages == [] and site.token_rows() == []
