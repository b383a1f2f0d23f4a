"""Two domains are never one address: no IDNA 2003 folding of email domains.

The attack: ``faß.de`` and ``fass.de`` are two domains with two owners, but IDNA 2003 folds
the first into the second (as it folds a Greek final sigma into a sigma). Someone typing
``ada@faß.de`` had their sign-in link mailed to ``ada@fass.de``, and both people shared one
stored user.

End to end against the app of ``apps_under_test.py`` (SQLite), sending through the real SMTP
server (aiosmtpd): where each message goes, and who each browser is signed in as.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask

from tests.hardening.apps_under_test import InProcessBrowser
from tests.mail import MailServer, sign_in_link

PAIRS = {
    "sharp s": (("ada@fa\u00df.de", "ada@xn--fa-hia.de"), ("ada@fass.de", "ada@fass.de")),
    "final sigma": (
        ("ada@\u03c3\u03b1\u03c2.gr", "ada@xn--mxa8ab.gr"),
        ("ada@\u03c3\u03b1\u03c3.gr", "ada@xn--mxa9ab.gr"),
    ),
}


@pytest.fixture
def app(sqlite_app: Callable[..., Flask]) -> Flask:
    return sqlite_app()


@pytest.mark.parametrize("pair", list(PAIRS.values()), ids=list(PAIRS))
def test_the_owners_of_two_folded_domains_are_two_people(
    app: Flask, smtp_server: MailServer, pair: tuple[tuple[str, str], tuple[str, str]]
) -> None:
    signed_in: list[str] = []
    for n, (typed, mailbox) in enumerate(pair):
        browser = InProcessBrowser(app, ip=f"192.0.2.{n + 1}")
        asked = browser.ask_link(typed)
        assert asked.status_code == 302, asked.get_data(as_text=True)
        message = smtp_server.last()
        assert message.rcpt_tos == (mailbox,)  # the typed domain's mail server, no other
        landed = browser.post_confirm(browser.confirm_form(sign_in_link(message)))
        assert landed.status_code == 302
        signed_in.append(browser.who())
    assert signed_in == [mailbox for _, mailbox in pair]
