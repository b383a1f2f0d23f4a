"""The account page in Chromium: linking and unlinking a second way to sign in, and signing
out a session of another browser."""

from __future__ import annotations

from tests.e2e.api import Page, expect
from tests.e2e.conftest import OpenBrowser, Site
from tests.e2e.flows import approve_at_provider, at, sign_in_by_code, sign_in_by_link
from tests.test_devices import CHROME_LINUX, SAFARI_IPHONE

PHONE = {"width": 390, "height": 844}


def test_linking_the_second_way_to_sign_in_then_unlinking_it(page: Page, site: Site) -> None:
    email = "grace.link@example.com"
    sign_in_by_link(page, site, email)
    page.get_by_role("link", name="Your account").click()
    expect(page).to_have_url(at(site, "/auth/account"))
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    methods = page.get_by_role("region", name="Ways to sign in")
    expect(methods.get_by_role("listitem")).to_have_text([f"Email link to {email}"])
    expect(methods).to_contain_text("This is your only way to sign in")

    methods.get_by_role("button", name="Link Demo OpenID provider", exact=True).click()
    approve_at_provider(page, site, "grace-at-the-demo-provider")

    expect(page).to_have_url(at(site, "/auth/account"))
    items = methods.get_by_role("listitem")
    expect(items).to_have_count(2)
    expect(items.nth(0)).to_have_text(f"Email link to {email}")
    expect(items.nth(1)).to_contain_text("Demo OpenID provider")
    expect(
        methods.get_by_role("button", name="Link Demo OpenID provider", exact=True)
    ).to_have_count(0)
    expect(methods).not_to_contain_text("This is your only way to sign in")
    # The account is the one signed in by email: still the same person.
    expect(page.get_by_role("region", name="Profile")).to_contain_text(email)

    methods.get_by_role("button", name="Unlink Demo OpenID provider").click()
    expect(page).to_have_url(at(site, "/auth/account"))
    expect(methods.get_by_role("listitem")).to_have_text([f"Email link to {email}"])
    expect(
        methods.get_by_role("button", name="Link Demo OpenID provider", exact=True)
    ).to_be_visible()
    expect(methods).to_contain_text("This is your only way to sign in")


def test_signing_out_another_session_from_a_second_browser(
    open_browser: OpenBrowser, site: Site
) -> None:
    email = "hedy.sessions@example.com"
    laptop = open_browser("laptop", user_agent=CHROME_LINUX)
    phone = open_browser("phone", user_agent=SAFARI_IPHONE)
    sign_in_by_link(laptop, site, email)
    sign_in_by_code(phone, site, email)

    laptop.goto(f"{site.url}/auth/account")
    sessions = laptop.get_by_role("region", name="Active sessions")
    rows = sessions.get_by_role("listitem")
    expect(rows).to_have_count(2)
    expect(rows.nth(0)).to_contain_text("Chrome on Linux")  # this browser first
    this_one = rows.filter(has_text="Chrome on Linux")
    other = rows.filter(has_text="Safari on iPhone")
    expect(this_one).to_contain_text("This browser")
    expect(this_one).to_contain_text("Email link, signed in just now, active now")
    expect(other).not_to_contain_text("This browser")
    expect(other).to_contain_text("Email link, signed in just now, active just now")
    expect(this_one.get_by_role("button")).to_have_text("Sign out")
    expect(sessions.get_by_role("button", name="Sign out all other sessions")).to_be_visible()

    other.get_by_role("button", name="Sign out this session").click()

    expect(laptop).to_have_url(at(site, "/auth/account?done=session-ended"))
    expect(laptop.get_by_role("status")).to_have_text("The session was signed out.")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text("Chrome on Linux")
    expect(sessions.get_by_role("button", name="Sign out all other sessions")).to_have_count(0)

    # The phone's next page load is anonymous; the laptop stays signed in.
    phone.reload()
    expect(phone.get_by_text("You are not signed in")).to_be_visible()
    phone.goto(f"{site.url}/protected")
    expect(phone).to_have_url(at(site, "/auth/signin?callback_url=%2Fprotected"))
    laptop.goto(f"{site.url}/")
    expect(laptop.get_by_text(f"Signed in as {email}")).to_be_visible()


def test_the_account_page_at_phone_width(open_browser: OpenBrowser, site: Site) -> None:
    email = "carol.with.a.rather.long.mailbox@example.com"
    phone = open_browser("phone", user_agent=SAFARI_IPHONE)
    phone.set_viewport_size(PHONE)
    sign_in_by_link(phone, site, email)
    phone.goto(f"{site.url}/auth/account")

    sessions = phone.get_by_role("region", name="Active sessions")
    row = sessions.get_by_role("listitem").first
    expect(row.locator("strong")).to_have_text("Safari on iPhone")
    expect(row).to_contain_text("This browser")
    # The browser's name is one line, not a wrapped user agent.
    name_lines = row.locator("strong").evaluate(
        "e => Math.round(e.getBoundingClientRect().height"
        " / parseFloat(getComputedStyle(e).lineHeight))"
    )
    assert name_lines == 1

    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    # No address breaks inside its domain: each domain sits on one line.
    for domain in phone.locator(".auth-email-domain").all():
        expect(domain).to_have_text("@example.com")
        box = domain.bounding_box()
        assert box is not None
        line = domain.evaluate("e => parseFloat(getComputedStyle(e).lineHeight)")
        assert box["height"] < 1.5 * line
        assert box["x"] + box["width"] <= PHONE["width"]
