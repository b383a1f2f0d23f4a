"""end / end_all."""

from __future__ import annotations

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.sessions import (
    SessionManager,
)
from flask_authadapter.core.tokens import new_token
from tests.core.stores import Recording, Store, no_change

from .helpers import (
    _user,
)


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
