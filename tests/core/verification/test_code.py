"""a code: only for the request that sent it, within that request's tries."""

from __future__ import annotations

import contextlib
import threading

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import Verification
from flask_authadapter.core.tokens import new_token
from flask_authadapter.core.verification import (
    new_code,
)
from tests.core.stores import Recording, Store, no_change

from .helpers import (
    ADA,
    _redeem,
    _unlimited,
    _verifier,
)


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
