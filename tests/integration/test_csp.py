"""The pages' Content-Security-Policy is AUTH_CONTENT_SECURITY_POLICY: an app whose own
``auth/base.html`` has an inline ``<style>`` allows it there (and None sends no policy).
That Chromium then applies the style: ``tests/e2e/test_csp_setting.py``."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

from flask_authadapter import Auth
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.config import CONTENT_SECURITY_POLICY
from flask_authadapter.providers import OAuth2
from tests.apps import SECRET
from tests.integration.existing_apps import ALLOWING_INLINE_STYLE, app_with_override


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
