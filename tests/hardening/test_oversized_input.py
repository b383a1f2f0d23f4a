"""Over-long and malformed input to the email sign-in: bounded, refused, never a traceback.

The attack: ``POST /auth/signin/email`` with a 500 kB ``email`` field made the server
NFKC-normalise all of it before checking its length, and the blueprint read forms of any
size. Now a request body over the blueprint's bound (``views.MAX_FORM_BYTES``, or the app's
``MAX_CONTENT_LENGTH`` if lower) is a 413 page (or JSON) before it is parsed, an address
too long to be one is refused before it is normalised, and a malformed address, an IDNA
2008 invalid domain included, ends in the usual EmailSignin error flow.

End to end against the app of ``apps_under_test.py`` (SQLite), sending through the real SMTP
server (aiosmtpd), with ``TESTING`` off and exceptions not propagated: a crash would be a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from flask_authadapter.views import MAX_FORM_BYTES
from tests.hardening.apps_under_test import InProcessBrowser
from tests.mail import MailServer


@pytest.fixture
def make(sqlite_app: Callable[..., Flask]) -> Callable[..., Flask]:
    """``make(**config)``: the app under test on SQLite, exceptions not propagated."""

    def build(**config: Any) -> Flask:
        return sqlite_app(PROPAGATE_EXCEPTIONS=False, **config)

    return build


def assert_too_large(answer: Any) -> None:
    body = answer.get_data(as_text=True)
    assert answer.status_code == 413, body
    assert answer.mimetype == "text/html"
    assert "Too much data" in body
    assert "Traceback" not in body
    assert answer.headers["Cache-Control"] == "no-store"


def assert_email_signin_error(answer: Any) -> None:
    assert answer.status_code == 302, answer.get_data(as_text=True)
    target = urlsplit(answer.location)
    assert target.path == "/auth/signin"
    assert parse_qs(target.query)["error"] == ["EmailSignin"]


def test_a_500_kb_email_field_is_a_413_page_and_nothing_is_sent(
    make: Any, smtp_server: MailServer
) -> None:
    browser = InProcessBrowser(make())
    form = {"csrf_token": browser.csrf(), "email": "a" * 500_000 + "@example.com"}
    assert_too_large(browser.client.post("/auth/signin/email", data=form))
    answer = browser.client.post(
        "/auth/signin/email", data=form, headers={"Accept": "application/json"}
    )
    assert answer.status_code == 413
    assert answer.get_json()["error"] == "TooLarge"
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "path", ["/auth/signin/email", "/auth/callback/email", "/auth/signin/dummy", "/auth/signout"]
)
def test_an_oversized_multipart_form_is_a_413_page(make: Any, path: str) -> None:
    browser = InProcessBrowser(make())
    form = {"csrf_token": browser.csrf(), "code": "x" * (MAX_FORM_BYTES + 1)}
    assert_too_large(browser.client.post(path, data=form, content_type="multipart/form-data"))


def test_a_form_just_under_the_bound_is_read(make: Any, smtp_server: MailServer) -> None:
    # The bound is far above any real sign-in form: a long callback_url still works.
    browser = InProcessBrowser(make())
    form = {
        "csrf_token": browser.csrf(),
        "email": "ada@example.com",
        "callback_url": "/private?q=" + "a" * 8_000,
    }
    assert browser.client.post("/auth/signin/email", data=form).status_code == 302
    assert len(smtp_server.messages) == 1


def test_the_apps_own_lower_limit_holds(make: Any) -> None:
    browser = InProcessBrowser(make(MAX_CONTENT_LENGTH=1_000))
    form = {"csrf_token": browser.csrf(), "email": "a" * 2_000 + "@example.com"}
    assert_too_large(browser.client.post("/auth/signin/email", data=form))


def test_an_address_too_long_to_be_one_is_refused_unread(
    make: Any, smtp_server: MailServer
) -> None:
    # Under the form bound, over the longest text looked at: the EmailSignin flow.
    browser = InProcessBrowser(make())
    form = {"csrf_token": browser.csrf(), "email": "\ufb03" * 5_000 + "@example.com"}
    assert_email_signin_error(browser.client.post("/auth/signin/email", data=form))
    assert smtp_server.messages == []


@pytest.mark.parametrize(
    "email",
    [
        "ada@b\u00fc--cher.example",  # "--" in 3rd and 4th place: not an IDNA 2008 label
        "ada@exam\u200dple.com",  # a joiner IDNA 2003 would have dropped
        "ada@fa\u00df\u200c.de",
        "ada@\u0378.example",  # unassigned
        "ada@" + "\u00fc" * 64 + ".example",  # a label over 63 octets once encoded
    ],
    ids=["hyphens", "ZWJ", "ZWNJ", "unassigned", "label too long"],
)
def test_a_malformed_domain_is_the_email_signin_error_flow(
    make: Any, smtp_server: MailServer, email: str
) -> None:
    browser = InProcessBrowser(make())
    form = {"csrf_token": browser.csrf(), "email": email}
    assert_email_signin_error(browser.client.post("/auth/signin/email", data=form))
    assert smtp_server.messages == []
