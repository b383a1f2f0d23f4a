"""An address naming no configured provider: a clear 404 page in the blueprint's style."""

from __future__ import annotations

from flask.testing import FlaskClient

from flask_authadapter.adapters.memory import MemoryAdapter
from tests.apps import csrf_from, make_app


def _client() -> FlaskClient:
    app, _ = make_app(MemoryAdapter())
    return app.test_client()


def test_a_callback_for_an_unknown_provider_is_an_unknown_sign_in_method() -> None:
    answer = _client().get("/auth/callback/no-such-provider")
    assert answer.status_code == 404
    page = answer.get_data(as_text=True)
    assert "<h1>Unknown sign-in method</h1>" in page
    assert "<code>UnknownProvider</code>" in page
    assert 'href="/auth/signin"' in page  # back to the sign-in page
    assert answer.headers["Cache-Control"] == "no-store"


def test_starting_an_unknown_provider_is_the_same_page() -> None:
    client = _client()
    answer = client.post("/auth/signin/no-such-provider", data={"csrf_token": csrf_from(client)})
    assert answer.status_code == 404
    assert "Unknown sign-in method" in answer.get_data(as_text=True)


def test_as_json_it_names_the_code() -> None:
    answer = _client().get(
        "/auth/callback/no-such-provider", headers={"Accept": "application/json"}
    )
    assert answer.status_code == 404
    assert answer.json is not None and answer.json["error"] == "UnknownProvider"
