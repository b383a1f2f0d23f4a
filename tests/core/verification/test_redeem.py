"""redeem: once, and one uses up the other; expiry; secret rotation."""

from __future__ import annotations

from datetime import timedelta

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import Verification
from flask_authadapter.core.tokens import hmac_token, new_token
from flask_authadapter.core.verification import (
    IssuedSignIn,
    new_code,
)
from tests.core.stores import Store, no_change

from .helpers import (
    ADA,
    BOB,
    KINDS,
    LINK_PURPOSE,
    MAX_AGE,
    MICROSECOND,
    OTHER,
    SECRET_A,
    SECRET_B,
    _count,
    _redeem,
    _redeem_code,
    _rows,
    _stored,
    _verifier,
)


@pytest.mark.parametrize("kind", KINDS)
def test_redeem_works_once_then_is_verification(
    store: Store, clock: FrozenClock, kind: str
) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    _redeem(verifier, kind, issued)
    assert _count(store) == 0
    with pytest.raises(Verification):
        _redeem(verifier, kind, issued)


@pytest.mark.parametrize("kind", KINDS)
def test_using_one_uses_up_the_other(store: Store, clock: FrozenClock, kind: str) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    _redeem(verifier, kind, issued)
    with pytest.raises(Verification):
        _redeem(verifier, OTHER[kind], issued)
    assert _count(store) == 0


def test_a_typed_code_may_have_spaces_dashes_and_lower_case(
    store: Store, clock: FrozenClock
) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    typed = f"  {issued.code[:4].lower()}-{issued.code[4:].lower()} "
    _redeem_code(verifier, ADA, typed, issued)
    assert _count(store) == 0


@pytest.mark.parametrize("kind", KINDS)
def test_another_address_is_refused_and_the_real_pair_still_works(
    store: Store, clock: FrozenClock, kind: str
) -> None:
    verifier = _verifier(store.adapter(), clock)
    verifier.issue(BOB)
    issued = verifier.issue(ADA)
    # The identifier is matched exactly: normalising it is the caller's job.
    for other in (BOB, "eve@example.com", "Ada@example.com", " ada@example.com", ""):
        with no_change(store), pytest.raises(Verification):
            _redeem(verifier, kind, issued, identifier=other)
    _redeem(verifier, kind, issued)
    assert {identifier for identifier, _, _ in _rows(store)} == {BOB}


@pytest.mark.parametrize("kind", KINDS)
def test_a_wrong_secret_of_the_right_shape_changes_nothing(
    store: Store, clock: FrozenClock, kind: str
) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    wrong = new_token() if kind == "link" else new_code()
    assert wrong not in (issued.token, issued.code)
    wrong_pair = IssuedSignIn(ADA, wrong, wrong, issued.expires, issued.request_id)
    with no_change(store), pytest.raises(Verification):
        _redeem(verifier, kind, wrong_pair)
    _redeem(verifier, kind, issued)


def test_the_link_and_the_code_are_not_interchangeable(store: Store, clock: FrozenClock) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    with no_change(store):
        with pytest.raises(Verification):
            verifier.redeem_link(ADA, issued.code)
        with pytest.raises(Verification):
            _redeem_code(verifier, ADA, issued.token, issued)
    # The stored MACs are per purpose: the code's MAC is not a link's.
    assert hmac_token(SECRET_A, issued.code, purpose=LINK_PURPOSE) not in {
        token for _, token, _ in _rows(store)
    }


@pytest.mark.parametrize("kind", KINDS)
def test_just_before_expiry_works(store: Store, clock: FrozenClock, kind: str) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    clock.advance(MAX_AGE - MICROSECOND)
    _redeem(verifier, kind, issued)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize(
    "elapsed", [MAX_AGE, MAX_AGE + MICROSECOND, timedelta(days=3)], ids=["at", "1us", "3 days"]
)
def test_expired_is_verification_and_the_rows_are_gone(
    store: Store, clock: FrozenClock, kind: str, elapsed: timedelta
) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    verifier.issue(BOB)
    clock.advance(elapsed)
    with pytest.raises(Verification, match="expired"):
        _redeem(verifier, kind, issued)
    # Both of Ada's rows are deleted; Bob's (as expired as they are) are not Ada's business.
    assert {identifier for identifier, _, _ in _rows(store)} == {BOB}
    with pytest.raises(Verification):
        _redeem(verifier, OTHER[kind], issued)
    # A new pair works as usual.
    _redeem(verifier, kind, verifier.issue(ADA))


def test_expiry_follows_the_verifiers_max_age(store: Store, clock: FrozenClock) -> None:
    verifier = _verifier(store.adapter(), clock, max_age=timedelta(minutes=2))
    issued = verifier.issue(ADA)
    clock.advance(minutes=2)
    with pytest.raises(Verification, match="expired"):
        _redeem_code(verifier, ADA, issued.code, issued)


@pytest.mark.parametrize("kind", KINDS)
def test_a_pair_issued_under_an_old_secret_redeems_with_it_as_a_fallback(
    store: Store, clock: FrozenClock, kind: str
) -> None:
    adapter = store.adapter()
    issued = _verifier(adapter, clock, SECRET_A).issue(ADA)
    # Secret B alone: the pair is unknown, and nothing is used up by trying.
    with no_change(store), pytest.raises(Verification):
        _redeem(_verifier(adapter, clock, SECRET_B), kind, issued)
    # B current, A a fallback: it works, once.
    rotated = _verifier(adapter, clock, SECRET_B, SECRET_A)
    _redeem(rotated, kind, issued)
    assert _count(store) == 0
    with pytest.raises(Verification):
        _redeem(rotated, OTHER[kind], issued)


def test_a_new_pair_is_stored_under_the_current_secret(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter()
    issued = _verifier(adapter, clock, SECRET_B, SECRET_A).issue(ADA)
    assert {token for _, token, _ in _rows(store)} == _stored(SECRET_B, issued)
    # Once A is retired, B-issued pairs still work; with A alone they do not.
    with no_change(store), pytest.raises(Verification):
        _redeem(_verifier(adapter, clock, SECRET_A), "link", issued)
    _redeem(_verifier(adapter, clock, SECRET_B), "link", issued)
