"""Signing in through the OpenID provider in Chromium when the app's cookies are
``SameSite=Strict``: the provider sends the browser back with a cross-site navigation, which
carries no Strict cookie, so the sign-in's own cookie stays ``Lax`` whatever the setting."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.api import Page, expect
from tests.e2e.conftest import Site, serve_example
from tests.e2e.flows import openid_sign_in


@pytest.fixture(scope="module")
def strict_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """The example with ``AUTH_COOKIE_SAMESITE="Strict"``."""
    with serve_example(tmp_path_factory, AUTH_COOKIE_SAMESITE="Strict") as served:
        yield served


def test_openid_sign_in_works_with_samesite_strict(page: Page, strict_site: Site) -> None:
    email = "ada.strict@example.com"
    openid_sign_in(page, strict_site, email)

    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies["authadapter.session"]["sameSite"] == "Strict"
    assert "authadapter.oauth-flow" not in cookies  # the flow is over
    page.get_by_role("link", name="Back to the home page").click()
    expect(page.get_by_text(f"Signed in as {email}")).to_be_visible()
