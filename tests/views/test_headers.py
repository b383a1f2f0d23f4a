"""Headers of every blueprint response."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.web.responses import ERROR_PAGES
from tests.apps import csrf_from
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

from .helpers import (
    assert_accessible,
    assert_same_origin_only,
    page_of,
    signed_in_client,
)

ROUTES = [
    ("GET", "/auth/signin", "html"),
    ("GET", "/auth/signin?error=AccessDenied", "html"),
    ("GET", "/auth/signout", "html"),
    ("GET", "/auth/signout#signed-in", "html"),
    ("POST", "/auth/signout", "redirect"),
    ("GET", "/auth/verify-request", "html"),
    ("GET", "/auth/error?error=AccessDenied", "html"),
    ("GET", "/auth/error", "html"),
    ("GET", "/auth/session", "json"),
    ("GET", "/auth/session#signed-in", "json"),
    ("GET", "/auth/csrf", "json"),
    ("GET", "/auth/providers", "json"),
    ("GET", "/auth/static/auth.css", "css"),
    ("POST", "/auth/signin/dummy", "redirect"),
    ("POST", "/auth/signin/dummy#no-csrf", "html"),
    ("GET", "/auth/callback/dummy?sub=1", "redirect"),
    ("GET", "/auth/callback/dummy", "html"),  # no sub: OAuthCallbackError
    ("POST", "/auth/signin/nope", "html"),  # 404
]


@pytest.mark.parametrize(("method", "path", "kind"), ROUTES, ids=lambda v: str(v))
def test_every_blueprint_response_has_the_security_headers(
    app: Flask, method: str, path: str, kind: str
) -> None:
    path, _, variant = path.partition("#")
    client = signed_in_client(app) if variant == "signed-in" else app.test_client()
    if method == "POST":
        form = {"sub": "1"}
        if variant != "no-csrf":
            form["csrf_token"] = csrf_from(client)
        response = client.post(path, data=form)
    else:
        response = client.get(path)
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] in ("no-referrer", "same-origin")
    if kind == "html":
        assert response.mimetype == "text/html"
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'none'" in csp
        assert "frame-ancestors 'none'" in csp
        assert "form-action 'self'" in csp
    elif kind == "redirect":
        assert response.status_code == 302
    elif kind == "json":
        assert response.mimetype == "application/json"
    elif kind == "css":
        assert response.status_code == 200 and response.mimetype == "text/css"


def test_the_stylesheet_is_served_and_self_contained(client: FlaskClient) -> None:
    response = client.get("/auth/static/auth.css")
    assert response.status_code == 200
    assert response.mimetype == "text/css"
    css = response.get_data(as_text=True)
    assert ".auth-card" in css
    assert "@import" not in css
    assert "url(" not in css and "//" not in css.replace("/*", "").replace("*/", "")


def _all_pages(app: Flask) -> list[tuple[str, Any]]:
    anonymous = app.test_client()
    signed_in = signed_in_client(app)
    no_csrf = app.test_client().post("/auth/signin/dummy", data={"sub": "1"})
    pages = [
        ("signin", anonymous.get("/auth/signin?callback_url=/private")),
        ("signin-error", anonymous.get("/auth/signin?error=OAuthAccountNotLinked")),
        ("signout-signed-in", signed_in.get("/auth/signout")),
        ("signout-signed-out", anonymous.get("/auth/signout")),
        ("verify-request", anonymous.get("/auth/verify-request")),
        ("missing-csrf", no_csrf),
    ]
    pages += [(f"error-{code}", anonymous.get(f"/auth/error?error={code}")) for code in ERROR_PAGES]
    return pages


def test_pages_load_nothing_from_other_origins(app: Flask) -> None:
    for name, response in _all_pages(app):
        page = page_of(response)
        assert_same_origin_only(page)
        stylesheets = [a.get("href") for t, a in page.elements if t == "link"]
        assert stylesheets == ["/auth/static/auth.css"], name
        assert not [t for t, _ in page.elements if t in ("script", "iframe", "img", "object")]
        # The stylesheet link works.
        assert app.test_client().get(stylesheets[0]).status_code == 200


def test_pages_meet_basic_accessibility(app: Flask) -> None:
    for name, response in _all_pages(app):
        page = page_of(response)
        try:
            assert_accessible(page)
        except AssertionError as exc:  # pragma: no cover - the message says which page
            raise AssertionError(f"{name}: {exc}") from exc


def test_the_sign_in_page_csp_allows_its_own_stylesheet_only(client: FlaskClient) -> None:
    csp = client.get("/auth/signin").headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";") if d.strip())
    assert directives["style-src"] == "'self'"
    assert "script-src" not in directives  # default-src 'none' forbids scripts
    assert directives["base-uri"] == "'none'"
