"""Signing in to the example in Chromium: the sign-in page, the magic link, the code, and
the demo OpenID provider's form."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.api import Page, expect
from tests.e2e.conftest import VIEWPORT, Site
from tests.e2e.flows import ask_for_link, at, openid_sign_in

#: The README's screenshot of the sign-in page (committed; made by test_the_sign_in_page).
README_SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "signin.png"


def test_the_sign_in_page(page: Page, site: Site) -> None:
    page.goto(f"{site.url}/")
    expect(page.get_by_text("You are not signed in")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()

    expect(page).to_have_url(at(site, "/auth/signin"))
    expect(page).to_have_title("Sign in · flask-authadapter example")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    expect(page.get_by_label("Email address")).to_be_editable()
    buttons = page.get_by_role("button")
    expect(buttons).to_have_text(["Email me a sign-in link", "Sign in with Demo OpenID provider"])
    _write_readme_screenshot(page)


def _write_readme_screenshot(page: Page) -> None:
    """docs/signin.png: the page as the README shows it (rewritten only when it changed,
    so an unchanged rendering leaves the committed file alone)."""
    assert page.viewport_size == VIEWPORT
    page.mouse.move(0, 0)  # no hover effect
    page.evaluate("document.activeElement && document.activeElement.blur()")
    image = page.screenshot(animations="disabled", caret="hide")
    if not README_SCREENSHOT.is_file() or README_SCREENSHOT.read_bytes() != image:
        README_SCREENSHOT.parent.mkdir(exist_ok=True)
        README_SCREENSHOT.write_bytes(image)


def test_magic_link_lands_on_the_page_first_asked_for(page: Page, site: Site) -> None:
    email = "lin.magic@example.com"
    page.goto(f"{site.url}/protected")
    expect(page).to_have_url(at(site, "/auth/signin?callback_url=%2Fprotected"))

    received = ask_for_link(page, site, email)
    expect(page.get_by_text(f"A sign-in link has been sent to {email}")).to_be_visible()
    assert received.to == email
    (link,) = received.links
    assert link.startswith(f"{site.url}/auth/callback/email?"), link

    # Opening the link uses nothing up: a page asks to confirm, for that address.
    page.goto(link)
    expect(page).to_have_title("Confirm sign-in · flask-authadapter example")
    expect(page.get_by_text(f"Sign in to flask-authadapter example as {email}?")).to_be_visible()
    page.get_by_role("button", name="Sign in", exact=True).click()

    expect(page).to_have_url(at(site, "/protected"))
    expect(page.get_by_role("heading", name="Protected page")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text(f"You are {email}.")


def test_the_code_typed_on_the_check_your_email_page(page: Page, site: Site) -> None:
    email = "ken.code@example.com"
    page.goto(f"{site.url}/protected")
    received = ask_for_link(page, site, email)
    (code,) = received.codes
    assert len(code) == 9
    assert code[4] == "-"

    field = page.get_by_label("Or type the code from the email")
    field.fill(code)  # as the email shows it, with its dash
    page.get_by_role("button", name="Sign in with the code").click()

    expect(page).to_have_url(at(site, "/protected"))
    expect(page.get_by_role("main")).to_contain_text(f"You are {email}.")
    page.goto(f"{site.url}/")
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()


def test_openid_sign_in_through_the_providers_form(page: Page, site: Site) -> None:
    email = "ada.openid@example.com"
    openid_sign_in(page, site, email)
    page.get_by_role("link", name="Back to the home page").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
