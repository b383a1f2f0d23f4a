"""The sign-in code."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flask_authadapter.providers.email import Email
from tests.apps import csrf_from
from tests.mail import (
    sign_in_code,
    sign_in_link,
)

from .helpers import (
    HOST,
    PENDING_COOKIE,
    START,
    VERIFY_REQUEST,
    Build,
    Site,
    as_utc,
    assert_error_page,
    sets_session,
    wrong_code,
)


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: code,
        lambda code: code.lower(),
        lambda code: code.replace("-", ""),
        lambda code: f"  {code[:4].lower()} {code[5:]}  ",
        lambda code: " ".join(code.replace("-", "")),
    ],
    ids=["as-shown", "lower-case", "no-dash", "spaces", "spaced-out"],
)
def test_the_code_signs_in_the_browser_that_asked(site: Site, typed: Callable[[str], str]) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com", callback_url="/private?from=code")
    code, link = sign_in_code(received), sign_in_link(received)

    landed = site.type_code(client, typed(code))
    assert landed.status_code == 302
    assert landed.location == "/private?from=code"
    assert sets_session(landed)
    assert client.get("/private").get_data(as_text=True) == "private page of ada@example.com"
    user = site.db.user("ada@example.com")
    assert user is not None and as_utc(user["email_verified"]) == START
    assert site.token_rows() == []

    # Used: the link no longer works, nor the code again.
    assert_error_page(site.redeem(site.browser(), link), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)
    assert site.db.count("sessions") == 1


def test_after_the_link_the_code_no_longer_works(site: Site) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    other_device = site.browser(ip="198.51.100.3")
    assert site.redeem(other_device, sign_in_link(received)).status_code == 302
    assert_error_page(site.type_code(client, sign_in_code(received)), "Verification", 403)
    assert site.who(client) == "anonymous"


def test_the_code_does_not_work_in_another_browser(site: Site) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    stranger = site.browser(ip="198.51.100.66")
    page = stranger.get(VERIFY_REQUEST).get_data(as_text=True)
    assert 'name="code"' not in page and "ada@example.com" not in page
    token = csrf_from(stranger)
    refused = stranger.post("/auth/callback/email", data={"csrf_token": token, "code": code})
    assert_error_page(refused, "Verification", 403)
    assert not sets_session(refused)
    assert len(site.token_rows("ada@example.com")) == 2
    # A forged pending cookie does not help either.
    stranger.set_cookie(PENDING_COOKIE, "eyJlbWFpbCI6ImFkYUBleGFtcGxlLmNvbSJ9.x.y", domain=HOST)
    assert_error_page(site.type_code(stranger, code), "Verification", 403)

    assert site.type_code(client, code).status_code == 302  # the right browser still can


def test_four_wrong_codes_then_the_right_one_signs_in(site: Site) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    for n in range(4):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert len(site.token_rows("ada@example.com")) == 2
    landed = site.type_code(client, code)
    assert landed.status_code == 302 and landed.location == "/private"
    assert site.who(client) == "ada@example.com"


def test_five_wrong_codes_void_the_code_but_not_the_link(site: Site) -> None:
    # Whoever typed them (maybe a stranger who asked for a link to Ada's address), wrong
    # codes use up that request's code only: the emailed link still signs Ada in.
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    code, link = sign_in_code(received), sign_in_link(received)
    for n in range(5):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert len(site.token_rows()) == 2

    assert_error_page(site.type_code(client, code), "Verification", 403)
    assert site.db.count("sessions") == 0

    # A new request starts afresh: five new tries, and the new code works.
    fresh = site.mail(client, "ada@example.com")
    new_code = sign_in_code(fresh)
    for n in range(4):
        assert_error_page(site.type_code(client, wrong_code(new_code, n)), "Verification", 403)
    assert site.type_code(client, new_code).status_code == 302
    assert site.who(client) == "ada@example.com"
    # Signing in ended the address's other links, the first one too.
    assert site.token_rows() == []
    assert_error_page(site.redeem(site.browser(), link), "Verification", 403)


def test_after_five_wrong_codes_the_link_still_signs_in(site: Site) -> None:
    client = site.browser()
    received = site.mail(client, "ada@example.com")
    code, link = sign_in_code(received), sign_in_link(received)
    for n in range(5):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    other_device = site.browser(ip="198.51.100.3")
    assert site.redeem(other_device, link).status_code == 302
    assert site.who(other_device) == "ada@example.com"


def test_the_number_of_wrong_codes_is_configurable(build: Build) -> None:
    site = build(Email(max_attempts=2))
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    for n in range(2):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)


def test_wrong_codes_void_the_sign_in_even_without_rate_limits(build: Build) -> None:
    site = build(Email(rate_limits=None))
    client = site.browser()
    for _ in range(4):  # no limit on sending
        received = site.mail(client, "ada@example.com")
    code = sign_in_code(received)
    for n in range(5):
        assert_error_page(site.type_code(client, wrong_code(code, n)), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)
    assert site.db.count("sessions") == 0


def test_malformed_codes_count_as_wrong_tries(site: Site) -> None:
    client = site.browser()
    code = sign_in_code(site.mail(client, "ada@example.com"))
    for typed in ("", "ABC", "0000-0000", "IIII-LLLL", "x" * 40):
        assert_error_page(site.type_code(client, typed), "Verification", 403)
    assert_error_page(site.type_code(client, code), "Verification", 403)
