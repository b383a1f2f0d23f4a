"""The example's own pages at phone width: its 404, an unknown sign-in method, and a demo
that keeps sending sign-in emails to one address."""

from __future__ import annotations

from tests.e2e.api import Page, expect
from tests.e2e.conftest import Site
from tests.e2e.flows import ask_for_link, at

PHONE = {"width": 390, "height": 844}


def _fits(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def test_an_unknown_page_is_the_examples_404(page: Page, site: Site) -> None:
    page.set_viewport_size(PHONE)
    answer = page.goto(f"{site.url}/no-such-page")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Page not found")).to_be_visible()
    page.get_by_role("link", name="Go to the home page").click()
    expect(page).to_have_url(at(site, "/"))
    assert _fits(page)


def test_an_unknown_sign_in_method_says_so(page: Page, site: Site) -> None:
    page.set_viewport_size(PHONE)
    answer = page.goto(f"{site.url}/auth/callback/no-such-provider")
    assert answer is not None and answer.status == 404
    expect(page.get_by_role("heading", name="Unknown sign-in method")).to_be_visible()
    assert _fits(page)
    page.get_by_role("link", name="Back to sign in").click()
    expect(page).to_have_url(at(site, "/auth/signin"))


def test_the_demo_keeps_sending_to_one_address(page: Page, site: Site) -> None:
    page.set_viewport_size(PHONE)
    email = "ida.many.links@example.com"
    for _ in range(6):  # the library's default allows three per ten minutes
        page.goto(f"{site.url}/auth/signin")
        ask_for_link(page, site, email)
    page.goto(f"{site.url}/demo/mailbox")
    expect(page.get_by_text("The demo relaxes the email limits")).to_be_visible()
    assert _fits(page)
