"""Signing out, and the error pages, in Chromium."""

from __future__ import annotations

from collections.abc import Callable

from tests.e2e.api import Browser, Page, Response, expect
from tests.e2e.conftest import OpenBrowser, Site
from tests.e2e.flows import ask_for_link, at, sign_in_by_code


def test_signing_out(page: Page, site: Site) -> None:
    email = "margaret.signout@example.com"
    sign_in_by_code(page, site, email)
    page.get_by_role("link", name="Protected page").click()
    expect(page.get_by_role("main")).to_contain_text(f"You are {email}.")
    page.get_by_role("link", name="Back to the home page").click()
    signed_in_cookies = page.context.cookies()

    page.get_by_role("link", name="Sign out").click()
    expect(page).to_have_url(at(site, "/auth/signout"))
    expect(page.get_by_role("heading", name="Sign out")).to_be_visible()
    expect(page.get_by_text(f"You are signed in as {email}.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    expect(page).to_have_url(at(site, "/"))
    expect(page.get_by_text("You are not signed in")).to_be_visible()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()

    # Back, page after page (asked again of the server: see the next test for Chromium's
    # back/forward cache): signed out everywhere, the protected page sends to sign in.
    page.go_back()
    expect(page).to_have_url(at(site, "/auth/signout"))
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(at(site, "/"))
    expect(page.get_by_text("You are not signed in")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(at(site, "/auth/signin?callback_url=%2Fprotected"))

    # Replaying the old session cookie: the session is gone, the cookie is anonymous.
    page.context.clear_cookies()
    page.context.add_cookies(signed_in_cookies)  # type: ignore[arg-type]
    page.goto(f"{site.url}/protected")
    expect(page).to_have_url(at(site, "/auth/signin?callback_url=%2Fprotected"))
    page.goto(f"{site.url}/")
    expect(page.get_by_text("You are not signed in")).to_be_visible()


def test_back_after_signing_out_shows_no_signed_in_page(
    open_browser: OpenBrowser, browser_with_back_forward_cache: Browser, site: Site
) -> None:
    # Chromium as people run it: its back/forward cache on (Playwright turns it off).
    page = open_browser(browser=browser_with_back_forward_cache)
    email = "joan.back@example.com"
    sign_in_by_code(page, site, email)
    page.get_by_role("link", name="Protected page").click()
    expect(page.get_by_role("main")).to_contain_text(f"You are {email}.")
    page.get_by_role("link", name="Back to the home page").click()
    page.get_by_role("link", name="Sign out").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are not signed in")).to_be_visible()

    # A page restored from the cache fires no load event: wait for the commit only.
    page.go_back(wait_until="commit")
    expect(page.get_by_role("heading", name="You are signed out")).to_be_visible()
    page.go_back(wait_until="commit")
    expect(page).to_have_url(at(site, "/"))
    expect(page.get_by_text("You are not signed in")).to_be_visible(timeout=2_000)
    page.go_back(wait_until="commit")
    expect(page).to_have_url(at(site, "/auth/signin?callback_url=%2Fprotected"), timeout=2_000)
    expect(page.get_by_text(f"You are {email}.")).to_have_count(0)


def test_a_used_link_shows_the_verification_page(page: Page, site: Site) -> None:
    email = "alan.twice@example.com"
    page.goto(f"{site.url}/auth/signin")
    (link,) = ask_for_link(page, site, email).links
    page.goto(link)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()

    # The same link again (say, from another tab): the confirm page, then the refusal.
    page.goto(link)
    with page.expect_response(_posted("/auth/callback/email")) as answer:
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert answer.value.status == 403
    expect(page).to_have_title("Unable to sign in · flask-authadapter example")
    expect(page.get_by_role("heading", name="Unable to sign in")).to_be_visible()
    expect(page.get_by_text("The sign-in link is no longer valid.")).to_be_visible()
    expect(page.get_by_text("Error code: Verification")).to_be_visible()
    page.get_by_role("link", name="Back to sign in").click()
    expect(page).to_have_url(at(site, "/auth/signin"))
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()


def test_a_bad_callback_shows_the_error_page(page: Page, site: Site) -> None:
    answer = page.goto(f"{site.url}/auth/callback/demo?code=x&state=y")
    assert answer is not None
    assert answer.status == 400
    expect(page).to_have_title("Unable to sign in · flask-authadapter example")
    expect(page.get_by_role("heading", name="Unable to sign in")).to_be_visible()
    expect(page.get_by_text("The provider's answer could not be used.")).to_be_visible()
    expect(page.get_by_text("Error code: OAuthCallbackError")).to_be_visible()
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()


def test_the_error_page_without_a_code_names_none(page: Page, site: Site) -> None:
    answer = page.goto(f"{site.url}/auth/error")
    assert answer is not None
    assert answer.status == 400
    expect(page.get_by_role("heading", name="Unable to sign in")).to_be_visible()
    expect(page.get_by_text("Something went wrong. Please try again.")).to_be_visible()
    expect(page.get_by_text("Error code")).to_have_count(0)
    expect(page.get_by_text("Default")).to_have_count(0)
    expect(page.get_by_role("link", name="Back to sign in")).to_be_visible()


def _posted(path: str) -> Callable[[Response], bool]:
    def matches(response: Response) -> bool:
        return response.request.method == "POST" and response.url.endswith(path)

    return matches
