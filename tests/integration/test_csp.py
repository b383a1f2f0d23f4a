"""The pages' Content-Security-Policy is AUTH_CONTENT_SECURITY_POLICY: an app whose own
``auth/base.html`` has an inline ``<style>`` allows it there (and None sends no policy).
Chromium shows that the inline style is blocked by default and applied once allowed."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from werkzeug.serving import make_server

from flask_authadapter import Auth
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.config import CONTENT_SECURITY_POLICY
from flask_authadapter.providers import OAuth2
from tests.apps import SECRET
from tests.e2e.browser import LAUNCH_ARGS, chromium_path, missing_browser_reason, skip_or_fail

#: The app's own layout for the auth pages, styled inline.
BASE_OVERRIDE = """<!doctype html>
<html lang="en">
<head>
  <title>{% block title %}{% endblock %}</title>
  <style>body { background-color: rgb(1, 2, 3); }</style>
  {% block head %}{% endblock %}
</head>
<body>{% block content %}{% endblock %}</body>
</html>
"""

ALLOWING_INLINE_STYLE = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self';", "style-src 'self' 'unsafe-inline';"
)


def app_with_override(templates: Path, **config: Any) -> Flask:
    (templates / "auth").mkdir(parents=True, exist_ok=True)
    (templates / "auth" / "base.html").write_text(BASE_OVERRIDE)
    app = Flask(__name__, template_folder=str(templates))
    app.config.update(SECRET_KEY=SECRET, **config)
    Auth(app, adapter=MemoryAdapter())
    return app


def test_by_default_the_strict_policy_is_sent(tmp_path: Path) -> None:
    page = app_with_override(tmp_path).test_client().get("/auth/signin")
    assert "rgb(1, 2, 3)" in page.get_data(as_text=True)  # the override is rendered
    assert page.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert "'unsafe-inline'" not in CONTENT_SECURITY_POLICY


def test_the_policy_is_a_setting(tmp_path: Path) -> None:
    app = app_with_override(tmp_path, AUTH_CONTENT_SECURITY_POLICY=ALLOWING_INLINE_STYLE)
    client = app.test_client()
    for path in ("/auth/signin", "/auth/signout", "/auth/error?error=Verification"):
        assert client.get(path).headers["Content-Security-Policy"] == ALLOWING_INLINE_STYLE


def test_none_sends_no_policy_and_keeps_the_other_headers(tmp_path: Path) -> None:
    app = app_with_override(tmp_path, AUTH_CONTENT_SECURITY_POLICY=None)
    page = app.test_client().get("/auth/signin")
    assert "Content-Security-Policy" not in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"
    assert page.headers["Cache-Control"] == "no-store"


def test_provider_origins_are_added_to_the_apps_policy() -> None:
    app = Flask(__name__)
    app.config.update(
        SECRET_KEY=SECRET,
        AUTH_CONTENT_SECURITY_POLICY="default-src 'self'; form-action 'self'",
        AUTH_CORP_CLIENT_ID="corp-client",
    )
    corp = OAuth2(
        "corp", authorize_url="https://sso.corp.example/a", token_url="https://sso.corp.example/t"
    )
    Auth(app, adapter=MemoryAdapter(), providers=[corp])
    header = app.test_client().get("/auth/signin").headers["Content-Security-Policy"]
    assert header == "default-src 'self'; form-action 'self' https://sso.corp.example"


# In Chromium ------------------------------------------------------------------------------


@pytest.fixture
def serve() -> Iterator[Any]:
    """``serve(app)`` -> the URL of ``app`` served for real on 127.0.0.1."""
    servers = []

    def start(app: Flask) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server in servers:
        server.shutdown()


def _backgrounds_in_chromium(*urls: str) -> list[str]:
    """The body's background colour of each page, as Chromium shows it."""
    reason = missing_browser_reason()
    if reason is not None:
        skip_or_fail(reason)
    from playwright.sync_api import sync_playwright

    colours = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(chromium_path()), args=LAUNCH_ARGS)
        try:
            for url in urls:
                page = browser.new_page()
                page.goto(url)
                colours.append(
                    str(page.evaluate("getComputedStyle(document.body).backgroundColor"))
                )
        finally:
            browser.close()
    return colours


def test_chromium_applies_the_inline_style_only_once_allowed(tmp_path: Path, serve: Any) -> None:
    strict = serve(app_with_override(tmp_path / "strict"))
    allowing = serve(
        app_with_override(tmp_path / "allowing", AUTH_CONTENT_SECURITY_POLICY=ALLOWING_INLINE_STYLE)
    )
    blocked, applied = _backgrounds_in_chromium(f"{strict}/auth/signin", f"{allowing}/auth/signin")
    assert blocked != "rgb(1, 2, 3)"
    assert applied == "rgb(1, 2, 3)"
