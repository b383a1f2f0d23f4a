"""Pages that start provider sign-ins allow the providers' origins as form targets (browsers
apply CSP form-action to the redirect after a POST), and OAuth needs no SECRET_KEY."""

from __future__ import annotations

from flask import Flask

from flask_authadapter import Auth
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import OIDC, Email, GitHub
from tests.apps import SECRET, csrf_from, dummy_sign_in, make_app


def _csp(app: Flask, path: str = "/auth/signin") -> dict[str, str]:
    header = app.test_client().get(path).headers["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


def test_the_signin_page_allows_each_providers_authorization_origin() -> None:
    app, _ = make_app(
        MemoryAdapter(),
        providers=[
            GitHub(client_id="id", client_secret="secret"),
            OIDC("corp", issuer="https://login.corp.example/realms/staff", client_id="id"),
        ],
    )
    directives = _csp(app)
    assert directives["form-action"] == "'self' https://github.com https://login.corp.example"
    # Everything else stays as strict as on the other pages.
    assert directives["default-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


def test_pages_without_provider_buttons_keep_form_action_self() -> None:
    app, _ = make_app(
        MemoryAdapter(), providers=[Email(send=lambda m: None)], AUTH_URL="http://localhost"
    )
    assert _csp(app)["form-action"] == "'self'"
    assert _csp(app, "/auth/error?error=Verification")["form-action"] == "'self'"


def test_the_account_page_allows_them_too() -> None:
    from tests.apps import DummyProvider

    app, _ = make_app(
        MemoryAdapter(),
        providers=[DummyProvider("dummy"), GitHub(client_id="id", client_secret="secret")],
    )
    client = app.test_client()
    dummy_sign_in(client, sub="1", email="ada@example.com")
    header = client.get("/auth/account").headers["Content-Security-Policy"]
    assert "form-action 'self' https://github.com;" in header


def test_oauth_providers_need_only_auth_secret() -> None:
    app = Flask(__name__)
    app.config.update(AUTH_SECRET=SECRET, AUTH_URL="http://app.example")  # no SECRET_KEY
    Auth(app, adapter=MemoryAdapter(), providers=[GitHub(client_id="id", client_secret="s")])
    client = app.test_client()
    started = client.post("/auth/signin/github", data={"csrf_token": csrf_from(client)})
    assert started.status_code == 302, started.get_data(as_text=True)
    assert started.location.startswith("https://github.com/login/oauth/authorize?")
    assert client.get_cookie("session") is None  # nothing in Flask's session
