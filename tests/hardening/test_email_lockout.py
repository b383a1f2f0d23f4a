"""No targeted lockout of email sign-in, and no race on a code's tries, on PostgreSQL.

The attack: from one network and within every rate limit, a stranger asks three links for
the owner's address (the per-address quota), takes the "pending" cookie each answer sets,
and types five wrong codes with each; then does it again. Before, that voided the owner's
link and code and refused them a new link for ten minutes, for as long as it was repeated.
And 30 guesses sent at once were all compared with the live code (the try was counted
after the comparison), so the 5-try cap did not hold.

What holds now, each checked end to end against the app of ``apps_under_test.py`` on
PostgreSQL, sending through the real SMTP server (aiosmtpd), with browsers that are Flask
test clients with their own cookies and client IPs:

- the owner, on their own network, still gets a link, and signs in with it (or with the
  link asked before the attack, or the code in their own browser);
- a code works only in the browser whose request sent it: another pending cookie, even one
  for the same address, cannot redeem it;
- 30 concurrent guesses (29 wrong, 1 right) in the browser that asked compare at most
  ``Email(max_attempts=...)`` codes; the emailed link still works when the code is spent.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from flask import Flask

from flask_authadapter.core.verification import new_code
from tests.hardening.apps_under_test import (
    InProcessBrowser,
    create_app,
    dispose,
    sets_session,
)
from tests.mail import MailServer, Received, sign_in_code, sign_in_link

pytestmark = pytest.mark.postgres

HOST = "app.example"
PENDING_COOKIE = "authadapter.pending"
OWNER = "ada@example.com"
OWNER_IP = "192.0.2.10"
STRANGER_IPS = ("203.0.113.66", "198.51.100.200")
MAX_ATTEMPTS = 5


def wrong_code(right: str) -> str:
    """A well-formed code that is not ``right``."""
    return next(code for code in iter(new_code, None) if code != right.replace("-", ""))


class ComparisonCounter:
    """In front of the app's adapter: counts the stored codes and links looked up (each
    ``use_verification_token`` is one comparison of a typed secret with the store)."""

    def __init__(self, adapter: Any) -> None:
        self._adapter = adapter
        self._lock = threading.Lock()
        self.comparisons = 0

    def use_verification_token(self, identifier: str, token: str) -> Any:
        with self._lock:
            self.comparisons += 1
        return self._adapter.use_verification_token(identifier, token)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._adapter, name)


@pytest.fixture
def counter() -> list[ComparisonCounter]:
    """The comparison counter in front of the app's adapter (set when the app is built)."""
    return []


@pytest.fixture
def app(
    database_url: str, smtp_server: MailServer, counter: list[ComparisonCounter]
) -> Iterator[Flask]:
    """The app under test on PostgreSQL, with the default limits, sending to the SMTP server."""

    def wrap(adapter: Any) -> ComparisonCounter:
        counter.append(ComparisonCounter(adapter))
        return counter[0]

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": database_url, "SERVER_NAME": HOST, **smtp_server.config},
        wrap_adapter=wrap,
    )
    try:
        yield app
    finally:
        dispose(app)


def ask(browser: InProcessBrowser, smtp: MailServer, email: str) -> Received:
    """Ask for a link: the message that arrived."""
    before = len(smtp.messages)
    answer = browser.ask_link(email)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert len(smtp.messages) == before + 1
    return smtp.last()


def type_code(browser: InProcessBrowser, code: str) -> Any:
    """Type ``code`` in the "check your email" page's form of ``browser``."""
    return browser.post_confirm({"csrf_token": browser.csrf(), "code": code})


def stranger_round(app: Flask, smtp: MailServer, ip: str) -> None:
    """The attack from one network: three links for the owner's address (the network's
    quota, a fourth is refused), then five wrong codes with each pending cookie, and more."""
    for _ in range(3):
        browser = InProcessBrowser(app, ip=ip)
        received = ask(browser, smtp, OWNER)
        for _ in range(MAX_ATTEMPTS + 2):
            refused = type_code(browser, wrong_code(sign_in_code(received)))
            assert refused.status_code == 403
    refused = InProcessBrowser(app, ip=ip).ask_link(OWNER)
    assert refused.status_code == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 600
    assert "minutes before trying again" in refused.get_data(as_text=True)


