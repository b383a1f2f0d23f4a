"""malformed input costs nothing."""

from __future__ import annotations

import pytest

from flask_authadapter.core.clock import FrozenClock
from flask_authadapter.core.errors import Verification
from tests.core.stores import Recording, Store, no_change

from .helpers import (
    ADA,
    BAD_CODES,
    SECRET_A,
    SECRET_B,
    TOKEN,
    _redeem_code,
    _verifier,
)

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
