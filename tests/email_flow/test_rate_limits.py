"""Rate limits."""

from __future__ import annotations

from flask_authadapter.providers.email import Email
from flask_authadapter.ratelimit import EmailLimits
from tests.mail import (
    sign_in_code,
    sign_in_link,
)

from .helpers import (
    Build,
    Site,
    assert_error_page,
    sets_session,
    wrong_code,
)


def test_a_fourth_email_to_one_address_within_ten_minutes_is_refused(site: Site) -> None:
    for spelling in ("ada@example.com", "ADA@example.com", " Ada@Example.com"):
        site.mail(site.browser(), spelling)
    assert len(site.smtp.messages) == 3

    limited = site.ask(site.browser(), "ada@example.com")
    assert_error_page(limited, "RateLimited", 429)
    assert len(site.smtp.messages) == 3
    # The limit is per address and client network: from another network, the address's
    # owner still gets a link (over all networks, EmailLimits(per_address_total) caps a flood).
    site.mail(site.browser(ip="198.51.100.77"), "ada@example.com")
    # The third link still works; another address may still ask.
    last = site.smtp.messages[2]
    client = site.browser()
    assert site.redeem(client, sign_in_link(last)).status_code == 302
    site.mail(site.browser(), "bob@example.com")


def test_the_per_ip_limit_counts_across_addresses(build: Build) -> None:
    site = build(Email(rate_limits=EmailLimits(per_network="2 per hour")))
    site.mail(site.browser(ip="198.51.100.1"), "a@example.com")
    site.mail(site.browser(ip="198.51.100.1"), "b@example.com")
    limited = site.ask(site.browser(ip="198.51.100.1"), "c@example.com")
    assert_error_page(limited, "RateLimited", 429)
    assert len(site.smtp.messages) == 2
    assert site.token_rows("c@example.com") == []

    site.mail(site.browser(ip="198.51.100.2"), "c@example.com")
    assert [m.rcpt_tos[0] for m in site.smtp.messages] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]


def test_redemptions_over_the_limit_are_refused(build: Build) -> None:
    site = build(Email(rate_limits=EmailLimits(verify="3 per 10 minutes")))
    client = site.browser(ip="198.51.100.1")
    link = sign_in_link(site.mail(client, "ada@example.com"))
    fields = site.confirm_form(client, link)
    wrong = {**fields, "token": "x" * len(fields["token"])}
    for _ in range(3):
        assert_error_page(site.post_form(client, wrong), "Verification", 403)

    limited = site.post_form(client, fields)  # the right link, but one try too many
    assert_error_page(limited, "RateLimited", 429)
    assert not sets_session(limited)
    assert len(site.token_rows("ada@example.com")) == 2  # not used by the refused try

    other = site.browser(ip="198.51.100.2")
    assert site.redeem(other, link).status_code == 302


def test_typed_codes_over_the_limit_are_refused(build: Build) -> None:
    site = build(Email(rate_limits=EmailLimits(verify="2 per 10 minutes")))
    client = site.browser(ip="198.51.100.1")
    code = sign_in_code(site.mail(client, "ada@example.com"))
    assert_error_page(site.type_code(client, wrong_code(code)), "Verification", 403)
    assert_error_page(site.type_code(client, wrong_code(code, 1)), "Verification", 403)
    assert_error_page(site.type_code(client, code), "RateLimited", 429)
    assert site.db.count("sessions") == 0
