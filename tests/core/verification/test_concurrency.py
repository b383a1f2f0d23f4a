"""concurrency."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import Verification
from tests.core.stores import Store

from .helpers import (
    ADA,
    KINDS,
    _count,
    _redeem,
    _redeem_code,
    _verifier,
)


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
