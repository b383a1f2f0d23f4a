"""The SQL each request costs, as exact numbers, on SQLite and PostgreSQL.

The flows and the counting live in ``harness/flows.py`` (``make bench`` prints the
same table). Each flow is counted twice:

- through SQLAlchemy (``before_cursor_execute``): the statements and the writes among them;
- on the wire, with no listener on the engine, as in production: what SQLite itself ran
  (``BEGIN`` and ``COMMIT`` included), or, on PostgreSQL, the statements and round trips in
  libpq's protocol trace. The default session lookup (the public SQLAlchemy path) and the
  opt-in raw-DBAPI one (``fast_session_lookup``) send the same statements.

A change that adds a query, a write or a round trip to any of these flows fails here; if it
is meant, update the table (and say why in the commit).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from harness.flows import FLOWS, Count, count_flows
from tests.databases import create_engine_for

MakeDatabase = Callable[[str, str], str]

#: flow: (statements, writes) through SQLAlchemy, the same on both databases.
THROUGH_SQLALCHEMY = {
    # Every signed-in request: one SELECT (the session-plus-user JOIN), no write.
    "signed_in": (1, 0),
    "signed_in_untouched": (0, 0),
    # Once per update window (a day): the JOIN, then the UPDATE that slides the expiry.
    "signed_in_after_window": (2, 1),
    "anonymous": (0, 0),
    # The user by email; INSERT the link's and the code's (the address's older links stay).
    "magic_link_request": (3, 2),
    # Opening the link uses nothing up (scanners prefetch links).
    "magic_link_open": (0, 0),
    # DELETE ... RETURNING the token; DELETE the code; the user by email (the sign_in
    # callback's candidate is looked up only when the app registered a callback); INSERT
    # the user; INSERT the session (with its user-exists check).
    "magic_link_redeem": (6, 4),
    # The user by account, then by its verified email; INSERT the user and the account in
    # one transaction; INSERT the session (with its user-exists check).
    "oauth_callback_new": (6, 3),
    # The user by account; UPDATE the account's fresh tokens; INSERT the session.
    "oauth_callback_returning": (4, 2),
}

#: flow: (statements, round trips) on the wire. SQLite counts what it ran, BEGIN and COMMIT
#: of each write included; PostgreSQL counts protocol messages. Reads run in autocommit
#: there: one round trip each.
ON_THE_WIRE = {
    "sqlite": {
        "signed_in": (1, 1),
        "signed_in_untouched": (0, 0),
        "signed_in_after_window": (4, 4),
        "anonymous": (0, 0),
        "magic_link_request": (7, 7),
        "magic_link_open": (0, 0),
        "magic_link_redeem": (14, 14),
        "oauth_callback_new": (10, 10),
        "oauth_callback_returning": (8, 8),
    },
    "postgres": {
        "signed_in": (1, 1),
        "signed_in_untouched": (0, 0),
        "signed_in_after_window": (4, 4),
        "anonymous": (0, 0),
        "magic_link_request": (7, 7),
        "magic_link_open": (0, 0),
        "magic_link_redeem": (14, 14),
        "oauth_callback_new": (10, 10),
        "oauth_callback_returning": (8, 8),
    },
}


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def counts(
    request: pytest.FixtureRequest, make_database: MakeDatabase
) -> Iterator[tuple[str, dict[str, Count]]]:
    """Every flow's counts on one database (the scenario runs once per backend)."""
    backend = str(request.param)
    engine = create_engine_for(make_database(backend, "t_query_counts"))
    try:
        yield backend, count_flows(engine)
    finally:
        engine.dispose()


def test_every_flow_is_in_the_tables() -> None:
    assert set(THROUGH_SQLALCHEMY) == set(FLOWS)
    for backend in ON_THE_WIRE.values():
        assert set(backend) == set(FLOWS)


@pytest.mark.parametrize("flow", list(FLOWS))
def test_statements_and_writes_through_sqlalchemy(
    counts: tuple[str, dict[str, Count]], flow: str
) -> None:
    _, found = counts
    count = found[flow]
    assert (count.statements, count.writes) == THROUGH_SQLALCHEMY[flow], count.sql


@pytest.mark.parametrize("flow", list(FLOWS))
def test_statements_and_round_trips_on_the_wire(
    counts: tuple[str, dict[str, Count]], flow: str
) -> None:
    backend, found = counts
    count = found[flow]
    assert (count.wire_statements, count.round_trips) == ON_THE_WIRE[backend][flow]


def test_the_session_lookup_is_one_select_of_the_sessions_joined_to_users(
    counts: tuple[str, dict[str, Count]],
) -> None:
    _, found = counts
    assert found["signed_in"].sql == ("SELECT ... FROM sessions",)
    assert found["signed_in_after_window"].sql == (
        "SELECT ... FROM sessions",
        "UPDATE SESSIONS SET",
    )
