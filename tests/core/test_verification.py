"""Email sign-in secrets: a link token and a code, issued together, used once (core.verification).

Every test runs against real stores: MemoryAdapter, and SQLAlchemyAdapter on SQLite and
PostgreSQL, read behind the adapter's back to prove what was (and was not) stored. Time moves
with a FrozenClock, never with sleep.
"""

from __future__ import annotations

import contextlib
import string
import threading
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import Verification
from flask_authadapter.core.tokens import hmac_token, new_token, plausible_token
from flask_authadapter.core.verification import (
    CODE_ALPHABET,
    CODE_LENGTH,
    IssuedSignIn,
    Verifier,
    new_code,
    normalize_code,
)
from tests.core.conftest import START
from tests.core.stores import Recording, Store, as_utc, no_change

SECRET_A = "secret-a-" + "a" * 40
SECRET_B = "secret-b-" + "b" * 40
ADA = "ada@example.com"
BOB = "bob@example.com"
MAX_AGE = timedelta(minutes=15)
MICROSECOND = timedelta(microseconds=1)

#: The purposes the two secrets are MACed under. Part of the stored format: changing them
#: would void every link and code outstanding when an app is upgraded.
LINK_PURPOSE = "email-link"
CODE_PURPOSE = "email-code"

HEX = set("0123456789abcdef")


def _verifier(adapter: Any, clock: FrozenClock, *secrets: str, **options: Any) -> Verifier:
    options.setdefault("max_age", MAX_AGE)
    return Verifier(adapter, secrets or (SECRET_A,), clock=clock, **options)


def _rows(store: Store) -> list[tuple[str, str, datetime]]:
    """Every stored verification token row: (identifier, token column, expires as UTC)."""
    if store.database is None:
        adapter = store._adapter
        assert adapter is not None
        return sorted((t.identifier, t.token, as_utc(t.expires)) for t in adapter._tokens.values())
    table = store.database.metadata.tables["verification_tokens"]
    with store.database.engine.connect() as conn:
        rows = conn.execute(select(table.c.identifier, table.c.token, table.c.expires)).all()
    return sorted((identifier, token, as_utc(expires)) for identifier, token, expires in rows)


def _count(store: Store) -> int:
    return store.raw.count("verification_tokens")


def _unlimited() -> bool:
    """A ``claim`` that always grants a try (the tries are counted in tests of their own)."""
    return True


def _redeem_code(verifier: Verifier, identifier: str, code: object, issued: IssuedSignIn) -> None:
    """Type ``code`` in the browser that asked for ``issued`` (its request id)."""
    verifier.redeem_code(identifier, code, request_id=issued.request_id, claim=_unlimited)


def _redeem(
    verifier: Verifier, kind: str, issued: IssuedSignIn, identifier: str | None = None
) -> None:
    identifier = issued.identifier if identifier is None else identifier
    if kind == "link":
        verifier.redeem_link(identifier, issued.token)
    else:
        _redeem_code(verifier, identifier, issued.code, issued)


KINDS = ["link", "code"]
OTHER = {"link": "code", "code": "link"}


# Constructing --------------------------------------------------------------------------


def test_a_verifier_needs_a_secret(store: Store) -> None:
    with pytest.raises(ValueError, match="at least one secret"):
        Verifier(store.adapter(), [], max_age=MAX_AGE)


def test_a_verifier_keeps_its_secrets_in_order_and_its_max_age(store: Store) -> None:
    verifier = Verifier(store.adapter(), [SECRET_A, SECRET_B], max_age=MAX_AGE)
    assert verifier.max_age == MAX_AGE
    assert verifier.secrets == (SECRET_A, SECRET_B)


# issue ------------------------------------------------------------------------------------


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


def _stored(secret: str, issued: IssuedSignIn) -> set[str]:
    """The stored forms of a pair: the link's HMAC, and the code's HMAC, which covers the
    request id too (the code works only in the browser that asked for it)."""
    return {
        hmac_token(secret, issued.token, purpose=LINK_PURPOSE),
        hmac_token(secret, f"{issued.request_id}\x00{issued.code}", purpose=CODE_PURPOSE),
    }


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


# redeem: once, and one uses up the other --------------------------------------------------


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


# a code: only for the request that sent it, within that request's tries -------------------


def test_a_code_works_only_for_the_request_that_sent_it(store: Store, clock: FrozenClock) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    stranger = verifier.issue(ADA)  # another browser asked for Ada's address too
    for request_id in (stranger.request_id, new_token(), ""):
        with no_change(store), pytest.raises(Verification):
            verifier.redeem_code(ADA, issued.code, request_id=request_id, claim=_unlimited)
    _redeem(verifier, "code", issued)


