"""Query counts."""

from __future__ import annotations

from flask.testing import FlaskClient

from flask_authadapter.core.clock import FrozenClock

from .helpers import (
    Database,
    Statements,
    browser_sign_in,
    who,
)


def test_query_counts_of_lazy_loading(
    db: Database, client: FlaskClient, clock: FrozenClock
) -> None:
    """0 statements when ``current_user`` is untouched, 1 when touched, 0 writes inside the
    update window, exactly 1 write after it."""
    browser_sign_in(client)

    # Never touching current_user: no query, also when a template is rendered.
    for path in ("/", "/page"):
        with Statements(db.engine) as statements:
            answer = client.get(path)
        assert answer.status_code == 200
        assert statements.seen == [], path

    # Touching it (many times, with current_session too): exactly one query.
    for path in ("/whoami", "/state", "/page-with-user", "/private"):
        with Statements(db.engine) as statements:
            answer = client.get(path)
        assert answer.status_code == 200
        assert "ada@example.com" in answer.get_data(as_text=True)
        assert len(statements.seen) == 1, (path, statements.seen)
        assert statements.seen[0].startswith("SELECT")

    # Inside the update window: no write, however many requests.
    with Statements(db.engine) as statements:
        for _ in range(3):
            clock.advance(hours=7)
            assert who(client) == "ada@example.com"
    assert len(statements.seen) == 3
    assert statements.writes == []

    # Past it: the one read, and exactly one write.
    clock.advance(hours=3)  # a day after signing in
    with Statements(db.engine) as statements:
        assert who(client) == "ada@example.com"
    assert len(statements.seen) == 2
    assert statements.seen[0].startswith("SELECT")
    assert len(statements.writes) == 1 and statements.writes[0].startswith("UPDATE")

    # And the window starts again.
    with Statements(db.engine) as statements:
        assert who(client) == "ada@example.com"
    assert len(statements.seen) == 1
    assert statements.writes == []


def test_an_anonymous_request_without_a_cookie_runs_no_query(
    db: Database, client: FlaskClient
) -> None:
    with Statements(db.engine) as statements:
        answer = client.get("/state")
    assert answer.get_json() == {
        "authenticated": False,
        "anonymous": True,
        "email": None,
        "user_id": None,
        "has_session": False,
    }
    assert statements.seen == []
