"""The ``auth`` blueprint's routes over HTTP, on a real database (SQLite and PostgreSQL).

Every page and JSON endpoint, the security headers every response carries, the pages'
same-origin-only resources, template overriding, the app's own pages (AUTH_PAGES), and
basic accessibility of the rendered HTML.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter import Auth
from flask_authadapter.adapters.sqlalchemy import SQLAlchemyAdapter
from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.tokens import hash_session_token
from flask_authadapter.testing import SQLAlchemyRawStore
from flask_authadapter.web.responses import ERROR_PAGES
from tests.apps import SECRET, DummyProvider, csrf_from, dummy_sign_in, make_app

# =========================================================================== #
# A real database per backend for the module; empty tables for each test.
# =========================================================================== #
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

# =========================================================================== #
# Reading the HTML
# =========================================================================== #


class Page(HTMLParser):
    """What the tests need of a rendered page: elements, forms, labels, texts."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str]]] = []
        self.forms: list[dict[str, Any]] = []
        self.labels_for: set[str] = set()
        self.inputs: list[tuple[dict[str, str], bool]] = []  # (attrs, inside a <label>)
        self.texts: dict[str, list[str]] = {"title": [], "h1": [], "button": [], "a": []}
        self._open: list[tuple[str, list[str]]] = []
        self._label_depth = 0
        self._form: dict[str, Any] | None = None
        self._data: list[str] = []
        self.feed(html)
        self.close()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.elements.append((tag, values))
        if tag == "form":
            self._form = {
                "action": values.get("action"),
                "method": values.get("method"),
                "fields": {},
            }
            self.forms.append(self._form)
        elif tag == "label":
            self._label_depth += 1
            if "for" in values:
                self.labels_for.add(values["for"])
        elif tag == "input":
            self.inputs.append((values, self._label_depth > 0))
            if self._form is not None and "name" in values:
                self._form["fields"][values["name"]] = values.get("value", "")
        if tag in self.texts:
            self._open.append((tag, []))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "label":
            self._label_depth -= 1
        if tag in self.texts and self._open and self._open[-1][0] == tag:
            name, parts = self._open.pop()
            self.texts[name].append(" ".join("".join(parts).split()))

    def handle_data(self, data: str) -> None:
        self._data.append(data)
        for _, parts in self._open:
            parts.append(data)

    def attr_urls(self) -> list[str]:
        """Every URL the page refers to (src, href, action, formaction, ...)."""
        names = ("src", "href", "action", "formaction", "poster", "data", "srcset")
        return [v for _, attrs in self.elements for k, v in attrs.items() if k in names]

    @property
    def text(self) -> str:
        """The page's text, entities decoded, whitespace collapsed."""
        return " ".join("".join(self._data).split())

    @property
    def html_lang(self) -> str | None:
        return next((a.get("lang") for t, a in self.elements if t == "html"), None)


def page_of(response: Any) -> Page:
    assert response.mimetype == "text/html", response.mimetype
    return Page(response.get_data(as_text=True))


def assert_accessible(page: Page) -> None:
    """The basics: a language, a title, one heading, labelled inputs, buttons with text."""
    assert page.html_lang, "<html> has no lang"
    assert len(page.texts["title"]) == 1 and page.texts["title"][0].strip(), "no <title>"
    assert len(page.texts["h1"]) == 1, f"expected one <h1>, got {page.texts['h1']}"
    assert page.texts["h1"][0].strip()
    for attrs, in_label in page.inputs:
        if attrs.get("type") == "hidden":
            continue
        labelled = in_label or attrs.get("id") in page.labels_for or attrs.get("aria-label")
        assert labelled, f"an input without a label: {attrs}"
    for text in page.texts["button"]:
        assert text.strip(), "a button without text"
    for text in page.texts["a"]:
        assert text.strip(), "a link without text"


def assert_same_origin_only(page: Page, origin: str = "http://localhost") -> None:
    """Every resource and link is relative to the site or on its origin."""
    for url in page.attr_urls():
        parts = urlsplit(url)
        if parts.scheme or parts.netloc:
            assert f"{parts.scheme}://{parts.netloc}" == origin, url
        assert not url.startswith("//"), url
        assert parts.scheme not in ("javascript", "data"), url


# =========================================================================== #
# Apps
# =========================================================================== #

UTC = timezone.utc
START = datetime(2031, 5, 17, 9, 30, 15, 123456, tzinfo=UTC)


