"""current_user, current_session, login_required."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from flask.testing import FlaskClient

from tests.apps import dummy_sign_in

from .helpers import (
    Build,
    Database,
    browser_sign_in,
)


def test_current_user_and_current_session_when_signed_in(db: Database, client: FlaskClient) -> None:
    browser_sign_in(client)
    answer = client.get("/state")
    user = db.adapter.get_user_by_email("ada@example.com")
    assert user is not None
    assert answer.get_json() == {
        "authenticated": True,
        "anonymous": False,
        "email": "ada@example.com",
        "user_id": user.id,
        "has_session": True,
    }
    assert "Cookie" in answer.vary  # the answer depends on who asks


def test_login_required_sends_a_page_request_to_sign_in(client: FlaskClient) -> None:
    answer = client.get("/private?tab=2&q=a%20b")
    assert answer.status_code == 302
    target = urlsplit(answer.location)
    assert target.path == "/auth/signin"
    assert parse_qs(target.query) == {"callback_url": ["/private?tab=2&q=a%20b"]}


def test_login_required_without_a_query(client: FlaskClient) -> None:
    answer = client.get("/private")
    assert parse_qs(urlsplit(answer.location).query) == {"callback_url": ["/private"]}


def test_login_required_uses_the_apps_own_sign_in_page(build: Build) -> None:
    _, client = build(AUTH_PAGES={"signin": "/login"})
    answer = client.get("/private?x=1")
    target = urlsplit(answer.location)
    assert target.path == "/login"
    assert parse_qs(target.query) == {"callback_url": ["/private?x=1"]}


@pytest.mark.parametrize(
    "headers",
    [
        {"Accept": "application/json"},
        {"Accept": "application/json, text/plain, */*"},
        {"Content-Type": "application/json"},
    ],
    ids=["accept json", "accept like fetch", "json body"],
)
def test_login_required_answers_a_json_request_with_401(
    client: FlaskClient, headers: dict[str, str]
) -> None:
    answer = client.get("/private", headers=headers)
    assert answer.status_code == 401
    assert answer.mimetype == "application/json"
    body = answer.get_json()
    assert body["error"] == "SessionRequired"
    assert body["message"]
    assert answer.headers["Cache-Control"] == "no-store"
    assert "Location" not in answer.headers


def test_a_browser_asking_for_html_first_gets_the_redirect(client: FlaskClient) -> None:
    answer = client.get("/private", headers={"Accept": "text/html,application/json;q=0.9"})
    assert answer.status_code == 302


def test_login_required_lets_a_signed_in_user_in(client: FlaskClient) -> None:
    browser_sign_in(client)
    answer = client.get("/private", headers={"Accept": "application/json"})
    assert answer.status_code == 200
    assert answer.get_data(as_text=True) == "private page of ada@example.com"


def test_the_callback_url_brings_the_person_back(client: FlaskClient) -> None:
    sent = client.get("/private?tab=2")
    callback_url = parse_qs(urlsplit(sent.location).query)["callback_url"][0]
    landed = dummy_sign_in(client, callback_url=callback_url)
    assert landed.location == "/private?tab=2"
    assert client.get(landed.location).status_code == 200


def test_login_required_in_an_app_mounted_under_a_prefix(client: FlaskClient) -> None:
    answer = client.get("/private?x=1", base_url="http://localhost/app/")
    target = urlsplit(answer.location)
    assert target.path == "/app/auth/signin"
    assert parse_qs(target.query) == {"callback_url": ["/app/private?x=1"]}
