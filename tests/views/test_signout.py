"""Sign-out."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from flask_authadapter.core.tokens import hash_session_token
from flask_authadapter.testing import SQLAlchemyRawStore
from tests.apps import csrf_from
from tests.http_databases import HTTP_BACKENDS, adapter, backend, database, raw  # noqa: F401

from .helpers import (
    page_of,
    signed_in_client,
)


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