@pytest.fixture
def app(adapter: SQLAlchemyAdapter) -> Flask:
    """The standard test app, with two providers."""
    app, _ = make_app(
        adapter, providers=[DummyProvider("dummy"), DummyProvider("other", name="Other Co")]
    )
    return app


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def signed_in_client(app: Flask, **kwargs: Any) -> FlaskClient:
    client = app.test_client()
    landed = dummy_sign_in(client, **kwargs)
    assert landed.status_code == 302, landed.get_data(as_text=True)
    return client


# =========================================================================== #
# GET /auth/signin
# =========================================================================== #


def test_signin_page_lists_each_provider_with_a_csrf_protected_form(client: FlaskClient) -> None:
    response = client.get("/auth/signin")
    assert response.status_code == 200
    page = page_of(response)
    assert "Sign in with Dummy" in page.texts["button"]
    assert "Sign in with Other Co" in page.texts["button"]
    cookie = client.get_cookie("authadapter.csrf")
    assert cookie is not None
    token = cookie.value.split(".")[0]
    by_action = {form["action"]: form for form in page.forms}
    assert set(by_action) == {"/auth/signin/dummy", "/auth/signin/other"}
    for form in by_action.values():
        assert form["method"] == "post"
        assert form["fields"] == {"csrf_token": token, "callback_url": ""}


def test_signin_page_keeps_a_safe_callback_url(client: FlaskClient) -> None:
    response = client.get("/auth/signin", query_string={"callback_url": "/private?x=1&y=<2>"})
    for form in page_of(response).forms:
        assert form["fields"]["callback_url"] == "/private?x=1&y=<2>"
    assert "y=<2>" not in response.get_data(as_text=True)  # escaped in the HTML


@pytest.mark.parametrize(
    "hostile",
    [
        "https://evil.example",
        "//evil.example",
        "/\\evil.example",
        "javascript:alert(1)",
        '"><script>alert(1)</script>',
    ],
)
def test_signin_page_drops_a_hostile_callback_url(client: FlaskClient, hostile: str) -> None:
    response = client.get("/auth/signin", query_string={"callback_url": hostile})
    page = page_of(response)
    assert page.forms
    for form in page.forms:
        assert form["fields"]["callback_url"] == ""
    body = response.get_data(as_text=True)
    assert "evil.example" not in body and "alert(1)" not in body


@pytest.mark.parametrize("code", ["OAuthAccountNotLinked", "AccessDenied", "MissingCSRF"])
def test_signin_page_shows_the_message_of_an_error_code(client: FlaskClient, code: str) -> None:
    response = client.get("/auth/signin", query_string={"error": code})
    assert response.status_code == 200
    page = page_of(response)
    title, message = ERROR_PAGES[code].title, ERROR_PAGES[code].message
    assert f"{title}. {message}" in page.text
    assert 'role="alert"' in response.get_data(as_text=True)


def test_signin_page_never_echoes_an_unknown_error(client: FlaskClient) -> None:
    payload = '<script>alert("pwned-4242")</script>'
    response = client.get("/auth/signin", query_string={"error": payload})
    body = response.get_data(as_text=True)
    assert "pwned-4242" not in body and "<script" not in body
    assert ERROR_PAGES["Default"].message in page_of(response).text


def test_signin_page_without_providers_says_so(adapter: SQLAlchemyAdapter) -> None:
    app, _ = make_app(adapter, providers=[])
    response = app.test_client().get("/auth/signin")
    assert response.status_code == 200
    page = page_of(response)
    assert not page.forms
    assert "No way to sign in is set up" in response.get_data(as_text=True)
    assert_accessible(page)


# =========================================================================== #
# Sign-out
# =========================================================================== #


def test_signout_page_signed_in_has_a_button(app: Flask) -> None:
    client = signed_in_client(app)
    response = client.get("/auth/signout", query_string={"callback_url": "/bye"})
    page = page_of(response)
    assert "ada@example.com" in response.get_data(as_text=True)
    assert page.texts["button"] == ["Sign out"]
    (form,) = page.forms
    assert form["action"] == "/auth/signout" and form["method"] == "post"
    assert form["fields"]["callback_url"] == "/bye"
    assert form["fields"]["csrf_token"]


def test_signout_page_signed_out_has_a_link(client: FlaskClient) -> None:
    response = client.get("/auth/signout")
    assert response.status_code == 200
    page = page_of(response)
    assert not page.forms
    hrefs = [a.get("href") for tag, a in page.elements if tag == "a"]
    assert "/auth/signin" in hrefs


