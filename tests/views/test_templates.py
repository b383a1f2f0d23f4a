"""Overriding the templates; The app's own pages (AUTH_PAGES); Another URL prefix."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from flask_authadapter import Auth
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from tests.apps import SECRET, DummyProvider, dummy_sign_in, make_app
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

from .helpers import (
    page_of,
)

OWN_BASE = """<!doctype html>
<html lang="fr"><head><title>{% block title %}{% endblock %} - My App</title></head>
<body><div id="my-layout">{% block content %}{% endblock %}</div></body></html>
"""

OWN_SIGNIN = """{% extends "auth/base.html" %}
{% block title %}Connexion{% endblock %}
{% block content %}<h1>My own sign-in</h1>
{% for p in oauth_providers %}
<form method="post" action="{{ prefix }}/signin/{{ p.id }}">
<input type="hidden" name="{{ csrf_field }}" value="{{ csrf_value }}">
<button>Go with {{ p.name }}</button></form>
{% endfor %}{% endblock %}
"""


def _app_with_templates(adapter: SQLAlchemyAdapter, folder: Path, **templates: str) -> Flask:
    for name, text in templates.items():
        (folder / "auth").mkdir(parents=True, exist_ok=True)
        (folder / "auth" / f"{name}.html").write_text(text)
    app = Flask(__name__, template_folder=str(folder))
    app.config.update(SECRET_KEY=SECRET, TESTING=True)
    Auth().init_app(app, adapter=adapter, providers=[DummyProvider("dummy")])
    return app


def test_an_app_layout_overrides_the_base_template(
    adapter: SQLAlchemyAdapter, tmp_path: Path
) -> None:
    app = _app_with_templates(adapter, tmp_path, base=OWN_BASE)
    client = app.test_client()
    response = client.get("/auth/signin")
    body = response.get_data(as_text=True)
    assert '<div id="my-layout">' in body
    assert "auth.css" not in body  # the package's layout is not used
    page = page_of(response)
    assert page.html_lang == "fr"
    assert page.texts["title"] == ["Sign in - My App"]
    assert "Sign in with Dummy" in page.texts["button"]  # the package's sign-in page
    # Every page uses it, and the forms still work.
    assert '<div id="my-layout">' in client.get("/auth/error?error=AccessDenied").get_data(
        as_text=True
    )
    assert dummy_sign_in(client).location == "/private"


def test_an_app_signin_page_overrides_the_package_one(
    adapter: SQLAlchemyAdapter, tmp_path: Path
) -> None:
    app = _app_with_templates(adapter, tmp_path, signin=OWN_SIGNIN)
    client = app.test_client()
    response = client.get("/auth/signin")
    page = page_of(response)
    assert page.texts["h1"] == ["My own sign-in"]
    assert page.texts["button"] == ["Go with Dummy"]
    assert "/auth/static/auth.css" in page.attr_urls()  # the package's layout still
    # Other pages are still the package's.
    assert page_of(client.get("/auth/verify-request")).texts["h1"] == ["Check your email"]
    # The overriding form works: its CSRF field is the real one.
    started = client.post("/auth/signin/dummy", data={**page.forms[0]["fields"], "sub": "1"})
    assert started.status_code == 302


def test_an_app_can_override_both(adapter: SQLAlchemyAdapter, tmp_path: Path) -> None:
    app = _app_with_templates(adapter, tmp_path, base=OWN_BASE, signin=OWN_SIGNIN)
    page = page_of(app.test_client().get("/auth/signin"))
    assert page.texts["title"] == ["Connexion - My App"]
    assert page.texts["h1"] == ["My own sign-in"]


@pytest.mark.parametrize(
    ("setting", "route"),
    [
        ("signin", "/auth/signin"),
        ("signout", "/auth/signout"),
        ("error", "/auth/error"),
        ("verify_request", "/auth/verify-request"),
    ],
)
@pytest.mark.parametrize("page", ["/my-page", "/my-page?from=auth"])
def test_app_pages_get_a_redirect_keeping_the_query(
    adapter: SQLAlchemyAdapter, setting: str, route: str, page: str
) -> None:
    app, _ = make_app(adapter, AUTH_PAGES={setting: page})
    client = app.test_client()
    response = client.get(route, query_string="callback_url=%2Fprivate%3Fx%3D1&error=AccessDenied")
    assert response.status_code == 302
    joiner = "&" if "?" in page else "?"
    assert response.location == f"{page}{joiner}callback_url=%2Fprivate%3Fx%3D1&error=AccessDenied"
    bare = client.get(route)
    assert bare.status_code == 302 and bare.location == page
    # The other pages are still the package's.
    others = {"/auth/signin", "/auth/signout", "/auth/error", "/auth/verify-request"} - {route}
    for other in others:
        assert client.get(other).status_code in (200, 400), other


def test_login_required_redirects_to_the_app_signin_page(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, AUTH_PAGES={"signin": "/login"})
    response = app.test_client().get("/private", query_string={"tab": "2"})
    assert response.status_code == 302
    assert response.location == "/login?callback_url=%2Fprivate%3Ftab%3D2"


def test_login_required_redirects_to_the_package_signin_page(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/private")
    assert response.status_code == 302
    assert response.location == "/auth/signin?callback_url=%2Fprivate"
    # ... whose forms carry the way back.
    for form in page_of(client.get(response.location)).forms:
        assert form["fields"]["callback_url"] == "/private"
    json = client.get("/private", headers={"Accept": "application/json"})
    assert json.status_code == 401 and json.json["error"] == "SessionRequired"


def test_a_custom_prefix_is_used_by_every_link(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, AUTH_URL_PREFIX="/login")
    client = app.test_client()
    assert client.get("/auth/signin").status_code == 404
    page = page_of(client.get("/login/signin"))
    assert [f["action"] for f in page.forms] == ["/login/signin/dummy"]
    assert "/login/static/auth.css" in page.attr_urls()
    error = page_of(client.get("/login/error?error=AccessDenied"))
    assert "/login/signin" in error.attr_urls()


def test_a_flow_error_page_links_to_the_signin_page_under_a_custom_prefix(
    adapter: SQLAlchemyAdapter,
) -> None:
    app, _ = make_app(adapter, AUTH_URL_PREFIX="/login")
    client = app.test_client()
    refused = client.post("/login/signin/dummy", data={"sub": "1"})  # no CSRF token
    assert refused.status_code == 403
    links = page_of(refused).attr_urls()
    assert "/login/signin" in links
    assert all(client.get(url).status_code == 200 for url in links)
