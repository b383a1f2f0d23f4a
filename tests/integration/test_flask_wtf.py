"""The extension in an app protected by Flask-WTF's ``CSRFProtect``, set up before or after
``Auth``: the blueprint's POSTs (checked by its own CSRF token) pass, and the app's own forms
keep Flask-WTF's ``csrf_token()`` (and Flask-WTF still refuses a form without it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask, render_template_string, request
from flask.testing import FlaskClient
from flask_wtf.csrf import CSRFProtect

from flask_authadapter import Auth, current_user
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.providers import Email
from tests.apps import SECRET
from tests.integration.existing_apps import APP_URL, MAIL, email_sign_in, sign_out
from tests.mail import MailServer

#: The app's own page: a form with Flask-WTF's token, and who is signed in.
NOTE_PAGE = """
<p id="who">{{ current_user.email or "anonymous" }}</p>
<form method="post" action="/note">
  <input type="hidden" name="csrf_token" value="{{ csrf_token() }}">
  <input name="text">
</form>
"""


def build(order: str, smtp_server: MailServer) -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY=SECRET, TESTING=True, AUTH_URL=APP_URL, **MAIL)
    app.config.update(smtp_server.config)
    csrf = CSRFProtect()
    auth = Auth(adapter=MemoryAdapter(), providers=[Email()])
    if order == "csrf first":
        csrf.init_app(app)
        auth.init_app(app)
    else:
        auth.init_app(app)
        csrf.init_app(app)

    @app.route("/note", methods=["GET", "POST"])
    def note() -> str:
        if request.method == "POST":
            return f"saved {request.form['text']}"
        return render_template_string(NOTE_PAGE)

    @app.get("/whoami")
    def whoami() -> str:
        return current_user.email or "anonymous"

    return app


@pytest.fixture(params=["csrf first", "auth first"])
def client(request: pytest.FixtureRequest, smtp_server: MailServer) -> Iterator[FlaskClient]:
    app = build(request.param, smtp_server)
    with app.test_client() as client:
        yield client


def _flask_wtf_token(client: FlaskClient) -> str:
    page = client.get("/note").get_data(as_text=True)
    start = page.index('name="csrf_token" value="') + len('name="csrf_token" value="')
    return page[start : page.index('"', start)]


def test_an_email_sign_in_and_sign_out_pass_CSRFProtect(
    client: FlaskClient, smtp_server: MailServer
) -> None:
    email_sign_in(client, smtp_server, "ada@example.com")
    assert client.get("/whoami").get_data(as_text=True) == "ada@example.com"
    sign_out(client)
    assert client.get("/whoami").get_data(as_text=True) == "anonymous"


def test_the_apps_own_form_keeps_flask_wtfs_token(client: FlaskClient) -> None:
    token = _flask_wtf_token(client)
    saved = client.post("/note", data={"csrf_token": token, "text": "hello"})
    assert saved.status_code == 200, saved.get_data(as_text=True)
    assert saved.get_data(as_text=True) == "saved hello"


def test_flask_wtf_still_guards_the_apps_own_forms(client: FlaskClient) -> None:
    assert client.post("/note", data={"text": "hello"}).status_code == 400


def test_the_blueprint_still_refuses_a_post_without_its_token(client: FlaskClient) -> None:
    # Exempt from Flask-WTF, not from CSRF checks: Flask-WTF's token is not the blueprint's.
    token = _flask_wtf_token(client)
    refused = client.post("/auth/signin/email", data={"csrf_token": token, "email": "a@b.c"})
    assert refused.status_code == 403


def test_app_templates_see_current_user(client: FlaskClient, smtp_server: MailServer) -> None:
    email_sign_in(client, smtp_server, "bob@example.com")
    assert '<p id="who">bob@example.com</p>' in client.get("/note").get_data(as_text=True)
