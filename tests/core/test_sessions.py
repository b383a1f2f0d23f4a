"""Database sessions: policy, start, load (sliding expiry, absolute cap), end.

Every test runs against real stores: MemoryAdapter, and SQLAlchemyAdapter on SQLite and
PostgreSQL. Time moves with a FrozenClock, never with sleep.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.models import Session, User
from flask_authadapter.core.sessions import (
    USER_AGENT_MAX,
    ActiveSession,
    SessionManager,
    SessionPolicy,
)
from flask_authadapter.core.tokens import hash_session_token, new_token, plausible_token
from tests.core.conftest import START
from tests.core.stores import Recording, Store, as_utc, no_change

DAY = timedelta(days=1)
SECOND = timedelta(seconds=1)


def _user(adapter: object, email: str = "ada@example.com") -> User:
    return adapter.create_user(User(email=email, name="Ada"))  # type: ignore[attr-defined]


def _stored_expires(store: Store, token: str) -> datetime:
    row = store.session_row(hash_session_token(token))
    assert row is not None
    return as_utc(row["expires"])


# SessionPolicy -----------------------------------------------------------------------------


def test_policy_defaults() -> None:
    policy = SessionPolicy()
    assert policy.max_age == timedelta(days=30)
    assert policy.update_age == DAY
    assert policy.absolute_max_age is None


@pytest.mark.parametrize(
    "options",
    [
        {"max_age": timedelta(0)},
        {"max_age": -DAY},
        {"update_age": -SECOND},
        {"max_age": DAY, "update_age": DAY + SECOND},
        {"absolute_max_age": timedelta(0)},
        {"absolute_max_age": -DAY},
    ],
    ids=[
        "zero max_age",
        "negative max_age",
        "negative update_age",
        "update_age over max_age",
        "zero absolute_max_age",
        "negative absolute_max_age",
    ],
)
def test_policy_refuses_nonsense(options: dict[str, timedelta]) -> None:
    with pytest.raises(ValueError, match="session"):
        SessionPolicy(**options)


@pytest.mark.parametrize(
    "options",
    [
        {"update_age": timedelta(0)},
        {"max_age": DAY, "update_age": DAY},
        {"absolute_max_age": SECOND},
        {"max_age": 60 * DAY, "update_age": DAY, "absolute_max_age": 7 * DAY},
    ],
    ids=["update every load", "update_age equals max_age", "tiny cap", "cap below max_age"],
)
def test_policy_accepts_the_edges(options: dict[str, timedelta]) -> None:
    SessionPolicy(**options)


def test_policy_is_immutable() -> None:
    policy = SessionPolicy()
    with pytest.raises(AttributeError):
        policy.max_age = DAY  # type: ignore[misc]


def test_expiry_slides_max_age_from_now() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30))
    assert policy.expiry(START, START) == START + timedelta(days=30)
    later = START + timedelta(days=100)
    assert policy.expiry(later, START) == later + timedelta(days=30)
    assert policy.expiry(later, None) == later + timedelta(days=30)


def test_expiry_is_capped_at_creation_plus_absolute_max_age() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30), absolute_max_age=timedelta(days=45))
    # Far from the cap: the sliding expiry.
    assert policy.expiry(START, START) == START + timedelta(days=30)
    assert policy.expiry(START + 15 * DAY, START) == START + 45 * DAY
    # Past the point where sliding would outrun the cap: the cap.
    assert policy.expiry(START + 20 * DAY, START) == START + 45 * DAY
    # No creation time known: no cap to apply.
    assert policy.expiry(START + 20 * DAY, None) == START + 50 * DAY


def test_a_cap_below_max_age_is_the_expiry_of_a_new_session() -> None:
    policy = SessionPolicy(max_age=timedelta(days=30), absolute_max_age=timedelta(hours=8))
    assert policy.expiry(START, START) == START + timedelta(hours=8)


# start -------------------------------------------------------------------------------------


def test_start_creates_a_session_for_the_user(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    user = _user(adapter)
    active = SessionManager(adapter, clock=clock).start(user)
    assert isinstance(active, ActiveSession)
    assert plausible_token(active.token)
    assert active.user == user
    assert active.extended is False
    assert active.session.user_id == user.id
    assert active.session.created_at == START
    assert active.expires == active.session.expires == START + timedelta(days=30)
    assert store.counts()["sessions"] == 1


def test_the_store_holds_only_the_sha256_of_the_token(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    active = SessionManager(adapter, clock=clock).start(_user(adapter))
    digest = hashlib.sha256(active.token.encode("ascii")).hexdigest()
    assert active.session.session_token == digest
    row = store.session_row(digest)
    assert row is not None
    assert row["user_id"] == active.user.id
    assert as_utc(row["created_at"]) == START
    assert as_utc(row["expires"]) == START + timedelta(days=30)
    # The raw token is nowhere in the store, in any table, in any form that contains it.
    assert store.session_row(active.token) is None
    dump = store.dump()
    assert digest in dump  # the dump does show what is stored...
    assert active.token not in dump  # ...and the token is not among it
    assert active.token[:16] not in dump


def test_each_start_is_a_new_token(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    user = _user(adapter)
    manager = SessionManager(adapter, clock=clock)
    tokens = {manager.start(user).token for _ in range(5)}
    assert len(tokens) == 5
    assert store.counts()["sessions"] == 5


def test_start_needs_a_stored_user(store: Store, clock: FrozenClock) -> None:
    manager = SessionManager(store.adapter(), clock=clock)
    with no_change(store), pytest.raises(ValueError, match="stored user"):
        manager.start(User(email="nobody@example.com"))


def test_start_replacing_ends_the_previous_session(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    user = _user(adapter)
    manager = SessionManager(adapter, clock=clock)
    first = manager.start(user)
    second = manager.start(user, replacing=first.token)
    assert second.token != first.token
    assert store.session_row(hash_session_token(first.token)) is None
    assert manager.load(first.token) is None
    loaded = manager.load(second.token)
    assert loaded is not None
    assert loaded.user.id == user.id
    assert store.counts()["sessions"] == 1


def test_start_replacing_another_users_session_ends_it_too(
    store: Store, clock: FrozenClock
) -> None:
    # Signing in as someone else in the same browser: the old cookie's session ends.
    adapter = store.adapter()
    ada, bob = _user(adapter), _user(adapter, "bob@example.com")
    manager = SessionManager(adapter, clock=clock)
    old = manager.start(ada)
    new = manager.start(bob, replacing=old.token)
    assert manager.load(old.token) is None
    assert new.user.id == bob.id
    assert store.counts()["sessions"] == 1


@pytest.mark.parametrize("replacing", ["junk", "", new_token()], ids=["junk", "empty", "unknown"])
def test_start_replacing_nothing_valid_just_starts(
    store: Store, clock: FrozenClock, replacing: str
) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock)
    manager.start(_user(adapter), replacing=replacing)
    assert store.counts()["sessions"] == 1


def test_user_agent_is_not_kept_by_default(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    active = SessionManager(adapter, clock=clock).start(
        _user(adapter), user_agent="Mozilla/5.0 (X11; Linux x86_64)"
    )
    assert active.session.extra.get("user_agent") is None
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert row.get("user_agent") is None


def test_user_agent_is_kept_when_asked(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock, store_user_agent=True)
    active = manager.start(_user(adapter), user_agent="Mozilla/5.0 (X11; Linux x86_64)")
    assert active.session.extra["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert row["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"
    loaded = manager.load(active.token)
    assert loaded is not None
    assert loaded.session.extra["user_agent"] == "Mozilla/5.0 (X11; Linux x86_64)"


def test_user_agent_is_truncated_to_512(store: Store, clock: FrozenClock) -> None:
    assert USER_AGENT_MAX == 512
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock, store_user_agent=True)
    active = manager.start(_user(adapter), user_agent="Mozilla/5.0 " + "é" * 1000)
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert row["user_agent"] == ("Mozilla/5.0 " + "é" * 1000)[:512]
    assert len(row["user_agent"]) == 512


def test_user_agent_control_characters_are_removed(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock, store_user_agent=True)
    header = "Mozilla/5.0\r\nX-Injected: 1\x00\x1b[31m\x7f\tEnd"
    active = manager.start(_user(adapter), user_agent=header)
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert row["user_agent"] == "Mozilla/5.0X-Injected: 1[31mEnd"


def test_user_agent_is_cleaned_before_it_is_truncated(store: Store, clock: FrozenClock) -> None:
    # 510 characters, ten newlines, then five more: 512 kept characters, none of them control.
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock, store_user_agent=True)
    active = manager.start(_user(adapter), user_agent="a" * 510 + "\n" * 10 + "bcdef")
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert row["user_agent"] == "a" * 510 + "bc"


@pytest.mark.parametrize("user_agent", [None, ""], ids=["none", "empty"])
def test_no_user_agent_stores_none(
    store: Store, clock: FrozenClock, user_agent: str | None
) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock, store_user_agent=True)
    active = manager.start(_user(adapter), user_agent=user_agent)
    row = store.session_row(active.session.session_token)
    assert row is not None
    assert row.get("user_agent") is None


def test_start_applies_the_absolute_cap(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    policy = SessionPolicy(max_age=timedelta(days=30), absolute_max_age=timedelta(hours=8))
    active = SessionManager(adapter, policy, clock=clock).start(_user(adapter))
    assert active.expires == START + timedelta(hours=8)
    assert _stored_expires(store, active.token) == START + timedelta(hours=8)


# load: what costs nothing ---------------------------------------------------------------

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


# load: sliding expiry --------------------------------------------------------------------


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


# load: expiry ----------------------------------------------------------------------------


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


# load: absolute cap ----------------------------------------------------------------------


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


# load: races ------------------------------------------------------------------------------


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


# end / end_all ------------------------------------------------------------------------------


def test_end_deletes_the_session(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    user = _user(adapter)
    manager = SessionManager(adapter, clock=clock)
    ended, kept = manager.start(user), manager.start(user)
    manager.end(ended.token)
    assert store.session_row(ended.session.session_token) is None
    assert manager.load(ended.token) is None  # a replayed cookie is anonymous
    assert manager.load(kept.token) is not None
    manager.end(ended.token)  # already gone: no error
    assert store.counts()["sessions"] == 1


@pytest.mark.parametrize(
    "token", [None, "", "junk", "A" * 42 + "+"], ids=["none", "empty", "junk", "plus"]
)
def test_end_of_junk_costs_nothing(store: Store, clock: FrozenClock, token: str | None) -> None:
    adapter = store.adapter(Recording)
    manager = SessionManager(adapter, clock=clock)
    manager.start(_user(adapter))
    adapter.calls.clear()
    with no_change(store):
        manager.end(token)
    assert adapter.calls == []


def test_end_of_an_unknown_token_changes_nothing(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    manager = SessionManager(adapter, clock=clock)
    manager.start(_user(adapter))
    with no_change(store):
        manager.end(new_token())


def test_end_all_ends_every_session_of_one_user(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    ada, bob = _user(adapter), _user(adapter, "bob@example.com")
    manager = SessionManager(adapter, clock=clock)
    adas = [manager.start(ada) for _ in range(3)]
    bobs = manager.start(bob)
    assert ada.id is not None
    assert manager.end_all(ada.id) == 3
    assert all(manager.load(active.token) is None for active in adas)
    assert manager.load(bobs.token) is not None
    assert manager.end_all(ada.id) == 0
    assert store.counts()["sessions"] == 1
    assert store.counts()["users"] == 2
