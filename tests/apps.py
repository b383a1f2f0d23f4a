"""Helpers to build and drive real apps for the extension's tests.

The reference app and its test provider live in :mod:`harness.app` (the benchmarks count
the SQL on the same app); this module adds what a test does with it as a browser would.
"""

from __future__ import annotations

import re

from flask.testing import FlaskClient
from werkzeug.wrappers import Response

from harness.app import SECRET, DummyProvider, make_app

__all__ = ["SECRET", "DummyProvider", "csrf_from", "dummy_sign_in", "make_app"]

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(client: FlaskClient, path: str = "/auth/signin") -> str:
    """The CSRF token of a page's form (the client keeps the CSRF cookie)."""
    page = client.get(path)
    found = _CSRF.search(page.get_data(as_text=True))
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


def dummy_sign_in(
    client: FlaskClient,
    *,
    sub: str = "1",
    email: str | None = "ada@example.com",
    callback_url: str = "/private",
    verified: bool = True,
    provider: str = "dummy",
) -> Response:
    """Sign in through the dummy provider as a browser would; returns the final redirect.

    The provider asserts the email is verified unless ``verified=False`` (an unverified
    email is no claim on the address: the user is then stored without it)."""
    token = csrf_from(client)
    form = {"csrf_token": token, "callback_url": callback_url, "sub": sub}
    if email is not None:
        form["email"] = email
    form["verified"] = "1" if verified else "0"
    started = client.post(f"/auth/signin/{provider}", data=form)
    assert started.status_code == 302, started.get_data(as_text=True)
    return client.get(started.location)
