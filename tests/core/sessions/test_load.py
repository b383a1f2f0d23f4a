"""load: what costs nothing; load: sliding expiry; load: expiry; load: absolute cap; load: races."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.models import Session, User
from flask_authadapter.core.sessions import (
    SessionManager,
    SessionPolicy,
)
from flask_authadapter.core.tokens import new_token
from tests.core.conftest import START
from tests.core.stores import Recording, Store, as_utc, no_change

from .helpers import (
    DAY,
    SECOND,
    _stored_expires,
    _user,
)

JUNK = {
    "none": None,
    "empty": "",
    "short": "abc",
    "one short": "A" * 42,
    "one long": "A" * 44,
    "plus": "+" + "A" * 42,
    "slash": "A" * 42 + "/",
    "padded": "A" * 42 + "=",
    "space": "A" * 21 + " " + "A" * 21,
    "newline": "A" * 42 + "\n",
    "NUL": "A" * 42 + "\x00",
    "cyrillic": "\u0410" + "A" * 42,
    "fullwidth": "\uff21" * 43,
    "lone surrogate": "\ud800" + "A" * 42,
    "sql": "' OR '1'='1' -- " + "A" * 27,
    "sha256 hex": "0" * 64,
    "huge": "A" * 100_000,
}


@pytest.mark.parametrize("token", list(JUNK.values()), ids=list(JUNK))
def test_load_of_junk_costs_no_adapter_call(
    store: Store, clock: FrozenClock, token: str | None
) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, clock=clock)
    manager.start(_user(adapter))
    adapter.calls.clear()
    with no_change(store), store.statements() as statements:
        assert manager.load(token) is None
    assert adapter.calls == []
    assert statements.seen == []


def test_the_stored_hash_is_not_a_cookie(store: Store, clock: FrozenClock) -> None:
    # A copy of the sessions table yields no live cookie.
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, clock=clock)
    active = manager.start(_user(adapter))
    adapter.calls.clear()
    assert manager.load(active.session.session_token) is None
    assert adapter.calls == []


def test_load_of_an_unknown_token_is_one_read_and_creates_nothing(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, clock=clock)
    manager.start(_user(adapter))
    adapter.calls.clear()
    with no_change(store), store.statements() as statements:
        assert manager.load(new_token()) is None
    assert adapter.calls == ["get_session_and_user"]
    if store.sql:
        assert len(statements.seen) == 1, statements.seen
        assert statements.writes == []


@pytest.mark.parametrize(
    "elapsed", [timedelta(0), SECOND, DAY - SECOND], ids=["at once", "1s", "1 day - 1s"]
)
def test_load_inside_the_update_window_is_one_read_and_no_write(
    store: Store, clock: FrozenClock, elapsed: timedelta
) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, SessionPolicy(max_age=30 * DAY, update_age=DAY), clock=clock)
    user = _user(adapter)
    active = manager.start(user)
    clock.advance(elapsed)
    adapter.calls.clear()
    with store.statements() as statements:
        loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.token == active.token
    assert loaded.user.id == user.id
    assert loaded.user.email == "ada@example.com"
    assert loaded.extended is False
    assert loaded.expires == START + 30 * DAY
    assert adapter.calls == ["get_session_and_user"]
    if store.sql:
        assert len(statements.seen) == 1, statements.seen
        assert statements.seen[0].startswith("SELECT")
        assert statements.writes == []
    assert _stored_expires(store, active.token) == START + 30 * DAY


@pytest.mark.parametrize("elapsed", [DAY, DAY + SECOND, 29 * DAY], ids=["1 day", "1 day 1s", "29d"])
def test_load_after_update_age_is_one_read_and_one_write(
    store: Store, clock: FrozenClock, elapsed: timedelta
) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, SessionPolicy(max_age=30 * DAY, update_age=DAY), clock=clock)
    active = manager.start(_user(adapter))
    now = clock.advance(elapsed)
    adapter.calls.clear()
    with store.statements() as statements:
        loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.extended is True
    assert loaded.expires == now + 30 * DAY
    assert adapter.calls == ["get_session_and_user", "update_session"]
    if store.sql:
        assert len(statements.seen) == 2, statements.seen
        assert statements.seen[0].startswith("SELECT")
        assert len(statements.writes) == 1
        assert statements.writes[0].startswith("UPDATE SESSIONS")
    assert _stored_expires(store, active.token) == now + 30 * DAY
    # The creation time does not slide.
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert as_utc(row["created_at"]) == START


def test_after_an_extension_the_next_load_is_read_only_again(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, SessionPolicy(max_age=30 * DAY, update_age=DAY), clock=clock)
    active = manager.start(_user(adapter))
    clock.advance(2 * DAY)
    first = manager.load(active.token)
    assert first is not None
    assert first.extended
    clock.advance(DAY - SECOND)
    adapter.calls.clear()
    second = manager.load(active.token)
    assert second is not None
    assert second.extended is False
    assert second.expires == first.expires
    assert adapter.calls == ["get_session_and_user"]


def test_a_session_in_use_outlives_max_age(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, SessionPolicy(max_age=7 * DAY, update_age=DAY), clock=clock)
    active = manager.start(_user(adapter))
    for _ in range(20):  # 40 days, used every other day
        clock.advance(2 * DAY)
        assert manager.load(active.token) is not None
    assert _stored_expires(store, active.token) == clock() + 7 * DAY


def test_update_age_zero_extends_whenever_time_moved(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(
        adapter, SessionPolicy(max_age=DAY, update_age=timedelta(0)), clock=clock
    )
    active = manager.start(_user(adapter))
    adapter.calls.clear()
    unmoved = manager.load(active.token)
    assert unmoved is not None
    assert unmoved.extended is False  # nothing to move: no write
    assert adapter.calls == ["get_session_and_user"]
    clock.advance(seconds=1)
    moved = manager.load(active.token)
    assert moved is not None
    assert moved.extended is True
    assert moved.expires == clock() + DAY


def test_load_just_before_expiry_is_alive(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, SessionPolicy(max_age=30 * DAY, update_age=DAY), clock=clock)
    active = manager.start(_user(adapter))
    clock.advance(30 * DAY - SECOND)
    loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.extended


@pytest.mark.parametrize(
    "elapsed", [30 * DAY, 30 * DAY + SECOND, 400 * DAY], ids=["30d", "30d 1s", "400d"]
)
def test_an_expired_session_is_none_and_its_row_is_deleted(
    store: Store, clock: FrozenClock, elapsed: timedelta
) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, SessionPolicy(max_age=30 * DAY, update_age=DAY), clock=clock)
    user = _user(adapter)
    active = manager.start(user)
    clock.advance(elapsed)
    adapter.calls.clear()
    with store.statements() as statements:
        assert manager.load(active.token) is None
    assert adapter.calls == ["get_session_and_user", "delete_session"]
    if store.sql:
        assert [s.split()[0] for s in statements.seen] == ["SELECT", "DELETE"]
    assert store.session_row(active.session.session_token) is None
    assert store.counts() == {"users": 1, "accounts": 0, "sessions": 0, "verification_tokens": 0}
    # And it stays gone: a second load reads and finds nothing.
    assert manager.load(active.token) is None


def test_expiry_deletes_only_that_session(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    user = _user(adapter)
    short = SessionManager(adapter, SessionPolicy(max_age=DAY, update_age=DAY), clock=clock)
    old = short.start(user)
    clock.advance(hours=12)
    young = short.start(user)
    clock.advance(hours=12)
    assert short.load(old.token) is None
    assert short.load(young.token) is not None
    assert store.counts()["sessions"] == 1


def test_the_absolute_cap_stops_the_sliding(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(Recording)
    policy = SessionPolicy(max_age=30 * DAY, update_age=DAY, absolute_max_age=45 * DAY)
    manager = SessionManager(adapter, policy, clock=clock)
    active = manager.start(_user(adapter))
    clock.advance(10 * DAY)
    loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.extended
    assert loaded.expires == START + 40 * DAY
    clock.advance(10 * DAY)  # day 20: sliding would give day 50; the cap is day 45
    loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.extended
    assert loaded.expires == START + 45 * DAY
    assert _stored_expires(store, active.token) == START + 45 * DAY
    clock.advance(10 * DAY)  # day 30: at the cap already, nothing to write
    adapter.calls.clear()
    loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.extended is False
    assert loaded.expires == START + 45 * DAY
    assert adapter.calls == ["get_session_and_user"]
    clock.advance(15 * DAY - SECOND)
    assert manager.load(active.token) is not None
    clock.advance(SECOND)  # day 45: the cap
    assert manager.load(active.token) is None
    assert store.session_row(active.session.session_token) is None


def test_a_cap_below_max_age_never_writes_and_ends_the_session_at_the_cap(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(Recording)
    policy = SessionPolicy(max_age=30 * DAY, update_age=DAY, absolute_max_age=7 * DAY)
    manager = SessionManager(adapter, policy, clock=clock)
    active = manager.start(_user(adapter))
    assert active.expires == START + 7 * DAY
    for _ in range(6):
        clock.advance(DAY)
        adapter.calls.clear()
        loaded = manager.load(active.token)
        assert loaded is not None
        assert loaded.extended is False
        assert loaded.expires == START + 7 * DAY
        assert adapter.calls == ["get_session_and_user"]
    clock.advance(DAY)
    assert manager.load(active.token) is None
    assert store.session_row(active.session.session_token) is None


def test_a_cap_set_later_ends_older_sessions(store: Store, clock: FrozenClock) -> None:
    # Sessions started before the app set a cap still end at creation + cap.
    adapter = store.adapter()
    user = _user(adapter)
    uncapped = SessionManager(adapter, SessionPolicy(max_age=30 * DAY), clock=clock)
    active = uncapped.start(user)
    clock.advance(8 * DAY)
    capped = SessionManager(
        adapter, SessionPolicy(max_age=30 * DAY, absolute_max_age=7 * DAY), clock=clock
    )
    assert capped.load(active.token) is None
    assert store.session_row(active.session.session_token) is None


class SignedOutElsewhere:
    """Fault injection: another request ends the session right after this one read it."""

    def get_session_and_user(self, session_token: str) -> tuple[Session, User] | None:
        found = super().get_session_and_user(session_token)  # type: ignore[misc]
        self.delete_session(session_token)  # type: ignore[attr-defined]
        return found


def test_a_session_ended_between_read_and_update_is_none(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(SignedOutElsewhere)
    manager = SessionManager(adapter, SessionPolicy(max_age=30 * DAY, update_age=DAY), clock=clock)
    active = manager.start(_user(adapter))
    clock.advance(2 * DAY)  # due for an extension: the update finds no row
    assert manager.load(active.token) is None
    assert store.counts()["sessions"] == 0  # the update did not bring it back
