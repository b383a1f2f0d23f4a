"""The extension beside an app's own blueprint named ``auth``, as in Flask's tutorial app
(flaskr: ``/auth/register``, ``/auth/login``, ``/auth/logout``): the name is a setting
(AUTH_BLUEPRINT_NAME, with AUTH_URL_PREFIX), a taken name is a clear start-up error that
changes nothing, and a sign-in through the renamed blueprint works end to end."""

from __future__ import annotations

import pytest
from flask import Blueprint, Flask, redirect, url_for
from werkzeug.wrappers import Response

from flask_authadapter import Auth, current_user, login_required
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.errors import ConfigurationError
from flask_authadapter.providers import Email
from tests.apps import SECRET
from tests.integration.existing_apps import APP_URL, MAIL, email_sign_in, sign_out
from tests.mail import MailServer


def flaskr(**config: object) -> Flask:
    """A flaskr-like app: its own ``auth`` blueprint at ``/auth``, and a protected page."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, TESTING=True, AUTH_URL=APP_URL, **MAIL, **config)
    own = Blueprint("auth", __name__, url_prefix="/auth")

    @own.route("/register", methods=["GET", "POST"])
    def register() -> str:
        return "flaskr register"

    @own.route("/login", methods=["GET", "POST"])
    def login() -> str:
        return "flaskr login"

    @own.get("/logout")
    def logout() -> Response:
        return redirect(url_for("index"))

    app.register_blueprint(own)

    @app.get("/")
    def index() -> str:
        return "flaskr index"

    @app.get("/whoami")
    def whoami() -> str:
        return current_user.email or "anonymous"

    @app.get("/create")
    @login_required
    def create() -> str:
        return f"new post by {current_user.email}"

    return app


def test_a_taken_blueprint_name_is_a_clear_error_that_changes_nothing() -> None:
    app = flaskr()
    config_before, extensions_before = dict(app.config), dict(app.extensions)
    blueprints_before, rules_before = dict(app.blueprints), len(list(app.url_map.iter_rules()))
    auth = Auth(adapter=MemoryAdapter(), providers=[Email()])

    with pytest.raises(ConfigurationError, match="AUTH_BLUEPRINT_NAME") as refused:
        auth.init_app(app)
    assert "'auth'" in str(refused.value)
    assert "AUTH_URL_PREFIX" in str(refused.value)

    assert dict(app.config) == config_before
    assert dict(app.extensions) == extensions_before
    assert dict(app.blueprints) == blueprints_before
    assert len(list(app.url_map.iter_rules())) == rules_before

    # Fixed, the same app takes it.
    app.config.update(AUTH_BLUEPRINT_NAME="authadapter", AUTH_URL_PREFIX="/account")
    auth.init_app(app)
    assert app.blueprints["auth"] is blueprints_before["auth"]
    assert "authadapter" in app.blueprints


@pytest.fixture
def app(smtp_server: MailServer) -> Flask:
    app = flaskr(
        AUTH_BLUEPRINT_NAME="authadapter", AUTH_URL_PREFIX="/account", **smtp_server.config
    )
    Auth(app, adapter=MemoryAdapter(), providers=[Email()])
    return app


def test_both_blueprints_answer_at_their_own_prefix(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/auth/login").get_data(as_text=True) == "flaskr login"
    assert client.post("/auth/register").get_data(as_text=True) == "flaskr register"
    assert client.get("/auth/signin").status_code == 404
    page = client.get("/account/signin")
    assert page.status_code == 200
    body = page.get_data(as_text=True)
    assert 'action="/account/signin/email"' in body
    assert 'href="/account/static/auth.css"' in body
    assert client.get("/account/static/auth.css").status_code == 200
    with app.test_request_context():
        assert url_for("authadapter.signin_page") == "/account/signin"
        assert url_for("auth.login") == "/auth/login"


def test_a_real_sign_in_through_the_renamed_blueprint(app: Flask, smtp_server: MailServer) -> None:
    with app.test_client() as client:
        sent_to_sign_in = client.get("/create")
        assert sent_to_sign_in.status_code == 302
        assert sent_to_sign_in.location.startswith("/account/signin?callback_url=")

        email_sign_in(client, smtp_server, "ada@example.com", prefix="/account")
        assert client.get("/create").get_data(as_text=True) == "new post by ada@example.com"
        assert client.get("/auth/login").get_data(as_text=True) == "flaskr login"

        sign_out(client, prefix="/account")
        assert client.get("/whoami").get_data(as_text=True) == "anonymous"


def test_the_error_page_links_to_the_renamed_sign_in_page(app: Flask) -> None:
    page = app.test_client().get("/account/error?error=Verification")
    assert page.status_code == 403
    assert 'href="/account/signin"' in page.get_data(as_text=True)
