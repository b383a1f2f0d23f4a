"""Helpers for the tests of the extension inside apps people already have: a browser's real
email sign-in (through the SMTP server of ``tests.mail``) and sign-out, under any prefix; an
app whose own ``auth/base.html`` has an inline style."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter import Auth
from flask_authadapter.adapters.memory import MemoryAdapter
from flask_authadapter.config import CONTENT_SECURITY_POLICY
from tests.apps import SECRET, csrf_from
from tests.mail import MailServer, sign_in_link

_HIDDEN = re.compile(r'<input type="hidden" name="([^"]+)" value="([^"]*)">')

#: The public URL of the apps under test (the test client's host).
APP_URL = "http://localhost"

#: Flask-Mail settings besides the server's (TESTING would suppress sending).
MAIL = {"MAIL_DEFAULT_SENDER": "app@localhost", "MAIL_SUPPRESS_SEND": False}


def email_sign_in(
    client: FlaskClient, smtp_server: MailServer, email: str, *, prefix: str = "/auth"
) -> None:
    """Ask for a link on the sign-in page, open it, press "Sign in": all real POSTs."""
    smtp_server.clear()
    token = csrf_from(client, f"{prefix}/signin")
    asked = client.post(f"{prefix}/signin/email", data={"csrf_token": token, "email": email})
    assert asked.status_code == 302, asked.get_data(as_text=True)
    assert asked.location == f"{prefix}/verify-request"
    link = urlsplit(sign_in_link(smtp_server.only()))
    assert link.path == f"{prefix}/callback/email"
    confirm_path = f"{link.path}?{link.query}"
    page = client.get(confirm_path).get_data(as_text=True)
    fields = {html.unescape(name): html.unescape(value) for name, value in _HIDDEN.findall(page)}
    assert set(fields) == {"csrf_token", "token", "email", "callback_url"}, fields
    done = client.post(link.path, data=fields)
    assert done.status_code == 302, done.get_data(as_text=True)


def sign_out(client: FlaskClient, *, prefix: str = "/auth") -> None:
    """Press "Sign out" on the sign-out page."""
    token = csrf_from(client, f"{prefix}/signout")
    answer = client.post(f"{prefix}/signout", data={"csrf_token": token})
    assert answer.status_code == 302, answer.get_data(as_text=True)


#: An app's own layout for the auth pages, styled inline (the body's background).
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

#: The default policy, allowing inline style.
ALLOWING_INLINE_STYLE = CONTENT_SECURITY_POLICY.replace(
    "style-src 'self';", "style-src 'self' 'unsafe-inline';"
)


def app_with_override(templates: Path, **config: Any) -> Flask:
    """An app whose template folder ``templates`` holds :data:`BASE_OVERRIDE`."""
    (templates / "auth").mkdir(parents=True, exist_ok=True)
    (templates / "auth" / "base.html").write_text(BASE_OVERRIDE)
    app = Flask(__name__, template_folder=str(templates))
    app.config.update(SECRET_KEY=SECRET, **config)
    Auth(app, adapter=MemoryAdapter())
    return app