def test_a_try_is_claimed_before_the_code_is_compared(store: Store, clock: FrozenClock) -> None:
    adapter = store.adapter(Recording)
    verifier = _verifier(adapter, clock)
    issued = verifier.issue(ADA)
    adapter.calls.clear()
    tries = iter([True, True, False])
    for code in ("ABCD-2345", "ABCD-2346", issued.code):
        with pytest.raises(Verification):
            verifier.redeem_code(ADA, code, request_id=issued.request_id, claim=lambda: next(tries))
    # Two wrong codes were compared; the right one, with no try left, was not even looked up.
    assert adapter.calls == ["use_verification_token", "use_verification_token"]
    # No try left voids the code only: the emailed link still works.
    verifier.redeem_link(ADA, issued.token)


def test_concurrent_guesses_compare_no_more_codes_than_there_are_tries(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(Recording)
    verifier = _verifier(adapter, clock)
    issued = verifier.issue(ADA)
    adapter.calls.clear()
    workers, tries = 30, 5
    claimed = 0
    lock = threading.Lock()
    barrier = threading.Barrier(workers)

    def claim() -> bool:
        nonlocal claimed
        with lock:  # an atomic increment, as the rate-limit storage's
            claimed += 1
            return claimed <= tries

    def guess(code: str) -> None:
        barrier.wait()
        with contextlib.suppress(Verification):
            verifier.redeem_code(ADA, code, request_id=issued.request_id, claim=claim)

    guesses = [issued.code] + [new_code() for _ in range(workers - 1)]
    threads = [threading.Thread(target=guess, args=(code,)) for code in guesses]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert claimed == workers
    assert adapter.calls.count("use_verification_token") <= tries


# expiry -----------------------------------------------------------------------------------


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


# malformed input costs nothing --------------------------------------------------------------

TOKEN = "Zk3pQ0xV_n-7bT2mWcL9yRa4uE1oHs8dJf6gKi5lNqP"  # the shape new_token() makes

BAD_TOKENS: dict[str, object] = {
    "None": None,
    "int": 12345,
    "bytes": TOKEN.encode(),
    "list": [TOKEN],
    "empty": "",
    "short": TOKEN[:-1],
    "long": TOKEN + "A",
    "padding": TOKEN[:-1] + "=",
    "slash": TOKEN[:-1] + "/",
    "plus": TOKEN[:-1] + "+",
    "space": TOKEN[:-1] + " ",
    "NUL": TOKEN[:-1] + "\x00",
    "fullwidth": "\uff21" * 43,
    "lone surrogate": "\ud800" + TOKEN[1:],
    "code": "ABCD2345",
    "sha256 hex": "0" * 64,
    "huge": "A" * 100_000,
}

BAD_CODES: dict[str, object] = {
    "None": None,
    "int": 12345678,
    "bytes": b"ABCD2345",
    "list": ["ABCD2345"],
    "empty": "",
    "dashes only": "--------",
    "7 chars": "ABCD234",
    "9 chars": "ABCD23456",
    "zero": "ABCD2340",
    "letter O": "ABCD234O",
    "one": "ABCD2341",
    "letter I": "ABCD234I",
    "letter L": "ABCD234L",
    "lower l": "abcd234l",
    "punctuation": "ABCD.2345",
    "newline": "ABCD\n2345",
    "NUL": "ABCD2345\x00",
    "fullwidth": "\uff21\uff22\uff23\uff24\uff12\uff13\uff14\uff15",
    "link token": TOKEN,
    "huge": "ABCD2345" + " " * 100_000,
}


@pytest.mark.parametrize("token", list(BAD_TOKENS.values()), ids=list(BAD_TOKENS))
def test_a_malformed_link_token_costs_no_adapter_call(
    store: Store, clock: FrozenClock, token: object
) -> None:
    adapter = store.adapter(Recording)
    verifier = _verifier(adapter, clock)
    verifier.issue(ADA)
    adapter.calls.clear()
    with (
        no_change(store),
        store.statements() as statements,
        pytest.raises(Verification, match="malformed"),
    ):
        verifier.redeem_link(ADA, token)
    assert adapter.calls == []
    assert statements.seen == []


@pytest.mark.parametrize("code", list(BAD_CODES.values()), ids=list(BAD_CODES))
def test_a_malformed_code_costs_no_adapter_call(
    store: Store, clock: FrozenClock, code: object
) -> None:
    adapter = store.adapter(Recording)
    verifier = _verifier(adapter, clock)
    issued = verifier.issue(ADA)
    adapter.calls.clear()
    claims: list[str] = []
    with (
        no_change(store),
        store.statements() as statements,
        pytest.raises(Verification, match="malformed"),
    ):
        verifier.redeem_code(
            ADA, code, request_id=issued.request_id, claim=lambda: claims.append("try") is None
        )
    assert adapter.calls == []
    assert statements.seen == []
    assert claims == ["try"]  # but one of the request's tries, as any typed code


def test_a_well_formed_wrong_code_is_one_lookup_per_secret(
    store: Store, clock: FrozenClock
) -> None:
    adapter = store.adapter(Recording)
    verifier = _verifier(adapter, clock, SECRET_B, SECRET_A)
    issued = verifier.issue(ADA)
    adapter.calls.clear()
    with no_change(store), pytest.raises(Verification):
        _redeem_code(verifier, ADA, "ABCD-2345", issued)
    assert adapter.calls == ["use_verification_token", "use_verification_token"]


# secret rotation ----------------------------------------------------------------------------


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


# concurrency --------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_concurrent_redemptions_of_one_secret_succeed_once(
    store: Store, clock: FrozenClock, kind: str
) -> None:
    verifier = _verifier(store.adapter(), clock)
    issued = verifier.issue(ADA)
    workers = 12
    barrier = threading.Barrier(workers)
    outcomes: Counter[str] = Counter()
    lock = threading.Lock()

    def attempt() -> None:
        barrier.wait()
        try:
            _redeem(verifier, kind, issued)
            outcome = "ok"
        except Verification:
            outcome = "refused"
        except Exception as exc:  # counted, so the assertion shows it
            outcome = f"{type(exc).__name__}: {exc}"
        with lock:
            outcomes[outcome] += 1

    threads = [threading.Thread(target=attempt) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert outcomes == {"ok": 1, "refused": workers - 1}
    assert _count(store) == 0


class _Interleaved:
    """Mixin: the first use of a token runs ``hook`` just after the store hands it over,
    before the Verifier deletes the partner: the window two concurrent requests share."""

    hook: Any = None

    def use_verification_token(self, identifier: str, token: str) -> Any:
        used = super().use_verification_token(identifier, token)  # type: ignore[misc]
        hook, self.hook = self.hook, None
        if used is not None and hook is not None:
            hook()
        return used


def test_a_link_and_a_code_redeemed_at_the_same_instant_stay_single_use(
    store: Store, clock: FrozenClock
) -> None:
    """Interleaved so that the code is redeemed between the link's use and its clean-up.

    Each secret is used once at most, and afterwards nothing of the pair is left. (Both may
    succeed then: each proves the mailbox, so the owner gets two sessions and nobody else
    gains anything; refusing both would instead deny the owner a double-submitted code.)
    """
    adapter = store.adapter(_Interleaved)
    verifier = _verifier(adapter, clock)
    issued = verifier.issue(ADA)
    results: list[str] = []

    def code_meanwhile() -> None:
        try:
            _redeem_code(verifier, ADA, issued.code, issued)
            results.append("code ok")
        except Verification:
            results.append("code refused")

    adapter.hook = code_meanwhile
    try:
        verifier.redeem_link(ADA, issued.token)
        results.append("link ok")
    except Verification:
        results.append("link refused")
    assert "link ok" in results, results
    assert store.count_tokens() == 0 if hasattr(store, "count_tokens") else True
    for again in (
        lambda: verifier.redeem_link(ADA, issued.token),
        lambda: _redeem_code(verifier, ADA, issued.code, issued),
    ):
        with pytest.raises(Verification):
            again()


# new_code -------------------------------------------------------------------------------------


def test_the_code_alphabet_is_unambiguous() -> None:
    assert CODE_LENGTH == 8
    assert len(CODE_ALPHABET) == len(set(CODE_ALPHABET)) == 31
    assert set(CODE_ALPHABET) <= set(string.ascii_uppercase + string.digits)
    assert not set("0O1IL") & set(CODE_ALPHABET)
    assert set(CODE_ALPHABET) == set(string.ascii_uppercase + string.digits) - set("0O1IL")


def test_new_code_has_the_alphabet_and_length() -> None:
    codes = [new_code() for _ in range(3_000)]
    for code in codes:
        assert isinstance(code, str)
        assert len(code) == CODE_LENGTH
        assert set(code) <= set(CODE_ALPHABET)
        assert normalize_code(code) == code
    # Every character of the alphabet turns up, in every position.
    for position in range(CODE_LENGTH):
        assert {code[position] for code in codes} == set(CODE_ALPHABET)


def test_new_codes_are_unique() -> None:
    # 31**8 ~ 8.5e11 codes: 20,000 collide with probability ~ 2e-4 for a fair source.
    codes = [new_code() for _ in range(20_000)]
    assert len(set(codes)) == len(codes)


# normalize_code -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed",
    [
        "ABCD2345",
        " abcd-2345 ",
        "ABCD 2345",
        "abcd2345",
        "AbCd-2345",
        "\tABCD-2345\t",
        "A-B-C-D-2-3-4-5",
        "ABCD--2345",
        "ABCD2345" + " " * 24,  # 32 characters: the longest input looked at
    ],
)
def test_normalize_code_accepts_what_people_type(typed: str) -> None:
    assert normalize_code(typed) == "ABCD2345"


@pytest.mark.parametrize("value", list(BAD_CODES.values()), ids=list(BAD_CODES))
def test_normalize_code_refuses(value: object) -> None:
    assert normalize_code(value) is None


@pytest.mark.parametrize("char", "0O1IL" + "oil")
def test_normalize_code_refuses_each_ambiguous_character(char: str) -> None:
    assert normalize_code("ABC" + char + "2345") is None


def test_normalize_code_refuses_long_input_before_looking_at_it() -> None:
    assert normalize_code("ABCD2345" + " " * 25) is None  # 33 characters
    assert normalize_code(" " * 10_000_000) is None