def test_signout_page_drops_a_hostile_callback_url(app: Flask) -> None:
    client = signed_in_client(app)
    response = client.get("/auth/signout", query_string={"callback_url": "https://evil.example"})
    (form,) = page_of(response).forms
    assert form["fields"]["callback_url"] == ""


@pytest.mark.parametrize(
    ("callback_url", "landing"),
    [("/goodbye?x=1", "/goodbye?x=1"), ("https://evil.example/", "/"), (None, "/")],
)
def test_signout_deletes_the_row_clears_the_cookie_and_redirects(
    app: Flask, raw: SQLAlchemyRawStore, callback_url: str | None, landing: str
) -> None:
    client = signed_in_client(app)
    cookie = client.get_cookie("authadapter.session")
    assert cookie is not None
    session_token = cookie.value
    assert raw.session(hash_session_token(session_token)) is not None

    form = {"csrf_token": csrf_from(client, "/auth/signout")}
    if callback_url is not None:
        form["callback_url"] = callback_url
    response = client.post("/auth/signout", data=form)

    assert response.status_code == 302
    assert response.location == landing
    assert raw.session(hash_session_token(session_token)) is None
    assert raw.count("sessions") == 0
    assert raw.count("users") == 1  # signing out deletes nothing else
    cleared = [
        h for h in response.headers.getlist("Set-Cookie") if h.startswith("authadapter.session=")
    ]
    assert len(cleared) == 1 and "Max-Age=0" in cleared[0]
    assert client.get_cookie("authadapter.session") is None
    assert client.get("/auth/session").json is None
    # A replayed cookie is anonymous.
    client.set_cookie("authadapter.session", session_token)
    assert client.get("/auth/session").json is None
    assert client.get("/whoami").get_data(as_text=True) == "anonymous"


# =========================================================================== #
# GET /auth/error
# =========================================================================== #


@pytest.mark.parametrize(
    ("query", "status", "code"),
    [
        ({"error": "AccessDenied"}, 403, "AccessDenied"),
        ({"error": "Verification"}, 403, "Verification"),
        ({"error": "Configuration"}, 500, "Configuration"),
        ({"error": "MissingCSRF"}, 403, "MissingCSRF"),
        ({"error": "RateLimited"}, 429, "RateLimited"),
        ({"error": "OAuthAccountNotLinked"}, 409, "OAuthAccountNotLinked"),
        ({"error": "SessionRequired"}, 401, "SessionRequired"),
        ({"error": "OAuthSignin"}, 400, "OAuthSignin"),
        ({"error": "OAuthCallbackError"}, 400, "OAuthCallbackError"),
        ({"error": "EmailSignin"}, 400, "EmailSignin"),
        ({"error": "NoSuchCode"}, 400, "Default"),
        ({"error": "accessdenied"}, 400, "Default"),
        ({"error": ""}, 400, "Default"),
        ({}, 400, "Default"),
    ],
    ids=lambda v: str(v) if not isinstance(v, dict) else (v.get("error", "missing") or "empty"),
)
def test_error_page_has_the_status_of_its_code(
    client: FlaskClient, query: dict[str, str], status: int, code: str
) -> None:
    response = client.get("/auth/error", query_string=query)
    assert response.status_code == status
    page = page_of(response)
    title, message = ERROR_PAGES[code].title, ERROR_PAGES[code].message
    assert page.texts["h1"] == [title]
    assert message in page.text
    assert f"Error code: {code}" in page.text
    assert_accessible(page)


def test_error_page_never_echoes_the_error_parameter(client: FlaskClient) -> None:
    payload = '<script>alert("pwned-4242")</script>'
    response = client.get("/auth/error", query_string={"error": payload})
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "pwned-4242" not in body and "<script" not in body and "&lt;script" not in body


# =========================================================================== #
# GET /auth/verify-request
# =========================================================================== #


def test_verify_request_page(client: FlaskClient) -> None:
    response = client.get("/auth/verify-request")
    assert response.status_code == 200
    page = page_of(response)
    assert page.texts["h1"] == ["Check your email"]
    assert "/auth/signin" in [a.get("href") for tag, a in page.elements if tag == "a"]


# =========================================================================== #
# JSON: /auth/session, /auth/csrf, /auth/providers
# =========================================================================== #


def test_session_is_null_when_signed_out(client: FlaskClient) -> None:
    response = client.get("/auth/session")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.get_data(as_text=True).strip() == "null"


