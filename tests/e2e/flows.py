"""What a person does on the example's pages, step by step, in the browser.

Every step finds things as a person does: by their role and visible name (buttons, links,
headings, labelled fields), never by CSS classes or ids.
"""

from __future__ import annotations

import re

from example.mailbox import ReceivedMessage
from tests.e2e.api import Page, expect
from tests.e2e.conftest import Site

__all__ = [
    "approve_at_provider",
    "ask_for_link",
    "at",
    "openid_sign_in",
    "sign_in_by_code",
    "sign_in_by_link",
]


def at(site: Site, path: str) -> re.Pattern[str]:
    """A URL pattern: exactly ``path`` (with its query, if given) on the site."""
    return re.compile(f"^{re.escape(site.url + path)}$")


def ask_for_link(page: Page, site: Site, email: str) -> ReceivedMessage:
    """On the sign-in page: type ``email``, ask for a link; the email that arrives."""
    before = len(site.emails_to(email))
    page.get_by_label("Email address").fill(email)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page).to_have_url(at(site, "/auth/verify-request"))
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    received = site.wait_for_email(email, before + 1)
    assert received.subject, "the sign-in email has a subject"
    return received


def sign_in_by_link(page: Page, site: Site, email: str) -> None:
    """Sign in as ``email`` from the sign-in page: the emailed link, then the confirm
    button. Ends on the home page."""
    page.goto(f"{site.url}/auth/signin")
    (link,) = ask_for_link(page, site, email).links
    page.goto(link)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(at(site, "/"))
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def sign_in_by_code(page: Page, site: Site, email: str) -> None:
    """Sign in as ``email`` from the sign-in page: the emailed code, typed on the "check
    your email" page. Ends on the home page."""
    page.goto(f"{site.url}/auth/signin")
    (code,) = ask_for_link(page, site, email).codes
    page.get_by_label("Or type the code from the email").fill(code)
    page.get_by_role("button", name="Sign in with the code").click()
    expect(page).to_have_url(at(site, "/"))
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def approve_at_provider(page: Page, site: Site, sub: str) -> None:
    """At the demo provider's authorization page (oidc-provider-mock's form): type the
    user's ``sub`` in its one text field and press "Authorize"."""
    issuer = re.escape(site.provider.issuer)
    expect(page).to_have_url(re.compile(f"^{issuer}/oauth2/authorize\\?"))
    expect(page.get_by_role("heading", name="Authorize Client")).to_be_visible()
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize", exact=True).click()


def openid_sign_in(page: Page, site: Site, email: str, path: str = "/protected") -> None:
    """Open ``path``, sign in as ``email`` with the sign-in page's button for the demo
    provider and its form; ends on ``path``, signed in."""
    page.goto(f"{site.url}{path}")
    page.get_by_role("button", name="Sign in with Demo OpenID provider").click()
    # The mock provider's page: typing an address as the user gives it as the email claim.
    approve_at_provider(page, site, email)
    expect(page).to_have_url(at(site, path))
    expect(page.get_by_role("main")).to_contain_text(f"You are {email}.")
