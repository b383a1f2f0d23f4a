"""Constructing; issue."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import Verification
from flask_authadapter.core.tokens import plausible_token
from flask_authadapter.core.verification import (
    IssuedSignIn,
    Verifier,
    normalize_code,
)
from tests.core.conftest import START
from tests.core.stores import Store, no_change

from .helpers import (
    ADA,
    BOB,
    HEX,
    KINDS,
    MAX_AGE,
    SECRET_A,
    SECRET_B,
    _count,
    _redeem,
    _rows,
    _stored,
    _verifier,
)


def test_a_verifier_needs_a_secret(store: Store) -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        Verifier(store.adapter(), [], max_age=MAX_AGE)


def test_a_verifier_keeps_its_secrets_in_order_and_its_max_age(store: Store) -> None:
    verifier = Verifier(store.adapter(), [SECRET_A, SECRET_B], max_age=MAX_AGE)
    assert verifier.max_age == MAX_AGE
    assert verifier.secrets == (SECRET_A, SECRET_B)


def test_issue_stores_two_rows_holding_hmacs_only(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    issued = _verifier(adapter, clock).issue(ADA)

    assert isinstance(issued, IssuedSignIn)
    assert issued.identifier == ADA
    assert plausible_token(issued.token)
    assert normalize_code(issued.code) == issued.code
    assert issued.expires == START + MAX_AGE
    assert issued.expires.utcoffset() == timedelta(0)

    rows = _rows(store)
    assert len(rows) == 2
    assert {identifier for identifier, _, _ in rows} == {ADA}
    assert {expires for _, _, expires in rows} == {START + MAX_AGE}
    assert {token for _, token, _ in rows} == _stored(SECRET_A, issued)
    for _, token, _ in rows:
        assert len(token) == 64
        assert set(token) <= HEX
    # Neither the raw token nor the raw code is anywhere in the store, in any case.
    dump = store.dump().lower()
    assert issued.token.lower() not in dump
    assert issued.code.lower() not in dump
    assert issued.request_id.lower() not in dump
    assert plausible_token(issued.request_id)
    assert issued.request_id != issued.token


def test_issue_uses_the_verifiers_max_age(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    issued = _verifier(adapter, clock, max_age=timedelta(minutes=5)).issue(ADA)
    assert issued.expires == START + timedelta(minutes=5)
    assert {expires for _, _, expires in _rows(store)} == {START + timedelta(minutes=5)}


def test_each_issue_is_a_fresh_pair(store: Store, clock: FrozenClock) -> None:
    verifier = _verifier(store.adapter(), clock)
    first, second = verifier.issue(ADA), verifier.issue(ADA)
    assert first.token != second.token
    assert first.code != second.code


@pytest.mark.parametrize("kind", KINDS)
def test_issue_keeps_the_addresss_earlier_pairs_and_using_one_ends_them_all(
    store: Store, clock: FrozenClock, kind: str
) -> None:
    # A new request (maybe a stranger's, for Ada's address) withdraws none of Ada's links;
    # using any one proves the mailbox and ends every link and code of the address.
    adapter = store.adapter()
    verifier = _verifier(adapter, clock)
    bob = verifier.issue(BOB)
    first = verifier.issue(ADA)
    second = verifier.issue(ADA)

    assert _count(store) == 6
    ada_rows = {token for identifier, token, _ in _rows(store) if identifier == ADA}
    assert ada_rows == _stored(SECRET_A, first) | _stored(SECRET_A, second)
    _redeem(verifier, kind, first)
    assert {identifier for identifier, _, _ in _rows(store)} == {BOB}
    for used_up in (first, second):
        for other in KINDS:
            with pytest.raises(Verification):
                _redeem(verifier, other, used_up)
    # Another address's pair is not touched by Ada's.
    verifier.redeem_link(BOB, bob.token)
    assert _count(store) == 0


def test_cancel_voids_that_pair_only(store: Store, clock: FrozenClock) -> None:
    verifier = _verifier(store.adapter(), clock)
    kept = verifier.issue(ADA)
    cancelled = verifier.issue(ADA)
    verifier.cancel(cancelled)
    assert {token for _, token, _ in _rows(store)} == _stored(SECRET_A, kept)
    for kind in KINDS:
        with no_change(store), pytest.raises(Verification):
            _redeem(verifier, kind, cancelled)
    _redeem(verifier, "code", kept)


def test_withdraw_voids_the_pair_and_says_how_many_rows(store: Store, clock: FrozenClock) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    verifier.issue(BOB)
    assert verifier.withdraw(ADA) == 2
    assert verifier.withdraw(ADA) == 0
    assert _count(store) == 2
    for kind in KINDS:
        with pytest.raises(Verification):
            _redeem(verifier, kind, issued)