def test_session_shows_the_user_and_the_expiry_when_signed_in(
    adapter: SQLAlchemyAdapter, raw: SQLAlchemyRawStore
) -> None:
    clock = FrozenClock(START)
    app, _ = make_app(adapter, clock=clock)
    client = app.test_client()
    dummy_sign_in(client, email="ada@example.com")
    data = client.get("/auth/session").json
    assert data is not None
    assert set(data) == {"user", "expires"}
    assert data["user"]["email"] == "ada@example.com"
    assert raw.user(data["user"]["id"]) is not None
    assert set(data["user"]) == {"id", "email", "name", "image"}
    assert data["expires"] == "2031-06-16T09:30:15.123456Z"  # START + 30 days, UTC, "Z"
    expires = datetime.fromisoformat(data["expires"].replace("Z", "+00:00"))
    assert expires == START + timedelta(days=30)


def test_csrf_gives_a_token_and_sets_the_cookie(client: FlaskClient) -> None:
    response = client.get("/auth/csrf")
    assert response.status_code == 200
    token = response.json["csrfToken"]
    assert isinstance(token, str) and len(token) >= 40
    set_cookies = response.headers.getlist("Set-Cookie")
    assert any(h.startswith(f"authadapter.csrf={token}.") for h in set_cookies), set_cookies
    assert all("HttpOnly" in h for h in set_cookies)
    # The same browser keeps its token; the page's form carries the same one.
    assert client.get("/auth/csrf").json["csrfToken"] == token
    assert csrf_from(client) == token
    # Another browser gets another.
    assert client.application.test_client().get("/auth/csrf").json["csrfToken"] != token


def test_providers_lists_each_provider(client: FlaskClient) -> None:
    data = client.get("/auth/providers").json
    assert data == {
        "dummy": {
            "id": "dummy",
            "name": "Dummy",
            "type": "oauth",
            "signinUrl": "http://localhost/auth/signin/dummy",
            "callbackUrl": "http://localhost/auth/callback/dummy",
        },
        "other": {
            "id": "other",
            "name": "Other Co",
            "type": "oauth",
            "signinUrl": "http://localhost/auth/signin/other",
            "callbackUrl": "http://localhost/auth/callback/other",
        },
    }


def test_providers_urls_come_from_auth_url_never_from_the_host_header(
    adapter: SQLAlchemyAdapter,
) -> None:
    app, _ = make_app(adapter, AUTH_URL="https://app.example/", AUTH_URL_PREFIX="/login")
    client = app.test_client()
    for headers in ({}, {"Host": "evil.example"}, {"X-Forwarded-Host": "evil.example"}):
        data = client.get("/login/providers", headers=headers).json
        assert data["dummy"]["signinUrl"] == "https://app.example/login/signin/dummy"
        assert data["dummy"]["callbackUrl"] == "https://app.example/login/callback/dummy"
        assert "evil" not in str(data)


def test_the_provider_redirect_uri_comes_from_auth_url(adapter: SQLAlchemyAdapter) -> None:
    """The callback URL handed to the provider ignores a forged Host header too."""
    app, _ = make_app(adapter, AUTH_URL="http://app.example")
    client = app.test_client()
    token = csrf_from(client)
    csrf_cookie = client.get_cookie("authadapter.csrf")
    assert csrf_cookie is not None
    # The test client sends cookies by the Host header's name: give the forged host it.
    client.set_cookie("authadapter.csrf", csrf_cookie.value, domain="evil.example")
    response = client.post(
        "/auth/signin/dummy",
        data={"csrf_token": token, "sub": "1"},
        headers={"Host": "evil.example", "Origin": "http://app.example"},
    )
    assert response.status_code == 302
    assert response.location.startswith("http://app.example/auth/callback/dummy?")


# =========================================================================== #
# Unknown provider
# =========================================================================== #


def test_unknown_provider_is_404(client: FlaskClient, raw: SQLAlchemyRawStore) -> None:
    token = csrf_from(client)
    assert client.post("/auth/signin/nope", data={"csrf_token": token}).status_code == 404
    assert client.get("/auth/callback/nope?sub=1").status_code == 404
    assert client.post("/auth/callback/nope", data={"csrf_token": token}).status_code == 404
    assert raw.count("users") == 0


# =========================================================================== #
# Headers of every blueprint response
# =========================================================================== #

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


# =========================================================================== #
# Overriding the templates
# =========================================================================== #

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


# =========================================================================== #
# The app's own pages (AUTH_PAGES)
# =========================================================================== #


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


# =========================================================================== #
# Another URL prefix
# =========================================================================== #


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
