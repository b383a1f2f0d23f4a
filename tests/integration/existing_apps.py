"""Helpers for the tests of the extension inside apps people already have: a browser's real
email sign-in (through the SMTP server of ``tests.mail``) and sign-out, under any prefix."""

from __future__ import annotations

import html
import re
from urllib.parse import urlsplit

from flask.testing import FlaskClient

from tests.apps import csrf_from
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