@pytest.mark.parametrize("with_what", ["newest link", "link asked before", "code"])
def test_the_lockout_sequence_leaves_the_owner_able_to_sign_in(
    app: Flask, smtp_server: MailServer, with_what: str
) -> None:
    owner = InProcessBrowser(app, ip=OWNER_IP)
    before = ask(owner, smtp_server, OWNER)

    for ip in STRANGER_IPS:  # the attack, then its repetition (as from the next window)
        stranger_round(app, smtp_server, ip)

    # The owner, from their own network, still gets a new link...
    newest = ask(owner, smtp_server, OWNER)
    assert [m.rcpt_tos for m in smtp_server.messages].count((OWNER,)) == 8
    # ... and signs in with it, with the one asked before the attack, or with the code.
    if with_what == "code":
        landed = type_code(owner, sign_in_code(newest))
    else:
        link = sign_in_link(newest if with_what == "newest link" else before)
        landed = owner.post_confirm(owner.confirm_form(link))
    assert landed.status_code == 302, landed.get_data(as_text=True)
    assert sets_session(landed)
    assert owner.who() == OWNER


def test_another_browser_cannot_redeem_the_owners_code(app: Flask, smtp_server: MailServer) -> None:
    owner = InProcessBrowser(app, ip=OWNER_IP)
    code = sign_in_code(ask(owner, smtp_server, OWNER))
    # A stranger with a pending cookie of their own, for the same address.
    stranger = InProcessBrowser(app, ip=STRANGER_IPS[0])
    ask(stranger, smtp_server, OWNER)
    refused = type_code(stranger, code)
    assert refused.status_code == 403
    assert not sets_session(refused)
    # Nor with the owner's request id under the stranger's own signature.
    stranger_cookie = stranger.client.get_cookie(PENDING_COOKIE, domain=HOST)
    assert stranger_cookie is not None
    signature = stranger_cookie.value.partition(".")[2]
    owner_cookie = owner.client.get_cookie(PENDING_COOKIE, domain=HOST)
    assert owner_cookie is not None
    forged = owner_cookie.value.partition(".")[0] + "." + signature
    stranger.client.set_cookie(PENDING_COOKIE, forged, domain=HOST)
    assert type_code(stranger, code).status_code == 403
    assert stranger.who() == "anonymous"
    # The owner's browser still can: the stranger's tries were not the owner's.
    landed = type_code(owner, code)
    assert landed.status_code == 302
    assert owner.who() == OWNER


TRIALS = 4
GUESSERS = 30


@pytest.mark.parametrize("trial", range(TRIALS))
def test_thirty_concurrent_guesses_compare_at_most_the_limit(
    app: Flask, smtp_server: MailServer, counter: list[ComparisonCounter], trial: int
) -> None:
    address = f"ada.{trial}@example.com"
    owner = InProcessBrowser(app, ip=OWNER_IP)
    received = ask(owner, smtp_server, address)
    code, link = sign_in_code(received), sign_in_link(received)
    pending = owner.client.get_cookie(PENDING_COOKIE, domain=HOST)
    assert pending is not None
    guesses = [wrong_code(code) for _ in range(GUESSERS - 1)]
    guesses.insert(trial * 7 % GUESSERS, code)  # the right one, somewhere among them
    barrier = threading.Barrier(GUESSERS, timeout=60)

    def guess(index: int) -> tuple[str, int, bool]:
        # The browser that asked, its form posted from 30 tabs (each a client of its own).
        browser = InProcessBrowser(app, ip=f"198.51.100.{index + 1}")
        browser.client.set_cookie(PENDING_COOKIE, pending.value, domain=HOST)
        fields = {"csrf_token": browser.csrf(), "code": guesses[index]}
        barrier.wait()
        answer = browser.post_confirm(fields)
        right = guesses[index] == code
        return ("right" if right else "wrong"), answer.status_code, sets_session(answer)

    counter[0].comparisons = 0
    with ThreadPoolExecutor(max_workers=GUESSERS) as pool:
        results = list(pool.map(guess, range(GUESSERS)))

    assert counter[0].comparisons <= MAX_ATTEMPTS, results
    outcomes = Counter((kind, status) for kind, status, _ in results)
    assert set(outcomes) <= {("right", 302), ("right", 403), ("wrong", 403)}, outcomes
    assert sum(1 for *_, session in results if session) == outcomes[("right", 302)]
    if outcomes[("right", 302)] == 0:
        # The code is spent; the emailed link is not.
        other_device = InProcessBrowser(app, ip="192.0.2.99")
        landed = other_device.post_confirm(other_device.confirm_form(link))
        assert landed.status_code == 302
        assert other_device.who() == address
