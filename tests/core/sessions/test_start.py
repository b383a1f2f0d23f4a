"""start."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.models import User
from flask_authadapter.core.sessions import (
    USER_AGENT_MAX,
    ActiveSession,
    SessionManager,
    SessionPolicy,
)
from flask_authadapter.core.tokens import hash_session_token, new_token, plausible_token
from tests.core.conftest import START
from tests.core.stores import Store, as_utc, no_change

from .helpers import (
    _stored_expires,
    _user,
)


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
